package allweb_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/allweb"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestTokensCannotMintTokens performs the escalation from the security
// review: a read token bound to one organisation for an hour asks
// POST /api/v1/tokens for a token bound to no organisation, valid a year.
// No token may make a token; read tokens may not revoke tokens or end
// sessions; a write token may end sessions and revoke itself, nothing more.
func TestTokensCannotMintTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newServer(t, db, web.Config{})
		riverside, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		harbor, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "harbor", Name: "Harbor", Kind: identity.KindBusinessAssociate})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "sam@example.org", false, riverside.ID, identity.RoleContributor)
		u, err := db.UserByEmail(ctx, "sam@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetMember(ctx, store.Actor{Name: "test"}, harbor.ID, u.ID, identity.RoleContributor); err != nil {
			t.Fatal(err)
		}
		// As 'safeguard token create --user sam@example.org --org riverside --scope read --expires 1h' makes them.
		mint := func(scope identity.Scope, orgID int64) (string, store.Token) {
			secret, err := identity.NewSecret(identity.PrefixToken)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := db.CreateToken(ctx, store.Actor{Name: "cli:test"}, identity.HashSecret(secret), store.Token{UserID: u.ID, OrgID: orgID, Scope: scope, Name: string(scope)}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return secret, tok
		}
		read, readTok := mint(identity.ScopeRead, riverside.ID)
		write, writeTok := mint(identity.ScopeWrite, riverside.ID)
		admin, adminTok := mint(identity.ScopeAdmin, 0)
		call := func(secret, method, path, contentType, body string) *httptest.ResponseRecorder {
			r := httptest.NewRequest(method, path, strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+secret)
			r.Header.Set("Content-Type", contentType)
			r.Header.Set("Accept", "application/json")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			return w
		}
		tokens := func() int {
			ts, err := db.Tokens(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return len(ts)
		}
		before := tokens()
		browser := webtest.Login(t, s, "sam@example.org", webtest.Password)

		wider := `{"name":"wider","scope":"read","expires":"8760h"}`
		form := url.Values{"name": {"wider"}, "scope": {"admin"}, "expires": {"8760h"}}.Encode()
		refused := []struct {
			name, secret, method, path, contentType, body string
		}{
			{"read token mints an unbound year-long token", read, "POST", "/api/v1/tokens", "application/json", wider},
			{"read token mints through the account form", read, "POST", "/account/tokens", "application/x-www-form-urlencoded", form},
			{"write token mints a token", write, "POST", "/api/v1/tokens", "application/json", `{"scope":"read","expires":"1h","org":"riverside"}`},
			{"admin token mints a token", admin, "POST", "/api/v1/tokens", "application/json", `{"scope":"read","expires":"1h"}`},
			{"read token revokes another token", read, "POST", "/api/v1/tokens/" + itoa(adminTok.ID) + "/revoke", "application/json", ""},
			{"read token revokes itself", read, "POST", "/api/v1/tokens/" + itoa(readTok.ID) + "/revoke", "application/json", ""},
			{"read token ends the user's sessions", read, "POST", "/api/v1/sessions/end-others", "application/json", ""},
			{"read token ends sessions through the form", read, "POST", "/account/sessions/end-others", "application/x-www-form-urlencoded", ""},
			{"write token revokes another token", write, "POST", "/api/v1/tokens/" + itoa(adminTok.ID) + "/revoke", "application/json", ""},
			{"admin token changes the password", admin, "POST", "/account/password", "application/x-www-form-urlencoded", "current=x&new=lantern+orchard+velvet&confirm=lantern+orchard+velvet"},
			{"admin token enrols an authenticator", admin, "POST", "/account/mfa/totp", "application/x-www-form-urlencoded", ""},
			{"admin token registers a passkey", admin, "POST", "/account/passkeys/register/begin", "application/json", "{}"},
			{"admin token accepts a membership", admin, "POST", "/account/invitations/1/accept", "application/json", ""},
			{"admin token reads the account page", admin, "GET", "/account", "", ""},
		}
		for _, tt := range refused {
			if w := call(tt.secret, tt.method, tt.path, tt.contentType, tt.body); w.Code != 403 {
				t.Errorf("%s: %s %s = %d %.200s, want 403", tt.name, tt.method, tt.path, w.Code, w.Body)
			}
		}
		if got := tokens(); got != before {
			t.Errorf("tokens after the refused requests = %d, want %d (none made or revoked)", got, before)
		}
		if w := browser.Get(t, "/api/v1/me"); w.Code != 200 {
			t.Errorf("the browser session after the refused requests = %d, want 200 (not ended)", w.Code)
		}
		// The refusal names the token, its scope, its organisation and what it lacked.
		entries, _, err := db.AuditSearch(ctx, store.AuditFilter{Action: "auth.forbidden"})
		if err != nil {
			t.Fatal(err)
		}
		if !hasEntry(entries, "user:"+itoa(u.ID)+"/token:"+itoa(readTok.ID), "POST /api/v1/tokens",
			"token "+itoa(readTok.ID)+" (read scope, org "+itoa(riverside.ID)) {
			t.Errorf("no auth.forbidden entry naming the read token's attempt to mint one: %+v", entries)
		}

		// A bound token lists only itself, not the user's other tokens.
		var listed web.List[tokenAnswer]
		if w := call(read, "GET", "/api/v1/tokens", "", ""); w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &listed) != nil ||
			len(listed.Items) != 1 || listed.Items[0].ID != readTok.ID {
			t.Errorf("GET /api/v1/tokens with the read token = %d %s, want only itself", w.Code, w.Body)
		}
		var me web.MeJSON
		if w := call(read, "GET", "/api/v1/me", "", ""); json.Unmarshal(w.Body.Bytes(), &me) != nil || len(me.Organisations) != 1 || me.Organisations[0].Slug != "riverside" {
			t.Errorf("GET /api/v1/me with the riverside token = %s, want riverside only", w.Body)
		}
		// A write token may end the user's sessions and revoke itself.
		if w := call(write, "POST", "/api/v1/sessions/end-others", "application/json", ""); w.Code != 204 {
			t.Errorf("write token ending sessions = %d %s, want 204", w.Code, w.Body)
		}
		if w := browser.Get(t, "/api/v1/me"); w.Code != 401 {
			t.Errorf("the browser session after a write token ended sessions = %d, want 401", w.Code)
		}
		if w := call(write, "POST", "/api/v1/tokens/"+itoa(writeTok.ID)+"/revoke", "application/json", ""); w.Code != 204 {
			t.Errorf("write token revoking itself = %d %s, want 204", w.Code, w.Body)
		}
		if w := call(write, "GET", "/api/v1/me", "", ""); w.Code != 401 {
			t.Errorf("the revoked write token = %d, want 401", w.Code)
		}
		// A person in a browser session still makes tokens, bounded by
		// their role wherever they are used.
		browser = webtest.LoginFull(t, s, db, "sam@example.org", webtest.Password)
		w := browser.Do(t, "POST", "/api/v1/tokens", "application/json", strings.NewReader(`{"name":"ci","scope":"admin","org":"riverside","expires":"1h"}`))
		var made tokenAnswer
		if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &made) != nil || made.Org != "riverside" {
			t.Fatalf("token from a browser session = %d %s", w.Code, w.Body)
		}
		if w := call(made.Token, "POST", "/api/v1/orgs/riverside/members", "application/json", `{"email":"x@example.org","role":"viewer"}`); w.Code != 403 {
			t.Errorf("an admin token of a contributor adding members = %d, want 403 (the role still applies)", w.Code)
		}
	})
}

// hasEntry reports whether one of the entries was written by actor about
// object with a summary starting with summary.
func hasEntry(entries []audit.Entry, actor, object, summary string) bool {
	for _, e := range entries {
		if e.Actor == actor && strings.HasSuffix(e.Object, object) && strings.HasPrefix(e.Summary, summary) {
			return true
		}
	}
	return false
}

// TestScopesNeverAllowCredentials is the domain rule: no token scope makes
// or changes credentials, and a read token changes nothing on the account.
func TestScopesNeverAllowCredentials(t *testing.T) {
	t.Parallel()
	for _, sc := range []identity.Scope{identity.ScopeRead, identity.ScopeWrite, identity.ScopeAdmin} {
		if sc.Allows(identity.PermCredentials) {
			t.Errorf("Scope(%s).Allows(credentials) = true, want false", sc)
		}
	}
	if identity.ScopeRead.Allows(identity.PermAccountWrite) {
		t.Error("Scope(read).Allows(account:write) = true, want false")
	}
	if !identity.ScopeWrite.Allows(identity.PermAccountWrite) || !identity.ScopeAdmin.Allows(identity.PermAccountWrite) {
		t.Error("write and admin tokens should be able to revoke themselves and end sessions")
	}
}

// itoa is n in decimal.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// tokenAnswer is what the tests read of a token in the API's answers.
type tokenAnswer struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Org   string `json:"org"`
	Scope string `json:"scope"`
	Token string `json:"token"`
}

// newServer builds a server with every capability and cfg.
func newServer(t *testing.T, db *store.DB, cfg web.Config) (*web.Server, *webtest.Logs) {
	t.Helper()
	cfg.Capabilities = allweb.Capabilities(nil)
	return webtest.NewServerWithLogs(t, db, cfg)
}
