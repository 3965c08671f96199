package adminweb

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// newServer is a server with the administration capability.
func newServer(t *testing.T, db *store.DB) *web.Server {
	return webtest.NewServer(t, db, web.Config{Capabilities: []web.Capability{New()}})
}

func TestDisablingEndsSessionsAndTokens(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	ctx := context.Background()
	s := newServer(t, db)
	webtest.CreateUser(t, db, "admin@example.org", true, 0, "")
	webtest.CreateUser(t, db, "sam@example.org", false, 0, "")
	sam := webtest.Login(t, s, "sam@example.org", webtest.Password)
	u, _ := db.UserByEmail(ctx, "sam@example.org")
	// Sam's read token, as the account page or the CLI makes it (tokens
	// are the account's capability).
	token, err := identity.NewSecret(identity.PrefixToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateToken(ctx, store.Actor{Name: "test"}, identity.HashSecret(token), store.Token{UserID: u.ID, Name: "ci", Scope: identity.ScopeRead}, time.Hour); err != nil {
		t.Fatal(err)
	}
	bearer := func() int {
		r := httptest.NewRequest("GET", "/api/v1/me", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code
	}
	if bearer() != 200 {
		t.Fatal("the new token does not work")
	}
	admin := webtest.LoginFull(t, s, db, "admin@example.org", webtest.Password)
	if w := admin.Do(t, "POST", "/api/v1/admin/users/"+strconv.FormatInt(u.ID, 10)+"/disable", "application/json", nil); w.Code != 200 {
		t.Fatalf("disable = %d %s", w.Code, w.Body)
	}
	if w := sam.Get(t, "/api/v1/me"); w.Code != 401 {
		t.Errorf("session after disabling = %d, want 401", w.Code)
	}
	if got := bearer(); got != 401 {
		t.Errorf("token after disabling = %d, want 401", got)
	}
	if w := login2(s, "sam@example.org"); w != 401 {
		t.Errorf("sign-in of a disabled user = %d, want 401", w)
	}
	if w := admin.Do(t, "POST", "/api/v1/admin/users/"+strconv.FormatInt(u.ID, 10)+"/enable", "application/json", nil); w.Code != 200 {
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
	r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(`{"email":"`+email+`","password":"`+webtest.Password+`"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// TestTemplatesRenderZeroValues renders every administration page with its
// zero value.
func TestTemplatesRenderZeroValues(t *testing.T) {
	t.Parallel()
	s := newServer(t, storetest.SQLite(t))
	webtest.RenderZeroValues(t, s, New().Templates(), map[string]web.PageData{
		"admin_users": &adminUsersView{},
		"admin_orgs":  &adminOrgsView{},
	})
}
