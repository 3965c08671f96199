package assessweb

import (
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

	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestAssessPagingWalksEveryRowOnce walks the assessments, the versions of
// a response and the evidence, API and page, with a small limit, adding rows
// between page requests: every row present when the walk started comes
// exactly once and in order, a row added after the cursor comes once, a row
// added before it does not come at all.
func TestAssessPagingWalksEveryRowOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cli := store.Actor{Name: "cli:test"}
		s := newServer(t, db, web.Config{})
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		sam := webtest.LoginFull(t, s, db, "sam@example.org", webtest.CreateUser(t, db, "sam@example.org", false, org.ID, identity.RoleSecurityOfficer))
		cat, err := catalog.Default()
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 3, 1, 9, 30, 0, 123456000, time.UTC)
		addAssessment := func(name string, started time.Time) assess.Assessment {
			t.Helper()
			a, err := assess.New(cat, catalog.ProfileCurrent, name, started, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if a, err = db.CreateAssessment(ctx, cli, org.ID, a); err != nil {
				t.Fatal(err)
			}
			return a
		}

		t.Run("assessments", func(t *testing.T) {
			// Start times repeat, so the ID must break ties; newest first.
			var as []assess.Assessment
			for i, d := range []int{3, 1, 3, 0, 2, 3, 1} {
				as = append(as, addAssessment(fmt.Sprintf("A%d", i), day.AddDate(0, 0, d)))
			}
			want := func() []string {
				sorted := slices.Clone(as)
				slices.SortFunc(sorted, func(a, b assess.Assessment) int {
					if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
						return c
					}
					return int(b.ID - a.ID)
				})
				var out []string
				for _, a := range sorted {
					out = append(out, a.Name)
				}
				return out
			}
			type item struct {
				Name string `json:"name"`
			}
			var newest assess.Assessment
			got := webtest.WalkAPI[item](t, sam, "/api/v1/orgs/riverside/assessments?limit=2", func(page int) {
				if page == 1 {
					newest = addAssessment("newest", day.AddDate(0, 0, 9)) // before the cursor
					as = append(as, addAssessment("oldest", day.AddDate(0, 0, -9)))
				}
			})
			var names []string
			for _, a := range got {
				names = append(names, a.Name)
			}
			if w := want(); !slices.Equal(names, w) {
				t.Errorf("pages of /api/v1/orgs/riverside/assessments = %v, want %v", names, w)
			}
			// The list page pages too, in the same order, with the rows
			// added during the walk placed as in the API.
			as = append(as, newest) // there from the start of this walk
			rowRE := regexp.MustCompile(`<tr><th scope="row"><a href="[^"]+">([^<]+)</a></th>`)
			pages := webtest.WalkPages(t, sam, "/orgs/riverside/assessments?limit=3", rowRE, func(page int) {
				if page == 1 {
					addAssessment("newer still", day.AddDate(0, 0, 10)) // before the cursor
					as = append(as, addAssessment("oldest of all", day.AddDate(0, 0, -10)))
				}
			})
			if w := want(); !slices.Equal(pages, w) {
				t.Errorf("pages of /orgs/riverside/assessments = %v, want %v", pages, w)
			}
		})

		t.Run("response versions", func(t *testing.T) {
			a := addAssessment("versions", day)
			citation := a.Entries[0].Citation
			save := func(n int) {
				t.Helper()
				if _, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: citation, Status: assess.Partial, Narrative: fmt.Sprintf("take %d", n)}); err != nil {
					t.Fatal(err)
				}
			}
			for n := 1; n <= 5; n++ {
				save(n)
			}
			got := webtest.WalkAPI[assess.Response](t, sam, fmt.Sprintf("/api/v1/orgs/riverside/assessments/%d/responses/%s/versions?limit=2", a.ID, citation), func(page int) {
				if page == 1 {
					save(6) // after the cursor: comes once, last
				}
			})
			var takes []string
			for i, r := range got {
				takes = append(takes, r.Narrative)
				if r.Version != i+1 {
					t.Errorf("version %d of the walk is numbered %d", i+1, r.Version)
				}
			}
			if want := []string{"take 1", "take 2", "take 3", "take 4", "take 5", "take 6"}; !slices.Equal(takes, want) {
				t.Errorf("pages of response versions = %v, want %v", takes, want)
			}
		})

		t.Run("entry page history", func(t *testing.T) {
			// The entry page shows the newest versions of the response and
			// of the decision, each list with its own "Older versions" link;
			// following them reaches every version once, newest first, and
			// leaves the other list where it was.
			a := addAssessment("history", day)
			var addressable assess.EntrySnapshot
			for _, e := range a.Entries {
				if e.Requirement == catalog.Addressable {
					addressable = e
					break
				}
			}
			const n = 45 // more than two pages of 20
			for i := 1; i <= n; i++ {
				if _, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: addressable.Citation, Status: assess.Implemented, Narrative: fmt.Sprintf("take %d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			for i := 1; i <= 3; i++ {
				if _, err := db.SaveDecision(ctx, cli, org.ID, a.ID, assess.Decision{Citation: addressable.Citation, Outcome: catalog.OutcomeImplemented,
					Rationale: fmt.Sprintf("reason %d", i), DecidedBy: "Sam", DecidedAt: day, Factors: map[catalog.Factor]string{
						catalog.FactorSize: "small", catalog.FactorInfrastructure: "cloud", catalog.FactorCost: "low", catalog.FactorRisk: "moderate"}}); err != nil {
					t.Fatal(err)
				}
			}
			rowRE := regexp.MustCompile(`<tr><td>(\d+)</td><td>[^<]*</td><td>[^<]*</td><td>Implemented</td><td>take \d+</td></tr>`)
			nextRE := regexp.MustCompile(`<a href="([^"]+)" rel="next">Older versions of the response</a>`)
			path := fmt.Sprintf("/orgs/riverside/assessments/%d/entries/%s", a.ID, addressable.Citation)
			var seen []string
			for page := 1; ; page++ {
				if page > 5 {
					t.Fatal("more than 5 pages of 20 for 45 versions")
				}
				w := sam.Get(t, path)
				webtest.WantPage(t, w, http.StatusOK, "reason 3")
				body := w.Body.String()
				rows := rowRE.FindAllStringSubmatch(body, -1)
				if len(rows) > 20 {
					t.Errorf("page %d shows %d response versions, want at most 20", page, len(rows))
				}
				for _, m := range rows {
					seen = append(seen, m[1])
				}
				m := nextRE.FindStringSubmatch(body)
				if m == nil {
					break
				}
				// A browser keeps the fragment (#history-h) to itself.
				path, _, _ = strings.Cut(html.UnescapeString(m[1]), "#")
			}
			var want []string
			for i := n; i >= 1; i-- {
				want = append(want, fmt.Sprint(i))
			}
			if !slices.Equal(seen, want) {
				t.Errorf("response versions over the pages = %v, want %v", seen, want)
			}
			if w := sam.Get(t, fmt.Sprintf("/orgs/riverside/assessments/%d/entries/%s?responses=bogus", a.ID, addressable.Citation)); w.Code != http.StatusUnprocessableEntity {
				t.Errorf("entry page with a forged history cursor = %d, want 422", w.Code)
			}
		})

		t.Run("evidence", func(t *testing.T) {
			add := func(title string) assess.Evidence {
				t.Helper()
				e, err := db.CreateEvidence(ctx, cli, nil, org.ID, assess.Evidence{Title: title, Kind: assess.EvidenceLink, URL: "https://example.org/" + title}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
			var want []string
			for i := range 5 {
				want = append([]string{add(fmt.Sprintf("E%d", i)).Title}, want...) // newest first
			}
			var got []string
			next := "/api/v1/orgs/riverside/evidence?limit=2"
			for page := 1; ; page++ {
				var p struct {
					Evidence   []assess.Evidence `json:"evidence"`
					NextCursor *string           `json:"next_cursor"`
					MaxSize    int64             `json:"max_size"`
					Accepted   []string          `json:"accepted"`
				}
				webtest.DecodeJSON200(t, sam, next, &p)
				if p.MaxSize == 0 || len(p.Accepted) == 0 {
					t.Errorf("GET %s lost max_size or accepted: %+v", next, p)
				}
				for _, e := range p.Evidence {
					got = append(got, e.Title)
				}
				if p.NextCursor == nil {
					break
				}
				if page == 1 {
					add("late") // newer than every row shown: before the cursor
				}
				next = "/api/v1/orgs/riverside/evidence?limit=2&cursor=" + *p.NextCursor
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages of /api/v1/orgs/riverside/evidence = %v, want %v", got, want)
			}
			pageWant := append([]string{"late"}, want...)
			rows := webtest.WalkPages(t, sam, "/orgs/riverside/evidence?limit=2", regexp.MustCompile(`<td[^>]*><a href="/orgs/riverside/evidence/\d+">([^<]+)</a></td>`), func(int) {})
			if !slices.Equal(rows, pageWant) {
				t.Errorf("pages of /orgs/riverside/evidence = %v, want %v", rows, pageWant)
			}
		})

		t.Run("evidence uses", func(t *testing.T) {
			e, err := db.CreateEvidence(ctx, cli, nil, org.ID, assess.Evidence{Title: "Policy", Kind: assess.EvidenceLink, URL: "https://example.org/policy"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			type use struct {
				AssessmentID int64  `json:"assessment_id"`
				Citation     string `json:"citation"`
			}
			key := func(u use) string { return fmt.Sprintf("%d %s", u.AssessmentID, u.Citation) }
			link := func(a assess.Assessment, i int) use {
				t.Helper()
				c := a.Entries[i].Citation
				if _, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: c, Status: assess.Implemented, EvidenceIDs: []int64{e.ID, e.ID}}); err != nil {
					t.Fatal(err)
				}
				return use{a.ID, c}
			}
			older, newer := addAssessment("uses 1", day), addAssessment("uses 2", day)
			var uses []use
			for _, i := range []int{4, 0, 2} {
				uses = append(uses, link(newer, i), link(older, i))
			}
			// A response that drops the evidence is no longer a use.
			if _, err := db.SaveResponse(ctx, cli, org.ID, older.ID, assess.Response{Citation: older.Entries[2].Citation, Status: assess.Partial, EvidenceIDs: []int64{}}); err != nil {
				t.Fatal(err)
			}
			uses = slices.DeleteFunc(uses, func(u use) bool { return u == use{older.ID, older.Entries[2].Citation} })
			sorted := func() []string {
				out := make([]string, len(uses))
				for i, u := range uses {
					out[i] = key(u)
				}
				slices.SortFunc(out, func(a, b string) int {
					var ia, ib int64
					var ca, cb string
					fmt.Sscanf(a, "%d %s", &ia, &ca)
					fmt.Sscanf(b, "%d %s", &ib, &cb)
					if ia != ib {
						return int(ib - ia)
					}
					return strings.Compare(ca, cb)
				})
				return out
			}
			path := fmt.Sprintf("/api/v1/orgs/riverside/evidence/%d", e.ID)
			var got []string
			next := path + "?limit=2"
			for page := 1; ; page++ {
				var p struct {
					UsedBy     []use   `json:"used_by"`
					NextCursor *string `json:"used_by_next_cursor"`
				}
				webtest.DecodeJSON200(t, sam, next, &p)
				for _, u := range p.UsedBy {
					got = append(got, key(u))
				}
				if p.NextCursor == nil {
					break
				}
				if page == 1 {
					addAssessment("uses 3", day) // no use yet
					third := addAssessment("uses 4", day)
					link(third, 1)                                         // a newer assessment: before the cursor
					uses = append(uses, link(older, len(older.Entries)-1)) // after it: comes once
				}
				next = path + "?limit=2&cursor=" + *p.NextCursor
			}
			want := sorted()
			if !slices.Equal(got, want) {
				t.Errorf("pages of used_by = %v, want %v", got, want)
			}
			rows := webtest.WalkPages(t, sam, fmt.Sprintf("/orgs/riverside/evidence/%d?limit=2", e.ID), regexp.MustCompile(`<li><a href="/orgs/riverside/assessments/(\d+/entries/[^"]+)">`), func(int) {})
			for i, r := range rows {
				if rows[i], err = url.PathUnescape(r); err != nil {
					t.Fatal(err)
				}
			}
			var pageWant []string
			all, _, err := db.EvidenceUsePage(ctx, org.ID, e.ID, store.Page{Limit: store.MaxPageLimit})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range all {
				pageWant = append(pageWant, fmt.Sprintf("%d/entries/%s", u.AssessmentID, u.Citation))
			}
			if len(pageWant) != len(want)+1 || !slices.Equal(rows, pageWant) {
				t.Errorf("pages of the evidence page's uses = %v, want %v", rows, pageWant)
			}
		})

		t.Run("bad input", func(t *testing.T) {
			a := addAssessment("bad input", day)
			b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
			bad := []struct{ query, field string }{
				{"cursor=not-a-cursor", "cursor"},
				{"cursor=" + b64("o:5"), "cursor"}, // the old in-memory offset cursor
				{"cursor=" + b64("k1:0:x"), "cursor"},
				{"limit=0", "limit"},
				{"limit=501", "limit"},
			}
			ev, err := db.CreateEvidence(ctx, cli, nil, org.ID, assess.Evidence{Title: "Bad input", Kind: assess.EvidenceLink, URL: "https://example.org/bad"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			paths := []string{"/api/v1/orgs/riverside/assessments", "/api/v1/orgs/riverside/evidence", fmt.Sprintf("/api/v1/orgs/riverside/evidence/%d", ev.ID),
				fmt.Sprintf("/api/v1/orgs/riverside/assessments/%d/responses/%s/versions", a.ID, a.Entries[0].Citation)}
			for _, path := range paths {
				for _, b := range bad {
					w := sam.Do(t, "GET", path+"?"+b.query, "application/json", nil)
					var body web.ErrorBody
					if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusUnprocessableEntity || body.Error.Fields[b.field] == "" {
						t.Errorf("GET %s?%s = %d %s, want 422 naming %s", path, b.query, w.Code, w.Body, b.field)
					}
				}
			}
			// A well-formed key whose sort value is not a start time.
			c := *web.NextCursor(&store.Key{Sort: "yesterday", ID: a.ID})
			w := sam.Do(t, "GET", "/api/v1/orgs/riverside/assessments?cursor="+c, "application/json", nil)
			var body web.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusUnprocessableEntity || body.Error.Fields["cursor"] == "" {
				t.Errorf("GET assessments with a key that is not a time = %d %s, want 422 naming cursor", w.Code, w.Body)
			}
			if w := sam.Get(t, "/orgs/riverside/evidence?cursor=not-a-cursor"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "cursor") {
				t.Errorf("GET /orgs/riverside/evidence with a bad cursor = %d, want 422 naming cursor", w.Code)
			}
		})
	})
}
