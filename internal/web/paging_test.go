package web

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// walkAPI follows next_cursor from path (which asks for a small limit) to the
// last page, calling between after each page but the last, and returns every
// item in the order the pages gave them.
func walkAPI[T any](t *testing.T, c *browserClient, path string, between func(page int)) []T {
	t.Helper()
	var all []T
	next := path
	for page := 1; ; page++ {
		if page > 100 {
			t.Fatalf("walking %s: more than 100 pages", path)
		}
		var p struct {
			Items      []T     `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		decodeJSON200(t, c, next, &p)
		all = append(all, p.Items...)
		if p.NextCursor == nil {
			return all
		}
		between(page)
		u, err := url.Parse(path)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("cursor", *p.NextCursor)
		u.RawQuery = q.Encode()
		next = u.String()
	}
}

// walkPages follows the "Next page" links of an HTML list from path and
// returns what rowRE's first group matched on every page, in order.
func walkPages(t *testing.T, c *browserClient, path string, rowRE *regexp.Regexp, between func(page int)) []string {
	t.Helper()
	nextRE := regexp.MustCompile(`<a href="([^"]+)" rel="next">Next page</a>`)
	var all []string
	for page := 1; ; page++ {
		if page > 100 {
			t.Fatalf("walking %s: more than 100 pages", path)
		}
		w := c.get(t, path)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, w.Code)
		}
		body := w.Body.String()
		for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
			all = append(all, html.UnescapeString(m[1]))
		}
		m := nextRE.FindStringSubmatch(body)
		if m == nil {
			return all
		}
		between(page)
		path = html.UnescapeString(m[1])
	}
}

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
		s, _ := newTestServer(t, db, Config{})
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
		admin := loginFull(t, s, db, "admin@example.org", createUser(t, db, "admin@example.org", true, 0, ""))
		sam := loginFull(t, s, db, "sam@example.org", createUser(t, db, "sam@example.org", false, orgs[0].ID, identity.RoleViewer))
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
			got := walkAPI[pagedOrg](t, admin, "/api/v1/orgs?limit=2", func(page int) {
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
			got := walkAPI[pagedOrg](t, sam, "/api/v1/orgs?limit=2", func(page int) {
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
				createUser(t, db, e, false, 0, "")
			}
			want := []string{"admin@example.org", "bob@example.org", "carol@example.org", "dan@example.org", "erin@example.org", "sam@example.org"}
			type user struct {
				Email string `json:"email"`
			}
			got := walkAPI[user](t, admin, "/api/v1/admin/users?limit=2", func(page int) {
				if page == 1 {
					createUser(t, db, "aaron@example.org", false, 0, "")
					createUser(t, db, "zoe@example.org", false, 0, "")
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
			rows := walkPages(t, admin, "/admin/users?limit=3", regexp.MustCompile(`<tr><td>([^<]+)</td>`), func(int) {})
			if !slices.Equal(rows, pageWant) {
				t.Errorf("pages of /admin/users = %v, want %v", rows, pageWant)
			}
		})

		t.Run("members", func(t *testing.T) {
			o := orgs[2]
			var want []string
			for _, e := range []string{"m3@example.org", "m1@example.org", "m5@example.org", "m2@example.org", "m4@example.org"} {
				createUser(t, db, e, false, o.ID, identity.RoleContributor)
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
			got := walkAPI[member](t, sam, "/api/v1/orgs/"+o.Slug+"/members?limit=2", func(page int) {
				if page == 1 {
					createUser(t, db, "m0@example.org", false, o.ID, identity.RoleViewer)
					createUser(t, db, "zz@example.org", false, o.ID, identity.RoleViewer)
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
			rows := walkPages(t, sam, "/orgs/"+o.Slug+"/members?limit=4", regexp.MustCompile(`<td>([^<\s]+@example\.org)</td>`), func(int) {})
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
			rows := walkPages(t, admin, "/admin/orgs?limit=4", regexp.MustCompile(`<td><code>([^<]+)</code></td>`), func(int) {})
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
			got := walkAPI[token](t, sam, "/api/v1/tokens?limit=2", func(page int) {
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

// TestOrgsListOnlyMemberships walks /api/v1/orgs one organisation a page as
// a member of a few among many, and also starting from cursors that point
// between organisations they do not belong to: no page ever holds an
// organisation they are not a member of.
func TestOrgsListOnlyMemberships(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cli := store.Actor{Name: "cli:test"}
		s, _ := newTestServer(t, db, Config{})
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
		createUser(t, db, "sam@example.org", false, mine[0], identity.RoleViewer)
		u, err := db.UserByEmail(ctx, "sam@example.org")
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range mine[1:] {
			if err := db.SetMember(ctx, cli, id, u.ID, identity.RoleAuditor); err != nil {
				t.Fatal(err)
			}
		}
		sam := loginFull(t, s, db, "sam@example.org", testPassword)
		check := func(path string) []pagedOrg {
			got := walkAPI[pagedOrg](t, sam, path, func(int) {})
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
		// administrator's page would give) resumes after it, still only
		// among sam's.
		c := encodeCursor(store.Key{Sort: "Org 00", ID: first})
		if got := check("/api/v1/orgs?limit=1&cursor=" + c); len(got) != len(mine) {
			t.Errorf("walk from after Org 00 found %d organisations, want %d", len(got), len(mine))
		}
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
		s, _ := newTestServer(t, db, Config{})
		admin := loginFull(t, s, db, "admin@example.org", createUser(t, db, "admin@example.org", true, o.ID, identity.RoleOwner))
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
				w := admin.do(t, "GET", path+"?"+b.query, "application/json", nil)
				var body errorBody
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusUnprocessableEntity || body.Error.Fields[b.field] == "" {
					t.Errorf("GET %s?%s = %d %s, want 422 naming %s", path, b.query, w.Code, w.Body, b.field)
				}
			}
		}
		for _, path := range []string{"/admin/users", "/admin/orgs", "/orgs/riverside/members"} {
			for _, b := range bad[:1] {
				if w := admin.get(t, path+"?"+b.query); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), b.field) {
					t.Errorf("GET %s?%s = %d, want 422 naming %s", path, b.query, w.Code, b.field)
				}
			}
		}
		// A cursor the server issued decodes to the key it was made from.
		for _, k := range []store.Key{{ID: 1}, {Sort: "Riverside: Family Practice", ID: 42}, {Sort: "ünï:cödé", ID: 1 << 62}} {
			if got, ok := decodeCursor(encodeCursor(k)); !ok || got != k {
				t.Errorf("decodeCursor(encodeCursor(%+v)) = %+v, %v", k, got, ok)
			}
		}
	})
}

// FuzzDecodeCursor: any string either is refused or decodes to a key that
// encodes back to the same cursor.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(store.Key{Sort: "Alpha", ID: 3}))
	f.Add("not-a-cursor")
	f.Add("")
	f.Fuzz(func(t *testing.T, c string) {
		k, ok := decodeCursor(c)
		if ok && encodeCursor(k) != c {
			t.Errorf("decodeCursor(%q) = %+v, which encodes as %q", c, k, encodeCursor(k))
		}
	})
}
