package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// ReadWindow is how long one recorded read of the audit log covers further
// reads of the same kind by the same session (AuditRead). Fifteen minutes is
// the default idle sign-out: a reviewer paging and filtering through the log
// leaves one entry per quarter hour and kind of read instead of one per page,
// while who read which organisation's log, from which session, and when to
// within a quarter hour stays on record. Another session, another person or
// another organisation always gets its own entry.
const ReadWindow = 15 * time.Minute

// maxReadWindow bounds the window a caller may ask for; marks older than it
// are removed as new ones are written.
const maxReadWindow = 24 * time.Hour

// AuditRead records e, a read of the audit log, unless the same session has
// recorded a read of the same kind (the same action, organisation and kind of
// object, the part of e.Object before ":") within window; it reports whether
// it wrote an entry. session names the reader's session (a session or token
// id, not a secret: only its SHA-256 is kept); empty, every read is recorded.
// Concurrent reads of one session write one entry: the mark and the entry
// commit in one transaction, and a second writer sees the first's mark.
func (db *DB) AuditRead(ctx context.Context, actor Actor, session string, e audit.Entry, window time.Duration) (bool, error) {
	if e.Action == "" {
		e.Action = ReadAction
	}
	window = min(max(window, 0), maxReadWindow)
	if session == "" || window == 0 {
		return true, db.AppendAudit(ctx, actor, e)
	}
	sum := sha256.Sum256([]byte(session))
	key := sum[:]
	kind, _, _ := strings.Cut(e.Object, ":")
	kind = e.Action + " " + kind

	// Most reads fall in a window: a read-only look spares them the writer.
	var last time.Time
	err := db.view(ctx, func(tx *Tx) error {
		err := tx.queryRow(ctx, `SELECT at FROM audit_reads WHERE session = ? AND org_id = ? AND kind = ?`, key, e.OrgID, kind).Scan(timeValue{&last})
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("audit read: %w", err)
	}
	if !last.IsZero() && db.Now().Sub(last) < window {
		return false, nil
	}

	recorded := false
	err = db.update(ctx, func(tx *Tx) error {
		recorded = false
		// The upsert changes the mark only if it is older than the window;
		// RETURNING gives a row only then. On PostgreSQL a concurrent
		// upsert of the same key waits for this transaction and then finds
		// the fresh mark; on SQLite writers are serial.
		var at time.Time
		err := tx.queryRow(ctx, `INSERT INTO audit_reads (session, org_id, kind, at) VALUES (?, ?, ?, ?)
			ON CONFLICT (session, org_id, kind) DO UPDATE SET at = excluded.at WHERE audit_reads.at <= ?
			RETURNING at`, key, e.OrgID, kind, tx.now, tx.now.Add(-window)).Scan(timeValue{&at})
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM audit_reads WHERE at < ?`, tx.now.Add(-maxReadWindow)); err != nil {
			return err
		}
		recorded = true
		e.Summary = strings.TrimSpace(e.Summary + fmt.Sprintf(" (further reads of this kind by the same session within %v are covered by this entry)", window))
		return tx.appendAudit(ctx, actor, e)
	})
	if err != nil {
		return false, fmt.Errorf("audit read: %w", err)
	}
	return recorded, nil
}
