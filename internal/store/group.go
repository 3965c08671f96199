package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// maxGroup bounds how many updates one transaction carries.
const maxGroup = 256

// groupCommitter is the single writer behind DB.update. Callers hand it their
// update and wait; it takes every update that is waiting, runs each in a
// savepoint of one transaction (so one that fails rolls back alone) and
// commits them together, with one fsync, before answering each caller. A
// caller therefore learns of success only once its change and audit entry are
// durable, and throughput grows with the number of concurrent writers. When
// the commit fails, every update in the group fails (fail closed).
//
// An update must not call DB.update itself: it would wait for the writer
// that is running it.
type groupCommitter struct {
	db      *DB
	reqs    chan *writeReq
	closing chan struct{}
	done    chan struct{}
}

type writeReq struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

var errClosed = errors.New("database is closed")

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
	switch len(live) {
	case 0:
		return
	case 1:
		r := live[0]
		fn := guard(r.fn)
		r.done <- g.db.run(r.ctx, g.db.write, false, func(tx *Tx) error {
			if err := tx.lockHeadFirst(r.ctx); err != nil {
				return err
			}
			return fn(tx)
		})
		return
	}
	db := g.db
	sqlTx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		failAll(live, fmt.Errorf("begin transaction: %w", err))
		return
	}
	// abort ends the transaction and fails the updates not yet answered.
	abort := func(rs []*writeReq, err error) {
		sqlTx.Rollback()
		failAll(rs, err)
	}
	var (
		ok []*writeReq
		// head is the audit log's last entry as of the updates that
		// succeeded so far; the next update appends after it.
		head      *auditHead
		headMoved bool
	)
	prepared := map[string]*sql.Stmt{}
	first := &Tx{tx: sqlTx, db: db, shared: true}
	if err := first.lockHeadFirst(context.Background()); err != nil {
		abort(live, err)
		return
	}
	head = first.audit
	if _, err := sqlTx.Exec("SAVEPOINT sg"); err != nil {
		abort(live, fmt.Errorf("savepoint: %w", err))
		return
	}
	for i, r := range live {
		tx := &Tx{tx: sqlTx, db: db, now: db.Now().UTC().Truncate(time.Microsecond), shared: true, audit: head, prepared: prepared}
		// One round trip ends this update's savepoint and starts the next.
		next := "RELEASE SAVEPOINT sg; SAVEPOINT sg"
		err := guard(r.fn)(tx)
		if err != nil {
			next = "ROLLBACK TO SAVEPOINT sg; RELEASE SAVEPOINT sg; SAVEPOINT sg"
		}
		if _, serr := sqlTx.Exec(next); serr != nil {
			// The transaction is lost: nothing in it can commit.
			if err != nil {
				r.done <- err
				abort(append(ok, live[i+1:]...), fmt.Errorf("an update in the same group failed and so did its rollback: %w", serr))
			} else {
				abort(append(ok, live[i:]...), fmt.Errorf("savepoint: %w", serr))
			}
			return
		}
		if err != nil {
			r.done <- err
			continue
		}
		head = tx.audit
		headMoved = headMoved || tx.headMoved
		ok = append(ok, r)
	}
	if len(ok) == 0 {
		// Nothing was written, and each caller has its own error already;
		// a failed rollback leaves nothing behind either.
		sqlTx.Rollback()
		return
	}
	if headMoved {
		tx := &Tx{tx: sqlTx, db: db, shared: true}
		if err := tx.saveAuditHead(context.Background(), *head); err != nil {
			abort(ok, err)
			return
		}
	}
	if err := sqlTx.Commit(); err != nil {
		failAll(ok, fmt.Errorf("commit: %w", err))
		return
	}
	for _, r := range ok {
		r.done <- nil
	}
}

// lockHeadFirst takes the audit head's row lock at the start of a PostgreSQL
// write transaction. Nearly every update appends to the log; taking the lock
// first, always, gives every transaction the same lock order (head, then
// rows), so that replicas sharing the database cannot deadlock each other
// when a group holds the head while later updates in it lock their rows.
func (tx *Tx) lockHeadFirst(ctx context.Context) error {
	if tx.db.dialect != Postgres || !tx.db.chained {
		return nil
	}
	_, err := tx.lockAuditHead(ctx)
	return err
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
