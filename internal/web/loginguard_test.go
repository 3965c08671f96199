package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestSafeNextRefusesOffSiteRedirects feeds safeNext the strings browsers
// are known to follow to another host, and some that must stay as they are.
func TestSafeNextRefusesOffSiteRedirects(t *testing.T) {
	offSite := []string{
		"/\t/evil.example", "/\\evil.example", "/\\/evil.example", "\\/\\/evil.example", "//evil.example",
		" /\\/evil.example", "/\r\n/evil.example", "\x00//evil.example", "\t//evil.example", "/\n/evil.example",
		"https:evil.example", "https://evil.example", "http:/evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
		" javascript:alert(1)", "data:text/html,x", "evil.example", "/\u3000/evil.example", "/\uff0f/evil.example",
		"/\u2215evil.example", "\u200b//evil.example", "/\x7f/evil.example", "/\x0b/evil.example", "\\\\evil.example",
		"/\\\\evil.example", "//\\evil.example", "/ /evil.example",
	}
	for _, next := range offSite {
		got := safeNext(next)
		if got != "/" {
			t.Errorf("safeNext(%q) = %q, want /", next, got)
		}
		// What is left must be a path a browser keeps on this origin.
		base, _ := url.Parse("https://safeguard.example/login")
		if u, err := base.Parse(got); err != nil || u.Host != "safeguard.example" {
			t.Errorf("safeNext(%q) = %q leaves the site", next, got)
		}
	}
	same := map[string]string{
		"":                           "/",
		"/":                          "/",
		"/orgs/riverside":            "/orgs/riverside",
		"/orgs/riverside?tab=a#b":    "/orgs/riverside?tab=a#b",
		"/%2F%2Fevil.example":        "/%2F%2Fevil.example", // a path segment, not a host
		"/orgs/x/risks?q=%2F%2Fevil": "/orgs/x/risks?q=%2F%2Fevil",
		" /orgs/riverside\n":         "/orgs/riverside",
	}
	for next, want := range same {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestLoginRedirectStaysOnSite performs the reported attack: the sign-in
// form posted with next=/%09/evil.example must not redirect off the site.
func TestLoginRedirectStaysOnSite(t *testing.T) {
	db := storetest.SQLite(t)
	s, _ := newTestServer(t, db, Config{})
	createUser(t, db, "owner@example.org", false, 0, "")
	for _, next := range []string{"/\t/evil.example", "/\\evil.example", "\\/\\/evil.example", " /\\/evil.example", "/\r\n/evil.example", "https:evil.example"} {
		f := preSessionForm(t, s, "/login")
		f.values.Set("email", "owner@example.org")
		f.values.Set("password", testPassword)
		f.values.Set("next", next)
		w := f.post(t, s, "/login")
		loc := w.Header().Get("Location")
		base, _ := url.Parse("http://example.com/login")
		u, err := base.Parse(loc)
		if w.Code != http.StatusSeeOther || err != nil || u.Host != "example.com" {
			t.Errorf("POST /login next=%q = %d Location %q, want a redirect on this site", next, w.Code, loc)
		}
		// The sign-in page reflects next into its form; it must be the safe one.
		page := httptest.NewRecorder()
		s.ServeHTTP(page, httptest.NewRequest("GET", "/login?next="+url.QueryEscape(next), nil))
		if strings.Contains(page.Body.String(), "evil.example") {
			t.Errorf("GET /login?next=%q reflects the off-site target", next)
		}
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// formToken is the CSRF token of the first form in an HTML page.
func formToken(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil || m[1] == "" {
		t.Fatalf("no CSRF token in the page:\n%s", body)
	}
	return m[1]
}

// preForm is a browser before signing in: the cookies and the form token a
// pre-session page gave it.
type preForm struct {
	cookies []*http.Cookie
	values  url.Values
}

// preSessionForm opens a pre-session page (the sign-in or invitation page)
// as a new browser would.
func preSessionForm(t *testing.T, h http.Handler, path string) *preForm {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", path, w.Code)
	}
	return &preForm{cookies: w.Result().Cookies(), values: url.Values{"csrf": {formToken(t, w.Body.String())}}}
}

// post submits the form with the page's cookies.
func (f *preForm) post(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("POST", path, strings.NewReader(f.values.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	for _, c := range f.cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
