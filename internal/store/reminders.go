package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// ReminderKind names what a reminder is about; members choose per kind how
// often they want it by email.
type ReminderKind string

// The kinds of reminder. Business associate agreements have no register yet,
// so expiring BAAs are not among them.
const (
	ReminderAssessmentDue       ReminderKind = "assessment_due"
	ReminderAnalysisDue         ReminderKind = "analysis_due"
	ReminderTaskOverdue         ReminderKind = "task_overdue"
	ReminderTaskDueSoon         ReminderKind = "task_due_soon"
	ReminderAcceptanceExpiring  ReminderKind = "acceptance_expiring"
	ReminderEmergencyUnreviewed ReminderKind = "emergency_unreviewed"
)

// ReminderKinds lists every kind, in the order pages show them.
func ReminderKinds() []ReminderKind {
	return []ReminderKind{ReminderTaskOverdue, ReminderTaskDueSoon, ReminderAcceptanceExpiring,
		ReminderAssessmentDue, ReminderAnalysisDue, ReminderEmergencyUnreviewed}
}

// Label is the kind as a person reads it.
func (k ReminderKind) Label() string {
	switch k {
	case ReminderAssessmentDue:
		return "Assessment due"
	case ReminderAnalysisDue:
		return "Risk analysis due"
	case ReminderTaskOverdue:
		return "My overdue tasks"
	case ReminderTaskDueSoon:
		return "My tasks due within 7 days"
	case ReminderAcceptanceExpiring:
		return "Risk acceptances expiring or expired"
	case ReminderEmergencyUnreviewed:
		return "Emergency access awaiting review"
	}
	return string(k)
}

// Valid reports whether k is one of ReminderKinds.
func (k ReminderKind) Valid() bool {
	for _, v := range ReminderKinds() {
		if v == k {
			return true
		}
	}
	return false
}

// Frequency is how often a member is emailed a digest of one kind.
type Frequency string

// The frequencies of a digest.
const (
	Never  Frequency = "never"
	Daily  Frequency = "daily"
	Weekly Frequency = "weekly"
)

// Valid reports whether f is never, daily or weekly.
func (f Frequency) Valid() bool { return f == Never || f == Daily || f == Weekly }

// DigestPrefs maps every reminder kind to how often it is emailed.
type DigestPrefs map[ReminderKind]Frequency

// DefaultDigestPrefs is what a member who never chose gets: their own
// overdue tasks weekly, and emergency access awaiting review daily (only
// security officers are sent that kind); the rest stays in the app.
func DefaultDigestPrefs() DigestPrefs {
	p := DigestPrefs{}
	for _, k := range ReminderKinds() {
		p[k] = Never
	}
	p[ReminderTaskOverdue] = Weekly
	p[ReminderEmergencyUnreviewed] = Daily
	return p
}

// DigestPrefs returns the user's digest preferences, defaults filled in.
func (db *DB) DigestPrefs(ctx context.Context, userID int64) (DigestPrefs, error) {
	p := DefaultDigestPrefs()
	err := db.view(ctx, func(tx *Tx) error {
		return tx.digestPrefs(ctx, userID, p)
	})
	if err != nil {
		return nil, fmt.Errorf("digest preferences of user %d: %w", userID, err)
	}
	return p, nil
}

func (tx *Tx) digestPrefs(ctx context.Context, userID int64, p DigestPrefs) error {
	rows, err := tx.query(ctx, `SELECT kind, frequency FROM digest_prefs WHERE user_id = ?`, userID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k, f string
		if err := rows.Scan(&k, &f); err != nil {
			return err
		}
		if ReminderKind(k).Valid() && Frequency(f).Valid() {
			p[ReminderKind(k)] = Frequency(f)
		}
	}
	return rows.Err()
}

// SetDigestPrefs saves the user's choices for the kinds p names; kinds it
// leaves out keep theirs. An unknown kind or frequency is a validation
// problem. The change is audited.
func (db *DB) SetDigestPrefs(ctx context.Context, actor Actor, userID int64, p DigestPrefs) error {
	fields := validate.Error{}
	for k, f := range p {
		if !k.Valid() {
			fields.Add(string(k), "Not a kind of reminder.")
		} else if !f.Valid() {
			fields.Add(string(k), "Choose never, daily or weekly.")
		}
	}
	if err := fields.Err(); err != nil {
		return err
	}
	kinds := make([]string, 0, len(p))
	for k := range p {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	return db.update(ctx, func(tx *Tx) error {
		var summary []string
		for _, k := range kinds {
			f := p[ReminderKind(k)]
			if _, err := tx.exec(ctx, `INSERT INTO digest_prefs (user_id, kind, frequency) VALUES (?, ?, ?)
				ON CONFLICT (user_id, kind) DO UPDATE SET frequency = excluded.frequency`, userID, k, string(f)); err != nil {
				return fmt.Errorf("save digest preferences: %w", err)
			}
			summary = append(summary, k+"="+string(f))
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "user.digest_prefs", Object: fmt.Sprintf("user:%d", userID),
			Summary: "email digests: " + strings.Join(summary, ", ")})
	})
}

// Reminder is one thing a member is to be reminded of. Key names it and its
// period (a task's due date, an acceptance's expiry), so that the same
// reminder is sent once while the thing stays as it is, and anew when it
// changes. Messages carry names and dates only: never a reason, a note or
// anything else a person typed about a patient.
type Reminder struct {
	UserID  int64
	Email   string
	OrgID   int64
	OrgSlug string
	OrgName string
	Kind    ReminderKind
	Key     string
	Message string
	Link    string
	// Due is the date the reminder is about (a due date, an expiry), for
	// ordering; zero when there is none.
	Due time.Time
}

// Reminders computes every reminder due at now for every member of every
// organisation. proposed reports whether an organisation follows the
// proposed rule's profile (risk.Due names unreviewed assets then); nil means
// none does.
func (db *DB) Reminders(ctx context.Context, now time.Time, proposed func(orgID int64) bool) ([]Reminder, error) {
	now = now.UTC()
	// Calendar dates (due dates, expiries) are kept as midnight UTC and
	// mean that day where the organisation is: each organisation's today
	// is its own. The queries take every row that may be due somewhere
	// (the zones furthest ahead of UTC are a day ahead) and each row is
	// then judged by its organisation's day.
	latest := now.Truncate(24*time.Hour).AddDate(0, 0, 1)
	var out []Reminder
	type org struct {
		id         int64
		slug, name string
		zone       *time.Location
		// answer are the owners and security officers; officers the
		// security officers alone.
		answer, officers []member
	}
	var orgs []*org
	err := db.view(ctx, func(tx *Tx) error {
		byID := map[int64]*org{}
		rows, err := tx.query(ctx, `SELECT o.id, o.slug, o.name, o.time_zone, m.user_id, u.email, m.role FROM orgs o
			JOIN memberships m ON m.org_id = o.id JOIN users u ON u.id = m.user_id
			WHERE m.role IN ('owner', 'security_officer') AND u.disabled_at IS NULL ORDER BY o.id, m.user_id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var o org
			var m member
			var role, zone string
			if err := rows.Scan(&o.id, &o.slug, &o.name, &zone, &m.id, &m.email, &role); err != nil {
				rows.Close()
				return err
			}
			o.zone = zoneOf(zone)
			p := byID[o.id]
			if p == nil {
				p = &o
				byID[o.id] = p
				orgs = append(orgs, p)
			}
			p.answer = append(p.answer, m)
			if role == "security_officer" {
				p.officers = append(p.officers, m)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		to := func(ms []member, o *org, r Reminder) {
			for _, m := range ms {
				r.UserID, r.Email, r.OrgID, r.OrgSlug, r.OrgName = m.id, m.email, o.id, o.slug, o.name
				out = append(out, r)
			}
		}

		// Tasks, to their owner while they are a member.
		type taskRow struct {
			id, orgID, owner int64
			email, title     string
			slug, orgName    string
			zone             string
			due              time.Time
		}
		tasks, err := queryAll(ctx, tx, func(s scanner) (taskRow, error) {
			var t taskRow
			err := s.Scan(&t.id, &t.orgID, &t.owner, &t.email, &t.title, &t.slug, &t.orgName, &t.zone, timeValue{&t.due})
			return t, err
		}, `SELECT t.id, t.org_id, t.owner_id, u.email, t.title, o.slug, o.name, o.time_zone, t.due FROM risk_tasks t
			JOIN orgs o ON o.id = t.org_id JOIN users u ON u.id = t.owner_id
			JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.owner_id
			WHERE t.status IN ('todo', 'in_progress') AND t.due IS NOT NULL AND t.due < ? AND u.disabled_at IS NULL
			ORDER BY t.due, t.id`, latest.AddDate(0, 0, 7))
		if err != nil {
			return err
		}
		for _, t := range tasks {
			today := localDay(now, zoneOf(t.zone))
			if !t.due.Before(today.AddDate(0, 0, 7)) {
				continue
			}
			r := Reminder{UserID: t.owner, Email: t.email, OrgID: t.orgID, OrgSlug: t.slug, OrgName: t.orgName, Due: t.due,
				Link: fmt.Sprintf("/orgs/%s/tasks/%d", t.slug, t.id)}
			day := t.due.Format(time.DateOnly)
			if t.due.Before(today) {
				r.Kind, r.Key = ReminderTaskOverdue, fmt.Sprintf("task_overdue:%d:%s", t.id, day)
				r.Message = fmt.Sprintf("Your task “%s” was due on %s.", t.title, t.due.Format("2 January 2006"))
			} else {
				r.Kind, r.Key = ReminderTaskDueSoon, fmt.Sprintf("task_due_soon:%d:%s", t.id, day)
				r.Message = fmt.Sprintf("Your task “%s” is due on %s.", t.title, t.due.Format("2 January 2006"))
			}
			out = append(out, r)
		}

		// Risk acceptances expiring within 30 days or expired, to owners
		// and security officers.
		type acceptRow struct {
			id, orgID int64
			title     string
			expires   time.Time
		}
		accepts, err := queryAll(ctx, tx, func(s scanner) (acceptRow, error) {
			var a acceptRow
			err := s.Scan(&a.id, &a.orgID, &a.title, timeValue{&a.expires})
			return a, err
		}, `SELECT id, org_id, title, accept_expires FROM risks
			WHERE strategy = 'accept' AND status <> 'closed' AND accept_expires IS NOT NULL AND accept_expires <= ?
			ORDER BY accept_expires, id`, latest.Add(AcceptanceWarning))
		if err != nil {
			return err
		}
		for _, a := range accepts {
			o := byID[a.orgID]
			if o == nil {
				continue
			}
			today := localDay(now, o.zone)
			if a.expires.After(today.Add(AcceptanceWarning)) {
				continue
			}
			day := a.expires.Format(time.DateOnly)
			r := Reminder{Kind: ReminderAcceptanceExpiring, Due: a.expires, Link: fmt.Sprintf("/orgs/%s/risks/%d", o.slug, a.id)}
			if a.expires.After(today) {
				r.Key = fmt.Sprintf("acceptance_expiring:%d:%s", a.id, day)
				r.Message = fmt.Sprintf("The acceptance of risk “%s” expires on %s.", a.title, a.expires.Format("2 January 2006"))
			} else {
				r.Key = fmt.Sprintf("acceptance_expired:%d:%s", a.id, day)
				r.Message = fmt.Sprintf("The acceptance of risk “%s” expired on %s: review it.", a.title, a.expires.Format("2 January 2006"))
			}
			to(o.answer, o, r)
		}

		// Emergency access that has ended and awaits review, to security
		// officers. The reason given is not repeated.
		type emRow struct {
			id, orgID int64
			email     string
			started   time.Time
		}
		ems, err := queryAll(ctx, tx, func(s scanner) (emRow, error) {
			var e emRow
			err := s.Scan(&e.id, &e.orgID, &e.email, timeValue{&e.started})
			return e, err
		}, `SELECT e.id, e.org_id, u.email, e.started_at FROM emergency_access e JOIN users u ON u.id = e.user_id
			WHERE e.reviewed_at IS NULL AND (e.ended_at IS NOT NULL OR e.ends_at <= ?) ORDER BY e.id`, now)
		if err != nil {
			return err
		}
		for _, e := range ems {
			o := byID[e.orgID]
			if o == nil {
				continue
			}
			to(o.officers, o, Reminder{Kind: ReminderEmergencyUnreviewed, Key: fmt.Sprintf("emergency_unreviewed:%d", e.id), Due: e.started,
				Message: fmt.Sprintf("Emergency access used by %s on %s awaits review.", e.email, e.started.In(o.zone).Format("2 January 2006")),
				Link:    fmt.Sprintf("/orgs/%s/emergency/%d", o.slug, e.id)})
		}

		// Assessments: a draft's due date, or a year since the last final
		// one when no draft is under way.
		for _, o := range orgs {
			var draftID int64
			var draftDue, finalAt time.Time
			var finalID int64
			err := tx.queryRow(ctx, `SELECT COALESCE(MAX(CASE WHEN status <> 'final' THEN id END), 0),
				COALESCE(MAX(CASE WHEN status = 'final' THEN id END), 0) FROM assessments WHERE org_id = ?`, o.id).Scan(&draftID, &finalID)
			if err != nil {
				return err
			}
			link := fmt.Sprintf("/orgs/%s/assessments", o.slug)
			switch {
			case draftID != 0:
				if err := tx.queryRow(ctx, `SELECT due_at FROM assessments WHERE id = ?`, draftID).Scan(timeValue{&draftDue}); err != nil {
					return err
				}
				if !draftDue.IsZero() && draftDue.Before(localDay(now, o.zone).AddDate(0, 0, 7)) {
					to(o.answer, o, Reminder{Kind: ReminderAssessmentDue, Due: draftDue, Link: fmt.Sprintf("%s/%d", link, draftID),
						Key:     fmt.Sprintf("assessment_due:draft:%d:%s", draftID, draftDue.Format(time.DateOnly)),
						Message: fmt.Sprintf("The assessment in progress is due on %s.", draftDue.Format("2 January 2006"))})
				}
			case finalID != 0:
				if err := tx.queryRow(ctx, `SELECT finalised_at FROM assessments WHERE id = ?`, finalID).Scan(timeValue{&finalAt}); err != nil {
					return err
				}
				if due := finalAt.AddDate(1, 0, 0); !finalAt.IsZero() && !due.After(now) {
					to(o.answer, o, Reminder{Kind: ReminderAssessmentDue, Due: due, Link: link,
						Key:     fmt.Sprintf("assessment_due:annual:%d", finalID),
						Message: fmt.Sprintf("A year has passed since the last assessment was finalised on %s: start the next one.", finalAt.In(o.zone).Format("2 January 2006"))})
				}
			default:
				to(o.answer, o, Reminder{Kind: ReminderAssessmentDue, Link: link, Key: "assessment_due:none",
					Message: "No assessment has been finalised yet: start one."})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("compute reminders: %w", err)
	}
	// Risk analyses, by the triggers AnalysisDue finds.
	for _, o := range orgs {
		d, err := db.AnalysisDue(ctx, o.id, now, proposed != nil && proposed(o.id))
		if err != nil {
			return nil, err
		}
		if len(d.Triggers) == 0 {
			continue
		}
		var inEffect int64
		if d.InEffect != nil {
			inEffect = d.InEffect.ID
		}
		kinds := map[string]bool{}
		for _, t := range d.Triggers {
			kinds[t.Kind] = true
		}
		names := make([]string, 0, len(kinds))
		for k := range kinds {
			names = append(names, k)
		}
		sort.Strings(names)
		msg := "A new risk analysis is due: " + d.Triggers[0].Reason + "."
		if n := len(d.Triggers) - 1; n > 0 {
			msg = fmt.Sprintf("A new risk analysis is due: %s (and %d more reasons).", d.Triggers[0].Reason, n)
		}
		r := Reminder{Kind: ReminderAnalysisDue, Link: fmt.Sprintf("/orgs/%s/analyses", o.slug),
			Key: fmt.Sprintf("analysis_due:%d:%s", inEffect, strings.Join(names, "+")), Message: msg}
		for _, m := range o.answer {
			r.UserID, r.Email, r.OrgID, r.OrgSlug, r.OrgName = m.id, m.email, o.id, o.slug, o.name
			out = append(out, r)
		}
	}
	return out, nil
}

type member struct {
	id    int64
	email string
}

// localDay is the calendar date it is at now in zone, as calendar dates
// are kept: midnight UTC.
func localDay(now time.Time, zone *time.Location) time.Time {
	y, m, d := now.In(zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// zoneOf is the organisation's time zone by its IANA name; UTC when the
// name is unknown to this system. Zones are read once.
func zoneOf(name string) *time.Location {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	zones.Store(name, loc)
	return loc
}

var zones sync.Map

// SendReminders records each reminder not yet sent to its member as an
// in-app notification (reaching email only through digests), all in one
// transaction, and returns how many were new. A reminder's key is recorded
// with it, so running again, on any replica, sends nothing twice.
func (db *DB) SendReminders(ctx context.Context, rs []Reminder) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *Tx) error {
		n = 0
		for _, r := range rs {
			res, err := tx.exec(ctx, `INSERT INTO reminders_sent (user_id, reminder_key, sent_at) VALUES (?, ?, ?)
				ON CONFLICT (user_id, reminder_key) DO NOTHING`, r.UserID, r.Key, tx.now)
			if err != nil {
				return err
			}
			if k, err := res.RowsAffected(); err != nil {
				return err
			} else if k == 0 {
				continue
			}
			if _, err := tx.exec(ctx, `INSERT INTO notifications (user_id, org_id, kind, message, link, created_at, digest_only) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				r.UserID, r.OrgID, string(r.Kind), r.Message, r.Link, tx.now, true); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("send reminders: %w", err)
	}
	return n, nil
}

// ClaimSent records key as sent to userID unless it already was, and
// reports whether this call recorded it. A digest claims its period's key
// before it is mailed and gives it back with UnclaimSent if mailing fails.
func (db *DB) ClaimSent(ctx context.Context, userID int64, key string) (bool, error) {
	var claimed bool
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `INSERT INTO reminders_sent (user_id, reminder_key, sent_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id, reminder_key) DO NOTHING`, userID, key, tx.now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim %s for user %d: %w", key, userID, err)
	}
	return claimed, nil
}

// UnclaimSent forgets that key was sent to userID.
func (db *DB) UnclaimSent(ctx context.Context, userID int64, key string) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `DELETE FROM reminders_sent WHERE user_id = ? AND reminder_key = ?`, userID, key)
		return err
	})
}

// DigestRecipients lists the enabled users who are members of an
// organisation, with their digest preferences.
func (db *DB) DigestRecipients(ctx context.Context) (map[int64]DigestPrefs, error) {
	out := map[int64]DigestPrefs{}
	err := db.view(ctx, func(tx *Tx) error {
		ids, err := queryAll(ctx, tx, func(s scanner) (int64, error) {
			var id int64
			err := s.Scan(&id)
			return id, err
		}, `SELECT DISTINCT u.id FROM users u JOIN memberships m ON m.user_id = u.id WHERE u.disabled_at IS NULL`)
		if err != nil {
			return err
		}
		for _, id := range ids {
			out[id] = DefaultDigestPrefs()
		}
		rows, err := tx.query(ctx, `SELECT user_id, kind, frequency FROM digest_prefs`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var k, f string
			if err := rows.Scan(&id, &k, &f); err != nil {
				return err
			}
			if p, ok := out[id]; ok && ReminderKind(k).Valid() && Frequency(f).Valid() {
				p[ReminderKind(k)] = Frequency(f)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("digest recipients: %w", err)
	}
	return out, nil
}

// NotifyAdmins leaves an in-app notification (emailed through the outbox)
// for every enabled platform administrator.
func (db *DB) NotifyAdmins(ctx context.Context, kind, message, link string) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO notifications (user_id, kind, message, link, created_at)
			SELECT id, ?, ?, ?, ? FROM users WHERE is_admin = ? AND disabled_at IS NULL`, kind, message, link, tx.now, true)
		return err
	})
}
