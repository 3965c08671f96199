package store

import "context"

// ExecForTest runs a statement outside the store's methods, as an attacker or a
// test with direct database access would.
func ExecForTest(ctx context.Context, db *DB, query string) error {
	_, err := db.write.ExecContext(ctx, query)
	return err
}

// Constraint violations, recognised by the drivers' error codes.
var (
	IsUniqueViolation     = isUniqueViolation
	IsForeignKeyViolation = isForeignKeyViolation
)

// NotifyForTest stores a notification as the store's own changes do.
func NotifyForTest(ctx context.Context, db *DB, n Notification) error {
	return db.update(ctx, func(tx *Tx) error { return tx.notify(ctx, n) })
}

// NotifyTwiceForTest stores two notifications in one update and calls
// between them, once the update's transaction is under way.
func NotifyTwiceForTest(ctx context.Context, db *DB, n Notification, between func()) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.notify(ctx, n); err != nil {
			return err
		}
		between()
		return tx.notify(ctx, n)
	})
}
