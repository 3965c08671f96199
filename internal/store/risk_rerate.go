package store

import (
	"context"
	"fmt"

	"github.com/safeguard-health/safeguard/internal/risk"
)

// RisksToRerate returns up to limit of the organisation's risks that are
// not closed and still rated on a scale other than scaleID (its current
// one), oldest first, and how many there are in all (counted in SQL), for
// the bulk re-rating page.
func (db *DB) RisksToRerate(ctx context.Context, orgID, scaleID int64, limit int) ([]risk.Risk, int, error) {
	limit = Page{Limit: limit}.size()
	var out []risk.Risk
	total := 0
	err := db.view(ctx, func(tx *Tx) error {
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM risks WHERE org_id = ? AND scale_id <> ? AND status <> 'closed'`, orgID, scaleID).Scan(&total); err != nil {
			return err
		}
		var err error
		if out, err = queryAll(ctx, tx, scanRisk, `SELECT `+riskColumns+` FROM risks
			WHERE org_id = ? AND scale_id <> ? AND status <> 'closed' ORDER BY id LIMIT ?`, orgID, scaleID, limit); err != nil {
			return err
		}
		return tx.riskAssets(ctx, out)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("risks to re-rate: %w", err)
	}
	return out, total, nil
}
