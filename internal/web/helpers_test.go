package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

// testHasher makes password hashing cheap in tests; the cost parameters do
// not change what is tested. Tests running in parallel share it, so it has
// enough slots that no sign-in waits for another test's hash.
var testHasher = identity.NewHasher(1, 64, 1, 16)

const testPassword = "correct-battery-horse-9"

// createUser adds a user with testPassword, as a member of orgID (if not 0).
func createUser(t *testing.T, db *store.DB, email string, admin bool, orgID int64, role identity.Role) string {
	t.Helper()
	hash, err := testHasher.Hash(context.Background(), testPassword)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.CreateUser(context.Background(), store.Actor{Name: "test"}, store.NewUser{
		User: identity.User{Email: email, Name: "Test " + email, Admin: admin}, PasswordHash: hash, OrgID: orgID, Role: role,
	})
	if err != nil {
		t.Fatalf("CreateUser(%s) = %v", email, err)
	}
	return testPassword
}

// browserClient is a signed-in browser: its cookies and CSRF token.
type browserClient struct {
	h       http.Handler
	cookies []*http.Cookie
	csrf    string
}

// login signs in through POST /api/v1/login and returns the session.
func login(t *testing.T, h http.Handler, email, password string) *browserClient {
	t.Helper()
	body := `{"email":` + quote(email) + `,"password":` + quote(password) + `}`
	r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("login(%s) = %d %s", email, w.Code, w.Body)
	}
	var me MeJSON
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil {
		t.Fatal(err)
	}
	return &browserClient{h: h, cookies: w.Result().Cookies(), csrf: me.CSRFToken}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// do sends a request with the client's cookies, its CSRF token on unsafe
// methods, and keeps any cookies the response sets.
func (c *browserClient) do(t *testing.T, method, path, contentType string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, body)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if contentType == "application/json" {
		r.Header.Set("Accept", "application/json")
	}
	for _, ck := range c.cookies {
		r.AddCookie(ck)
	}
	if !safeMethod(method) && c.csrf != "" {
		r.Header.Set("X-CSRF-Token", c.csrf)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	for _, set := range w.Result().Cookies() {
		replaced := false
		for i, ck := range c.cookies {
			if ck.Name == set.Name {
				c.cookies[i] = set
				replaced = true
			}
		}
		if !replaced {
			c.cookies = append(c.cookies, set)
		}
	}
	return w
}

func (c *browserClient) get(t *testing.T, path string) *httptest.ResponseRecorder {
	t.Helper()
	return c.do(t, "GET", path, "", nil)
}

// loginFull signs in and, where the user owes a second factor, marks the
// session as having passed one, as the MFA pages would after a good code.
// Tests of access rules use it; the MFA tests drive the real pages.
func loginFull(t *testing.T, h http.Handler, db *store.DB, email, password string) *browserClient {
	t.Helper()
	c := login(t, h, email, password)
	var me MeJSON
	w := c.get(t, "/api/v1/me")
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil {
		t.Fatalf("me: %v %s", err, w.Body)
	}
	if me.PendingStep != "/login/mfa" && me.PendingStep != "/account/mfa" {
		return c
	}
	markSecondFactor(t, db, c)
	return c
}

// markSecondFactor records on c's session that it passed a second factor,
// as the MFA pages would after a good code.
func markSecondFactor(t *testing.T, db *store.DB, c *browserClient) {
	t.Helper()
	ctx := context.Background()
	for i, ck := range c.cookies {
		if ck.Name != SessionCookie {
			continue
		}
		sess, _, err := db.SessionByToken(ctx, identity.HashSecret(ck.Value))
		if err != nil {
			t.Fatal(err)
		}
		secret, err := identity.NewSecret(identity.PrefixSession)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RotateSession(ctx, store.Actor{Name: "test"}, sess, identity.HashSecret(secret), db.Now().UTC(), "test: second factor"); err != nil {
			t.Fatal(err)
		}
		nc := *ck
		nc.Value = secret
		c.cookies[i] = &nc
	}
}
