package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/validate"
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
		id, err := tx.insert(ctx, `INSERT INTO orgs (slug, name, kind, time_zone, created_at) VALUES (?, ?, ?, ?, ?)`,
			o.Slug, o.Name, string(o.Kind), o.TimeZone, o.CreatedAt)
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

const orgColumns = `id, slug, name, kind, time_zone, created_at`

func scanOrg(row interface{ Scan(...any) error }) (identity.Org, error) {
	var o identity.Org
	var kind string
	err := row.Scan(&o.ID, &o.Slug, &o.Name, &kind, &o.TimeZone, timeValue{&o.CreatedAt})
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

// SetOrgTimeZone changes the time zone orgID's pages show times in. A name
// that is not a known IANA zone is a validate.Error on "time_zone" and
// changes nothing.
func (db *DB) SetOrgTimeZone(ctx context.Context, actor Actor, orgID int64, zone string) error {
	zone = strings.TrimSpace(zone)
	if err := identity.CheckTimeZone(zone); err != nil {
		return err
	}
	if err := db.update(ctx, func(tx *Tx) error { return tx.setOrgTimeZone(ctx, actor, orgID, zone) }); err != nil {
		return fmt.Errorf("set time zone of organisation %d: %w", orgID, err)
	}
	return nil
}

// SetOrgSettings changes orgID's security settings and time zone together:
// both or, when either is invalid, neither.
func (db *DB) SetOrgSettings(ctx context.Context, actor Actor, orgID int64, sec OrgSecurity, zone string) error {
	zone = strings.TrimSpace(zone)
	problems := validate.Error{}
	for _, err := range []error{identity.CheckIdleTimeout(sec.IdleTimeout), identity.CheckTimeZone(zone)} {
		var p validate.Error
		if errors.As(err, &p) {
			for field, problem := range p {
				problems.Add(field, problem)
			}
		} else if err != nil {
			return err
		}
	}
	if err := problems.Err(); err != nil {
		return err
	}
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.setOrgSecurity(ctx, actor, orgID, sec); err != nil {
			return err
		}
		return tx.setOrgTimeZone(ctx, actor, orgID, zone)
	})
	if err != nil {
		return fmt.Errorf("change settings of organisation %d: %w", orgID, err)
	}
	return nil
}

// setOrgTimeZone records a change of zone; setting the zone the
// organisation already has records nothing.
func (tx *Tx) setOrgTimeZone(ctx context.Context, actor Actor, orgID int64, zone string) error {
	var was string
	if err := tx.queryRow(ctx, `SELECT time_zone FROM orgs WHERE id = ?`, orgID).Scan(&was); errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	if was == zone {
		return nil
	}
	if _, err := tx.exec(ctx, `UPDATE orgs SET time_zone = ? WHERE id = ?`, zone, orgID); err != nil {
		return err
	}
	return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "org.time_zone", Object: fmt.Sprintf("org:%d", orgID),
		Summary: fmt.Sprintf("time zone changed from %s to %s", was, zone)})
}

// OrgQuery chooses the organisations OrgPage lists.
type OrgQuery struct {
	// UserID, when set, gives each organisation that user's role in it.
	UserID int64
	// MemberOnly lists only the organisations UserID belongs to.
	MemberOnly bool
	// OrgID, when set, lists that organisation alone.
	OrgID int64
}

// OrgEntry is an organisation in a list, with the role in it of the user
// the query named ("" for none).
type OrgEntry struct {
	identity.Org
	Role identity.Role
}

// OrgPage returns a page of organisations ordered by name (then ID). With
// MemberOnly it reads the user's memberships and the organisations they
// point to, never the whole table.
func (db *DB) OrgPage(ctx context.Context, q OrgQuery, p Page) ([]OrgEntry, *Key, error) {
	size := p.size()
	query, args := orgPageSQL(q, p.After, size)
	var out []OrgEntry
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e OrgEntry
			var kind, role string
			if err := rows.Scan(&e.ID, &e.Slug, &e.Name, &kind, &e.TimeZone, timeValue{&e.CreatedAt}, &role); err != nil {
				return err
			}
			e.Kind, e.Role = identity.OrgKind(kind), identity.Role(role)
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list organisations: %w", err)
	}
	out, next := cut(out, size, func(e OrgEntry) Key { return Key{Sort: e.Name, ID: e.ID} })
	return out, next, nil
}

// orgPageSQL is OrgPage's query, apart so that a test can check its plan.
func orgPageSQL(q OrgQuery, after Key, size int) (string, []any) {
	cols := `o.id, o.slug, o.name, o.kind, o.time_zone, o.created_at`
	query := `SELECT ` + cols + `, COALESCE(m.role, '') FROM orgs o LEFT JOIN memberships m ON m.org_id = o.id AND m.user_id = ? WHERE`
	if q.MemberOnly {
		query = `SELECT ` + cols + `, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ? AND`
	}
	query += ` (o.name, o.id) > (?, ?)`
	args := []any{q.UserID, after.Sort, after.ID}
	if q.OrgID != 0 {
		query += ` AND o.id = ?`
		args = append(args, q.OrgID)
	}
	return query + ` ORDER BY o.name, o.id LIMIT ?`, append(args, size+1)
}

// OrgSlugs returns the slugs of the organisations with the given IDs; IDs
// with no organisation are left out.
func (db *DB) OrgSlugs(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	err := db.view(ctx, func(tx *Tx) error {
		return tx.byIDs(ctx, `SELECT id, slug FROM orgs WHERE id IN `, ids, func(id int64, slug string) { out[id] = slug })
	})
	if err != nil {
		return nil, fmt.Errorf("organisation slugs: %w", err)
	}
	return out, nil
}
