package store

import (
	"context"
	"errors"
	"strings"
)

// ListPlans returns the database's plan for each keyset list query, by name.
// On PostgreSQL sequential scans are switched off for the EXPLAIN, so the
// plan shows whether an index can serve the query at all rather than what
// the planner picks for a test's handful of rows.
func ListPlans(ctx context.Context, db *DB) (map[string]string, error) {
	after := Key{Sort: "m", ID: 7}
	queries := map[string]func() (string, []any){
		"orgs": func() (string, []any) { return orgPageSQL(OrgQuery{UserID: 1}, after, 50) },
		"member orgs": func() (string, []any) {
			return orgPageSQL(OrgQuery{UserID: 1, MemberOnly: true}, after, 50)
		},
		"users":   func() (string, []any) { return userPageSQL, []any{after.Sort, 51} },
		"members": func() (string, []any) { return memberPageSQL, []any{1, after.Sort, 51} },
		"tokens":  func() (string, []any) { return tokenPageSQL(1, after, 50) },
		"assessments": func() (string, []any) {
			q, args, _ := assessmentPageSQL(1, Key{Sort: "2026-03-01T10:00:00Z", ID: 7}, 50)
			return q, args
		},
		"response versions": func() (string, []any) { return responseVersionPageSQL(1, "164.308(a)(1)", after, 50) },
		"evidence":          func() (string, []any) { return evidencePageSQL(1, after, 50) },
		"evidence uses":     func() (string, []any) { return evidenceUsePageSQL(1, 2, after, 50) },
	}
	return explainPlans(ctx, db, queries)
}

// explainPlans returns the plan of each query, as ListPlans describes.
func explainPlans(ctx context.Context, db *DB, queries map[string]func() (string, []any)) (map[string]string, error) {
	plans := map[string]string{}
	err := db.view(ctx, func(tx *Tx) error {
		explain := "EXPLAIN QUERY PLAN "
		if db.dialect == Postgres {
			explain = "EXPLAIN "
			if _, err := tx.exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
				return err
			}
		}
		for name, q := range queries {
			query, args := q()
			rows, err := tx.query(ctx, explain+query, args...)
			if err != nil {
				return err
			}
			cols, _ := rows.Columns()
			var lines []string
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					rows.Close()
					return err
				}
				// SQLite's plan detail is the last column, PostgreSQL's
				// plan its only one.
				switch v := vals[len(vals)-1].(type) {
				case string:
					lines = append(lines, v)
				case []byte:
					lines = append(lines, string(v))
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			plans[name] = strings.Join(lines, "\n")
		}
		return nil
	})
	return plans, err
}

// EvidenceLinkBackfill is the statement of migration 17 that fills
// assess_response_evidence from the responses' evidence_ids, as the dialect
// of db has it.
func EvidenceLinkBackfill(db *DB) (string, error) {
	ms, err := migrations(db.dialect)
	if err != nil {
		return "", err
	}
	for _, m := range ms {
		if m.Version == 17 {
			_, stmt, ok := strings.Cut(m.SQL, "\nINSERT INTO assess_response_evidence")
			if ok {
				return "INSERT INTO assess_response_evidence" + stmt, nil
			}
		}
	}
	return "", errors.New("no backfill in migration 17")
}
