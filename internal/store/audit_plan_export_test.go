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
		queries[name] = func() (string, []any) { return auditSearchSQL(f, 100, actions) }
	}
	return explainPlans(ctx, db, queries)
}
