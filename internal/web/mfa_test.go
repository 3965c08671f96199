package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// mfaServer is a test server with a keyring (to seal TOTP secrets) and a
// clock the test moves, so that each sign-in can use a fresh code.
type mfaServer struct {
	*Server
	db   *store.DB
	keys *crypt.Keyring
	now  time.Time
}

func newMFAServer(t *testing.T, db *store.DB) *mfaServer {
	t.Helper()
	keys, err := crypt.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	m := &mfaServer{db: db, keys: keys, now: time.Now().UTC()}
	db.Now = func() time.Time { return m.now }
	m.Server, _ = newTestServer(t, db, Config{Keys: keys})
	return m
}

// tick moves the clock to the next TOTP step.
func (m *mfaServer) tick() { m.now = m.now.Add(identity.TOTPPeriod) }

// code is the authenticator app's code at the server's time.
func (m *mfaServer) code(secret []byte) string {
	return identity.TOTPCode(secret, identity.TOTPStep(m.now))
}

var (
	secretPattern   = regexp.MustCompile(`id="totp-secret">([A-Z2-7 ]+)<`)
	qrPattern       = regexp.MustCompile(`id="totp-qr" src="(data:image/png;base64,[^"]+)"`)
	recoveryPattern = regexp.MustCompile(`<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code></li>`)
)

// enrolTOTP drives the account pages to enrol an authenticator app for the
// signed-in client, and returns its secret and recovery codes.
func (m *mfaServer) enrolTOTP(t *testing.T, c *browserClient) ([]byte, []string) {
	t.Helper()
	if w := c.form(t, "/account/mfa/totp", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("POST /account/mfa/totp = %d %s", w.Code, w.Body)
	}
	page := c.get(t, "/account/mfa").Body.String()
	match := secretPattern.FindStringSubmatch(page)
	if match == nil {
		t.Fatalf("enrolment page shows no secret:\n%s", page)
	}
	secret, err := identity.DecodeTOTPSecret(match[1])
	if err != nil {
		t.Fatal(err)
	}
	w := c.form(t, "/account/mfa/totp/confirm", url.Values{"code": {m.code(secret)}})
	if w.Code != http.StatusOK {
		t.Fatalf("confirm enrolment = %d %s", w.Code, w.Body)
	}
	var codes []string
	for _, mm := range recoveryPattern.FindAllStringSubmatch(w.Body.String(), -1) {
		codes = append(codes, mm[1])
	}
	if len(codes) != identity.RecoveryCodeCount {
		t.Fatalf("enrolment showed %d recovery codes, want %d", len(codes), identity.RecoveryCodeCount)
	}
	return secret, codes
}

// apiLogin posts to /api/v1/login with an optional second factor.
func apiLogin(t *testing.T, h http.Handler, email, password, totp string) *httptest.ResponseRecorder {
	t.Helper()
	body := `{"email":` + quote(email) + `,"password":` + quote(password)
	if totp != "" {
		body += `,"totp":` + quote(totp)
	}
	r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(body+"}"))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// loginTOTP signs in over the API with a second factor and returns the
// session.
func loginTOTP(t *testing.T, h http.Handler, email, password, totp string) *browserClient {
	t.Helper()
	w := apiLogin(t, h, email, password, totp)
	if w.Code != 200 {
		t.Fatalf("login(%s) with a second factor = %d %s", email, w.Code, w.Body)
	}
	var me MeJSON
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil {
		t.Fatal(err)
	}
	if me.PendingStep != "" {
		t.Fatalf("login(%s) with a second factor leaves pending step %q", email, me.PendingStep)
	}
	return &browserClient{h: h, cookies: w.Result().Cookies(), csrf: me.CSRFToken}
}

func errorCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var body errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", w.Body, err)
	}
	return body.Error.Code
}

func pendingStepOf(t *testing.T, c *browserClient) string {
	t.Helper()
	w := c.get(t, "/api/v1/me")
	var me MeJSON
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil {
		t.Fatalf("GET /api/v1/me = %d %s", w.Code, w.Body)
	}
	return me.PendingStep
}

func TestMFAForcedEnrolmentAndSignIn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := newMFAServer(t, db)
		createUser(t, db, "admin@example.org", true, 0, "")
		c := login(t, m, "admin@example.org", testPassword)

		// An administrator without a second factor reaches nothing but
		// enrolment.
		if w := c.get(t, "/status"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account/mfa" {
			t.Fatalf("GET /status before enrolling = %d %s, want a redirect to /account/mfa", w.Code, w.Header().Get("Location"))
		}
		if w := c.do(t, "GET", "/api/v1/orgs", "", nil); w.Code != http.StatusForbidden {
			t.Errorf("API before enrolling = %d, want 403", w.Code)
		}
		if step := pendingStepOf(t, c); step != "/account/mfa" {
			t.Errorf("pending step = %q, want /account/mfa", step)
		}
		page := c.get(t, "/account/mfa?next=/status")
		if page.Code != 200 || !strings.Contains(page.Body.String(), `id="mfa-forced"`) || !strings.Contains(page.Body.String(), `id="totp-begin"`) {
			t.Fatalf("GET /account/mfa = %d, want the forced enrolment page", page.Code)
		}

		// Begin: the page shows a QR code of the otpauth URI and the key.
		if w := c.form(t, "/account/mfa/totp", url.Values{"next": {"/status"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("begin = %d %s", w.Code, w.Body)
		}
		body := c.get(t, "/account/mfa").Body.String()
		sm, qm := secretPattern.FindStringSubmatch(body), qrPattern.FindStringSubmatch(body)
		if sm == nil || qm == nil {
			t.Fatalf("enrolment page lacks the secret or the QR code:\n%s", body)
		}
		secret, err := identity.DecodeTOTPSecret(sm[1])
		if err != nil || len(secret) != identity.TOTPSecretSize {
			t.Fatalf("secret on the page %q: %v", sm[1], err)
		}
		uri, err := identity.TOTPURI(secret, "Safeguard", "admin@example.org")
		if err != nil {
			t.Fatal(err)
		}
		want, err := totpQRCode(uri)
		if err != nil {
			t.Fatal(err)
		}
		if got := html.UnescapeString(qm[1]); got != string(want) {
			t.Errorf("the QR code does not encode the otpauth URI of the secret shown")
		}
		if got := zbarDataURL(t, html.UnescapeString(qm[1])); got != "" && got != uri {
			t.Errorf("zbarimg read the QR code on the page as %q, want %q", got, uri)
		}

		// A wrong code is refused beside the field; the right one turns
		// two-step sign-in on and shows ten recovery codes once.
		w := c.form(t, "/account/mfa/totp/confirm", url.Values{"code": {identity.TOTPCode(secret, identity.TOTPStep(m.now)+5)}})
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="code-problem"`) {
			t.Errorf("confirm with a wrong code = %d, want 422 with a problem on the code", w.Code)
		}
		before := sessionValue(c.cookies)
		w = c.form(t, "/account/mfa/totp/confirm", url.Values{"code": {m.code(secret)}, "next": {"/status"}})
		if w.Code != 200 || len(recoveryPattern.FindAllString(w.Body.String(), -1)) != 10 || !strings.Contains(w.Body.String(), `href="/status"`) {
			t.Fatalf("confirm = %d, want the recovery codes and a link on to /status:\n%s", w.Code, w.Body)
		}
		if before == sessionValue(c.cookies) {
			t.Error("the session kept its secret after passing a second factor")
		}
		if w := c.get(t, "/status"); w.Code != 200 {
			t.Errorf("GET /status after enrolling = %d, want 200", w.Code)
		}
		if w := c.get(t, "/account/mfa"); !strings.Contains(w.Body.String(), "You have 10 unused recovery codes") {
			t.Errorf("account page does not count the recovery codes")
		}

		// Signing in again over the API needs the code.
		m.tick()
		w = apiLogin(t, m, "admin@example.org", testPassword, "")
		if w.Code != http.StatusUnauthorized || errorCode(t, w) != "mfa_required" || !strings.Contains(w.Body.String(), "totp") {
			t.Fatalf("API login without a code = %d %s, want 401 mfa_required", w.Code, w.Body)
		}
		// The password-only session it began is ended, not left usable.
		half := &browserClient{h: m, cookies: w.Result().Cookies()}
		if sessionValue(half.cookies) != "" {
			t.Error("API login without a code left a session cookie")
		}
		if live, _ := db.ActiveSessions(context.Background(), 1); len(live) != 1 {
			t.Errorf("%d live sessions after a refused sign-in, want just the first", len(live))
		}
		if w := apiLogin(t, m, "admin@example.org", testPassword, "000000"); w.Code != http.StatusUnauthorized || errorCode(t, w) != "mfa_refused" {
			t.Errorf("API login with a wrong code = %d %s, want 401", w.Code, w.Body)
		}
		code := m.code(secret)
		loginTOTP(t, m, "admin@example.org", testPassword, code)
		if w := apiLogin(t, m, "admin@example.org", testPassword, code); w.Code != http.StatusUnauthorized {
			t.Errorf("API login replaying a code = %d, want 401", w.Code)
		}
		// The password is still checked first: a good code with a bad
		// password tells nothing.
		m.tick()
		if w := apiLogin(t, m, "admin@example.org", "wrong password!", m.code(secret)); w.Code != http.StatusUnauthorized || errorCode(t, w) != "unauthorized" {
			t.Errorf("API login with a bad password and a good code = %d %s", w.Code, w.Body)
		}
		api := loginTOTP(t, m, "admin@example.org", testPassword, m.code(secret))
		if w := api.get(t, "/status"); w.Code != 200 {
			t.Errorf("GET /status after API login with a code = %d", w.Code)
		}

		actions := strings.Join(auditActions(t, db, 0), " ")
		for _, a := range []string{"mfa.totp_begin", "mfa.enrol", "mfa.verify", "mfa.verify_failed", "session.rotate"} {
			if !strings.Contains(actions, a) {
				t.Errorf("audit log lacks %s", a)
			}
		}
	})
}

// sessionValue is the session cookie a browser keeps from cookies: the
// last one set.
func sessionValue(cookies []*http.Cookie) string {
	v := ""
	for _, c := range cookies {
		if c.Name == SessionCookie {
			v = c.Value
		}
	}
	return v
}

// formLogin signs in through the HTML form and follows nothing.
func formLogin(t *testing.T, h http.Handler, email, password, next string) (*browserClient, *httptest.ResponseRecorder) {
	t.Helper()
	f := preSessionForm(t, h, "/login")
	f.values.Set("email", email)
	f.values.Set("password", password)
	f.values.Set("next", next)
	w := f.post(t, h, "/login")
	c := &browserClient{h: h, cookies: w.Result().Cookies()}
	if w.Code == http.StatusSeeOther {
		var me MeJSON
		if err := json.Unmarshal(c.get(t, "/api/v1/me").Body.Bytes(), &me); err == nil {
			c.csrf = me.CSRFToken
		}
	}
	return c, w
}

func TestMFASignInPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := newMFAServer(t, db)
		o, _ := db.CreateOrg(context.Background(), store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		createUser(t, db, "sam@example.org", false, o.ID, identity.RoleContributor)
		secret, codes := m.enrolTOTP(t, login(t, m, "sam@example.org", testPassword))

		m.tick()
		c, w := formLogin(t, m, "sam@example.org", testPassword, "/orgs/riverside")
		if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/login/mfa?next=%2Forgs%2Friverside" {
			t.Fatalf("form sign-in of a user with MFA = %d %s, want a redirect to /login/mfa", w.Code, loc)
		}
		// Until the second step, nothing else opens, and the factors cannot
		// be changed.
		if w := c.get(t, "/orgs/riverside"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login/mfa" {
			t.Errorf("GET /orgs/riverside before the second step = %d %s", w.Code, w.Header().Get("Location"))
		}
		if w := c.get(t, "/account/mfa"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login/mfa") {
			t.Errorf("GET /account/mfa before the second step = %d %s, want a redirect to /login/mfa", w.Code, w.Header().Get("Location"))
		}
		for _, path := range []string{"/account/mfa/totp", "/account/mfa/totp/confirm"} {
			if w := c.form(t, path, nil); w.Code != http.StatusForbidden {
				t.Errorf("POST %s before the second step = %d, want 403", path, w.Code)
			}
		}
		for _, path := range []string{"/account/mfa/recovery", "/account/mfa/totp/remove"} {
			if w := c.form(t, path, url.Values{"code": {codes[0]}}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login/mfa" {
				t.Errorf("POST %s before the second step = %d, want a redirect to /login/mfa", path, w.Code)
			}
		}
		page := c.get(t, "/login/mfa?next=/orgs/riverside")
		if page.Code != 200 || !strings.Contains(page.Body.String(), `<label for="code">`) {
			t.Fatalf("GET /login/mfa = %d", page.Code)
		}
		// Wrong, empty, then right.
		if w := c.form(t, "/login/mfa", url.Values{"code": {"123456"}, "next": {"/orgs/riverside"}}); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `id="code-problem"`) {
			t.Errorf("wrong code = %d, want 401 with the problem", w.Code)
		}
		if w := c.form(t, "/login/mfa", url.Values{"code": {""}}); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("empty code = %d, want 422", w.Code)
		}
		code := m.code(secret)
		w = c.form(t, "/login/mfa", url.Values{"code": {code[:3] + " " + code[3:]}, "next": {"/orgs/riverside"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/orgs/riverside" {
			t.Fatalf("right code = %d %s, want a redirect to /orgs/riverside", w.Code, w.Header().Get("Location"))
		}
		if w := c.get(t, "/orgs/riverside"); w.Code != 200 {
			t.Errorf("GET /orgs/riverside after the second step = %d", w.Code)
		}
		if w := c.get(t, "/login/mfa?next=/orgs/riverside"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/orgs/riverside" {
			t.Errorf("GET /login/mfa when done = %d %s, want a redirect on", w.Code, w.Header().Get("Location"))
		}

		// The same code in another sign-in is a replay.
		c2, _ := formLogin(t, m, "sam@example.org", testPassword, "/")
		if w := c2.form(t, "/login/mfa", url.Values{"code": {code}}); w.Code != http.StatusUnauthorized {
			t.Errorf("replayed code = %d, want 401", w.Code)
		}
		// A recovery code works once, and says how many are left.
		w = c2.form(t, "/login/mfa", url.Values{"code": {strings.ToUpper(codes[3])}})
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/account/mfa?done=recovery-used") {
			t.Fatalf("recovery code = %d %s", w.Code, w.Header().Get("Location"))
		}
		if body := c2.get(t, w.Header().Get("Location")).Body.String(); !strings.Contains(body, "You have 9 left") {
			t.Errorf("after a recovery code the page does not say how many are left")
		}
		c3, _ := formLogin(t, m, "sam@example.org", testPassword, "/")
		if w := c3.form(t, "/login/mfa", url.Values{"code": {codes[3]}}); w.Code != http.StatusUnauthorized {
			t.Errorf("recovery code used twice = %d, want 401", w.Code)
		}
		actions := strings.Join(auditActions(t, db, 0), " ")
		for _, a := range []string{"mfa.recovery_used", "mfa.verify_failed", "mfa.enrol_refused"} {
			if !strings.Contains(actions, a) {
				t.Errorf("audit log lacks %s", a)
			}
		}
	})
}

func TestMFAThrottled(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	m := newMFAServer(t, db)
	createUser(t, db, "pat@example.org", false, 0, "")
	secret, _ := m.enrolTOTP(t, login(t, m, "pat@example.org", testPassword))
	m.tick()
	c, _ := formLogin(t, m, "pat@example.org", testPassword, "/")
	var w *httptest.ResponseRecorder
	for i := 0; i < 6; i++ {
		w = c.form(t, "/login/mfa", url.Values{"code": {"000000"}})
	}
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("sixth wrong code = %d, want 429 with Retry-After", w.Code)
	}
	// Locked: even the right code waits.
	if w := c.form(t, "/login/mfa", url.Values{"code": {m.code(secret)}}); w.Code != http.StatusTooManyRequests {
		t.Errorf("right code while locked = %d, want 429", w.Code)
	}
	if w := apiLogin(t, m, "pat@example.org", testPassword, m.code(secret)); w.Code != http.StatusTooManyRequests {
		t.Errorf("API login while the second factor is locked = %d, want 429", w.Code)
	}
	m.now = m.now.Add(time.Minute)
	if w := c.form(t, "/login/mfa", url.Values{"code": {m.code(secret)}}); w.Code != http.StatusSeeOther {
		t.Errorf("right code after the lock = %d %s", w.Code, w.Body)
	}
	if !strings.Contains(strings.Join(auditActions(t, db, 0), " "), "auth.locked") {
		t.Error("the lock was not audited")
	}
}

func TestMFARequiredByPolicy(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newMFAServer(t, db)
		test := store.Actor{Name: "test"}
		strict, _ := db.CreateOrg(ctx, test, identity.Org{Slug: "strict", Name: "Strict", Kind: identity.KindProvider})
		relaxed, _ := db.CreateOrg(ctx, test, identity.Org{Slug: "relaxed", Name: "Relaxed", Kind: identity.KindProvider})
		if err := db.SetOrgSecurity(ctx, test, strict.ID, store.OrgSecurity{RequireMFA: true}); err != nil {
			t.Fatal(err)
		}
		createUser(t, db, "free@example.org", false, relaxed.ID, identity.RoleContributor)
		createUser(t, db, "bound@example.org", false, strict.ID, identity.RoleViewer)
		createUser(t, db, "officer@example.org", false, relaxed.ID, identity.RoleSecurityOfficer)

		free := login(t, m, "free@example.org", testPassword)
		if w := free.get(t, "/orgs/relaxed"); w.Code != 200 {
			t.Errorf("contributor of an organisation without an MFA rule = %d, want 200", w.Code)
		}
		if w := free.get(t, "/account/mfa"); w.Code != 200 || strings.Contains(w.Body.String(), `id="mfa-forced"`) {
			t.Errorf("MFA page for a user who may choose = %d, or it says MFA is required", w.Code)
		}
		clients := map[string]*browserClient{}
		for _, email := range []string{"bound@example.org", "officer@example.org"} {
			c := login(t, m, email, testPassword)
			clients[email] = c
			if w := c.get(t, "/"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account/mfa" {
				t.Errorf("%s without a second factor: GET / = %d %s, want forced enrolment", email, w.Code, w.Header().Get("Location"))
			}
			m.enrolTOTP(t, c)
			if w := c.get(t, "/"); w.Code != 200 {
				t.Errorf("%s after enrolling: GET / = %d", email, w.Code)
			}
		}

		// A user who may choose can turn two-step sign-in on and off;
		// one who must keep it cannot remove the last factor.
		secret, codes := m.enrolTOTP(t, free)
		if w := free.form(t, "/account/mfa/recovery", nil); w.Code != 200 || len(recoveryPattern.FindAllString(w.Body.String(), -1)) != 10 {
			t.Fatalf("regenerate recovery codes = %d", w.Code)
		}
		if _, err := db.UseRecoveryCode(ctx, test, 1, codes[0]); err == nil {
			t.Error("a recovery code from before regenerating still works")
		}
		m.tick()
		if w := free.form(t, "/account/mfa/totp/remove", url.Values{"code": {"999999"}}); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `id="remove-code-problem"`) {
			t.Errorf("remove with a wrong code = %d", w.Code)
		}
		if w := free.form(t, "/account/mfa/totp/remove", url.Values{"code": {m.code(secret)}}); w.Code != http.StatusSeeOther {
			t.Errorf("remove = %d %s", w.Code, w.Body)
		}
		if has, _ := db.UserHasMFA(ctx, 1); has {
			t.Error("the app is still there after removing it")
		}
		officer := clients["officer@example.org"]
		u, _ := db.UserByEmail(ctx, "officer@example.org")
		w := officer.form(t, "/account/mfa/totp/remove", url.Values{"code": {"0000-0000-0000"}})
		if w.Code != http.StatusUnauthorized {
			t.Errorf("officer removing with a bad code = %d, want 401", w.Code)
		}
		m.tick()
		// The officer's secret is not known here; a recovery code is as good.
		w = officer.form(t, "/account/mfa/recovery", nil)
		officerCodes := recoveryPattern.FindAllStringSubmatch(w.Body.String(), -1)
		if len(officerCodes) != 10 {
			t.Fatalf("officer regenerate = %d", w.Code)
		}
		w = officer.form(t, "/account/mfa/totp/remove", url.Values{"code": {officerCodes[0][1]}})
		if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "must keep a second factor") {
			t.Errorf("officer removing the last factor = %d, want 409", w.Code)
		}
		if st, _ := db.MFAStatus(ctx, u.ID); st.RecoveryCodesLeft != 10 || st.TOTPConfirmedAt.IsZero() {
			t.Errorf("a refused removal changed something: %+v", st)
		}
	})
}

func TestMFATokenCannotEnrol(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	m := newMFAServer(t, db)
	createUser(t, db, "pat@example.org", false, 0, "")
	u, _ := db.UserByEmail(context.Background(), "pat@example.org")
	secret, _ := identity.NewSecret(identity.PrefixToken)
	if _, err := db.CreateToken(context.Background(), store.Actor{Name: "test"}, identity.HashSecret(secret), store.Token{UserID: u.ID, Scope: identity.ScopeAdmin, Name: "t"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/account/mfa/totp", "/login/mfa"} {
		r := httptest.NewRequest("POST", path, nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		w := httptest.NewRecorder()
		m.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Errorf("POST %s with an API token = %d, want 403", path, w.Code)
		}
	}
}

// zbarDataURL decodes the QR code in a data: URL of a PNG with zbarimg
// (Debian's zbar-tools), a decoder independent of the library that drew it,
// and returns what it read; "" when zbarimg is not installed, except in CI
// (CI=true), which installs it.
func zbarDataURL(t *testing.T, dataURL string) string {
	t.Helper()
	path, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("zbarimg not found, and CI requires the QR decoding checks to run")
		}
		return ""
	}
	b64, ok := strings.CutPrefix(dataURL, "data:image/png;base64,")
	if !ok {
		t.Fatalf("QR code %.40q... is not a data: URL of a PNG", dataURL)
	}
	img, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(file, img, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", file).Output()
	if err != nil {
		t.Fatalf("zbarimg could not read the QR code: %v", err)
	}
	return strings.TrimSuffix(string(out), "\n")
}
