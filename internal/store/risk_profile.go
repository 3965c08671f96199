package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/risk"
)

// The assessment profile's free-text systems become assets of the
// inventory (issue 13): the profile lists them by name; the inventory is
// where they are kept from then on.

// ProfileSystemsMissing returns the systems the organisation's profile
// lists that no asset of its inventory is named after (ignoring case), in
// the profile's order.
func (db *DB) ProfileSystemsMissing(ctx context.Context, orgID int64) ([]string, error) {
	var out []string
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.profileSystemsMissing(ctx, orgID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("profile systems missing from the inventory of org %d: %w", orgID, err)
	}
	return out, nil
}

func (tx *Tx) profileSystemsMissing(ctx context.Context, orgID int64) ([]string, error) {
	p, err := tx.orgProfile(ctx, orgID)
	if err != nil || len(p.Systems) == 0 {
		return nil, err
	}
	args := []any{orgID}
	for _, s := range p.Systems {
		args = append(args, strings.ToLower(strings.TrimSpace(s)))
	}
	have, err := queryAll(ctx, tx, func(s scanner) (string, error) {
		var n string
		err := s.Scan(&n)
		return n, err
	}, `SELECT LOWER(name) FROM assets WHERE org_id = ? AND LOWER(name) IN (?`+strings.Repeat(", ?", len(p.Systems)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, n := range have {
		seen[n] = true
	}
	var out []string
	for _, s := range p.Systems {
		k := strings.ToLower(strings.TrimSpace(s))
		if !seen[k] {
			seen[k] = true
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out, nil
}

// AddProfileSystems adds to the inventory, in one transaction and with one
// audit entry, an asset for each system of the profile not in it yet, of
// the kind its name suggests (risk.KindFromName). It returns the assets
// added (none when every system is already in the inventory).
func (db *DB) AddProfileSystems(ctx context.Context, actor Actor, orgID int64) ([]risk.Asset, error) {
	var out []risk.Asset
	err := db.update(ctx, func(tx *Tx) error {
		missing, err := tx.profileSystemsMissing(ctx, orgID)
		if err != nil || len(missing) == 0 {
			return err
		}
		names := make([]string, len(missing))
		for i, name := range missing {
			a := risk.Asset{Name: name, Kind: risk.KindFromName(name),
				Notes: "Added from the systems listed in the organisation profile: check its kind, owner, ePHI and encryption."}
			a.Normalize()
			if err := a.Validate(); err != nil {
				return err
			}
			if err := tx.insertAsset(ctx, actor, orgID, &a); err != nil {
				return err
			}
			out = append(out, a)
			names[i] = describeAsset(a)
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.asset.import", Object: fmt.Sprintf("org:%d/assets", orgID),
			Summary: "added the systems listed in the profile to the inventory: " + strings.Join(names, ", ")})
	})
	if err != nil {
		return nil, fmt.Errorf("add the profile's systems to the inventory of org %d: %w", orgID, err)
	}
	return out, nil
}
