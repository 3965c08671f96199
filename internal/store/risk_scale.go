package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// An organisation's rating scales. A scale is never changed once stored:
// a risk rated on it keeps it (risks.scale_id), so a new set of labels,
// colours or matrix is a new scale, which the organisation then makes its
// current one (SetOrgScale) and may move its risks to (RerateRisks).

func scaleObject(id int64) string { return fmt.Sprintf("risk_scale:%d", id) }

func scanScale(s scanner) (risk.Scale, error) {
	var sc risk.Scale
	var def string
	if err := s.Scan(&sc.ID, &def); err != nil {
		return risk.Scale{}, err
	}
	id := sc.ID
	if err := json.Unmarshal([]byte(def), &sc); err != nil {
		return risk.Scale{}, fmt.Errorf("scale %d: %w", id, err)
	}
	sc.ID = id
	return sc, nil
}

func (tx *Tx) scale(ctx context.Context, orgID, id int64) (risk.Scale, error) {
	sc, err := scanScale(tx.queryRow(ctx, `SELECT id, definition FROM risk_scales WHERE org_id = ? AND id = ?`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return risk.Scale{}, fmt.Errorf("scale %d: %w", id, ErrNotFound)
	}
	return sc, err
}

// orgScale is the organisation's current scale; with create, the 3 × 3
// default is stored and made current when it has none yet.
func (tx *Tx) orgScale(ctx context.Context, actor Actor, orgID int64, create bool) (risk.Scale, bool, error) {
	var id int64
	err := tx.queryRow(ctx, `SELECT scale_id FROM org_risk_settings WHERE org_id = ?`, orgID).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows) && create:
		sc, err := tx.createScale(ctx, actor, orgID, risk.ThreeByThree())
		if err != nil {
			return risk.Scale{}, false, err
		}
		return sc, true, tx.setOrgScale(ctx, actor, orgID, sc)
	case errors.Is(err, sql.ErrNoRows):
		return risk.Scale{}, false, nil
	case err != nil:
		return risk.Scale{}, false, err
	}
	sc, err := tx.scale(ctx, orgID, id)
	return sc, err == nil, err
}

// OrgScale returns the organisation's current rating scale. An organisation
// that has none yet gets the 3 × 3 default (risk.ThreeByThree), stored as
// its first scale.
func (db *DB) OrgScale(ctx context.Context, orgID int64) (risk.Scale, error) {
	actor := Actor{Name: "system:default rating scale"}
	var sc risk.Scale
	var ok bool
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		sc, ok, err = tx.orgScale(ctx, actor, orgID, false)
		return err
	})
	if err == nil && !ok {
		err = db.update(ctx, func(tx *Tx) error {
			var err error
			sc, _, err = tx.orgScale(ctx, actor, orgID, true)
			return err
		})
		if isUniqueViolation(err) {
			// Another request stored the default first: read it.
			err = db.view(ctx, func(tx *Tx) error {
				var err error
				sc, _, err = tx.orgScale(ctx, actor, orgID, false)
				return err
			})
		}
	}
	if err != nil {
		return risk.Scale{}, fmt.Errorf("scale of org %d: %w", orgID, err)
	}
	return sc, nil
}

func (tx *Tx) createScale(ctx context.Context, actor Actor, orgID int64, sc risk.Scale) (risk.Scale, error) {
	sc.ID = 0
	sc.Name = strings.TrimSpace(sc.Name)
	if err := sc.Validate(); err != nil {
		return risk.Scale{}, err
	}
	id, err := tx.insert(ctx, `INSERT INTO risk_scales (org_id, name, definition, created_at, created_by) VALUES (?, ?, ?, ?, ?)`,
		orgID, sc.Name, jsonText(sc), tx.now, actor.Name)
	if err != nil {
		return risk.Scale{}, err
	}
	sc.ID = id
	return sc, tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.scale.create", Object: scaleObject(id),
		Summary: fmt.Sprintf("added the rating scale %q: %d likelihood grades, %d impact grades, levels %s",
			sc.Name, len(sc.Likelihood), len(sc.Impact), levelNames(sc))})
}

func levelNames(sc risk.Scale) string {
	names := make([]string, len(sc.Levels))
	for i, l := range sc.Levels {
		names[i] = l.Label
	}
	return strings.Join(names, ", ")
}

// CreateScale stores a new rating scale for the organisation, checked with
// Scale.Validate. It does not become the current one until SetOrgScale.
func (db *DB) CreateScale(ctx context.Context, actor Actor, orgID int64, sc risk.Scale) (risk.Scale, error) {
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		sc, err = tx.createScale(ctx, actor, orgID, sc)
		return err
	})
	if err != nil {
		return risk.Scale{}, fmt.Errorf("create scale: %w", err)
	}
	return sc, nil
}

func (tx *Tx) setOrgScale(ctx context.Context, actor Actor, orgID int64, sc risk.Scale) error {
	res, err := tx.exec(ctx, `UPDATE org_risk_settings SET scale_id = ?, updated_at = ?, updated_by = ? WHERE org_id = ?`, sc.ID, tx.now, actor.Name, orgID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		if _, err := tx.exec(ctx, `INSERT INTO org_risk_settings (org_id, scale_id, updated_at, updated_by) VALUES (?, ?, ?, ?)`, orgID, sc.ID, tx.now, actor.Name); err != nil {
			return err
		}
	}
	return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.scale.set", Object: scaleObject(sc.ID),
		Summary: fmt.Sprintf("made %q the organisation's rating scale; earlier ratings keep the scale they were made on", sc.Name)})
}

// SetOrgScale makes scale id, one of the organisation's, its current scale:
// new risks are rated on it and the heat map shows it. Risks rated on
// another scale keep theirs until re-rated (RerateRisks).
func (db *DB) SetOrgScale(ctx context.Context, actor Actor, orgID, id int64) (risk.Scale, error) {
	var sc risk.Scale
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if sc, err = tx.scale(ctx, orgID, id); err != nil {
			return err
		}
		return tx.setOrgScale(ctx, actor, orgID, sc)
	})
	if err != nil {
		return risk.Scale{}, fmt.Errorf("set scale: %w", err)
	}
	return sc, nil
}

// Scale returns one of the organisation's scales, or ErrNotFound (also for
// another organisation's).
func (db *DB) Scale(ctx context.Context, orgID, id int64) (risk.Scale, error) {
	var sc risk.Scale
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		sc, err = tx.scale(ctx, orgID, id)
		return err
	})
	return sc, err
}

// Scales returns every scale the organisation has stored, oldest first (an
// organisation has a handful).
func (db *DB) Scales(ctx context.Context, orgID int64) ([]risk.Scale, error) {
	var out []risk.Scale
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanScale, `SELECT id, definition FROM risk_scales WHERE org_id = ? ORDER BY id`, orgID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("scales of org %d: %w", orgID, err)
	}
	return out, nil
}

// RiskRating is a risk's ratings on the scale a bulk re-rating moves it to.
// Version is the version of the risk the ratings were decided on (0 skips
// the check).
type RiskRating struct {
	RiskID   int64       `json:"risk_id"`
	Version  int         `json:"version,omitempty"`
	Inherent risk.Rating `json:"inherent"`
	Current  risk.Rating `json:"current"`
	Target   risk.Rating `json:"target,omitzero"`
}

// RerateRisks moves risks onto the organisation's scale toScaleID with the
// ratings given (risk.Rescale makes the suggestion a person confirms), in
// one transaction: every rating is checked on the new scale first, and a
// problem with any of them (keyed "risks.<id>.current.likelihood") saves
// none. Each risk gets a new version and its audit entry.
func (db *DB) RerateRisks(ctx context.Context, actor Actor, orgID, toScaleID int64, ratings []RiskRating) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *Tx) error {
		to, err := tx.scale(ctx, orgID, toScaleID)
		if err != nil {
			return err
		}
		p := validate.Error{}
		type move struct {
			r    risk.Risk
			was  string
			prev int
		}
		var moves []move
		for _, rr := range ratings {
			r, err := tx.risk(ctx, orgID, rr.RiskID)
			if errors.Is(err, ErrNotFound) {
				p.Add(fmt.Sprintf("risks.%d", rr.RiskID), "is not a risk of this organisation")
				continue
			} else if err != nil {
				return err
			}
			if rr.Version != 0 && rr.Version != r.Version {
				return conflictf("The risk %q was changed by someone else meanwhile; reload and try again.", r.Title)
			}
			from, err := tx.scale(ctx, orgID, r.ScaleID)
			if err != nil {
				return err
			}
			m := move{was: from.Describe(r.Current), prev: r.Version}
			r.ScaleID, r.Inherent, r.Current, r.Target = to.ID, rr.Inherent, rr.Current, rr.Target
			for f, msg := range problemsOf(r.Validate(to, tx.now)) {
				if strings.HasPrefix(f, "inherent") || strings.HasPrefix(f, "current") || strings.HasPrefix(f, "target") {
					p.Add(fmt.Sprintf("risks.%d.%s", rr.RiskID, f), msg)
				}
			}
			m.r = r
			moves = append(moves, m)
		}
		if err := p.Err(); err != nil {
			return err
		}
		for _, m := range moves {
			r, err := tx.putRisk(ctx, actor, orgID, m.r, to, m.prev)
			if err != nil {
				return err
			}
			n++
			if err := tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.risk.rerate", Object: riskObject(r.ID),
				Summary: fmt.Sprintf("re-rated %q on the scale %q: was %s, now %s (version %d)", r.Title, to.Name, m.was, to.Describe(r.Current), r.Version)}); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errStale) {
		err = conflict("A risk was changed by someone else at the same time; reload and try again.")
	}
	if err != nil {
		return 0, fmt.Errorf("re-rate risks: %w", err)
	}
	return n, nil
}

// problemsOf is err's field problems, nil when it has none.
func problemsOf(err error) validate.Error {
	var p validate.Error
	if errors.As(err, &p) {
		return p
	}
	return nil
}
