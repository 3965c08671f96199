// Package webtest builds a real Safeguard server for the tests of the
// capability packages beneath internal/web: the real store (SQLite or
// PostgreSQL from storetest), a password hasher cheap enough for tests,
// users, and clients that sign in through the API and keep their cookies
// and CSRF token like a browser.
package webtest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Hasher makes password hashing cheap in tests; its cost parameters do not
// change what is tested. Its 16 slots keep tests that run in parallel from
// waiting on each other's sign-ins.
var Hasher = identity.NewHasher(1, 64, 1, 16)

// Password is the password CreateUser gives everyone.
const Password = "correct-battery-horse-9"

// NewServer builds a server on db with cfg and the test hasher; its logs are
// discarded.
func NewServer(t testing.TB, db *store.DB, cfg web.Config) *web.Server {
	t.Helper()
	cfg.DB = db
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.Version = "test"
	if cfg.Hasher == nil {
		cfg.Hasher = Hasher
	}
	s, err := web.New(cfg)
	if err != nil {
		t.Fatalf("web.New() = %v", err)
	}
	return s
}

// CreateUser adds a user with Password, as a member of orgID with role
// (none when orgID is 0).
func CreateUser(t testing.TB, db *store.DB, email string, admin bool, orgID int64, role identity.Role) {
	t.Helper()
	hash, err := Hasher.Hash(context.Background(), Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(context.Background(), store.Actor{Name: "test"}, store.NewUser{
		User: identity.User{Email: email, Name: "Test " + email, Admin: admin}, PasswordHash: hash, OrgID: orgID, Role: role,
	}); err != nil {
		t.Fatalf("CreateUser(%s) = %v", email, err)
	}
}

// Client is a signed-in browser: its cookies and its session's CSRF token.
type Client struct {
	h       http.Handler
	cookies []*http.Cookie
	csrf    string
}

// Login signs in through POST /api/v1/login.
func Login(t testing.TB, h http.Handler, email, password string) *Client {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("login(%s) = %d %s", email, w.Code, w.Body)
	}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil {
		t.Fatal(err)
	}
	return &Client{h: h, cookies: w.Result().Cookies(), csrf: me.CSRF}
}

// Do sends a request with the client's cookies and, on a method that
// changes something, its CSRF token; it keeps the cookies the answer sets.
func (c *Client) Do(t testing.TB, method, path, contentType string, body io.Reader) *httptest.ResponseRecorder {
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
	if method != http.MethodGet && method != http.MethodHead && c.csrf != "" {
		r.Header.Set("X-CSRF-Token", c.csrf)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	for _, set := range w.Result().Cookies() {
		replaced := false
		for i, ck := range c.cookies {
			if ck.Name == set.Name {
				c.cookies[i], replaced = set, true
			}
		}
		if !replaced {
			c.cookies = append(c.cookies, set)
		}
	}
	return w
}

// Get is Do for a GET.
func (c *Client) Get(t testing.TB, path string) *httptest.ResponseRecorder {
	t.Helper()
	return c.Do(t, http.MethodGet, path, "", nil)
}

// Get sends an anonymous GET with the given header names and values.
func Get(t testing.TB, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
