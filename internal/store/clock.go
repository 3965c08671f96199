package store

import (
	"context"
	"fmt"
	"time"
)

// ServerTime returns the database server's clock. Replicas and the
// database stamp times that are compared with each other (sessions, audit
// entries, checkpoints), so an operator checks that the clocks agree. For
// SQLite the database is this process, and ServerTime is the local clock.
func (db *DB) ServerTime(ctx context.Context) (time.Time, error) {
	if db.dialect != Postgres {
		return time.Now(), nil
	}
	var t time.Time
	err := db.view(ctx, func(tx *Tx) error {
		// clock_timestamp, not now(): the time of the call, not of BEGIN.
		return tx.queryRow(ctx, "SELECT clock_timestamp()").Scan(&t)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("read the database clock: %w", err)
	}
	return t, nil
}
