package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// DropAuditTriggersForTest removes the append-only triggers of the audit
// tables, as an attacker with administrative access to the database would.
func DropAuditTriggersForTest(ctx context.Context, db *DB) error {
	var stmts []string
	if db.dialect == Postgres {
		for _, t := range []string{"audit_log", "audit_tree", "audit_checkpoints", "audit_keys"} {
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DISABLE TRIGGER USER", t))
		}
	} else {
		for _, t := range []string{"audit_log", "audit_tree", "audit_checkpoints", "audit_keys"} {
			stmts = append(stmts, fmt.Sprintf("DROP TRIGGER IF EXISTS %s_no_update", t), fmt.Sprintf("DROP TRIGGER IF EXISTS %s_no_delete", t))
		}
	}
	for _, q := range stmts {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// UpdateForTest runs an update that appends e and then fails with fail.
func UpdateForTest(ctx context.Context, db *DB, actor Actor, e audit.Entry, fail error) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.appendAudit(ctx, actor, e); err != nil {
			return err
		}
		return fail
	})
}

// BulkAuditForTest appends n sealed entries quickly, many per statement, for
// benchmarks of verification.
func BulkAuditForTest(ctx context.Context, db *DB, n int) error {
	const rows = 500
	// A transaction of its own: it moves the head itself, which a group's
	// writer would not know.
	return db.run(ctx, db.write, false, func(tx *Tx) error {
		head, err := tx.lockAuditHead(ctx)
		if err != nil {
			return err
		}
		prev, seq := head.hash, head.seq
		var args []any
		flush := func() error {
			if len(args) == 0 {
				return nil
			}
			q := `INSERT INTO audit_log (seq, at, org_id, actor, action, object, source, request_id, summary, version, prev_hash, hash) VALUES ` +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(args)/12), ", ")
			_, err := tx.exec(ctx, q, args...)
			args = args[:0]
			return err
		}
		for i := range n {
			seq++
			e := audit.Entry{Seq: seq, At: tx.now, OrgID: int64(i%5 + 1), Actor: "user:1", Action: "risk.update",
				Object: fmt.Sprintf("risk:%d", i), Source: "192.0.2.1", RequestID: "req-0123456789", Summary: "likelihood 3 → 4, impact unchanged"}
			r, err := audit.Seal(e, prev)
			if err != nil {
				return err
			}
			args = append(args, seq, e.At, e.OrgID, e.Actor, e.Action, e.Object, e.Source, e.RequestID, e.Summary, r.Version, r.PrevHash[:], r.Hash[:])
			prev = r.Hash
			if len(args) >= rows*12 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, seq, prev[:])
		return err
	})
}

// NoteForTest is an update with a change beside its entry: it inserts a row
// into audit_keys (a table every database has), appends e and then fails
// with fail, if not nil. A failed one must leave neither row nor entry.
func NoteForTest(ctx context.Context, db *DB, actor Actor, keyID string, e audit.Entry, fail error) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO audit_keys (key_id, public_key, created_at) VALUES (?, ?, ?)`, keyID, []byte("test"), tx.now); err != nil {
			return err
		}
		if err := tx.appendAudit(ctx, actor, e); err != nil {
			return err
		}
		return fail
	})
}

// AppendOutsideForTest appends e in a transaction of its own, outside the
// group committer, as another replica's writer would.
func AppendOutsideForTest(ctx context.Context, db *DB, actor Actor, e audit.Entry) error {
	return db.run(ctx, db.write, false, func(tx *Tx) error { return tx.appendAudit(ctx, actor, e) })
}

// AuditKeyIDsForTest returns the key_id of every row in audit_keys.
func AuditKeyIDsForTest(ctx context.Context, db *DB) (map[string]bool, error) {
	out := map[string]bool{}
	rows, err := db.read.QueryContext(ctx, `SELECT key_id FROM audit_keys`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
