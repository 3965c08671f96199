package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// WrappedKey is a data key as stored: wrapped under the key-encryption key
// named by KEKID. The plain key never reaches the database.
type WrappedKey struct {
	ID      int64
	KEKID   string
	Wrapped []byte
	Purpose string
}

// CreateDataKey stores a wrapped data key and returns its ID.
func (db *DB) CreateDataKey(ctx context.Context, actor Actor, k WrappedKey) (int64, error) {
	var id int64
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.createDataKey(ctx, actor, k)
		return err
	})
	return id, err
}

func (tx *Tx) createDataKey(ctx context.Context, actor Actor, k WrappedKey) (int64, error) {
	if k.KEKID == "" || len(k.Wrapped) == 0 || k.Purpose == "" {
		return 0, errors.New("create data key: KEK ID, wrapped key and purpose are required")
	}
	id, err := tx.insert(ctx, `INSERT INTO data_keys (kek_id, wrapped, purpose, created_at) VALUES (?, ?, ?, ?)`,
		k.KEKID, k.Wrapped, k.Purpose, tx.now)
	if err != nil {
		return 0, fmt.Errorf("create data key: %w", err)
	}
	err = tx.appendAudit(ctx, actor, audit.Entry{Action: "datakey.create", Object: fmt.Sprintf("datakey:%d", id),
		Summary: fmt.Sprintf("new data key for %s under KEK %s", k.Purpose, k.KEKID)})
	return id, err
}

// DataKey returns the wrapped data key with the given ID, or ErrNotFound.
func (db *DB) DataKey(ctx context.Context, id int64) (WrappedKey, error) {
	k := WrappedKey{ID: id}
	err := db.view(ctx, func(tx *Tx) error {
		err := tx.queryRow(ctx, `SELECT kek_id, wrapped, purpose FROM data_keys WHERE id = ?`, id).
			Scan(&k.KEKID, &k.Wrapped, &k.Purpose)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return WrappedKey{}, fmt.Errorf("data key %d: %w", id, err)
	}
	return k, nil
}

// DataKeyCounts returns how many data keys are wrapped under each KEK.
func (db *DB) DataKeyCounts(ctx context.Context) (map[string]int, error) {
	counts := map[string]int{}
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT kek_id, COUNT(*) FROM data_keys GROUP BY kek_id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			counts[id] = n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("count data keys: %w", err)
	}
	return counts, nil
}

// Rewrapper re-wraps one data key under the current primary KEK.
type Rewrapper func(kekID string, wrapped []byte) (newKEKID string, newWrapped []byte, err error)

// RewrapDataKeys re-wraps, in one transaction, every data key not already
// under primaryKEK, and returns how many it changed. The data encrypted under
// those keys is untouched: only their wrapping changes. If any key fails,
// nothing changes.
func (db *DB) RewrapDataKeys(ctx context.Context, actor Actor, primaryKEK string, rewrap Rewrapper) (int, error) {
	var n int
	err := db.update(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT id, kek_id, wrapped FROM data_keys WHERE kek_id <> ? ORDER BY id`, primaryKEK)
		if err != nil {
			return err
		}
		var keys []WrappedKey
		for rows.Next() {
			var k WrappedKey
			if err := rows.Scan(&k.ID, &k.KEKID, &k.Wrapped); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, k := range keys {
			newID, newWrapped, err := rewrap(k.KEKID, k.Wrapped)
			if err != nil {
				return fmt.Errorf("data key %d: %w", k.ID, err)
			}
			if newID != primaryKEK {
				return fmt.Errorf("data key %d: re-wrapped under %s, want %s", k.ID, newID, primaryKEK)
			}
			if _, err := tx.exec(ctx, `UPDATE data_keys SET kek_id = ?, wrapped = ?, rewrapped_at = ? WHERE id = ?`,
				newID, newWrapped, tx.now, k.ID); err != nil {
				return err
			}
		}
		n = len(keys)
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "keys.rotate", Object: "kek:" + primaryKEK,
			Summary: fmt.Sprintf("re-wrapped %d data keys under KEK %s", n, primaryKEK)})
	})
	if err != nil {
		return 0, fmt.Errorf("re-wrap data keys: %w", err)
	}
	return n, nil
}
