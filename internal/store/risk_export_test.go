package store

import "context"

// AddAssetForTest adds a bare asset to orgID's inventory, for tests of the
// register that need assets before the inventory's own store methods.
func AddAssetForTest(ctx context.Context, db *DB, orgID int64, name string) (int64, error) {
	var id int64
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.insert(ctx, `INSERT INTO assets (org_id, name, kind, class, created_at, created_by, updated_at, updated_by)
			VALUES (?, ?, 'laptop', 'device', ?, 'test', ?, 'test')`, orgID, name, tx.now, tx.now)
		return err
	})
	return id, err
}

// AddThreatForTest adds an organisation's own threat and returns its key.
func AddThreatForTest(ctx context.Context, db *DB, orgID int64, title string) (int64, error) {
	var id int64
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.insert(ctx, `INSERT INTO risk_threats (org_id, source, title, created_at, created_by) VALUES (?, 'technical', ?, ?, 'test')`, orgID, title, tx.now)
		return err
	})
	return id, err
}
