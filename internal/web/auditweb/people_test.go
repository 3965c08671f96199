package auditweb

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestAuditFilterByEmail: the log shows people by name and email, and its
// filter takes the email it shows. In an organisation's log an email finds
// its members and those who acted in it, never a person of another
// organisation (the answer is then the same as for an unknown address); the
// deployment-wide log finds anyone.
func TestAuditFilterByEmail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newServer(t, db, web.Config{})
		a, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		b, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "harbor", Name: "Harbor", Kind: identity.KindBusinessAssociate})
		webtest.CreateUser(t, db, "auditor@example.org", false, a.ID, identity.RoleAuditor)
		webtest.CreateUser(t, db, "sam@example.org", false, a.ID, identity.RoleSecurityOfficer)
		webtest.CreateUser(t, db, "harbor@example.org", false, b.ID, identity.RoleOwner)
		webtest.CreateUser(t, db, "root@example.org", true, 0, "")
		sam, _ := db.UserByEmail(ctx, "sam@example.org")
		harbor, _ := db.UserByEmail(ctx, "harbor@example.org")
		samActor := store.Actor{Name: fmt.Sprintf("user:%d", sam.ID)}
		for range 3 {
			if err := db.SetOrgSecurity(ctx, samActor, a.ID, store.OrgSecurity{RequireMFA: true}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetOrgSecurity(ctx, store.Actor{Name: fmt.Sprintf("user:%d", harbor.ID)}, b.ID, store.OrgSecurity{RequireMFA: true}); err != nil {
			t.Fatal(err)
		}
		auditor := webtest.LoginFull(t, s, db, "auditor@example.org", webtest.Password)
		rows := func(c *webtest.Client, path string) string {
			t.Helper()
			w := c.Get(t, path)
			if w.Code != 200 {
				t.Fatalf("GET %s = %d", path, w.Code)
			}
			body := w.Body.String()
			if i := strings.Index(body, "<tbody>"); i >= 0 {
				return body[i:]
			}
			return ""
		}

		// The page names Sam, and its filter offers the members' emails.
		page := auditor.Get(t, "/orgs/riverside/audit").Body.String()
		if !strings.Contains(page, "Test sam@example.org (sam@example.org)") || strings.Contains(page, fmt.Sprintf("user:%d", sam.ID)) {
			t.Errorf("audit page does not name Sam, or shows the user ID")
		}
		if !strings.Contains(page, `<option value="sam@example.org">`) {
			t.Errorf("the actor filter does not offer the members' emails")
		}
		// Sam's email, in any capitals, finds Sam's three changes.
		got := rows(auditor, "/orgs/riverside/audit?actor="+url.QueryEscape(" Sam@Example.org "))
		if n := strings.Count(got, "Security settings changed"); n != 3 {
			t.Errorf("actor=Sam's email: %d of Sam's changes, want 3", n)
		}
		if strings.Contains(got, "Signed in") {
			t.Errorf("actor=Sam's email shows someone else's entries")
		}
		// Another organisation's person is not found in riverside's log:
		// the answer is the one an unknown address gets.
		for _, email := range []string{"harbor@example.org", "nobody@example.org"} {
			if got := rows(auditor, "/orgs/riverside/audit?actor="+url.QueryEscape(email)); got != "" {
				t.Errorf("riverside's log filtered by %s lists entries", email)
			}
		}
		// The deployment-wide log finds anyone.
		root := webtest.LoginFull(t, s, db, "root@example.org", webtest.Password)
		if got := rows(root, "/admin/audit?actor=harbor%40example.org"); strings.Count(got, "Security settings changed") != 1 {
			t.Errorf("admin log filtered by harbor's email = %s, want harbor's one change", got)
		}
		// The object filter takes an email too: Sam's account.
		if got := rows(root, "/admin/audit?object=sam%40example.org"); !strings.Contains(got, "Account created") {
			t.Errorf("admin log filtered by the object sam@example.org does not list the account's creation")
		}
		// The API keeps the recorded actor.
		w := auditor.Do(t, "GET", "/api/v1/orgs/riverside/audit?actor=sam%40example.org", "application/json", nil)
		if w.Code != 200 || !strings.Contains(w.Body.String(), fmt.Sprintf(`"actor":"user:%d"`, sam.ID)) {
			t.Errorf("API filtered by email = %d %s, want Sam's entries as recorded", w.Code, w.Body)
		}
	})
}
