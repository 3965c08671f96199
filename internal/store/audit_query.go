package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// AuditFilter selects entries of the audit log. Zero fields match anything.
type AuditFilter struct {
	OrgID  int64  // 0: every organisation (deployment-wide view)
	Actor  string // exact
	Action string // exact, or a prefix ending in "." ("auth.")
	Object string // exact
	From   time.Time
	To     time.Time // exclusive
	Before int64     // only entries with seq below this (the paging cursor)
	Limit  int
}

// AuditSearch returns the newest entries matching f, newest first, and
// whether more exist beyond them.
func (db *DB) AuditSearch(ctx context.Context, f AuditFilter) ([]audit.Entry, bool, error) {
	var out []audit.Entry
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	err := db.view(ctx, func(tx *Tx) error {
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
		if strings.HasSuffix(f.Action, ".") {
			add("action LIKE ?", strings.NewReplacer("%", `\%`, "_", `\_`).Replace(f.Action)+"%")
			where[len(where)-1] += ` ESCAPE '\'`
		} else if f.Action != "" {
			add("action = ?", f.Action)
		}
		if f.Object != "" {
			add("object = ?", f.Object)
		}
		if !f.From.IsZero() {
			add("at >= ?", f.From.UTC())
		}
		if !f.To.IsZero() {
			add("at < ?", f.To.UTC())
		}
		if f.Before > 0 {
			add("seq < ?", f.Before)
		}
		q := `SELECT seq, at, COALESCE(org_id, 0), actor, action, object, source, request_id, summary FROM audit_log`
		if len(where) > 0 {
			q += " WHERE " + strings.Join(where, " AND ")
		}
		q += " ORDER BY seq DESC LIMIT ?"
		args = append(args, limit+1)
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
