package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// Setting returns a deployment-wide setting, or ErrNotFound.
func (db *DB) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		v, err = tx.setting(ctx, name)
		return err
	})
	return v, err
}

func (tx *Tx) setting(ctx context.Context, name string) (string, error) {
	var v string
	err := tx.queryRow(ctx, `SELECT value FROM instance_settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("setting %q: %w", name, ErrNotFound)
	} else if err != nil {
		return "", fmt.Errorf("setting %q: %w", name, err)
	}
	return v, nil
}

// SetSetting stores a deployment-wide setting and audits the change.
func (db *DB) SetSetting(ctx context.Context, actor Actor, name, value string) error {
	return db.update(ctx, func(tx *Tx) error {
		return tx.setSetting(ctx, actor, name, value)
	})
}

func (tx *Tx) setSetting(ctx context.Context, actor Actor, name, value string) error {
	_, err := tx.exec(ctx, `INSERT INTO instance_settings (name, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		name, value, tx.now)
	if err != nil {
		return fmt.Errorf("set setting %q: %w", name, err)
	}
	return tx.appendAudit(ctx, actor, audit.Entry{Action: "setting.set", Object: "setting:" + name,
		Summary: fmt.Sprintf("set %s", name)})
}
