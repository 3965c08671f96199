package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
)

// CreateOrg validates o and stores it as a new organisation, returning it with
// its ID and creation time. A slug already taken is ErrConflict.
func (db *DB) CreateOrg(ctx context.Context, actor Actor, o identity.Org) (identity.Org, error) {
	o.Normalize()
	if err := o.Validate(); err != nil {
		return identity.Org{}, err
	}
	err := db.update(ctx, func(tx *Tx) error {
		o.CreatedAt = tx.now
		id, err := tx.insert(ctx, `INSERT INTO orgs (slug, name, kind, created_at) VALUES (?, ?, ?, ?)`,
			o.Slug, o.Name, string(o.Kind), o.CreatedAt)
		if isUniqueViolation(err) {
			return conflictf("Organisation %q already exists.", o.Slug)
		} else if err != nil {
			return err
		}
		o.ID = id
		return tx.appendAudit(ctx, actor, audit.Entry{
			OrgID: id, Action: "org.create", Object: "org:" + o.Slug,
			Summary: fmt.Sprintf("created organisation %q (%s)", o.Name, o.Kind),
		})
	})
	if err != nil {
		return identity.Org{}, fmt.Errorf("create organisation: %w", err)
	}
	return o, nil
}

const orgColumns = `id, slug, name, kind, created_at`

func scanOrg(row interface{ Scan(...any) error }) (identity.Org, error) {
	var o identity.Org
	var kind string
	err := row.Scan(&o.ID, &o.Slug, &o.Name, &kind, timeValue{&o.CreatedAt})
	o.Kind = identity.OrgKind(kind)
	return o, err
}

// Org returns the organisation with the given slug, or ErrNotFound.
func (db *DB) Org(ctx context.Context, slug string) (identity.Org, error) {
	var o identity.Org
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		o, err = scanOrg(tx.queryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE slug = ?`, slug))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return identity.Org{}, fmt.Errorf("organisation %q: %w", slug, err)
	}
	return o, nil
}

// Orgs returns every organisation, ordered by name.
func (db *DB) Orgs(ctx context.Context) ([]identity.Org, error) {
	var out []identity.Org
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT `+orgColumns+` FROM orgs ORDER BY name, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanOrg(rows)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	return out, nil
}
