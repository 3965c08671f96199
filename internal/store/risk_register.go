package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// The risk register: risks with their ratings (on the scale each was rated
// on, with the levels stored beside them for the register's filters and
// the heat map), the assets they concern, their treatment and every saved
// version.

func riskObject(id int64) string { return fmt.Sprintf("risk:%d", id) }

const riskColumns = `id, org_id, title, threat, vulnerability, measures, measures_note, scale_id,
	inherent_likelihood, inherent_impact, current_likelihood, current_impact, target_likelihood, target_impact,
	likelihood_rationale, impact_rationale, owner_id, status, strategy, party, treatment_note,
	approver_id, accept_reason, accept_expires, approved_at, suggestion, version, identified_at, updated_at`

func scanRisk(s scanner) (risk.Risk, error) {
	var r risk.Risk
	var owner, approver sql.NullInt64
	var status, strategy, reason string
	var expires, approved time.Time
	err := s.Scan(&r.ID, &r.OrgID, &r.Title, &r.Threat, &r.Vulnerability, jsonValue{&r.Measures}, &r.MeasuresNote, &r.ScaleID,
		&r.Inherent.Likelihood, &r.Inherent.Impact, &r.Current.Likelihood, &r.Current.Impact, &r.Target.Likelihood, &r.Target.Impact,
		&r.LikelihoodWhy, &r.ImpactWhy, &owner, &status, &strategy, &r.Treatment.Party, &r.Treatment.Note,
		&approver, &reason, timeValue{&expires}, timeValue{&approved}, &r.Suggestion, &r.Version, timeValue{&r.IdentifiedAt}, timeValue{&r.UpdatedAt})
	r.OwnerID, r.Status, r.Treatment.Strategy = owner.Int64, risk.Status(status), risk.Strategy(strategy)
	if approver.Valid {
		r.Treatment.Acceptance = &risk.Acceptance{ApproverID: approver.Int64, Reason: reason, Expires: expires, ApprovedAt: approved}
	}
	if r.Measures == nil {
		r.Measures = []string{}
	}
	r.AssetIDs = []int64{}
	return r, err
}

func (tx *Tx) risk(ctx context.Context, orgID, id int64) (risk.Risk, error) {
	r, err := scanRisk(tx.queryRow(ctx, `SELECT `+riskColumns+` FROM risks WHERE org_id = ? AND id = ?`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return risk.Risk{}, fmt.Errorf("risk %d: %w", id, ErrNotFound)
	} else if err != nil {
		return risk.Risk{}, err
	}
	rs := []risk.Risk{r}
	if err := tx.riskAssets(ctx, rs); err != nil {
		return risk.Risk{}, err
	}
	return rs[0], nil
}

// riskAssets fills in the assets of rs in one query.
func (tx *Tx) riskAssets(ctx context.Context, rs []risk.Risk) error {
	if len(rs) == 0 {
		return nil
	}
	at := map[int64]int{}
	ids := make([]int64, len(rs))
	for i, r := range rs {
		at[r.ID], ids[i] = i, r.ID
	}
	return tx.byIDs(ctx, `SELECT risk_id, CAST(asset_id AS TEXT) FROM risk_assets WHERE risk_id IN `, ids, func(id int64, v string) {
		n, _ := strconv.ParseInt(v, 10, 64)
		i := at[id]
		rs[i].AssetIDs = append(rs[i].AssetIDs, n)
	})
}

// Member checks.

// memberRole is userID's role in orgID, "" when not a member.
func (tx *Tx) memberRole(ctx context.Context, orgID, userID int64) (identity.Role, error) {
	var role string
	err := tx.queryRow(ctx, `SELECT role FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return identity.Role(role), err
}

// checkRisk adds to p the problems only the database can see: assets of
// another organisation, threats and vulnerabilities neither shipped nor the
// organisation's own, an owner who is not a member, an approver who may
// not accept risks.
func (tx *Tx) checkRisk(ctx context.Context, orgID int64, r risk.Risk, p validate.Error) error {
	if len(r.AssetIDs) > 0 && len(r.AssetIDs) <= risk.MaxItems {
		found := map[int64]bool{}
		err := tx.byIDs(ctx, `SELECT id, org_id FROM assets WHERE org_id = `+strconv.FormatInt(orgID, 10)+` AND id IN `, r.AssetIDs, func(id int64, _ string) { found[id] = true })
		if err != nil {
			return err
		}
		var missing []string
		for _, id := range r.AssetIDs {
			if !found[id] {
				missing = append(missing, strconv.FormatInt(id, 10))
			}
		}
		if len(missing) > 0 {
			p.Add("asset_ids", "names assets this organisation does not have in its inventory: "+strings.Join(missing, ", "))
		}
	}
	if r.Threat != "" && !risk.ShippedThreat(r.Threat) {
		if ok, err := tx.ownKey(ctx, "risk_threats", orgID, r.Threat); err != nil {
			return err
		} else if !ok {
			p.Add("threat", "is not a threat of the library or one this organisation added")
		}
	}
	if r.Vulnerability != "" && !risk.ShippedVulnerability(r.Vulnerability) {
		if ok, err := tx.ownKey(ctx, "risk_vulnerabilities", orgID, r.Vulnerability); err != nil {
			return err
		} else if !ok {
			p.Add("vulnerability", "is not a vulnerability of the library or one this organisation added")
		}
	}
	if r.OwnerID != 0 {
		if role, err := tx.memberRole(ctx, orgID, r.OwnerID); err != nil {
			return err
		} else if role == "" {
			p.Add("owner_id", "must be a member of this organisation")
		}
	}
	if a := r.Treatment.Acceptance; a != nil && a.ApproverID != 0 {
		if role, err := tx.memberRole(ctx, orgID, a.ApproverID); err != nil {
			return err
		} else if !role.Allows(identity.PermOrgSecurity) {
			p.Add("treatment.acceptance.approver_id", "must be a member who may accept risks: an owner or security officer of this organisation")
		}
	}
	return nil
}

// ownKey reports whether key is "org:<id>" of a row of table (risk_threats
// or risk_vulnerabilities) that belongs to orgID.
func (tx *Tx) ownKey(ctx context.Context, table string, orgID int64, key string) (bool, error) {
	rest, ok := strings.CutPrefix(key, "org:")
	id, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil || id <= 0 || strconv.FormatInt(id, 10) != rest {
		return false, nil
	}
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE org_id = ? AND id = ?`, orgID, id).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// prepareRisk normalises r for orgID and checks it on sc, reporting every
// problem at once.
func (tx *Tx) prepareRisk(ctx context.Context, orgID int64, r *risk.Risk, sc risk.Scale) error {
	r.Normalize()
	if r.AssetIDs == nil {
		r.AssetIDs = []int64{}
	}
	if r.Measures == nil {
		r.Measures = []string{}
	}
	r.OrgID, r.ScaleID = orgID, sc.ID
	p := validate.Error{}
	maps(p, r.Validate(sc, tx.now))
	if err := tx.checkRisk(ctx, orgID, *r, p); err != nil {
		return err
	}
	return p.Err()
}

// CheckRisk reports, without saving anything, every problem CreateRisk (id
// 0) or UpdateRisk would find with r: what a form checks before it adds
// problems of its own (catalogue citations, which the store does not
// hold).
func (db *DB) CheckRisk(ctx context.Context, orgID int64, r risk.Risk) error {
	sc, err := db.OrgScale(ctx, orgID)
	if err != nil {
		return err
	}
	return db.view(ctx, func(tx *Tx) error {
		if r.ID != 0 {
			stored, err := tx.risk(ctx, orgID, r.ID)
			if err != nil {
				return err
			}
			if sc, err = tx.scale(ctx, orgID, stored.ScaleID); err != nil {
				return err
			}
		}
		return tx.prepareRisk(ctx, orgID, &r, sc)
	})
}

// putRisk stores r (prepared, on scale sc) as the version after prev (0:
// a new risk), with its assets, categories and version record; it returns
// errStale when another version was stored since prev was read.
func (tx *Tx) putRisk(ctx context.Context, actor Actor, orgID int64, r risk.Risk, sc risk.Scale, prev int) (risk.Risk, error) {
	li, _ := sc.Level(r.Inherent)
	lc, _ := sc.Level(r.Current)
	var lt any
	if l, ok := sc.Level(r.Target); ok {
		lt = l
	}
	var owner, approver, expires, approved any
	if r.OwnerID != 0 {
		owner = r.OwnerID
	}
	reason := ""
	if a := r.Treatment.Acceptance; a != nil {
		approver, reason, expires, approved = a.ApproverID, a.Reason, a.Expires.UTC(), a.ApprovedAt.UTC()
	}
	r.Version, r.UpdatedAt = prev+1, tx.now
	args := []any{r.Title, r.Threat, r.Vulnerability, jsonText(r.Measures), r.MeasuresNote, r.ScaleID,
		r.Inherent.Likelihood, r.Inherent.Impact, li, r.Current.Likelihood, r.Current.Impact, lc, r.Target.Likelihood, r.Target.Impact, lt,
		r.LikelihoodWhy, r.ImpactWhy, owner, string(r.Status), string(r.Treatment.Strategy), r.Treatment.Party, r.Treatment.Note,
		approver, reason, expires, approved, r.Version, tx.now, actor.Name}
	const cols = `title, threat, vulnerability, measures, measures_note, scale_id,
		inherent_likelihood, inherent_impact, inherent_level, current_likelihood, current_impact, current_level, target_likelihood, target_impact, target_level,
		likelihood_rationale, impact_rationale, owner_id, status, strategy, party, treatment_note,
		approver_id, accept_reason, accept_expires, approved_at, version, updated_at, updated_by`
	if prev == 0 {
		r.IdentifiedAt = tx.now
		var err error
		r.ID, err = tx.insert(ctx, `INSERT INTO risks (`+cols+`, org_id, suggestion, identified_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(args, orgID, r.Suggestion, tx.now, actor.Name)...)
		if err != nil {
			return r, err
		}
	} else {
		set := strings.ReplaceAll(strings.Join(strings.Fields(cols), " "), ",", " = ?,") + " = ?"
		res, err := tx.exec(ctx, `UPDATE risks SET `+set+` WHERE org_id = ? AND id = ? AND version = ?`, append(args, orgID, r.ID, prev)...)
		if err != nil {
			return r, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return r, err
		} else if n == 0 {
			return r, errStale
		}
		for _, q := range []string{`DELETE FROM risk_assets WHERE risk_id = ?`, `DELETE FROM risk_categories WHERE risk_id = ?`} {
			if _, err := tx.exec(ctx, q, r.ID); err != nil {
				return r, err
			}
		}
	}
	for _, a := range r.AssetIDs {
		if _, err := tx.exec(ctx, `INSERT INTO risk_assets (risk_id, asset_id) VALUES (?, ?)`, r.ID, a); err != nil {
			return r, err
		}
	}
	for _, c := range risk.MeasureCategories(r.Measures) {
		if _, err := tx.exec(ctx, `INSERT INTO risk_categories (risk_id, org_id, category) VALUES (?, ?, ?)`, r.ID, orgID, string(c)); err != nil {
			return r, err
		}
	}
	_, err := tx.exec(ctx, `INSERT INTO risk_versions (risk_id, version, data, saved_at, saved_by) VALUES (?, ?, ?, ?, ?)`,
		r.ID, r.Version, jsonText(r), tx.now, actor.Name)
	return r, err
}

// CreateRisk adds a risk to the organisation's register, rated on its
// current scale. Every problem is reported at once, as field problems, and
// nothing is saved: assets of another organisation (asset_ids), unknown
// threats or vulnerabilities, ratings outside the scale, an owner who is
// not a member, an acceptance approved by someone without the role.
func (db *DB) CreateRisk(ctx context.Context, actor Actor, orgID int64, r risk.Risk) (risk.Risk, error) {
	sc, err := db.OrgScale(ctx, orgID)
	if err != nil {
		return risk.Risk{}, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		if err := tx.prepareRisk(ctx, orgID, &r, sc); err != nil {
			return err
		}
		if a := r.Treatment.Acceptance; a != nil {
			a.ApprovedAt = tx.now
		}
		var err error
		if r, err = tx.putRisk(ctx, actor, orgID, r, sc, 0); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.risk.create", Object: riskObject(r.ID),
			Summary: fmt.Sprintf("added the risk %q: inherent %s; current %s; %s", r.Title, sc.Describe(r.Inherent), sc.Describe(r.Current), treatmentWords(r))})
	})
	if isUniqueViolation(err) {
		err = conflict("This suggestion is already in the register.")
	}
	if err != nil {
		return risk.Risk{}, fmt.Errorf("create risk: %w", err)
	}
	return r, nil
}

func treatmentWords(r risk.Risk) string {
	s := "status " + string(r.Status)
	if r.Treatment.Strategy != "" {
		s += ", treatment " + string(r.Treatment.Strategy)
	}
	if a := r.Treatment.Acceptance; a != nil {
		s += fmt.Sprintf(", accepted by user:%d until %s", a.ApproverID, a.Expires.UTC().Format("2 Jan 2006"))
	}
	return s
}

// UpdateRisk saves r (r.Version the version it was read at; ErrConflict
// when another was saved since) as a new version. The risk keeps the scale
// it was rated on; RerateRisks moves it to another. An acceptance that is
// new or changed is dated now.
func (db *DB) UpdateRisk(ctx context.Context, actor Actor, orgID int64, r risk.Risk) (risk.Risk, error) {
	err := db.update(ctx, func(tx *Tx) error {
		old, err := tx.risk(ctx, orgID, r.ID)
		if err != nil {
			return err
		}
		if r.Version != old.Version {
			return errStale
		}
		sc, err := tx.scale(ctx, orgID, old.ScaleID)
		if err != nil {
			return err
		}
		r.Suggestion, r.IdentifiedAt = old.Suggestion, old.IdentifiedAt
		if err := tx.prepareRisk(ctx, orgID, &r, sc); err != nil {
			return err
		}
		if a := r.Treatment.Acceptance; a != nil {
			a.ApprovedAt = tx.now
			if o := old.Treatment.Acceptance; o != nil && SameAcceptance(*o, *a) {
				a.ApprovedAt = o.ApprovedAt
			}
		}
		if r, err = tx.putRisk(ctx, actor, orgID, r, sc, old.Version); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "risk.risk.update", Object: riskObject(r.ID),
			Summary: fmt.Sprintf("updated the risk %q: %s (version %d)", r.Title, strings.Join(riskChanges(sc, old, r), "; "), r.Version)})
	})
	if errors.Is(err, errStale) || isUniqueViolation(err) {
		err = conflict("The risk was changed by someone else meanwhile; reload and try again.")
	}
	if err != nil {
		return risk.Risk{}, fmt.Errorf("update risk %d: %w", r.ID, err)
	}
	return r, nil
}

// SameAcceptance reports whether two acceptances record the same decision:
// the same approver, reason and expiry.
func SameAcceptance(a, b risk.Acceptance) bool {
	return a.ApproverID == b.ApproverID && a.Reason == b.Reason && a.Expires.Equal(b.Expires)
}

func riskChanges(sc risk.Scale, old, r risk.Risk) []string {
	var out []string
	if old.Title != r.Title {
		out = append(out, fmt.Sprintf("title was %q", old.Title))
	}
	for _, c := range []struct {
		name   string
		before risk.Rating
		after  risk.Rating
	}{{"inherent", old.Inherent, r.Inherent}, {"current", old.Current, r.Current}, {"target", old.Target, r.Target}} {
		if c.before != c.after {
			out = append(out, fmt.Sprintf("%s %s → %s", c.name, sc.Describe(c.before), sc.Describe(c.after)))
		}
	}
	if old.Status != r.Status {
		out = append(out, fmt.Sprintf("status %s → %s", old.Status, r.Status))
	}
	if old.Treatment.Strategy != r.Treatment.Strategy {
		out = append(out, fmt.Sprintf("treatment %s → %s", cmpOr(string(old.Treatment.Strategy), "none"), cmpOr(string(r.Treatment.Strategy), "none")))
	}
	if a := r.Treatment.Acceptance; a != nil && (old.Treatment.Acceptance == nil || !SameAcceptance(*old.Treatment.Acceptance, *a)) {
		out = append(out, fmt.Sprintf("accepted by user:%d until %s", a.ApproverID, a.Expires.UTC().Format("2 Jan 2006")))
	}
	if old.OwnerID != r.OwnerID {
		out = append(out, fmt.Sprintf("owner user:%d", r.OwnerID))
	}
	if !slices.Equal(old.AssetIDs, r.AssetIDs) {
		out = append(out, fmt.Sprintf("assets %v", r.AssetIDs))
	}
	if len(out) == 0 {
		out = append(out, "details")
	}
	return out
}

// Risk returns one risk of the organisation, or ErrNotFound (also for
// another organisation's).
func (db *DB) Risk(ctx context.Context, orgID, id int64) (risk.Risk, error) {
	var r risk.Risk
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		r, err = tx.risk(ctx, orgID, id)
		return err
	})
	return r, err
}

// Register sort orders.
const (
	SortLevel   = "level"   // highest current level first (the default)
	SortTitle   = "title"   // A to Z
	SortUpdated = "updated" // last changed first
)

// RiskFilter narrows the register. Zero fields do not filter.
type RiskFilter struct {
	// Level is the current level's number on the risk's scale, from 1
	// (the lowest).
	Level   int
	AssetID int64
	Threat  string
	OwnerID int64
	Status  risk.Status
	// Category keeps the risks with a measure (a catalogue entry in place
	// against them) in the category: risk.MeasureCategories.
	Category catalog.Category
	// Cell keeps the risks of one cell of a heat map: not closed, on
	// scale CellScale, rated Cell (Inherent: the inherent rating, else
	// the current one).
	Cell      risk.Rating
	CellScale int64
	Inherent  bool
	// Sort is SortLevel (default), SortTitle or SortUpdated.
	Sort string
}

// Risks returns a page of the organisation's register, filtered and
// sorted, and the key of the next page, or nil on the last. Each order
// reads one index (risks_org_level, _title, _updated) with the ID as its
// tie-break.
func (db *DB) Risks(ctx context.Context, orgID int64, f RiskFilter, p Page) ([]risk.Risk, *Key, error) {
	size := p.size()
	query, args, err := risksSQL(orgID, f, p.After, size)
	if err != nil {
		return nil, nil, err
	}
	type leveled struct {
		r     risk.Risk
		level int
	}
	var rows []leveled
	err = db.view(ctx, func(tx *Tx) error {
		var err error
		rows, err = queryAll(ctx, tx, func(s scanner) (leveled, error) {
			var l leveled
			r, err := scanRisk(scanFunc(func(dest ...any) error { return s.Scan(append(dest, &l.level)...) }))
			l.r = r
			return l, err
		}, query, args...)
		if err != nil {
			return err
		}
		shown := make([]risk.Risk, min(len(rows), size))
		for i := range shown {
			shown[i] = rows[i].r
		}
		if err := tx.riskAssets(ctx, shown); err != nil {
			return err
		}
		for i := range shown {
			rows[i].r = shown[i]
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list risks: %w", err)
	}
	rows, nextRow := cut(rows, size, func(l leveled) Key {
		switch f.Sort {
		case SortTitle:
			return Key{Sort: l.r.Title, ID: l.r.ID}
		case SortUpdated:
			return Key{Sort: l.r.UpdatedAt.UTC().Format(time.RFC3339Nano), ID: l.r.ID}
		}
		return Key{Sort: strconv.Itoa(l.level), ID: l.r.ID}
	})
	out := make([]risk.Risk, len(rows))
	for i, l := range rows {
		out[i] = l.r
	}
	return out, nextRow, nil
}

// scanFunc is a scanner made of a function.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

func risksSQL(orgID int64, f RiskFilter, after Key, size int) (string, []any, error) {
	query := `SELECT ` + riskColumns + `, current_level FROM risks WHERE org_id = ?`
	args := []any{orgID}
	if f.Level > 0 {
		query += ` AND current_level = ?`
		args = append(args, f.Level-1)
	}
	if f.AssetID != 0 {
		query += ` AND id IN (SELECT risk_id FROM risk_assets WHERE asset_id = ?)`
		args = append(args, f.AssetID)
	}
	if f.Threat != "" {
		query += ` AND threat = ?`
		args = append(args, f.Threat)
	}
	if f.OwnerID != 0 {
		query += ` AND owner_id = ?`
		args = append(args, f.OwnerID)
	}
	if f.Status != "" {
		query += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	if f.Category != "" {
		query += ` AND id IN (SELECT risk_id FROM risk_categories WHERE org_id = ? AND category = ?)`
		args = append(args, orgID, string(f.Category))
	}
	if !f.Cell.Zero() {
		col := "current"
		if f.Inherent {
			col = "inherent"
		}
		query += ` AND status <> 'closed' AND scale_id = ? AND ` + col + `_likelihood = ? AND ` + col + `_impact = ?`
		args = append(args, f.CellScale, f.Cell.Likelihood, f.Cell.Impact)
	}
	var order string
	switch f.Sort {
	case SortTitle:
		if !after.IsZero() {
			query += ` AND (title, id) > (?, ?)`
			args = append(args, after.Sort, after.ID)
		}
		order = ` ORDER BY title, id`
	case SortUpdated:
		if !after.IsZero() {
			t, err := time.Parse(time.RFC3339Nano, after.Sort)
			if err != nil {
				return "", nil, badCursor
			}
			query += ` AND (updated_at, id) < (?, ?)`
			args = append(args, t.UTC(), after.ID)
		}
		order = ` ORDER BY updated_at DESC, id DESC`
	case "", SortLevel:
		if !after.IsZero() {
			l, err := strconv.Atoi(after.Sort)
			if err != nil {
				return "", nil, badCursor
			}
			query += ` AND (current_level, id) < (?, ?)`
			args = append(args, l, after.ID)
		}
		order = ` ORDER BY current_level DESC, id DESC`
	default:
		return "", nil, validate.Error{"sort": "must be level, title or updated"}
	}
	return query + order + ` LIMIT ?`, append(args, size+1), nil
}

// RiskVersion is one saved version of a risk.
type RiskVersion struct {
	Risk    risk.Risk `json:"risk"`
	SavedAt time.Time `json:"saved_at"`
	SavedBy string    `json:"saved_by"`
}

// RiskHistory returns a page of the saved versions of a risk, newest first,
// and the key of the next (older) page, or nil on the last.
func (db *DB) RiskHistory(ctx context.Context, orgID, id int64, p Page) ([]RiskVersion, *Key, error) {
	// The number is the version column's: a version's data is written
	// before it carries its own number.
	vs, next, err := savedVersions[risk.Risk](ctx, db, "risk_versions", "risk_id", id, p, func(tx *Tx) error {
		_, err := tx.risk(ctx, orgID, id)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("history of risk %d: %w", id, err)
	}
	out := make([]RiskVersion, len(vs))
	for i, v := range vs {
		out[i] = RiskVersion{Risk: v.Record, SavedAt: v.SavedAt, SavedBy: v.SavedBy}
		out[i].Risk.Version = v.Version
	}
	return out, next, nil
}

// HeatMap is how many of an organisation's risks that are not closed lie
// in each likelihood × impact cell of its current scale.
type HeatMap struct {
	Scale risk.Scale `json:"scale"`
	// Which is "inherent" or "current": the rating counted.
	Which string `json:"which"`
	// Counts[l-1][i-1] is the number of risks rated likelihood l, impact i.
	Counts [][]int `json:"counts"`
	Total  int     `json:"total"`
	// OtherScales counts the risks still rated on an earlier scale, which
	// the map cannot place until they are re-rated.
	OtherScales int `json:"other_scales"`
}

// LevelCounts is how many of the map's risks are at each level of its
// scale, from the lowest.
func (h HeatMap) LevelCounts() []int {
	out := make([]int, len(h.Scale.Levels))
	for l, row := range h.Counts {
		for i, n := range row {
			if lv, ok := h.Scale.Level(risk.Rating{Likelihood: l + 1, Impact: i + 1}); ok {
				out[lv] += n
			}
		}
	}
	return out
}

// HeatMap counts, in SQL, the organisation's risks that are not closed by
// cell of its current scale; which is "inherent" or "current".
func (db *DB) HeatMap(ctx context.Context, orgID int64, which string) (HeatMap, error) {
	if which != "inherent" && which != "current" {
		return HeatMap{}, validate.Error{"which": "must be inherent or current"}
	}
	sc, err := db.OrgScale(ctx, orgID)
	if err != nil {
		return HeatMap{}, err
	}
	h := HeatMap{Scale: sc, Which: which, Counts: make([][]int, len(sc.Likelihood))}
	for l := range h.Counts {
		h.Counts[l] = make([]int, len(sc.Impact))
	}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT `+which+`_likelihood, `+which+`_impact, COUNT(*) FROM risks
			WHERE org_id = ? AND scale_id = ? AND status <> 'closed' GROUP BY `+which+`_likelihood, `+which+`_impact`, orgID, sc.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l, i, n int
			if err := rows.Scan(&l, &i, &n); err != nil {
				return err
			}
			if l >= 1 && l <= len(h.Counts) && i >= 1 && i <= len(h.Counts[l-1]) {
				h.Counts[l-1][i-1] += n
				h.Total += n
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.queryRow(ctx, `SELECT COUNT(*) FROM risks WHERE org_id = ? AND scale_id <> ? AND status <> 'closed'`, orgID, sc.ID).Scan(&h.OtherScales)
	})
	if err != nil {
		return HeatMap{}, fmt.Errorf("heat map: %w", err)
	}
	return h, nil
}

// TopRisks returns the organisation's n highest risks that are not closed,
// by current level (then inherent level, then newest).
func (db *DB) TopRisks(ctx context.Context, orgID int64, n int) ([]risk.Risk, error) {
	n = Page{Limit: n}.size()
	var out []risk.Risk
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		if out, err = queryAll(ctx, tx, scanRisk, `SELECT `+riskColumns+` FROM risks WHERE org_id = ? AND status <> 'closed'
			ORDER BY current_level DESC, inherent_level DESC, id DESC LIMIT ?`, orgID, n); err != nil {
			return err
		}
		return tx.riskAssets(ctx, out)
	})
	if err != nil {
		return nil, fmt.Errorf("top risks: %w", err)
	}
	return out, nil
}

// Choice is one option of a form's select: a value and what people read.
type Choice struct {
	ID    int64  `json:"id,omitempty"`
	Key   string `json:"key,omitempty"`
	Label string `json:"label"`
}

// RiskChoices are the organisation's own records a risk names, for the
// register's forms and filters and to show names instead of IDs: its assets
// (by name) and the threats and vulnerabilities it added (keys "org:<id>").
type RiskChoices struct {
	// Assets are the first ChoiceAssets assets by name; MoreAssets is set
	// when the inventory has more, and a form asks for them otherwise.
	Assets          []Choice
	MoreAssets      bool
	Threats         []Choice
	Vulnerabilities []Choice
}

// ChoiceAssets bounds the assets RiskChoices lists: a larger inventory is
// not offered as one list.
const ChoiceAssets = 200

// RiskChoices reads the organisation's assets (up to ChoiceAssets), own
// threats and own vulnerabilities as choices.
func (db *DB) RiskChoices(ctx context.Context, orgID int64) (RiskChoices, error) {
	var c RiskChoices
	scan := func(prefix string) func(scanner) (Choice, error) {
		return func(s scanner) (Choice, error) {
			var ch Choice
			err := s.Scan(&ch.ID, &ch.Label)
			if prefix != "" {
				ch.Key = prefix + strconv.FormatInt(ch.ID, 10)
			}
			return ch, err
		}
	}
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		if c.Assets, err = queryAll(ctx, tx, scan(""), `SELECT id, name FROM assets WHERE org_id = ? ORDER BY name, id LIMIT ?`, orgID, ChoiceAssets+1); err != nil {
			return err
		}
		if len(c.Assets) > ChoiceAssets {
			c.Assets, c.MoreAssets = c.Assets[:ChoiceAssets], true
		}
		if c.Threats, err = queryAll(ctx, tx, scan("org:"), `SELECT id, title FROM risk_threats WHERE org_id = ? ORDER BY title, id`, orgID); err != nil {
			return err
		}
		c.Vulnerabilities, err = queryAll(ctx, tx, scan("org:"), `SELECT id, title FROM risk_vulnerabilities WHERE org_id = ? ORDER BY title, id`, orgID)
		return err
	})
	if err != nil {
		return RiskChoices{}, fmt.Errorf("risk choices of org %d: %w", orgID, err)
	}
	return c, nil
}
