package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// The risk management plan: tasks that carry out the treatment of a risk,
// each with an owner who is a member, a due date and every saved version.

func taskObject(id int64) string { return fmt.Sprintf("risk_task:%d", id) }

// PlanTask is a task with what a list shows beside it: the risk it treats
// and its organisation.
type PlanTask struct {
	risk.Task
	RiskTitle string `json:"risk_title"`
	OrgSlug   string `json:"org_slug"`
	OrgName   string `json:"org_name"`
}

const taskColumns = `t.id, t.org_id, t.risk_id, t.title, t.description, t.owner_id, t.due, t.status, t.entries, t.evidence_ids, t.done_at, t.version,
	r.title, o.slug, o.name`

const taskFrom = ` FROM risk_tasks t JOIN risks r ON r.id = t.risk_id JOIN orgs o ON o.id = t.org_id`

func scanTask(s scanner) (PlanTask, error) {
	var t PlanTask
	var status string
	err := s.Scan(&t.ID, &t.OrgID, &t.RiskID, &t.Title, &t.Description, &t.OwnerID, timeValue{&t.Due}, &status,
		jsonValue{&t.Entries}, jsonValue{&t.EvidenceIDs}, timeValue{&t.DoneAt}, &t.Version, &t.RiskTitle, &t.OrgSlug, &t.OrgName)
	t.Status = risk.TaskStatus(status)
	return t, err
}

func (tx *Tx) task(ctx context.Context, orgID, id int64) (PlanTask, error) {
	t, err := scanTask(tx.queryRow(ctx, `SELECT `+taskColumns+taskFrom+` WHERE t.org_id = ? AND t.id = ?`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return PlanTask{}, fmt.Errorf("task %d: %w", id, ErrNotFound)
	}
	return t, err
}

// prepareTask normalises t for orgID and reports every problem: the
// domain's, a risk of another organisation, an owner who is not a member,
// evidence the organisation does not have.
func (tx *Tx) prepareTask(ctx context.Context, orgID int64, t *risk.Task) (string, error) {
	t.Normalize()
	t.OrgID = orgID
	if !t.Due.IsZero() {
		t.Due = time.Date(t.Due.Year(), t.Due.Month(), t.Due.Day(), 0, 0, 0, 0, time.UTC)
	}
	if t.Entries == nil {
		t.Entries = []string{}
	}
	if t.EvidenceIDs == nil {
		t.EvidenceIDs = []int64{}
	}
	p := validate.Error{}
	maps(p, t.Validate())
	var riskTitle string
	if t.RiskID > 0 {
		r, err := tx.risk(ctx, orgID, t.RiskID)
		if errors.Is(err, ErrNotFound) {
			p.Add("risk_id", "is not a risk of this organisation")
		} else if err != nil {
			return "", err
		}
		riskTitle = r.Title
	}
	if t.OwnerID > 0 {
		if role, err := tx.memberRole(ctx, orgID, t.OwnerID); err != nil {
			return "", err
		} else if role == "" {
			p.Add("owner_id", "must be a member of this organisation: tasks go to the people who do them")
		}
	}
	if err := tx.checkEvidenceIDs(ctx, orgID, t.EvidenceIDs); err != nil {
		if !errors.As(err, new(validate.Error)) {
			return "", err
		}
		maps(p, err)
	}
	return riskTitle, p.Err()
}

// putTask stores t as the version after prev (0: a new task), with its
// version record; it returns errStale when another version was stored
// since prev was read.
func (tx *Tx) putTask(ctx context.Context, actor Actor, orgID int64, t risk.Task, prev int) (risk.Task, error) {
	t.Version = prev + 1
	args := []any{t.RiskID, t.Title, t.Description, t.OwnerID, t.Due, string(t.Status), jsonText(t.Entries), jsonText(t.EvidenceIDs),
		nullTime(t.DoneAt), t.Version, tx.now, actor.Name}
	if prev == 0 {
		var err error
		if t.ID, err = tx.insert(ctx, `INSERT INTO risk_tasks (risk_id, title, description, owner_id, due, status, entries, evidence_ids, done_at, version,
			updated_at, updated_by, org_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(args, orgID, tx.now, actor.Name)...); err != nil {
			return t, err
		}
	} else {
		res, err := tx.exec(ctx, `UPDATE risk_tasks SET risk_id = ?, title = ?, description = ?, owner_id = ?, due = ?, status = ?, entries = ?,
			evidence_ids = ?, done_at = ?, version = ?, updated_at = ?, updated_by = ? WHERE org_id = ? AND id = ? AND version = ?`,
			append(args, orgID, t.ID, prev)...)
		if err != nil {
			return t, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return t, err
		} else if n == 0 {
			return t, errStale
		}
	}
	_, err := tx.exec(ctx, `INSERT INTO risk_task_versions (task_id, version, data, saved_at, saved_by) VALUES (?, ?, ?, ?, ?)`,
		t.ID, t.Version, jsonText(t), tx.now, actor.Name)
	return t, err
}

// CreateTask adds a task to the organisation's plan for one of its risks.
// Every problem is reported at once and nothing is saved: a risk of another
// organisation, a task owner who is not a member, a missing due date.
func (db *DB) CreateTask(ctx context.Context, actor Actor, orgID int64, t risk.Task) (risk.Task, error) {
	err := db.update(ctx, func(tx *Tx) error {
		title, err := tx.prepareTask(ctx, orgID, &t)
		if err != nil {
			return err
		}
		t.DoneAt = time.Time{}
		if t.Status == risk.TaskDone {
			t.DoneAt = tx.now
		}
		if t, err = tx.putTask(ctx, actor, orgID, t, 0); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.task.create", Object: taskObject(t.ID),
			Summary: fmt.Sprintf("planned %q for the risk %q: user:%d by %s", t.Title, title, t.OwnerID, t.Due.Format("2 Jan 2006"))})
	})
	if err != nil {
		return risk.Task{}, fmt.Errorf("create task: %w", err)
	}
	return t, nil
}

// UpdateTask saves t (t.Version the version it was read at; ErrConflict
// when another was saved since) as a new version. Marking it done dates it
// now; reopening it clears the date.
func (db *DB) UpdateTask(ctx context.Context, actor Actor, orgID int64, t risk.Task) (risk.Task, error) {
	err := db.update(ctx, func(tx *Tx) error {
		old, err := tx.task(ctx, orgID, t.ID)
		if err != nil {
			return err
		}
		if t.Version != old.Version {
			return errStale
		}
		title, err := tx.prepareTask(ctx, orgID, &t)
		if err != nil {
			return err
		}
		switch {
		case t.Status != risk.TaskDone:
			t.DoneAt = time.Time{}
		case old.Status == risk.TaskDone:
			t.DoneAt = old.DoneAt
		default:
			t.DoneAt = tx.now
		}
		if t, err = tx.putTask(ctx, actor, orgID, t, old.Version); err != nil {
			return err
		}
		what := fmt.Sprintf("updated %q", t.Title)
		switch {
		case old.Status != t.Status && t.Status == risk.TaskDone:
			what = fmt.Sprintf("completed %q", t.Title)
		case old.Status != t.Status:
			what = fmt.Sprintf("moved %q from %s to %s", t.Title, old.Status, t.Status)
		case !old.Due.Equal(t.Due):
			what = fmt.Sprintf("moved the due date of %q from %s to %s", t.Title, old.Due.Format("2 Jan 2006"), t.Due.Format("2 Jan 2006"))
		case old.OwnerID != t.OwnerID:
			what = fmt.Sprintf("gave %q to user:%d", t.Title, t.OwnerID)
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.task.update", Object: taskObject(t.ID),
			Summary: fmt.Sprintf("%s, for the risk %q (version %d)", what, title, t.Version)})
	})
	if errors.Is(err, errStale) {
		err = conflict("The task was changed by someone else meanwhile; reload and try again.")
	}
	if err != nil {
		return risk.Task{}, fmt.Errorf("update task %d: %w", t.ID, err)
	}
	return t, nil
}

// Task returns one task of the organisation, or ErrNotFound (also for
// another organisation's).
func (db *DB) Task(ctx context.Context, orgID, id int64) (PlanTask, error) {
	var t PlanTask
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		t, err = tx.task(ctx, orgID, id)
		return err
	})
	return t, err
}

// TaskFilter narrows the plan. Zero fields do not filter.
type TaskFilter struct {
	OwnerID int64
	RiskID  int64
	Status  risk.TaskStatus
	// Overdue keeps the tasks not done nor dropped whose due date has
	// passed.
	Overdue bool
}

// Tasks returns a page of the organisation's plan, by due date (earliest
// first), and the key of the next page, or nil on the last.
func (db *DB) Tasks(ctx context.Context, orgID int64, f TaskFilter, p Page) ([]PlanTask, *Key, error) {
	where := ` WHERE t.org_id = ?`
	args := []any{orgID}
	if f.OwnerID != 0 {
		where += ` AND t.owner_id = ?`
		args = append(args, f.OwnerID)
	}
	if f.RiskID != 0 {
		where += ` AND t.risk_id = ?`
		args = append(args, f.RiskID)
	}
	if f.Status != "" {
		if !slices.Contains(risk.TaskStatuses(), f.Status) {
			return nil, nil, validate.Error{"status": "must be todo, in_progress, done or dropped"}
		}
		where += ` AND t.status = ?`
		args = append(args, string(f.Status))
	}
	return db.taskPage(ctx, where, args, f.Overdue, p)
}

// MyTasks returns a page of the tasks userID owns in every organisation
// they are a member of, by due date.
func (db *DB) MyTasks(ctx context.Context, userID int64, p Page) ([]PlanTask, *Key, error) {
	return db.taskPage(ctx, ` WHERE t.owner_id = ? AND t.org_id IN (SELECT org_id FROM memberships WHERE user_id = ?)`, []any{userID, userID}, false, p)
}

func (db *DB) taskPage(ctx context.Context, where string, args []any, overdue bool, p Page) ([]PlanTask, *Key, error) {
	size := p.size()
	var out []PlanTask
	err := db.view(ctx, func(tx *Tx) error {
		query := `SELECT ` + taskColumns + taskFrom + where
		if overdue {
			query += ` AND t.status IN ('todo', 'in_progress') AND t.due < ?`
			args = append(args, tx.now.Truncate(24*time.Hour))
		}
		if !p.After.IsZero() {
			due, err := time.Parse(time.RFC3339Nano, p.After.Sort)
			if err != nil {
				return badCursor
			}
			query += ` AND (t.due, t.id) > (?, ?)`
			args = append(args, due.UTC(), p.After.ID)
		}
		var err error
		out, err = queryAll(ctx, tx, scanTask, query+` ORDER BY t.due, t.id LIMIT ?`, append(args, size+1)...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list tasks: %w", err)
	}
	out, next := cut(out, size, func(t PlanTask) Key { return Key{Sort: t.Due.UTC().Format(time.RFC3339Nano), ID: t.ID} })
	return out, next, nil
}

// PlanCounts is what the plan's summary and the dashboard show.
type PlanCounts struct {
	// OverdueTasks are tasks not done nor dropped past their due date.
	OverdueTasks int `json:"overdue_tasks"`
	// ExpiringAcceptances are accepted risks whose acceptance runs out
	// within 30 days; ExpiredAcceptances those whose has run out.
	ExpiringAcceptances int `json:"expiring_acceptances"`
	ExpiredAcceptances  int `json:"expired_acceptances"`
}

// AcceptanceWarning is how long before it runs out an acceptance is shown
// as expiring.
const AcceptanceWarning = 30 * 24 * time.Hour

// PlanCounts counts, in SQL, the organisation's overdue tasks and the
// acceptances expiring within 30 days of now or already expired.
func (db *DB) PlanCounts(ctx context.Context, orgID int64, now time.Time) (PlanCounts, error) {
	var c PlanCounts
	now = now.UTC()
	err := db.view(ctx, func(tx *Tx) error {
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM risk_tasks WHERE org_id = ? AND status IN ('todo', 'in_progress') AND due < ?`,
			orgID, now.Truncate(24*time.Hour)).Scan(&c.OverdueTasks); err != nil {
			return err
		}
		return tx.queryRow(ctx, `SELECT
			COALESCE(SUM(CASE WHEN accept_expires > ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN accept_expires <= ? THEN 1 ELSE 0 END), 0)
			FROM risks WHERE org_id = ? AND strategy = 'accept' AND status <> 'closed' AND accept_expires IS NOT NULL AND accept_expires <= ?`,
			now, now, orgID, now.Add(AcceptanceWarning)).Scan(&c.ExpiringAcceptances, &c.ExpiredAcceptances)
	})
	if err != nil {
		return PlanCounts{}, fmt.Errorf("plan counts: %w", err)
	}
	return c, nil
}
