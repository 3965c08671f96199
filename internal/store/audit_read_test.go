package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// auditShapes is every filter shape the audit log offers, in one
// organisation and deployment-wide.
func auditShapes() map[string]store.AuditFilter {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	shapes := map[string]store.AuditFilter{}
	for _, org := range []int64{7, 0} {
		scope := "org "
		if org == 0 {
			scope = "all "
		}
		for name, f := range map[string]store.AuditFilter{
			"actor":         {Actor: "user:3"},
			"action":        {Action: "assess.response.save"},
			"action prefix": {Action: "auth."},
			"object":        {Object: "assessment:4"},
			"from":          {From: from},
			"to":            {To: to},
			"from to":       {From: from, To: to},
			"actor cursor":  {Actor: "user:3", Before: 900},
			"prefix cursor": {Action: "auth.", Before: 900},
			"no reads":      {NoReads: true, Action: "auth."},
		} {
			f.OrgID = org
			shapes[scope+name] = f
		}
	}
	shapes["org only"] = store.AuditFilter{OrgID: 7}
	shapes["org cursor"] = store.AuditFilter{OrgID: 7, Before: 900}
	return shapes
}

// TestAuditSearchPlans checks that every filter of the audit log reads an
// index range instead of scanning the log (or an organisation's part of it),
// so that a filter matching nothing costs a probe.
func TestAuditSearchPlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		plans, err := store.AuditPlans(context.Background(), db, auditShapes())
		if err != nil {
			t.Fatal(err)
		}
		for name, plan := range plans {
			if db.Dialect() == store.Postgres {
				// The test's table is empty, so PostgreSQL's choice says
				// little; what matters is that an index serves every shape.
				if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, "audit_log_") {
					t.Errorf("plan of %s:\n%s\nwant an index of audit_log", name, plan)
				}
				continue
			}
			want := "audit_log_org "
			switch {
			case strings.Contains(name, "actor"):
				want = "_actor "
			case strings.Contains(name, "prefix"), strings.Contains(name, "action"), strings.Contains(name, "no reads"):
				want = "_action "
			case strings.Contains(name, "object"):
				want = "_object "
			case strings.Contains(name, "from"), strings.Contains(name, "to"):
				want = "_at "
			}
			if strings.HasPrefix(name, "org ") {
				want = "audit_log_org" + strings.TrimPrefix(want, "audit_log_org")
				if !strings.Contains(plan, "org_id=?") {
					t.Errorf("plan of %s:\n%s\nwant a range of one organisation", name, plan)
				}
			}
			// Every read of the table is an index range of the shape's
			// index (a prefix reads one per action it covers).
			searches := 0
			for _, line := range strings.Split(plan, "\n") {
				if strings.HasPrefix(line, "SEARCH audit_log USING INTEGER PRIMARY KEY (rowid=?)") {
					continue // the rows of the seqs found
				}
				if strings.HasPrefix(line, "SCAN audit_log") || strings.HasPrefix(line, "SEARCH audit_log") && !strings.Contains(line, want) {
					t.Errorf("plan of %s:\n%s\nwant only SEARCH audit_log USING INDEX ...%s", name, plan, want)
				}
				if strings.HasPrefix(line, "SEARCH audit_log USING INDEX ") || strings.HasPrefix(line, "SEARCH audit_log USING COVERING INDEX ") {
					searches++
				}
			}
			if searches == 0 {
				t.Errorf("plan of %s:\n%s\nwant SEARCH audit_log USING INDEX ...%s", name, plan, want)
			}
		}
	})
}

// readsOf counts the audit.read entries of org (0: all).
func readsOf(t *testing.T, db *store.DB, org int64) int {
	t.Helper()
	es, _, err := db.AuditSearch(context.Background(), store.AuditFilter{OrgID: org, Action: store.ReadAction, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func TestAuditReadCoalesced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		now := start
		db.Now = func() time.Time { return now }
		reader := store.Actor{Name: "user:9", Source: "192.0.2.9"}
		read := func(session string, org int64, object string) bool {
			t.Helper()
			ok, err := db.AuditRead(ctx, reader, session, audit.Entry{OrgID: org, Action: store.ReadAction, Object: object, Summary: "viewed"}, store.ReadWindow)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		steps := []struct {
			name    string
			advance time.Duration
			session string
			org     int64
			object  string
			want    bool
		}{
			{"first read", 0, "s1", 1, "audit:log", true},
			{"same page again", time.Minute, "s1", 1, "audit:log", false},
			{"an entry of the same log", time.Minute, "s1", 1, "audit:42", false},
			{"another organisation", 0, "s1", 2, "audit:log", true},
			{"the deployment-wide log", 0, "s1", 0, "audit:log", true},
			{"another session", 0, "s2", 1, "audit:log", true},
			{"no session", 0, "", 1, "audit:log", true},
			{"no session again", 0, "", 1, "audit:log", true},
			{"just inside the window", store.ReadWindow - 2*time.Minute - time.Second, "s1", 1, "audit:log", false},
			{"the window has passed", time.Second, "s1", 1, "audit:log", true},
		}
		want := 0
		for _, st := range steps {
			now = now.Add(st.advance)
			if got := read(st.session, st.org, st.object); got != st.want {
				t.Errorf("%s: AuditRead = %v, want %v", st.name, got, st.want)
			}
			if st.want {
				want++
			}
		}
		if got := readsOf(t, db, 0); got != want {
			t.Errorf("audit.read entries = %d, want %d", got, want)
		}
		es, _, err := db.AuditSearch(ctx, store.AuditFilter{OrgID: 1, Action: store.ReadAction})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(es[0].Summary, "within 15m0s are covered by this entry") {
			t.Errorf("summary %q does not say what it covers", es[0].Summary)
		}

		// Concurrent readers of one session: one entry per window.
		now = now.Add(time.Hour)
		before := readsOf(t, db, 3)
		var wg sync.WaitGroup
		var recorded atomic.Int32
		errs := make(chan error, 32)
		for range 32 {
			wg.Go(func() {
				ok, err := db.AuditRead(ctx, reader, "s3", audit.Entry{OrgID: 3, Action: store.ReadAction, Object: "audit:log"}, store.ReadWindow)
				if err != nil {
					errs <- err
				}
				if ok {
					recorded.Add(1)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got := readsOf(t, db, 3) - before; got != 1 || recorded.Load() != 1 {
			t.Errorf("32 concurrent reads of one session wrote %d entries (%d reported), want 1", got, recorded.Load())
		}
	})
}

// TestAuditFilterReadsAndPrefix checks the filters that are ranges or
// exclusions: a prefix matches its actions and nothing else (its characters
// are not patterns), and NoReads leaves the log's reading of itself out.
func TestAuditFilterReadsAndPrefix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, a := range []string{"auth.login", "auth.logout", "authz.grant", "auth", "audit.read", "a%.x", "ab.x", "auth.mfa.enrol"} {
			if err := db.AppendAudit(ctx, cli, audit.Entry{OrgID: 5, Action: a, Object: "x:1"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			f    store.AuditFilter
			want string
		}{
			{store.AuditFilter{OrgID: 5, Action: "auth."}, "auth.mfa.enrol auth.logout auth.login"},
			{store.AuditFilter{Action: "auth."}, "auth.mfa.enrol auth.logout auth.login"},
			{store.AuditFilter{OrgID: 5, Action: "a%."}, "a%.x"},
			{store.AuditFilter{OrgID: 5, Action: "auth.mfa."}, "auth.mfa.enrol"},
			{store.AuditFilter{OrgID: 5, NoReads: true}, "auth.mfa.enrol ab.x a%.x auth authz.grant auth.logout auth.login"},
			{store.AuditFilter{OrgID: 5, Action: "audit.", NoReads: true}, ""},
			{store.AuditFilter{OrgID: 5, Action: "audit."}, "audit.read"},
		} {
			es, _, err := db.AuditSearch(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Action)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("AuditSearch(%+v) = %q, want %q", tt.f, strings.Join(got, " "), tt.want)
			}
		}

		// More distinct actions under a prefix than it expands into: the
		// prefix is then one range, with the same answer.
		for i := range 70 {
			if err := db.AppendAudit(ctx, cli, audit.Entry{OrgID: 5, Action: fmt.Sprintf("bulk.a%02d", i%67), Object: "x:2"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, limit := range []int{5, 100} {
			es, more, err := db.AuditSearch(ctx, store.AuditFilter{OrgID: 5, Action: "bulk.", Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			want := min(limit, 70)
			if len(es) != want || more != (limit < 70) || es[0].Action != "bulk.a02" || es[len(es)-1].Action != fmt.Sprintf("bulk.a%02d", (70-want)%67) {
				t.Errorf("AuditSearch(bulk., limit %d) = %d entries from %s to %s (more %v), want %d, newest first", limit, len(es), es[0].Action, es[len(es)-1].Action, more, want)
			}
		}
	})
}
