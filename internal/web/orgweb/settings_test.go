package orgweb

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestOrgTimeZone: an organisation's pages show times in its time zone,
// with the zone's abbreviation, while the API keeps UTC; a zone that does
// not exist is a field problem that changes nothing, on the form and in the
// API.
func TestOrgTimeZone(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 1, 15, 17, 30, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		s := newServer(t, db)
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		if org.TimeZone != "UTC" {
			t.Errorf("a new organisation's zone = %q, want UTC", org.TimeZone)
		}
		webtest.CreateUser(t, db, "owner@example.org", false, org.ID, identity.RoleOwner)
		owner := webtest.LoginFull(t, s, db, "owner@example.org", webtest.Password)
		zone := func() string {
			t.Helper()
			var o identity.OrgJSON
			webtest.DecodeJSON200(t, owner, "/api/v1/orgs/riverside", &o)
			return o.TimeZone
		}

		// An unknown zone is refused with the field named; neither it nor
		// the logoff time sent with it is saved.
		w := webtest.PostForm(t, owner, "/orgs/riverside/settings/security", url.Values{"time_zone": {"Mars/Olympus_Mons"}, "idle_minutes": {"30"}})
		webtest.WantPage(t, w, 422, `id="zone-problem"`, `value="Mars/Olympus_Mons"`)
		if sec, err := db.OrgSecurity(ctx, org.ID); err != nil || sec.IdleTimeout != 0 {
			t.Errorf("after a refused form, OrgSecurity = %+v, %v, want unchanged", sec, err)
		}
		if z := zone(); z != "UTC" {
			t.Errorf("after a refused form the zone is %q, want UTC", z)
		}
		w = webtest.SendJSON(t, owner, "PATCH", "/api/v1/orgs/riverside", `{"time_zone":"Local"}`)
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"time_zone"`) {
			t.Errorf("PATCH with the server's zone = %d %s, want 422 naming time_zone", w.Code, w.Body)
		}

		// The settings page sets it.
		w = webtest.PostForm(t, owner, "/orgs/riverside/settings/security", url.Values{"time_zone": {" America/New_York "}})
		if w.Code != 303 {
			t.Fatalf("settings form = %d %s", w.Code, w.Body)
		}
		if z := zone(); z != "America/New_York" {
			t.Fatalf("zone = %q, want America/New_York", z)
		}
		webtest.WantPage(t, owner.Get(t, "/orgs/riverside/settings/security"), 200, `value="America/New_York"`)
		// The members page shows when the owner joined in New York time;
		// the API gives the same moment in UTC.
		webtest.WantPage(t, owner.Get(t, "/orgs/riverside/members"), 200, "15 Jan 2026 12:30 EST")
		if body := owner.Get(t, "/api/v1/orgs/riverside/members").Body.String(); !strings.Contains(body, `"2026-01-15T17:30:00Z"`) {
			t.Errorf("members API = %s, want the time in UTC", body)
		}

		// The API sets it too, and the change is audited.
		w = webtest.SendJSON(t, owner, "PATCH", "/api/v1/orgs/riverside", `{"time_zone":"America/Chicago"}`)
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"time_zone":"America/Chicago"`) {
			t.Fatalf("PATCH zone = %d %s", w.Code, w.Body)
		}
		webtest.WantPage(t, owner.Get(t, "/orgs/riverside/members"), 200, "15 Jan 2026 11:30 CST")
		entries, _, err := db.AuditSearch(ctx, store.AuditFilter{OrgID: org.ID, Action: "org.time_zone", Limit: 10})
		if err != nil || len(entries) != 2 {
			t.Errorf("org.time_zone entries = %d, %v, want 2", len(entries), err)
		}
	})
}
