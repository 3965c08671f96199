package orgweb

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// newServer is a server with the organisation capability.
func newServer(t *testing.T, db *store.DB) *web.Server {
	return webtest.NewServer(t, db, web.Config{Capabilities: []web.Capability{New()}})
}

func TestInvitationsAndMembers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		db.Now = func() time.Time { return now }
		s := newServer(t, db)
		a, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		b, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "harbor", Name: "Harbor", Kind: identity.KindBusinessAssociate})
		webtest.CreateUser(t, db, "owner@example.org", false, a.ID, identity.RoleOwner)
		webtest.CreateUser(t, db, "other@example.org", false, b.ID, identity.RoleOwner)
		owner := webtest.LoginFull(t, s, db, "owner@example.org", webtest.Password)

		// Bad input is refused field by field and changes nothing.
		w := webtest.PostForm(t, owner, "/orgs/riverside/members", url.Values{"email": {"not-an-email"}, "role": {"boss"}})
		if w.Code != 422 || !strings.Contains(w.Body.String(), `id="m-role-problem"`) {
			t.Errorf("bad member form = %d, want 422 with the role problem", w.Code)
		}
		w = owner.Do(t, "POST", "/api/v1/orgs/riverside/members", "application/json", strings.NewReader(`{"email":"not-an-email","role":"viewer"}`))
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"email"`) {
			t.Errorf("bad member JSON = %d %s, want 422 naming email", w.Code, w.Body)
		}
		// A new person is invited.
		w = owner.Do(t, "POST", "/api/v1/orgs/riverside/members", "application/json", strings.NewReader(`{"email":"Priya@Example.org","name":"Priya","role":"contributor"}`))
		var m invitationJSON
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != 201 || !strings.Contains(m.InvitationURL, "/invite/sgi_") {
			t.Fatalf("invite = %d %s", w.Code, w.Body)
		}
		path := m.InvitationURL[strings.Index(m.InvitationURL, "/invite/"):]
		anon := webtest.NewClient(s)
		w = anon.Get(t, path)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "priya@example.org") {
			t.Fatalf("GET invitation = %d", w.Code)
		}
		anon.SetCSRF(webtest.FormToken(t, w.Body.String()))
		if w := anon.Do(t, "POST", path, "application/x-www-form-urlencoded", strings.NewReader("new=short&confirm=short")); w.Code != 422 {
			t.Errorf("weak password on invitation = %d, want 422", w.Code)
		}
		w = anon.Do(t, "POST", path, "application/x-www-form-urlencoded", strings.NewReader("new=lantern+orchard+velvet&confirm=lantern+orchard+velvet"))
		if w.Code != http.StatusSeeOther {
			t.Fatalf("accept invitation = %d %s", w.Code, w.Body)
		}
		// The link works once.
		if w := anon.Get(t, path); w.Code != http.StatusGone {
			t.Errorf("reused invitation = %d, want 410", w.Code)
		}
		// The new contributor sees only their organisation.
		priya := webtest.Login(t, s, "priya@example.org", "lantern orchard velvet")
		var orgs web.List[orgJSON]
		if err := json.Unmarshal(priya.Do(t, "GET", "/api/v1/orgs", "application/json", nil).Body.Bytes(), &orgs); err != nil || len(orgs.Items) != 1 || orgs.Items[0].Slug != "riverside" {
			t.Errorf("contributor's orgs = %+v", orgs)
		}
		if w := priya.Do(t, "GET", "/api/v1/orgs/harbor", "application/json", nil); w.Code != 404 {
			t.Errorf("contributor reading another org = %d, want 404", w.Code)
		}
		if w := priya.Do(t, "POST", "/api/v1/orgs/riverside/members", "application/json", strings.NewReader(`{"email":"x@example.org","role":"owner"}`)); w.Code != 403 {
			t.Errorf("contributor adding a member = %d, want 403", w.Code)
		}
		// An expired invitation is refused.
		w = owner.Do(t, "POST", "/api/v1/orgs/riverside/members", "application/json", strings.NewReader(`{"email":"late@example.org","role":"viewer"}`))
		json.Unmarshal(w.Body.Bytes(), &m)
		now = now.Add(identity.InvitationLifetime + time.Minute)
		if w := anon.Get(t, m.InvitationURL[strings.Index(m.InvitationURL, "/invite/"):]); w.Code != http.StatusGone {
			t.Errorf("expired invitation = %d, want 410", w.Code)
		}
		now = time.Now().UTC()
		// The last owner cannot leave.
		ou, _ := db.UserByEmail(ctx, "owner@example.org")
		w = webtest.PostForm(t, owner, "/orgs/riverside/members/"+strconv.FormatInt(ou.ID, 10)+"/role", url.Values{"role": {"viewer"}})
		if w.Code != 409 {
			t.Errorf("demoting the last owner = %d, want 409", w.Code)
		}
		actions := webtest.AuditActions(t, db, a.ID)
		for _, want := range []string{"member.invite", "member.invite_accepted", "member.add", "org.create"} {
			if !slices.Contains(actions, want) {
				t.Errorf("riverside's audit lacks %s: %v", want, actions)
			}
		}
	})
}

// TestOrgsListOnlyMemberships walks /api/v1/orgs one organisation a page as
// a member of a few among many, and also starting from cursors that point
// between organisations they do not belong to: no page ever holds an
// organisation they are not a member of.
func TestOrgsListOnlyMemberships(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cli := store.Actor{Name: "cli:test"}
		s := newServer(t, db)
		var mine []int64
		var first int64
		for i := range 12 {
			o, err := db.CreateOrg(ctx, cli, identity.Org{Slug: fmt.Sprintf("org-%02d", i), Name: fmt.Sprintf("Org %02d", i), Kind: identity.KindProvider})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = o.ID
			}
			if i%4 == 1 {
				mine = append(mine, o.ID)
			}
		}
		webtest.CreateUser(t, db, "sam@example.org", false, mine[0], identity.RoleViewer)
		u, err := db.UserByEmail(ctx, "sam@example.org")
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range mine[1:] {
			if err := db.SetMember(ctx, cli, id, u.ID, identity.RoleAuditor); err != nil {
				t.Fatal(err)
			}
		}
		sam := webtest.LoginFull(t, s, db, "sam@example.org", webtest.Password)
		check := func(path string) []orgJSON {
			got := webtest.WalkAPI[orgJSON](t, sam, path, func(int) {})
			for _, o := range got {
				if !slices.Contains(mine, o.ID) {
					t.Errorf("GET %s (all pages) includes %s, which sam does not belong to", path, o.Slug)
				}
				if o.Role == "" {
					t.Errorf("GET %s: %s has no role", path, o.Slug)
				}
			}
			return got
		}
		if got := check("/api/v1/orgs?limit=1"); len(got) != len(mine) {
			t.Errorf("walk of /api/v1/orgs found %d organisations, want %d", len(got), len(mine))
		}
		// A cursor made for a position among others' organisations (as an
		// administrator's page gives) resumes after it, still only among
		// sam's.
		admin := webtest.LoginFull(t, s, db, "admin@example.org", webtest.CreateUser(t, db, "admin@example.org", true, 0, ""))
		var all web.List[orgJSON]
		webtest.DecodeJSON200(t, admin, "/api/v1/orgs?limit=1", &all)
		if len(all.Items) != 1 || all.Items[0].ID != first || all.NextCursor == nil {
			t.Fatalf("the administrator's first page = %+v, want Org 00 and a cursor", all)
		}
		c := *all.NextCursor
		if got := check("/api/v1/orgs?limit=1&cursor=" + c); len(got) != len(mine) {
			t.Errorf("walk from after Org 00 found %d organisations, want %d", len(got), len(mine))
		}
	})
}

// TestTemplatesRenderZeroValues renders every page of the organisation with
// its zero value.
func TestTemplatesRenderZeroValues(t *testing.T) {
	t.Parallel()
	s := newServer(t, storetest.SQLite(t))
	webtest.RenderZeroValues(t, s, New().Templates(), map[string]web.PageData{
		"org":           &orgView{},
		"members":       &membersView{},
		"member_remove": &removeView{},
		"security":      &securityView{},
		"emergency":     &emergencyView{},
		"notifications": &notificationsView{},
	})
}
