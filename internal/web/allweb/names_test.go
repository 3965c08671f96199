package allweb_test

import (
	"context"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/demo"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/allweb"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// rawCodes are what a page must never show a person in place of a name or a
// label: a user's internal ID, and the stored keys of statuses, outcomes,
// roles, organisation kinds and assessment states. The JSON API and the
// exports keep them.
var (
	userCode = regexp.MustCompile(`\buser:\d+`)
	rawCodes = regexp.MustCompile(`\b(not_implemented|not_applicable|in_review|security_officer|health_plan|business_associate|never_assessed|new_system|new_location|security_incident)\b` +
		// Single-word keys are ordinary words too; they are codes where they
		// stand alone in a cell or a value.
		`|>\s*(alternative|partial|implemented|owner|contributor|auditor|viewer|draft|final)\s*<`)
	// codeTags are codes shown as codes, for a person to type: the syntax
	// of a form (an SSO group mapping), an audit action without a label.
	codeTags = regexp.MustCompile(`(?s)<code>.*?</code>`)
)

var (
	hrefAttr   = regexp.MustCompile(`href="(/[^"]*)"`)
	scriptTags = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>`)
	// visibleAttr is an attribute a person reads on the page.
	visibleAttr = regexp.MustCompile(`\s(?:placeholder|title|aria-label)="([^"]*)"`)
	anyTag      = regexp.MustCompile(`<[^>]*>`)
)

// visibleText is what a person reads on an HTML page: its text, and the
// placeholders and titles of its elements, each tag kept as a "><" boundary
// so that a code alone in a cell stays recognisable.
func visibleText(page string) string {
	page = scriptTags.ReplaceAllString(page, "")
	var b strings.Builder
	for _, m := range visibleAttr.FindAllStringSubmatch(page, -1) {
		b.WriteString(">" + html.UnescapeString(m[1]) + "<")
	}
	b.WriteString(anyTag.ReplaceAllString(page, "><"))
	return html.UnescapeString(b.String())
}

// TestPagesShowNamesNotCodes walks every page of the demo that its owner,
// its auditor and a platform administrator can reach by following links, and
// fails where a page shows a person as "user:12" or a status, outcome or
// role by its stored key instead of its label.
func TestPagesShowNamesNotCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keys := webtest.Keyring(t)
		if _, err := demo.Load(ctx, db, webtest.Hasher, keys); err != nil {
			t.Fatal(err)
		}
		// The demo's passwords are random: give the people walked a known one.
		webtest.CreateUser(t, db, "root@example.org", true, 0, "")
		s := webtest.NewServer(t, db, web.Config{Capabilities: allweb.Capabilities(nil), Keys: keys})
		for _, email := range []string{"maria.alvarez@riverside.example", "tom.becker@audit.example"} {
			setPassword(t, db, email)
		}
		// What people do leaves their user:<id> on records and in the
		// log: an answer saved, evidence added, a member's role changed, a
		// failed sign-in.
		maria := webtest.LoginFull(t, s, db, "maria.alvarez@riverside.example", webtest.Password)
		entry := "/orgs/riverside/assessments/2/entries/" + url.PathEscape("164.312(b)")
		webtest.MustJSON(t, webtest.SendJSON(t, maria, "PATCH", "/api/v1/orgs/riverside/assessments/2/responses/164.312(b)",
			`{"status":"not_implemented","narrative":"No log review yet","owner":"Sam Okafor","target_date":"2026-09-30"}`), 200, nil)
		w := webtest.Upload(t, maria, "/api/v1/orgs/riverside/evidence", map[string]string{"title": "Log review procedure"}, "review.txt", []byte("Weekly review of the EHR access log."))
		if w.Code != http.StatusCreated {
			t.Fatalf("upload = %d %s", w.Code, w.Body)
		}
		lena, err := db.UserByEmail(ctx, "lena.fischer@riverside.example")
		if err != nil {
			t.Fatal(err)
		}
		if w := webtest.PostForm(t, maria, fmt.Sprintf("/orgs/riverside/members/%d/role", lena.ID), url.Values{"role": {"contributor"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("role change = %d", w.Code)
		}
		webtest.NewClient(s).Do(t, "POST", "/api/v1/login", "application/json", strings.NewReader(`{"email":"tom.becker@audit.example","password":"wrong"}`))

		for _, who := range []string{"maria.alvarez@riverside.example", "tom.becker@audit.example", "root@example.org"} {
			c := webtest.LoginFull(t, s, db, who, webtest.Password)
			walk(t, c, who, "/", entry, "/orgs/riverside/evidence")
		}
	})
}

// setPassword gives a demo user webtest.Password.
func setPassword(t *testing.T, db *store.DB, email string) {
	t.Helper()
	ctx := context.Background()
	u, err := db.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := webtest.Hasher.Hash(ctx, webtest.Password)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetPassword(ctx, store.Actor{Name: "test"}, u.ID, hash, false, 0); err != nil {
		t.Fatal(err)
	}
}

// walk follows every link from the start page as c and checks each HTML
// page's visible text.
func walk(t *testing.T, c *webtest.Client, who string, start ...string) {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range start {
		seen[p] = true
	}
	shapes := map[string]int{}
	queue := start
	checked := 0
	for len(queue) > 0 && checked < 1000 {
		path := queue[0]
		queue = queue[1:]
		w := c.Get(t, path)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			continue
		}
		checked++
		body := w.Body.String()
		m := userCode.FindAllString(visibleText(body), -1)
		m = append(m, rawCodes.FindAllString(visibleText(codeTags.ReplaceAllString(body, "<code></code>")), -1)...)
		if len(m) > 0 {
			slices.Sort(m)
			t.Errorf("%s on %s sees %q", who, path, slices.Compact(m))
		}
		for _, m := range hrefAttr.FindAllStringSubmatch(body, -1) {
			next := html.UnescapeString(m[1])
			u, err := url.Parse(next)
			if err != nil || skipLink(u) {
				continue
			}
			u.Fragment = ""
			// A few pages of each shape (an audit entry, an assessment
			// entry) stand for the rest.
			if next = u.String(); !seen[next] && shapes[shape(u)] < 40 {
				seen[next] = true
				shapes[shape(u)]++
				queue = append(queue, next)
			}
		}
	}
	if checked < 20 {
		t.Errorf("%s reached only %d pages", who, checked)
	}
	t.Logf("%s: %d pages checked", who, checked)
}

var idSegment = regexp.MustCompile(`/[0-9][^/]*`)

// shape is a link's path with its IDs and citations left out, and the names
// of its query parameters.
func shape(u *url.URL) string {
	q := slices.Sorted(maps.Keys(u.Query()))
	return idSegment.ReplaceAllString(u.Path, "/#") + "?" + strings.Join(q, "&")
}

// skipLink leaves out files, downloads, and links that only repeat a page
// with another filter.
func skipLink(u *url.URL) bool {
	p := u.Path
	switch {
	case strings.HasPrefix(p, "/static/"), strings.HasPrefix(p, "/api/"),
		strings.HasSuffix(p, "/download"), strings.Contains(p, "/export"):
		return true
	}
	q := u.Query()
	return q.Has("cursor") && q.Get("cursor") != "" && strings.Count(u.RawQuery, "&") > 2
}
