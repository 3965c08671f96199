package store

import (
	"context"
	"fmt"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// Keyset pages of an organisation's assessments, the versions of one
// response, and its evidence: each reads one index range (see paging.go).

// badCursor is the answer to a key this server could not have issued: one
// that decodes but whose sort value is not of the list's kind.
var badCursor = validate.Error{"cursor": "is not a cursor this server issued"}

// AssessmentPage returns a page of the organisation's assessments, newest
// first (by start, then ID), and the key of the next page, or nil on the
// last. The key's Sort is the start time.
func (db *DB) AssessmentPage(ctx context.Context, orgID int64, p Page) ([]assess.Assessment, *Key, error) {
	size := p.size()
	query, args, err := assessmentPageSQL(orgID, p.After, size)
	if err != nil {
		return nil, nil, err
	}
	out := []assess.Assessment{}
	err = db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, tx.db.scanAssessment, query, args...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list assessments: %w", err)
	}
	out, next := cut(out, size, func(a assess.Assessment) Key {
		return Key{Sort: a.StartedAt.UTC().Format(time.RFC3339Nano), ID: a.ID}
	})
	return out, next, nil
}

// assessmentPageSQL is AssessmentPage's query, served by the index
// assessments_org (org_id, started_at, id).
func assessmentPageSQL(orgID int64, after Key, size int) (string, []any, error) {
	query := `SELECT ` + assessmentColumns + ` FROM assessments WHERE org_id = ?`
	args := []any{orgID}
	if !after.IsZero() {
		started, err := time.Parse(time.RFC3339Nano, after.Sort)
		if err != nil {
			return "", nil, badCursor
		}
		query += ` AND (started_at, id) < (?, ?)`
		args = append(args, started.UTC(), after.ID)
	}
	return query + ` ORDER BY started_at DESC, id DESC LIMIT ?`, append(args, size+1), nil
}

// ResponseVersionPage returns a page of the saved versions of the response
// for citation in assessment id, oldest first, and the key of the next
// page (the version number), or nil on the last.
func (db *DB) ResponseVersionPage(ctx context.Context, orgID, id int64, citation string, p Page) ([]assess.Response, *Key, error) {
	size := p.size()
	query, args := responseVersionPageSQL(id, citation, p.After, size)
	var out []assess.Response
	err := db.view(ctx, func(tx *Tx) error {
		if _, err := tx.assessment(ctx, orgID, id); err != nil {
			return err
		}
		var err error
		out, err = tx.responses(ctx, query, args...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("response versions: %w", err)
	}
	out, next := cut(out, size, func(r assess.Response) Key { return Key{ID: int64(r.Version)} })
	return out, next, nil
}

// responseVersionPageSQL is ResponseVersionPage's query, served by the
// unique index on (assessment_id, citation, version).
func responseVersionPageSQL(id int64, citation string, after Key, size int) (string, []any) {
	query := `SELECT citation, status, na_reason, narrative, owner, target_date, answers, evidence_ids, risk_ids, version, saved_at, saved_by
		FROM assess_response_versions WHERE assessment_id = ? AND citation = ?`
	args := []any{id, citation}
	if !after.IsZero() {
		query += ` AND version > ?`
		args = append(args, after.ID)
	}
	return query + ` ORDER BY version LIMIT ?`, append(args, size+1)
}

// EvidencePage returns a page of the organisation's evidence, newest first,
// retired evidence included, and the key of the next page, or nil on the
// last.
func (db *DB) EvidencePage(ctx context.Context, orgID int64, p Page) ([]assess.Evidence, *Key, error) {
	size := p.size()
	query, args := evidencePageSQL(orgID, p.After, size)
	out := []assess.Evidence{}
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanEvidence, query, args...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list evidence: %w", err)
	}
	out, next := cut(out, size, func(e assess.Evidence) Key { return Key{ID: e.ID} })
	return out, next, nil
}

// evidencePageSQL is EvidencePage's query, served by the index evidence_org
// (org_id, id).
func evidencePageSQL(orgID int64, after Key, size int) (string, []any) {
	query := `SELECT ` + evidenceColumns + ` FROM evidence WHERE org_id = ?`
	args := []any{orgID}
	if !after.IsZero() {
		query += ` AND id < ?`
		args = append(args, after.ID)
	}
	return query + ` ORDER BY id DESC LIMIT ?`, append(args, size+1)
}

// ResponseHistory returns a page of the saved versions of the response to
// citation in assessment id, newest first, and the key of the next (older)
// page, or nil on the last. The unique index on (assessment_id, citation,
// version) serves it read backwards.
func (db *DB) ResponseHistory(ctx context.Context, orgID, id int64, citation string, p Page) ([]assess.Response, *Key, error) {
	return history(ctx, db, orgID, id, p, `SELECT citation, status, na_reason, narrative, owner, target_date, answers, evidence_ids, risk_ids, version, saved_at, saved_by
		FROM assess_response_versions WHERE assessment_id = ? AND citation = ?`, citation, (*Tx).responses, func(r assess.Response) int { return r.Version })
}

// DecisionHistory returns a page of the saved versions of the decision for
// citation in assessment id, newest first, and the key of the next (older)
// page, or nil on the last.
func (db *DB) DecisionHistory(ctx context.Context, orgID, id int64, citation string, p Page) ([]assess.Decision, *Key, error) {
	return history(ctx, db, orgID, id, p, `SELECT `+decisionColumns+` FROM assess_decision_versions WHERE assessment_id = ? AND citation = ?`,
		citation, (*Tx).decisions, func(d assess.Decision) int { return d.Version })
}

// history reads a page of versions of one entry of an assessment of orgID,
// newest first: query selects them by assessment and citation, read scans
// them, and version numbers them for the cursor.
func history[T any](ctx context.Context, db *DB, orgID, id int64, p Page, query, citation string,
	read func(*Tx, context.Context, string, ...any) ([]T, error), version func(T) int) ([]T, *Key, error) {
	size := p.size()
	args := []any{id, citation}
	if !p.After.IsZero() {
		query += ` AND version < ?`
		args = append(args, p.After.ID)
	}
	query += ` ORDER BY version DESC LIMIT ?`
	args = append(args, size+1)
	var out []T
	err := db.view(ctx, func(tx *Tx) error {
		if _, err := tx.assessment(ctx, orgID, id); err != nil {
			return err
		}
		var err error
		out, err = read(tx, ctx, query, args...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("history of %s: %w", citation, err)
	}
	out, next := cut(out, size, func(v T) Key { return Key{ID: int64(version(v))} })
	return out, next, nil
}

// LastFinalAssessment returns the organisation's most recently finalised
// assessment (the one in effect), and false when none is final yet: what
// the re-assessment triggers and the copy-from default need, read as one
// row instead of every assessment.
func (db *DB) LastFinalAssessment(ctx context.Context, orgID int64) (assess.Assessment, bool, error) {
	var out []assess.Assessment
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, tx.db.scanAssessment, `SELECT `+assessmentColumns+` FROM assessments
			WHERE org_id = ? AND status = ? ORDER BY finalised_at DESC, id DESC LIMIT 1`, orgID, string(assess.StatusFinal))
		return err
	})
	if err != nil {
		return assess.Assessment{}, false, fmt.Errorf("last final assessment: %w", err)
	}
	if len(out) == 0 {
		return assess.Assessment{}, false, nil
	}
	return out[0], true, nil
}

// Triggers lists why the organisation is due for a re-assessment as of now
// (assess.Triggers), from its profile and its last final assessment.
func (db *DB) Triggers(ctx context.Context, p assess.Profile) ([]assess.Trigger, error) {
	last, ok, err := db.LastFinalAssessment(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	var as []assess.Assessment
	if ok {
		as = []assess.Assessment{last}
	}
	return assess.Triggers(p, as, db.Now().UTC()), nil
}
