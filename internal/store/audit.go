package store

import (
	"context"
	"fmt"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// Actor says who is making a change and from where; every exported method that
// changes data takes one, so that its audit entry can be written with it.
type Actor struct {
	Name      string // "user:42", "cli:root", "system"
	Source    string // remote address, empty for the CLI
	RequestID string
}

// appendAudit writes e in tx. A change and its entry commit together or not at
// all: if the entry cannot be written, the change fails.
func (tx *Tx) appendAudit(ctx context.Context, actor Actor, e audit.Entry) error {
	if actor.Name == "" {
		return fmt.Errorf("audit %s: no actor", e.Action)
	}
	var orgID any
	if e.OrgID != 0 {
		orgID = e.OrgID
	}
	_, err := tx.exec(ctx, `INSERT INTO audit_log (at, org_id, actor, action, object, source, request_id, summary)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tx.now, orgID, actor.Name, e.Action, e.Object, actor.Source, actor.RequestID, e.Summary)
	if err != nil {
		return fmt.Errorf("write audit entry for %s: %w", e.Action, err)
	}
	return nil
}

// AuditEntries returns the newest entries of the log, newest first, at most
// limit of them; orgID 0 means every organisation.
func (db *DB) AuditEntries(ctx context.Context, orgID int64, limit int) ([]audit.Entry, error) {
	var out []audit.Entry
	err := db.view(ctx, func(tx *Tx) error {
		q := `SELECT seq, at, COALESCE(org_id, 0), actor, action, object, source, request_id, summary FROM audit_log`
		var args []any
		if orgID != 0 {
			q += ` WHERE org_id = ?`
			args = append(args, orgID)
		}
		q += ` ORDER BY seq DESC LIMIT ?`
		args = append(args, limit)
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
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return out, nil
}
