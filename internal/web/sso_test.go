package web

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

const (
	testClientID     = "safeguard-test"
	testClientSecret = "provider-client-secret-7f3a"
)

// ssoSignIn goes through a whole sign-in in a new browser: Safeguard sends
// it to the provider at start, the provider (a real HTTP server) signs the
// configured person in and sends it back, and the browser follows. edit,
// if given, may change the callback address first.
func ssoSignIn(t *testing.T, h http.Handler, start string, edit func(u *url.URL)) (*browserClient, *httptest.ResponseRecorder) {
	t.Helper()
	c := &browserClient{h: h}
	return c, c.ssoSignIn(t, start, edit)
}

func (c *browserClient) ssoSignIn(t *testing.T, start string, edit func(u *url.URL)) *httptest.ResponseRecorder {
	t.Helper()
	return c.get(t, ssoToProvider(t, c, start, edit))
}

// ssoToProvider starts a sign-in in browser c and returns the callback
// address the provider sends it back to.
func ssoToProvider(t *testing.T, c *browserClient, start string, edit func(u *url.URL)) string {
	t.Helper()
	w := c.get(t, start)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("GET %s = %d, want 303 to the provider; body:\n%s", start, w.Code, w.Body)
	}
	return followProvider(t, w, edit)
}

// followProvider takes the browser from Safeguard's redirect w through the
// provider, and returns the callback address it is sent back to.
func followProvider(t *testing.T, w *httptest.ResponseRecorder, edit func(u *url.URL)) string {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("provider's authorize = %d, want 302", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Path != SSOCallbackPath {
		t.Fatalf("provider sent the browser to %s, want %s", back, SSOCallbackPath)
	}
	if edit != nil {
		edit(back)
	}
	return back.RequestURI()
}

// sessionSet reports whether the response started a session.
func sessionSet(w *httptest.ResponseRecorder) bool {
	for _, c := range w.Result().Cookies() {
		if (c.Name == SessionCookie || c.Name == secureSessionCookie) && c.Value != "" {
			return true
		}
	}
	return false
}

// findAudit returns the newest entry with the action whose summary holds
// want, or fails.
func findAudit(t *testing.T, db *store.DB, action, want string) {
	t.Helper()
	entries, err := db.AuditEntries(context.Background(), 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == action && strings.Contains(e.Summary, want) {
			return
		}
	}
	var got []string
	for _, e := range entries[:min(len(entries), 8)] {
		got = append(got, e.Action+": "+e.Summary)
	}
	t.Errorf("no audit entry %s mentioning %q; newest:\n%s", action, want, strings.Join(got, "\n"))
}

func userCount(t *testing.T, db *store.DB) int {
	t.Helper()
	us, _, err := db.UserPage(context.Background(), store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(us)
}

func roleIn(t *testing.T, db *store.DB, orgID int64, email string) identity.Role {
	t.Helper()
	u, err := db.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("UserByEmail(%s) = %v", email, err)
	}
	m, err := db.Membership(context.Background(), orgID, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	} else if err != nil {
		t.Fatal(err)
	}
	return m.Role
}

func newTestKeys(t *testing.T) *crypt.Keyring {
	t.Helper()
	k, err := crypt.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func deploymentSSO(p *oidcProvider, jit bool) *identity.SSOConfig {
	m, err := identity.ParseRoleMap("staff = riverside:contributor\nofficers = riverside:security_officer")
	if err != nil {
		panic(err)
	}
	return &identity.SSOConfig{Enabled: true, Issuer: p.Issuer(), ClientID: testClientID, ClientSecret: testClientSecret,
		GroupsClaim: "groups", RoleMap: m, JIT: jit}
}

func TestSSODeploymentProvider(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		p := newOIDCProvider(t, testClientID, testClientSecret)
		s, _ := newTestServer(t, db, Config{Keys: newTestKeys(t), SSO: deploymentSSO(p, true)})

		t.Run("just-in-time account with its role", func(t *testing.T) {
			p.SetUser(oidcUser{Subject: "u-new", Email: "New.Person@Riverside.example", EmailVerified: true, Name: "New Person", Groups: []string{"staff"}})
			before := userCount(t, db)
			c, w := ssoSignIn(t, s, "/login/sso?next=/account", nil)
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account" || !sessionSet(w) {
				t.Fatalf("callback = %d to %q (session %t), want 303 to /account with a session; body:\n%s", w.Code, w.Header().Get("Location"), sessionSet(w), w.Body)
			}
			if n := userCount(t, db); n != before+1 {
				t.Errorf("users = %d, want %d", n, before+1)
			}
			if w := c.get(t, "/api/v1/me"); w.Code != 200 || !strings.Contains(w.Body.String(), `"email":"new.person@riverside.example"`) {
				t.Errorf("GET /api/v1/me = %d %s, want the new user", w.Code, w.Body)
			}
			if r := roleIn(t, db, org.ID, "new.person@riverside.example"); r != identity.RoleContributor {
				t.Errorf("role = %q, want contributor", r)
			}
			findAudit(t, db, "user.create", "just in time")
			findAudit(t, db, "sso.link", "u-new")
			findAudit(t, db, "auth.login", "single sign-on")
			u, _ := db.UserByEmail(ctx, "new.person@riverside.example")
			sessions, err := db.ActiveSessions(ctx, u.ID)
			if err != nil || len(sessions) != 1 || !sessions[0].MFAAt.IsZero() {
				t.Errorf("sessions = %+v, %v; want one, without a second factor (no amr)", sessions, err)
			}

			// The second time, the link finds the same account.
			if _, w := ssoSignIn(t, s, "/login/sso", nil); w.Code != http.StatusSeeOther || !sessionSet(w) {
				t.Fatalf("second sign-in = %d; body:\n%s", w.Code, w.Body)
			}
			if n := userCount(t, db); n != before+1 {
				t.Errorf("users after a second sign-in = %d, want %d", n, before+1)
			}
		})

		trustedCfg := deploymentSSO(p, true)
		trustedCfg.TrustMFA, trustedCfg.LinkByEmail = true, true
		trusted, _ := newTestServer(t, db, Config{Keys: newTestKeys(t), SSO: trustedCfg})

		t.Run("amr counts as MFA only from a provider the administrator trusts", func(t *testing.T) {
			p.SetUser(oidcUser{Subject: "u-mfa", Email: "mfa@riverside.example", EmailVerified: true, Groups: []string{"staff"}, AMR: []string{"pwd", "mfa"}})
			if _, w := ssoSignIn(t, s, "/login/sso", nil); w.Code != http.StatusSeeOther {
				t.Fatalf("callback = %d; body:\n%s", w.Code, w.Body)
			}
			u, _ := db.UserByEmail(ctx, "mfa@riverside.example")
			sessions, err := db.ActiveSessions(ctx, u.ID)
			if err != nil || len(sessions) != 1 || !sessions[0].MFAAt.IsZero() {
				t.Errorf("sessions = %+v, %v; want one without a second factor: the provider is not trusted for it", sessions, err)
			}
			if _, w := ssoSignIn(t, trusted, "/login/sso", nil); w.Code != http.StatusSeeOther {
				t.Fatalf("callback (trusted) = %d; body:\n%s", w.Code, w.Body)
			}
			sessions, err = db.ActiveSessions(ctx, u.ID)
			trustedOnes := 0
			for _, ss := range sessions {
				if !ss.MFAAt.IsZero() {
					trustedOnes++
				}
			}
			if err != nil || len(sessions) != 2 || trustedOnes != 1 {
				t.Errorf("sessions = %+v, %v; want the new one with MFAAt set (--oidc-trust-mfa)", sessions, err)
			}
		})

		t.Run("existing account with a password is not matched by email", func(t *testing.T) {
			createUser(t, db, "existing@riverside.example", false, org.ID, identity.RoleViewer)
			p.SetUser(oidcUser{Subject: "u-existing", Email: "Existing@Riverside.example", EmailVerified: true})
			if _, w := ssoSignIn(t, s, "/login/sso", nil); w.Code != http.StatusForbidden || sessionSet(w) || !strings.Contains(w.Body.String(), "link this identity provider under Account") {
				t.Fatalf("callback = %d (session %t), want 403 telling them to link it; body:\n%s", w.Code, sessionSet(w), w.Body)
			}
			findAudit(t, db, "sso.refused", "has not linked this provider")
			if _, _, err := db.UserBySSOIdentity(ctx, p.Issuer(), "u-existing"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a refused sign-in linked the account: %v", err)
			}
		})

		t.Run("existing account linked by verified email when the administrator allows it", func(t *testing.T) {
			before := userCount(t, db)
			p.SetUser(oidcUser{Subject: "u-existing", Email: "Existing@Riverside.example", EmailVerified: true})
			c, w := ssoSignIn(t, trusted, "/login/sso", nil)
			if w.Code != http.StatusSeeOther || !sessionSet(w) {
				t.Fatalf("callback = %d; body:\n%s", w.Code, w.Body)
			}
			if w := c.get(t, "/api/v1/me"); !strings.Contains(w.Body.String(), `"email":"existing@riverside.example"`) {
				t.Errorf("GET /api/v1/me = %s, want the existing user", w.Body)
			}
			if n := userCount(t, db); n != before {
				t.Errorf("users = %d, want %d: no new account", n, before)
			}
			link, u, err := db.UserBySSOIdentity(ctx, p.Issuer(), "u-existing")
			if err != nil || u.Email != "existing@riverside.example" || link.Email != "existing@riverside.example" {
				t.Errorf("UserBySSOIdentity = %+v, %+v, %v", link, u, err)
			}
			if r := roleIn(t, db, org.ID, "existing@riverside.example"); r != identity.RoleViewer {
				t.Errorf("role = %q, want viewer unchanged: no mapped group", r)
			}
		})

		t.Run("groups set the role at every sign-in", func(t *testing.T) {
			p.SetUser(oidcUser{Subject: "u-roles", Email: "roles@riverside.example", EmailVerified: true, Groups: []string{"staff"}})
			ssoSignIn(t, s, "/login/sso", nil)
			if r := roleIn(t, db, org.ID, "roles@riverside.example"); r != identity.RoleContributor {
				t.Fatalf("role = %q, want contributor", r)
			}
			p.SetUser(oidcUser{Subject: "u-roles", Email: "roles@riverside.example", EmailVerified: true, Groups: []string{"staff", "officers"}})
			if _, w := ssoSignIn(t, s, "/login/sso", nil); w.Code != http.StatusSeeOther {
				t.Fatalf("callback = %d; body:\n%s", w.Code, w.Body)
			}
			if r := roleIn(t, db, org.ID, "roles@riverside.example"); r != identity.RoleSecurityOfficer {
				t.Errorf("role = %q, want security_officer (the most powerful of the groups)", r)
			}
			findAudit(t, db, "member.role", "from contributor to security_officer")
			p.SetUser(oidcUser{Subject: "u-roles", Email: "roles@riverside.example", EmailVerified: true, Groups: []string{"staff"}})
			ssoSignIn(t, s, "/login/sso", nil)
			if r := roleIn(t, db, org.ID, "roles@riverside.example"); r != identity.RoleContributor {
				t.Errorf("role = %q, want contributor again", r)
			}
			findAudit(t, db, "member.role", "from security_officer to contributor")
		})

		t.Run("refusals", func(t *testing.T) {
			otherKey := testRSAKey(t)
			disabled := "disabled@riverside.example"
			createUser(t, db, disabled, false, org.ID, identity.RoleViewer)
			du, _ := db.UserByEmail(ctx, disabled)
			if err := db.SetUserDisabled(ctx, store.Actor{Name: "test"}, du.ID, true); err != nil {
				t.Fatal(err)
			}
			createUser(t, db, "linked-then-disabled@riverside.example", false, org.ID, identity.RoleViewer)
			noJIT, _ := newTestServer(t, db, Config{Keys: newTestKeys(t), SSO: deploymentSSO(p, false)})
			wrongSecret := deploymentSSO(p, true)
			wrongSecret.ClientSecret = "not-the-secret"
			badClient, _ := newTestServer(t, db, Config{Keys: newTestKeys(t), SSO: wrongSecret})
			var replay string
			fresh := func(sub string) oidcUser {
				return oidcUser{Subject: sub, Email: sub + "@riverside.example", EmailVerified: true, Groups: []string{"staff"}}
			}
			tests := []struct {
				name    string
				user    oidcUser
				h       http.Handler
				setup   func(t *testing.T)
				edit    func(u *url.URL)
				browser func(t *testing.T) *httptest.ResponseRecorder
				status  int
				reason  string
			}{
				{name: "wrong state", user: fresh("r-state"), edit: func(u *url.URL) {
					q := u.Query()
					q.Set("state", "not-the-state")
					u.RawQuery = q.Encode()
				}, status: 400, reason: "unknown state"},
				{name: "replayed state", user: fresh("r-replay"), setup: func(t *testing.T) {
					c := &browserClient{h: s}
					replay = ssoToProvider(t, c, "/login/sso", nil)
					if w := c.get(t, replay); w.Code != http.StatusSeeOther {
						t.Fatalf("first use = %d, want 303", w.Code)
					}
				}, browser: func(t *testing.T) *httptest.ResponseRecorder {
					return (&browserClient{h: s}).get(t, replay)
				}, status: 400, reason: "used already"},
				{name: "state from another browser", user: fresh("r-browser"), browser: func(t *testing.T) *httptest.ResponseRecorder {
					cb := ssoToProvider(t, &browserClient{h: s}, "/login/sso", nil)
					return (&browserClient{h: s}).get(t, cb)
				}, status: 400, reason: "another browser"},
				{name: "expired state", user: fresh("r-late"), browser: func(t *testing.T) *httptest.ResponseRecorder {
					c := &browserClient{h: s}
					cb := ssoToProvider(t, c, "/login/sso", nil)
					db.Now = func() time.Time { return time.Now().Add(identity.SSOLoginLifetime + time.Minute) }
					defer func() { db.Now = time.Now }()
					return c.get(t, cb)
				}, status: 400, reason: "took longer"},
				{name: "provider refused", user: fresh("r-denied"), edit: func(u *url.URL) {
					q := u.Query()
					q.Del("code")
					q.Set("error", "access_denied")
					u.RawQuery = q.Encode()
				}, status: 401, reason: "access_denied"},
				{name: "wrong nonce", user: fresh("r-nonce"), setup: func(t *testing.T) {
					p.Tamper(func(c map[string]any) { c["nonce"] = "some-other-nonce" })
				}, status: 401, reason: "wrong nonce"},
				{name: "wrong issuer", user: fresh("r-iss"), setup: func(t *testing.T) {
					p.Tamper(func(c map[string]any) { c["iss"] = "https://impostor.example" })
				}, status: 401, reason: "wrong issuer"},
				{name: "wrong audience", user: fresh("r-aud"), setup: func(t *testing.T) {
					p.Tamper(func(c map[string]any) { c["aud"] = "another-client" })
				}, status: 401, reason: "wrong audience"},
				{name: "several audiences without azp", user: fresh("r-azp"), setup: func(t *testing.T) {
					p.Tamper(func(c map[string]any) { c["aud"] = []string{testClientID, "another-client"} })
				}, status: 401, reason: "authorised party"},
				{name: "bad signature", user: fresh("r-sig"), setup: func(t *testing.T) {
					p.SignWith(otherKey)
				}, status: 401, reason: "bad signature"},
				{name: "expired token", user: fresh("r-exp"), setup: func(t *testing.T) {
					p.Tamper(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })
				}, status: 401, reason: "expired"},
				{name: "unverified email", user: oidcUser{Subject: "r-unverified", Email: "unverified@riverside.example", EmailVerified: false},
					status: 403, reason: "not verified"},
				{name: "unverified email of an existing account", user: oidcUser{Subject: "r-unverified2", Email: "existing@riverside.example"},
					status: 403, reason: "not verified"},
				{name: "disabled user", user: oidcUser{Subject: "r-disabled", Email: disabled, EmailVerified: true},
					status: 403, reason: "disabled"},
				{name: "disabled after linking", user: oidcUser{Subject: "r-linked", Email: "linked-then-disabled@riverside.example", EmailVerified: true},
					setup: func(t *testing.T) {
						if _, w := ssoSignIn(t, trusted, "/login/sso", nil); w.Code != http.StatusSeeOther {
							t.Fatalf("linking sign-in = %d", w.Code)
						}
						u, _ := db.UserByEmail(ctx, "linked-then-disabled@riverside.example")
						if err := db.SetUserDisabled(ctx, store.Actor{Name: "test"}, u.ID, true); err != nil {
							t.Fatal(err)
						}
					}, status: 403, reason: "disabled"},
				{name: "wrong client secret", user: fresh("r-client"), h: badClient, status: 401, reason: "refused the code: invalid_client"},
				{name: "no account and JIT off", user: fresh("r-nojit"), h: noJIT, status: 403, reason: "just-in-time accounts are off"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					defer p.Tamper(nil)
					defer p.SignWith(nil)
					p.SetUser(tt.user)
					if tt.setup != nil {
						tt.setup(t)
					}
					h := tt.h
					if h == nil {
						h = s
					}
					users := userCount(t, db)
					links := 0
					if _, _, err := db.UserBySSOIdentity(ctx, p.Issuer(), tt.user.Subject); err == nil {
						links = 1
					}
					var w *httptest.ResponseRecorder
					if tt.browser != nil {
						w = tt.browser(t)
					} else {
						_, w = ssoSignIn(t, h, "/login/sso", tt.edit)
					}
					if w.Code != tt.status {
						t.Errorf("callback = %d, want %d; body:\n%s", w.Code, tt.status, w.Body)
					}
					if sessionSet(w) {
						t.Error("a refused sign-in started a session")
					}
					if !strings.Contains(w.Body.String(), `role="alert"`) {
						t.Errorf("the refusal page does not say what went wrong:\n%s", w.Body)
					}
					findAudit(t, db, "sso.refused", tt.reason)
					if n := userCount(t, db); n != users {
						t.Errorf("users = %d after a refusal, want %d", n, users)
					}
					_, _, err := db.UserBySSOIdentity(ctx, p.Issuer(), tt.user.Subject)
					if got := map[bool]int{true: 1, false: 0}[err == nil]; got != links {
						t.Errorf("links for %s = %d after a refusal, want %d", tt.user.Subject, got, links)
					}
				})
			}
		})
	})
}

// configureOrgSSO saves riverside's provider through the settings page, as
// its owner.
func configureOrgSSO(t *testing.T, c *browserClient, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return c.do(t, "POST", "/orgs/riverside/settings/sso", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

func TestSSOOrganisationProvider(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		actor := store.Actor{Name: "test"}
		org, err := db.CreateOrg(ctx, actor, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		harbor, err := db.CreateOrg(ctx, actor, identity.Org{Slug: "harbor", Name: "Harbor", Kind: identity.KindBusinessAssociate})
		if err != nil {
			t.Fatal(err)
		}
		p := newOIDCProvider(t, testClientID, testClientSecret)
		keys := newTestKeys(t)
		s, _ := newTestServer(t, db, Config{Keys: keys})
		pw := createUser(t, db, "owner@riverside.example", false, org.ID, identity.RoleOwner)
		owner := loginFull(t, s, db, "owner@riverside.example", pw)

		// Without a provider, the sign-in page asks for the organisation.
		if w := get(t, s, "/login/sso"); w.Code != 200 || !strings.Contains(w.Body.String(), `name="org"`) {
			t.Errorf("GET /login/sso without a deployment provider = %d, want the organisation form", w.Code)
		}
		if w := get(t, s, "/login/sso?org=riverside"); w.Code != 404 {
			t.Errorf("GET /login/sso?org=riverside before it is set up = %d, want 404", w.Code)
		}
		if w := get(t, s, "/login"); !strings.Contains(w.Body.String(), `href="/login/sso`) {
			t.Error("the sign-in page has no link to single sign-on")
		}

		w := owner.get(t, "/orgs/riverside/settings/sso")
		if w.Code != 200 || !strings.Contains(w.Body.String(), "http://example.com/login/sso/callback") {
			t.Fatalf("GET settings = %d, want 200 with the redirect URI; body:\n%s", w.Code, w.Body)
		}
		viewerPW := createUser(t, db, "viewer@riverside.example", false, org.ID, identity.RoleViewer)
		if w := login(t, s, "viewer@riverside.example", viewerPW).get(t, "/orgs/riverside/settings/sso"); w.Code != http.StatusForbidden {
			t.Errorf("GET settings as a viewer = %d, want 403", w.Code)
		}

		good := url.Values{"enabled": {"on"}, "issuer": {p.Issuer()}, "client_id": {testClientID}, "client_secret": {testClientSecret},
			"groups_claim": {"groups"}, "role_map": {"officers = security_officer\nstaff = contributor"}, "jit": {"on"},
			"allowed_domains": {"riverside.example"}}
		bad := []struct {
			name  string
			edit  func(v url.Values)
			field string
		}{
			{"unknown role", func(v url.Values) { v.Set("role_map", "staff = admin") }, "role_map-problem"},
			{"other organisation in the mapping", func(v url.Values) { v.Set("role_map", "staff = harbor:viewer") }, "role_map-problem"},
			{"plain http issuer", func(v url.Values) { v.Set("issuer", "http://login.example.org") }, "issuer-problem"},
			{"issuer that does not answer", func(v url.Values) { v.Set("issuer", p.Issuer()+"/nothing-here") }, "issuer-problem"},
			{"no secret", func(v url.Values) { v.Del("client_secret") }, "client_secret-problem"},
			{"bad domain", func(v url.Values) { v.Set("allowed_domains", "not a domain") }, "allowed_domains-problem"},
		}
		for _, tt := range bad {
			v := url.Values{}
			for k, vs := range good {
				v[k] = append([]string(nil), vs...)
			}
			tt.edit(v)
			if w := configureOrgSSO(t, owner, v); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="`+tt.field+`"`) {
				t.Errorf("%s: POST settings = %d, want 422 with %s; body:\n%s", tt.name, w.Code, tt.field, w.Body)
			}
		}
		if _, err := db.SSOProvider(ctx, org.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after refused forms, SSOProvider = %v, want ErrNotFound", err)
		}

		if w := configureOrgSSO(t, owner, good); w.Code != http.StatusSeeOther {
			t.Fatalf("POST settings = %d, want 303; body:\n%s", w.Code, w.Body)
		}
		findAudit(t, db, "sso.configure", "client secret replaced")
		entries, _ := db.AuditEntries(ctx, 0, 500)
		for _, e := range entries {
			if strings.Contains(e.Summary, testClientSecret) {
				t.Errorf("audit entry %s holds the client secret: %s", e.Action, e.Summary)
			}
		}
		stored, err := db.SSOProvider(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(stored.Secret.Sealed), testClientSecret) || stored.Config.ClientSecret != "" {
			t.Error("the client secret is stored in the clear")
		}
		page := owner.get(t, "/orgs/riverside/settings/sso").Body.String()
		if strings.Contains(page, testClientSecret) || !strings.Contains(page, "A secret is stored") {
			t.Error("the settings page shows the secret, or does not say one is stored")
		}
		// Saving again without a secret keeps it.
		keep := url.Values{}
		for k, vs := range good {
			keep[k] = vs
		}
		keep.Del("client_secret")
		if w := configureOrgSSO(t, owner, keep); w.Code != http.StatusSeeOther {
			t.Fatalf("POST settings without a secret = %d, want 303; body:\n%s", w.Code, w.Body)
		}
		findAudit(t, db, "sso.configure", "client secret kept")

		start := "/login/sso?org=riverside"
		t.Run("just-in-time member and role changes", func(t *testing.T) {
			p.SetUser(oidcUser{Subject: "o-staff", Email: "nurse@riverside.example", EmailVerified: true, Groups: []string{"staff"}})
			if _, w := ssoSignIn(t, s, start, nil); w.Code != http.StatusSeeOther || !sessionSet(w) {
				t.Fatalf("callback = %d; body:\n%s", w.Code, w.Body)
			}
			if r := roleIn(t, db, org.ID, "nurse@riverside.example"); r != identity.RoleContributor {
				t.Errorf("role = %q, want contributor", r)
			}
			p.SetUser(oidcUser{Subject: "o-staff", Email: "nurse@riverside.example", EmailVerified: true, Groups: []string{"officers"}})
			ssoSignIn(t, s, start, nil)
			if r := roleIn(t, db, org.ID, "nurse@riverside.example"); r != identity.RoleSecurityOfficer {
				t.Errorf("role after a change of group = %q, want security_officer", r)
			}
			findAudit(t, db, "member.role", "from contributor to security_officer")
		})

		createUser(t, db, "both@riverside.example", false, org.ID, identity.RoleContributor)
		if err := db.SetMember(ctx, actor, harbor.ID, mustUser(t, db, "both@riverside.example").ID, identity.RoleViewer); err != nil {
			t.Fatal(err)
		}
		createUser(t, db, "admin@riverside.example", true, org.ID, identity.RoleViewer)
		refusals := []struct {
			name   string
			user   oidcUser
			status int
			reason string
		}{
			{"no group maps to a role", oidcUser{Subject: "o-none", Email: "none@riverside.example", EmailVerified: true, Groups: []string{"visitors"}}, 403, "maps to a role"},
			{"email domain not allowed", oidcUser{Subject: "o-dom", Email: "someone@elsewhere.example", EmailVerified: true, Groups: []string{"staff"}}, 403, "not allowed"},
			{"member of another organisation", oidcUser{Subject: "o-both", Email: "both@riverside.example", EmailVerified: true, Groups: []string{"staff"}}, 403, "also belongs to organisation harbor"},
			{"platform administrator", oidcUser{Subject: "o-admin", Email: "admin@riverside.example", EmailVerified: true, Groups: []string{"officers"}}, 403, "platform administrator"},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				p.SetUser(tt.user)
				users := userCount(t, db)
				_, w := ssoSignIn(t, s, start, nil)
				if w.Code != tt.status || sessionSet(w) {
					t.Errorf("callback = %d (session %t), want %d and no session; body:\n%s", w.Code, sessionSet(w), tt.status, w.Body)
				}
				findAudit(t, db, "sso.refused", tt.reason)
				if n := userCount(t, db); n != users {
					t.Errorf("users = %d after a refusal, want %d", n, users)
				}
				if _, _, err := db.UserBySSOIdentity(ctx, p.Issuer(), tt.user.Subject); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("a refused sign-in linked %s: %v", tt.user.Subject, err)
				}
			})
		}
		if r := roleIn(t, db, harbor.ID, "both@riverside.example"); r != identity.RoleViewer {
			t.Errorf("role in harbor = %q, want viewer unchanged", r)
		}

		// Turned off, the provider signs no one in, and a sign-in already
		// under way is refused when it comes back.
		p.SetUser(oidcUser{Subject: "o-staff", Email: "nurse@riverside.example", EmailVerified: true, Groups: []string{"staff"}})
		c := &browserClient{h: s}
		cb := ssoToProvider(t, c, start, nil)
		off := url.Values{}
		for k, vs := range keep {
			off[k] = vs
		}
		off.Del("enabled")
		if w := configureOrgSSO(t, owner, off); w.Code != http.StatusSeeOther {
			t.Fatalf("turning SSO off = %d; body:\n%s", w.Code, w.Body)
		}
		if w := c.get(t, cb); w.Code != http.StatusForbidden || sessionSet(w) {
			t.Errorf("callback after SSO was turned off = %d, want 403 and no session", w.Code)
		}
		findAudit(t, db, "sso.refused", "turned off")
		if w := get(t, s, start); w.Code != http.StatusNotFound {
			t.Errorf("GET %s with SSO off = %d, want 404", start, w.Code)
		}
	})
}

func mustUser(t *testing.T, db *store.DB, email string) identity.User {
	t.Helper()
	u, err := db.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSSORedirectURL(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	r := httptest.NewRequest("GET", "/login/sso", nil)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"from the request", Config{}, "http://example.com/login/sso/callback"},
		{"from the public address", Config{PublicURL: "https://safeguard.clinic.example/"}, "https://safeguard.clinic.example/login/sso/callback"},
		{"configured", Config{PublicURL: "https://a.example", SSO: &identity.SSOConfig{RedirectURL: "https://b.example/cb"}}, "https://b.example/cb"},
	}
	for _, tt := range tests {
		s, _ := newTestServer(t, db, tt.cfg)
		// Requests carry their client through the middleware; call it so.
		var got string
		s.withClient(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = s.ssoRedirectURL(r, identity.SSOConfig{})
		})).ServeHTTP(httptest.NewRecorder(), r)
		if got != tt.want {
			t.Errorf("%s: ssoRedirectURL() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestSSOTakeoverChain performs the account takeover through an
// organisation's own single sign-on, step by step, and checks each step is
// closed: a security officer may not configure the provider; a provider an
// owner configured does not sign in the owner's account (which has a
// password) until the owner linked it; its "amr" does not stand in for
// Safeguard's second factor until the platform administrator trusts it.
func TestSSOTakeoverChain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		keys := newTestKeys(t)
		m := &mfaServer{db: db, keys: keys, now: time.Now().UTC()}
		db.Now = func() time.Time { return m.now }
		m.Server, _ = newTestServer(t, db, Config{Keys: keys})
		s := m.Server
		p := newOIDCProvider(t, testClientID, testClientSecret)
		createUser(t, db, "owner@riverside.example", false, org.ID, identity.RoleOwner)
		createUser(t, db, "so@riverside.example", false, org.ID, identity.RoleSecurityOfficer)
		createUser(t, db, "admin@example.org", true, 0, "")
		owner := loginFull(t, s, db, "owner@riverside.example", testPassword)
		m.enrolTOTP(t, owner)
		officer := loginFull(t, s, db, "so@riverside.example", testPassword)
		admin := loginFull(t, s, db, "admin@example.org", testPassword)

		hostile := url.Values{"enabled": {"on"}, "issuer": {p.Issuer()}, "client_id": {testClientID}, "client_secret": {testClientSecret},
			"default_role": {"owner"}, "jit": {"on"}, "trust_mfa": {"on"}}

		// 1. A security officer points the organisation at a provider they
		// control, whose default role is owner: refused.
		if w := officer.get(t, "/orgs/riverside/settings/sso"); w.Code != http.StatusForbidden {
			t.Errorf("GET SSO settings as a security officer = %d, want 403", w.Code)
		}
		if w := configureOrgSSO(t, officer, hostile); w.Code != http.StatusForbidden {
			t.Errorf("POST SSO settings as a security officer = %d, want 403", w.Code)
		}
		if w := officer.form(t, "/admin/orgs/riverside/sso", hostile); w.Code != http.StatusForbidden {
			t.Errorf("POST the administrator's SSO settings as a security officer = %d, want 403", w.Code)
		}
		if _, err := db.SSOProvider(ctx, org.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after the refusals, SSOProvider = %v, want ErrNotFound", err)
		}

		// 2. Say an owner configured it: audited, every owner told, and an
		// owner cannot trust its second factor.
		if w := configureOrgSSO(t, owner, hostile); w.Code != http.StatusSeeOther {
			t.Fatalf("POST SSO settings as the owner = %d; body:\n%s", w.Code, w.Body)
		}
		findAudit(t, db, "sso.configure", "default role owner")
		if pr, _ := db.SSOProvider(ctx, org.ID); pr.Config.TrustMFA {
			t.Error("an owner made the provider trusted for second factors")
		}
		if body := owner.get(t, "/notifications").Body.String(); !strings.Contains(body, "single sign-on settings were changed") {
			t.Error("the owner was not notified of the change")
		}

		// 3. The provider vouches for the owner's address, verified, with
		// "mfa": refused, the account has a password and is not linked.
		for _, email := range []string{"owner@riverside.example", "so@riverside.example"} {
			p.SetUser(oidcUser{Subject: "attacker-" + email, Email: email, EmailVerified: true, AMR: []string{"pwd", "mfa"}})
			_, w := ssoSignIn(t, s, "/login/sso?org=riverside", nil)
			if w.Code != http.StatusForbidden || sessionSet(w) || !strings.Contains(w.Body.String(), "link this identity provider under Account") {
				t.Errorf("sign-in as %s through the organisation's provider = %d (session %t), want 403 and advice to link; body:\n%s", email, w.Code, sessionSet(w), w.Body)
			}
			if _, _, err := db.UserBySSOIdentity(ctx, p.Issuer(), "attacker-"+email); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the refused sign-in linked %s: %v", email, err)
			}
		}
		findAudit(t, db, "sso.refused", "account owner@riverside.example has a password or passkey and its holder has not linked this provider")

		// 4. The owner links it, signed in: audited.
		p.SetUser(oidcUser{Subject: "owner-at-idp", Email: "owner@riverside.example", EmailVerified: true, AMR: []string{"pwd", "mfa"}})
		if w := linkSSO(t, owner, "riverside"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account?done=sso-linked" {
			t.Fatalf("link = %d to %q; body:\n%s", w.Code, w.Header().Get("Location"), w.Body)
		}
		if l, u, err := db.UserBySSOIdentity(ctx, p.Issuer(), "owner-at-idp"); err != nil || u.Email != "owner@riverside.example" || l.Origin != identity.LinkAccount {
			t.Fatalf("link = %+v, %+v, %v", l, u, err)
		}
		findAudit(t, db, "sso.link", "by the account holder while signed in")
		if body := owner.get(t, "/account").Body.String(); !strings.Contains(body, p.Issuer()) || !strings.Contains(body, "/unlink") {
			t.Error("the account page does not list the link")
		}

		// 5. Signing in through it: "amr" is not trusted, so the owner
		// still gives their authenticator's code.
		c, w := ssoSignIn(t, s, "/login/sso?org=riverside", nil)
		if w.Code != http.StatusSeeOther || !sessionSet(w) || !strings.HasPrefix(w.Header().Get("Location"), "/login/mfa") {
			t.Fatalf("linked sign-in = %d to %q, want 303 to /login/mfa; body:\n%s", w.Code, w.Header().Get("Location"), w.Body)
		}
		if w := c.get(t, "/orgs/riverside/members"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login/mfa" {
			t.Errorf("members page before the second factor = %d to %q, want 303 to /login/mfa", w.Code, w.Header().Get("Location"))
		}

		// 6. The platform administrator trusts it; an owner's later change
		// of issuer drops the trust.
		trust := url.Values{}
		for k, vs := range hostile {
			trust[k] = vs
		}
		trust.Del("client_secret")
		trust.Set("default_role", "viewer")
		if w := officer.get(t, "/admin/orgs/riverside/sso"); w.Code != http.StatusForbidden {
			t.Errorf("the administrator's SSO page as a security officer = %d, want 403", w.Code)
		}
		if w := admin.form(t, "/admin/orgs/riverside/sso", trust); w.Code != http.StatusSeeOther {
			t.Fatalf("administrator's save = %d; body:\n%s", w.Code, w.Body)
		}
		findAudit(t, db, "sso.configure", "second factor trusted")
		if _, w := ssoSignIn(t, s, "/login/sso?org=riverside", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
			t.Errorf("sign-in through a trusted provider = %d to %q, want 303 to /", w.Code, w.Header().Get("Location"))
		}
		// From the sign-in page's form the browser is sent on by a link,
		// since the CSP refuses a form's redirect to another site.
		fc := &browserClient{h: s}
		w = fc.get(t, "/login/sso?org=riverside&via=form")
		link := regexp.MustCompile(`id="sso-continue" data-follow href="([^"]+)"`).FindStringSubmatch(w.Body.String())
		if w.Code != http.StatusOK || link == nil {
			t.Fatalf("GET /login/sso from the form = %d, want 200 with a link to the provider; body:\n%s", w.Code, w.Body)
		}
		toProvider := httptest.NewRecorder()
		toProvider.Header().Set("Location", html.UnescapeString(link[1]))
		if w := fc.get(t, followProvider(t, toProvider, nil)); w.Code != http.StatusSeeOther || !sessionSet(w) {
			t.Errorf("sign-in from the form = %d (session %t), want 303 with a session", w.Code, sessionSet(w))
		}
		other := newOIDCProvider(t, testClientID, testClientSecret)
		moved := url.Values{}
		for k, vs := range trust {
			moved[k] = vs
		}
		moved.Set("issuer", other.Issuer())
		moved.Set("client_secret", testClientSecret)
		if w := configureOrgSSO(t, owner, moved); w.Code != http.StatusSeeOther {
			t.Fatalf("owner's change of issuer = %d; body:\n%s", w.Code, w.Body)
		}
		if pr, _ := db.SSOProvider(ctx, org.ID); pr.Config.TrustMFA {
			t.Error("the trust survived an owner's change of issuer")
		}
	})
}

var continuePattern = regexp.MustCompile(`id="sso-continue" href="([^"]+)"`)

// linkSSO links riverside's (or, with org "", the deployment's) provider to
// c's account through the account page, and returns the callback's answer.
func linkSSO(t *testing.T, c *browserClient, org string) *httptest.ResponseRecorder {
	t.Helper()
	w := c.form(t, "/account/sso/link", url.Values{"org": {org}})
	m := continuePattern.FindStringSubmatch(w.Body.String())
	if w.Code != http.StatusOK || m == nil {
		t.Fatalf("POST /account/sso/link = %d, want 200 with a link on to the provider; body:\n%s", w.Code, w.Body)
	}
	// The browser follows the link: Safeguard's part ends there.
	next := httptest.NewRecorder()
	next.Header().Set("Location", html.UnescapeString(m[1]))
	next.Code = http.StatusSeeOther
	return c.get(t, followProvider(t, next, nil))
}
