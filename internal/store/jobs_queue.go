package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// The scheduled jobs run on River (github.com/riverqueue/river), whose
// tables live beside Safeguard's in the same database. River speaks SQL to
// them itself, through the driver JobQueue hands out: on SQLite over the
// store's one writer connection, so its statements queue with every other
// write instead of fighting over the file lock; on PostgreSQL over a small
// pool of its own, so that polling stuck on a server that stopped
// answering cannot hold the connections requests need.

// JobQueue returns River's driver for this database. Call PrepareJobQueue
// once before a client uses it.
func (db *DB) JobQueue() riverdriver.Driver[*sql.Tx] {
	if db.dialect == SQLite {
		return riversqlite.New(db.write)
	}
	return riverdatabasesql.New(db.queue)
}

// PrepareJobQueue creates or upgrades River's tables. River applies each
// of its migrations in a transaction of its own (one adds an enum value the
// next uses), so PostgreSQL replicas starting together may collide: the
// loser tries again, and then finds the work done.
func (db *DB) PrepareJobQueue(ctx context.Context) error {
	var m *rivermigrate.Migrator[*sql.Tx]
	var err error
	if db.dialect == SQLite {
		m, err = rivermigrate.New(riversqlite.New(db.write), nil)
	} else {
		m, err = rivermigrate.New(riverdatabasesql.New(db.queue), nil)
	}
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	for attempt := 1; ; attempt++ {
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err == nil || attempt == 3 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}
