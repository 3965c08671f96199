package store

import "context"

// AuditPlans returns the plan of AuditSearch's query for each filter, by
// name, as ListPlans does.
func AuditPlans(ctx context.Context, db *DB, filters map[string]AuditFilter) (map[string]string, error) {
	queries := map[string]func() (string, []any){}
	for name, f := range filters {
		queries[name] = func() (string, []any) { return auditSearchSQL(f, 100) }
	}
	return explainPlans(ctx, db, queries)
}
