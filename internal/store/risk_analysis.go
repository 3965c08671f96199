package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// Documented risk analyses: a draft names its scope; signing it off takes,
// in the same transaction, a snapshot of the inventory, the flows, the
// register, the plan and the organisation's scale, and stamps the analysis
// it replaces with the day it stopped being in effect.

func analysisObject(id int64) string { return fmt.Sprintf("risk_analysis:%d", id) }

// analysisColumns leaves the snapshot out: lists do not decode one per row.
const analysisColumns = `id, org_id, name, scope, status, started_at, finalised_at, finalised_by, attestation,
	last_effective, COALESCE(copied_from, 0)`

// AnalysisRecord is an analysis as stored: the domain's fields with the
// statement its signer confirmed and the end of its retention.
type AnalysisRecord struct {
	risk.Analysis
	Attestation string    `json:"attestation,omitempty"`
	RetainUntil time.Time `json:"retain_until,omitzero"`
}

func scanAnalysis(s scanner) (AnalysisRecord, error) {
	return scanAnalysisWith(s)
}

// scanAnalysisWith reads an analysis, and its snapshot when the query
// selects it after analysisColumns.
func scanAnalysisWith(s scanner, snapshot ...*sql.NullString) (AnalysisRecord, error) {
	var a AnalysisRecord
	dest := []any{&a.ID, &a.OrgID, &a.Name, &a.Scope, &a.Status, timeValue{&a.StartedAt}, timeValue{&a.FinalisedAt},
		&a.FinalisedBy, &a.Attestation, timeValue{&a.LastEffective}, &a.CopiedFrom}
	for _, p := range snapshot {
		dest = append(dest, p)
	}
	if err := s.Scan(dest...); err != nil {
		return a, err
	}
	if until, ok := a.Analysis.RetainUntil(); ok {
		a.RetainUntil = until
	}
	for _, p := range snapshot {
		if p.Valid {
			a.Snapshot = &risk.Snapshot{}
			if err := json.Unmarshal([]byte(p.String), a.Snapshot); err != nil {
				return a, fmt.Errorf("risk analysis %d: snapshot: %w", a.ID, err)
			}
		}
	}
	return a, nil
}

// analysis reads one of the organisation's analyses with its snapshot.
func (tx *Tx) analysis(ctx context.Context, orgID, id int64) (AnalysisRecord, error) {
	var snap sql.NullString
	a, err := scanAnalysisWith(tx.queryRow(ctx, `SELECT `+analysisColumns+`, snapshot FROM risk_analyses WHERE org_id = ? AND id = ?`, orgID, id), &snap)
	if errors.Is(err, sql.ErrNoRows) {
		return AnalysisRecord{}, fmt.Errorf("risk analysis %d: %w", id, ErrNotFound)
	}
	return a, err
}

// inEffect is the organisation's final analysis still in effect (the last
// signed off), with its snapshot; ok is false when none was signed off.
func (tx *Tx) inEffect(ctx context.Context, orgID int64) (AnalysisRecord, bool, error) {
	var snap sql.NullString
	a, err := scanAnalysisWith(tx.queryRow(ctx, `SELECT `+analysisColumns+`, snapshot FROM risk_analyses
		WHERE org_id = ? AND status = 'final' AND last_effective IS NULL ORDER BY finalised_at DESC, id DESC LIMIT 1`, orgID), &snap)
	if errors.Is(err, sql.ErrNoRows) {
		return AnalysisRecord{}, false, nil
	}
	return a, err == nil, err
}

// latest is the organisation's most recently started analysis.
func (tx *Tx) latestAnalysis(ctx context.Context, orgID int64) (AnalysisRecord, bool, error) {
	a, err := scanAnalysis(tx.queryRow(ctx, `SELECT `+analysisColumns+` FROM risk_analyses
		WHERE org_id = ? ORDER BY started_at DESC, id DESC LIMIT 1`, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return AnalysisRecord{}, false, nil
	}
	return a, err == nil, err
}

// analysisNameFree refuses, as a problem on the field name, a name another
// of the organisation's analyses has (letter case aside); the unique index
// risk_analyses_org_name holds it under concurrent writers.
func (tx *Tx) analysisNameFree(ctx context.Context, orgID int64, name string) error {
	var started time.Time
	err := tx.queryRow(ctx, `SELECT started_at FROM risk_analyses WHERE org_id = ? AND lower(name) = lower(?)`, orgID, name).Scan(timeValue{&started})
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	return analysisNameTaken(name, started)
}

func analysisNameTaken(name string, started time.Time) error {
	msg := "is already the name of another of the organisation's risk analyses"
	if !started.IsZero() {
		msg = fmt.Sprintf("is already the name of the risk analysis started on %s", started.UTC().Format("2 January 2006"))
	}
	return validate.Error{"name": fmt.Sprintf("%s: choose another, such as %q", msg, name+" (2)")}
}

// LastAnalysis returns the analysis a new one starts from: the one in
// effect, or else the latest started; ok is false when there is none.
func (db *DB) LastAnalysis(ctx context.Context, orgID int64) (AnalysisRecord, bool, error) {
	var a AnalysisRecord
	var ok bool
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		if a, ok, err = tx.inEffect(ctx, orgID); err != nil || ok {
			return err
		}
		a, ok, err = tx.latestAnalysis(ctx, orgID)
		return err
	})
	if err != nil {
		return AnalysisRecord{}, false, fmt.Errorf("last risk analysis: %w", err)
	}
	return a, ok, nil
}

// CreateAnalysis starts a draft analysis of the organisation. With
// fromLast, an empty scope is copied from the analysis LastAnalysis names,
// and the new one records that it was copied from it. Every problem with
// the fields comes back at once as a validate.Error; nothing is saved.
func (db *DB) CreateAnalysis(ctx context.Context, actor Actor, orgID int64, a risk.Analysis, fromLast bool) (AnalysisRecord, error) {
	var out AnalysisRecord
	err := db.update(ctx, func(tx *Tx) error {
		a.Name, a.Scope = strings.TrimSpace(a.Name), strings.TrimSpace(a.Scope)
		a.ID, a.OrgID, a.Status, a.StartedAt, a.Snapshot = 0, orgID, risk.AnalysisDraft, tx.now, nil
		a.FinalisedAt, a.FinalisedBy, a.LastEffective, a.CopiedFrom = time.Time{}, "", time.Time{}, 0
		if fromLast {
			last, ok, err := tx.inEffect(ctx, orgID)
			if err == nil && !ok {
				last, ok, err = tx.latestAnalysis(ctx, orgID)
			}
			if err != nil {
				return err
			}
			if ok {
				a.CopiedFrom = last.ID
				if a.Scope == "" {
					a.Scope = last.Scope
				}
			}
		}
		p := validate.Error{}
		var v validate.Error
		if errors.As(risk.ValidateAnalysis(a), &v) {
			p = v
		}
		if _, taken := p["name"]; !taken && a.Name != "" {
			var n validate.Error
			if err := tx.analysisNameFree(ctx, orgID, a.Name); errors.As(err, &n) {
				p["name"] = n["name"]
			} else if err != nil {
				return err
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		id, err := tx.insert(ctx, `INSERT INTO risk_analyses (org_id, name, scope, status, started_at, copied_from, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, orgID, a.Name, a.Scope, a.Status, a.StartedAt, nullID(a.CopiedFrom), actor.Name)
		if err != nil {
			return err
		}
		a.ID = id
		out = AnalysisRecord{Analysis: a}
		summary := fmt.Sprintf("started risk analysis %q", a.Name)
		if a.CopiedFrom != 0 {
			summary += fmt.Sprintf(", starting from risk analysis %d", a.CopiedFrom)
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.analysis.create", Object: analysisObject(id), Summary: summary})
	})
	if isUniqueViolation(err) {
		err = analysisNameTaken(a.Name, time.Time{})
	}
	if err != nil {
		return AnalysisRecord{}, fmt.Errorf("create risk analysis: %w", err)
	}
	return out, nil
}

// Analysis returns one of the organisation's analyses, with its snapshot
// once final, or ErrNotFound (also for another organisation's).
func (db *DB) Analysis(ctx context.Context, orgID, id int64) (AnalysisRecord, error) {
	var a AnalysisRecord
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		a, err = tx.analysis(ctx, orgID, id)
		return err
	})
	return a, err
}

// Analyses returns a page of the organisation's analyses, newest first (by
// start, then ID), without their snapshots, and the key of the next page
// (the start time and ID), or nil on the last.
func (db *DB) Analyses(ctx context.Context, orgID int64, p Page) ([]AnalysisRecord, *Key, error) {
	size := p.size()
	query := `SELECT ` + analysisColumns + ` FROM risk_analyses WHERE org_id = ?`
	args := []any{orgID}
	if !p.After.IsZero() {
		started, err := time.Parse(time.RFC3339Nano, p.After.Sort)
		if err != nil {
			return nil, nil, badCursor
		}
		query += ` AND (started_at, id) < (?, ?)`
		args = append(args, started.UTC(), p.After.ID)
	}
	query += ` ORDER BY started_at DESC, id DESC LIMIT ?`
	args = append(args, size+1)
	var out []AnalysisRecord
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanAnalysis, query, args...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list risk analyses: %w", err)
	}
	out, next := cut(out, size, func(a AnalysisRecord) Key {
		return Key{Sort: a.StartedAt.UTC().Format(time.RFC3339Nano), ID: a.ID}
	})
	return out, next, nil
}

// snapshot reads what a final analysis documents, as it stands in tx.
func (tx *Tx) snapshot(ctx context.Context, actor Actor, orgID int64) (risk.Snapshot, error) {
	s := risk.Snapshot{TakenAt: tx.now}
	var err error
	if s.Scale, _, err = tx.orgScale(ctx, actor, orgID, true); err != nil {
		return s, err
	}
	if s.Assets, err = queryAll(ctx, tx, scanAsset, `SELECT `+assetColumns+` FROM assets WHERE org_id = ? ORDER BY name, id`, orgID); err != nil {
		return s, err
	}
	if s.Flows, err = queryAll(ctx, tx, scanFlow, `SELECT `+flowColumns+` FROM flows WHERE org_id = ? ORDER BY id`, orgID); err != nil {
		return s, err
	}
	if s.Risks, err = queryAll(ctx, tx, scanRisk, `SELECT `+riskColumns+` FROM risks WHERE org_id = ? ORDER BY id`, orgID); err != nil {
		return s, err
	}
	if err := tx.riskAssets(ctx, s.Risks); err != nil {
		return s, err
	}
	tasks, err := queryAll(ctx, tx, scanTask, `SELECT `+taskColumns+taskFrom+` WHERE t.org_id = ? ORDER BY t.id`, orgID)
	if err != nil {
		return s, err
	}
	s.Tasks = make([]risk.Task, len(tasks))
	for i, t := range tasks {
		s.Tasks[i] = t.Task
	}
	return s, nil
}

// FinaliseAnalysis signs draft analysis id off as signer ("Name <email>"):
// it needs the signer to have confirmed risk.AnalysisAttestation (attested;
// otherwise a validate.Error on "attest"). In the same transaction it takes
// the snapshot of the inventory, flows, risks, plan and scale, and the
// analysis in effect until now stops being in effect: it is kept six years
// from today. A final analysis is refused with ErrConflict.
func (db *DB) FinaliseAnalysis(ctx context.Context, actor Actor, orgID, id int64, signer string, attested bool) (AnalysisRecord, error) {
	var a AnalysisRecord
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if a, err = tx.analysis(ctx, orgID, id); err != nil {
			return err
		}
		if a.Status == risk.AnalysisFinal {
			return conflictf("Risk analysis %q was signed off on %s and cannot be changed.", a.Name, a.FinalisedAt.Format("2 January 2006"))
		}
		p := validate.Error{}
		if !attested {
			p.Add("attest", "must be confirmed: tick the box to confirm the statement before signing off")
		}
		if strings.TrimSpace(signer) == "" {
			p.Add("signed_by", "is required")
		}
		if err := p.Err(); err != nil {
			return err
		}
		snap, err := tx.snapshot(ctx, actor, orgID)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE risk_analyses SET last_effective = ?, retain_until = ?
			WHERE org_id = ? AND status = 'final' AND last_effective IS NULL AND id <> ?`, tx.now, tx.now.AddDate(6, 0, 0), orgID, id); err != nil {
			return err
		}
		a.Status, a.FinalisedAt, a.FinalisedBy, a.Attestation, a.Snapshot = risk.AnalysisFinal, tx.now, strings.TrimSpace(signer), risk.AnalysisAttestation, &snap
		if _, err := tx.exec(ctx, `UPDATE risk_analyses SET status = ?, finalised_at = ?, finalised_by = ?, attestation = ?, snapshot = ? WHERE id = ?`,
			a.Status, a.FinalisedAt, a.FinalisedBy, a.Attestation, jsonText(snap), id); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.analysis.finalise", Object: analysisObject(id),
			Summary: fmt.Sprintf("signed off risk analysis %q as %s (%d assets, %d flows, %d risks, %d tasks); in effect until a newer one is signed off, kept six years after",
				a.Name, a.FinalisedBy, len(snap.Assets), len(snap.Flows), len(snap.Risks), len(snap.Tasks))})
	})
	if err != nil {
		return AnalysisRecord{}, fmt.Errorf("finalise risk analysis: %w", err)
	}
	return a, nil
}

// DeleteAnalysis deletes an analysis: a draft at any time, a final one only
// once its retention has run out (risk.Analysis.Deletable); before that it
// is refused with ErrConflict and says until when it is kept.
func (db *DB) DeleteAnalysis(ctx context.Context, actor Actor, orgID, id int64) error {
	err := db.update(ctx, func(tx *Tx) error {
		a, err := tx.analysis(ctx, orgID, id)
		if err != nil {
			return err
		}
		if err := a.Deletable(tx.now); err != nil {
			return conflict(asSentence(err.Error()))
		}
		if _, err := tx.exec(ctx, `UPDATE risk_analyses SET copied_from = NULL WHERE copied_from = ?`, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM risk_analyses WHERE id = ?`, id); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.analysis.delete", Object: analysisObject(id),
			Summary: fmt.Sprintf("deleted %s risk analysis %q", a.Status, a.Name)})
	})
	if err != nil {
		return fmt.Errorf("delete risk analysis: %w", err)
	}
	return nil
}

// asSentence makes a domain sentence read as one a person is shown: capital
// first letter, full stop.
func asSentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// AnalysisDue is why a new risk analysis is due and when the inventory and
// the data-flow map are next to be reviewed.
type AnalysisDue struct {
	Triggers []risk.Trigger `json:"triggers"`
	// InEffect is the analysis signed off last, nil when none was.
	InEffect *AnalysisRecord `json:"in_effect,omitempty"`
	// InventoryReview is when the asset reviewed longest ago is next due
	// (a year after its review; an asset never reviewed is due now); zero
	// with no assets. MapReview is a year after the map was last signed
	// off with an analysis (now when it never was).
	InventoryReview time.Time `json:"inventory_review,omitzero"`
	MapReview       time.Time `json:"map_review"`
}

// AnalysisDue tells why a new risk analysis is due at now (risk.Due): the
// analysis in effect, if any, against the organisation's whole inventory
// as it stands. proposed is true under the proposed rule's profile, where
// assets not reviewed for a year are named too.
func (db *DB) AnalysisDue(ctx context.Context, orgID int64, now time.Time, proposed bool) (AnalysisDue, error) {
	var d AnalysisDue
	var assets []risk.Asset
	err := db.view(ctx, func(tx *Tx) error {
		a, ok, err := tx.inEffect(ctx, orgID)
		if err != nil {
			return err
		}
		if ok {
			d.InEffect = &a
		}
		assets, err = queryAll(ctx, tx, scanAsset, `SELECT `+assetColumns+` FROM assets WHERE org_id = ? ORDER BY name, id`, orgID)
		return err
	})
	if err != nil {
		return AnalysisDue{}, fmt.Errorf("risk analysis due: %w", err)
	}
	var in *risk.Analysis
	d.MapReview = now
	if d.InEffect != nil {
		in = &d.InEffect.Analysis
		d.MapReview = d.InEffect.FinalisedAt.AddDate(1, 0, 0)
	}
	d.Triggers = risk.Due(in, assets, now, proposed)
	for _, a := range assets {
		if a.Lifecycle == risk.LifecycleRetired {
			continue
		}
		next := now
		if !a.Reviewed.IsZero() {
			next = a.Reviewed.AddDate(1, 0, 0)
		}
		if d.InventoryReview.IsZero() || next.Before(d.InventoryReview) {
			d.InventoryReview = next
		}
	}
	return d, nil
}
