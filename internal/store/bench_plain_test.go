package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// plainTable is the baseline of the append benchmarks: a table with the
// audit log's columns and none of its machinery (no chain, no head, no
// Merkle tree), written by code that knows nothing of Safeguard's store, on
// its own connections, with the same durability (SQLite: WAL,
// synchronous=FULL; PostgreSQL: synchronous_commit on).
type plainTable struct {
	db *sql.DB
	pg bool
	// table is plain_log, or plain_log_ix for the indexed baseline.
	table   string
	reqs    chan plainReq
	stopped chan struct{}
}

type plainReq struct {
	e    audit.Entry
	done chan error
}

const plainCreate = `CREATE TABLE plain_log (id %s, at TIMESTAMP NOT NULL, org_id BIGINT, actor TEXT NOT NULL,
	action TEXT NOT NULL, object TEXT NOT NULL, source TEXT NOT NULL, request_id TEXT NOT NULL, summary TEXT NOT NULL)`

const plainInsert = `INSERT INTO plain_log (at, org_id, actor, action, object, source, request_id, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// plainIndexes are the audit log's indexes (its organisation index and
// migration 0019's query indexes), for the indexed baseline: the same rows,
// equally searchable, without the chain, head or tree.
var plainIndexes = []string{"org_id, id", "org_id, actor, id", "actor, id", "org_id, action, id", "action, id",
	"org_id, object, id", "object, id", "org_id, at, id", "at, id"}

// openPlain opens the baseline: a SQLite file at path, or the PostgreSQL
// database at a postgres:// URL, with conns connections (SQLite: one writer).
// indexed gives the table the audit log's indexes.
func openPlain(ctx context.Context, dsn string, conns int, indexed bool) (*plainTable, error) {
	p := &plainTable{reqs: make(chan plainReq), stopped: make(chan struct{}), table: "plain_log"}
	if indexed {
		p.table = "plain_log_ix"
	}
	idCol := "INTEGER PRIMARY KEY"
	if u, err := url.Parse(dsn); err == nil && u.Scheme == "postgres" {
		p.pg = true
		idCol = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
		if p.db, err = sql.Open("pgx", dsn); err != nil {
			return nil, err
		}
		p.db.SetMaxOpenConns(conns)
		p.db.SetMaxIdleConns(conns)
	} else {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Set("_txlock", "immediate")
		u := url.URL{Scheme: "file", Opaque: dsn, RawQuery: q.Encode()}
		if p.db, err = sql.Open("sqlite", u.String()); err != nil {
			return nil, err
		}
		p.db.SetMaxOpenConns(1)
	}
	if _, err := p.db.ExecContext(ctx, p.named(fmt.Sprintf(plainCreate, idCol))); err != nil {
		p.db.Close()
		return nil, err
	}
	for i, cols := range plainIndexes {
		if !indexed {
			break
		}
		if _, err := p.db.ExecContext(ctx, fmt.Sprintf("CREATE INDEX %s_%d ON %s (%s)", p.table, i, p.table, cols)); err != nil {
			p.db.Close()
			return nil, err
		}
	}
	// The group committer runs until close closes reqs.
	go p.groupLoop()
	return p, nil
}

func (p *plainTable) close() {
	close(p.reqs)
	<-p.stopped
	p.db.Close()
}

// named puts the table's name in q.
func (p *plainTable) named(q string) string { return strings.ReplaceAll(q, "plain_log", p.table) }

func (p *plainTable) rebind(q string) string {
	q = p.named(q)
	if !p.pg {
		return q
	}
	n := 0
	out := make([]byte, 0, len(q)+16)
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = fmt.Appendf(out, "$%d", n)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}

// oneRow inserts e in a transaction of its own: BEGIN, INSERT, COMMIT.
func (p *plainTable) oneRow(ctx context.Context, e audit.Entry) error {
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, p.rebind(plainInsert), time.Now().UTC(), e.OrgID, e.Actor, e.Action, e.Object, e.Source, e.RequestID, e.Summary); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// autocommit inserts e as a statement that is its own transaction.
func (p *plainTable) autocommit(ctx context.Context, e audit.Entry) error {
	_, err := p.db.ExecContext(ctx, p.rebind(plainInsert), time.Now().UTC(), e.OrgID, e.Actor, e.Action, e.Object, e.Source, e.RequestID, e.Summary)
	return err
}

// grouped inserts e through a plain group commit: one goroutine takes every
// row waiting and commits them together; each caller returns once its row is
// durable.
func (p *plainTable) grouped(e audit.Entry) error {
	r := plainReq{e: e, done: make(chan error, 1)}
	p.reqs <- r
	return <-r.done
}

func (p *plainTable) groupLoop() {
	defer close(p.stopped)
	for first := range p.reqs {
		group := []plainReq{first}
	collect:
		for len(group) < 256 {
			select {
			case r, ok := <-p.reqs:
				if !ok {
					break collect
				}
				group = append(group, r)
			default:
				break collect
			}
		}
		err := p.commitGroup(group)
		for _, r := range group {
			r.done <- err
		}
	}
}

// commitGroup writes a group in one transaction: on SQLite one prepared
// INSERT run per row (no round trips); on PostgreSQL one INSERT of every row
// (unnest of arrays), a transaction of its own.
func (p *plainTable) commitGroup(group []plainReq) error {
	ctx := context.Background()
	now := time.Now().UTC()
	if p.pg {
		n := len(group)
		ats, orgs := make([]time.Time, n), make([]int64, n)
		cols := [6][]string{}
		for i := range cols {
			cols[i] = make([]string, n)
		}
		for i, r := range group {
			ats[i], orgs[i] = now, r.e.OrgID
			cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i], cols[5][i] = r.e.Actor, r.e.Action, r.e.Object, r.e.Source, r.e.RequestID, r.e.Summary
		}
		_, err := p.db.ExecContext(ctx, p.named(`INSERT INTO plain_log (at, org_id, actor, action, object, source, request_id, summary)
			SELECT * FROM unnest($1::timestamptz[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])`),
			ats, orgs, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5])
		return err
	}
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, p.named(plainInsert))
	if err != nil {
		tx.Rollback()
		return err
	}
	for _, r := range group {
		if _, err := st.ExecContext(ctx, now, r.e.OrgID, r.e.Actor, r.e.Action, r.e.Object, r.e.Source, r.e.RequestID, r.e.Summary); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}
