package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestSafeNextRefusesOffSiteRedirects feeds safeNext the strings browsers
// are known to follow to another host, and some that must stay as they are.
func TestSafeNextRefusesOffSiteRedirects(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// apiLoginFrom posts to /api/v1/login from the given address.
func apiLoginFrom(t *testing.T, h http.Handler, ip, email, password, totp string) *httptest.ResponseRecorder {
	t.Helper()
	body := `{"email":` + quote(email) + `,"password":` + quote(password)
	if totp != "" {
		body += `,"totp":` + quote(totp)
	}
	r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(body+"}"))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = ip + ":40000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func hasSessionCookie(w *httptest.ResponseRecorder) bool {
	for _, c := range w.Result().Cookies() {
		if (c.Name == SessionCookie || c.Name == secureSessionCookie) && c.Value != "" {
			return true
		}
	}
	return false
}

// TestLoginCSRFRefused performs login CSRF: another site posts the sign-in
// form (or the JSON login as a simple request) with the attacker's
// credentials, from a sandboxed frame (Origin: null) and without
// Sec-Fetch-Site. No session may start.
func TestLoginCSRFRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := newTestServer(t, db, Config{})
		createUser(t, db, "mallory@example.org", false, 0, "")
		creds := url.Values{"email": {"mallory@example.org"}, "password": {testPassword}, "next": {"/"}}
		post := func(path, contentType, body string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
			r := httptest.NewRequest("POST", path, strings.NewReader(body))
			r.Header.Set("Content-Type", contentType)
			r.Header.Set("Origin", "null")
			for _, c := range cookies {
				r.AddCookie(c)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			return w
		}
		if w := post("/login", "application/x-www-form-urlencoded", creds.Encode()); w.Code != http.StatusForbidden || hasSessionCookie(w) {
			t.Errorf("cross-site POST /login without a token = %d (session cookie %t), want 403 and none", w.Code, hasSessionCookie(w))
		}
		// The attacker's own token does not fit the victim's cookie.
		mine := preSessionForm(t, s, "/login")
		victim := preSessionForm(t, s, "/login")
		forged := url.Values{"csrf": mine.values["csrf"]}
		for k, v := range creds {
			forged[k] = v
		}
		if w := post("/login", "application/x-www-form-urlencoded", forged.Encode(), victim.cookies...); w.Code != http.StatusForbidden || hasSessionCookie(w) {
			t.Errorf("POST /login with another browser's token = %d, want 403", w.Code)
		}
		// A simple cross-site request to the JSON login: text/plain, or
		// no type at all.
		body := `{"email":"mallory@example.org","password":"` + testPassword + `"}`
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
			if w := post("/api/v1/login", ct, body); w.Code != http.StatusUnsupportedMediaType || hasSessionCookie(w) {
				t.Errorf("POST /api/v1/login as %q = %d (session cookie %t), want 415 and none", ct, w.Code, hasSessionCookie(w))
			}
		}
		// Safeguard's own form still works.
		mine.values.Set("email", "mallory@example.org")
		mine.values.Set("password", testPassword)
		if w := mine.post(t, s, "/login"); w.Code != http.StatusSeeOther || !hasSessionCookie(w) {
			t.Errorf("POST /login from the sign-in page = %d, want 303 with a session", w.Code)
		}
		if !contains(auditActions(t, db, 0), "auth.csrf_refused") {
			t.Error("the refused sign-in form was not audited")
		}
	})
}

// TestInvitationCSRFRefused: accepting an invitation signs the browser in,
// so another site must not be able to post it either.
func TestInvitationCSRFRefused(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, _ := newTestServer(t, db, Config{})
	createUser(t, db, "admin@example.org", true, 0, "")
	admin := loginFull(t, s, db, "admin@example.org", testPassword)
	w := admin.do(t, "POST", "/api/v1/admin/users", "application/json", strings.NewReader(`{"email":"new@example.org","name":"New"}`))
	var created struct {
		InvitationURL string `json:"invitation_url"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil || !strings.Contains(created.InvitationURL, "/invite/") {
		t.Skipf("no invitation URL from user creation: %d %s", w.Code, w.Body)
	}
	path := created.InvitationURL[strings.Index(created.InvitationURL, "/invite/"):]
	form := url.Values{"new": {"lantern orchard velvet"}, "confirm": {"lantern orchard velvet"}}
	r := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "null")
	w = httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || hasSessionCookie(w) {
		t.Errorf("cross-site POST %s = %d, want 403 and no session", path, w.Code)
	}
	f := preSessionForm(t, s, path)
	f.values.Set("new", "lantern orchard velvet")
	f.values.Set("confirm", "lantern orchard velvet")
	if w := f.post(t, s, path); w.Code != http.StatusSeeOther {
		t.Errorf("POST %s from its page = %d %s, want 303", path, w.Code, w.Body)
	}
}

// TestOwnerNotLockedOutByAttacker: an attacker at one address fails often
// enough to lock the account. The owner, on a new browser elsewhere, still
// signs in with password and second factor (API and form); the attacker
// stays throttled; others behind the attacker's address are not locked out.
func TestOwnerNotLockedOutByAttacker(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := newMFAServer(t, db)
		createUser(t, db, "alice@example.org", false, 0, "")
		createUser(t, db, "bob@example.org", false, 0, "")
		secret, recovery := m.enrolTOTP(t, login(t, m, "alice@example.org", testPassword))
		m.tick()
		const attacker, owner, elsewhere = "203.0.113.9", "198.51.100.7", "192.0.2.200"
		for i := range 8 {
			apiLoginFrom(t, m, attacker, "alice@example.org", fmt.Sprintf("guess-%d-wrong-password", i), "")
		}
		// Spraying other accounts from the same address.
		for i := range 30 {
			apiLoginFrom(t, m, attacker, fmt.Sprintf("user%d@example.org", i), "guess-wrong-password", "")
		}
		if w := apiLoginFrom(t, m, attacker, "alice@example.org", "yet-another-wrong-guess", ""); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
			t.Fatalf("attacker after 8 failures = %d, want 429 with Retry-After", w.Code)
		}
		// The owner, new browser, another address: the password alone
		// waits, and the answer says a second factor would pass.
		w := apiLoginFrom(t, m, owner, "alice@example.org", testPassword, "")
		if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "totp") {
			t.Fatalf("owner with the password alone = %d %s, want 429 mentioning totp", w.Code, w.Body)
		}
		w = apiLoginFrom(t, m, owner, "alice@example.org", testPassword, m.code(secret))
		if w.Code != http.StatusOK || !hasSessionCookie(w) {
			t.Fatalf("owner with password and TOTP while locked = %d %s, want 200", w.Code, w.Body)
		}
		var me MeJSON
		if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil || me.PendingStep != "" {
			t.Errorf("owner's session still owes %q (%v), want none", me.PendingStep, err)
		}
		// The form on a new browser: the lock shows the code field; password
		// and a recovery code sign in.
		f := preSessionForm(t, m, "/login")
		f.values.Set("email", "alice@example.org")
		f.values.Set("password", testPassword)
		w = f.post(t, m, "/login")
		if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), `name="code"`) {
			t.Fatalf("form sign-in with the password alone while locked = %d, want 429 with a code field", w.Code)
		}
		f.values.Set("csrf", formToken(t, w.Body.String()))
		f.values.Set("code", recovery[0])
		f.values.Set("next", "/account")
		if w := f.post(t, m, "/login"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account" {
			t.Errorf("form sign-in with password and recovery code while locked = %d %s, want 303 to /account", w.Code, w.Header().Get("Location"))
		}
		// The attacker is still throttled: at his address, and elsewhere a
		// guess with a made-up code gets the same answer as a right
		// password with a wrong code.
		if w := apiLoginFrom(t, m, attacker, "alice@example.org", testPassword, m.code(secret)); w.Code != http.StatusTooManyRequests {
			t.Errorf("attacker's address, even with both factors = %d, want 429", w.Code)
		}
		wrongPw := apiLoginFrom(t, m, elsewhere, "alice@example.org", "not-the-password-at-all", "123456")
		wrongCode := apiLoginFrom(t, m, elsewhere, "alice@example.org", testPassword, "654321")
		if wrongPw.Code != http.StatusTooManyRequests || wrongCode.Code != wrongPw.Code || errorCode(t, wrongPw) != errorCode(t, wrongCode) {
			t.Errorf("while locked: wrong password = %d, wrong code = %d, want the same 429", wrongPw.Code, wrongCode.Code)
		}
		if w := apiLoginFrom(t, m, elsewhere, "alice@example.org", testPassword, ""); w.Code != http.StatusTooManyRequests {
			t.Errorf("the account lock was lifted by the owner's sign-in: %d", w.Code)
		}
		// Bob shares the attacker's address and was never targeted.
		if w := apiLoginFrom(t, m, attacker, "bob@example.org", testPassword, ""); w.Code != http.StatusOK {
			t.Errorf("another user behind the attacker's address = %d %s, want 200", w.Code, w.Body)
		}
	})
}

var summaryCount = regexp.MustCompile(`^(\d+) more refused attempts from (\S+) between (\S+) and (\S+),`)

// refusals returns the audit entries of action and the attempts they
// account for: one each, plus the counts of summaries.
func refusals(t *testing.T, db *store.DB, action string) ([]audit.Entry, int) {
	t.Helper()
	entries, err := db.AuditEntries(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Entry
	n := 0
	for _, e := range entries {
		if e.Action != action {
			continue
		}
		out = append(out, e)
		if m := summaryCount.FindStringSubmatch(e.Summary); m != nil {
			c, _ := strconv.Atoi(m[1])
			n += c
		} else {
			n++
		}
	}
	return out, n
}

// TestTokenFloodAudited performs the audit flood: 5,000 requests with
// random unknown API tokens from one address. The log gets a handful of
// entries that still say who, from where, how many and when; the address
// is answered 429 after a few.
func TestTokenFloodAudited(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := newTestServer(t, db, Config{})
		const flood = 5000
		codes := map[int]int{}
		for i := range flood {
			secret, err := identity.NewSecret(identity.PrefixToken)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", fmt.Sprintf("/api/v1/me?i=%d", i), nil)
			r.Header.Set("Authorization", "Bearer "+secret)
			r.RemoteAddr = "203.0.113.50:51000"
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			codes[w.Code]++
			if w.Code == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
		if codes[http.StatusUnauthorized] != tokenFreeFailures || codes[http.StatusTooManyRequests] != flood-tokenFreeFailures {
			t.Errorf("answers = %v, want %d x 401 then 429", codes, tokenFreeFailures)
		}
		s.FlushAuthFailures()
		entries, attempts := refusals(t, db, "auth.token_refused")
		if len(entries) > 3 || attempts != flood {
			t.Fatalf("%d audit entries accounting for %d attempts, want at most 3 for %d", len(entries), attempts, flood)
		}
		for _, e := range entries {
			if e.Source != "203.0.113.50" || e.At.IsZero() {
				t.Errorf("entry %+v does not name the source and time", e)
			}
		}
		if !slices.ContainsFunc(entries, func(e audit.Entry) bool { return summaryCount.MatchString(e.Summary) }) {
			t.Errorf("entries %+v hold no summary with the count", entries)
		}
		// Another address is not throttled by this one.
		r := httptest.NewRequest("GET", "/api/v1/me", nil)
		r.Header.Set("Authorization", "Bearer "+identity.PrefixToken+"unknown")
		r.RemoteAddr = "198.51.100.8:51000"
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("unknown token from another address = %d, want 401", w.Code)
		}
	})
}

// TestSignInFailuresAggregated: a spray of failed sign-ins from one
// address is written as its first failure and one summary naming the count
// and some of the accounts tried.
func TestSignInFailuresAggregated(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, _ := newTestServer(t, db, Config{})
	const tries = 60
	for i := range tries {
		apiLoginFrom(t, s, "203.0.113.60", fmt.Sprintf("someone%d@example.org", i), "wrong-password-here", "")
	}
	s.FlushAuthFailures()
	entries, attempts := refusals(t, db, "auth.login_failed")
	if len(entries) != 2 || attempts != tries {
		t.Fatalf("%d auth.login_failed entries for %d attempts, want 2 for %d", len(entries), attempts, tries)
	}
	for _, e := range entries {
		if summaryCount.MatchString(e.Summary) && (e.Source != "203.0.113.60" || !strings.Contains(e.Summary, "someone1@example.org") || !strings.Contains(e.Summary, "54 others")) {
			t.Errorf("summary = %+v, want the source and the accounts tried", e)
		}
	}
}

// TestSignInFloodShed performs the sign-in flood: 48 sign-ins at once
// against a hasher that may run 2 hashes. No more than 2 hashes ever run
// together, the excess is answered 503 with Retry-After (JSON and HTML)
// without waiting for a slot, and shed attempts count as no failure.
func TestSignInFloodShed(t *testing.T) {
	db := storetest.SQLite(t)
	h := identity.NewHasher(2, 8*1024, 1, 2)
	h.QueueWait = 20 * time.Millisecond
	s, _ := newTestServer(t, db, Config{Hasher: h})
	createUser(t, db, "flood@example.org", false, 0, "")
	const clients = 48
	forms := make([]*preForm, clients)
	for i := range forms {
		forms[i] = preSessionForm(t, s, "/login")
		forms[i].values.Set("email", "flood@example.org")
		forms[i].values.Set("password", testPassword)
	}
	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var w *httptest.ResponseRecorder
			kind := "json"
			if i%2 == 0 {
				kind = "html"
				w = forms[i].post(t, s, "/login")
			} else {
				w = apiLoginFrom(t, s, fmt.Sprintf("198.51.100.%d", i), "flood@example.org", testPassword, "")
			}
			if w.Code == http.StatusServiceUnavailable {
				ra, _ := strconv.Atoi(w.Header().Get("Retry-After"))
				if ra < 1 {
					t.Errorf("%s 503 without Retry-After", kind)
				}
			}
			mu.Lock()
			codes[fmt.Sprintf("%s %d", kind, w.Code)]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if p := h.PeakConcurrency(); p > 2 {
		t.Errorf("peak concurrent hashes = %d, want at most 2", p)
	}
	if codes["html 503"] == 0 || codes["json 503"] == 0 || codes["html 303"]+codes["json 200"] == 0 {
		t.Errorf("answers = %v, want some sign-ins and some 503 of each kind", codes)
	}
	// Shed attempts are not failures: the account is not locked.
	if w := apiLoginFrom(t, s, "198.51.100.200", "flood@example.org", testPassword, ""); w.Code != http.StatusOK {
		t.Errorf("sign-in after the flood = %d, want 200", w.Code)
	}
	t.Logf("answers: %v, peak concurrent hashes %d", codes, h.PeakConcurrency())
}

// TestLoginFormAcrossReplicas signs in through a form one replica served
// and another received: replicas that share the key file share the
// pre-session CSRF key. A server with another key refuses the form.
func TestLoginFormAcrossReplicas(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		keys := newTestKeys(t)
		a, _ := newTestServer(t, db, Config{Keys: keys})
		b, _ := newTestServer(t, db, Config{Keys: keys})
		other, _ := newTestServer(t, db, Config{Keys: newTestKeys(t)})
		createUser(t, db, "ana@example.org", false, 0, "")
		form := preSessionForm(t, a, "/login")
		form.values.Set("email", "ana@example.org")
		form.values.Set("password", testPassword)
		if w := form.post(t, other, "/login"); w.Code != http.StatusForbidden || hasSessionCookie(w) {
			t.Errorf("form posted to a server with another key = %d, want 403 and no session", w.Code)
		}
		if w := form.post(t, b, "/login"); w.Code != http.StatusSeeOther || !hasSessionCookie(w) {
			t.Errorf("form served by one replica, posted to another = %d (session %t), want 303 and a session", w.Code, hasSessionCookie(w))
		}
	})
}
