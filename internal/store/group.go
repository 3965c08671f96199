package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// maxGroup bounds how many updates one transaction carries.
const maxGroup = 256

// groupCommitter is the single writer behind DB.update. Callers hand it their
// update and wait; it takes every update that is waiting, runs them in one
// transaction and commits them together, with one fsync, before answering
// each caller. A caller therefore learns of success only once its change and
// audit entry are durable, and throughput grows with the number of concurrent
// writers. When the commit fails, every update in the group fails (fail
// closed).
//
// The writer spends as few round trips as it can, which is what counts on
// PostgreSQL, where each one crosses a socket:
//   - An update's audit entries are not written when it appends them: they
//     are sealed (numbered and chained) and written at the end of the group,
//     all of them in one statement (see writeAudit).
//   - The transaction begins at an update's first statement, and an update
//     gets a savepoint (so that one that fails rolls back alone) only when it
//     runs a statement and shares the transaction with others. A group made
//     only of audit appends, the commonest kind, therefore runs no statement
//     but the one that writes its entries, and on PostgreSQL that one
//     statement is the whole transaction.
//
// An update must not call DB.update itself: it would wait for the writer
// that is running it.
type groupCommitter struct {
	db      *DB
	reqs    chan *writeReq
	closing chan struct{}
	done    chan struct{}
	// head is the audit log's last entry as this writer last wrote or read
	// it, nil when unknown. It may be stale (another replica, or a
	// transaction outside the writer, appended since): writeAudit notices,
	// and the writer reads the head again. Only the writer goroutine uses it.
	head *auditHead
}

type writeReq struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

var (
	errClosed = errors.New("database is closed")
	// errWriteTimeout is the cause of a group's context that ran out of
	// its write timeout.
	errWriteTimeout = errors.New("write timeout")
)

func startGroupCommitter(db *DB) *groupCommitter {
	g := &groupCommitter{db: db, reqs: make(chan *writeReq), closing: make(chan struct{}), done: make(chan struct{})}
	// The writer runs until stop closes g.closing; it finishes the group it
	// holds first.
	go g.loop()
	return g
}

func (g *groupCommitter) stop() {
	select {
	case <-g.closing:
	default:
		close(g.closing)
	}
	<-g.done
}

func (g *groupCommitter) do(ctx context.Context, fn func(*Tx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case g.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.closing:
		return errClosed
	}
	return <-r.done
}

func (g *groupCommitter) loop() {
	defer close(g.done)
	for {
		var first *writeReq
		select {
		case first = <-g.reqs:
		case <-g.closing:
			return
		}
		group := []*writeReq{first}
		// Take whoever queued while the previous group committed: the
		// longer a commit takes, the larger the next group.
	collect:
		for len(group) < maxGroup {
			select {
			case r := <-g.reqs:
				group = append(group, r)
			default:
				break collect
			}
		}
		g.commit(group)
	}
}

// groupRun is the state of one group's transaction, which its updates begin
// lazily.
type groupRun struct {
	g *groupCommitter
	// ctx runs the group's own statements (begin, savepoints, the audit
	// write, commit): the caller's for a group of one, else detached from
	// every caller's cancellation.
	ctx   context.Context
	sqlTx *sql.Tx
	// single: the group has one update, which needs no savepoint.
	single bool
	// head is the log's last entry read under the head lock when the
	// transaction began (PostgreSQL).
	head *auditHead
	// spOpen says an earlier update's savepoint is still open: it is
	// released together with the next one's creation, in one round trip.
	spOpen bool
	// broken is set when the transaction can no longer commit.
	broken error
	// lost is the error that failed the group's end (audit write or
	// commit), when it did.
	lost error
}

// enter prepares the group's transaction for tx's first statement: it
// begins the transaction if no update has yet, and gives tx a savepoint when
// it shares the transaction with others.
func (run *groupRun) enter(tx *Tx) error {
	if run.broken != nil {
		return run.broken
	}
	db := run.g.db
	if run.sqlTx == nil {
		sqlTx, err := db.write.BeginTx(run.ctx, nil)
		if err != nil {
			run.broken = fmt.Errorf("begin transaction: %w", err)
			return run.broken
		}
		run.sqlTx = sqlTx
		if db.dialect == Postgres && db.chained {
			// Take the audit head's row lock first, always: every
			// transaction then locks in the same order (head, then rows),
			// so that replicas sharing the database cannot deadlock each
			// other.
			h, err := readAuditHead(run.ctx, sqlTx, db, true)
			if err != nil {
				run.broken = err
				return err
			}
			run.head = &h
		}
	}
	tx.tx = run.sqlTx
	if run.single {
		return nil
	}
	q := "SAVEPOINT sg"
	if run.spOpen {
		q = "RELEASE SAVEPOINT sg; SAVEPOINT sg"
	}
	if _, err := run.sqlTx.ExecContext(run.ctx, q); err != nil {
		run.broken = fmt.Errorf("savepoint: %w", err)
		return run.broken
	}
	run.spOpen = true
	tx.savepoint = true
	return nil
}

// leave ends tx's savepoint after a failed update, undoing what it wrote.
func (run *groupRun) leave(tx *Tx) error {
	if !tx.savepoint {
		return nil
	}
	run.spOpen = false
	if _, err := run.sqlTx.ExecContext(run.ctx, "ROLLBACK TO SAVEPOINT sg; RELEASE SAVEPOINT sg"); err != nil {
		run.broken = fmt.Errorf("an update in the same group failed and so did its rollback: %w", err)
		return run.broken
	}
	return nil
}

// commit runs a group of updates in one transaction and answers each caller.
func (g *groupCommitter) commit(group []*writeReq) {
	live := group[:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	db := g.db
	// The group's statements get the write timeout: a server that stops
	// answering fails this group instead of holding the writer, and every
	// caller queued behind it, for as long as the connection stays open.
	parent := context.Background()
	if len(live) == 1 {
		parent = live[0].ctx
	}
	began := time.Now()
	ctx, cancel := context.WithCancel(parent)
	if db.writeTimeout > 0 {
		ctx, cancel = context.WithTimeoutCause(parent, db.writeTimeout, errWriteTimeout)
	}
	defer cancel()
	run := &groupRun{g: g, ctx: ctx, single: len(live) == 1}
	defer func() {
		// A group that ran out of time most likely waited on a server that
		// stopped answering; its errors may then say no more than that the
		// transaction was already rolled back (sql.ErrTxDone). The
		// connections made before it began lead to that server too, and
		// those in use may wait on it for as long as their callers allow.
		if connectionLost(run.broken) || connectionLost(run.lost) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			db.dropIdle()
		}
		if errors.Is(context.Cause(ctx), errWriteTimeout) {
			db.closeConnsMadeBefore(began)
		}
	}()
	var (
		ok      []*writeReq
		entries []audit.Entry
	)
	for i, r := range live {
		tx := &Tx{db: db, now: db.Now().UTC().Truncate(time.Microsecond), run: run, pool: db.write}
		err := guard(r.fn)(tx)
		if err == nil && run.broken != nil {
			err = run.broken
		}
		if err != nil {
			if run.single {
				run.lost = err
				run.rollback()
				r.done <- err
				return
			}
			if lerr := run.leave(tx); lerr != nil || run.broken != nil {
				// The transaction is lost: nothing in it can commit.
				r.done <- err
				run.rollback()
				if lerr == nil {
					lerr = run.broken
				}
				failAll(append(ok, live[i+1:]...), lerr)
				return
			}
			r.done <- err
			continue
		}
		entries = append(entries, tx.pending...)
		ok = append(ok, r)
	}
	if len(ok) == 0 {
		// Nothing was written, and each caller has its own error already;
		// a failed rollback leaves nothing behind either.
		run.rollback()
		return
	}
	if err := g.finish(run, entries); err != nil {
		run.lost = err
		g.head = nil
		failAll(ok, err)
		return
	}
	for _, r := range ok {
		r.done <- nil
	}
}

// finish writes the group's audit entries and commits.
func (g *groupCommitter) finish(run *groupRun, entries []audit.Entry) error {
	db := g.db
	ctx := run.ctx
	if run.sqlTx == nil && len(entries) == 0 {
		return nil
	}
	if run.sqlTx == nil && db.dialect == Postgres && db.chained {
		// Nothing but audit entries: one statement, its own transaction.
		return g.appendAlone(ctx, entries)
	}
	if run.sqlTx == nil {
		sqlTx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		run.sqlTx = sqlTx
	}
	var next *auditHead
	if len(entries) > 0 {
		head := run.head
		if head == nil {
			h, err := readAuditHead(ctx, run.sqlTx, db, db.dialect == Postgres)
			if err != nil {
				run.rollback()
				return err
			}
			head = &h
		}
		h, err := writeAudit(ctx, run.sqlTx, db, *head, entries)
		if err != nil {
			run.rollback()
			return err
		}
		next = &h
	}
	if err := run.sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if next != nil {
		g.head = next
	}
	return nil
}

// appendAlone writes entries that make a transaction of their own on
// PostgreSQL: one statement, checked against the head the writer last saw,
// and, when another writer has moved the head since, again in a transaction
// that holds the head's lock.
func (g *groupCommitter) appendAlone(ctx context.Context, entries []audit.Entry) error {
	db := g.db
	if g.head == nil {
		h, err := readAuditHead(ctx, db.write, db, false)
		if err != nil {
			return err
		}
		g.head = &h
	}
	next, err := writeAudit(ctx, db.write, db, *g.head, entries)
	if err == nil {
		g.head = &next
		return nil
	}
	g.head = nil
	if !errors.Is(err, errStaleHead) {
		return err
	}
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	h, err := readAuditHead(ctx, sqlTx, db, true)
	if err == nil {
		next, err = writeAudit(ctx, sqlTx, db, h, entries)
	}
	if err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	g.head = &next
	return nil
}

func (run *groupRun) rollback() {
	if run.sqlTx != nil {
		run.sqlTx.Rollback()
	}
}

func failAll(rs []*writeReq, err error) {
	for _, r := range rs {
		r.done <- err
	}
}

// guard turns a panic in an update into its error, so that the writer, and
// the callers waiting on it, survive it.
func guard(fn func(*Tx) error) func(*Tx) error {
	return func(tx *Tx) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic in store update: %v", p)
			}
		}()
		return fn(tx)
	}
}
