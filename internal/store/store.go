// Package store is the only package in Safeguard that speaks SQL. It keeps
// every record in SQLite (embedded, the default) or PostgreSQL, applies the
// embedded migrations at start, and writes each change together with its audit
// entry in one transaction.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/problem"
)

// Sentinel errors callers test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// conflict is a change the current state does not allow, with the message a
// person reads (a problem.Error of kind Conflict); errors.Is(err,
// ErrConflict) holds for it.
func conflict(message string) error {
	return problem.New(problem.Conflict, message, ErrConflict)
}

// refused passes on a domain rule's refusal (a problem.Error, with the
// message the rule wrote) and, for a conflict, puts ErrConflict in its chain
// too, so that errors.Is(err, ErrConflict) holds whoever found the conflict.
func refused(err error) error {
	if p, ok := problem.As(err); ok && p.Kind == problem.Conflict {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// conflictf is conflict with a formatted message.
func conflictf(format string, args ...any) error {
	return conflict(fmt.Sprintf(format, args...))
}

// Dialect names the database engine behind a DB.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open, migrated Safeguard database.
type DB struct {
	dialect Dialect
	// write takes every transaction that changes data. On SQLite it holds a
	// single connection, so writers queue in the process instead of fighting
	// over the file lock; on PostgreSQL it is the same pool as read.
	write *sql.DB
	// read serves read-only transactions; on SQLite a pool of query-only
	// connections that WAL lets run beside the writer.
	read *sql.DB
	// location is a printable form of where the data lives, without secrets.
	location string
	// Now returns the current time; tests may replace it.
	Now func() time.Time
	// entries caches decoded catalogue copies of assessments (entrycache.go).
	entries entryCache
	// group is the group committer every update goes through.
	group *groupCommitter
	// chained is set once migrations have given the database its hash-
	// chained audit log (see lockHeadFirst).
	chained bool
	// writeTimeout bounds each transaction of the group committer (none
	// while migrations run).
	writeTimeout time.Duration
	// idleConns is the write pool's idle connection limit, restored after
	// dropIdle.
	idleConns int
	// conns keeps the PostgreSQL pools' connections (nil on SQLite), so
	// that those to a server that stopped answering can be closed.
	conns *pgConns
	// queue is the scheduled jobs' own small pool on PostgreSQL (nil on
	// SQLite, where they share the writer), so that job polling stuck on a
	// server that stopped answering cannot take the connections requests
	// need.
	queue *sql.DB
}

// Options tune Open. The zero value is what the server uses.
type Options struct {
	// ReadConns bounds the SQLite read pool (default 4). PostgreSQL uses
	// MaxConns for both reads and writes (default 10).
	ReadConns int
	MaxConns  int
	// SkipMigrations opens the database without changing its schema.
	SkipMigrations bool
	// WriteTimeout bounds each transaction the group committer runs
	// (default DefaultWriteTimeout). The committer is the one writer of the
	// process: a transaction stuck on a server that stopped answering would
	// hold every write behind it, so it fails instead, and the next one
	// runs on a fresh connection.
	WriteTimeout time.Duration
}

// DefaultWriteTimeout is Options.WriteTimeout's default: well above what
// the largest change (an import of thousands of assets) takes, well below
// what a person waits for a page.
const DefaultWriteTimeout = 15 * time.Second

// defaultConnectTimeout is the PostgreSQL connect_timeout, per server of a
// multi-host URL, used when the URL gives none: without one, a server that
// accepts connections but does not answer would hold a new connection for
// as long as the caller waits.
const defaultConnectTimeout = "5"

// Open connects to the database named by dsn and applies pending migrations.
// dsn is a file path or a "sqlite:" / "file:" URL for SQLite, or a
// "postgres://" / "postgresql://" URL for PostgreSQL.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	dialect, target, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	var db *DB
	switch dialect {
	case SQLite:
		db, err = openSQLite(ctx, target, opts)
	case Postgres:
		db, err = openPostgres(ctx, target, opts)
	}
	if err != nil {
		return nil, err
	}
	db.group = startGroupCommitter(db)
	if !opts.SkipMigrations {
		if err := db.migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
		db.chained = true
	}
	// Migrations run without the write timeout: one may rewrite a large
	// table. The writer sees the timeout from the next update on (handing
	// it the update orders the two).
	db.writeTimeout = opts.WriteTimeout
	if db.writeTimeout <= 0 {
		db.writeTimeout = DefaultWriteTimeout
	}
	return db, nil
}

// parseDSN picks the dialect from dsn and returns what its driver needs.
func parseDSN(dsn string) (Dialect, string, error) {
	if dsn == "" {
		return "", "", errors.New("no database given: pass a file path or a postgres:// URL")
	}
	scheme, rest, hasScheme := strings.Cut(dsn, ":")
	// A Windows-style drive letter or a bare path has no URL scheme.
	if !hasScheme || len(scheme) == 1 || strings.ContainsAny(scheme, `/\.`) {
		return SQLite, dsn, nil
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3", "file":
		path := strings.TrimPrefix(rest, "//")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path == "" {
			return "", "", fmt.Errorf("database URL %q names no file", dsn)
		}
		return SQLite, path, nil
	case "postgres", "postgresql":
		return Postgres, dsn, nil
	}
	return "", "", fmt.Errorf("database URL scheme %q is not supported: use a file path, sqlite:PATH or postgres://", scheme)
}

func openSQLite(ctx context.Context, path string, opts Options) (*DB, error) {
	if path != ":memory:" {
		dir := filepath.Dir(path)
		if st, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("open database %s: folder %s: %w", path, dir, err)
		} else if !st.IsDir() {
			return nil, fmt.Errorf("open database %s: %s is not a folder", path, dir)
		}
	}
	if path != ":memory:" {
		// Create the file ourselves so that it, and the -wal and -shm files
		// SQLite gives the same mode, are readable by the owner only.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
		} else if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
	}
	u := url.URL{Scheme: "file", Opaque: path}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL: a commit is on disk before it is acknowledged, which the audit
	// log's "durable before success" promise depends on.
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_time_format", "sqlite")
	q.Set("_txlock", "immediate")
	u.RawQuery = q.Encode()
	write := sql.OpenDB(sqliteConnector{drv: &sqlite.Driver{}, dsn: u.String()})
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := pingSQLite(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("open database %s: %w", path, sqliteHint(err))
	}

	q.Set("_txlock", "deferred")
	q.Add("_pragma", "query_only(1)")
	u.RawQuery = q.Encode()
	read := sql.OpenDB(sqliteConnector{drv: &sqlite.Driver{}, dsn: u.String()})
	n := opts.ReadConns
	if n <= 0 {
		n = 4
	}
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{dialect: SQLite, write: write, read: read, location: path, Now: time.Now}, nil
}

// pingSQLite opens the first connection. Switching a new file to WAL needs an
// exclusive lock that SQLite does not wait for, so when two processes create
// the same database at once the loser retries for a while.
func pingSQLite(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := db.PingContext(ctx)
		if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func sqliteHint(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "file is not a database") || strings.Contains(msg, "(26)") {
		return fmt.Errorf("the file is not a SQLite database: %w", err)
	}
	return err
}

func openPostgres(ctx context.Context, dsn string, opts Options) (*DB, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("database URL is malformed: %v", redactURLError(err, dsn))
	}
	location := redactURL(u)
	if q := u.Query(); !q.Has("connect_timeout") {
		q.Set("connect_timeout", defaultConnectTimeout)
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %s", location, pgReason(err))
	}
	conns := newPGConns()
	cfg.DialFunc = conns.dial(cfg.DialFunc) // every host of a multi-host URL
	db := stdlib.OpenDB(*cfg)
	n := opts.MaxConns
	if n <= 0 {
		n = 10
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(max(1, n/2))
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %s", location, pgReason(err))
	}
	queue := stdlib.OpenDB(*cfg)
	queue.SetMaxOpenConns(3)
	queue.SetMaxIdleConns(1)
	queue.SetConnMaxIdleTime(time.Minute)
	return &DB{dialect: Postgres, write: db, read: db, queue: queue, location: location, Now: time.Now, idleConns: max(1, n/2), conns: conns}, nil
}

// dropIdle closes the PostgreSQL pool's idle connections after a
// transaction failed because its connection did: they most likely lead to
// the same server, which may have crashed, hung or been replaced by a
// promoted standby, and each would cost the next transactions a failure or
// a wait of their own. New connections go to whichever server of the URL
// takes writes now.
func (db *DB) dropIdle() {
	if db.dialect != Postgres {
		return
	}
	db.write.SetMaxIdleConns(0) // closes every idle connection
	db.write.SetMaxIdleConns(db.idleConns)
}

// closeConnsMadeBefore closes the PostgreSQL pools' connections made
// before t, idle or in use: the writer's transaction that began at t ran
// out of time, most likely on a server that stopped answering, where every
// older connection leads too (see pgConns). A statement on one fails at
// once; new connections go to whichever server of the URL takes writes now.
func (db *DB) closeConnsMadeBefore(t time.Time) {
	if db.conns != nil {
		db.conns.closeMadeBefore(t)
	}
}

// connectionLost reports whether err means the transaction's connection
// broke or its server stopped answering, rather than a refusal by the
// database.
func connectionLost(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 is connection exceptions; 57P01-57P03 an administrator
		// or crash shutdown, or a server that cannot take connections now.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr) || pgconn.Timeout(err)
}

// pgReason shortens a pgx connection error to its cause, without the password.
func pgReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "): "); i >= 0 {
		msg = msg[i+3:]
	}
	return msg
}

// redactURL prints a database URL without its password.
func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), "xxxxx")
		}
	}
	c.RawQuery = ""
	return c.String()
}

func redactURLError(err error, dsn string) string {
	msg := err.Error()
	return strings.ReplaceAll(msg, dsn, "(the URL)")
}

// Close releases the database's connections.
func (db *DB) Close() error {
	if db.group != nil {
		db.group.stop()
	}
	err := db.write.Close()
	if db.read != db.write {
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
	}
	if db.queue != nil {
		if qerr := db.queue.Close(); err == nil {
			err = qerr
		}
	}
	return err
}

// Dialect reports the engine behind db.
func (db *DB) Dialect() Dialect { return db.dialect }

// Location is where the data lives, fit to print (no password).
func (db *DB) Location() string { return db.location }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// PoolStats are the connection-pool figures of one pool, for /metrics.
type PoolStats struct {
	Pool string // "write" or "read"
	sql.DBStats
}

// Stats returns the statistics of each connection pool.
func (db *DB) Stats() []PoolStats {
	if db.read == db.write {
		return []PoolStats{{Pool: "shared", DBStats: db.write.Stats()}}
	}
	return []PoolStats{{Pool: "write", DBStats: db.write.Stats()}, {Pool: "read", DBStats: db.read.Stats()}}
}

// Tx is one transaction. Its time is fixed when it begins, so every row a
// change writes carries the same timestamp as its audit entry.
type Tx struct {
	// tx is the database transaction; in a group it is begun at the first
	// statement of the first update that runs one (see groupRun.enter).
	tx   *sql.Tx
	db   *DB
	pool *sql.DB
	now  time.Time
	// pending holds the audit entries this transaction appended, sealed and
	// written just before it commits (see appendAudit).
	pending []audit.Entry
	// run is the group this update belongs to; savepoint says the update
	// has entered it (its first statement has run).
	run       *groupRun
	savepoint bool
}

// update runs fn in a read-write transaction and returns once the change is
// durable (or has failed). Updates from concurrent callers are committed in
// groups; see groupCommitter.
func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	if db.group == nil {
		return db.run(ctx, db.write, false, fn)
	}
	return db.group.do(ctx, fn)
}

// view runs fn in a read-only transaction.
func (db *DB) view(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.read, true, fn)
}

// run runs fn in a transaction of its own on pool, outside the group
// committer.
func (db *DB) run(ctx context.Context, pool *sql.DB, readOnly bool, fn func(*Tx) error) error {
	var opts *sql.TxOptions
	if readOnly && db.dialect == Postgres {
		opts = &sql.TxOptions{ReadOnly: true}
	}
	sqlTx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{tx: sqlTx, db: db, pool: pool, now: db.Now().UTC().Truncate(time.Microsecond)}
	err = fn(tx)
	if err == nil && len(tx.pending) > 0 {
		var head auditHead
		head, err = readAuditHead(ctx, sqlTx, db, db.dialect == Postgres)
		if err == nil {
			_, err = writeAudit(ctx, sqlTx, db, head, tx.pending)
		}
	}
	if err != nil {
		if rerr := sqlTx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return fmt.Errorf("%w (and rollback failed: %v)", err, rerr)
		}
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// sqlTx returns the database transaction for a statement, entering the
// group's transaction first when tx belongs to one.
func (tx *Tx) sqlTx() (*sql.Tx, error) {
	if tx.run != nil && !tx.savepoint && tx.tx == nil {
		if err := tx.run.enter(tx); err != nil {
			return nil, err
		}
	}
	return tx.tx, nil
}

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t, err := tx.sqlTx()
	if err != nil {
		return nil, err
	}
	return t.ExecContext(tx.ctx(ctx), tx.db.rebind(query), args...)
}

func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t, err := tx.sqlTx()
	if err != nil {
		return nil, err
	}
	return t.QueryContext(tx.ctx(ctx), tx.db.rebind(query), args...)
}

// scanner is what a scan function reads one row from: *sql.Row or *sql.Rows.
type scanner = interface{ Scan(...any) error }

// queryAll runs query in tx and reads every row with scan. No rows is an
// empty list, never nil, so that it is written as [] in JSON.
func queryAll[T any](ctx context.Context, tx *Tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// row is the result of queryRow: a *sql.Row, or the error that kept the
// query from running.
type row struct {
	r   *sql.Row
	err error
}

// Scan copies the row's columns into dest, as sql.Row.Scan does.
func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

// Err reports the error of the query, as sql.Row.Err does.
func (r row) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.r.Err()
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) row {
	t, err := tx.sqlTx()
	if err != nil {
		return row{err: err}
	}
	return row{r: t.QueryRowContext(tx.ctx(ctx), tx.db.rebind(query), args...)}
}

// ctx is the context a statement runs with. An update run by the group
// committer runs its statements under the group's context, which carries
// the write timeout: a statement waiting on a server that stopped answering
// (its process hung, its host gone, the connection still open) then fails
// when the group's time is up, instead of holding the one writer, and every
// write queued behind it, until the operating system gives up on the
// connection, which it never does for a live host whose server hangs. When
// the group carries several updates, that context is also detached from
// every caller's cancellation: a driver may close the connection to cancel
// a statement, which would fail every update in the group.
func (tx *Tx) ctx(ctx context.Context) context.Context {
	if tx.run != nil {
		return tx.run.ctx
	}
	return ctx
}

// insert runs an INSERT ... RETURNING id and returns the new row's ID; both
// dialects accept RETURNING.
func (tx *Tx) insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	if err := tx.queryRow(ctx, query+" RETURNING id", args...).Scan(&id); err != nil {
		return 0, err
	}
	return id, nil
}

// rebind turns the '?' placeholders every query is written with into
// PostgreSQL's $1, $2, ... Question marks inside quoted strings stay.
func (db *DB) rebind(query string) string {
	if db.dialect != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// isUniqueViolation reports whether err is a unique-constraint failure in
// either dialect, recognised by the driver's error code (SQLite's extended
// result code, PostgreSQL's SQLSTATE), never by its message text.
func isUniqueViolation(err error) bool {
	return constraintViolation(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, "23505")
}

// isForeignKeyViolation reports whether err is a foreign-key failure in
// either dialect.
func isForeignKeyViolation(err error) bool {
	return constraintViolation(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, -1, "23503")
}

func constraintViolation(err error, sqliteCode, sqliteCode2 int, sqlState string) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqliteCode || se.Code() == sqliteCode2
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == sqlState
}

// timeValue scans a timestamp from either dialect: a time.Time from
// PostgreSQL and from SQLite's declared TIMESTAMP columns, or text.
type timeValue struct{ t *time.Time }

func (v timeValue) Scan(src any) error {
	switch s := src.(type) {
	case time.Time:
		*v.t = s.UTC()
	case string:
		return v.parse(s)
	case []byte:
		return v.parse(string(s))
	case nil:
		*v.t = time.Time{}
	default:
		return fmt.Errorf("cannot scan %T into a time", src)
	}
	return nil
}

func (v timeValue) parse(s string) error {
	if t, ok := parseSQLTime(s); ok {
		*v.t = t
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			*v.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("cannot parse time %q", s)
}

// parseSQLTime reads the layout SQLite's driver writes times in,
// "2006-01-02 15:04:05.999999999-07:00" (fraction and offset optional, "Z"
// or "+00:00" for UTC), much faster than time.Parse. It says false for
// anything else, which the caller then parses the slow way.
func parseSQLTime(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, j int) int {
		n := 0
		for _, c := range []byte(s[i:j]) {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	if year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	rest := s[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		digits := i - 1
		if digits == 0 || digits > 9 {
			return time.Time{}, false
		}
		nsec = num(20, 20+digits)
		for range 9 - digits {
			nsec *= 10
		}
		rest = rest[i:]
	}
	offset := 0
	switch {
	case rest == "" || rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, om := num(len(s)-5, len(s)-3), num(len(s)-2, len(s))
		if oh < 0 || oh > 23 || om < 0 || om > 59 {
			return time.Time{}, false
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // 31 February and the like
	}
	return t.Add(-time.Duration(offset) * time.Second), true
}
