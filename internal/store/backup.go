package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/crypt"
)

// This file holds what backup and restore need from the database: a
// consistent snapshot (SQLite: VACUUM INTO a file; PostgreSQL: a logical
// dump read in one REPEATABLE READ transaction), the load of such a dump
// into an empty PostgreSQL database in one transaction, and the checks a
// restore drill runs afterwards.
//
// The dump format is engine-neutral, so that a dump (or the tables of a
// SQLite snapshot, read the same way) could be loaded into either engine:
// JSON lines, per table a header naming its columns with a portable kind
// (int, bool, bytes, time, float, text), then one JSON array per row, then a
// trailer with the row count. Tables come in foreign-key dependency order.

// Column kinds in a dump.
const (
	KindInt   = "int"
	KindBool  = "bool"
	KindBytes = "bytes"
	KindTime  = "time"
	KindFloat = "float"
	KindText  = "text"
)

// DumpFormat names the logical dump format; its first line says it.
const DumpFormat = "safeguard-dump/1"

// DumpColumn is one column of a dumped table.
type DumpColumn struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// DumpTable is the header of one table in a dump.
type DumpTable struct {
	Table   string       `json:"table"`
	Columns []DumpColumn `json:"columns"`
}

// dumpHead is the dump's first line.
type dumpHead struct {
	Format        string `json:"format"`
	Engine        string `json:"engine"`
	SchemaVersion int    `json:"schema_version"`
}

// dumpEnd closes one table.
type dumpEnd struct {
	End  string `json:"end"`
	Rows int64  `json:"rows"`
}

// Snapshot describes what a backup read from the database.
type Snapshot struct {
	Engine        Dialect
	SchemaVersion int
	Tables        []string         // in dependency order
	Rows          map[string]int64 // rows per table
	AuditEntries  int64
	Checkpoint    *audit.Checkpoint // the latest signed checkpoint, if any
	EvidenceFiles int64             // evidence versions (sealed files)
}

// tableInfo is a table with its columns and the tables it references.
type tableInfo struct {
	DumpTable
	refs     []string
	identity []string // PostgreSQL identity or serial columns
}

// SnapshotSQLite writes a consistent copy of a SQLite database to path
// (which must not exist) with VACUUM INTO, while other connections go on
// reading and writing. It then opens the copy to describe it.
func (db *DB) SnapshotSQLite(ctx context.Context, path string) (Snapshot, error) {
	if db.dialect != SQLite {
		return Snapshot{}, errors.New("snapshot: not a SQLite database")
	}
	// VACUUM INTO runs in a read transaction of its own on one of the read
	// connections, so writers go on; query_only would stop it writing the
	// new file, so it is lifted on this connection for the copy. Should it
	// fail to come back, the connection is discarded.
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA query_only(0)"); err != nil {
		conn.Close()
		return Snapshot{}, fmt.Errorf("snapshot: %w", err)
	}
	_, err = conn.ExecContext(ctx, "VACUUM INTO ?", path)
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA query_only(1)"); rerr != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	conn.Close()
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot: vacuum into %s: %w", path, err)
	}
	snap, err := Open(ctx, path, Options{SkipMigrations: true, ReadConns: 1})
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot: open the copy: %w", err)
	}
	defer snap.Close()
	return snap.Describe(ctx)
}

// Describe counts the rows of every table and reads the schema version and
// the audit log's latest checkpoint, in one read transaction.
func (db *DB) Describe(ctx context.Context) (Snapshot, error) {
	var s Snapshot
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		s, err = tx.describe(ctx)
		return err
	})
	return s, err
}

func (tx *Tx) describe(ctx context.Context) (Snapshot, error) {
	s := Snapshot{Engine: tx.db.dialect, Rows: map[string]int64{}}
	tables, err := tx.tables(ctx)
	if err != nil {
		return s, err
	}
	for _, t := range tables {
		var n int64
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t.Table)).Scan(&n); err != nil {
			return s, fmt.Errorf("count %s: %w", t.Table, err)
		}
		s.Tables = append(s.Tables, t.Table)
		s.Rows[t.Table] = n
	}
	if s.SchemaVersion, err = tx.schemaVersion(ctx); err != nil {
		return s, err
	}
	s.AuditEntries = s.Rows["audit_log"]
	s.EvidenceFiles = s.Rows["evidence_versions"]
	cp, err := tx.latestCheckpoint(ctx)
	if err == nil {
		s.Checkpoint = &cp
	} else if !errors.Is(err, ErrNotFound) && !errors.Is(err, sql.ErrNoRows) {
		return s, err
	}
	return s, nil
}

// Dump writes a logical dump of every table to w, read in one transaction
// that sees a single consistent state (REPEATABLE READ, read only, on
// PostgreSQL; a read transaction on SQLite). Writers are not blocked.
func (db *DB) Dump(ctx context.Context, w io.Writer) (Snapshot, error) {
	var s Snapshot
	var opts *sql.TxOptions
	if db.dialect == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	sqlTx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return s, fmt.Errorf("dump: begin: %w", err)
	}
	defer sqlTx.Rollback()
	tx := &Tx{tx: sqlTx, db: db, pool: db.read, now: db.Now().UTC()}
	// The first statement fixes the snapshot: describe and the table reads
	// after it all see the same state.
	if s, err = tx.describe(ctx); err != nil {
		return s, fmt.Errorf("dump: %w", err)
	}
	tables, err := tx.tables(ctx)
	if err != nil {
		return s, err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(dumpHead{Format: DumpFormat, Engine: string(db.dialect), SchemaVersion: s.SchemaVersion}); err != nil {
		return s, err
	}
	for _, t := range tables {
		n, err := tx.dumpTable(ctx, enc, t)
		if err != nil {
			return s, fmt.Errorf("dump %s: %w", t.Table, err)
		}
		if n != s.Rows[t.Table] {
			return s, fmt.Errorf("dump %s: read %d rows, counted %d: the snapshot is not consistent", t.Table, n, s.Rows[t.Table])
		}
	}
	if err := bw.Flush(); err != nil {
		return s, err
	}
	return s, nil
}

func (tx *Tx) dumpTable(ctx context.Context, enc *json.Encoder, t tableInfo) (int64, error) {
	if err := enc.Encode(t.DumpTable); err != nil {
		return 0, err
	}
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = quoteIdent(c.Name)
	}
	rows, err := tx.query(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+quoteIdent(t.Table)+` ORDER BY 1`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	vals := make([]any, len(t.Columns))
	ptrs := make([]any, len(t.Columns))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	out := make([]any, len(t.Columns))
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range t.Columns {
			v, err := dumpValue(c, vals[i])
			if err != nil {
				return n, err
			}
			out[i] = v
		}
		if err := enc.Encode(out); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, enc.Encode(dumpEnd{End: t.Table, Rows: n})
}

// dumpValue turns a scanned value into its JSON form for the column's kind.
func dumpValue(c DumpColumn, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.Kind {
	case KindBytes:
		switch b := v.(type) {
		case []byte:
			return base64.StdEncoding.EncodeToString(b), nil
		case string:
			return base64.StdEncoding.EncodeToString([]byte(b)), nil
		}
	case KindTime:
		var t time.Time
		if err := (timeValue{&t}).Scan(v); err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		return t.UTC().Format(time.RFC3339Nano), nil
	case KindText:
		switch s := v.(type) {
		case []byte:
			return string(s), nil
		case time.Time:
			// SQLite's driver reads some text columns as times.
			return s.UTC().Format(time.RFC3339Nano), nil
		}
	case KindBool:
		if i, ok := v.(int64); ok {
			return i != 0, nil
		}
	}
	if b, ok := v.([]byte); ok {
		return string(b), nil
	}
	return v, nil
}

// loadValue turns a dumped JSON value back into a driver argument.
func loadValue(c DumpColumn, raw json.RawMessage) (any, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var err error
	switch c.Kind {
	case KindInt:
		var n int64
		err = json.Unmarshal(raw, &n)
		return n, err
	case KindFloat:
		var f float64
		err = json.Unmarshal(raw, &f)
		return f, err
	case KindBool:
		var b bool
		err = json.Unmarshal(raw, &b)
		return b, err
	case KindBytes:
		var s string
		if err = json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(s)
	case KindTime:
		var s string
		if err = json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return time.Parse(time.RFC3339Nano, s)
	}
	var s string
	if err = json.Unmarshal(raw, &s); err != nil {
		// A number or boolean kept in a text column (SQLite is lax).
		return string(raw), nil
	}
	return s, nil
}

// tables lists the database's tables with their columns, in an order where
// every table comes after the tables its foreign keys reference.
func (tx *Tx) tables(ctx context.Context) ([]tableInfo, error) {
	var list []tableInfo
	var err error
	if tx.db.dialect == Postgres {
		list, err = tx.pgTables(ctx)
	} else {
		list, err = tx.sqliteTables(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return dependencyOrder(list), nil
}

func (tx *Tx) sqliteTables(ctx context.Context) ([]tableInfo, error) {
	names, err := queryAll(ctx, tx, func(s scanner) (string, error) {
		var n string
		return n, s.Scan(&n)
	}, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var out []tableInfo
	for _, name := range names {
		t := tableInfo{DumpTable: DumpTable{Table: name}}
		// table_xinfo lists generated columns too (hidden 2 and 3): left out.
		rows, err := tx.query(ctx, `SELECT name, type, hidden FROM pragma_table_xinfo(?)`, name)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var col, typ string
			var hidden int
			if err := rows.Scan(&col, &typ, &hidden); err != nil {
				rows.Close()
				return nil, err
			}
			if hidden != 0 {
				continue
			}
			t.Columns = append(t.Columns, DumpColumn{Name: col, Kind: kindOf(typ)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		refs, err := queryAll(ctx, tx, func(s scanner) (string, error) {
			var n string
			return n, s.Scan(&n)
		}, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, name)
		if err != nil {
			return nil, err
		}
		t.refs = refs
		out = append(out, t)
	}
	return out, nil
}

func (tx *Tx) pgTables(ctx context.Context) ([]tableInfo, error) {
	type col struct {
		table, name, typ string
		identity         bool
	}
	cols, err := queryAll(ctx, tx, func(s scanner) (col, error) {
		var c col
		return c, s.Scan(&c.table, &c.name, &c.typ, &c.identity)
	}, `SELECT c.table_name, c.column_name, c.data_type,
			c.is_identity = 'YES' OR COALESCE(c.column_default, '') LIKE 'nextval(%'
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.is_generated = 'NEVER'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, err
	}
	byName := map[string]*tableInfo{}
	var order []string
	for _, c := range cols {
		t := byName[c.table]
		if t == nil {
			t = &tableInfo{DumpTable: DumpTable{Table: c.table}}
			byName[c.table] = t
			order = append(order, c.table)
		}
		t.Columns = append(t.Columns, DumpColumn{Name: c.name, Kind: kindOf(c.typ)})
		if c.identity {
			t.identity = append(t.identity, c.name)
		}
	}
	type ref struct{ from, to string }
	refs, err := queryAll(ctx, tx, func(s scanner) (ref, error) {
		var r ref
		return r, s.Scan(&r.from, &r.to)
	}, `SELECT DISTINCT f.relname, t.relname FROM pg_constraint c
		JOIN pg_class f ON f.oid = c.conrelid JOIN pg_class t ON t.oid = c.confrelid
		JOIN pg_namespace n ON n.oid = f.relnamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if t := byName[r.from]; t != nil {
			t.refs = append(t.refs, r.to)
		}
	}
	out := make([]tableInfo, 0, len(order))
	for _, n := range order {
		out = append(out, *byName[n])
	}
	return out, nil
}

// kindOf maps a declared column type of either engine to a dump kind.
func kindOf(typ string) string {
	t := strings.ToLower(typ)
	switch {
	case strings.Contains(t, "int") || t == "bigserial" || t == "serial":
		return KindInt
	case strings.Contains(t, "bool"):
		return KindBool
	case t == "bytea" || t == "blob":
		return KindBytes
	case strings.Contains(t, "timestamp") || t == "datetime":
		return KindTime
	case t == "real" || strings.Contains(t, "double") || strings.Contains(t, "float") || t == "numeric":
		return KindFloat
	}
	return KindText
}

// dependencyOrder sorts tables so that each follows those it references,
// by name otherwise; a cycle (none exists today) falls back to name order.
func dependencyOrder(list []tableInfo) []tableInfo {
	sort.Slice(list, func(i, j int) bool { return list[i].Table < list[j].Table })
	byName := map[string]int{}
	for i, t := range list {
		byName[t.Table] = i
	}
	state := make([]int, len(list)) // 0 new, 1 visiting, 2 done
	out := make([]tableInfo, 0, len(list))
	var visit func(i int)
	visit = func(i int) {
		if state[i] != 0 {
			return
		}
		state[i] = 1
		refs := slices.Clone(list[i].refs)
		sort.Strings(refs)
		for _, r := range refs {
			if j, ok := byName[r]; ok && j != i {
				visit(j)
			}
		}
		state[i] = 2
		out = append(out, list[i])
	}
	for i := range list {
		visit(i)
	}
	return out
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// ErrNotEmpty means a restore's target database already holds data.
var ErrNotEmpty = errors.New("the target database is not empty")

// LoadSummary is what LoadDump wrote.
type LoadSummary struct {
	SchemaVersion int              // the dump's
	Migrated      int              // migrations applied after the load
	Rows          map[string]int64 // rows loaded per table
}

// LoadDump loads a dump written by Dump into db, which must be a PostgreSQL
// database (schema) holding no Safeguard data: no tables at all, or only
// what migrations create. Everything happens in one transaction: the schema
// is created up to the dump's version, every table is loaded with the
// triggers that guard immutable rows switched off, identity sequences are
// moved past the loaded IDs, and then any newer migrations are applied. A
// failure leaves the database as it was. progress, when set, is called now
// and then with the rows loaded so far.
func (db *DB) LoadDump(ctx context.Context, r io.Reader, progress func(rows int64)) (LoadSummary, error) {
	sum := LoadSummary{Rows: map[string]int64{}}
	if db.dialect != Postgres {
		return sum, errors.New("load dump: only into PostgreSQL (a SQLite backup is restored as a file)")
	}
	dec := json.NewDecoder(bufio.NewReaderSize(r, 256<<10))
	var head dumpHead
	if err := dec.Decode(&head); err != nil || head.Format != DumpFormat {
		return sum, fmt.Errorf("load dump: not a %s stream", DumpFormat)
	}
	if head.Engine != string(Postgres) {
		return sum, fmt.Errorf("load dump: the dump comes from %s; loading it into PostgreSQL is the job of migrate-db", head.Engine)
	}
	sum.SchemaVersion = head.SchemaVersion
	ms, err := migrations(Postgres)
	if err != nil {
		return sum, err
	}
	if latest := ms[len(ms)-1].Version; head.SchemaVersion > latest {
		return sum, ErrSchemaTooNew{Have: head.SchemaVersion, Know: latest}
	}
	err = db.run(ctx, db.write, false, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(?)", migrationLockID); err != nil {
			return fmt.Errorf("lock for restore: %w", err)
		}
		have, err := tx.checkEmpty(ctx)
		if err != nil {
			return err
		}
		if have > head.SchemaVersion {
			return fmt.Errorf("%w: its schema (version %d) is newer than the backup's (%d)", ErrNotEmpty, have, head.SchemaVersion)
		}
		if err := tx.applyMigrations(ctx, ms, have, head.SchemaVersion); err != nil {
			return err
		}
		tables, err := tx.tables(ctx)
		if err != nil {
			return err
		}
		known := map[string]tableInfo{}
		for _, t := range tables {
			known[t.Table] = t
			// Switch off the guards on immutable rows (a final assessment
			// refuses new responses) while the rows go back in as they were;
			// the table owner may, as migrations do.
			if _, err := tx.exec(ctx, `ALTER TABLE `+quoteIdent(t.Table)+` DISABLE TRIGGER USER`); err != nil {
				return fmt.Errorf("restore %s: %w", t.Table, err)
			}
		}
		// What the migrations seeded (the audit head, the schema_migrations
		// rows) is replaced by the dump's own rows.
		for _, t := range slices.Backward(tables) {
			if _, err := tx.exec(ctx, `DELETE FROM `+quoteIdent(t.Table)); err != nil {
				return fmt.Errorf("restore %s: %w", t.Table, err)
			}
		}
		var total int64
		for {
			var hdr DumpTable
			if err := dec.Decode(&hdr); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return fmt.Errorf("load dump: %w", err)
			}
			t, ok := known[hdr.Table]
			if !ok {
				return fmt.Errorf("load dump: table %q is not in schema version %d", hdr.Table, head.SchemaVersion)
			}
			n, err := tx.loadTable(ctx, dec, hdr, func(n int64) {
				if progress != nil {
					progress(total + n)
				}
			})
			if err != nil {
				return fmt.Errorf("load %s: %w", hdr.Table, err)
			}
			total += n
			sum.Rows[hdr.Table] = n
			for _, c := range t.identity {
				if _, err := tx.exec(ctx, `SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX(`+quoteIdent(c)+`), 0) + 1, false) FROM `+quoteIdent(t.Table), t.Table, c); err != nil {
					return fmt.Errorf("restore %s: identity %s: %w", t.Table, c, err)
				}
			}
		}
		for _, t := range tables {
			if _, err := tx.exec(ctx, `ALTER TABLE `+quoteIdent(t.Table)+` ENABLE TRIGGER USER`); err != nil {
				return fmt.Errorf("restore %s: %w", t.Table, err)
			}
		}
		before := head.SchemaVersion
		if err := tx.applyMigrations(ctx, ms, head.SchemaVersion, ms[len(ms)-1].Version); err != nil {
			return err
		}
		for _, m := range ms {
			if m.Version > before {
				sum.Migrated++
			}
		}
		return nil
	})
	return sum, err
}

// loadTable inserts one table's rows, many per statement, up to its trailer.
func (tx *Tx) loadTable(ctx context.Context, dec *json.Decoder, t DumpTable, progress func(int64)) (int64, error) {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = quoteIdent(c.Name)
	}
	prefix := `INSERT INTO ` + quoteIdent(t.Table) + ` (` + strings.Join(names, ", ") + `) OVERRIDING SYSTEM VALUE VALUES `
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.Columns)), ", ") + ")"
	per := max(1, min(500, 60000/max(1, len(t.Columns))))
	var args []any
	var pending int
	flush := func() error {
		if pending == 0 {
			return nil
		}
		q := prefix + strings.TrimSuffix(strings.Repeat(one+", ", pending), ", ")
		_, err := tx.exec(ctx, q, args...)
		args, pending = args[:0], 0
		return err
	}
	var n int64
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		if len(raw) > 0 && raw[0] == '{' {
			var end dumpEnd
			if err := json.Unmarshal(raw, &end); err != nil || end.End != t.Table {
				return n, errors.New("the table's rows end without its trailer")
			}
			if end.Rows != n {
				return n, fmt.Errorf("the dump says %d rows, it holds %d", end.Rows, n)
			}
			return n, flush()
		}
		var vals []json.RawMessage
		if err := json.Unmarshal(raw, &vals); err != nil || len(vals) != len(t.Columns) {
			return n, fmt.Errorf("row %d is malformed", n+1)
		}
		for i, c := range t.Columns {
			v, err := loadValue(c, vals[i])
			if err != nil {
				return n, fmt.Errorf("row %d, column %s: %w", n+1, c.Name, err)
			}
			args = append(args, v)
		}
		pending++
		n++
		if pending == per {
			if err := flush(); err != nil {
				return n, err
			}
			progress(n)
		}
	}
}

// checkEmpty returns the schema version of a database that holds no
// Safeguard data (0 when it has no tables), or ErrNotEmpty.
func (tx *Tx) checkEmpty(ctx context.Context) (int, error) {
	tables, err := tx.tables(ctx)
	if err != nil {
		return 0, err
	}
	if len(tables) == 0 {
		return 0, nil
	}
	hasMigrations := false
	for _, t := range tables {
		switch t.Table {
		case "schema_migrations":
			hasMigrations = true
			continue
		case "audit_head":
			// The one row migrations seed.
			continue
		}
		var any bool
		if err := tx.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+quoteIdent(t.Table)+`)`).Scan(&any); err != nil {
			return 0, err
		}
		if any {
			return 0, fmt.Errorf("%w: table %s holds rows", ErrNotEmpty, t.Table)
		}
	}
	if !hasMigrations {
		return 0, fmt.Errorf("%w: it holds tables that are not Safeguard's", ErrNotEmpty)
	}
	return tx.schemaVersion(ctx)
}

// applyMigrations applies the migrations numbered above from and up to to,
// recording each, inside tx.
func (tx *Tx) applyMigrations(ctx context.Context, ms []migration, from, to int) error {
	if _, err := tx.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range ms {
		if m.Version <= from || m.Version > to {
			continue
		}
		sqlTx, err := tx.sqlTx()
		if err != nil {
			return err
		}
		if _, err := sqlTx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
		if _, err := tx.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.Version, m.Name, tx.now.Format("2006-01-02T15:04:05.000000Z")); err != nil {
			return fmt.Errorf("record migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// IsEmpty reports whether the database holds no Safeguard data (see
// LoadDump), and if not, why.
func (db *DB) IsEmpty(ctx context.Context) (bool, string, error) {
	var why string
	err := db.view(ctx, func(tx *Tx) error {
		_, err := tx.checkEmpty(ctx)
		if errors.Is(err, ErrNotEmpty) {
			why = strings.TrimPrefix(err.Error(), ErrNotEmpty.Error()+": ")
			return nil
		}
		return err
	})
	return why == "" && err == nil, why, err
}

// TableRows counts the rows of every table.
func (db *DB) TableRows(ctx context.Context) (map[string]int64, error) {
	s, err := db.Describe(ctx)
	return s.Rows, err
}

// EvidenceCheck is the result of CheckAllEvidence.
type EvidenceCheck struct {
	Versions int64    // file versions checked
	Bytes    int64    // plaintext bytes checked
	Failed   []string // "evidence:ID/vN: why", for each that failed
}

// CheckAllEvidence opens every stored evidence version with keys and checks
// its SHA-256 and size against those recorded at upload, without serving or
// auditing each one: it is the integrity check of a restore drill, whose
// outcome is audited once. It reads one version at a time.
func (db *DB) CheckAllEvidence(ctx context.Context, keys *crypt.Keyring, progress func(done int64)) (EvidenceCheck, error) {
	var c EvidenceCheck
	if keys == nil {
		return c, errors.New("check evidence: no keyring")
	}
	type ref struct {
		id, orgID int64
		version   int
	}
	var refs []ref
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		refs, err = queryAll(ctx, tx, func(s scanner) (ref, error) {
			var r ref
			return r, s.Scan(&r.id, &r.orgID, &r.version)
		}, `SELECT v.evidence_id, e.org_id, v.version FROM evidence_versions v JOIN evidence e ON e.id = v.evidence_id ORDER BY v.evidence_id, v.version`)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("check evidence: %w", err)
	}
	for _, r := range refs {
		var sealed, wrapped []byte
		var kekID, sum string
		var size int64
		err := db.view(ctx, func(tx *Tx) error {
			return tx.queryRow(ctx, `SELECT v.size, v.sha256, v.sealed, d.kek_id, d.wrapped
				FROM evidence_versions v JOIN data_keys d ON d.id = v.data_key_id WHERE v.evidence_id = ? AND v.version = ?`, r.id, r.version).
				Scan(&size, &sum, &sealed, &kekID, &wrapped)
		})
		if err != nil {
			return c, fmt.Errorf("check evidence %d v%d: %w", r.id, r.version, err)
		}
		object := fmt.Sprintf("evidence:%d/v%d", r.id, r.version)
		why := ""
		dk, err := keys.Unwrap(kekID, wrapped)
		var data []byte
		switch {
		case errors.Is(err, crypt.ErrUnknownKEK):
			why = "the key-encryption key " + kekID + " is not in the keyring"
		case err != nil:
			why = "its wrapped data key does not open"
		default:
			if data, err = dk.Open(sealed, evidenceAAD(r.orgID, r.id, r.version)); err != nil {
				why = "the stored ciphertext does not decrypt"
			} else {
				h := sha256.Sum256(data)
				if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(h[:])), []byte(strings.ToLower(sum))) != 1 || int64(len(data)) != size {
					why = "the SHA-256 differs from the one recorded at upload"
				}
			}
		}
		if why != "" {
			c.Failed = append(c.Failed, object+": "+why)
		} else {
			c.Bytes += int64(len(data))
		}
		c.Versions++
		if progress != nil {
			progress(c.Versions)
		}
	}
	return c, nil
}

// RestoreTestAction is the audit action of a recorded restore drill: a test
// of the contingency plan's data backup and restore procedures
// (45 CFR 164.308(a)(7)(ii)(D)).
const RestoreTestAction = "contingency.restore_test"

// RecordRestoreTest appends a contingency.restore_test entry with summary to
// the audit log of every organisation, and one for the deployment, in one
// transaction. It returns how many organisations it recorded it for.
func (db *DB) RecordRestoreTest(ctx context.Context, actor Actor, object, summary string) (int, error) {
	var n int
	err := db.update(ctx, func(tx *Tx) error {
		ids, err := queryAll(ctx, tx, func(s scanner) (int64, error) {
			var id int64
			return id, s.Scan(&id)
		}, `SELECT id FROM orgs ORDER BY id`)
		if err != nil {
			return err
		}
		n = len(ids)
		for _, id := range append([]int64{0}, ids...) {
			if err := tx.appendAudit(ctx, actor, audit.Entry{OrgID: id, Action: RestoreTestAction, Object: object, Summary: summary}); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
