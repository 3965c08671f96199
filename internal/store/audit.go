package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// Actor says who is making a change and from where; every exported method that
// changes data takes one, so that its audit entry can be written with it.
type Actor struct {
	Name      string // "user:42", "cli:root", "system"
	Source    string // remote address, empty for the CLI
	RequestID string
}

// auditHead is the last entry of the log as this transaction sees it.
type auditHead struct {
	seq  int64
	hash audit.Hash
}

// appendAudit records e in tx. A change and its entry commit together or not
// at all: if the entry cannot be written, the change fails.
//
// The entry is numbered, chained and written just before the transaction
// commits (writeAudit), with every other entry of its group in one
// statement: on SQLite the write lock serialises writers; on PostgreSQL the
// head row is locked, or checked, in that statement's transaction, so that
// concurrent transactions, from this process or another replica, append one
// after the other without gaps or forks.
func (tx *Tx) appendAudit(ctx context.Context, actor Actor, e audit.Entry) error {
	if actor.Name == "" {
		return fmt.Errorf("audit %s: no actor", e.Action)
	}
	e.At = tx.now
	e.Actor, e.Source, e.RequestID = actor.Name, actor.Source, actor.RequestID
	tx.pending = append(tx.pending, e)
	return nil
}

// errStaleHead means the audit head moved since the writer read it.
var errStaleHead = errors.New("the audit head moved")

// execer runs a statement: a transaction, or the pool for a statement that
// is a transaction of its own.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readAuditHead reads the log's last sequence number and hash, locking the
// head row when lock is set (PostgreSQL).
func readAuditHead(ctx context.Context, x execer, db *DB, lock bool) (auditHead, error) {
	q := `SELECT seq, hash FROM audit_head WHERE id = 1`
	if lock {
		q += ` FOR UPDATE`
	}
	var h auditHead
	var hash []byte
	if err := x.QueryRowContext(ctx, q).Scan(&h.seq, &hash); err != nil {
		return h, fmt.Errorf("read audit head: %w", err)
	}
	if hash == nil && h.seq != 0 {
		return h, errors.New("the audit log has unsealed entries: reopen the database to seal them")
	}
	copy(h.hash[:], hash)
	return h, nil
}

// pgAppendAudit writes a batch of sealed entries and moves the head in one
// statement, only if the head is still where the entries were chained from;
// otherwise it writes nothing.
const pgAppendAudit = `WITH h AS (
	UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3 RETURNING 1
)
INSERT INTO audit_log (seq, at, org_id, actor, action, object, source, request_id, summary, version, prev_hash, hash)
SELECT u.seq, u.at, NULLIF(u.org_id, 0), u.actor, u.action, u.object, u.source, u.request_id, u.summary, u.version, u.prev_hash, u.hash
FROM h, unnest($4::bigint[], $5::timestamptz[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
	$13::smallint[], $14::bytea[], $15::bytea[])
	AS u (seq, at, org_id, actor, action, object, source, request_id, summary, version, prev_hash, hash)`

const sqliteAppendAudit = `INSERT INTO audit_log (seq, at, org_id, actor, action, object, source, request_id, summary, version, prev_hash, hash)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// writeAudit numbers entries after head, chains and seals them, writes them
// and moves the head, and returns the new head. On PostgreSQL it is one
// statement, which returns errStaleHead, having written nothing, when the
// head is no longer head; x then need not be a transaction.
func writeAudit(ctx context.Context, x execer, db *DB, head auditHead, entries []audit.Entry) (auditHead, error) {
	recs := make([]audit.Record, len(entries))
	prev, seq := head.hash, head.seq
	for i, e := range entries {
		seq++
		e.Seq = seq
		r, err := audit.Seal(e, prev)
		if err != nil {
			return head, err
		}
		recs[i] = r
		prev = r.Hash
	}
	next := auditHead{seq: seq, hash: prev}
	if db.dialect == Postgres {
		n := len(recs)
		var (
			seqs, orgs, versions                       = make([]int64, n), make([]int64, n), make([]int16, n)
			ats                                        = make([]time.Time, n)
			actors, actions, objects, sources, reqs, s = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			prevs, hashes                              = make([][]byte, n), make([][]byte, n)
		)
		for i := range recs {
			r := &recs[i]
			seqs[i], ats[i], orgs[i], actors[i], actions[i], objects[i] = r.Seq, r.At, r.OrgID, r.Actor, r.Action, r.Object
			sources[i], reqs[i], s[i], versions[i], prevs[i], hashes[i] = r.Source, r.RequestID, r.Summary, int16(r.Version), r.PrevHash[:], r.Hash[:]
		}
		res, err := x.ExecContext(ctx, pgAppendAudit, next.seq, next.hash[:], head.seq,
			seqs, ats, orgs, actors, actions, objects, sources, reqs, s, versions, prevs, hashes)
		if err != nil {
			return head, fmt.Errorf("write audit entries: %w", err)
		}
		if got, err := res.RowsAffected(); err != nil || got != int64(n) {
			return head, errStaleHead
		}
		return next, nil
	}
	// SQLite: the connection keeps the statement prepared (stmtcache.go);
	// each row costs no parsing, and no round trip.
	for i := range recs {
		r := &recs[i]
		var orgID any
		if r.OrgID != 0 {
			orgID = r.OrgID
		}
		if _, err := x.ExecContext(ctx, sqliteAppendAudit, r.Seq, r.At, orgID, r.Actor, r.Action, r.Object, r.Source, r.RequestID, r.Summary, r.Version, r.PrevHash[:], r.Hash[:]); err != nil {
			return head, fmt.Errorf("write audit entry for %s: %w", r.Action, err)
		}
	}
	if _, err := x.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, next.seq, next.hash[:]); err != nil {
		return head, fmt.Errorf("write audit head: %w", err)
	}
	return next, nil
}

// AppendAudit records an event that changes nothing else, such as a read of a
// sensitive record or a failed sign-in, in a transaction of its own. It
// returns once the entry is durable.
func (db *DB) AppendAudit(ctx context.Context, actor Actor, e audit.Entry) error {
	return db.update(ctx, func(tx *Tx) error { return tx.appendAudit(ctx, actor, e) })
}

// AuditSize is the number of entries in the log.
func (db *DB) AuditSize(ctx context.Context) (int64, error) {
	var n int64
	err := db.view(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT seq FROM audit_head WHERE id = 1`).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("audit log size: %w", err)
	}
	return n, nil
}

// lockAuditHead reads the last sequence number and hash in tx, locking the
// head row on PostgreSQL.
func (tx *Tx) lockAuditHead(ctx context.Context) (auditHead, error) {
	t, err := tx.sqlTx()
	if err != nil {
		return auditHead{}, err
	}
	return readAuditHead(tx.ctx(ctx), t, tx.db, tx.db.dialect == Postgres)
}

// sealLegacyAudit chains and hashes the entries written before the log was
// hash-chained (schema 8). It runs after migrations, in their transaction,
// and does nothing once the head carries a hash.
func (tx *Tx) sealLegacyAudit(ctx context.Context) error {
	var seq int64
	var hash []byte
	if err := tx.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash); err != nil {
		return fmt.Errorf("read audit head: %w", err)
	}
	if hash != nil || seq == 0 {
		return nil
	}
	var recs []audit.Record
	for r, err := range tx.auditRecords(ctx, 1, seq) {
		if err != nil {
			return err
		}
		recs = append(recs, r)
	}
	var prev audit.Hash
	for _, r := range recs {
		sealed, err := audit.Seal(r.Entry, prev)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE audit_log SET version = ?, prev_hash = ?, hash = ? WHERE seq = ? AND hash IS NULL`,
			sealed.Version, sealed.PrevHash[:], sealed.Hash[:], r.Seq); err != nil {
			return fmt.Errorf("seal audit entry %d: %w", r.Seq, err)
		}
		prev = sealed.Hash
	}
	if _, err := tx.exec(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, int64(len(recs)), prev[:]); err != nil {
		return fmt.Errorf("seal audit log: %w", err)
	}
	return nil
}

const auditColumns = `seq, at, COALESCE(org_id, 0), actor, action, object, source, request_id, summary, version, prev_hash, hash`

// auditColumnsFor is auditColumns for the dialect. SQLite keeps times as
// text; read as text, they are parsed by timeValue's quick path for the one
// layout they are written in, rather than by the driver, which tries one
// layout after another (a fifth of the time of a verification).
func auditColumnsFor(d Dialect) string {
	if d == SQLite {
		return strings.Replace(auditColumns, "at,", "CAST(at AS TEXT),", 1)
	}
	return auditColumns
}

func scanAuditRecord(s scanner) (audit.Record, error) {
	var r audit.Record
	var prev, hash []byte
	err := s.Scan(&r.Seq, timeValue{&r.At}, &r.OrgID, &r.Actor, &r.Action, &r.Object, &r.Source, &r.RequestID, &r.Summary, &r.Version, &prev, &hash)
	copy(r.PrevHash[:], prev)
	copy(r.Hash[:], hash)
	return r, err
}

// auditRecords yields the stored entries from seq from to seq to (0: to the
// end), in sequence order, as they are: verification decides what they mean.
func (tx *Tx) auditRecords(ctx context.Context, from, to int64) iter.Seq2[audit.Record, error] {
	return func(yield func(audit.Record, error) bool) {
		q := `SELECT ` + auditColumnsFor(tx.db.dialect) + ` FROM audit_log WHERE seq >= ?`
		args := []any{from}
		if to > 0 {
			q += ` AND seq <= ?`
			args = append(args, to)
		}
		rows, err := tx.query(ctx, q+` ORDER BY seq`, args...)
		if err != nil {
			yield(audit.Record{}, fmt.Errorf("read audit log: %w", err))
			return
		}
		defer rows.Close()
		// The hashes are copied into fixed arrays at once, so the driver's
		// buffers are read in place (RawBytes) rather than copied twice.
		var prev, hash sql.RawBytes
		for rows.Next() {
			var r audit.Record
			err := rows.Scan(&r.Seq, timeValue{&r.At}, &r.OrgID, &r.Actor, &r.Action, &r.Object, &r.Source, &r.RequestID, &r.Summary, &r.Version, &prev, &hash)
			copy(r.PrevHash[:], prev)
			copy(r.Hash[:], hash)
			if err != nil {
				yield(r, fmt.Errorf("read audit log: %w", err))
				return
			}
			if !yield(r, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(audit.Record{}, fmt.Errorf("read audit log: %w", err))
		}
	}
}

// AuditRecords yields the entries from seq from to seq to (0: to the end) in
// sequence order, with their hashes.
//
// Reading rows is most of the cost of verifying the log, so it is done
// ahead of the caller and in parallel: the range up to the last entry at the
// start is cut into chunks of auditChunk entries, which two goroutines read
// in turn, each chunk in a read transaction of its own, while the caller
// works on the chunks already read; entries appended meanwhile are read last.
// The entries of a chunk are the same in every snapshot that has them (the
// log is append-only, and verification finds any entry changed), so the
// chunks need not share one. The goroutines end when the range is read or
// the caller stops.
func (db *DB) AuditRecords(ctx context.Context, from, to int64) iter.Seq2[audit.Record, error] {
	return func(yield func(audit.Record, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		last, err := db.AuditSize(ctx)
		if err != nil {
			yield(audit.Record{}, err)
			return
		}
		if to > 0 {
			last = min(last, to)
		}
		// chunks[i] covers seq [starts[i], starts[i+1]-1]; the last one
		// is open-ended (up to to, or the end).
		var starts []int64
		for s := max(from, 1); s <= last; s += auditChunk {
			starts = append(starts, s)
		}
		if to == 0 || last < to {
			starts = append(starts, max(last+1, from))
		}
		type chunk struct {
			batches chan []audit.Record
			err     chan error
		}
		chunks := make([]chunk, len(starts))
		for i := range chunks {
			chunks[i] = chunk{batches: make(chan []audit.Record, auditChunk/auditBatch+1), err: make(chan error, 1)}
		}
		read := func(i int) {
			c := chunks[i]
			defer close(c.batches)
			end := to
			if i+1 < len(starts) {
				end = starts[i+1] - 1
			}
			c.err <- db.view(ctx, func(tx *Tx) error {
				batch := make([]audit.Record, 0, auditBatch)
				send := func() error {
					select {
					case c.batches <- batch:
						batch = make([]audit.Record, 0, auditBatch)
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				for r, err := range tx.auditRecords(ctx, starts[i], end) {
					if err != nil {
						return err
					}
					batch = append(batch, r)
					if len(batch) == auditBatch {
						if err := send(); err != nil {
							return err
						}
					}
				}
				if len(batch) > 0 {
					return send()
				}
				return nil
			})
		}
		const readers = 2
		for w := range readers {
			// Reader w reads chunks w, w+readers, ... in order; it ends
			// after its last chunk, or at the first that fails or is
			// cancelled.
			go func() {
				for i := w; i < len(chunks); i += readers {
					read(i)
					if ctx.Err() != nil {
						for j := i + readers; j < len(chunks); j += readers {
							close(chunks[j].batches)
							chunks[j].err <- ctx.Err()
						}
						return
					}
				}
			}()
		}
		stop := func() {
			cancel()
			for _, c := range chunks {
				for range c.batches {
				}
			}
		}
		for _, c := range chunks {
			for batch := range c.batches {
				for _, r := range batch {
					if !yield(r, nil) {
						stop()
						return
					}
				}
			}
			if err := <-c.err; err != nil {
				yield(audit.Record{}, fmt.Errorf("read audit log: %w", err))
				stop()
				return
			}
		}
	}
}

// auditChunk is how many entries one reader of AuditRecords reads in one
// transaction, and auditBatch how many it hands over at a time.
const (
	auditChunk = 16384
	auditBatch = 1024
)

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

// treeReader reads the Merkle tree's stored hashes in tx, and those computed
// but not yet written from pending.
type treeReader struct {
	ctx     context.Context
	tx      *Tx
	pending map[int64]tlog.Hash
}

func (r *treeReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []any
	pos := map[int64][]int{}
	for i, idx := range indexes {
		if h, ok := r.pending[idx]; ok {
			out[i] = h
			continue
		}
		if _, ok := pos[idx]; !ok {
			missing = append(missing, idx)
		}
		pos[idx] = append(pos[idx], i)
	}
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := r.tx.query(r.ctx, `SELECT idx, hash FROM audit_tree WHERE idx IN (?`+strings.Repeat(", ?", len(missing)-1)+`)`, missing...)
	if err != nil {
		return nil, fmt.Errorf("read audit tree: %w", err)
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return nil, err
		}
		for _, i := range pos[idx] {
			copy(out[i][:], h)
		}
		found++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if found != len(missing) {
		return nil, fmt.Errorf("audit tree: %d stored hashes missing", len(missing)-found)
	}
	return out, nil
}

// treeSize is the number of leaves whose stored hashes are in audit_tree.
func (tx *Tx) treeSize(ctx context.Context) (int64, error) {
	var count int64
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_tree`).Scan(&count); err != nil {
		return 0, fmt.Errorf("read audit tree size: %w", err)
	}
	// StoredHashCount grows with the size; find the size whose count it is.
	lo, hi := int64(0), count
	for lo < hi {
		mid := lo + (hi-lo)/2
		if tlog.StoredHashCount(mid) < count {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if tlog.StoredHashCount(lo) != count {
		return 0, fmt.Errorf("audit tree holds %d stored hashes, which is no tree size", count)
	}
	return lo, nil
}

// treeChunk is how many leaves one step of ExtendAuditTree adds.
const treeChunk = 1000

// treeRows are stored tree hashes computed but not yet written: hashes[i]
// goes at index first+i.
type treeRows struct {
	from, to int64 // the tree's size before and after
	first    int64
	hashes   []tlog.Hash
}

// computeTree reads, in tx, the leaves from the stored tree's size up to
// at most limit more, and computes the hashes that extend the tree to them.
// It writes nothing.
func (tx *Tx) computeTree(ctx context.Context, limit int64) (treeRows, error) {
	n, err := tx.treeSize(ctx)
	if err != nil {
		return treeRows{}, err
	}
	out := treeRows{from: n, to: n, first: tlog.StoredHashIndex(0, n)}
	var leaves []tlog.Hash
	rows, err := tx.query(ctx, `SELECT seq, hash FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq`, n, n+limit)
	if err != nil {
		return out, fmt.Errorf("read audit leaves: %w", err)
	}
	for rows.Next() {
		var seq int64
		var h []byte
		if err := rows.Scan(&seq, &h); err != nil {
			rows.Close()
			return out, err
		}
		if seq != n+int64(len(leaves))+1 || len(h) != tlog.HashSize {
			rows.Close()
			return out, fmt.Errorf("audit log entry %d: out of sequence or unsealed; run 'safeguard audit verify'", n+int64(len(leaves))+1)
		}
		leaves = append(leaves, tlog.Hash(h))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	r := &treeReader{ctx: ctx, tx: tx, pending: map[int64]tlog.Hash{}}
	idx := out.first
	for i, leaf := range leaves {
		hs, err := tlog.StoredHashesForRecordHash(n+int64(i), leaf, r)
		if err != nil {
			return out, err
		}
		for _, h := range hs {
			r.pending[idx] = h
			out.hashes = append(out.hashes, h)
			idx++
		}
	}
	out.to = n + int64(len(leaves))
	return out, nil
}

// writeTree stores rows computed by computeTree, provided the stored tree
// has not grown since (another extender got there first: then it writes
// nothing and says so).
func (tx *Tx) writeTree(ctx context.Context, rows treeRows) (bool, error) {
	n, err := tx.treeSize(ctx)
	if err != nil {
		return false, err
	}
	if n != rows.from {
		return false, nil
	}
	const batch = 400
	for i := 0; i < len(rows.hashes); i += batch {
		part := rows.hashes[i:min(i+batch, len(rows.hashes))]
		args := make([]any, 0, 2*len(part))
		for j, h := range part {
			args = append(args, rows.first+int64(i+j), h[:])
		}
		q := `INSERT INTO audit_tree (idx, hash) VALUES (?, ?)` + strings.Repeat(", (?, ?)", len(part)-1)
		if _, err := tx.exec(ctx, q, args...); err != nil {
			// A unique violation: another extender got there first;
			// ExtendAuditTree starts again from what it wrote.
			return false, fmt.Errorf("write audit tree: %w", err)
		}
	}
	return true, nil
}

// ExtendAuditTree brings the stored Merkle tree up to the last committed
// entry and returns its size. It keeps out of the writers' way. On
// PostgreSQL each step computes the hashes of at most treeChunk leaves in a
// read transaction and writes them in a transaction of its own beside the
// writers: the tree has its own table, and needs no lock on the audit head.
// On SQLite, whose one writer must write the tree anyway, each step is a
// small update among the others of the group committer (about 15 ms for
// 1,000 leaves); computing in a read transaction first was no faster there,
// as a reader held open beside a busy writer keeps SQLite from resetting its
// write-ahead log.
func (db *DB) ExtendAuditTree(ctx context.Context) (int64, error) {
	if db.dialect == SQLite {
		for {
			var rows treeRows
			err := db.update(ctx, func(tx *Tx) error {
				var err error
				if rows, err = tx.computeTree(ctx, treeChunk); err != nil {
					return err
				}
				_, err = tx.writeTree(ctx, rows)
				return err
			})
			if err != nil {
				return 0, fmt.Errorf("extend audit tree: %w", err)
			}
			if rows.to == rows.from {
				return rows.to, nil
			}
		}
	}
	for {
		var rows treeRows
		err := db.view(ctx, func(tx *Tx) error {
			var err error
			rows, err = tx.computeTree(ctx, treeChunk)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("extend audit tree: %w", err)
		}
		if rows.to == rows.from {
			return rows.to, nil
		}
		write := func(tx *Tx) error {
			_, err := tx.writeTree(ctx, rows)
			return err
		}
		if db.dialect == Postgres {
			err = db.run(ctx, db.write, false, write)
		} else {
			err = db.update(ctx, write)
		}
		if err != nil && !isUniqueViolation(err) {
			return 0, fmt.Errorf("extend audit tree: %w", err)
		}
	}
}

// CheckpointAudit extends the tree to the last committed entry and, when it
// has grown since the latest checkpoint, signs and stores a new checkpoint.
// It returns the latest checkpoint and whether it is new.
func (db *DB) CheckpointAudit(ctx context.Context, signer *audit.Signer) (audit.Checkpoint, bool, error) {
	if _, err := db.ExtendAuditTree(ctx); err != nil {
		return audit.Checkpoint{}, false, err
	}
	var c audit.Checkpoint
	var added bool
	// Signing needs no lock on the audit head either: on PostgreSQL it runs
	// beside the writers.
	write := db.update
	if db.dialect == Postgres {
		write = func(ctx context.Context, fn func(*Tx) error) error { return db.run(ctx, db.write, false, fn) }
	}
	err := write(ctx, func(tx *Tx) error {
		n, err := tx.treeSize(ctx)
		if err != nil {
			return err
		}
		latest, err := tx.latestCheckpoint(ctx)
		if err == nil && latest.TreeSize == n && latest.KeyID == signer.ID() {
			c = latest
			return nil
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		root, err := tlog.TreeHash(n, &treeReader{ctx: ctx, tx: tx})
		if err != nil {
			return fmt.Errorf("audit tree hash: %w", err)
		}
		c = signer.Sign(n, audit.Hash(root), tx.now)
		_, err = tx.exec(ctx, `INSERT INTO audit_checkpoints (tree_size, root_hash, at, key_id, signature) VALUES (?, ?, ?, ?, ?)`,
			c.TreeSize, c.Root[:], c.At, c.KeyID, c.Signature)
		added = err == nil
		return err
	})
	if err != nil {
		return audit.Checkpoint{}, false, fmt.Errorf("audit checkpoint: %w", err)
	}
	return c, added, nil
}

func scanCheckpoint(s scanner) (audit.Checkpoint, error) {
	var c audit.Checkpoint
	var root []byte
	err := s.Scan(&c.TreeSize, &root, timeValue{&c.At}, &c.KeyID, &c.Signature)
	copy(c.Root[:], root)
	return c, err
}

func (tx *Tx) latestCheckpoint(ctx context.Context) (audit.Checkpoint, error) {
	c, err := scanCheckpoint(tx.queryRow(ctx, `SELECT tree_size, root_hash, at, key_id, signature FROM audit_checkpoints ORDER BY tree_size DESC, id DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	return c, err
}

// LatestAuditCheckpoint returns the checkpoint of the largest tree, or
// ErrNotFound when none has been made.
func (db *DB) LatestAuditCheckpoint(ctx context.Context) (audit.Checkpoint, error) {
	var c audit.Checkpoint
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		c, err = tx.latestCheckpoint(ctx)
		return err
	})
	return c, err
}

// AuditCheckpoints returns every stored checkpoint, smallest tree first.
func (db *DB) AuditCheckpoints(ctx context.Context) ([]audit.Checkpoint, error) {
	var out []audit.Checkpoint
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanCheckpoint, `SELECT tree_size, root_hash, at, key_id, signature FROM audit_checkpoints ORDER BY tree_size, id`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit checkpoints: %w", err)
	}
	return out, nil
}

// AddAuditKey records the public half of a checkpoint signing key; adding a
// key already known does nothing.
func (db *DB) AddAuditKey(ctx context.Context, actor Actor, keyID string, pub []byte) error {
	return db.update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM audit_keys WHERE key_id = ?`, keyID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.exec(ctx, `INSERT INTO audit_keys (key_id, public_key, created_at) VALUES (?, ?, ?)`, keyID, pub, tx.now); err != nil {
			return fmt.Errorf("add audit key: %w", err)
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "audit.key.add", Object: "audit-key:" + keyID, Summary: "checkpoint signing key added"})
	})
}

// RotateAuditKey records the key transition e: the new key joins
// audit_keys, and the audit entry carries the statement, signed by the old
// key, that introduces it, so the log itself shows every key's endorsement.
func (db *DB) RotateAuditKey(ctx context.Context, actor Actor, e audit.Endorsement) error {
	id := audit.KeyID(e.Key)
	return db.update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM audit_keys WHERE key_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := tx.exec(ctx, `INSERT INTO audit_keys (key_id, public_key, created_at) VALUES (?, ?, ?)`, id, []byte(e.Key), tx.now); err != nil {
				return fmt.Errorf("rotate audit key: %w", err)
			}
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "audit.key.rotate", Object: "audit-key:" + id,
			Summary: fmt.Sprintf("checkpoint signing key %s (%s) endorsed by %s at %s, signature %s", id, audit.Fingerprint(e.Key), e.By,
				e.At.Format(time.RFC3339Nano), base64.StdEncoding.EncodeToString(e.Signature))})
	})
}

// AuditKeys returns the public keys recorded in the database. Whoever can
// write the database can add to them, so verification never trusts them: it
// trusts only the keys file kept outside the database, and lists these for
// comparison.
func (db *DB) AuditKeys(ctx context.Context) (audit.Keys, error) {
	keys := audit.Keys{}
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT public_key FROM audit_keys`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var pub []byte
			if err := rows.Scan(&pub); err != nil {
				return err
			}
			if len(pub) == 32 {
				keys.Add(pub)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list audit keys: %w", err)
	}
	return keys, nil
}

// AuditProof is an entry with its inclusion proof in the tree of a checkpoint.
type AuditProof struct {
	Record     audit.Record
	Checkpoint audit.Checkpoint
	Proof      []audit.Hash
}

// AuditTreeRoot returns the root of the first n leaves computed from the
// stored tree hashes, for checking them against a verified checkpoint.
func (db *DB) AuditTreeRoot(ctx context.Context, n int64) (audit.Hash, error) {
	var root audit.Hash
	err := db.view(ctx, func(tx *Tx) error {
		size, err := tx.treeSize(ctx)
		if err != nil {
			return err
		}
		if size < n {
			return fmt.Errorf("the stored tree has %d leaves, fewer than %d", size, n)
		}
		h, err := tlog.TreeHash(n, &treeReader{ctx: ctx, tx: tx})
		if err != nil {
			return err
		}
		root = audit.Hash(h)
		return nil
	})
	return root, err
}

// CheckStoredTree holds the stored Merkle tree to a checkpoint that Verify
// has already checked against the entries: a damaged tree would serve false
// proofs. It returns the problem, or nil when the tree agrees.
func (db *DB) CheckStoredTree(ctx context.Context, c *audit.Checkpoint) *audit.Problem {
	if c == nil || c.TreeSize == 0 {
		return nil
	}
	root, err := db.AuditTreeRoot(ctx, c.TreeSize)
	if err != nil {
		return &audit.Problem{Seq: c.TreeSize, Kind: audit.AlteredTree, Detail: err.Error()}
	}
	if root != c.Root {
		return &audit.Problem{Seq: c.TreeSize, Kind: audit.AlteredTree,
			Detail: fmt.Sprintf("the stored hashes give root %s for %d entries, the checkpoint says %s", root, c.TreeSize, c.Root)}
	}
	return nil
}

// ProveAudit returns entry seq with its inclusion proof against the latest
// checkpoint, which must cover it.
func (db *DB) ProveAudit(ctx context.Context, seq int64) (AuditProof, error) {
	var p AuditProof
	err := db.view(ctx, func(tx *Tx) error {
		c, err := tx.latestCheckpoint(ctx)
		if err != nil {
			return err
		}
		p.Checkpoint = c
		return tx.prove(ctx, seq, &p)
	})
	if err != nil {
		return p, fmt.Errorf("prove audit entry %d: %w", seq, err)
	}
	return p, nil
}

func (tx *Tx) prove(ctx context.Context, seq int64, p *AuditProof) error {
	if seq < 1 || seq > p.Checkpoint.TreeSize {
		return fmt.Errorf("%w: the latest checkpoint covers entries 1 to %d", ErrNotFound, p.Checkpoint.TreeSize)
	}
	r, err := scanAuditRecord(tx.queryRow(ctx, `SELECT `+auditColumnsFor(tx.db.dialect)+` FROM audit_log WHERE seq = ?`, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	proof, err := tlog.ProveRecord(p.Checkpoint.TreeSize, seq-1, &treeReader{ctx: ctx, tx: tx})
	if err != nil {
		return err
	}
	p.Record = r
	p.Proof = make([]audit.Hash, len(proof))
	for i, h := range proof {
		p.Proof[i] = audit.Hash(h)
	}
	return nil
}

// AuditProofs yields the entries from seq from to seq to, each with its
// inclusion proof against checkpoint c, read in one transaction.
func (db *DB) AuditProofs(ctx context.Context, c audit.Checkpoint, from, to int64, fn func(AuditProof) error) error {
	return db.view(ctx, func(tx *Tx) error {
		for seq := from; seq <= to; seq++ {
			p := AuditProof{Checkpoint: c}
			if err := tx.prove(ctx, seq, &p); err != nil {
				return fmt.Errorf("prove audit entry %d: %w", seq, err)
			}
			if err := fn(p); err != nil {
				return err
			}
		}
		return nil
	})
}
