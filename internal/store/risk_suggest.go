package store

import (
	"context"
	"fmt"
)

// SuggestionKeys returns the keys of the suggestions the organisation's
// risks were made from, so that they are not suggested again.
func (db *DB) SuggestionKeys(ctx context.Context, orgID int64) ([]string, error) {
	var out []string
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, func(s scanner) (string, error) {
			var k string
			err := s.Scan(&k)
			return k, err
		}, `SELECT suggestion FROM risks WHERE org_id = ? AND suggestion <> '' ORDER BY suggestion`, orgID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("suggestion keys of org %d: %w", orgID, err)
	}
	return out, nil
}
