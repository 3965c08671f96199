package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/validate"
)

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only maps and slices of strings and numbers are encoded here.
		panic(fmt.Sprintf("store: encode %T: %v", v, err))
	}
	return string(b)
}

// jsonValue scans a JSON text column into v.
type jsonValue struct{ v any }

func (j jsonValue) Scan(src any) error {
	var b []byte
	switch s := src.(type) {
	case string:
		b = []byte(s)
	case []byte:
		b = s
	case nil:
		return nil
	default:
		return fmt.Errorf("cannot scan %T as JSON", src)
	}
	return json.Unmarshal(b, j.v)
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// OrgProfile returns the organisation's assessment profile; an organisation
// that has never saved one gets its name and kind and the rule in force.
func (db *DB) OrgProfile(ctx context.Context, orgID int64) (assess.Profile, error) {
	var p assess.Profile
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		p, err = tx.orgProfile(ctx, orgID)
		return err
	})
	if err != nil {
		return assess.Profile{}, fmt.Errorf("organisation profile: %w", err)
	}
	return p, nil
}

func (tx *Tx) orgProfile(ctx context.Context, orgID int64) (assess.Profile, error) {
	p := assess.Profile{OrgID: orgID, Locations: []string{}, Systems: []string{}, Officials: []assess.OfficialTerm{}}
	var name, kind string
	err := tx.queryRow(ctx, `SELECT name, kind FROM orgs WHERE id = ?`, orgID).Scan(&name, &kind)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	} else if err != nil {
		return p, err
	}
	p.Kind = kind
	var rule string
	err = tx.queryRow(ctx, `SELECT legal_name, workforce, locations_count, locations, patients, systems, catalog_profile, review_rule, updated_at
		FROM org_profiles WHERE org_id = ?`, orgID).Scan(&p.LegalName, &p.Workforce, &p.LocationsCount,
		jsonValue{&p.Locations}, &p.Patients, jsonValue{&p.Systems}, &p.CatalogProfile, &rule, timeValue{&p.UpdatedAt})
	p.ReviewRule = assess.ReviewRule(rule)
	if errors.Is(err, sql.ErrNoRows) {
		p.LegalName, p.CatalogProfile = name, catalog.ProfileCurrent
	} else if err != nil {
		return p, err
	}
	rows, err := tx.query(ctx, `SELECT COALESCE(user_id, 0), name, email, from_date, to_date FROM security_officials
		WHERE org_id = ? ORDER BY from_date, id`, orgID)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var t assess.OfficialTerm
		if err := rows.Scan(&t.UserID, &t.Name, &t.Email, timeValue{&t.From}, timeValue{&t.To}); err != nil {
			return p, err
		}
		p.Officials = append(p.Officials, t)
	}
	return p, rows.Err()
}

// UpdateOrgProfile saves the organisation's profile. When official is not
// nil and names someone other than the current security official, the
// current term ends the day the new one starts, so the history of who held
// the role when (§164.308(a)(2)) is kept. The profile's kind is the
// organisation's kind.
func (db *DB) UpdateOrgProfile(ctx context.Context, actor Actor, orgID int64, p assess.Profile, official *assess.OfficialTerm) (assess.Profile, error) {
	p.Normalize()
	cat, err := catalog.Default()
	if err != nil {
		return assess.Profile{}, err
	}
	problems := validate.Error{}
	kinds := make([]string, len(identity.OrgKinds))
	for i, k := range identity.OrgKinds {
		kinds[i] = string(k)
	}
	if err := p.Validate(kinds, cat.ProfileIDs()); err != nil {
		maps(problems, err)
	}
	if official != nil {
		official.Name, official.Email = strings.TrimSpace(official.Name), strings.TrimSpace(official.Email)
		official.To = time.Time{}
		if err := official.Validate("official."); err != nil {
			maps(problems, err)
		}
	}
	if err := problems.Err(); err != nil {
		return assess.Profile{}, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		old, err := tx.orgProfile(ctx, orgID)
		if err != nil {
			return err
		}
		if official != nil && official.UserID != 0 {
			var name, email string
			err := tx.queryRow(ctx, `SELECT u.name, u.email FROM users u JOIN memberships m ON m.user_id = u.id
				WHERE u.id = ? AND m.org_id = ?`, official.UserID, orgID).Scan(&name, &email)
			if errors.Is(err, sql.ErrNoRows) {
				return validate.Error{"official.user_id": "is not a member of this organisation"}
			} else if err != nil {
				return err
			}
			official.Name = cmpOr(official.Name, name)
			official.Email = cmpOr(official.Email, email)
		}
		_, err = tx.exec(ctx, `INSERT INTO org_profiles (org_id, legal_name, workforce, locations_count, locations, patients, systems, catalog_profile, review_rule, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET legal_name = excluded.legal_name, workforce = excluded.workforce,
				locations_count = excluded.locations_count, locations = excluded.locations, patients = excluded.patients,
				systems = excluded.systems, catalog_profile = excluded.catalog_profile, review_rule = excluded.review_rule,
				updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			orgID, p.LegalName, p.Workforce, p.LocationsCount, jsonText(p.Locations), p.Patients, jsonText(p.Systems),
			p.CatalogProfile, string(p.ReviewRule), tx.now, actor.Name)
		if err != nil {
			return err
		}
		if p.Kind != old.Kind {
			if _, err := tx.exec(ctx, `UPDATE orgs SET kind = ? WHERE id = ?`, p.Kind, orgID); err != nil {
				return err
			}
		}
		summary := profileChanges(old, p)
		if official != nil {
			cur, has := old.Official()
			same := has && cur.UserID == official.UserID && strings.EqualFold(cur.Name, official.Name) && strings.EqualFold(cur.Email, official.Email)
			if !same {
				if has && official.From.Before(cur.From) {
					return validate.Error{"official.from": "must not be before " + cur.From.Format("2006-01-02") + ", when the current official's term began"}
				}
				if has {
					if _, err := tx.exec(ctx, `UPDATE security_officials SET to_date = ? WHERE org_id = ? AND to_date IS NULL`, official.From.UTC(), orgID); err != nil {
						return err
					}
				}
				var uid any
				if official.UserID != 0 {
					uid = official.UserID
				}
				if _, err := tx.insert(ctx, `INSERT INTO security_officials (org_id, user_id, name, email, from_date) VALUES (?, ?, ?, ?, ?)`,
					orgID, uid, official.Name, official.Email, official.From.UTC()); err != nil {
					return err
				}
				summary = append(summary, fmt.Sprintf("security official %s from %s", official.Name, official.From.Format("2006-01-02")))
			}
		}
		if len(summary) == 0 {
			summary = []string{"no changes"}
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "assess.profile", Object: fmt.Sprintf("org:%d/profile", orgID),
			Summary: "updated the organisation profile: " + strings.Join(summary, "; ")})
	})
	if err != nil {
		return assess.Profile{}, fmt.Errorf("update organisation profile: %w", err)
	}
	return db.OrgProfile(ctx, orgID)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// maps copies field problems from err into p.
func maps(p validate.Error, err error) {
	var v validate.Error
	if errors.As(err, &v) {
		for f, m := range v {
			p.Add(f, m)
		}
	}
}

func profileChanges(old, p assess.Profile) []string {
	var out []string
	if old.LegalName != p.LegalName {
		out = append(out, fmt.Sprintf("legal name %q", p.LegalName))
	}
	if old.Kind != p.Kind {
		out = append(out, "kind "+p.Kind)
	}
	if old.Workforce != p.Workforce {
		out = append(out, fmt.Sprintf("workforce %d", p.Workforce))
	}
	if old.Patients != p.Patients {
		out = append(out, fmt.Sprintf("patients or members %d", p.Patients))
	}
	if old.LocationsCount != p.LocationsCount || !slices.Equal(old.Locations, p.Locations) {
		out = append(out, fmt.Sprintf("%d locations", p.LocationsCount))
	}
	for _, s := range p.Systems {
		if !slices.Contains(old.Systems, s) {
			out = append(out, fmt.Sprintf("system %q added", s))
		}
	}
	for _, s := range old.Systems {
		if !slices.Contains(p.Systems, s) {
			out = append(out, fmt.Sprintf("system %q removed", s))
		}
	}
	if old.CatalogProfile != p.CatalogProfile {
		out = append(out, "catalogue profile "+p.CatalogProfile)
	}
	if old.ReviewRule != p.ReviewRule {
		out = append(out, "sign-off rule: "+strings.ToLower(p.ReviewRule.Label()))
	}
	return out
}

const assessmentColumns = `id, org_id, name, catalog_profile, catalog_version, entries, status, started_at, due_at,
	finalised_at, finalised_by, last_effective, retain_until, COALESCE(copied_from, 0), scope, attestation`

// scanAssessment reads an assessment; its catalogue copy comes decoded from
// db.entries, so lists do not decode one copy per row.
func (db *DB) scanAssessment(row interface{ Scan(...any) error }) (assess.Assessment, error) {
	var a assess.Assessment
	var status string
	err := row.Scan(&a.ID, &a.OrgID, &a.Name, &a.CatalogProfile, &a.CatalogVersion, entriesValue{&db.entries, &a.Entries}, &status,
		timeValue{&a.StartedAt}, timeValue{&a.DueAt}, timeValue{&a.FinalisedAt}, &a.FinalisedBy,
		timeValue{&a.LastEffective}, timeValue{&a.RetainUntil}, &a.CopiedFrom, jsonValue{&a.Scope}, &a.Attestation)
	a.Status = assess.Status(status)
	return a, err
}

func (tx *Tx) assessment(ctx context.Context, orgID, id int64) (assess.Assessment, error) {
	a, err := tx.db.scanAssessment(tx.queryRow(ctx, `SELECT `+assessmentColumns+` FROM assessments WHERE org_id = ? AND id = ?`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("assessment %d: %w", id, ErrNotFound)
	}
	return a, err
}

// editable loads an assessment for a change, refusing a final one.
func (tx *Tx) editable(ctx context.Context, orgID, id int64) (assess.Assessment, error) {
	a, err := tx.assessment(ctx, orgID, id)
	if err != nil {
		return a, err
	}
	return a, refused(a.CheckEditable())
}

// CreateAssessment stores a, made by assess.New, as a new draft of the
// organisation.
func (db *DB) CreateAssessment(ctx context.Context, actor Actor, orgID int64, a assess.Assessment) (assess.Assessment, error) {
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		a, err = tx.createAssessment(ctx, actor, orgID, a, 0)
		return err
	})
	if isUniqueViolation(err) {
		err = nameTaken(a.Name, time.Time{})
	}
	if err != nil {
		return assess.Assessment{}, fmt.Errorf("create assessment: %w", err)
	}
	return a, nil
}

func (tx *Tx) createAssessment(ctx context.Context, actor Actor, orgID int64, a assess.Assessment, from int64) (assess.Assessment, error) {
	if len(a.Entries) == 0 || a.CatalogVersion == "" {
		return a, errors.New("assessment has no pinned catalogue: make it with assess.New")
	}
	a.OrgID, a.Status, a.CopiedFrom = orgID, assess.StatusDraft, from
	if a.StartedAt.IsZero() {
		a.StartedAt = tx.now
	}
	a.Scope = assess.Scope{Systems: []string{}, Locations: []string{}}
	if err := tx.nameFree(ctx, orgID, a.Name); err != nil {
		return a, err
	}
	var copied any
	if from != 0 {
		copied = from
	}
	id, err := tx.insert(ctx, `INSERT INTO assessments (org_id, name, catalog_profile, catalog_version, entries, status, started_at, due_at, copied_from, scope, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, orgID, a.Name, a.CatalogProfile, a.CatalogVersion, jsonText(a.Entries),
		string(a.Status), a.StartedAt.UTC(), nullTime(a.DueAt), copied, jsonText(a.Scope), actor.Name)
	if err != nil {
		return a, err
	}
	a.ID = id
	summary := fmt.Sprintf("started assessment %q against %s (catalogue %s, %d entries)", a.Name, a.CatalogProfile, a.CatalogVersion, len(a.Entries))
	if from != 0 {
		summary += fmt.Sprintf(", copied from assessment %d", from)
	}
	return a, tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "assess.create", Object: fmt.Sprintf("assessment:%d", id), Summary: summary})
}

// nameFree refuses, as a problem on the field name, a name another of the
// organisation's assessments has (letter case aside): two assessments of
// one name cannot be told apart in a list, a comparison or a report. The
// unique index assessments_org_name (migration 0020) holds it under
// concurrent writers.
func (tx *Tx) nameFree(ctx context.Context, orgID int64, name string) error {
	var started time.Time
	err := tx.queryRow(ctx, `SELECT started_at FROM assessments WHERE org_id = ? AND lower(name) = lower(?)`, orgID, name).Scan(timeValue{&started})
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	return nameTaken(name, started)
}

func nameTaken(name string, started time.Time) error {
	msg := "is already the name of another of the organisation's assessments"
	if !started.IsZero() {
		msg = fmt.Sprintf("is already the name of the assessment started on %s", started.UTC().Format("2 January 2006"))
	}
	return validate.Error{"name": fmt.Sprintf("%s: choose another, such as %q", msg, name+" (2)")}
}

// CurrentSheet reads the organisation's current assessment (assess.Current)
// with its answers; nil when it has none.
func (db *DB) CurrentSheet(ctx context.Context, orgID int64) (*assess.Sheet, error) {
	as, err := db.Assessments(ctx, orgID)
	if err != nil {
		return nil, err
	}
	a, ok := assess.Current(as)
	if !ok {
		return nil, nil
	}
	sh, err := db.AssessmentSheet(ctx, orgID, a.ID)
	if err != nil {
		return nil, err
	}
	return &sh, nil
}

// Assessments returns the organisation's assessments, newest first.
func (db *DB) Assessments(ctx context.Context, orgID int64) ([]assess.Assessment, error) {
	out := []assess.Assessment{}
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, tx.db.scanAssessment, `SELECT `+assessmentColumns+` FROM assessments WHERE org_id = ? ORDER BY started_at DESC, id DESC`, orgID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list assessments: %w", err)
	}
	return out, nil
}

// Assessment returns one of the organisation's assessments.
func (db *DB) Assessment(ctx context.Context, orgID, id int64) (assess.Assessment, error) {
	var a assess.Assessment
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		a, err = tx.assessment(ctx, orgID, id)
		return err
	})
	return a, err
}

// AssessmentSheet returns an assessment with its current responses,
// decisions and reviews.
func (db *DB) AssessmentSheet(ctx context.Context, orgID, id int64) (assess.Sheet, error) {
	var s assess.Sheet
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		s, err = tx.sheet(ctx, orgID, id)
		return err
	})
	return s, err
}

func (tx *Tx) sheet(ctx context.Context, orgID, id int64) (assess.Sheet, error) {
	s := assess.Sheet{Responses: []assess.Response{}, Decisions: []assess.Decision{}, Reviews: []assess.CategoryReview{}}
	var err error
	if s.Assessment, err = tx.assessment(ctx, orgID, id); err != nil {
		return s, err
	}
	if s.Responses, err = tx.responses(ctx, `SELECT `+responseColumns+` FROM assess_responses WHERE assessment_id = ? ORDER BY id`, id); err != nil {
		return s, err
	}
	if s.Decisions, err = tx.decisions(ctx, `SELECT `+decisionColumns+` FROM assess_decisions WHERE assessment_id = ? ORDER BY id`, id); err != nil {
		return s, err
	}
	rows, err := tx.query(ctx, `SELECT category, reviewed_by, reviewed_at, note, reviewer FROM assess_reviews WHERE assessment_id = ? ORDER BY id`, id)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var r assess.CategoryReview
		var c string
		if err := rows.Scan(&c, &r.ReviewedBy, timeValue{&r.ReviewedAt}, &r.Note, &r.Reviewer); err != nil {
			return s, err
		}
		r.Category = catalog.Category(c)
		s.Reviews = append(s.Reviews, r)
	}
	return s, rows.Err()
}

const responseColumns = `citation, status, na_reason, narrative, owner, target_date, answers, evidence_ids, risk_ids, version, updated_at, updated_by`

func (tx *Tx) responses(ctx context.Context, query string, args ...any) ([]assess.Response, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []assess.Response{}
	for rows.Next() {
		var r assess.Response
		var status string
		if err := rows.Scan(&r.Citation, &status, &r.NAReason, &r.Narrative, &r.Owner, timeValue{&r.TargetDate},
			jsonValue{&r.Answers}, jsonValue{&r.EvidenceIDs}, jsonValue{&r.RiskIDs}, &r.Version,
			timeValue{&r.UpdatedAt}, &r.UpdatedBy); err != nil {
			return nil, err
		}
		r.Status = assess.ResponseStatus(status)
		out = append(out, r)
	}
	return out, rows.Err()
}

const decisionColumns = `citation, outcome, alternative, rationale, factors, risk_analysis_ref, decided_by, decided_at, version`

func (tx *Tx) decisions(ctx context.Context, query string, args ...any) ([]assess.Decision, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []assess.Decision{}
	for rows.Next() {
		var d assess.Decision
		var outcome string
		if err := rows.Scan(&d.Citation, &outcome, &d.Alternative, &d.Rationale, jsonValue{&d.Factors}, &d.RiskAnalysisRef,
			&d.DecidedBy, timeValue{&d.DecidedAt}, &d.Version); err != nil {
			return nil, err
		}
		d.Outcome = catalog.Outcome(outcome)
		out = append(out, d)
	}
	return out, rows.Err()
}

// entryOf returns the snapshot of citation in a, or a field problem. A
// reference the catalogue resolves (an alias, "§164.312(b)", a renumbered
// paragraph) finds its entry too.
func entryOf(a assess.Assessment, citation string) (assess.EntrySnapshot, error) {
	cat, err := catalog.Default()
	if err != nil {
		return assess.EntrySnapshot{}, err
	}
	e, ok := a.Resolve(cat, citation)
	if !ok {
		return e, validate.Error{"citation": fmt.Sprintf("%q is not an entry of this assessment's catalogue (%s %s)", citation, a.CatalogProfile, a.CatalogVersion)}
	}
	return e, nil
}

// questionsOf returns the guided questions of citation in the catalogue
// profile the assessment pins, or nil when the catalogue no longer has it.
func questionsOf(a assess.Assessment, citation string) []string {
	cat, err := catalog.Default()
	if err != nil {
		return nil
	}
	p, err := cat.Profile(a.CatalogProfile)
	if err != nil {
		return nil
	}
	e, err := p.Entry(citation)
	if err != nil || e.Citation != citation {
		return nil
	}
	return e.AllQuestions()
}

// SaveResponse records the response to one entry of a draft or in-review
// assessment. Every version saved is kept.
func (db *DB) SaveResponse(ctx context.Context, actor Actor, orgID, id int64, r assess.Response) (assess.Response, error) {
	r = normalResponse(r)
	err := db.update(ctx, func(tx *Tx) error {
		a, err := tx.editable(ctx, orgID, id)
		if err != nil {
			return err
		}
		e, err := entryOf(a, r.Citation)
		if err != nil {
			return err
		}
		r.Citation = e.Citation
		if err := tx.withEvidenceCheck(ctx, orgID, r.EvidenceIDs, assess.ValidateResponse(e, r, questionsOf(a, r.Citation))); err != nil {
			return err
		}
		prev, err := tx.savedVersion(ctx, "assess_responses", id, r.Citation)
		if err != nil {
			return err
		}
		r, err = tx.putResponse(ctx, actor, orgID, id, e, r, prev)
		return err
	})
	if isUniqueViolation(err) || errors.Is(err, errStale) {
		err = conflict("The response was changed by someone else at the same time; reload and try again.")
	}
	if err != nil {
		return assess.Response{}, fmt.Errorf("save response: %w", err)
	}
	return r, nil
}

// normalResponse trims what people type and gives the lists their empty
// value.
func normalResponse(r assess.Response) assess.Response {
	r.Normalize()
	if r.Answers == nil {
		r.Answers = map[string]string{}
	}
	if r.EvidenceIDs == nil {
		r.EvidenceIDs = []int64{}
	}
	if r.RiskIDs == nil {
		r.RiskIDs = []int64{}
	}
	return r
}

// errStale is a row whose version moved between reading and writing it.
var errStale = errors.New("stale version")

// saved is what a change needs to know of the stored version of a
// response or decision; Version is 0 when there is none.
type saved struct {
	Version int
	Status  string // the response status or decision outcome
	By      string
	At      time.Time
}

// savedVersion reads the stored version of the response or decision
// (table assess_responses or assess_decisions) to citation.
func (tx *Tx) savedVersion(ctx context.Context, table string, id int64, citation string) (saved, error) {
	col := "status"
	if table == "assess_decisions" {
		col = "outcome"
	}
	var s saved
	err := tx.queryRow(ctx, `SELECT version, `+col+`, updated_by, updated_at FROM `+table+` WHERE assessment_id = ? AND citation = ?`, id, citation).
		Scan(&s.Version, &s.Status, &s.By, timeValue{&s.At})
	if errors.Is(err, sql.ErrNoRows) {
		return saved{}, nil
	}
	return s, err
}

// putResponse stores r, valid for entry e, as the version after prev, with
// its audit entry. It returns errStale when another version was stored
// since prev was read.
func (tx *Tx) putResponse(ctx context.Context, actor Actor, orgID, id int64, e assess.EntrySnapshot, r assess.Response, prev saved) (assess.Response, error) {
	r.Version, r.UpdatedAt, r.UpdatedBy = prev.Version+1, tx.now, actor.Name
	args := []any{string(r.Status), r.NAReason, r.Narrative, r.Owner, nullTime(r.TargetDate), jsonText(r.Answers),
		jsonText(r.EvidenceIDs), jsonText(r.RiskIDs), r.Version, tx.now, actor.Name}
	if prev.Version == 0 {
		if _, err := tx.exec(ctx, `INSERT INTO assess_responses (status, na_reason, narrative, owner, target_date, answers, evidence_ids, risk_ids, version, updated_at, updated_by, assessment_id, citation)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, id, r.Citation)...); err != nil {
			return r, err
		}
	} else {
		// The version in the condition makes a change saved meanwhile by a
		// concurrent transaction a conflict rather than a lost update.
		res, err := tx.exec(ctx, `UPDATE assess_responses SET status = ?, na_reason = ?, narrative = ?, owner = ?, target_date = ?, answers = ?,
			evidence_ids = ?, risk_ids = ?, version = ?, updated_at = ?, updated_by = ? WHERE assessment_id = ? AND citation = ? AND version = ?`,
			append(args, id, r.Citation, prev.Version)...)
		if err != nil {
			return r, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return r, err
		} else if n == 0 {
			return r, errStale
		}
	}
	if err := tx.saveResponseVersion(ctx, id, r); err != nil {
		return r, err
	}
	if err := tx.linkEvidence(ctx, id, r.Citation, r.EvidenceIDs); err != nil {
		return r, err
	}
	if err := tx.lapseReview(ctx, actor, orgID, id, string(e.Category), r.Citation); err != nil {
		return r, err
	}
	summary := fmt.Sprintf("%s %s: %s (version %d)", r.Citation, e.Title, r.Status, r.Version)
	if prev.Version > 0 && prev.Status != string(r.Status) {
		summary = fmt.Sprintf("%s %s: %s → %s (version %d)", r.Citation, e.Title, prev.Status, r.Status, r.Version)
	}
	return r, tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "assess.response",
		Object: fmt.Sprintf("assessment:%d/%s", id, r.Citation), Summary: summary})
}

// linkEvidence records which evidence the current response for citation
// links, for EvidenceUsePage, replacing what it linked before.
func (tx *Tx) linkEvidence(ctx context.Context, id int64, citation string, ids []int64) error {
	if _, err := tx.exec(ctx, `DELETE FROM assess_response_evidence WHERE assessment_id = ? AND citation = ?`, id, citation); err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, e := range ids {
		if seen[e] {
			continue
		}
		seen[e] = true
		if _, err := tx.exec(ctx, `INSERT INTO assess_response_evidence (assessment_id, citation, evidence_id) VALUES (?, ?, ?)`, id, citation, e); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) saveResponseVersion(ctx context.Context, id int64, r assess.Response) error {
	_, err := tx.exec(ctx, `INSERT INTO assess_response_versions (assessment_id, citation, version, status, na_reason, narrative, owner, target_date,
		answers, evidence_ids, risk_ids, saved_at, saved_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, r.Citation, r.Version, string(r.Status), r.NAReason, r.Narrative, r.Owner, nullTime(r.TargetDate),
		jsonText(r.Answers), jsonText(r.EvidenceIDs), jsonText(r.RiskIDs), r.UpdatedAt, r.UpdatedBy)
	return err
}

// SaveDecision records the §164.306(d)(3) decision for one addressable
// specification. Every version saved is kept.
func (db *DB) SaveDecision(ctx context.Context, actor Actor, orgID, id int64, d assess.Decision) (assess.Decision, error) {
	d = normalDecision(d)
	err := db.update(ctx, func(tx *Tx) error {
		if d.DecidedAt.IsZero() {
			d.DecidedAt = tx.now
		}
		a, err := tx.editable(ctx, orgID, id)
		if err != nil {
			return err
		}
		e, err := entryOf(a, d.Citation)
		if err != nil {
			return err
		}
		d.Citation = e.Citation
		if err := assess.ValidateDecision(e, d); err != nil {
			return err
		}
		r, err := tx.currentResponse(ctx, id, d.Citation)
		if err != nil {
			return err
		}
		if err := assess.CheckAgreement(d, r).Err(); err != nil {
			return err
		}
		prev, err := tx.savedVersion(ctx, "assess_decisions", id, d.Citation)
		if err != nil {
			return err
		}
		d, err = tx.putDecision(ctx, actor, orgID, id, e, d, prev)
		return err
	})
	if isUniqueViolation(err) || errors.Is(err, errStale) {
		err = conflict("The decision was changed by someone else at the same time; reload and try again.")
	}
	if err != nil {
		return assess.Decision{}, fmt.Errorf("save decision: %w", err)
	}
	return d, nil
}

// currentResponse is the saved response to citation, the zero Response when
// none has been saved.
func (tx *Tx) currentResponse(ctx context.Context, id int64, citation string) (assess.Response, error) {
	rs, err := tx.responses(ctx, `SELECT `+responseColumns+` FROM assess_responses WHERE assessment_id = ? AND citation = ?`, id, citation)
	if err != nil || len(rs) == 0 {
		return assess.Response{}, err
	}
	return rs[0], nil
}

func normalDecision(d assess.Decision) assess.Decision {
	d.Normalize()
	if d.Factors == nil {
		d.Factors = map[catalog.Factor]string{}
	}
	return d
}

// putDecision stores d, valid for entry e, as the version after prev, with
// its audit entry. It returns errStale when another version was stored
// since prev was read.
func (tx *Tx) putDecision(ctx context.Context, actor Actor, orgID, id int64, e assess.EntrySnapshot, d assess.Decision, prev saved) (assess.Decision, error) {
	d.Version = prev.Version + 1
	args := []any{string(d.Outcome), d.Alternative, d.Rationale, jsonText(d.Factors), d.RiskAnalysisRef, d.DecidedBy, d.DecidedAt.UTC(),
		d.Version, tx.now, actor.Name}
	if prev.Version == 0 {
		if _, err := tx.exec(ctx, `INSERT INTO assess_decisions (outcome, alternative, rationale, factors, risk_analysis_ref, decided_by, decided_at, version, updated_at, updated_by, assessment_id, citation)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, id, d.Citation)...); err != nil {
			return d, err
		}
	} else {
		res, err := tx.exec(ctx, `UPDATE assess_decisions SET outcome = ?, alternative = ?, rationale = ?, factors = ?, risk_analysis_ref = ?,
			decided_by = ?, decided_at = ?, version = ?, updated_at = ?, updated_by = ? WHERE assessment_id = ? AND citation = ? AND version = ?`,
			append(args, id, d.Citation, prev.Version)...)
		if err != nil {
			return d, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return d, err
		} else if n == 0 {
			return d, errStale
		}
	}
	if _, err := tx.exec(ctx, `INSERT INTO assess_decision_versions (assessment_id, citation, version, outcome, alternative, rationale, factors,
		risk_analysis_ref, decided_by, decided_at, saved_at, saved_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, d.Citation, d.Version, string(d.Outcome), d.Alternative, d.Rationale, jsonText(d.Factors), d.RiskAnalysisRef,
		d.DecidedBy, d.DecidedAt.UTC(), tx.now, actor.Name); err != nil {
		return d, err
	}
	if err := tx.lapseReview(ctx, actor, orgID, id, string(e.Category), d.Citation); err != nil {
		return d, err
	}
	return d, tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "assess.decision",
		Object:  fmt.Sprintf("assessment:%d/%s", id, d.Citation),
		Summary: fmt.Sprintf("%s %s: %s, decided by %s (version %d)", d.Citation, e.Title, d.Outcome, d.DecidedBy, d.Version)})
}

// SaveEntries records edits to several entries of a draft or in-review
// assessment in one transaction: every response and decision with its
// audit entry, or nothing. When any entry has invalid fields or was saved
// by someone else after the version its edit was made over, it returns an
// *assess.BatchError naming every such entry, and nothing is saved.
func (db *DB) SaveEntries(ctx context.Context, actor Actor, orgID, id int64, edits []assess.Edit) ([]assess.Edit, error) {
	out := make([]assess.Edit, len(edits))
	err := db.update(ctx, func(tx *Tx) error {
		a, err := tx.editable(ctx, orgID, id)
		if err != nil {
			return err
		}
		cat, err := catalog.Default()
		if err != nil {
			return err
		}
		entries := make([]assess.EntrySnapshot, len(edits))
		prevR, prevD := make([]saved, len(edits)), make([]saved, len(edits))
		var bad []assess.EntryProblem
		seen := map[string]bool{}
		for i, ed := range edits {
			e, ok := a.Resolve(cat, ed.Citation)
			if !ok {
				bad = append(bad, assess.EntryProblem{Citation: ed.Citation, Response: validate.Error{"citation": fmt.Sprintf("%q is not an entry of this assessment", ed.Citation)}})
				continue
			}
			if seen[e.Citation] {
				bad = append(bad, assess.EntryProblem{Citation: e.Citation, Response: validate.Error{"citation": "appears more than once in the change"}})
				continue
			}
			seen[e.Citation] = true
			entries[i] = e
			ed.Citation = e.Citation
			if ed.Response != nil {
				r := normalResponse(*ed.Response)
				r.Citation = e.Citation
				ed.Response = &r
			}
			if ed.Decision != nil {
				d := normalDecision(*ed.Decision)
				d.Citation = e.Citation
				if d.DecidedAt.IsZero() {
					d.DecidedAt = tx.now
				}
				ed.Decision = &d
			}
			out[i] = ed
			p := ed.Check(e, questionsOf(a, e.Citation))
			if ed.Response != nil {
				if err := tx.withEvidenceCheck(ctx, orgID, ed.Response.EvidenceIDs, p.Response.Err()); err != nil {
					var v validate.Error
					if !errors.As(err, &v) {
						return err
					}
					p.Response = v
				}
				if prevR[i], err = tx.savedVersion(ctx, "assess_responses", id, e.Citation); err != nil {
					return err
				}
				if prevR[i].Version != ed.ResponseBase {
					p.Conflicts = append(p.Conflicts, conflictOf(assess.PartResponse, ed.ResponseBase, prevR[i]))
				}
			}
			if ed.Decision != nil {
				// The decision must agree with the response as it will stand:
				// the one in this change, else the one saved.
				r := ed.Response
				if r == nil {
					cur, err := tx.currentResponse(ctx, id, e.Citation)
					if err != nil {
						return err
					}
					r = &cur
				}
				if len(p.Decision) == 0 {
					if agree := assess.CheckAgreement(*ed.Decision, *r); len(agree) > 0 {
						p.Decision = agree
					}
				}
				if prevD[i], err = tx.savedVersion(ctx, "assess_decisions", id, e.Citation); err != nil {
					return err
				}
				if prevD[i].Version != ed.DecisionBase {
					p.Conflicts = append(p.Conflicts, conflictOf(assess.PartDecision, ed.DecisionBase, prevD[i]))
				}
			}
			if !p.OK() {
				bad = append(bad, p)
			}
		}
		if len(bad) > 0 {
			return &assess.BatchError{Entries: bad}
		}
		for i, ed := range out {
			if ed.Response != nil {
				r, err := tx.putResponse(ctx, actor, orgID, id, entries[i], *ed.Response, prevR[i])
				if err != nil {
					return batchWriteError(err, ed, assess.PartResponse)
				}
				out[i].Response = &r
			}
			if ed.Decision != nil {
				d, err := tx.putDecision(ctx, actor, orgID, id, entries[i], *ed.Decision, prevD[i])
				if err != nil {
					return batchWriteError(err, ed, assess.PartDecision)
				}
				out[i].Decision = &d
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("save entries: %w", err)
	}
	return out, nil
}

func conflictOf(part assess.Part, edited int, now saved) assess.Conflict {
	return assess.Conflict{Part: part, Edited: edited, Current: now.Version, By: now.By, At: now.At}
}

// batchWriteError turns a write that lost a race with a concurrent
// transaction into the conflict of its entry.
func batchWriteError(err error, ed assess.Edit, part assess.Part) error {
	if !errors.Is(err, errStale) && !isUniqueViolation(err) {
		return err
	}
	c := assess.Conflict{Part: part, Edited: ed.ResponseBase, By: "someone else"}
	if part == assess.PartDecision {
		c.Edited = ed.DecisionBase
	}
	return &assess.BatchError{Entries: []assess.EntryProblem{{Citation: ed.Citation, Conflicts: []assess.Conflict{c}}}}
}

// ReviewCategory records that rev.ReviewedBy reviewed one category of the
// assessment; a second review replaces the first (the audit log keeps both).
func (db *DB) ReviewCategory(ctx context.Context, actor Actor, orgID, id int64, rev assess.CategoryReview) (assess.CategoryReview, error) {
	rev.ReviewedBy, rev.Note, rev.Reviewer = strings.TrimSpace(rev.ReviewedBy), strings.TrimSpace(rev.Note), actor.Name
	err := db.update(ctx, func(tx *Tx) error {
		s, err := tx.sheet(ctx, orgID, id)
		if err != nil {
			return err
		}
		a := s.Assessment
		if err := refused(a.CheckEditable()); err != nil {
			return err
		}
		if err := assess.ValidateReview(a, rev); err != nil {
			return err
		}
		if b := assess.EntryBlockers(assess.Blockers(a, s.Responses, s.Decisions, s.Reviews), rev.Category); len(b) > 0 {
			return &assess.NotReadyError{Step: assess.StepReview, Blockers: b}
		}
		rev.ReviewedAt = tx.now
		if _, err := tx.exec(ctx, `INSERT INTO assess_reviews (assessment_id, category, reviewed_by, reviewed_at, note, reviewer) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (assessment_id, category) DO UPDATE SET reviewed_by = excluded.reviewed_by, reviewed_at = excluded.reviewed_at,
				note = excluded.note, reviewer = excluded.reviewer`,
			id, string(rev.Category), rev.ReviewedBy, tx.now, rev.Note, rev.Reviewer); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "assess.review", Object: fmt.Sprintf("assessment:%d/%s", id, rev.Category),
			Summary: fmt.Sprintf("%s safeguards reviewed by %s", rev.Category, rev.ReviewedBy)})
	})
	if err != nil {
		return assess.CategoryReview{}, fmt.Errorf("review category: %w", err)
	}
	return rev, nil
}

// SubmitAssessment moves a draft to review. It returns an
// *assess.NotReadyError while any entry is incomplete (assess.EntryBlockers):
// the reviewers review a finished record.
func (db *DB) SubmitAssessment(ctx context.Context, actor Actor, orgID, id int64) (assess.Assessment, error) {
	var a assess.Assessment
	err := db.update(ctx, func(tx *Tx) error {
		s, err := tx.sheet(ctx, orgID, id)
		if err != nil {
			return err
		}
		a = s.Assessment
		if err := refused(a.CheckEditable()); err != nil {
			return err
		}
		if a.Status != assess.StatusDraft {
			return conflictf("Assessment %q is already in review.", a.Name)
		}
		if b := assess.EntryBlockers(assess.Blockers(a, s.Responses, s.Decisions, s.Reviews), ""); len(b) > 0 {
			return &assess.NotReadyError{Step: assess.StepSubmit, Blockers: b}
		}
		a.Status = assess.StatusInReview
		if _, err := tx.exec(ctx, `UPDATE assessments SET status = ? WHERE id = ?`, string(a.Status), id); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "assess.submit", Object: fmt.Sprintf("assessment:%d", id),
			Summary: fmt.Sprintf("submitted assessment %q for review", a.Name)})
	})
	if err != nil {
		return assess.Assessment{}, fmt.Errorf("submit assessment: %w", err)
	}
	return a, nil
}

// FinaliseAssessment signs an assessment in review off. It returns an
// *assess.NotReadyError listing the blockers while any remain, and a
// validate.Error when the signer has not confirmed assess.Attestation or,
// where the organisation's review rule asks for it, was the only reviewer
// (assess.CheckSignOff). A final assessment is immutable and kept six years
// from its last effective date; the assessment it replaces stops being
// effective now.
func (db *DB) FinaliseAssessment(ctx context.Context, actor Actor, orgID, id int64, so assess.SignOff) (assess.Assessment, error) {
	var a assess.Assessment
	err := db.update(ctx, func(tx *Tx) error {
		s, err := tx.sheet(ctx, orgID, id)
		if err != nil {
			return err
		}
		a = s.Assessment
		switch a.Status {
		case assess.StatusFinal:
			return refused(a.CheckEditable())
		case assess.StatusDraft:
			return conflictf("Assessment %q is a draft: submit it for review before signing it off.", a.Name)
		}
		if b := assess.Blockers(a, s.Responses, s.Decisions, s.Reviews); len(b) > 0 {
			return &assess.NotReadyError{Step: assess.StepFinalise, Blockers: b}
		}
		p, err := tx.orgProfile(ctx, orgID)
		if err != nil {
			return err
		}
		members, err := tx.memberCount(ctx, orgID)
		if err != nil {
			return err
		}
		so.Actor = cmpOr(so.Actor, actor.Name)
		if err := assess.CheckSignOff(a, s.Reviews, so, p.ReviewRule, members); err != nil {
			return err
		}
		// The assessment in effect until now stops being effective today.
		if _, err := tx.exec(ctx, `UPDATE assessments SET last_effective = ?, retain_until = ?
			WHERE org_id = ? AND status = 'final' AND id <> ? AND (last_effective IS NULL OR last_effective = finalised_at)`,
			tx.now, assess.RetainUntil(tx.now), orgID, id); err != nil {
			return err
		}
		a.Status, a.FinalisedAt, a.FinalisedBy, a.Attestation = assess.StatusFinal, tx.now, strings.TrimSpace(so.By), assess.Attestation
		a.LastEffective, a.RetainUntil = tx.now, assess.RetainUntil(tx.now)
		a.Scope = assess.Scope{Systems: p.Systems, Locations: p.Locations}
		if _, err := tx.exec(ctx, `UPDATE assessments SET status = ?, finalised_at = ?, finalised_by = ?, last_effective = ?, retain_until = ?, scope = ?, attestation = ? WHERE id = ?`,
			string(a.Status), a.FinalisedAt, a.FinalisedBy, a.LastEffective, a.RetainUntil, jsonText(a.Scope), a.Attestation, id); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "assess.finalise", Object: fmt.Sprintf("assessment:%d", id),
			Summary: fmt.Sprintf("signed off assessment %q as %s; in effect until a newer one is signed off, kept six years after", a.Name, a.FinalisedBy)})
	})
	if err != nil {
		return assess.Assessment{}, fmt.Errorf("finalise assessment: %w", err)
	}
	return a, nil
}

// NeedsSecondReviewer reports whether signing off an assessment of the
// organisation needs a reviewer other than the signer: its profile's review
// rule, applied to its number of members (assess.ReviewRule).
func (db *DB) NeedsSecondReviewer(ctx context.Context, orgID int64) (bool, error) {
	var need bool
	err := db.view(ctx, func(tx *Tx) error {
		var rule string
		err := tx.queryRow(ctx, `SELECT review_rule FROM org_profiles WHERE org_id = ?`, orgID).Scan(&rule)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		n, err := tx.memberCount(ctx, orgID)
		need = assess.ReviewRule(rule).NeedsSecondReviewer(n)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sign-off rule of org %d: %w", orgID, err)
	}
	return need, nil
}

// CopyAssessment starts a new draft, a (made by assess.New, usually against
// today's catalogue), with the responses and decisions of assessment from
// for every entry both have. Reviews are not copied: the new assessment is
// reviewed afresh.
func (db *DB) CopyAssessment(ctx context.Context, actor Actor, orgID, from int64, a assess.Assessment) (assess.Assessment, error) {
	err := db.update(ctx, func(tx *Tx) error {
		src, err := tx.sheet(ctx, orgID, from)
		if err != nil {
			return err
		}
		if a, err = tx.createAssessment(ctx, actor, orgID, a, from); err != nil {
			return err
		}
		for _, r := range src.Responses {
			if _, ok := a.Entry(r.Citation); !ok {
				continue
			}
			r.Version, r.UpdatedAt, r.UpdatedBy = 1, tx.now, actor.Name
			if _, err := tx.exec(ctx, `INSERT INTO assess_responses (assessment_id, citation, status, na_reason, narrative, owner, target_date, answers, evidence_ids, risk_ids, version, updated_at, updated_by)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, r.Citation, string(r.Status), r.NAReason, r.Narrative, r.Owner,
				nullTime(r.TargetDate), jsonText(r.Answers), jsonText(r.EvidenceIDs), jsonText(r.RiskIDs), 1, tx.now, actor.Name); err != nil {
				return err
			}
			if err := tx.saveResponseVersion(ctx, a.ID, r); err != nil {
				return err
			}
			if err := tx.linkEvidence(ctx, a.ID, r.Citation, r.EvidenceIDs); err != nil {
				return err
			}
		}
		for _, d := range src.Decisions {
			if _, ok := a.Entry(d.Citation); !ok {
				continue
			}
			for _, table := range []string{"assess_decisions", "assess_decision_versions"} {
				cols, vals := `version, updated_at, updated_by`, `?, ?, ?`
				if table == "assess_decision_versions" {
					cols = `version, saved_at, saved_by`
				}
				if _, err := tx.exec(ctx, `INSERT INTO `+table+` (assessment_id, citation, outcome, alternative, rationale, factors, risk_analysis_ref, decided_by, decided_at, `+cols+`)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, `+vals+`)`, a.ID, d.Citation, string(d.Outcome), d.Alternative, d.Rationale,
					jsonText(d.Factors), d.RiskAnalysisRef, d.DecidedBy, d.DecidedAt.UTC(), 1, tx.now, actor.Name); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if isUniqueViolation(err) {
		err = nameTaken(a.Name, time.Time{})
	}
	if err != nil {
		return assess.Assessment{}, fmt.Errorf("copy assessment: %w", err)
	}
	return a, nil
}

// DeleteAssessment deletes an assessment and everything recorded in it. A
// draft or one in review may go at any time; a final one only after its
// retention date, before which an *assess.RetentionError says when.
func (db *DB) DeleteAssessment(ctx context.Context, actor Actor, orgID, id int64) error {
	err := db.update(ctx, func(tx *Tx) error {
		a, err := tx.assessment(ctx, orgID, id)
		if err != nil {
			return err
		}
		if err := assess.CheckDeletable(a, tx.now); err != nil {
			return refused(err)
		}
		if _, err := tx.exec(ctx, `UPDATE assessments SET copied_from = NULL WHERE copied_from = ?`, id); err != nil {
			return err
		}
		for _, table := range []string{"assess_response_evidence", "assess_reviews", "assess_decision_versions", "assess_decisions", "assess_response_versions", "assess_responses"} {
			if _, err := tx.exec(ctx, `DELETE FROM `+table+` WHERE assessment_id = ?`, id); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `DELETE FROM assessments WHERE id = ?`, id); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "assess.delete", Object: fmt.Sprintf("assessment:%d", id),
			Summary: fmt.Sprintf("deleted %s assessment %q", a.Status, a.Name)})
	})
	if err != nil {
		return fmt.Errorf("delete assessment: %w", err)
	}
	return nil
}

// lapseReview withdraws the review of category in assessment id when an
// entry in it changes afterwards: a security officer's review covers what
// they saw, so the category must be reviewed again. The review and its lapse
// stay in the audit log.
func (tx *Tx) lapseReview(ctx context.Context, actor Actor, orgID, id int64, category, citation string) error {
	res, err := tx.exec(ctx, `DELETE FROM assess_reviews WHERE assessment_id = ? AND category = ?`, id, category)
	if err != nil {
		return fmt.Errorf("lapse review: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "assess.review_lapsed",
		Object:  fmt.Sprintf("assessment:%d/review:%s", id, category),
		Summary: fmt.Sprintf("the %s review lapsed because %s changed after it", category, citation)})
}

// AssessmentChoice is an assessment as a picker offers it: no entries,
// responses or decisions.
type AssessmentChoice struct {
	ID          int64
	Name        string
	Status      assess.Status
	StartedAt   time.Time
	FinalisedAt time.Time
}

// maxAssessmentChoices bounds AssessmentChoices: one a year for a century
// and more.
const maxAssessmentChoices = 200

// AssessmentChoices returns the organisation's assessments, newest first,
// for a picker: names and dates only, read from the index assessments_org.
func (db *DB) AssessmentChoices(ctx context.Context, orgID int64) ([]AssessmentChoice, error) {
	out := []AssessmentChoice{}
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(s scanner) (AssessmentChoice, error) {
			var c AssessmentChoice
			var status string
			err := s.Scan(&c.ID, &c.Name, &status, timeValue{&c.StartedAt}, timeValue{&c.FinalisedAt})
			c.Status = assess.Status(status)
			return c, err
		}, `SELECT id, name, status, started_at, finalised_at FROM assessments WHERE org_id = ? ORDER BY started_at DESC, id DESC LIMIT ?`, orgID, maxAssessmentChoices)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("assessment choices: %w", err)
	}
	return out, nil
}
