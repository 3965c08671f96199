package catalogweb

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// catalogServer is a server with the embedded catalogue and a signed-in
// user who belongs to no organisation: the catalogue needs none.
func catalogServer(t *testing.T) (*web.Server, *webtest.Client) {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.SQLite(t)
	s := newServer(t, db, cat)
	webtest.CreateUser(t, db, "reader@example.org", false, 0, "")
	return s, webtest.Login(t, s, "reader@example.org", webtest.Password)
}

// newServer is a server with the catalogue capability (the embedded
// catalogue when cat is nil).
func newServer(t *testing.T, db *store.DB, cat *catalog.Catalog) *web.Server {
	t.Helper()
	return webtest.NewServer(t, db, web.Config{Catalog: cat, Capabilities: []web.Capability{New(cat)}})
}

// catalogPages are the catalogue's pages, each with text it must show.
var catalogPages = []struct{ path, want string }{
	{"/catalog", "Technical safeguards"},
	{"/catalog?profile=nprm-2025", "Proposed rule, not in force"},
	{"/catalog/general", "Confidentiality"},
	{"/catalog/categories/technical", "Transmission security"},
	{"/catalog/entries/164.312(a)(2)(iv)", "Encryption and decryption"},
	{"/catalog/entries/164.312(a)(2)(iv)?profile=nprm-2025", "Proposed rule, not in force"},
	{"/catalog/entries/nprm:patch-management?profile=nprm-2025", "Patch management"},
	{"/catalog/faq", "automatic logoff"},
	{"/catalog/faq?q=logoff", "work from home"},
	{"/catalog/diff?a=current&b=nprm-2025", "Technology asset inventory"},
	{"/catalog/search?q=encryption", "164.312(a)(2)(iv)"},
	{"/catalog/search", "Search the catalogue"},
}

// catalogAPI are the catalogue's API routes.
var catalogAPI = []string{
	"/api/v1/catalog",
	"/api/v1/catalog/164.312(a)(2)(iv)",
	"/api/v1/catalog/faq",
	"/api/v1/catalog/diff",
	"/api/v1/catalog/search?q=backup",
}

func TestCatalogNeedsSignIn(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s := newServer(t, db, nil)
	for _, pg := range catalogPages {
		w := webtest.Get(t, s, pg.path)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login?next=") {
			t.Errorf("anonymous GET %s = %d %s, want 303 to /login", pg.path, w.Code, w.Header().Get("Location"))
		}
	}
	for _, path := range catalogAPI {
		if w := webtest.Get(t, s, path); w.Code != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s = %d, want 401", path, w.Code)
		}
	}
}

func TestCatalogRoutesArePublicToSignedInUsers(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s := newServer(t, db, nil)
	n := 0
	for _, rt := range s.Routes() {
		if strings.Contains(rt.Pattern, "/catalog") {
			n++
			if rt.Perm != identity.PermSignedIn || rt.Partial {
				t.Errorf("route %s needs %v (partial %v), want signed-in", rt.Pattern, rt.Perm, rt.Partial)
			}
		}
	}
	if n < 12 {
		t.Errorf("found %d catalogue routes, want 12", n)
	}
}

func TestCatalogPages(t *testing.T) {
	t.Parallel()
	_, c := catalogServer(t)
	for _, pg := range catalogPages {
		w := c.Get(t, pg.path)
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", pg.path, w.Code)
			continue
		}
		for _, want := range []string{pg.want, `<label for="catalog-q">Search the catalogue</label>`, `<h1`, `href="/catalog">Catalogue</a>`} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s lacks %q", pg.path, want)
			}
		}
	}
	// Every entry of both profiles renders.
	cat, _ := catalog.Default()
	for _, p := range cat.Profiles() {
		for _, e := range p.Entries() {
			path := entryHref(e.Citation, p.ID)
			if w := c.Get(t, path); w.Code != http.StatusOK {
				t.Errorf("GET %s = %d, want 200", path, w.Code)
			}
		}
	}
}

func TestCatalogBrowse(t *testing.T) {
	t.Parallel()
	_, c := catalogServer(t)
	body := c.Get(t, "/catalog").Body.String()
	for _, want := range []string{
		`<caption>Technical safeguards: 5 standards, 7 implementation specifications</caption>`,
		`<caption>Administrative safeguards: 9 standards, 21 implementation specifications</caption>`,
		`<caption>Physical safeguards: 4 standards, 8 implementation specifications</caption>`,
		`href="/catalog/categories/technical"`,
		`href="/catalog/entries/164.312%28a%29%282%29%28iv%29">Encryption and decryption</a>`,
		`<span class="badge req-addressable">Addressable</span>`,
		`<span class="badge req-required">Required</span>`,
		`<span class="badge kind-standard">Standard</span>`,
		`<th scope="col">Requirement</th>`,
		`General rules (§164.306)`,
		"Implemented as specified",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/catalog lacks %q", want)
		}
	}
	if strings.Contains(body, "Proposed rule, not in force") {
		t.Error("/catalog for the rule in force calls itself proposed")
	}
	prop := c.Get(t, "/catalog?profile=nprm-2025").Body.String()
	for _, want := range []string{`<span class="badge proposed">Proposed</span>`, "Patch management", `href="/catalog/entries/nprm:patch-management?profile=nprm-2025"`, `aria-current="true">2025 proposed rule`} {
		if !strings.Contains(prop, want) {
			t.Errorf("/catalog?profile=nprm-2025 lacks %q", want)
		}
	}
	if strings.Contains(prop, "req-addressable") {
		t.Error("the proposed profile shows an addressable specification; it removes them")
	}
	if w := c.Get(t, "/catalog?profile=draft"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "nprm-2025") {
		t.Errorf("GET /catalog?profile=draft = %d, want 422 naming the profiles", w.Code)
	}
	if w := c.Get(t, "/catalog/categories/cosmic"); w.Code != http.StatusNotFound {
		t.Errorf("GET /catalog/categories/cosmic = %d, want 404", w.Code)
	}
}

func TestCatalogEntryPage(t *testing.T) {
	t.Parallel()
	_, c := catalogServer(t)
	w := c.Get(t, "/catalog/entries/164.312(a)(2)(iv)")
	body := w.Body.String()
	for _, want := range []string{
		`<title>164.312(a)(2)(iv) Encryption and decryption · Catalogue · Safeguard</title>`,
		`<span class="badge req-addressable">Addressable</span>`,
		`<span class="badge kind-spec">Implementation specification</span>`,
		// Breadcrumbs: Catalogue ▸ category ▸ standard ▸ entry.
		`<li><a href="/catalog">Catalogue</a></li><li><a href="/catalog/categories/technical">Technical safeguards</a></li><li><a href="/catalog/entries/164.312%28a%29%281%29">164.312(a)(1) Access control</a></li><li><span aria-current="page">164.312(a)(2)(iv) Encryption and decryption</span></li>`,
		"Use a mechanism to encrypt and decrypt ePHI",
		"<h3 id=\"small-h\">A two-person practice</h3>",
		"Turn on full-disk encryption",
		"Encryption status reports",
		// The crosswalk is NIST's, named as such with its source.
		`<h3 id="cw-nist-h">NIST's mapping</h3>`, "<dt>NIST Cybersecurity Framework 1.1</dt>", "<code>PR.DS-1</code>",
		"<dt>NIST SP 800-53 Rev. 5.1.1</dt><dd><code>SC-13</code></dd>", "<strong>Source:</strong> NIST&#39;s own mapping", "SP 800-66 Rev. 2",
		`href="/catalog/faq#faq-encryption-mandatory">Is encryption mandatory under the Security Rule?</a>`,
		"What would change under the proposed rule",
		"Requirement: addressable → required",
		"Kind: specification → standard",
		"164.312(b)</span> <span class=\"muted\">(approximate)</span>",
		"Would become a standard of its own requiring encryption",
		`href="/catalog/entries/164.312%28a%29%282%29%28iv%29?profile=nprm-2025">Read this entry in the 2025 proposed rule`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("entry page lacks %q", want)
		}
	}
	for _, not := range []string{"<code>SC-28</code>", "<code>SC-8</code>", "Safeguard's own pairings", "CSF 2.0"} {
		if strings.Contains(body, not) {
			t.Errorf("entry page shows %q, which is not NIST's mapping of encryption and decryption", not)
		}
	}
	// What Safeguard adds for an entry only the proposal has is labelled as its own.
	own := c.Get(t, "/catalog/entries/nprm:patch-management?profile=nprm-2025").Body.String()
	for _, want := range []string{`<h3 id="cw-own-h">Safeguard's own pairings</h3>`, "<dt>NIST Cybersecurity Framework 2.0 (CSWP 29, February 2024)</dt>", "<code>SI-2</code>", "not NIST&#39;s"} {
		if !strings.Contains(own, want) {
			t.Errorf("proposal-only entry page lacks %q", want)
		}
	}
	if strings.Contains(own, "NIST's mapping</h3>") {
		t.Error("proposal-only entry page presents Safeguard's pairings as NIST's")
	}
	// A standard lists its specifications and key activities.
	std := c.Get(t, "/catalog/entries/164.312(a)(1)").Body.String()
	for _, want := range []string{"<h2>Implementation specifications</h2>", "Unique user identification", "<h2>Key activities</h2>", "Establish an Emergency Access Procedure"} {
		if !strings.Contains(std, want) {
			t.Errorf("standard's page lacks %q", want)
		}
	}
	// Seen from the proposed profile, the same entry is a required standard.
	prop := c.Get(t, "/catalog/entries/164.312(a)(2)(iv)?profile=nprm-2025").Body.String()
	for _, want := range []string{"Proposed rule, not in force", `<span class="badge req-required">Required</span>`, "What this changes from the rule in force", "Read this entry in the Security Rule in force"} {
		if !strings.Contains(prop, want) {
			t.Errorf("proposed entry page lacks %q", want)
		}
	}
	// History keeps the 2013 renumbering.
	if b := c.Get(t, "/catalog/entries/164.308(b)(3)").Body.String(); !strings.Contains(b, "formerly <span class=\"citation\">164.308(b)(4)</span>") {
		t.Error("164.308(b)(3) does not show its former citation")
	}
}

func TestCatalogEntryRedirects(t *testing.T) {
	t.Parallel()
	_, c := catalogServer(t)
	tests := []struct{ path, want string }{
		{"/catalog/entries/164.308(b)(4)", "/catalog/entries/164.308%28b%29%283%29?from=164.308%28b%29%284%29"},
		{"/catalog/entries/164.312(a)", "/catalog/entries/164.312%28a%29%281%29?from=164.312%28a%29"},
		{"/catalog/entries/45%20CFR%20164.312(A)(2)(IV)", "/catalog/entries/164.312%28a%29%282%29%28iv%29"},
		{"/catalog/entries/164.308(b)(4)?profile=nprm-2025", "/catalog/entries/164.308%28b%29%283%29?from=164.308%28b%29%284%29&profile=nprm-2025"},
	}
	for _, tt := range tests {
		w := c.Get(t, tt.path)
		if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != tt.want {
			t.Errorf("GET %s = %d to %q, want 301 to %q", tt.path, w.Code, w.Header().Get("Location"), tt.want)
		}
	}
	body := c.Get(t, tests[0].want).Body.String()
	if !strings.Contains(body, "You followed <span class=\"citation\">164.308(b)(4)</span>, its former citation (renumbered 2013-01-25") {
		t.Errorf("the redirected page does not explain the old citation")
	}
	// A from that does not lead here is ignored.
	if body := c.Get(t, "/catalog/entries/164.308(b)(3)?from=164.312(b)").Body.String(); strings.Contains(body, "You followed") {
		t.Error("the page believed a from parameter that does not resolve to it")
	}
}

func TestCatalogUnknownEntry(t *testing.T) {
	t.Parallel()
	_, c := catalogServer(t)
	w := c.Get(t, "/catalog/entries/164.312(a)(2)(v)")
	body := w.Body.String()
	if w.Code != http.StatusNotFound {
		t.Fatalf("GET unknown entry = %d, want 404", w.Code)
	}
	for _, want := range []string{"<h1>No such entry</h1>", "Nearest entries", `href="/catalog/entries/164.312%28a%29%282%29%28iv%29"`, `value="164.312(a)(2)(v)"`} {
		if !strings.Contains(body, want) {
			t.Errorf("404 page lacks %q", want)
		}
	}
	// An entry only the proposal has is pointed to from the rule in force.
	w = c.Get(t, "/catalog/entries/nprm:patch-management")
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `href="/catalog/entries/nprm:patch-management?profile=nprm-2025"`) {
		t.Errorf("GET a proposal-only entry in the rule in force = %d, want 404 linking the proposed profile", w.Code)
	}
	// Words rather than a citation are suggested by search.
	if w := c.Get(t, "/catalog/entries/encryption"); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "Encryption and decryption") {
		t.Errorf("GET /catalog/entries/encryption = %d, want 404 suggesting the encryption entries", w.Code)
	}
}

func TestCatalogSearchFAQDiff(t *testing.T) {
	t.Parallel()
	_, c := catalogServer(t)
	body := c.Get(t, "/catalog/search?q=encryption").Body.String()
	for _, want := range []string{`Search results for “encryption”`, `href="/catalog/entries/164.312%28a%29%282%29%28iv%29"`, `href="/catalog/faq#faq-encryption-mandatory"`, `value="encryption"`} {
		if !strings.Contains(body, want) {
			t.Errorf("search page lacks %q", want)
		}
	}
	body = c.Get(t, "/catalog/search?q=encryption&profile=nprm-2025").Body.String()
	if !strings.Contains(body, `<input type="hidden" name="profile" value="nprm-2025">`) || !strings.Contains(body, "?profile=nprm-2025") {
		t.Error("a search in the proposed profile does not stay in it")
	}
	if w := c.Get(t, "/catalog/search?q="+strings.Repeat("x", 201)); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("a 201-character query = %d, want 422", w.Code)
	}

	body = c.Get(t, "/catalog/faq").Body.String()
	if n := strings.Count(body, `<article class="faq card"`); n != 28 {
		t.Errorf("FAQ page lists %d questions, want 28", n)
	}
	for _, want := range []string{`id="faq-cloud-service-providers"`, `id="faq-ransomware"`} {
		if !strings.Contains(body, want) {
			t.Errorf("FAQ page lacks %s", want)
		}
	}
	body = c.Get(t, "/catalog/faq?q=automatic+logoff").Body.String()
	for _, want := range []string{`id="faq-telecommuting-automatic-logoff"`, `href="/catalog/entries/164.312%28a%29%282%29%28iii%29"`, `<label for="faq-q">Search the FAQ</label>`} {
		if !strings.Contains(body, want) {
			t.Errorf("FAQ search lacks %q", want)
		}
	}
	if strings.Contains(body, `id="faq-certification"`) {
		t.Error("FAQ search for automatic logoff shows the certification question")
	}

	body = c.Get(t, "/catalog/diff?a=current&b=nprm-2025").Body.String()
	for _, want := range []string{`<caption id="diff-caption">`, `<th scope="col">What changes</th>`, `<span class="badge change-removed">Removed</span>`, "Requirement: addressable → required", "Not in force."} {
		if !strings.Contains(body, want) {
			t.Errorf("diff page lacks %q", want)
		}
	}
	if w := c.Get(t, "/catalog/diff?a=current&b=final-2030"); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("diff with an unknown profile = %d, want 422", w.Code)
	}
	if body := c.Get(t, "/catalog/diff?a=current&b=current").Body.String(); !strings.Contains(body, "The two versions do not differ.") {
		t.Error("a profile compared with itself shows differences")
	}
}

func decodeJSON200(t *testing.T, c *webtest.Client, path string, v any) {
	t.Helper()
	w := c.Get(t, path)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s Content-Type = %q", path, ct)
	}
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func TestCatalogAPIList(t *testing.T) {
	t.Parallel()
	_, c := catalogServer(t)
	type item struct {
		Citation, Title, Kind, Requirement, Category, Standard, Profile string
	}
	type page struct {
		Items      []item  `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	seen := map[string]bool{}
	var order []string
	path := "/api/v1/catalog?limit=10"
	pages := 0
	for {
		var p page
		decodeJSON200(t, c, path, &p)
		pages++
		if len(p.Items) > 10 {
			t.Fatalf("page of %d items with limit=10", len(p.Items))
		}
		for _, it := range p.Items {
			if seen[it.Citation] {
				t.Errorf("%s listed twice", it.Citation)
			}
			seen[it.Citation] = true
			order = append(order, it.Citation)
			if it.Title == "" || it.Kind == "" || it.Category == "" || it.Standard == "" || it.Profile != "current" {
				t.Errorf("item %+v lacks a field", it)
			}
		}
		if p.NextCursor == nil {
			break
		}
		path = "/api/v1/catalog?limit=10&cursor=" + url.QueryEscape(*p.NextCursor)
		if pages > 20 {
			t.Fatal("paging does not end")
		}
	}
	cat, _ := catalog.Default()
	cur, _ := cat.Profile("current")
	want := cur.Entries()
	if len(order) != 65 || len(want) != 65 || pages != 7 {
		t.Fatalf("walked %d entries in %d pages, want 65 in 7", len(order), pages)
	}
	for i, e := range want {
		if order[i] != e.Citation {
			t.Errorf("item %d = %s, want %s (the order of the rule)", i, order[i], e.Citation)
		}
	}

	var p page
	decodeJSON200(t, c, "/api/v1/catalog?category=technical&requirement=addressable", &p)
	var got []string
	for _, it := range p.Items {
		got = append(got, it.Citation)
	}
	if strings.Join(got, " ") != "164.312(a)(2)(iii) 164.312(a)(2)(iv) 164.312(c)(2) 164.312(e)(2)(i) 164.312(e)(2)(ii)" || p.NextCursor != nil {
		t.Errorf("technical addressable = %v (next %v)", got, p.NextCursor)
	}
	decodeJSON200(t, c, "/api/v1/catalog?profile=nprm-2025&requirement=addressable", &p)
	if len(p.Items) != 0 {
		t.Errorf("the proposed rule has %d addressable entries, want none", len(p.Items))
	}
	decodeJSON200(t, c, "/api/v1/catalog?profile=nprm-2025&limit=500", &p)
	if len(p.Items) != 87 || p.Items[0].Profile != "nprm-2025" {
		t.Errorf("nprm-2025 lists %d entries, want 87", len(p.Items))
	}
}

func TestCatalogAPIBadInput(t *testing.T) {
	t.Parallel()
	_, c := catalogServer(t)
	tests := []struct {
		path   string
		status int
		fields []string
	}{
		{"/api/v1/catalog?profile=draft&category=cosmic&requirement=optional", 422, []string{"profile", "category", "requirement"}},
		{"/api/v1/catalog?limit=0", 422, []string{"limit"}},
		{"/api/v1/catalog?limit=ten", 422, []string{"limit"}},
		{"/api/v1/catalog?cursor=not-a-cursor", 422, []string{"cursor"}},
		{"/api/v1/catalog/164.312(a)(2)(iv)?profile=draft", 422, []string{"profile"}},
		{"/api/v1/catalog/diff?a=x&b=y", 422, []string{"a", "b"}},
		{"/api/v1/catalog/search", 422, []string{"q"}},
		{"/api/v1/catalog/faq?q=" + strings.Repeat("q", 300), 422, []string{"q"}},
		{"/api/v1/catalog/164.399(z)", 404, nil},
	}
	for _, tt := range tests {
		w := c.Get(t, tt.path)
		var body web.ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Errorf("GET %s: body %q is not JSON", tt.path, w.Body)
			continue
		}
		if w.Code != tt.status {
			t.Errorf("GET %s = %d %s, want %d", tt.path, w.Code, w.Body, tt.status)
		}
		for _, f := range tt.fields {
			if body.Error.Fields[f] == "" {
				t.Errorf("GET %s: fields %v lack %q", tt.path, body.Error.Fields, f)
			}
		}
	}
}

func TestCatalogAPIEntry(t *testing.T) {
	t.Parallel()
	_, c := catalogServer(t)
	var e struct {
		catalog.Entry
		Profile            string `json:"profile"`
		ProfileStatus      string `json:"profile_status"`
		StandardTitle      string `json:"standard_title"`
		FAQs               []catalog.FAQ
		CrosswalkSources   catalog.CrosswalkSources `json:"crosswalk_sources"`
		ResolvedFrom       string                   `json:"resolved_from"`
		InheritedCrosswalk *struct {
			From string `json:"from"`
		} `json:"inherited_crosswalk"`
		Changes []struct {
			FromProfile string `json:"from_profile"`
			ToProfile   string `json:"to_profile"`
			catalog.Difference
		} `json:"changes"`
	}
	decodeJSON200(t, c, "/api/v1/catalog/164.312(a)(2)(iv)", &e)
	if e.Citation != "164.312(a)(2)(iv)" || e.Title != "Encryption and decryption" || e.Kind != catalog.KindSpecification ||
		e.Requirement != catalog.Addressable || e.Category != catalog.Technical || e.Standard != "164.312(a)(1)" ||
		e.Profile != "current" || e.ProfileStatus != "final" || e.StandardTitle != "Access control" {
		t.Errorf("entry = %+v", e)
	}
	if e.Guidance.Summary == "" || len(e.Questions) == 0 || len(e.FAQs) == 0 {
		t.Errorf("entry lacks guidance, questions or FAQ: %+v", e)
	}
	// The crosswalk is NIST's, and says so.
	if !slices.Equal(e.Crosswalk.NIST.SP80053, []string{"SC-13"}) || len(e.Crosswalk.NIST.CSF) == 0 || !e.Crosswalk.Safeguard.IsZero() ||
		e.CrosswalkSources.NIST.Author != "NIST" || !strings.Contains(e.CrosswalkSources.NIST.Source, "SP 800-66 Rev. 2") ||
		e.CrosswalkSources.NIST.CSFVersion != "NIST Cybersecurity Framework 1.1" {
		t.Errorf("crosswalk = %+v from %+v, want NIST's SC-13 and CSF 1.1, named as NIST's", e.Crosswalk, e.CrosswalkSources.NIST)
	}
	if len(e.Changes) != 1 || e.Changes[0].ToProfile != "nprm-2025" || e.Changes[0].Change != "changed" {
		t.Errorf("changes = %+v, want one change under nprm-2025", e.Changes)
	}
	// Old citations resolve.
	e.ResolvedFrom = ""
	decodeJSON200(t, c, "/api/v1/catalog/164.308(b)(4)", &e)
	if e.Citation != "164.308(b)(3)" || e.ResolvedFrom != "164.308(b)(4)" {
		t.Errorf("164.308(b)(4) resolves to %s from %q, want 164.308(b)(3)", e.Citation, e.ResolvedFrom)
	}
	e.Crosswalk = catalog.Crosswalk{}
	decodeJSON200(t, c, "/api/v1/catalog/nprm:patch-management?profile=nprm-2025", &e)
	if e.Title != "Patch management" || e.ProfileStatus != "proposed" || len(e.Changes) != 1 || e.Changes[0].Change != "added" || e.Changes[0].FromProfile != "current" {
		t.Errorf("patch management = %s %s %+v", e.Title, e.ProfileStatus, e.Changes)
	}
	if !e.Crosswalk.NIST.IsZero() || len(e.Crosswalk.Safeguard.SP80053) == 0 || e.CrosswalkSources.Safeguard.Author != "Safeguard" ||
		!strings.Contains(e.CrosswalkSources.Safeguard.Source, "not NIST's") {
		t.Errorf("patch management crosswalk = %+v from %+v, want Safeguard's own, labelled", e.Crosswalk, e.CrosswalkSources.Safeguard)
	}
	// Unknown: 404 naming the nearest entries.
	w := c.Get(t, "/api/v1/catalog/164.312(a)(2)(v)")
	var body web.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 404 || body.Error.Code != "not_found" ||
		!strings.Contains(body.Error.Message, "Nearest: ") || !strings.Contains(body.Error.Message, "164.312(a)(2)(iv) (Encryption and decryption)") {
		t.Errorf("unknown entry = %d %s", w.Code, w.Body)
	}
}

func TestCatalogAPIFAQDiffSearch(t *testing.T) {
	t.Parallel()
	_, c := catalogServer(t)
	var faqs web.List[catalog.FAQ]
	decodeJSON200(t, c, "/api/v1/catalog/faq", &faqs)
	if len(faqs.Items) != 28 {
		t.Errorf("FAQ lists %d, want 28", len(faqs.Items))
	}
	decodeJSON200(t, c, "/api/v1/catalog/faq?q=automatic+logoff", &faqs)
	if len(faqs.Items) == 0 || faqs.Items[0].ID != "telecommuting-automatic-logoff" {
		t.Errorf("FAQ search for automatic logoff = %+v", faqs.Items)
	}
	decodeJSON200(t, c, "/api/v1/catalog/faq?q=zzyzx", &faqs)
	if faqs.Items == nil || len(faqs.Items) != 0 {
		t.Errorf("FAQ search for nothing = %+v, want an empty list", faqs.Items)
	}
	var diffs web.List[catalog.Difference]
	decodeJSON200(t, c, "/api/v1/catalog/diff?a=current&b=nprm-2025&limit=500", &diffs)
	cat, _ := catalog.Default()
	all, _ := cat.Diff("current", "nprm-2025")
	if len(diffs.Items) != len(all) || diffs.Items[0].Citation != all[0].Citation {
		t.Errorf("diff lists %d differences, want %d", len(diffs.Items), len(all))
	}
	var hits web.List[catalog.Hit]
	decodeJSON200(t, c, "/api/v1/catalog/search?q=encryption", &hits)
	found := false
	for _, h := range hits.Items {
		found = found || (h.Kind == catalog.HitEntry && h.ID == "164.312(a)(2)(iv)")
	}
	if !found {
		t.Errorf("search for encryption = %+v, want 164.312(a)(2)(iv)", hits.Items)
	}
}

// The catalogue needs no organisation, and a user of any role, or none,
// reads it the same way.
func TestCatalogForEveryRole(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		o, err := db.CreateOrg(t.Context(), store.Actor{Name: "test"}, identity.Org{Slug: "clinic", Name: "Clinic", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		s := newServer(t, db, nil)
		for _, role := range []identity.Role{identity.RoleContributor, identity.RoleViewer, identity.RoleAuditor} {
			email := string(role) + "@example.org"
			webtest.CreateUser(t, db, email, false, o.ID, role)
			c := webtest.Login(t, s, email, webtest.Password)
			for _, path := range []string{"/catalog", "/api/v1/catalog/164.312(b)"} {
				if w := c.Get(t, path); w.Code != http.StatusOK {
					t.Errorf("%s: GET %s = %d, want 200", role, path, w.Code)
				}
			}
		}
	})
}

// TestTemplatesRenderZeroValues renders every catalogue page with its zero
// value, so a template that breaks on missing data fails here.
func TestTemplatesRenderZeroValues(t *testing.T) {
	s := newServer(t, storetest.SQLite(t), nil)
	zero := map[string]web.PageData{
		"catalog":         &catalogView{},
		"catalog_entry":   &catalogEntryView{},
		"catalog_missing": &catalogMissingView{},
		"catalog_faq":     &catalogFAQView{},
		"catalog_diff":    &catalogDiffView{},
		"catalog_search":  &catalogSearchView{},
		"catalog_general": &catalogGeneralView{},
	}
	webtest.RenderZeroValues(t, s, New(nil).Templates(), zero)
}

// TestCatalogVersionSwitchNeverLeadsNowhere follows the version switch of
// every entry page in every profile: each link answers 200, and one that
// cannot show the entry itself says why (issue 12).
func TestCatalogVersionSwitchNeverLeadsNowhere(t *testing.T) {
	t.Parallel()
	_, c := catalogServer(t)
	cat, _ := catalog.Default()
	hrefRE := regexp.MustCompile(`<nav class="profile-switch"[\s\S]*?</nav>`)
	linkRE := regexp.MustCompile(`href="([^"]+)"`)
	checked := 0
	for _, p := range cat.Profiles() {
		for _, e := range p.Entries() {
			page := c.Get(t, entryHref(e.Citation, p.ID))
			if page.Code != http.StatusOK {
				t.Fatalf("GET %s = %d", entryHref(e.Citation, p.ID), page.Code)
			}
			nav := hrefRE.FindString(page.Body.String())
			for _, m := range linkRE.FindAllStringSubmatch(nav, -1) {
				href := html.UnescapeString(m[1])
				w := c.Get(t, href)
				if w.Code != http.StatusOK {
					t.Errorf("%s in %s: the switch to %s answers %d", e.Citation, p.ID, href, w.Code)
					continue
				}
				checked++
				if strings.Contains(href, "absent=") && !strings.Contains(w.Body.String(), `class="notice absent-note"`) {
					t.Errorf("%s in %s: the switch to %s does not say the entry is not there", e.Citation, p.ID, href)
				}
			}
		}
	}
	if checked < 150 {
		t.Errorf("followed %d switch links, want every entry's", checked)
	}

	// A specification only the proposal adds leads to its standard in the
	// rule in force; a standard only the proposal adds, to its category.
	for _, tt := range []struct{ from, want, note string }{
		{"nprm:log-in-attempts", "/catalog/entries/164.312%28a%29%281%29?absent=nprm%3Alog-in-attempts", "not in the Security Rule in force (as amended 2013); this is its standard here"},
		{"nprm:patch-management", "/catalog/categories/administrative?absent=nprm%3Apatch-management", "not in the Security Rule in force (as amended 2013); this is its category here"},
	} {
		body := c.Get(t, entryHref(tt.from, catalog.ProfileNPRM2025)).Body.String()
		if !strings.Contains(body, `href="`+html.EscapeString(tt.want)+`">Rule in force`) {
			t.Errorf("%s: the Rule in force switch does not lead to %s", tt.from, tt.want)
		}
		got := c.Get(t, tt.want).Body.String()
		if !strings.Contains(got, tt.note) || !strings.Contains(got, "is only in the 2025 proposed rule") || !strings.Contains(got, `href="`+html.EscapeString(entryHref(tt.from, catalog.ProfileNPRM2025))+`"`) {
			t.Errorf("%s: the page the switch leads to lacks the notice and the way back", tt.want)
		}
	}
	// An entry the proposal drops leads to its category in the proposal.
	body := c.Get(t, "/catalog/entries/164.308(a)(1)").Body.String()
	if !strings.Contains(body, `href="/catalog/categories/administrative?absent=164.308%28a%29%281%29&amp;profile=nprm-2025"`) {
		t.Error("164.308(a)(1): the proposed rule switch does not lead to its category in the proposal")
	}
	// A bogus absent parameter shows nothing.
	if b := c.Get(t, "/catalog/categories/technical?absent=164.312(b)").Body.String(); strings.Contains(b, "absent-note") {
		t.Error("an absent parameter naming an entry that is here shows a notice")
	}
}

// singularRE finds a count of one with a plural noun.
var singularRE = regexp.MustCompile(`(^|[^0-9])1 (entries|standards|implementation specifications|questions|FAQ answers)|[^0-9]1 of [0-9]+ questions match `)

// TestCatalogPlurals: counts read as English, one included (issue 12).
func TestCatalogPlurals(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0 entries", 1: "1 entry", 2: "2 entries"} {
		if got := count(n, "entry", "entries"); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
	_, c := catalogServer(t)
	for path, want := range map[string][]string{
		"/catalog/search?q=clearinghouse+isolating":           {"1 entry and 0 FAQ answers"},
		"/catalog/search?q=sponsor":                           {"2 entries and 1 FAQ answer in"},
		"/catalog/faq?q=ransomware":                           {"1 of 28 questions matches"},
		"/catalog/faq":                                        {"28 questions."},
		"/catalog/categories/organizational":                  {"2 standards, 4 implementation specifications"},
		"/catalog":                                            {"65 entries", "28 questions"},
		"/catalog/categories/documentation?profile=nprm-2025": {"implementation specifications"},
	} {
		body := c.Get(t, path).Body.String()
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", path, w)
			}
		}
		if bad := singularRE.FindString(body); bad != "" {
			t.Errorf("GET %s says %q", path, bad)
		}
	}
}

// TestCatalogShowsNoKeys: the internal keys of entries only the proposal
// has identify them in URLs, never in what a page shows (issue 12).
func TestCatalogShowsNoKeys(t *testing.T) {
	t.Parallel()
	_, c := catalogServer(t)
	tagRE := regexp.MustCompile(`<[^>]*>`)
	for _, path := range []string{
		"/catalog?profile=nprm-2025",
		"/catalog/categories/technical?profile=nprm-2025",
		"/catalog/entries/nprm:log-in-attempts?profile=nprm-2025",
		"/catalog/entries/nprm:vulnerability-scanning?profile=nprm-2025",
		"/catalog/entries/nprm:vulnerability-management?profile=nprm-2025",
		"/catalog/diff?a=current&b=nprm-2025",
		"/catalog/search?q=patch&profile=nprm-2025",
		"/catalog/entries/nprm:patch-management",
	} {
		w := c.Get(t, path)
		text := html.UnescapeString(tagRE.ReplaceAllString(w.Body.String(), " "))
		if i := strings.Index(text, "nprm:"); i >= 0 {
			t.Errorf("GET %s shows the key %q", path, text[i:min(len(text), i+40)])
		}
	}
	body := c.Get(t, "/catalog/entries/nprm:log-in-attempts?profile=nprm-2025").Body.String()
	for _, want := range []string{
		`<h1 id="entry-h"><span class="citation">Proposed 164.312(a)(2)(v)</span> Log-in attempts</h1>`,
		`<title>Proposed 164.312(a)(2)(v) Log-in attempts · Catalogue · Safeguard</title>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("log-in attempts page lacks %s", want)
		}
	}
	if b := c.Get(t, "/catalog/entries/nprm:compliance-audit?profile=nprm-2025").Body.String(); !strings.Contains(b, `<span class="citation">Proposed 164.308(a)(14) (approximate)</span>`) {
		t.Error("an unchecked proposed paragraph is not shown as approximate")
	}
}
