package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// The risk analysis's inventory (issue 13): assets and the data flows
// between them, each with every saved version kept, and the threats and
// vulnerabilities an organisation adds to the shipped library.

// AssetFilter narrows the inventory. Zero fields do not filter.
type AssetFilter struct {
	Kind      risk.Kind
	Class     risk.Class
	Hosting   risk.Hosting
	Lifecycle risk.Lifecycle
	OwnerID   int64
	// Query keeps assets whose name contains it, ignoring case.
	Query string
	// EPHIOnly keeps assets that touch ePHI (any of the four uses, or
	// records); Unencrypted those not known to be encrypted at rest.
	EPHIOnly    bool
	Unencrypted bool
}

// AssetVersion is one saved version of an asset.
type AssetVersion struct {
	Asset   risk.Asset `json:"asset"`
	SavedAt time.Time  `json:"saved_at"`
	SavedBy string     `json:"saved_by"`
}

// FlowVersion is one saved version of a flow.
type FlowVersion struct {
	Flow    risk.Flow `json:"flow"`
	SavedAt time.Time `json:"saved_at"`
	SavedBy string    `json:"saved_by"`
}

// FlowFilter narrows the data flows. Zero fields do not filter.
type FlowFilter struct {
	// AssetID keeps flows from or to the asset.
	AssetID int64
	Channel risk.Channel
	// Unencrypted keeps flows not known to be encrypted in transit.
	Unencrypted bool
}

// RowProblem is what is wrong with one field of one row of an import. Row
// counts the rows given from 1.
type RowProblem struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ImportError lists every problem of an import that saved nothing. It
// unwraps to the field problems keyed "ROW.FIELD", so that it is answered
// as a validation error.
type ImportError struct {
	Rows []RowProblem
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("import refused: %d problems, nothing saved", len(e.Rows))
}

// Unwrap returns the problems as field problems keyed "ROW.FIELD".
func (e *ImportError) Unwrap() error {
	p := validate.Error{}
	for _, r := range e.Rows {
		p.Add(fmt.Sprintf("%d.%s", r.Row, r.Field), r.Message)
	}
	return p
}

func assetObject(id int64) string { return fmt.Sprintf("asset:%d", id) }
func flowObject(id int64) string  { return fmt.Sprintf("flow:%d", id) }

const assetColumns = `id, org_id, name, kind, owner_id, place_id, location, ephi, records, creates, receives, maintains, transmits,
	at_rest, hosting, vendor, criticality, lifecycle, notes, last_reviewed, version, updated_at`

func scanAsset(s scanner) (risk.Asset, error) {
	var a risk.Asset
	var owner, place sql.NullInt64
	var ephi string
	var creates, receives, maintains, transmits int
	err := s.Scan(&a.ID, &a.OrgID, &a.Name, &a.Kind, &owner, &place, &a.Location, &ephi, &a.Records,
		&creates, &receives, &maintains, &transmits, &a.AtRest, &a.Hosting, &a.Vendor, &a.Criticality, &a.Lifecycle,
		&a.Notes, timeValue{&a.Reviewed}, &a.Version, timeValue{&a.UpdatedAt})
	if err != nil {
		return a, err
	}
	a.OwnerID, a.PlaceID = owner.Int64, place.Int64
	a.Use = risk.Use{Creates: creates == 1, Receives: receives == 1, Maintains: maintains == 1, Transmits: transmits == 1}
	a.EPHI = []string{}
	if err := json.Unmarshal([]byte(ephi), &a.EPHI); err != nil {
		return a, fmt.Errorf("asset %d: ephi: %w", a.ID, err)
	}
	return a, nil
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (tx *Tx) asset(ctx context.Context, orgID, id int64) (risk.Asset, error) {
	a, err := scanAsset(tx.queryRow(ctx, `SELECT `+assetColumns+` FROM assets WHERE org_id = ? AND id = ?`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return risk.Asset{}, fmt.Errorf("asset %d: %w", id, ErrNotFound)
	}
	return a, err
}

// assetRefs is what an asset may point to in an organisation: its members
// (owners) and its places.
type assetRefs struct {
	members map[int64]bool
	places  map[int64]bool
}

// refs reads the organisation's members and places, or, with ids, only
// those among ids (a single asset's check reads two rows, an import the
// organisation's lists once).
func (tx *Tx) assetRefs(ctx context.Context, orgID int64, owners, places []int64) (assetRefs, error) {
	r := assetRefs{members: map[int64]bool{}, places: map[int64]bool{}}
	read := func(query string, ids []int64, into map[int64]bool) error {
		ids = slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return id <= 0 })
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for len(ids) > 0 {
			n := min(len(ids), 500)
			args := []any{orgID}
			for _, id := range ids[:n] {
				args = append(args, id)
			}
			ids = ids[n:]
			rows, err := tx.query(ctx, query+` IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				into[id] = true
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := read(`SELECT user_id FROM memberships WHERE org_id = ? AND user_id`, owners, r.members); err != nil {
		return r, err
	}
	if err := read(`SELECT id FROM assets WHERE org_id = ? AND class = 'place' AND id`, places, r.places); err != nil {
		return r, err
	}
	return r, nil
}

// check adds to p the problems with a's owner and place.
func (r assetRefs) check(p validate.Error, a risk.Asset) {
	if a.OwnerID != 0 && !r.members[a.OwnerID] {
		p.Add("owner_id", "is not a member of this organisation")
	}
	if a.PlaceID != 0 && a.PlaceID != a.ID && !r.places[a.PlaceID] {
		p.Add("place_id", "is not a site or room of this organisation's inventory")
	}
}

func (tx *Tx) checkAsset(ctx context.Context, orgID int64, a risk.Asset) error {
	p := validate.Error{}
	maps(p, a.Validate())
	refs, err := tx.assetRefs(ctx, orgID, []int64{a.OwnerID}, []int64{a.PlaceID})
	if err != nil {
		return err
	}
	refs.check(p, a)
	return p.Err()
}

func (tx *Tx) insertAsset(ctx context.Context, actor Actor, orgID int64, a *risk.Asset) error {
	a.OrgID, a.Version, a.UpdatedAt = orgID, 1, tx.now
	var err error
	a.ID, err = tx.insert(ctx, `INSERT INTO assets (org_id, name, kind, class, owner_id, place_id, location, ephi, records,
			creates, receives, maintains, transmits, at_rest, hosting, vendor, criticality, lifecycle, notes, last_reviewed,
			version, created_at, created_by, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
		orgID, a.Name, string(a.Kind), string(a.Kind.Class()), nullID(a.OwnerID), nullID(a.PlaceID), a.Location, jsonText(a.EPHI), a.Records,
		bit(a.Use.Creates), bit(a.Use.Receives), bit(a.Use.Maintains), bit(a.Use.Transmits), string(a.AtRest), string(a.Hosting),
		a.Vendor, string(a.Criticality), string(a.Lifecycle), a.Notes, nullTime(a.Reviewed), tx.now, actor.Name, tx.now, actor.Name)
	if err != nil {
		return err
	}
	return tx.assetVersion(ctx, actor, *a)
}

func (tx *Tx) assetVersion(ctx context.Context, actor Actor, a risk.Asset) error {
	_, err := tx.exec(ctx, `INSERT INTO asset_versions (asset_id, version, data, saved_at, saved_by) VALUES (?, ?, ?, ?, ?)`,
		a.ID, a.Version, jsonText(a), tx.now, actor.Name)
	return err
}

// describeAsset names an asset in words for the audit log: its name and kind.
func describeAsset(a risk.Asset) string {
	return fmt.Sprintf("%q (%s)", a.Name, strings.ToLower(a.Kind.Label()))
}

// CreateAsset adds an asset to the organisation's inventory. Its owner must
// be a member of the organisation, and its place a site or room of the
// same inventory.
func (db *DB) CreateAsset(ctx context.Context, actor Actor, orgID int64, a risk.Asset) (risk.Asset, error) {
	a.Normalize()
	a.ID = 0
	if err := a.Validate(); err != nil {
		// The references are checked too, so that every problem shows at once.
		p := validate.Error{}
		maps(p, err)
		if rerr := db.view(ctx, func(tx *Tx) error {
			refs, err := tx.assetRefs(ctx, orgID, []int64{a.OwnerID}, []int64{a.PlaceID})
			refs.check(p, a)
			return err
		}); rerr != nil {
			return risk.Asset{}, fmt.Errorf("create asset: %w", rerr)
		}
		return risk.Asset{}, p
	}
	err := db.update(ctx, func(tx *Tx) error {
		if err := tx.checkAsset(ctx, orgID, a); err != nil {
			return err
		}
		if err := tx.insertAsset(ctx, actor, orgID, &a); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.asset.create", Object: assetObject(a.ID),
			Summary: "added " + describeAsset(a) + " to the inventory"})
	})
	if err != nil {
		return risk.Asset{}, fmt.Errorf("create asset: %w", err)
	}
	return a, nil
}

// CreateAssets adds assets from an import, all or none: every row is
// checked first, and if any has a problem nothing is saved and the
// *ImportError lists every problem by row (counted from 1) and field.
func (db *DB) CreateAssets(ctx context.Context, actor Actor, orgID int64, assets []risk.Asset) ([]risk.Asset, error) {
	out := make([]risk.Asset, len(assets))
	if len(assets) == 0 {
		return out, nil
	}
	var owners, places []int64
	for i, a := range assets {
		a.Normalize()
		a.ID = 0
		out[i] = a
		owners, places = append(owners, a.OwnerID), append(places, a.PlaceID)
	}
	err := db.update(ctx, func(tx *Tx) error {
		refs, err := tx.assetRefs(ctx, orgID, owners, places)
		if err != nil {
			return err
		}
		ie := &ImportError{}
		for i, a := range out {
			p := validate.Error{}
			maps(p, a.Validate())
			refs.check(p, a)
			for _, f := range slices.Sorted(func(yield func(string) bool) {
				for f := range p {
					if !yield(f) {
						return
					}
				}
			}) {
				ie.Rows = append(ie.Rows, RowProblem{Row: i + 1, Field: f, Message: p[f]})
			}
		}
		if len(ie.Rows) > 0 {
			return ie
		}
		for i := range out {
			if err := tx.insertAsset(ctx, actor, orgID, &out[i]); err != nil {
				return err
			}
		}
		summary := fmt.Sprintf("imported %d assets into the inventory", len(out))
		if len(out) == 1 {
			summary = "imported " + describeAsset(out[0]) + " into the inventory"
		} else if len(out) > 1 {
			summary += fmt.Sprintf(", from %s to %s", describeAsset(out[0]), describeAsset(out[len(out)-1]))
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.asset.import", Object: fmt.Sprintf("org:%d/assets", orgID), Summary: summary})
	})
	if err != nil {
		return nil, fmt.Errorf("import assets: %w", err)
	}
	return out, nil
}

// UpdateAsset saves a new version of an asset. a.Version is the version
// the change was made from; if the asset has moved on since, nothing is
// saved and the error is ErrConflict.
func (db *DB) UpdateAsset(ctx context.Context, actor Actor, orgID int64, a risk.Asset) (risk.Asset, error) {
	a.Normalize()
	err := db.update(ctx, func(tx *Tx) error {
		old, err := tx.asset(ctx, orgID, a.ID)
		if err != nil {
			return err
		}
		if err := tx.checkAsset(ctx, orgID, a); err != nil {
			return err
		}
		if a.Version != old.Version {
			return conflictf("Someone else changed %q since you opened it (it is now at version %d); reload it and make your change again.", old.Name, old.Version)
		}
		a.OrgID, a.Version, a.UpdatedAt = orgID, old.Version+1, tx.now
		res, err := tx.exec(ctx, `UPDATE assets SET name = ?, kind = ?, class = ?, owner_id = ?, place_id = ?, location = ?, ephi = ?, records = ?,
				creates = ?, receives = ?, maintains = ?, transmits = ?, at_rest = ?, hosting = ?, vendor = ?, criticality = ?, lifecycle = ?,
				notes = ?, last_reviewed = ?, version = ?, updated_at = ?, updated_by = ?
			WHERE org_id = ? AND id = ? AND version = ?`,
			a.Name, string(a.Kind), string(a.Kind.Class()), nullID(a.OwnerID), nullID(a.PlaceID), a.Location, jsonText(a.EPHI), a.Records,
			bit(a.Use.Creates), bit(a.Use.Receives), bit(a.Use.Maintains), bit(a.Use.Transmits), string(a.AtRest), string(a.Hosting),
			a.Vendor, string(a.Criticality), string(a.Lifecycle), a.Notes, nullTime(a.Reviewed), a.Version, tx.now, actor.Name,
			orgID, a.ID, old.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return conflictf("Someone else changed %q at the same time; reload it and make your change again.", old.Name)
		}
		if err := tx.assetVersion(ctx, actor, a); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.asset.update", Object: assetObject(a.ID),
			Summary: fmt.Sprintf("updated %s to version %d: %s", describeAsset(a), a.Version, assetChanges(old, a))})
	})
	if isUniqueViolation(err) {
		err = conflict("Someone else changed this asset at the same time; reload it and make your change again.")
	}
	if err != nil {
		return risk.Asset{}, fmt.Errorf("update asset %d: %w", a.ID, err)
	}
	return a, nil
}

// assetChanges names the fields that differ between two versions.
func assetChanges(old, a risk.Asset) string {
	var out []string
	add := func(changed bool, what string) {
		if changed {
			out = append(out, what)
		}
	}
	add(old.Name != a.Name, fmt.Sprintf("renamed from %q", old.Name))
	add(old.Kind != a.Kind, "kind "+strings.ToLower(a.Kind.Label()))
	add(old.OwnerID != a.OwnerID, "owner")
	add(old.PlaceID != a.PlaceID || old.Location != a.Location, "location")
	add(!slices.Equal(old.EPHI, a.EPHI) || old.Records != a.Records, "ePHI held")
	add(old.Use != a.Use, "use of ePHI")
	add(old.AtRest != a.AtRest, "encryption at rest "+strings.ToLower(a.AtRest.Label()))
	add(old.Hosting != a.Hosting || old.Vendor != a.Vendor, "hosting "+strings.ToLower(a.Hosting.Label()))
	add(old.Criticality != a.Criticality, "criticality "+string(a.Criticality))
	add(old.Lifecycle != a.Lifecycle, "lifecycle "+string(a.Lifecycle))
	add(old.Notes != a.Notes, "notes")
	add(!old.Reviewed.Equal(a.Reviewed), "last reviewed")
	if len(out) == 0 {
		return "no changes"
	}
	return strings.Join(out, ", ")
}

// Asset returns one asset of the organisation, or ErrNotFound (also for
// another organisation's).
func (db *DB) Asset(ctx context.Context, orgID, id int64) (risk.Asset, error) {
	var a risk.Asset
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		a, err = tx.asset(ctx, orgID, id)
		return err
	})
	return a, err
}

// Assets returns a page of the organisation's inventory that f keeps, by
// name then ID, and the key of the next page (name and ID), or nil on the
// last.
func (db *DB) Assets(ctx context.Context, orgID int64, f AssetFilter, p Page) ([]risk.Asset, *Key, error) {
	size := p.size()
	query, args := assetsSQL(orgID, f, p.After, size)
	var out []risk.Asset
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanAsset, query, args...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list assets: %w", err)
	}
	out, next := cut(out, size, func(a risk.Asset) Key { return Key{Sort: a.Name, ID: a.ID} })
	return out, next, nil
}

// assetsSQL is Assets' query, served by assets_org_name (org_id, name, id)
// or, filtered by kind, hosting or owner, by that filter's index.
func assetsSQL(orgID int64, f AssetFilter, after Key, size int) (string, []any) {
	query := `SELECT ` + assetColumns + ` FROM assets WHERE org_id = ?`
	args := []any{orgID}
	eq := func(col string, v any, set bool) {
		if set {
			query += ` AND ` + col + ` = ?`
			args = append(args, v)
		}
	}
	eq("kind", string(f.Kind), f.Kind != "")
	eq("class", string(f.Class), f.Class != "")
	eq("hosting", string(f.Hosting), f.Hosting != "")
	eq("lifecycle", string(f.Lifecycle), f.Lifecycle != "")
	eq("owner_id", f.OwnerID, f.OwnerID != 0)
	if q := strings.TrimSpace(f.Query); q != "" {
		query += ` AND lower(name) LIKE ? ESCAPE '\'`
		args = append(args, "%"+likeEscaper.Replace(strings.ToLower(q))+"%")
	}
	if f.EPHIOnly {
		query += ` AND (creates = 1 OR receives = 1 OR maintains = 1 OR transmits = 1 OR records > 0)`
	}
	if f.Unencrypted {
		query += ` AND at_rest <> 'yes'`
	}
	if !after.IsZero() {
		query += ` AND (name, id) > (?, ?)`
		args = append(args, after.Sort, after.ID)
	}
	return query + ` ORDER BY name, id LIMIT ?`, append(args, size+1)
}

// AssetCounts counts the organisation's assets by class.
func (db *DB) AssetCounts(ctx context.Context, orgID int64) (map[risk.Class]int, error) {
	out := map[risk.Class]int{}
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT class, COUNT(*) FROM assets WHERE org_id = ? GROUP BY class`, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c string
			var n int
			if err := rows.Scan(&c, &n); err != nil {
				return err
			}
			out[risk.Class(c)] = n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("count assets: %w", err)
	}
	return out, nil
}

// AssetNames returns the names of the organisation's assets among ids;
// IDs it does not have are left out.
func (db *DB) AssetNames(ctx context.Context, orgID int64, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	want := slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return id <= 0 })
	slices.Sort(want)
	want = slices.Compact(want)
	if len(want) == 0 {
		return out, nil
	}
	err := db.view(ctx, func(tx *Tx) error {
		return tx.byIDs(ctx, `SELECT id, name FROM assets WHERE org_id = `+strconv.FormatInt(orgID, 10)+` AND id IN `, want,
			func(id int64, name string) { out[id] = name })
	})
	if err != nil {
		return nil, fmt.Errorf("asset names: %w", err)
	}
	return out, nil
}

// AssetsByID returns the organisation's assets among ids (at most
// MaxPageLimit of them), in no particular order; another organisation's
// IDs are left out.
func (db *DB) AssetsByID(ctx context.Context, orgID int64, ids []int64) ([]risk.Asset, error) {
	want := slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return id <= 0 })
	slices.Sort(want)
	want = slices.Compact(want)
	if len(want) > MaxPageLimit {
		want = want[:MaxPageLimit]
	}
	if len(want) == 0 {
		return nil, nil
	}
	args := []any{orgID}
	for _, id := range want {
		args = append(args, id)
	}
	var out []risk.Asset
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanAsset, `SELECT `+assetColumns+` FROM assets WHERE org_id = ? AND id IN (?`+strings.Repeat(", ?", len(want)-1)+`)`, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("assets by id: %w", err)
	}
	return out, nil
}

// AssetHistory returns a page of the saved versions of an asset, newest
// first, and the key of the next (older) page, or nil on the last.
func (db *DB) AssetHistory(ctx context.Context, orgID, id int64, p Page) ([]AssetVersion, *Key, error) {
	vs, next, err := savedVersions[risk.Asset](ctx, db, "asset_versions", "asset_id", id, p, func(tx *Tx) error {
		_, err := tx.asset(ctx, orgID, id)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("history of asset %d: %w", id, err)
	}
	out := make([]AssetVersion, len(vs))
	for i, v := range vs {
		out[i] = AssetVersion{Asset: v.Record, SavedAt: v.SavedAt, SavedBy: v.SavedBy}
	}
	return out, next, nil
}

// DeleteAsset removes an asset and its versions from the inventory (the
// audit log keeps what it was). It is refused, as a conflict, while a flow
// starts or ends at it or another asset is placed in it.
func (db *DB) DeleteAsset(ctx context.Context, actor Actor, orgID, id int64) error {
	err := db.update(ctx, func(tx *Tx) error {
		a, err := tx.asset(ctx, orgID, id)
		if err != nil {
			return err
		}
		var flows, placed int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM flows WHERE from_asset_id = ? OR to_asset_id = ?`, id, id).Scan(&flows); err != nil {
			return err
		}
		if flows > 0 {
			return conflictf("%q cannot be deleted while %d data flows start or end there; delete or change those flows first.", a.Name, flows)
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM assets WHERE place_id = ?`, id).Scan(&placed); err != nil {
			return err
		}
		if placed > 0 {
			return conflictf("%q cannot be deleted while %d assets are recorded as being there; move them first.", a.Name, placed)
		}
		if _, err := tx.exec(ctx, `DELETE FROM asset_versions WHERE asset_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM assets WHERE org_id = ? AND id = ?`, orgID, id); err != nil {
			if isForeignKeyViolation(err) {
				return conflictf("%q is still referred to elsewhere and cannot be deleted.", a.Name)
			}
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.asset.delete", Object: assetObject(id),
			Summary: fmt.Sprintf("deleted %s from the inventory (it was at version %d)", describeAsset(a), a.Version)})
	})
	if err != nil {
		return fmt.Errorf("delete asset %d: %w", id, err)
	}
	return nil
}

// Flows.

const flowColumns = `id, org_id, from_asset_id, from_party, to_asset_id, to_party, channel, in_transit, frequency, volume, description, version`

func scanFlow(s scanner) (risk.Flow, error) {
	var f risk.Flow
	var from, to sql.NullInt64
	err := s.Scan(&f.ID, &f.OrgID, &from, &f.From.Party, &to, &f.To.Party, &f.Channel, &f.InTransit, &f.Frequency, &f.Volume, &f.Description, &f.Version)
	f.From.AssetID, f.To.AssetID = from.Int64, to.Int64
	return f, err
}

func (tx *Tx) flow(ctx context.Context, orgID, id int64) (risk.Flow, error) {
	f, err := scanFlow(tx.queryRow(ctx, `SELECT `+flowColumns+` FROM flows WHERE org_id = ? AND id = ?`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return risk.Flow{}, fmt.Errorf("flow %d: %w", id, ErrNotFound)
	}
	return f, err
}

// checkFlow validates f and that its assets are the organisation's, and
// returns the names of its ends for the audit summary.
func (tx *Tx) checkFlow(ctx context.Context, orgID int64, f risk.Flow) (from, to string, err error) {
	p := validate.Error{}
	maps(p, f.Validate())
	names := map[int64]string{}
	var ids []int64
	for _, id := range []int64{f.From.AssetID, f.To.AssetID} {
		if id > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		if err := tx.byIDs(ctx, `SELECT id, name FROM assets WHERE org_id = `+strconv.FormatInt(orgID, 10)+` AND id IN `, ids,
			func(id int64, name string) { names[id] = name }); err != nil {
			return "", "", err
		}
	}
	for field, e := range map[string]risk.Endpoint{"from": f.From, "to": f.To} {
		if _, ok := names[e.AssetID]; e.AssetID > 0 && !ok {
			p.Add(field+".asset_id", "is not an asset of this organisation's inventory")
		}
	}
	if err := p.Err(); err != nil {
		return "", "", err
	}
	end := func(e risk.Endpoint) string {
		if e.AssetID != 0 {
			return fmt.Sprintf("%q", names[e.AssetID])
		}
		return fmt.Sprintf("%q (outside party)", e.Party)
	}
	return end(f.From), end(f.To), nil
}

func describeFlow(from, to string, f risk.Flow) string {
	return fmt.Sprintf("from %s to %s by %s, %s in transit", from, to, strings.ToLower(f.Channel.Label()), strings.ToLower(f.InTransit.Label()))
}

func (tx *Tx) flowVersion(ctx context.Context, actor Actor, f risk.Flow) error {
	_, err := tx.exec(ctx, `INSERT INTO flow_versions (flow_id, version, data, saved_at, saved_by) VALUES (?, ?, ?, ?, ?)`,
		f.ID, f.Version, jsonText(f), tx.now, actor.Name)
	return err
}

// CreateFlow records how ePHI moves between two assets of the
// organisation, or between one and an outside party. An asset that is
// missing or another organisation's is a problem on from.asset_id or
// to.asset_id.
func (db *DB) CreateFlow(ctx context.Context, actor Actor, orgID int64, f risk.Flow) (risk.Flow, error) {
	f.Normalize()
	f.ID = 0
	err := db.update(ctx, func(tx *Tx) error {
		from, to, err := tx.checkFlow(ctx, orgID, f)
		if err != nil {
			return err
		}
		f.OrgID, f.Version = orgID, 1
		f.ID, err = tx.insert(ctx, `INSERT INTO flows (org_id, from_asset_id, from_party, to_asset_id, to_party, channel, in_transit,
				frequency, volume, description, version, created_at, created_by, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
			orgID, nullID(f.From.AssetID), f.From.Party, nullID(f.To.AssetID), f.To.Party, string(f.Channel), string(f.InTransit),
			f.Frequency, f.Volume, f.Description, tx.now, actor.Name, tx.now, actor.Name)
		if err != nil {
			return err
		}
		if err := tx.flowVersion(ctx, actor, f); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.flow.create", Object: flowObject(f.ID),
			Summary: "added a data flow " + describeFlow(from, to, f)})
	})
	if err != nil {
		return risk.Flow{}, fmt.Errorf("create flow: %w", err)
	}
	return f, nil
}

// UpdateFlow saves a new version of a flow; f.Version is the version the
// change was made from (stale: ErrConflict).
func (db *DB) UpdateFlow(ctx context.Context, actor Actor, orgID int64, f risk.Flow) (risk.Flow, error) {
	f.Normalize()
	err := db.update(ctx, func(tx *Tx) error {
		old, err := tx.flow(ctx, orgID, f.ID)
		if err != nil {
			return err
		}
		from, to, err := tx.checkFlow(ctx, orgID, f)
		if err != nil {
			return err
		}
		if f.Version != old.Version {
			return conflictf("Someone else changed this data flow since you opened it (it is now at version %d); reload it and make your change again.", old.Version)
		}
		f.OrgID, f.Version = orgID, old.Version+1
		res, err := tx.exec(ctx, `UPDATE flows SET from_asset_id = ?, from_party = ?, to_asset_id = ?, to_party = ?, channel = ?, in_transit = ?,
				frequency = ?, volume = ?, description = ?, version = ?, updated_at = ?, updated_by = ?
			WHERE org_id = ? AND id = ? AND version = ?`,
			nullID(f.From.AssetID), f.From.Party, nullID(f.To.AssetID), f.To.Party, string(f.Channel), string(f.InTransit),
			f.Frequency, f.Volume, f.Description, f.Version, tx.now, actor.Name, orgID, f.ID, old.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return conflict("Someone else changed this data flow at the same time; reload it and make your change again.")
		}
		if err := tx.flowVersion(ctx, actor, f); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.flow.update", Object: flowObject(f.ID),
			Summary: fmt.Sprintf("updated the data flow %s (version %d)", describeFlow(from, to, f), f.Version)})
	})
	if isUniqueViolation(err) {
		err = conflict("Someone else changed this data flow at the same time; reload it and make your change again.")
	}
	if err != nil {
		return risk.Flow{}, fmt.Errorf("update flow %d: %w", f.ID, err)
	}
	return f, nil
}

// Flow returns one flow of the organisation, or ErrNotFound.
func (db *DB) Flow(ctx context.Context, orgID, id int64) (risk.Flow, error) {
	var f risk.Flow
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		f, err = tx.flow(ctx, orgID, id)
		return err
	})
	return f, err
}

// Flows returns a page of the organisation's flows that f keeps, by ID,
// and the key of the next page, or nil on the last.
func (db *DB) Flows(ctx context.Context, orgID int64, f FlowFilter, p Page) ([]risk.Flow, *Key, error) {
	size := p.size()
	query := `SELECT ` + flowColumns + ` FROM flows WHERE org_id = ?`
	args := []any{orgID}
	if f.AssetID != 0 {
		// Two lookups, one on each end's index: an OR of the two columns
		// makes the planners read the organisation's flows in ID order.
		query += ` AND id IN (SELECT id FROM flows WHERE from_asset_id = ? UNION ALL SELECT id FROM flows WHERE to_asset_id = ?)`
		args = append(args, f.AssetID, f.AssetID)
	}
	if f.Channel != "" {
		query += ` AND channel = ?`
		args = append(args, string(f.Channel))
	}
	if f.Unencrypted {
		query += ` AND in_transit <> 'yes'`
	}
	if !p.After.IsZero() {
		query += ` AND id > ?`
		args = append(args, p.After.ID)
	}
	query += ` ORDER BY id LIMIT ?`
	args = append(args, size+1)
	var out []risk.Flow
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanFlow, query, args...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list flows: %w", err)
	}
	out, next := cut(out, size, func(f risk.Flow) Key { return Key{ID: f.ID} })
	return out, next, nil
}

// FlowHistory returns a page of the saved versions of a flow, newest
// first, and the key of the next (older) page, or nil on the last.
func (db *DB) FlowHistory(ctx context.Context, orgID, id int64, p Page) ([]FlowVersion, *Key, error) {
	vs, next, err := savedVersions[risk.Flow](ctx, db, "flow_versions", "flow_id", id, p, func(tx *Tx) error {
		_, err := tx.flow(ctx, orgID, id)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("history of flow %d: %w", id, err)
	}
	out := make([]FlowVersion, len(vs))
	for i, v := range vs {
		out[i] = FlowVersion{Flow: v.Record, SavedAt: v.SavedAt, SavedBy: v.SavedBy}
	}
	return out, next, nil
}

// savedVersion is one saved version of a record of the risk analysis, as
// its version table keeps it: the record (stored as JSON), its number, when
// and by whom.
type savedVersion[T any] struct {
	Record  T
	Version int
	SavedAt time.Time
	SavedBy string
}

// savedVersions reads a page of the versions of record id from table
// (columns version, data, saved_at, saved_by; keyCol names the record),
// newest first, once owned has checked in the same read that the record
// belongs to the organisation. The version number is the key of the page.
func savedVersions[T any](ctx context.Context, db *DB, table, keyCol string, id int64, p Page, owned func(*Tx) error) ([]savedVersion[T], *Key, error) {
	size := p.size()
	query := `SELECT version, data, saved_at, saved_by FROM ` + table + ` WHERE ` + keyCol + ` = ?`
	args := []any{id}
	if !p.After.IsZero() {
		query += ` AND version < ?`
		args = append(args, p.After.ID)
	}
	query += ` ORDER BY version DESC LIMIT ?`
	args = append(args, size+1)
	var out []savedVersion[T]
	err := db.view(ctx, func(tx *Tx) error {
		if err := owned(tx); err != nil {
			return err
		}
		var err error
		out, err = queryAll(ctx, tx, func(s scanner) (savedVersion[T], error) {
			var v savedVersion[T]
			var data string
			if err := s.Scan(&v.Version, &data, timeValue{&v.SavedAt}, &v.SavedBy); err != nil {
				return v, err
			}
			return v, json.Unmarshal([]byte(data), &v.Record)
		}, query, args...)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	out, next := cut(out, size, func(v savedVersion[T]) Key { return Key{ID: int64(v.Version)} })
	return out, next, nil
}

// DeleteFlow removes a flow and its versions (the audit log keeps what it
// was).
func (db *DB) DeleteFlow(ctx context.Context, actor Actor, orgID, id int64) error {
	err := db.update(ctx, func(tx *Tx) error {
		f, err := tx.flow(ctx, orgID, id)
		if err != nil {
			return err
		}
		f.From.Party, f.To.Party = strings.TrimSpace(f.From.Party), strings.TrimSpace(f.To.Party)
		names := map[int64]string{}
		if err := tx.byIDs(ctx, `SELECT id, name FROM assets WHERE org_id = `+strconv.FormatInt(orgID, 10)+` AND id IN `,
			slices.DeleteFunc([]int64{f.From.AssetID, f.To.AssetID}, func(id int64) bool { return id == 0 }),
			func(id int64, name string) { names[id] = name }); err != nil {
			return err
		}
		end := func(e risk.Endpoint) string {
			if e.AssetID != 0 {
				return fmt.Sprintf("%q", names[e.AssetID])
			}
			return fmt.Sprintf("%q (outside party)", e.Party)
		}
		if _, err := tx.exec(ctx, `DELETE FROM flow_versions WHERE flow_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM flows WHERE org_id = ? AND id = ?`, orgID, id); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.flow.delete", Object: flowObject(id),
			Summary: "deleted the data flow " + describeFlow(end(f.From), end(f.To), f)})
	})
	if err != nil {
		return fmt.Errorf("delete flow %d: %w", id, err)
	}
	return nil
}

// Threats and vulnerabilities of an organisation's own.

// ownKey is the key of an organisation's own threat or vulnerability.
func ownKey(id int64) string { return "org:" + strconv.FormatInt(id, 10) }

// ownID reads the ID out of an own key, false for a shipped key.
func ownID(key string) (int64, bool) {
	s, ok := strings.CutPrefix(key, "org:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// library is the shipped threat library, checked against the embedded
// catalogue, with the profile own entries are checked against.
func library() (risk.Library, *catalog.Profile, error) {
	cat, err := catalog.Default()
	if err != nil {
		return risk.Library{}, nil, err
	}
	prof, err := cat.Profile(catalog.ProfileCurrent)
	if err != nil {
		return risk.Library{}, nil, err
	}
	lib, err := risk.Shipped(cat)
	return lib, prof, err
}

func cleanEntries(in []string) []string {
	out := []string{}
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// CreateThreat adds a threat of the organisation's own; its entries must
// be citations of the rule. The result's key is "org:<id>".
func (db *DB) CreateThreat(ctx context.Context, actor Actor, orgID int64, t risk.Threat) (risk.Threat, error) {
	t.Title, t.Description, t.Entries = strings.TrimSpace(t.Title), strings.TrimSpace(t.Description), cleanEntries(t.Entries)
	_, prof, err := library()
	if err != nil {
		return risk.Threat{}, fmt.Errorf("create threat: %w", err)
	}
	if err := risk.ValidateThreat(t, prof); err != nil {
		return risk.Threat{}, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		id, err := tx.insert(ctx, `INSERT INTO risk_threats (org_id, source, title, description, entries, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, orgID, string(t.Source), t.Title, t.Description, jsonText(t.Entries), tx.now, actor.Name)
		if err != nil {
			return err
		}
		t.Key, t.Own = ownKey(id), true
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.threat.create", Object: "threat:" + t.Key,
			Summary: fmt.Sprintf("added the organisation's own threat %q (%s)", t.Title, strings.ToLower(t.Source.Label()))})
	})
	if err != nil {
		return risk.Threat{}, fmt.Errorf("create threat: %w", err)
	}
	return t, nil
}

// Threats returns the organisation's own threats, oldest first (the
// shipped library is risk.Shipped's).
func (db *DB) Threats(ctx context.Context, orgID int64) ([]risk.Threat, error) {
	var out []risk.Threat
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(s scanner) (risk.Threat, error) {
			var t risk.Threat
			var id int64
			var entries string
			if err := s.Scan(&id, &t.Source, &t.Title, &t.Description, &entries); err != nil {
				return t, err
			}
			t.Key, t.Own = ownKey(id), true
			return t, json.Unmarshal([]byte(entries), &t.Entries)
		}, `SELECT id, source, title, description, entries FROM risk_threats WHERE org_id = ? ORDER BY id`, orgID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list threats: %w", err)
	}
	return out, nil
}

// CreateVulnerability adds a vulnerability of the organisation's own; the
// result's key is "org:<id>".
func (db *DB) CreateVulnerability(ctx context.Context, actor Actor, orgID int64, v risk.Vulnerability) (risk.Vulnerability, error) {
	v.Title, v.Description, v.Entries = strings.TrimSpace(v.Title), strings.TrimSpace(v.Description), cleanEntries(v.Entries)
	_, prof, err := library()
	if err != nil {
		return risk.Vulnerability{}, fmt.Errorf("create vulnerability: %w", err)
	}
	if err := risk.ValidateVulnerability(v, prof); err != nil {
		return risk.Vulnerability{}, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		id, err := tx.insert(ctx, `INSERT INTO risk_vulnerabilities (org_id, title, description, entries, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?)`, orgID, v.Title, v.Description, jsonText(v.Entries), tx.now, actor.Name)
		if err != nil {
			return err
		}
		v.Key, v.Own = ownKey(id), true
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.vulnerability.create", Object: "vulnerability:" + v.Key,
			Summary: fmt.Sprintf("added the organisation's own vulnerability %q", v.Title)})
	})
	if err != nil {
		return risk.Vulnerability{}, fmt.Errorf("create vulnerability: %w", err)
	}
	return v, nil
}

// Vulnerabilities returns the organisation's own vulnerabilities, oldest
// first.
func (db *DB) Vulnerabilities(ctx context.Context, orgID int64) ([]risk.Vulnerability, error) {
	var out []risk.Vulnerability
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(s scanner) (risk.Vulnerability, error) {
			var v risk.Vulnerability
			var id int64
			var entries string
			if err := s.Scan(&id, &v.Title, &v.Description, &entries); err != nil {
				return v, err
			}
			v.Key, v.Own = ownKey(id), true
			return v, json.Unmarshal([]byte(entries), &v.Entries)
		}, `SELECT id, title, description, entries FROM risk_vulnerabilities WHERE org_id = ? ORDER BY id`, orgID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list vulnerabilities: %w", err)
	}
	return out, nil
}

// ThreatExists reports whether key names a threat the organisation can
// rate a risk on: one of the shipped library, or one of its own.
func (db *DB) ThreatExists(ctx context.Context, orgID int64, key string) (bool, error) {
	return db.keyExists(ctx, orgID, key, "risk_threats", func(l risk.Library) bool { _, ok := l.Threat(key); return ok })
}

// VulnerabilityExists reports whether key names a vulnerability of the
// shipped library or of the organisation's own.
func (db *DB) VulnerabilityExists(ctx context.Context, orgID int64, key string) (bool, error) {
	return db.keyExists(ctx, orgID, key, "risk_vulnerabilities", func(l risk.Library) bool { _, ok := l.Vulnerability(key); return ok })
}

func (db *DB) keyExists(ctx context.Context, orgID int64, key, table string, shipped func(risk.Library) bool) (bool, error) {
	if strings.HasPrefix(key, "org:") {
		id, ok := ownID(key)
		if !ok {
			return false, nil
		}
		var n int
		err := db.view(ctx, func(tx *Tx) error {
			return tx.queryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE org_id = ? AND id = ?`, orgID, id).Scan(&n)
		})
		return n > 0, err
	}
	lib, _, err := library()
	if err != nil {
		return false, err
	}
	return shipped(lib), nil
}
