package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// form posts an HTML form as the client, with its CSRF token in the form.
func (c *browserClient) form(t *testing.T, path string, values url.Values) *httptest.ResponseRecorder {
	t.Helper()
	if values == nil {
		values = url.Values{}
	}
	values.Set("csrf", c.csrf)
	csrf := c.csrf
	c.csrf = "" // sent in the form, not the header
	defer func() { c.csrf = csrf }()
	return c.do(t, "POST", path, "application/x-www-form-urlencoded", strings.NewReader(values.Encode()))
}

func auditActions(t *testing.T, db *store.DB, orgID int64) []string {
	t.Helper()
	entries, err := db.AuditEntries(context.Background(), orgID, 500)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestLoginFailuresAndThrottling(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, _ := newTestServer(t, db, Config{})
	createUser(t, db, "sam@example.org", false, 0, "")
	post := func(body string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = "203.0.113.5:1234"
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	// The owner signs in once from their browser, which remembers it.
	ok := post(`{"email":"sam@example.org","password":"` + testPassword + `"}`)
	if ok.Code != 200 {
		t.Fatalf("login = %d", ok.Code)
	}
	var device *http.Cookie
	for _, c := range ok.Result().Cookies() {
		if c.Name == deviceCookie {
			device = c
		}
	}
	if device == nil || !device.HttpOnly {
		t.Fatal("no HttpOnly device cookie after a successful sign-in")
	}
	// Bad input says nothing about which part was wrong.
	unknown := post(`{"email":"nobody@example.org","password":"whatever-it-is"}`)
	wrong := post(`{"email":"sam@example.org","password":"wrong-password-here"}`)
	if unknown.Code != 401 || wrong.Code != 401 || unknown.Body.String()[:60] != wrong.Body.String()[:60] {
		t.Errorf("unknown account %d %s / wrong password %d %s: want the same 401", unknown.Code, unknown.Body, wrong.Code, wrong.Body)
	}
	if w := post(`{"email": 42}`); w.Code != 400 || !strings.Contains(w.Body.String(), `field \"email\"`) {
		t.Errorf("malformed body = %d %s, want 400 naming the field", w.Code, w.Body)
	}
	if w := post(`{"email":"a@b.org","password":"x","extra":1}`); w.Code != 400 || !strings.Contains(w.Body.String(), "unknown field") {
		t.Errorf("unknown field = %d %s, want 400", w.Code, w.Body)
	}
	// An attacker keeps guessing: the account locks with growing waits.
	var last *httptest.ResponseRecorder
	for i := 0; i < 6; i++ {
		last = post(`{"email":"sam@example.org","password":"guess-number-` + string(rune('a'+i)) + `"}`)
	}
	if last.Code != http.StatusTooManyRequests || last.Header().Get("Retry-After") == "" {
		t.Fatalf("after repeated failures = %d (Retry-After %q), want 429 with Retry-After", last.Code, last.Header().Get("Retry-After"))
	}
	// Even the right password waits out the lock from an unknown browser...
	if w := post(`{"email":"sam@example.org","password":"` + testPassword + `"}`); w.Code != http.StatusTooManyRequests {
		t.Errorf("right password while locked, unknown browser = %d, want 429", w.Code)
	}
	// ...but the owner's own browser is not locked out by the attacker.
	if w := post(`{"email":"sam@example.org","password":"`+testPassword+`"}`, device); w.Code != 200 {
		t.Errorf("right password from the owner's known browser = %d %s, want 200", w.Code, w.Body)
	}
	actions := auditActions(t, db, 0)
	for _, want := range []string{"auth.login_failed", "auth.locked", "auth.throttled", "auth.login"} {
		if !contains(actions, want) {
			t.Errorf("audit log lacks %s; has %v", want, actions)
		}
	}
	// Back-off grows and is capped.
	if identity.Backoff(identity.ThrottleAccount, 4) != 0 || identity.Backoff(identity.ThrottleAccount, 5) != time.Second || identity.Backoff(identity.ThrottleAccount, 7) != 4*time.Second || identity.Backoff(identity.ThrottleAccount, 60) != identity.MaxLock {
		t.Errorf("backoff = %v %v %v %v", identity.Backoff(identity.ThrottleAccount, 4), identity.Backoff(identity.ThrottleAccount, 5), identity.Backoff(identity.ThrottleAccount, 7), identity.Backoff(identity.ThrottleAccount, 60))
	}
	if identity.Backoff(identity.ThrottleAddress, 20) != 0 {
		t.Errorf("an address is locked after 20 failures, want more room for shared addresses")
	}
}

func TestSessionsAndAutomaticLogoff(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		s, _ := newTestServer(t, db, Config{IdleTimeout: 10 * time.Minute, SessionLifetime: time.Hour})
		createUser(t, db, "sam@example.org", false, 0, "")
		c := login(t, s, "sam@example.org", testPassword)
		var me MeJSON
		if err := json.Unmarshal(c.get(t, "/api/v1/me").Body.Bytes(), &me); err != nil || me.Email != "sam@example.org" {
			t.Fatalf("me = %+v %v", me, err)
		}
		// The session cookie is HttpOnly and SameSite=Lax.
		for _, ck := range c.cookies {
			if ck.Name == SessionCookie && (!ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode) {
				t.Errorf("session cookie %+v, want HttpOnly and SameSite=Lax", ck)
			}
		}
		// Activity within the idle limit keeps the session.
		now = now.Add(9 * time.Minute)
		if w := c.get(t, "/api/v1/me"); w.Code != 200 {
			t.Fatalf("after 9 idle minutes = %d, want 200", w.Code)
		}
		// Asking for the status does not count as activity.
		now = now.Add(9 * time.Minute)
		var st map[string]any
		if err := json.Unmarshal(c.get(t, "/session/status").Body.Bytes(), &st); err != nil || st["seconds_left"].(float64) != 60 {
			t.Errorf("session status = %v %v, want 60 seconds left", st, err)
		}
		now = now.Add(2 * time.Minute)
		if w := c.get(t, "/api/v1/me"); w.Code != 401 {
			t.Errorf("after 11 idle minutes = %d, want 401 (automatic logoff)", w.Code)
		}
		if !contains(auditActions(t, db, 0), "session.end") {
			t.Error("the automatic logoff was not audited")
		}
		// The absolute lifetime ends even an active session.
		c = login(t, s, "sam@example.org", testPassword)
		for i := 0; i < 7; i++ {
			now = now.Add(9 * time.Minute)
			c.get(t, "/api/v1/me")
		}
		if w := c.get(t, "/api/v1/me"); w.Code != 401 {
			t.Errorf("after the 1-hour lifetime = %d, want 401", w.Code)
		}
	})
}

func TestCSRFAndOrigin(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, _ := newTestServer(t, db, Config{})
	createUser(t, db, "sam@example.org", false, 0, "")
	c := login(t, s, "sam@example.org", testPassword)
	token := c.csrf
	c.csrf = ""
	if w := c.do(t, "POST", "/account/sessions/end-others", "application/x-www-form-urlencoded", strings.NewReader("")); w.Code != 403 {
		t.Errorf("POST without a CSRF token = %d, want 403", w.Code)
	}
	c.csrf = "wrong"
	if w := c.do(t, "POST", "/account/sessions/end-others", "application/x-www-form-urlencoded", strings.NewReader("")); w.Code != 403 {
		t.Errorf("POST with a wrong CSRF token = %d, want 403", w.Code)
	}
	c.csrf = token
	if w := c.form(t, "/account/sessions/end-others", nil); w.Code != http.StatusSeeOther {
		t.Errorf("POST with the form's token = %d, want 303", w.Code)
	}
	r := httptest.NewRequest("POST", "/login", strings.NewReader("email=a&password=b"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://evil.example")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 403 {
		t.Errorf("cross-site POST /login = %d, want 403", w.Code)
	}
	if !contains(auditActions(t, db, 0), "auth.csrf_refused") {
		t.Error("a CSRF refusal was not audited")
	}
}

func TestOneTimePasswordMustBeChanged(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	ctx := context.Background()
	s, _ := newTestServer(t, db, Config{})
	hash, _ := testHasher.Hash(ctx, testPassword)
	if _, err := db.CreateUser(ctx, store.Actor{Name: "test"}, store.NewUser{User: identity.User{Email: "newhire@example.org", MustChangePassword: true}, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	c := login(t, s, "newhire@example.org", testPassword)
	if w := c.get(t, "/account"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account/password" {
		t.Errorf("GET /account before changing the one-time password = %d %s, want a redirect to /account/password", w.Code, w.Header().Get("Location"))
	}
	if w := c.do(t, "GET", "/api/v1/orgs", "application/json", nil); w.Code != 403 {
		t.Errorf("API before changing the one-time password = %d, want 403", w.Code)
	}
	other := login(t, s, "newhire@example.org", testPassword)
	tests := []struct {
		name, current, next, confirm, field string
	}{
		{"wrong current", "nope-nope-nope", "lantern orchard velvet", "lantern orchard velvet", "current"},
		{"too short", testPassword, "short", "short", "new"},
		{"common", testPassword, "Password123456!", "Password123456!", "new"},
		{"contains email", testPassword, "newhire-password-x", "newhire-password-x", "new"},
		{"mismatch", testPassword, "lantern orchard velvet", "lantern orchard violet", "confirm"},
	}
	for _, tt := range tests {
		w := c.form(t, "/account/password", url.Values{"current": {tt.current}, "new": {tt.next}, "confirm": {tt.confirm}})
		if w.Code != 422 || !strings.Contains(w.Body.String(), `id="`+tt.field+`-problem"`) {
			t.Errorf("%s: POST /account/password = %d, want 422 with a problem on %s", tt.name, w.Code, tt.field)
		}
	}
	w := c.form(t, "/account/password", url.Values{"current": {testPassword}, "new": {"lantern orchard velvet"}, "confirm": {"lantern orchard velvet"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("good password change = %d %s", w.Code, w.Body)
	}
	if w := c.get(t, "/account"); w.Code != 200 {
		t.Errorf("GET /account after the change = %d, want 200", w.Code)
	}
	if w := other.get(t, "/api/v1/me"); w.Code != 401 {
		t.Errorf("another session after a password change = %d, want 401 (ended)", w.Code)
	}
}
