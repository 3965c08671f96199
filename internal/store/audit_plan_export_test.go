package store

import (
	"context"
	"strings"
)

// AuditPlans returns the plan of AuditSearch's query for each filter, by
// name, as ListPlans does. A prefix filter is planned as expanded into two
// actions.
func AuditPlans(ctx context.Context, db *DB, filters map[string]AuditFilter) (map[string]string, error) {
	queries := map[string]func() (string, []any){}
	for name, f := range filters {
		var actions []string
		if strings.HasSuffix(f.Action, ".") {
			actions = []string{"auth.login", "auth.logout"}
		}
		queries[name] = func() (string, []any) { return auditSearchSQL(f, 100, actions, nil) }
	}
	return explainPlans(ctx, db, queries)
}

// AuditSearchAtIndexForTest runs AuditSearch's query as it reads a date
// range from the at index, whatever walkDateRange would choose.
func AuditSearchAtIndexForTest(ctx context.Context, db *DB, f AuditFilter) ([]int64, error) {
	var seqs []int64
	err := db.view(ctx, func(tx *Tx) error {
		q, args := auditSearchSQL(f, f.Limit, nil, nil)
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e struct {
				seq                                             int64
				at                                              string
				org                                             int64
				actor, action, object, source, request, summary string
			}
			if err := rows.Scan(&e.seq, &e.at, &e.org, &e.actor, &e.action, &e.object, &e.source, &e.request, &e.summary); err != nil {
				return err
			}
			seqs = append(seqs, e.seq)
		}
		return rows.Err()
	})
	return seqs, err
}

// WalksDateRangeForTest reports whether AuditSearch walks the log for f.
func WalksDateRangeForTest(ctx context.Context, db *DB, f AuditFilter) (bool, error) {
	var walk *dateWalk
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		walk, err = tx.walkDateRange(ctx, f, f.Limit)
		return err
	})
	return walk != nil, err
}
