package store

import (
	"context"
	"fmt"

	"github.com/safeguard-health/safeguard/internal/risk"
)

// LiveSnapshot reads the organisation's scale, inventory, flows, risks and
// plan as they stand, exactly as FinaliseAnalysis snapshots them, for
// comparing with the last analysis (risk.Compare). An organisation with
// more than limit risks or more than limit assets (counted in SQL first)
// is not read: ok is false, and the comparison is the analyses page's.
func (db *DB) LiveSnapshot(ctx context.Context, orgID int64, limit int) (s risk.Snapshot, ok bool, err error) {
	// The organisation's scale is stored first if it has none yet, so that
	// the snapshot reads without writing.
	if _, err := db.OrgScale(ctx, orgID); err != nil {
		return risk.Snapshot{}, false, err
	}
	err = db.view(ctx, func(tx *Tx) error {
		var risks, assets int
		if err := tx.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM risks WHERE org_id = ?), (SELECT COUNT(*) FROM assets WHERE org_id = ?)`, orgID, orgID).Scan(&risks, &assets); err != nil {
			return err
		}
		if risks > limit || assets > limit {
			return nil
		}
		var err error
		s, err = tx.snapshot(ctx, Actor{Name: "system:default rating scale"}, orgID)
		ok = err == nil
		return err
	})
	if err != nil {
		return risk.Snapshot{}, false, fmt.Errorf("live snapshot of org %d: %w", orgID, err)
	}
	return s, ok, nil
}
