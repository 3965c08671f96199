package allweb_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

type pagedOrg struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	Role string `json:"role"`
}

func orgKeys(orgs []pagedOrg) []string {
	out := make([]string, len(orgs))
	for i, o := range orgs {
		out[i] = fmt.Sprintf("%s#%d", o.Name, o.ID)
	}
	return out
}

// sortedOrgs orders organisations as the lists do: by name, then ID.
func sortedOrgs(orgs []pagedOrg) []pagedOrg {
	out := slices.Clone(orgs)
	slices.SortFunc(out, func(a, b pagedOrg) int { return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out
}

// TestPagingWalksEveryRowOnce walks each list that pages in SQL with a small
// limit, adding rows between page requests: every row present when the walk
// started comes exactly once and in order, a row added after the cursor comes
// once, a row added before it does not come at all.
func TestPagingWalksEveryRowOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cli := store.Actor{Name: "cli:test"}
		s, _ := newServer(t, db, web.Config{})
		addOrg := func(slug, name string) pagedOrg {
			t.Helper()
			o, err := db.CreateOrg(ctx, cli, identity.Org{Slug: slug, Name: name, Kind: identity.KindProvider})
			if err != nil {
				t.Fatal(err)
			}
			return pagedOrg{ID: o.ID, Slug: o.Slug, Name: o.Name}
		}
		// Names repeat, so the ID must break ties.
		var orgs []pagedOrg
		for i, name := range []string{"Beta", "Alpha", "Gamma", "Beta", "Delta", "Alpha", "Epsilon", "Zeta", "Eta"} {
			orgs = append(orgs, addOrg(fmt.Sprintf("o%d", i+1), name))
		}
		admin := webtest.LoginFull(t, s, db, "admin@example.org", webtest.CreateUser(t, db, "admin@example.org", true, 0, ""))
		sam := webtest.LoginFull(t, s, db, "sam@example.org", webtest.CreateUser(t, db, "sam@example.org", false, orgs[0].ID, identity.RoleViewer))
		samUser, err := db.UserByEmail(ctx, "sam@example.org")
		if err != nil {
			t.Fatal(err)
		}
		var samOrgs []pagedOrg
		for _, i := range []int{0, 1, 3, 5, 7} {
			if i != 0 {
				if err := db.SetMember(ctx, cli, orgs[i].ID, samUser.ID, identity.RoleContributor); err != nil {
					t.Fatal(err)
				}
			}
			samOrgs = append(samOrgs, orgs[i])
		}

		t.Run("orgs as admin", func(t *testing.T) {
			want := slices.Clone(orgs)
			got := webtest.WalkAPI[pagedOrg](t, admin, "/api/v1/orgs?limit=2", func(page int) {
				if page == 1 {
					addOrg("before", "Aardvark") // sorts before the cursor
					want = append(want, addOrg("after", "Omega"))
				}
			})
			if g, w := orgKeys(got), orgKeys(sortedOrgs(want)); !slices.Equal(g, w) {
				t.Errorf("pages of /api/v1/orgs = %v, want %v", g, w)
			}
		})

		t.Run("orgs as member", func(t *testing.T) {
			want := slices.Clone(samOrgs)
			got := webtest.WalkAPI[pagedOrg](t, sam, "/api/v1/orgs?limit=2", func(page int) {
				if page == 1 {
					addOrg("not-sams", "Zzz not Sam's")
					mine := addOrg("sams", "Zzz Sam's")
					if err := db.SetMember(ctx, cli, mine.ID, samUser.ID, identity.RoleViewer); err != nil {
						t.Fatal(err)
					}
					want = append(want, mine)
				}
			})
			if g, w := orgKeys(got), orgKeys(sortedOrgs(want)); !slices.Equal(g, w) {
				t.Errorf("pages of /api/v1/orgs as a member = %v, want %v", g, w)
			}
		})

		t.Run("users", func(t *testing.T) {
			for _, e := range []string{"carol@example.org", "bob@example.org", "erin@example.org", "dan@example.org"} {
				webtest.CreateUser(t, db, e, false, 0, "")
			}
			want := []string{"admin@example.org", "bob@example.org", "carol@example.org", "dan@example.org", "erin@example.org", "sam@example.org"}
			type user struct {
				Email string `json:"email"`
			}
			got := webtest.WalkAPI[user](t, admin, "/api/v1/admin/users?limit=2", func(page int) {
				if page == 1 {
					webtest.CreateUser(t, db, "aaron@example.org", false, 0, "")
					webtest.CreateUser(t, db, "zoe@example.org", false, 0, "")
					want = append(want, "zoe@example.org")
				}
			})
			var emails []string
			for _, u := range got {
				emails = append(emails, u.Email)
			}
			if !slices.Equal(emails, want) {
				t.Errorf("pages of /api/v1/admin/users = %v, want %v", emails, want)
			}
			// The page shows the same users, page by page.
			pageWant := []string{"aaron@example.org", "admin@example.org", "bob@example.org", "carol@example.org", "dan@example.org", "erin@example.org", "sam@example.org", "zoe@example.org"}
			rows := webtest.WalkPages(t, admin, "/admin/users?limit=3", regexp.MustCompile(`<tr><td>([^<]+)</td>`), func(int) {})
			if !slices.Equal(rows, pageWant) {
				t.Errorf("pages of /admin/users = %v, want %v", rows, pageWant)
			}
		})

		t.Run("members", func(t *testing.T) {
			o := orgs[2]
			var want []string
			for _, e := range []string{"m3@example.org", "m1@example.org", "m5@example.org", "m2@example.org", "m4@example.org"} {
				webtest.CreateUser(t, db, e, false, o.ID, identity.RoleContributor)
				want = append(want, e)
			}
			slices.Sort(want)
			if err := db.SetMember(ctx, cli, o.ID, samUser.ID, identity.RoleViewer); err != nil {
				t.Fatal(err)
			}
			want = append(want, "sam@example.org")
			type member struct {
				Email string `json:"email"`
			}
			got := webtest.WalkAPI[member](t, sam, "/api/v1/orgs/"+o.Slug+"/members?limit=2", func(page int) {
				if page == 1 {
					webtest.CreateUser(t, db, "m0@example.org", false, o.ID, identity.RoleViewer)
					webtest.CreateUser(t, db, "zz@example.org", false, o.ID, identity.RoleViewer)
					want = append(want, "zz@example.org")
				}
			})
			var emails []string
			for _, m := range got {
				emails = append(emails, m.Email)
			}
			if !slices.Equal(emails, want) {
				t.Errorf("pages of members = %v, want %v", emails, want)
			}
			pageWant := append([]string{"m0@example.org"}, want...)
			rows := webtest.WalkPages(t, sam, "/orgs/"+o.Slug+"/members?limit=4", regexp.MustCompile(`<td data-label="Email">([^<\s]+@example\.org)</td>`), func(int) {})
			if !slices.Equal(rows, pageWant) {
				t.Errorf("pages of /orgs/%s/members = %v, want %v", o.Slug, rows, pageWant)
			}
		})

		t.Run("admin orgs page", func(t *testing.T) {
			all, _, err := db.OrgPage(ctx, store.OrgQuery{}, store.Page{Limit: store.MaxPageLimit})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, o := range all {
				want = append(want, o.Slug)
			}
			rows := webtest.WalkPages(t, admin, "/admin/orgs?limit=4", regexp.MustCompile(`<td><code>([^<]+)</code></td>`), func(int) {})
			if !slices.Equal(rows, want) {
				t.Errorf("pages of /admin/orgs = %v, want %v", rows, want)
			}
		})

		t.Run("tokens", func(t *testing.T) {
			var want []int64
			for i := range 5 {
				tok, err := db.CreateToken(ctx, cli, fmt.Sprintf("hash-%d", i), store.Token{UserID: samUser.ID, Name: fmt.Sprintf("t%d", i), Scope: identity.ScopeRead}, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				want = append([]int64{tok.ID}, want...) // newest first
			}
			type token struct {
				ID int64 `json:"id"`
			}
			got := webtest.WalkAPI[token](t, sam, "/api/v1/tokens?limit=2", func(page int) {
				if page == 1 {
					// Newer than every token shown: before the cursor.
					if _, err := db.CreateToken(ctx, cli, "hash-late", store.Token{UserID: samUser.ID, Name: "late", Scope: identity.ScopeRead}, time.Hour); err != nil {
						t.Fatal(err)
					}
				}
			})
			var ids []int64
			for _, tk := range got {
				ids = append(ids, tk.ID)
			}
			if !slices.Equal(ids, want) {
				t.Errorf("pages of /api/v1/tokens = %v, want %v", ids, want)
			}
		})
	})
}

// TestPagingRejectsBadInput: a cursor the server did not issue, or a limit
// out of range, is a 422 naming the parameter, on every list in SQL.
func TestPagingRejectsBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o, err := db.CreateOrg(ctx, store.Actor{Name: "cli:test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := newServer(t, db, web.Config{})
		admin := webtest.LoginFull(t, s, db, "admin@example.org", webtest.CreateUser(t, db, "admin@example.org", true, o.ID, identity.RoleOwner))
		b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		bad := []struct{ query, field string }{
			{"cursor=not-a-cursor", "cursor"},
			{"cursor=" + b64("o:5"), "cursor"}, // an in-memory offset cursor
			{"cursor=" + b64("k1:0:x"), "cursor"},
			{"cursor=" + b64("k1:-3:x"), "cursor"},
			{"cursor=" + b64("k1:07:x"), "cursor"},
			{"cursor=" + b64("k1:abc:x"), "cursor"},
			{"cursor=" + b64("k1:5"), "cursor"},
			{"cursor=" + b64("k1:5:\xff"), "cursor"},
			{"cursor=" + strings.Repeat("A", 2000), "cursor"},
			{"limit=0", "limit"},
			{"limit=501", "limit"},
			{"limit=ten", "limit"},
		}
		for _, path := range []string{"/api/v1/orgs", "/api/v1/admin/users", "/api/v1/orgs/riverside/members", "/api/v1/tokens"} {
			for _, b := range bad {
				w := admin.Do(t, "GET", path+"?"+b.query, "application/json", nil)
				var body web.ErrorBody
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusUnprocessableEntity || body.Error.Fields[b.field] == "" {
					t.Errorf("GET %s?%s = %d %s, want 422 naming %s", path, b.query, w.Code, w.Body, b.field)
				}
			}
		}
		for _, path := range []string{"/admin/users", "/admin/orgs", "/orgs/riverside/members"} {
			for _, b := range bad[:1] {
				if w := admin.Get(t, path+"?"+b.query); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), b.field) {
					t.Errorf("GET %s?%s = %d, want 422 naming %s", path, b.query, w.Code, b.field)
				}
			}
		}
	})
}
