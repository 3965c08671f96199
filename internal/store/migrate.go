package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one numbered schema change for one dialect.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// migrationLockID is the PostgreSQL advisory lock that serialises migrations
// when several Safeguard processes start against one database at once.
const migrationLockID = 0x5afe9a4d

// migrations returns the dialect's migrations in version order.
func migrations(d Dialect) ([]migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: name must start with a positive number and an underscore", name)
		}
		body, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations for %s: %s and %s share a version", d, ms[i-1].Name, ms[i].Name)
		}
	}
	return ms, nil
}

// LatestSchemaVersion is the highest schema version this binary brings.
func LatestSchemaVersion(d Dialect) int {
	ms, err := migrations(d)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// ErrSchemaTooNew means the database was migrated by a newer Safeguard.
type ErrSchemaTooNew struct {
	Have, Know int
}

func (e ErrSchemaTooNew) Error() string {
	return fmt.Sprintf("the database has schema version %d but this safeguard knows only up to %d: run a newer safeguard", e.Have, e.Know)
}

// migrate applies every pending migration in one transaction. Concurrent
// starters serialise on the SQLite write lock (BEGIN IMMEDIATE) or on a
// PostgreSQL advisory lock, and each re-reads the applied version after it
// holds the lock, so running twice, or from two processes at once, is safe.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations(db.dialect)
	if err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		if db.dialect == Postgres {
			if _, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(?)", migrationLockID); err != nil {
				return fmt.Errorf("lock for migrations: %w", err)
			}
		}
		if _, err := tx.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TEXT NOT NULL
		)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		applied, err := tx.appliedMigrations(ctx)
		if err != nil {
			return err
		}
		known := map[int]bool{}
		for _, m := range ms {
			known[m.Version] = true
		}
		for v := range applied {
			if !known[v] {
				return ErrSchemaTooNew{Have: v, Know: ms[len(ms)-1].Version}
			}
		}
		// Apply every known migration not yet recorded, in version order,
		// so that versions may have gaps.
		for _, m := range ms {
			if applied[m.Version] {
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
		return tx.sealLegacyAudit(ctx)
	})
}

func (tx *Tx) appliedMigrations(ctx context.Context) (map[int]bool, error) {
	rows, err := tx.query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out[v] = true
	}
	return out, rows.Err()
}

func (tx *Tx) schemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := tx.queryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// SchemaVersion reports the database's applied schema version and the latest
// this binary knows.
func (db *DB) SchemaVersion(ctx context.Context) (have, latest int, err error) {
	latest = LatestSchemaVersion(db.dialect)
	err = db.view(ctx, func(tx *Tx) error {
		have, err = tx.schemaVersion(ctx)
		return err
	})
	if err != nil && strings.Contains(err.Error(), "schema_migrations") {
		// No table yet: nothing applied.
		return 0, latest, nil
	}
	return have, latest, err
}

// Ready reports an error unless the database answers and every migration this
// binary knows is applied.
func (db *DB) Ready(ctx context.Context) error {
	ms, err := migrations(db.dialect)
	if err != nil {
		return err
	}
	var applied map[int]bool
	if err := db.view(ctx, func(tx *Tx) error {
		applied, err = tx.appliedMigrations(ctx)
		return err
	}); err != nil {
		return err
	}
	for _, m := range ms {
		if !applied[m.Version] {
			return fmt.Errorf("migration %s is not applied", m.Name)
		}
	}
	return nil
}
