package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file copies a whole Safeguard database into an empty one of either
// dialect (safeguard migrate-db), and proves the copy: per table, the row
// count and a SHA-256 over every row read in primary-key order, each value
// rendered in one canonical form whatever engine it came from.

// copyPolicy says what the copy does with one table.
type copyPolicy int

const (
	// copyRows copies every row, keeping its ids.
	copyRows copyPolicy = iota
	// copySeeded copies every row after deleting the rows the migrations
	// seeded in the target (audit_head's single row).
	copySeeded
	// copySkip leaves the table out; copySkipReason says why.
	copySkip
)

// copyTables classifies every table the migrations create. A table that is
// in the schema but not here stops the copy: whoever adds a table decides
// whether its rows move.
var copyTables = map[string]copyPolicy{
	"instance_settings": copyRows, "orgs": copyRows, "data_keys": copyRows,
	"audit_log": copyRows, "audit_head": copySeeded, "audit_tree": copyRows,
	"audit_checkpoints": copyRows, "audit_keys": copyRows, "audit_reads": copyRows,
	"users": copyRows, "memberships": copyRows, "invitations": copyRows, "api_tokens": copyRows,
	"login_throttle": copyRows, "known_devices": copyRows, "totp_credentials": copyRows,
	"recovery_codes": copyRows, "webauthn_users": copyRows, "webauthn_credentials": copyRows,
	"sso_providers": copyRows, "sso_logins": copyRows, "sso_identities": copyRows,
	"emergency_access": copyRows, "notifications": copyRows, "member_invitations": copyRows,
	"jobs": copyRows, "org_profiles": copyRows, "security_officials": copyRows,
	"assessments": copyRows, "assess_responses": copyRows, "assess_response_versions": copyRows,
	"assess_decisions": copyRows, "assess_decision_versions": copyRows, "assess_reviews": copyRows,
	"assess_response_evidence": copyRows, "evidence": copyRows, "evidence_versions": copyRows,
	"risk_scales": copyRows, "org_risk_settings": copyRows, "assets": copyRows, "asset_versions": copyRows,
	"flows": copyRows, "flow_versions": copyRows, "risk_threats": copyRows, "risk_vulnerabilities": copyRows,
	"risks": copyRows, "risk_assets": copyRows, "risk_categories": copyRows, "risk_versions": copyRows,
	"risk_tasks": copyRows, "risk_task_versions": copyRows, "risk_analyses": copyRows, "reports": copyRows,
	"reminders_sent": copyRows, "digest_prefs": copyRows,

	"schema_migrations":   copySkip,
	"sessions":            copySkip,
	"webauthn_ceremonies": copySkip,
}

// riverTable reports whether name is one of River's tables (the job queue
// beside Safeguard's tables, see jobs_queue.go): they are River's to make
// and differ between the engines, so the copy leaves them out altogether;
// serve makes them afresh on the target and schedules the periodic jobs again.
func riverTable(name string) bool { return strings.HasPrefix(name, "river_") }

const riverSkipReason = "River's job queue: serve makes it afresh, jobs run again on schedule"

var copySkipReason = map[string]string{
	"schema_migrations":   "the target's own migrations (same version checked)",
	"sessions":            "sign-ins end: everyone signs in again on the target",
	"webauthn_ceremonies": "passkey ceremonies belong to sessions",
}

// kind is the logical type of a column, the same on both engines.
type kind int

const (
	kindInt kind = iota
	kindText
	kindTime
	kindBool
	kindBytes
	kindFloat
)

// column is one column of a table as both engines know it.
type column struct {
	name string
	kind kind
}

// copySpec is what the copy knows about one table.
type copySpec struct {
	name    string
	columns []column // in name order, the same on both sides
	pk      []string // primary key columns, in key order
	parents []string // tables its foreign keys point at (other than itself)
	selfRef []string // columns referring to its own primary key
}

// schemaTable is one table as one engine describes it.
type schemaTable struct {
	cols    map[string]kind
	pk      []string
	parents map[string]bool
	selfRef []string
}

// schema reads the tables of db from its catalogue (sqlite_master or
// information_schema), never from a list in the code.
func (db *DB) schema(ctx context.Context, q querier) (map[string]*schemaTable, error) {
	out := map[string]*schemaTable{}
	var names []string
	var err error
	if db.dialect == SQLite {
		names, err = queryStrings(ctx, q, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	} else {
		names, err = queryStrings(ctx, q, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	}
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	for _, name := range names {
		if riverTable(name) {
			continue
		}
		t := &schemaTable{cols: map[string]kind{}, parents: map[string]bool{}}
		out[name] = t
		if err := db.describe(ctx, q, name, t); err != nil {
			return nil, fmt.Errorf("describe table %s: %w", name, err)
		}
	}
	return out, nil
}

// querier is a transaction or a pool.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (db *DB) describe(ctx context.Context, q querier, name string, t *schemaTable) error {
	type keyCol struct {
		name string
		pos  int
	}
	var pk []keyCol
	if db.dialect == SQLite {
		rows, err := q.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?)`, name)
		if err != nil {
			return err
		}
		for rows.Next() {
			var col, typ string
			var pos int
			if err := rows.Scan(&col, &typ, &pos); err != nil {
				rows.Close()
				return err
			}
			k, ok := sqliteKind(typ)
			if !ok {
				rows.Close()
				return fmt.Errorf("column %s has type %q, which the copy does not know", col, typ)
			}
			t.cols[col] = k
			if pos > 0 {
				pk = append(pk, keyCol{col, pos})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = q.QueryContext(ctx, `SELECT "table", "from" FROM pragma_foreign_key_list(?)`, name)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var parent, col string
			if err := rows.Scan(&parent, &col); err != nil {
				return err
			}
			t.addRef(name, parent, col)
		}
		if err := rows.Err(); err != nil {
			return err
		}
	} else {
		rows, err := q.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1`, name)
		if err != nil {
			return err
		}
		for rows.Next() {
			var col, typ string
			if err := rows.Scan(&col, &typ); err != nil {
				rows.Close()
				return err
			}
			k, ok := postgresKind(typ)
			if !ok {
				rows.Close()
				return fmt.Errorf("column %s has type %q, which the copy does not know", col, typ)
			}
			t.cols[col] = k
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = q.QueryContext(ctx, `SELECT a.attname, array_position(i.indkey::int2[], a.attnum)
			FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
			WHERE i.indisprimary AND i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass`, name)
		if err != nil {
			return err
		}
		for rows.Next() {
			var col string
			var pos int
			if err := rows.Scan(&col, &pos); err != nil {
				rows.Close()
				return err
			}
			pk = append(pk, keyCol{col, pos})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = q.QueryContext(ctx, `SELECT p.relname, a.attname
			FROM pg_constraint c
			JOIN pg_class p ON p.oid = c.confrelid
			JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
			WHERE c.contype = 'f' AND c.conrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass`, name)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var parent, col string
			if err := rows.Scan(&parent, &col); err != nil {
				return err
			}
			t.addRef(name, parent, col)
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	sort.Slice(pk, func(i, j int) bool { return pk[i].pos < pk[j].pos })
	for _, c := range pk {
		t.pk = append(t.pk, c.name)
	}
	return nil
}

func (t *schemaTable) addRef(name, parent, col string) {
	if parent == name {
		if !slices.Contains(t.selfRef, col) {
			t.selfRef = append(t.selfRef, col)
		}
		return
	}
	t.parents[parent] = true
}

// sqliteKind reads a declared SQLite column type.
func sqliteKind(typ string) (kind, bool) {
	switch strings.ToUpper(strings.TrimSpace(typ)) {
	case "INTEGER", "INT", "BIGINT", "SMALLINT":
		return kindInt, true
	case "TEXT":
		return kindText, true
	case "TIMESTAMP", "DATETIME", "DATE":
		return kindTime, true
	case "BOOLEAN":
		return kindBool, true
	case "BLOB":
		return kindBytes, true
	case "REAL", "DOUBLE", "FLOAT":
		return kindFloat, true
	}
	return 0, false
}

// postgresKind reads an information_schema data_type.
func postgresKind(typ string) (kind, bool) {
	switch typ {
	case "bigint", "integer", "smallint":
		return kindInt, true
	case "text", "character varying":
		return kindText, true
	case "timestamp with time zone":
		return kindTime, true
	case "boolean":
		return kindBool, true
	case "bytea":
		return kindBytes, true
	case "double precision", "real":
		return kindFloat, true
	}
	return 0, false
}

// plan matches the two schemas table by table and column by column and puts
// the tables in an order where every table comes after those its foreign
// keys point at. It fails on a table either side lacks, a table copyTables
// does not classify, a column whose types disagree, or a cycle.
func plan(src, dst map[string]*schemaTable) ([]copySpec, error) {
	var unknown, foreign, missing []string
	for name := range src {
		if _, ok := copyTables[name]; !ok {
			unknown = append(unknown, name)
		} else if _, ok := dst[name]; !ok {
			missing = append(missing, name)
		}
	}
	for name := range dst {
		if _, ok := copyTables[name]; !ok && src[name] == nil {
			foreign = append(foreign, name)
		} else if _, ok := src[name]; !ok {
			missing = append(missing, name)
		}
	}
	slices.Sort(unknown)
	slices.Sort(foreign)
	slices.Sort(missing)
	switch {
	case len(unknown) > 0:
		return nil, fmt.Errorf("the source has tables the copy does not know (%s): classify them in copyTables (internal/store/copy.go)", strings.Join(unknown, ", "))
	case len(foreign) > 0:
		return nil, fmt.Errorf("the target holds tables that are not Safeguard's (%s): copy into an empty database or schema", strings.Join(foreign, ", "))
	case len(missing) > 0:
		return nil, fmt.Errorf("tables %s are in one database but not the other: the schemas differ", strings.Join(missing, ", "))
	}
	tables := map[string]copySpec{}
	for name, s := range src {
		d := dst[name]
		t := copySpec{name: name, pk: s.pk, selfRef: s.selfRef}
		for col, sk := range s.cols {
			dk, ok := d.cols[col]
			if !ok {
				return nil, fmt.Errorf("table %s: column %s is missing in the target", name, col)
			}
			k, ok := joinKinds(sk, dk)
			if !ok {
				return nil, fmt.Errorf("table %s: column %s has different types in the two databases", name, col)
			}
			t.columns = append(t.columns, column{col, k})
		}
		if len(d.cols) != len(s.cols) {
			return nil, fmt.Errorf("table %s has %d columns in the source and %d in the target", name, len(s.cols), len(d.cols))
		}
		sort.Slice(t.columns, func(i, j int) bool { return t.columns[i].name < t.columns[j].name })
		if len(t.pk) == 0 {
			t.pk = d.pk
		}
		for p := range s.parents {
			t.parents = append(t.parents, p)
		}
		for p := range d.parents {
			if !s.parents[p] {
				t.parents = append(t.parents, p)
			}
		}
		for _, c := range d.selfRef {
			if !slices.Contains(t.selfRef, c) {
				t.selfRef = append(t.selfRef, c)
			}
		}
		if len(t.selfRef) > 0 && (len(t.pk) != 1 || t.kind(t.pk[0]) != kindInt) {
			return nil, fmt.Errorf("table %s refers to itself but has no integer key", name)
		}
		slices.Sort(t.parents)
		tables[name] = t
	}
	// Kahn's algorithm, picking tables by name among the ready ones so that
	// the order is the same on every run.
	var order []copySpec
	done := map[string]bool{}
	for len(order) < len(tables) {
		var ready []string
		for name, t := range tables {
			if done[name] {
				continue
			}
			ok := true
			for _, p := range t.parents {
				if _, known := tables[p]; known && !done[p] {
					ok = false
				}
			}
			if ok {
				ready = append(ready, name)
			}
		}
		if len(ready) == 0 {
			var left []string
			for name := range tables {
				if !done[name] {
					left = append(left, name)
				}
			}
			slices.Sort(left)
			return nil, fmt.Errorf("the foreign keys between %s form a cycle the copy cannot order", strings.Join(left, ", "))
		}
		slices.Sort(ready)
		for _, name := range ready {
			done[name] = true
			order = append(order, tables[name])
		}
	}
	return order, nil
}

func (t copySpec) kind(col string) kind {
	for _, c := range t.columns {
		if c.name == col {
			return c.kind
		}
	}
	return kindText
}

// joinKinds reconciles a column's type on the two engines: SQLite keeps
// PostgreSQL's booleans as integers.
func joinKinds(a, b kind) (kind, bool) {
	switch {
	case a == b:
		return a, true
	case a == kindInt && b == kindBool, a == kindBool && b == kindInt:
		return kindBool, true
	}
	return 0, false
}

// TableCopy is one table's line in a copy report.
type TableCopy struct {
	Table string
	// Rows is the number of rows in the source, and the number copied.
	Rows int64
	// SourceSum and TargetSum are the SHA-256 of the table's canonical
	// rendering (hex) read from each side; they are equal after a copy.
	SourceSum, TargetSum string
	// Skipped, when not empty, says why the table was not copied.
	Skipped string
	// TimesCut counts the times written to PostgreSQL whose digits below the
	// microsecond (which SQLite keeps and PostgreSQL cannot) were dropped.
	TimesCut int64
}

// CopyReport is the outcome of Copy.
type CopyReport struct {
	SchemaVersion int
	Tables        []TableCopy
	// SessionsEnded is how many open sign-ins were left behind.
	SessionsEnded int64
}

// CopyOptions tune Copy.
type CopyOptions struct {
	// BatchRows bounds the rows of one INSERT (default 500, fewer for wide
	// tables so that a statement stays within the engines' parameter limits).
	BatchRows int
	// Progress, when set, is called after each batch with the table, the
	// rows copied of it so far and its total.
	Progress func(table string, done, total int64)
	// AfterBatch, when set, is called after each batch is written; an error
	// from it aborts the copy (tests use it to break the connection midway).
	AfterBatch func(table string, done int64) error
}

// ErrTargetNotEmpty means the target of a copy already holds data.
var ErrTargetNotEmpty = errors.New("the target database is not empty")

// CheckEmpty reports ErrTargetNotEmpty, naming the tables, when db holds any
// row a copy would write: every table but those copyTables skips, and
// audit_head beyond the empty head the migrations seed. It reads only, and
// works on a database whose migrations are not yet applied.
func (db *DB) CheckEmpty(ctx context.Context) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: db.dialect == Postgres})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	s, err := db.schema(ctx, tx)
	if err != nil {
		return err
	}
	return checkEmpty(ctx, tx, s)
}

// checkEmpty is CheckEmpty in tx, whose schema is s.
func checkEmpty(ctx context.Context, tx *sql.Tx, s map[string]*schemaTable) error {
	var full []string
	for _, name := range slices.Sorted(mapKeys(s)) {
		if copyTables[name] == copySkip {
			continue
		}
		where := ""
		if name == "audit_head" {
			where = " WHERE seq <> 0 OR hash IS NOT NULL"
		}
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(name)+where).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", name, err)
		}
		switch {
		case n == 1:
			full = append(full, name+" (1 row)")
		case n > 1:
			full = append(full, fmt.Sprintf("%s (%d rows)", name, n))
		}
	}
	if len(full) > 5 {
		full = append(full[:5], fmt.Sprintf("and %d more tables", len(full)-5))
	}
	if len(full) > 0 {
		return fmt.Errorf("%w: %s", ErrTargetNotEmpty, strings.Join(full, ", "))
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Copy copies every row of src into dst, which must be empty and at the
// same schema version, in one transaction on dst: it either holds the whole
// copy, proven row by row, or (on any failure, the connection lost
// included) nothing. Ids are kept; PostgreSQL's sequences are moved past
// them (in the transaction); triggers that refuse changes to finalised records are held off in
// the transaction while rows are inserted (in PostgreSQL disabled, in SQLite
// dropped and recreated) and foreign keys are satisfied by the table order.
// Before it commits, it reads every copied table back from dst in
// primary-key order and compares row counts and checksums with what it read
// from src. Sessions are not copied, so nobody stays signed in.
func Copy(ctx context.Context, src, dst *DB, opts CopyOptions) (CopyReport, error) {
	var rep CopyReport
	if opts.BatchRows <= 0 {
		opts.BatchRows = 500
	}
	sv, latest, err := src.SchemaVersion(ctx)
	if err != nil {
		return rep, err
	}
	dv, _, err := dst.SchemaVersion(ctx)
	if err != nil {
		return rep, err
	}
	if sv != latest || dv != sv {
		return rep, fmt.Errorf("schema versions differ (source %d, target %d, this safeguard %d): run 'safeguard migrate' on the source first", sv, dv, latest)
	}
	rep.SchemaVersion = sv
	if err := dst.CheckEmpty(ctx); err != nil {
		return rep, err
	}

	stx, err := src.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: src.dialect == Postgres, Isolation: srcIsolation(src)})
	if err != nil {
		return rep, fmt.Errorf("begin reading the source: %w", err)
	}
	defer stx.Rollback()
	dtx, err := dst.write.BeginTx(ctx, nil)
	if err != nil {
		return rep, fmt.Errorf("begin writing the target: %w", err)
	}
	defer dtx.Rollback()

	ss, err := src.schema(ctx, stx)
	if err != nil {
		return rep, fmt.Errorf("source: %w", err)
	}
	ds, err := dst.schema(ctx, dtx)
	if err != nil {
		return rep, fmt.Errorf("target: %w", err)
	}
	// Again inside the transaction that writes: nobody has written since
	// (SQLite's write lock is held; on PostgreSQL LOCK below keeps it so).
	if dst.dialect == Postgres {
		if _, err := dtx.ExecContext(ctx, `LOCK TABLE audit_head IN EXCLUSIVE MODE`); err != nil {
			return rep, fmt.Errorf("lock the target: %w", err)
		}
	}
	if err := checkEmpty(ctx, dtx, ds); err != nil {
		return rep, err
	}
	order, err := plan(ss, ds)
	if err != nil {
		return rep, err
	}

	restore, err := dst.holdTriggers(ctx, dtx, order)
	if err != nil {
		return rep, err
	}
	for _, t := range order {
		switch copyTables[t.name] {
		case copySkip:
			var n int64
			if err := stx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t.name)).Scan(&n); err != nil {
				return rep, fmt.Errorf("count %s: %w", t.name, err)
			}
			if t.name == "sessions" {
				rep.SessionsEnded = n
			}
			rep.Tables = append(rep.Tables, TableCopy{Table: t.name, Rows: n, Skipped: copySkipReason[t.name]})
			continue
		case copySeeded:
			if _, err := dtx.ExecContext(ctx, `DELETE FROM `+quoteIdent(t.name)); err != nil {
				return rep, fmt.Errorf("clear %s: %w", t.name, err)
			}
		}
		tc, err := copyTable(ctx, src, dst, stx, dtx, t, opts)
		if err != nil {
			return rep, fmt.Errorf("copy %s: %w", t.name, err)
		}
		rep.Tables = append(rep.Tables, tc)
	}
	if err := restore(); err != nil {
		return rep, err
	}
	if err := reportRiver(ctx, src, stx, &rep); err != nil {
		return rep, err
	}
	// Read everything back inside the transaction: a difference rolls the
	// whole copy back.
	var bad []string
	for i, tc := range rep.Tables {
		if tc.Skipped != "" {
			continue
		}
		t := order[slices.IndexFunc(order, func(t copySpec) bool { return t.name == tc.Table })]
		n, sum, err := checksum(ctx, dst, dtx, t, nil)
		if err != nil {
			return rep, fmt.Errorf("read back %s: %w", t.name, err)
		}
		rep.Tables[i].TargetSum = sum
		if n != tc.Rows || sum != tc.SourceSum {
			bad = append(bad, fmt.Sprintf("%s (%d rows, %d read back)", t.name, tc.Rows, n))
		}
	}
	if len(bad) > 0 {
		return rep, fmt.Errorf("the copy differs from the source in %s: rolled back", strings.Join(bad, ", "))
	}
	if dst.dialect == Postgres {
		if err := resetSequences(ctx, dtx, order); err != nil {
			return rep, err
		}
	}
	if err := dtx.Commit(); err != nil {
		return rep, fmt.Errorf("commit the copy: %w", err)
	}
	return rep, nil
}

// reportRiver adds a skipped line for each of River's tables in the source.
func reportRiver(ctx context.Context, db *DB, tx *sql.Tx, rep *CopyReport) error {
	var names []string
	var err error
	if db.dialect == SQLite {
		names, err = queryStrings(ctx, tx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'river\_%' ESCAPE '\' ORDER BY name`)
	} else {
		names, err = queryStrings(ctx, tx, `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name LIKE 'river\_%' ORDER BY table_name`)
	}
	if err != nil {
		return fmt.Errorf("list River's tables: %w", err)
	}
	for _, name := range names {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(name)).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", name, err)
		}
		rep.Tables = append(rep.Tables, TableCopy{Table: name, Rows: n, Skipped: riverSkipReason})
	}
	return nil
}

// srcIsolation gives the source read one snapshot of every table.
func srcIsolation(db *DB) sql.IsolationLevel {
	if db.dialect == Postgres {
		return sql.LevelRepeatableRead
	}
	return sql.LevelDefault
}

// holdTriggers keeps dst's triggers from refusing the inserts (a response
// of a final assessment, say) and from checking foreign keys row by row in
// SQLite. The returned function puts them back, still inside tx.
func (db *DB) holdTriggers(ctx context.Context, tx *sql.Tx, order []copySpec) (func() error, error) {
	if db.dialect == Postgres {
		var tables []string
		for _, t := range order {
			if copyTables[t.name] == copySkip {
				continue
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal
				AND tgrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass`, t.name).Scan(&n); err != nil {
				return nil, fmt.Errorf("list triggers of %s: %w", t.name, err)
			}
			if n == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+quoteIdent(t.name)+` DISABLE TRIGGER USER`); err != nil {
				return nil, fmt.Errorf("hold the triggers of %s: %w", t.name, err)
			}
			tables = append(tables, t.name)
		}
		return func() error {
			for _, name := range tables {
				if _, err := tx.ExecContext(ctx, `ALTER TABLE `+quoteIdent(name)+` ENABLE TRIGGER USER`); err != nil {
					return fmt.Errorf("restore the triggers of %s: %w", name, err)
				}
			}
			return nil
		}, nil
	}
	if _, err := tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
		return nil, fmt.Errorf("defer foreign keys: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list triggers: %w", err)
	}
	type trigger struct{ name, sql string }
	var triggers []trigger
	for rows.Next() {
		var t trigger
		if err := rows.Scan(&t.name, &t.sql); err != nil {
			rows.Close()
			return nil, err
		}
		triggers = append(triggers, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, t := range triggers {
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER `+quoteIdent(t.name)); err != nil {
			return nil, fmt.Errorf("hold trigger %s: %w", t.name, err)
		}
	}
	return func() error {
		for _, t := range triggers {
			if _, err := tx.ExecContext(ctx, t.sql); err != nil {
				return fmt.Errorf("restore trigger %s: %w", t.name, err)
			}
		}
		return nil
	}, nil
}

// selectAll is the query reading every row of t in primary-key order, text
// keys compared byte by byte on both engines.
func selectAll(db *DB, t copySpec) string {
	cols := make([]string, len(t.columns))
	for i, c := range t.columns {
		cols[i] = quoteIdent(c.name)
	}
	key := t.pk
	if len(key) == 0 {
		key = make([]string, len(t.columns))
		for i, c := range t.columns {
			key[i] = c.name
		}
	}
	order := make([]string, len(key))
	for i, k := range key {
		order[i] = quoteIdent(k)
		if db.dialect == Postgres && t.kind(k) == kindText {
			order[i] += ` COLLATE "C"`
		}
	}
	return `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + quoteIdent(t.name) + ` ORDER BY ` + strings.Join(order, ", ")
}

// copyTable copies t in batches and returns its row count and source
// checksum.
func copyTable(ctx context.Context, src, dst *DB, stx, dtx *sql.Tx, t copySpec, opts CopyOptions) (TableCopy, error) {
	tc := TableCopy{Table: t.name}
	var total int64
	if err := stx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t.name)).Scan(&total); err != nil {
		return tc, err
	}
	batch := max(1, min(opts.BatchRows, 30000/len(t.columns)))
	w := &batchWriter{ctx: ctx, db: dst, tx: dtx, t: t, max: batch}
	if len(t.selfRef) > 0 {
		w.inserted = map[int64]bool{}
	}
	var done int64
	w.flushed = func(n int) error {
		done += int64(n)
		if opts.Progress != nil {
			opts.Progress(t.name, done, total)
		}
		if opts.AfterBatch != nil {
			return opts.AfterBatch(t.name, done)
		}
		return nil
	}
	n, sum, err := checksum(ctx, src, stx, t, w.add)
	if err != nil {
		return tc, err
	}
	if err := w.finish(); err != nil {
		return tc, err
	}
	tc.Rows, tc.SourceSum, tc.TimesCut = n, sum, w.timesCut
	return tc, nil
}

// checksum reads every row of t in key order, normalising each value to its
// column's kind, and hashes the canonical rendering. When each is set it is
// given every normalised row (the slice is its own).
func checksum(ctx context.Context, db *DB, tx *sql.Tx, t copySpec, each func([]any) error) (int64, string, error) {
	rows, err := tx.QueryContext(ctx, selectAll(db, t))
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	h := sha256.New()
	raw := make([]any, len(t.columns))
	ptrs := make([]any, len(t.columns))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, "", err
		}
		row := make([]any, len(raw))
		for i, c := range t.columns {
			v, err := normalise(c.kind, raw[i])
			if err != nil {
				return n, "", fmt.Errorf("row %d, column %s: %w", n+1, c.name, err)
			}
			row[i] = v
			render(h, v)
		}
		h.Write([]byte{'\n'})
		n++
		if each != nil {
			if err := each(row); err != nil {
				return n, "", err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// normalise turns a value as either driver returns it into the one Go type
// of its kind: int64, string, time.Time (UTC), bool, []byte, float64 or nil.
func normalise(k kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case kindInt:
		switch x := v.(type) {
		case int64:
			return x, nil
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		}
	case kindText:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	case kindTime:
		var t time.Time
		if err := (timeValue{&t}).Scan(v); err != nil {
			return nil, err
		}
		return t.UTC(), nil
	case kindBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case kindBytes:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case kindFloat:
		switch x := v.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		}
	}
	return nil, fmt.Errorf("unexpected %T", v)
}

// render writes v's canonical form: a tag byte, then a length-prefixed or
// fixed-size body, so that no two different rows render the same.
func render(h hash.Hash, v any) {
	var buf [9]byte
	switch x := v.(type) {
	case nil:
		h.Write([]byte{'N'})
	case int64:
		buf[0] = 'i'
		binary.BigEndian.PutUint64(buf[1:], uint64(x))
		h.Write(buf[:])
	case float64:
		buf[0] = 'f'
		binary.BigEndian.PutUint64(buf[1:], math.Float64bits(x))
		h.Write(buf[:])
	case bool:
		if x {
			h.Write([]byte{'t'})
		} else {
			h.Write([]byte{'F'})
		}
	case time.Time:
		// Microseconds: PostgreSQL keeps no more (see batchWriter.flush).
		s := x.UTC().Format("2006-01-02T15:04:05.000000Z")
		h.Write([]byte{'d'})
		h.Write([]byte(s))
	case string:
		h.Write([]byte("s" + strconv.Itoa(len(x)) + ":"))
		h.Write([]byte(x))
	case []byte:
		h.Write([]byte("b" + strconv.Itoa(len(x)) + ":"))
		h.Write(x)
	}
}

// batchWriter gathers rows into multi-row INSERTs. Rows of a table that
// refers to itself wait until the row they refer to is written.
type batchWriter struct {
	ctx     context.Context
	db      *DB
	tx      *sql.Tx
	t       copySpec
	max     int
	rows    [][]any
	flushed func(n int) error
	// inserted holds the keys written so far, for a self-referring table;
	// waiting holds its rows whose parent row is not written yet.
	inserted map[int64]bool
	inBatch  map[int64]bool
	waiting  [][]any
	timesCut int64
}

func (w *batchWriter) add(row []any) error {
	if w.inserted != nil && !w.ready(row) {
		w.waiting = append(w.waiting, row)
		return nil
	}
	return w.push(row)
}

func (w *batchWriter) push(row []any) error {
	w.rows = append(w.rows, row)
	if w.inserted != nil {
		if w.inBatch == nil {
			w.inBatch = map[int64]bool{}
		}
		w.inBatch[w.key(row)] = true
	}
	if len(w.rows) >= w.max {
		return w.flush()
	}
	return nil
}

func (w *batchWriter) colIndex(name string) int {
	return slices.IndexFunc(w.t.columns, func(c column) bool { return c.name == name })
}

func (w *batchWriter) key(row []any) int64 {
	id, _ := row[w.colIndex(w.t.pk[0])].(int64)
	return id
}

// ready reports whether every row row refers to in its own table is
// written or in the batch being gathered (a statement's own rows satisfy its
// foreign keys).
func (w *batchWriter) ready(row []any) bool {
	for _, c := range w.t.selfRef {
		ref, ok := row[w.colIndex(c)].(int64)
		if ok && !w.inserted[ref] && !w.inBatch[ref] {
			return false
		}
	}
	return true
}

func (w *batchWriter) flush() error {
	if len(w.rows) == 0 {
		return nil
	}
	cols := make([]string, len(w.t.columns))
	for i, c := range w.t.columns {
		cols[i] = quoteIdent(c.name)
	}
	var b strings.Builder
	b.WriteString("INSERT INTO " + quoteIdent(w.t.name) + " (" + strings.Join(cols, ", ") + ")")
	if w.db.dialect == Postgres {
		b.WriteString(" OVERRIDING SYSTEM VALUE")
	}
	b.WriteString(" VALUES ")
	args := make([]any, 0, len(w.rows)*len(cols))
	for i, row := range w.rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j, v := range row {
			if j > 0 {
				b.WriteString(", ")
			}
			if w.db.dialect == Postgres {
				// TIMESTAMPTZ holds microseconds; cut here, the same way
				// the driver would, so that the copy counts what it drops.
				if t, ok := v.(time.Time); ok && t.Nanosecond()%1000 != 0 {
					v = t.Truncate(time.Microsecond)
					w.timesCut++
				}
				b.WriteString("$" + strconv.Itoa(len(args)+1))
			} else {
				b.WriteByte('?')
			}
			args = append(args, v)
		}
		b.WriteByte(')')
	}
	if _, err := w.tx.ExecContext(w.ctx, b.String(), args...); err != nil {
		return err
	}
	n := len(w.rows)
	for k := range w.inBatch {
		w.inserted[k] = true
	}
	clear(w.inBatch)
	w.rows = w.rows[:0]
	return w.flushed(n)
}

// finish writes what is gathered, then the waiting rows as their parents
// are written.
func (w *batchWriter) finish() error {
	if err := w.flush(); err != nil {
		return err
	}
	for len(w.waiting) > 0 {
		var still [][]any
		for _, row := range w.waiting {
			if w.ready(row) {
				if err := w.push(row); err != nil {
					return err
				}
			} else {
				still = append(still, row)
			}
		}
		if err := w.flush(); err != nil {
			return err
		}
		if len(still) == len(w.waiting) {
			return fmt.Errorf("%d rows refer to rows of their own table that are missing or form a cycle", len(still))
		}
		w.waiting = still
	}
	return nil
}

// resetSequences moves every sequence behind a column of the copied tables
// past the largest value copied, so that new rows get fresh ids. It uses
// ALTER SEQUENCE ... RESTART rather than setval: the former is rolled back
// with the transaction, setval is not.
func resetSequences(ctx context.Context, tx *sql.Tx, order []copySpec) error {
	for _, t := range order {
		if copyTables[t.name] == copySkip {
			continue
		}
		for _, c := range t.columns {
			if c.kind != kindInt {
				continue
			}
			var seq sql.NullString
			if err := tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, $2)`, quoteIdent(t.name), c.name).Scan(&seq); err != nil {
				return fmt.Errorf("sequence of %s.%s: %w", t.name, c.name, err)
			}
			if !seq.Valid {
				continue
			}
			var top sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT MAX(`+quoteIdent(c.name)+`) FROM `+quoteIdent(t.name)).Scan(&top); err != nil {
				return fmt.Errorf("largest %s.%s: %w", t.name, c.name, err)
			}
			if !top.Valid {
				continue
			}
			// seq is as pg_get_serial_sequence quotes it.
			if _, err := tx.ExecContext(ctx, `ALTER SEQUENCE `+seq.String+` RESTART WITH `+strconv.FormatInt(top.Int64+1, 10)); err != nil {
				return fmt.Errorf("reset sequence %s: %w", seq.String, err)
			}
		}
	}
	return nil
}
