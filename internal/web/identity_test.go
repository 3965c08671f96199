package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

func TestInvitationsAndMembers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		db.Now = func() time.Time { return now }
		s, _ := newTestServer(t, db, Config{})
		a, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		b, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "harbor", Name: "Harbor", Kind: identity.KindBusinessAssociate})
		createUser(t, db, "owner@example.org", false, a.ID, identity.RoleOwner)
		createUser(t, db, "other@example.org", false, b.ID, identity.RoleOwner)
		owner := loginFull(t, s, db, "owner@example.org", testPassword)

		// Bad input is refused field by field and changes nothing.
		w := owner.form(t, "/orgs/riverside/members", url.Values{"email": {"not-an-email"}, "role": {"boss"}})
		if w.Code != 422 || !strings.Contains(w.Body.String(), `id="m-role-problem"`) {
			t.Errorf("bad member form = %d, want 422 with the role problem", w.Code)
		}
		w = owner.do(t, "POST", "/api/v1/orgs/riverside/members", "application/json", strings.NewReader(`{"email":"not-an-email","role":"viewer"}`))
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"email"`) {
			t.Errorf("bad member JSON = %d %s, want 422 naming email", w.Code, w.Body)
		}
		// A new person is invited.
		w = owner.do(t, "POST", "/api/v1/orgs/riverside/members", "application/json", strings.NewReader(`{"email":"Priya@Example.org","name":"Priya","role":"contributor"}`))
		var m invitationJSON
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != 201 || !strings.Contains(m.InvitationURL, "/invite/sgi_") {
			t.Fatalf("invite = %d %s", w.Code, w.Body)
		}
		path := m.InvitationURL[strings.Index(m.InvitationURL, "/invite/"):]
		anon := &browserClient{h: s}
		w = anon.get(t, path)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "priya@example.org") {
			t.Fatalf("GET invitation = %d", w.Code)
		}
		anon.csrf = formToken(t, w.Body.String())
		if w := anon.do(t, "POST", path, "application/x-www-form-urlencoded", strings.NewReader("new=short&confirm=short")); w.Code != 422 {
			t.Errorf("weak password on invitation = %d, want 422", w.Code)
		}
		w = anon.do(t, "POST", path, "application/x-www-form-urlencoded", strings.NewReader("new=lantern+orchard+velvet&confirm=lantern+orchard+velvet"))
		if w.Code != http.StatusSeeOther {
			t.Fatalf("accept invitation = %d %s", w.Code, w.Body)
		}
		// The link works once.
		if w := anon.get(t, path); w.Code != http.StatusGone {
			t.Errorf("reused invitation = %d, want 410", w.Code)
		}
		// The new contributor sees only their organisation.
		priya := login(t, s, "priya@example.org", "lantern orchard velvet")
		var orgs list[orgJSON]
		if err := json.Unmarshal(priya.do(t, "GET", "/api/v1/orgs", "application/json", nil).Body.Bytes(), &orgs); err != nil || len(orgs.Items) != 1 || orgs.Items[0].Slug != "riverside" {
			t.Errorf("contributor's orgs = %+v", orgs)
		}
		if w := priya.do(t, "GET", "/api/v1/orgs/harbor", "application/json", nil); w.Code != 404 {
			t.Errorf("contributor reading another org = %d, want 404", w.Code)
		}
		if w := priya.do(t, "POST", "/api/v1/orgs/riverside/members", "application/json", strings.NewReader(`{"email":"x@example.org","role":"owner"}`)); w.Code != 403 {
			t.Errorf("contributor adding a member = %d, want 403", w.Code)
		}
		// An expired invitation is refused.
		w = owner.do(t, "POST", "/api/v1/orgs/riverside/members", "application/json", strings.NewReader(`{"email":"late@example.org","role":"viewer"}`))
		json.Unmarshal(w.Body.Bytes(), &m)
		now = now.Add(invitationLifetime + time.Minute)
		if w := anon.get(t, m.InvitationURL[strings.Index(m.InvitationURL, "/invite/"):]); w.Code != http.StatusGone {
			t.Errorf("expired invitation = %d, want 410", w.Code)
		}
		now = time.Now().UTC()
		// The last owner cannot leave.
		ou, _ := db.UserByEmail(ctx, "owner@example.org")
		w = owner.form(t, "/orgs/riverside/members/"+itoa(ou.ID)+"/role", url.Values{"role": {"viewer"}})
		if w.Code != 409 {
			t.Errorf("demoting the last owner = %d, want 409", w.Code)
		}
		actions := auditActions(t, db, a.ID)
		for _, want := range []string{"member.invite", "member.invite_accepted", "member.add", "org.create"} {
			if !contains(actions, want) {
				t.Errorf("riverside's audit lacks %s: %v", want, actions)
			}
		}
	})
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestDisablingEndsSessionsAndTokens(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	ctx := context.Background()
	s, _ := newTestServer(t, db, Config{})
	createUser(t, db, "admin@example.org", true, 0, "")
	createUser(t, db, "sam@example.org", false, 0, "")
	sam := login(t, s, "sam@example.org", testPassword)
	w := sam.do(t, "POST", "/api/v1/tokens", "application/json", strings.NewReader(`{"name":"ci","scope":"read"}`))
	var tok tokenAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil || !strings.HasPrefix(tok.Token, "sgt_") {
		t.Fatalf("create token = %d %s", w.Code, w.Body)
	}
	bearer := func() int {
		r := httptest.NewRequest("GET", "/api/v1/me", nil)
		r.Header.Set("Authorization", "Bearer "+tok.Token)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code
	}
	if bearer() != 200 {
		t.Fatal("the new token does not work")
	}
	u, _ := db.UserByEmail(ctx, "sam@example.org")
	admin := loginFull(t, s, db, "admin@example.org", testPassword)
	if w := admin.do(t, "POST", "/api/v1/admin/users/"+itoa(u.ID)+"/disable", "application/json", nil); w.Code != 200 {
		t.Fatalf("disable = %d %s", w.Code, w.Body)
	}
	if w := sam.get(t, "/api/v1/me"); w.Code != 401 {
		t.Errorf("session after disabling = %d, want 401", w.Code)
	}
	if got := bearer(); got != 401 {
		t.Errorf("token after disabling = %d, want 401", got)
	}
	if w := login2(s, "sam@example.org"); w != 401 {
		t.Errorf("sign-in of a disabled user = %d, want 401", w)
	}
	if w := admin.do(t, "POST", "/api/v1/admin/users/"+itoa(u.ID)+"/enable", "application/json", nil); w.Code != 200 {
		t.Fatalf("enable = %d", w.Code)
	}
	if got := bearer(); got != 401 {
		t.Errorf("a token revoked by disabling works again after enabling (%d); want it to stay revoked", got)
	}
	if w := login2(s, "sam@example.org"); w != 200 {
		t.Errorf("sign-in after enabling = %d, want 200", w)
	}
}

func login2(h http.Handler, email string) int {
	r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(`{"email":"`+email+`","password":"`+testPassword+`"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func TestEmergencyAccess(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keys := newTestKeys(t)
		m := &mfaServer{db: db, keys: keys, now: time.Now().UTC()}
		db.Now = func() time.Time { return m.now }
		m.Server, _ = newTestServer(t, db, Config{Keys: keys, IdleTimeout: 2 * time.Hour})
		s := m.Server
		a, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		createUser(t, db, "viewer@example.org", false, a.ID, identity.RoleViewer)
		createUser(t, db, "so@example.org", false, a.ID, identity.RoleSecurityOfficer)
		viewerUser := mustUser(t, db, "viewer@example.org")
		viewer := login(t, s, "viewer@example.org", testPassword)
		if w := viewer.get(t, "/orgs/riverside/settings/security"); w.Code != 403 {
			t.Fatalf("viewer on security settings = %d, want 403", w.Code)
		}
		reason := "Ransomware on the front desk PC, need to disable accounts now"

		// The attack: a viewer who signed in with a password alone raises
		// the session to a security officer's. Refused, with the way to a
		// second factor, and audited.
		w := viewer.form(t, "/orgs/riverside/emergency", url.Values{"reason": {reason}, "minutes": {"30"}})
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `id="emergency-mfa"`) || !strings.Contains(w.Body.String(), `href="/account/mfa?next=/orgs/riverside"`) {
			t.Fatalf("emergency access without a second factor = %d, want 403 with a link to set one up; body:\n%s", w.Code, w.Body)
		}
		if _, err := db.ActiveEmergency(ctx, a.ID, viewerUser.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a refused start left emergency access running: %v", err)
		}
		findAudit(t, db, "emergency.refused", "no second factor")

		// Emergency access started without a second factor (as before this
		// rule) gives nothing beyond the member's own role.
		e, err := db.StartEmergency(ctx, store.Actor{Name: "test"}, identity.Emergency{OrgID: a.ID, OrgSlug: "riverside", UserID: viewerUser.ID,
			UserEmail: viewerUser.Email, Reason: reason, Duration: 30 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/orgs/riverside/audit", "/api/v1/orgs/riverside/audit"} {
			if w := viewer.get(t, path); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "second factor") {
				t.Errorf("GET %s under emergency access without a second factor = %d, want 403 naming the second factor", path, w.Code)
			}
		}
		if w := viewer.get(t, "/orgs/riverside"); w.Code != 200 {
			t.Errorf("the viewer's own access under emergency without a second factor = %d, want 200", w.Code)
		}
		findAudit(t, db, "emergency.refused", "needs a second factor")
		if err := db.EndEmergency(ctx, store.Actor{Name: "test"}, a.ID, e.ID); err != nil {
			t.Fatal(err)
		}

		// A token made before the emergency acts with the viewer's own role.
		w = viewer.do(t, "POST", "/api/v1/tokens", "application/json", strings.NewReader(`{"name":"before","scope":"admin"}`))
		if w.Code != http.StatusCreated {
			t.Fatalf("token before emergency access = %d %s", w.Code, w.Body)
		}
		var tok struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil || tok.Token == "" {
			t.Fatalf("token = %s, %v", w.Body, err)
		}

		// With a second factor set up, emergency access starts.
		m.enrolTOTP(t, viewer)
		w = viewer.form(t, "/orgs/riverside/emergency", url.Values{"reason": {"help"}, "minutes": {"600"}})
		if w.Code != 422 || !strings.Contains(w.Body.String(), `id="reason-problem"`) || !strings.Contains(w.Body.String(), `id="minutes-problem"`) {
			t.Fatalf("bad emergency request = %d, want 422 with reason and duration problems", w.Code)
		}
		w = viewer.form(t, "/orgs/riverside/emergency", url.Values{"reason": {reason}, "minutes": {"30"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("start emergency = %d %s", w.Code, w.Body)
		}
		detail := w.Header().Get("Location")
		// Raised at once, with a banner on every page of the organisation.
		w = viewer.get(t, "/orgs/riverside/audit")
		if w.Code != 200 || !strings.Contains(w.Body.String(), "Emergency access is active") {
			t.Errorf("audit log during emergency access = %d, want 200 with the banner", w.Code)
		}
		// Never what outlasts the emergency: settings, single sign-on,
		// members, tokens (the sign-off, review and deletion of an
		// assessment: assessweb's TestEmergencyAccessCannotSignOff).
		refused := []struct{ method, path, body string }{
			{"GET", "/orgs/riverside/settings/security", ""},
			{"POST", "/orgs/riverside/settings/security", "require_mfa=on"},
			{"GET", "/orgs/riverside/settings/sso", ""},
			{"POST", "/orgs/riverside/settings/sso", "enabled=on&issuer=https://idp.attacker.example&client_id=x&client_secret=y&default_role=owner"},
			{"POST", "/orgs/riverside/members", "email=friend@example.org&role=owner"},
			{"POST", fmt.Sprintf("/orgs/riverside/members/%d/role", viewerUser.ID), "role=owner"},
			{"POST", "/account/tokens", "name=later&scope=admin"},
		}
		for _, tt := range refused {
			var w *httptest.ResponseRecorder
			if tt.method == "GET" {
				w = viewer.get(t, tt.path)
			} else {
				v, _ := url.ParseQuery(tt.body)
				w = viewer.form(t, tt.path, v)
			}
			if w.Code != http.StatusForbidden {
				t.Errorf("%s %s under emergency access = %d, want 403", tt.method, tt.path, w.Code)
			}
		}
		if w := viewer.do(t, "POST", "/api/v1/tokens", "application/json", strings.NewReader(`{"name":"later","scope":"admin"}`)); w.Code != http.StatusForbidden {
			t.Errorf("POST /api/v1/tokens under emergency access = %d, want 403", w.Code)
		}
		if r := roleIn(t, db, a.ID, "viewer@example.org"); r != identity.RoleViewer {
			t.Errorf("role after emergency access = %s, want viewer", r)
		}
		tokenCall := func(path string) int {
			r := httptest.NewRequest("GET", path, nil)
			r.Header.Set("Authorization", "Bearer "+tok.Token)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			return w.Code
		}
		if got := tokenCall("/api/v1/orgs/riverside/audit"); got != http.StatusForbidden {
			t.Errorf("the viewer's token on the audit log during emergency access = %d, want 403 (tokens keep their user's own role)", got)
		}
		// The security officer is notified.
		so := loginFull(t, s, db, "so@example.org", testPassword)
		if body := so.get(t, "/notifications").Body.String(); !strings.Contains(body, "Emergency access started by viewer@example.org") {
			t.Errorf("security officer's notifications lack the emergency")
		}
		if body := so.get(t, "/orgs/riverside").Body.String(); !strings.Contains(body, "Ransomware on the front desk") {
			t.Errorf("org page does not list the unreviewed emergency for the security officer")
		}
		// Running access cannot be reviewed; it ends by itself.
		if w := so.form(t, detail+"/review", url.Values{"note": {"Checked the audit trail, all fine"}}); w.Code != 409 {
			t.Errorf("review while running = %d, want 409", w.Code)
		}
		m.now = m.now.Add(31 * time.Minute)
		if w := viewer.get(t, "/orgs/riverside/audit"); w.Code != 403 {
			t.Errorf("after emergency access ran out = %d, want 403", w.Code)
		}
		// The user cannot review their own; a security officer closes it.
		if w := viewer.form(t, detail+"/review", url.Values{"note": {"All fine, I promise"}}); w.Code != 403 {
			t.Errorf("self-review by a viewer = %d, want 403", w.Code)
		}
		if w := so.form(t, detail+"/review", url.Values{"note": {"short"}}); w.Code != 422 {
			t.Errorf("too short a review = %d, want 422", w.Code)
		}
		if w := so.form(t, detail+"/review", url.Values{"note": {"Compared every audited request with the ticket; all justified."}}); w.Code != http.StatusSeeOther {
			t.Errorf("review = %d %s", w.Code, w.Body)
		}
		if body := so.get(t, detail).Body.String(); !strings.Contains(body, "reviewed") {
			t.Errorf("detail after review lacks the review")
		}
		actions := auditActions(t, db, a.ID)
		for _, want := range []string{"emergency.start", "emergency.access", "emergency.review", "emergency.read"} {
			if !contains(actions, want) {
				t.Errorf("audit lacks %s: %v", want, actions)
			}
		}
	})
}
