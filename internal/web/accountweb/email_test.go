package accountweb_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/accountweb"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestEmailPrefs reads the defaults, changes them through the API and the
// account page's form, and refuses an unknown frequency.
func TestEmailPrefs(t *testing.T) {
	db := storetest.SQLite(t)
	h := accountweb.New()
	s := webtest.NewServer(t, db, web.Config{Capabilities: []web.Capability{h}})
	o, err := db.CreateOrg(context.Background(), store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
	if err != nil {
		t.Fatal(err)
	}
	pw := webtest.CreateUser(t, db, "priya@example.org", false, o.ID, identity.RoleContributor)
	c := webtest.LoginFull(t, s, db, "priya@example.org", pw)
	type prefs struct {
		Digests []struct{ Kind, Frequency string } `json:"digests"`
	}
	get := func() map[string]string {
		var p prefs
		webtest.DecodeJSON200(t, c, "/api/v1/account/email", &p)
		out := map[string]string{}
		for _, d := range p.Digests {
			out[d.Kind] = d.Frequency
		}
		return out
	}
	if got := get(); got["task_overdue"] != "weekly" || got["emergency_unreviewed"] != "daily" || got["task_due_soon"] != "never" || len(got) != 6 {
		t.Errorf("defaults = %v, want overdue tasks weekly, emergency access daily, the rest never", got)
	}
	w := webtest.SendJSON(t, c, "PUT", "/api/v1/account/email", `{"digests":[{"kind":"task_due_soon","frequency":"daily"}]}`)
	if w.Code != http.StatusOK {
		t.Fatalf("PUT = %d %s", w.Code, w.Body)
	}
	if got := get(); got["task_due_soon"] != "daily" || got["task_overdue"] != "weekly" {
		t.Errorf("after PUT = %v, want task_due_soon daily and the rest kept", got)
	}
	w = webtest.SendJSON(t, c, "PUT", "/api/v1/account/email", `{"digests":[{"kind":"task_due_soon","frequency":"hourly"}]}`)
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("PUT hourly = %d %s, want 422", w.Code, w.Body)
	}
	w = webtest.PostForm(t, c, "/account/email", url.Values{"task_overdue": {"never"}, "acceptance_expiring": {"weekly"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("POST /account/email = %d %s", w.Code, w.Body)
	}
	if got := get(); got["task_overdue"] != "never" || got["acceptance_expiring"] != "weekly" || got["task_due_soon"] != "daily" {
		t.Errorf("after the form = %v", got)
	}
	page := c.Get(t, "/account")
	if !strings.Contains(page.Body.String(), `id="email-task_overdue"`) {
		t.Errorf("the account page has no email section")
	}
}
