package auditweb

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// newServer is a server with the audit log capability.
func newServer(t *testing.T, db *store.DB, cfg web.Config) *web.Server {
	t.Helper()
	cfg.Capabilities = append(cfg.Capabilities, New())
	return webtest.NewServer(t, db, cfg)
}

func TestAuditLogPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newServer(t, db, web.Config{})
		a, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		b, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "harbor", Name: "Harbor", Kind: identity.KindBusinessAssociate})
		webtest.CreateUser(t, db, "auditor@example.org", false, a.ID, identity.RoleAuditor)
		webtest.CreateUser(t, db, "viewer@example.org", false, a.ID, identity.RoleViewer)
		webtest.CreateUser(t, db, "harbor@example.org", false, b.ID, identity.RoleContributor)
		for i := 0; i < 7; i++ {
			if err := db.SetOrgSecurity(ctx, store.Actor{Name: "test"}, a.ID, store.OrgSecurity{RequireMFA: i%2 == 0}); err != nil {
				t.Fatal(err)
			}
		}
		auditor := webtest.LoginFull(t, s, db, "auditor@example.org", webtest.Password)
		// Paging walks every entry of the organisation once, newest first.
		var seen []int64
		path := "/api/v1/orgs/riverside/audit?limit=3"
		for path != "" {
			w := auditor.Do(t, "GET", path, "application/json", nil)
			var page web.List[auditEntryJSON]
			if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || w.Code != 200 {
				t.Fatalf("GET %s = %d %s", path, w.Code, w.Body)
			}
			for _, e := range page.Items {
				if e.OrgID != a.ID {
					t.Errorf("entry %d of org %d in riverside's log", e.Seq, e.OrgID)
				}
				if len(seen) > 0 && e.Seq >= seen[len(seen)-1] {
					t.Errorf("entry %d after %d: not newest first", e.Seq, seen[len(seen)-1])
				}
				seen = append(seen, e.Seq)
			}
			path = ""
			if page.NextCursor != nil {
				path = "/api/v1/orgs/riverside/audit?limit=3&cursor=" + *page.NextCursor
			}
		}
		if len(seen) < 10 {
			t.Errorf("walked %d entries, want at least the 10 riverside changes", len(seen))
		}
		// Filters.
		w := auditor.Do(t, "GET", "/api/v1/orgs/riverside/audit?action=org.", "application/json", nil)
		var page web.List[auditEntryJSON]
		json.Unmarshal(w.Body.Bytes(), &page)
		for _, e := range page.Items {
			if !strings.HasPrefix(e.Action, "org.") {
				t.Errorf("action filter org. returned %s", e.Action)
			}
		}
		if len(page.Items) != 8 {
			t.Errorf("org.* entries = %d, want 8 (create and 7 security changes)", len(page.Items))
		}
		for _, bad := range []string{"from=yesterday", "limit=0", "cursor=abc", "from=2026-11-22&to=2026-11-01"} {
			if w := auditor.Do(t, "GET", "/api/v1/orgs/riverside/audit?"+bad, "application/json", nil); w.Code != 422 {
				t.Errorf("GET audit?%s = %d, want 422", bad, w.Code)
			}
		}
		// The page and one entry's detail.
		w = auditor.Get(t, "/orgs/riverside/audit?action=org.create")
		if w.Code != 200 || !strings.Contains(w.Body.String(), "org.create") {
			t.Errorf("audit page = %d", w.Code)
		}
		w = auditor.Get(t, fmt.Sprintf("/orgs/riverside/audit/%d", seen[len(seen)-1]))
		if w.Code != 200 || !strings.Contains(w.Body.String(), "Audit entry") {
			t.Errorf("audit entry page = %d", w.Code)
		}
		// Another organisation's entry is not found through this one.
		hb, _, _ := db.AuditSearch(ctx, store.AuditFilter{OrgID: b.ID, Limit: 1})
		if w := auditor.Get(t, fmt.Sprintf("/orgs/riverside/audit/%d", hb[0].Seq)); w.Code != 404 {
			t.Errorf("harbor's entry through riverside = %d, want 404", w.Code)
		}
		// A viewer and another organisation's member may not read it.
		if w := webtest.LoginFull(t, s, db, "viewer@example.org", webtest.Password).Get(t, "/orgs/riverside/audit"); w.Code != 403 {
			t.Errorf("viewer on the audit log = %d, want 403", w.Code)
		}
		if w := webtest.Login(t, s, "harbor@example.org", webtest.Password).Do(t, "GET", "/api/v1/orgs/riverside/audit", "application/json", nil); w.Code != 404 {
			t.Errorf("another org's member on the audit log = %d, want 404", w.Code)
		}
		// Reading the log is recorded, once per session and window: the
		// auditor's many reads above are one entry; another session of the
		// same person gets its own.
		reads, _, _ := db.AuditSearch(ctx, store.AuditFilter{OrgID: a.ID, Action: "audit.read"})
		if len(reads) != 1 || !strings.Contains(reads[0].Summary, "covered by this entry") {
			t.Errorf("audit.read entries after one session's reads = %+v, want one that says it covers the session's further reads", reads)
		}
		again := webtest.LoginFull(t, s, db, "auditor@example.org", webtest.Password)
		if w := again.Get(t, "/orgs/riverside/audit"); w.Code != 200 {
			t.Fatalf("audit page in a second session = %d", w.Code)
		}
		if reads, _, _ = db.AuditSearch(ctx, store.AuditFilter{OrgID: a.ID, Action: "audit.read"}); len(reads) != 2 {
			t.Errorf("audit.read entries after a second session's read = %d, want 2", len(reads))
		}
		// The page can leave the reads out, and says so in its form.
		w = again.Get(t, "/orgs/riverside/audit?reads=hide")
		if w.Code != 200 || strings.Contains(w.Body.String(), ">Audit log read<") || !strings.Contains(w.Body.String(), `value="hide" checked`) {
			t.Errorf("audit page with reads=hide = %d, shows the reads or forgets the choice", w.Code)
		}
		if w := again.Get(t, "/orgs/riverside/audit"); !strings.Contains(w.Body.String(), ">Audit log read<") {
			t.Errorf("audit page without the filter does not show the reads")
		}
		if w := again.Do(t, "GET", "/api/v1/orgs/riverside/audit?reads=all", "application/json", nil); w.Code != 422 {
			t.Errorf("audit API with reads=all = %d, want 422", w.Code)
		}
	})
}

// TestTemplatesRenderZeroValues renders the audit log's page with its zero
// value.
func TestTemplatesRenderZeroValues(t *testing.T) {
	t.Parallel()
	s := newServer(t, storetest.SQLite(t), web.Config{})
	webtest.RenderZeroValues(t, s, New().Templates(), map[string]web.PageData{"audit": &auditView{}})
}
