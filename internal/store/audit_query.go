package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
)

// AuditFilter selects entries of the audit log. Zero fields match anything.
type AuditFilter struct {
	OrgID  int64  // 0: every organisation (deployment-wide view)
	Actor  string // exact
	Action string // exact, or a prefix ending in "." ("auth.")
	Object string // exact
	// ActorEmail and ObjectEmail name a person by email, as the pages show
	// them, in place of Actor or Object ("user:12"). The query finds the
	// person itself: in an organisation's log, only among its members and
	// those who have acted in it, so that a filter never tells whether
	// someone of another organisation has an account.
	ActorEmail, ObjectEmail string
	From                    time.Time
	To                      time.Time // exclusive
	Before                  int64     // only entries with seq below this (the paging cursor)
	Limit                   int
	// NoReads leaves out the log's record of its own reading (ReadAction),
	// so that a reviewer sees the changes among many reads.
	NoReads bool
}

// ReadAction is the action of the entries that record a read of the audit
// log itself (see AuditRead).
const ReadAction = "audit.read"

// AuditSearch returns the newest entries matching f, newest first, and
// whether more exist beyond them.
func (db *DB) AuditSearch(ctx context.Context, f AuditFilter) ([]audit.Entry, bool, error) {
	var out []audit.Entry
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	err := db.view(ctx, func(tx *Tx) error {
		var actions []string
		if strings.HasSuffix(f.Action, ".") {
			var err error
			if actions, err = tx.prefixActions(ctx, f); err != nil {
				return err
			}
		}
		walk, err := tx.walkDateRange(ctx, f, limit)
		if err != nil {
			return err
		}
		q, args := auditSearchSQL(f, limit, actions, walk)
		if q == "" {
			return nil // the prefix covers no action
		}
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e audit.Entry
			if err := rows.Scan(&e.Seq, timeValue{&e.At}, &e.OrgID, &e.Actor, &e.Action, &e.Object, &e.Source, &e.RequestID, &e.Summary); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, false, fmt.Errorf("search audit log: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// dateWalk is the plan for a date range whose newest matches lie near the
// newest end of the log: expr is how the dialect writes at so that no index
// on it is used.
type dateWalk struct{ expr string }

// walkDateRange decides how to read a date range filter (alone, or with
// the organisation, the cursor and the reads left out). The at index holds
// a range in time order, but a page is the newest by seq, and at (a
// transaction's start, or a back-dated record's date) is not ordered with
// seq: a dense range is read whole from the index and sorted (80,000
// entries in the last day take tens of milliseconds). One probe reads the
// newest entries by seq (before the cursor), at most four pages' worth
// through the seq index: when a page's worth of them is in the range, a
// walk newest first finds the page within those rows, and is chosen.
func (tx *Tx) walkDateRange(ctx context.Context, f AuditFilter, limit int) (*dateWalk, error) {
	if f.From.IsZero() || f.Actor != "" || f.ActorEmail != "" || f.Action != "" || f.Object != "" || f.ObjectEmail != "" {
		return nil, nil
	}
	inner, args := "", []any{}
	var where []string
	if f.OrgID != 0 {
		where, args = append(where, "org_id = ?"), append(args, f.OrgID)
	}
	if f.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, f.Before)
	}
	if f.NoReads {
		where, args = append(where, "action <> ?"), append(args, ReadAction)
	}
	if len(where) > 0 {
		inner = " WHERE " + strings.Join(where, " AND ")
	}
	window := min(4*(limit+1), 2000)
	to := f.To
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	var in int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT at FROM audit_log`+inner+` ORDER BY seq DESC LIMIT ?) AS p WHERE at >= ? AND at < ?`,
		append(args, window, f.From.UTC(), to.UTC())...).Scan(&in)
	if err != nil || in < limit+1 {
		return nil, err
	}
	if tx.db.dialect == Postgres {
		return &dateWalk{expr: "(at + INTERVAL '0 seconds')"}, nil
	}
	return &dateWalk{expr: "+at"}, nil
}

// maxPrefixActions bounds how many distinct actions a prefix filter is
// expanded into (see auditSearchSQL); beyond it, the prefix is one range.
const maxPrefixActions = 64

const searchColumns = `seq, at, COALESCE(org_id, 0), actor, action, object, source, request_id, summary`

// prefixActions returns the distinct actions of the log (in f's
// organisation) that start with f.Action, a prefix ending in ".", found by
// one index seek each; nil when there are more than maxPrefixActions.
func (tx *Tx) prefixActions(ctx context.Context, f AuditFilter) ([]string, error) {
	scope, args := "", []any{}
	if f.OrgID != 0 {
		scope, args = "org_id = ? AND ", []any{f.OrgID}
	}
	hi := strings.TrimSuffix(f.Action, ".") + "/"
	actions := []string{}
	op, after := ">=", f.Action
	for {
		var next sql.NullString
		q := `SELECT MIN(action) FROM audit_log WHERE ` + scope + `action ` + op + ` ? AND action < ?`
		if err := tx.queryRow(ctx, q, append(args, after, hi)...).Scan(&next); err != nil {
			return nil, err
		}
		if !next.Valid {
			return actions, nil
		}
		if len(actions) == maxPrefixActions {
			return nil, nil
		}
		if !f.NoReads || next.String != ReadAction {
			actions = append(actions, next.String)
		}
		op, after = ">", next.String
	}
}

// auditSearchSQL is AuditSearch's query: newest first, limit+1 rows, every
// filter served by one of migration 0019's indexes. An action prefix comes
// with the distinct actions it covers (prefixActions): the query is then
// the union of one index range per action, each newest first and cut at
// limit+1 rows, so it reads at most that many rows per action, however many
// entries match; with actions nil, the prefix is one range, sorted.
//
// With walk (see walkDateRange), a date range is tested row by row on a walk
// of the organisation's log newest first, instead of read from the at index
// and sorted: the same rows, another plan.
func auditSearchSQL(f AuditFilter, limit int, actions []string, walk *dateWalk) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.OrgID != 0 {
		add("org_id = ?", f.OrgID)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	// personSQL is the "user:<id>" of the person with an email: of any
	// user deployment-wide, of a member or a past actor in an
	// organisation's log.
	personSQL := func(col, email string) {
		q := `SELECT 'user:' || u.id FROM users u WHERE u.email = ?`
		a := []any{identity.NormalizeEmail(email)}
		if f.OrgID != 0 {
			q += ` AND (EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = ? AND m.user_id = u.id)
				OR EXISTS (SELECT 1 FROM audit_log p WHERE p.org_id = ? AND p.actor = 'user:' || u.id))`
			a = append(a, f.OrgID, f.OrgID)
		}
		where = append(where, col+" = ("+q+")")
		args = append(args, a...)
	}
	if f.ActorEmail != "" {
		personSQL("actor", f.ActorEmail)
	}
	ranged := !f.From.IsZero() || !f.To.IsZero()
	prefix := strings.HasSuffix(f.Action, ".")
	if prefix && actions == nil {
		ranged = true
		// A prefix ending in "." is the range [prefix, prefix with "." made
		// "/"), the next byte: an index range in byte order on both
		// engines (migration 0019 gives action the "C" collation on
		// PostgreSQL).
		add("action >= ?", f.Action)
		add("action < ?", strings.TrimSuffix(f.Action, ".")+"/")
	} else if f.Action != "" && !prefix {
		add("action = ?", f.Action)
	}
	if f.Object != "" {
		add("object = ?", f.Object)
	}
	if f.ObjectEmail != "" {
		personSQL("object", f.ObjectEmail)
	}
	if !f.From.IsZero() || !f.To.IsZero() {
		// Both bounds, even when one is open: with one bound the planners
		// guess a large range and walk the log by seq, which reads all of
		// it when nothing matches; with two they read the range of the at
		// index.
		from, to := f.From, f.To
		if to.IsZero() {
			to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		at := "at"
		if walk != nil {
			// An expression of at, not at itself, keeps the planners off
			// the at index.
			at = walk.expr
		}
		add(at+" >= ?", from.UTC())
		add(at+" < ?", to.UTC())
	}
	if f.Before > 0 && ranged && walk == nil {
		// "+seq" keeps the cursor out of index choice, so that a range
		// filter reads its own index range rather than the organisation's
		// entries before the cursor, all of them when nothing matches.
		add("+seq < ?", f.Before)
	} else if f.Before > 0 {
		add("seq < ?", f.Before)
	}
	if f.NoReads && (!prefix || actions == nil) {
		add("action <> ?", ReadAction)
	}
	// The newest matching seqs come from an index alone (every index of
	// migration 0019 holds seq), and only their rows are read: the planners
	// then weigh index ranges, not a walk of the whole log by seq that
	// reads each row to test it (which PostgreSQL otherwise prefers when
	// it expects matches to be common, and then reads the whole log when
	// they are not).
	var inner string
	if prefix && actions != nil {
		if len(actions) == 0 {
			return "", nil
		}
		var parts []string
		var all []any
		for i, a := range actions {
			cond := append([]string{"action = ?"}, where...)
			parts = append(parts, fmt.Sprintf(`SELECT * FROM (SELECT seq FROM audit_log WHERE %s ORDER BY seq DESC LIMIT ?) AS a%d`,
				strings.Join(cond, " AND "), i))
			all = append(append(append(all, a), args...), limit+1)
		}
		inner, args = `SELECT seq FROM (`+strings.Join(parts, " UNION ALL ")+`) AS u ORDER BY seq DESC LIMIT ?`, append(all, limit+1)
	} else {
		inner = `SELECT seq FROM audit_log`
		if len(where) > 0 {
			inner += " WHERE " + strings.Join(where, " AND ")
		}
		inner += " ORDER BY seq DESC LIMIT ?"
		args = append(args, limit+1)
	}
	return `SELECT ` + searchColumns + ` FROM audit_log WHERE seq IN (` + inner + `) ORDER BY seq DESC`, args
}

// AuditEntry returns one entry by sequence number, or ErrNotFound; orgID 0
// finds it in any organisation.
func (db *DB) AuditEntry(ctx context.Context, orgID, seq int64) (audit.Entry, error) {
	var e audit.Entry
	err := db.view(ctx, func(tx *Tx) error {
		q := `SELECT seq, at, COALESCE(org_id, 0), actor, action, object, source, request_id, summary FROM audit_log WHERE seq = ?`
		args := []any{seq}
		if orgID != 0 {
			q += " AND org_id = ?"
			args = append(args, orgID)
		}
		err := tx.queryRow(ctx, q, args...).Scan(&e.Seq, timeValue{&e.At}, &e.OrgID, &e.Actor, &e.Action, &e.Object, &e.Source, &e.RequestID, &e.Summary)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return audit.Entry{}, fmt.Errorf("audit entry %d: %w", seq, err)
	}
	return e, nil
}
