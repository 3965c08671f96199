package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestListQueriesUseIndexes checks the plan of every keyset list query: each
// table is read through an index, and the lists whose order an index holds
// (organisations, users, a user's tokens, an organisation's assessments and
// evidence, the versions of one response) read a page in that order with no
// sort. The lists of one organisation's members and of one user's
// organisations sort only the rows of that organisation or that user, and
// PostgreSQL may sort the responses that link one piece of evidence.
func TestListQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		plans, err := store.ListPlans(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		type want struct {
			uses   []string // index names (or SQLite's words for the primary key) the plan names
			sorted bool     // the index holds the order: no sort step
		}
		sqlite := map[string]want{
			"orgs":              {[]string{"SEARCH o USING INDEX orgs_name", "SEARCH m USING INDEX sqlite_autoindex_memberships_1"}, true},
			"member orgs":       {[]string{"SEARCH m USING INDEX memberships_user", "SEARCH o USING INTEGER PRIMARY KEY"}, false},
			"users":             {[]string{"SEARCH users USING INDEX sqlite_autoindex_users_1 (email>?)"}, true},
			"members":           {[]string{"SEARCH m USING INDEX sqlite_autoindex_memberships_1 (org_id=?)", "SEARCH u USING INTEGER PRIMARY KEY"}, false},
			"tokens":            {[]string{"SEARCH t USING INDEX api_tokens_user_id (user_id=? AND id<?)"}, true},
			"assessments":       {[]string{"SEARCH assessments USING INDEX assessments_org_started (org_id=? AND started_at<?)"}, true},
			"response versions": {[]string{"SEARCH assess_response_versions USING INDEX sqlite_autoindex_assess_response_versions_1 (assessment_id=? AND citation=? AND version>?)"}, true},
			"evidence":          {[]string{"SEARCH evidence USING INDEX evidence_org (org_id=? AND id<?)"}, true},
		}
		postgres := map[string]want{
			"orgs":              {[]string{"Index Scan using orgs_name on orgs", "memberships_user"}, true},
			"member orgs":       {[]string{"memberships_user", "orgs_"}, false},
			"users":             {[]string{"Index Scan using users_email_key on users"}, true},
			"members":           {[]string{"memberships_pkey", "users_"}, false},
			"tokens":            {[]string{"Index Scan Backward using api_tokens_user_id on api_tokens"}, true},
			"assessments":       {[]string{"Index Scan Backward using assessments_org_started on assessments"}, true},
			"response versions": {[]string{"Index Scan using assess_response_versions_assessment_id_citation_version_key on assess_response_versions"}, true},
			"evidence":          {[]string{"Index Scan Backward using evidence_org on evidence"}, true},
		}
		wants, sortWord, fullScan := sqlite, "TEMP B-TREE", "SCAN "
		if db.Dialect() == store.Postgres {
			wants, sortWord, fullScan = postgres, "Sort", "Seq Scan"
		}
		for name, w := range wants {
			plan, ok := plans[name]
			if !ok {
				t.Errorf("no plan for %s", name)
				continue
			}
			for _, u := range w.uses {
				if !strings.Contains(plan, u) {
					t.Errorf("plan of %s lacks %q:\n%s", name, u, plan)
				}
			}
			if strings.Contains(plan, fullScan) {
				t.Errorf("plan of %s reads a whole table:\n%s", name, plan)
			}
			if w.sorted && strings.Contains(plan, sortWord) {
				t.Errorf("plan of %s sorts instead of reading an index in order:\n%s", name, plan)
			}
		}
	})
}

func TestCollect(t *testing.T) {
	pages := [][]int{{1, 2}, {3, 4}, {5}}
	list := func(p store.Page) ([]int, *store.Key, error) {
		i := int(p.After.ID)
		if i+1 < len(pages) {
			return pages[i], &store.Key{ID: int64(i + 1)}, nil
		}
		return pages[i], nil, nil
	}
	if got, complete, err := store.Collect(list, 0); err != nil || !complete || len(got) != 5 {
		t.Errorf("Collect(all) = %v, %v, %v", got, complete, err)
	}
	if got, complete, err := store.Collect(list, 3); err != nil || complete || len(got) != 4 {
		t.Errorf("Collect(max 3) = %v, %v, %v; want the first two pages, incomplete", got, complete, err)
	}
}
