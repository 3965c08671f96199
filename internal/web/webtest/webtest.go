// Package webtest builds a real Safeguard server for the tests of the
// capability packages beneath internal/web: the real store (SQLite or
// PostgreSQL from storetest), a password hasher cheap enough for tests,
// users, and clients that sign in through the API and keep their cookies
// and CSRF token like a browser.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/safeguard-health/safeguard/internal/crypt"
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
func CreateUser(t testing.TB, db *store.DB, email string, admin bool, orgID int64, role identity.Role) string {
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
	return Password
}

// Client is a signed-in browser: its cookies and its session's CSRF token.
type Client struct {
	h       http.Handler
	cookies []*http.Cookie
	csrf    string
}

// NewClient is a browser that has not signed in: it keeps the cookies the
// answers set, and sends no CSRF token until SetCSRF gives it one.
func NewClient(h http.Handler) *Client { return &Client{h: h} }

// SetCSRF sets the token sent on methods that change something, such as
// the one a page's form gives a browser before it signs in (FormToken).
func (c *Client) SetCSRF(token string) { c.csrf = token }

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// FormToken is the CSRF token of the first form in an HTML page.
func FormToken(t testing.TB, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil || m[1] == "" {
		t.Fatalf("no CSRF token in the page:\n%s", body)
	}
	return m[1]
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
	return c.DoHeader(t, method, path, contentType, body)
}

// DoHeader is Do with more request headers, given as name and value pairs
// ("If-Match", `"3"`).
func (c *Client) DoHeader(t testing.TB, method, path, contentType string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, body)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
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

// CSRF is the client's session CSRF token.
func (c *Client) CSRF() string { return c.csrf }

// Cookies are the cookies the client holds.
func (c *Client) Cookies() []*http.Cookie { return c.cookies }

// On is a client with c's cookies and CSRF token that sends its requests to
// h (another server on the same database).
func (c *Client) On(h http.Handler) *Client {
	return &Client{h: h, cookies: slices.Clone(c.cookies), csrf: c.csrf}
}

// SetCookies replaces the cookies the client holds.
func (c *Client) SetCookies(cs []*http.Cookie) { c.cookies = cs }

// LoginFull signs in and, where the user owes a second factor, marks the
// session as having passed one, as the MFA pages would after a good code.
// Tests of access rules use it; the MFA tests drive the real pages.
func LoginFull(t testing.TB, h http.Handler, db *store.DB, email, password string) *Client {
	t.Helper()
	c := Login(t, h, email, password)
	var me struct {
		PendingStep string `json:"pending_step"`
	}
	w := c.Get(t, "/api/v1/me")
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil {
		t.Fatalf("me: %v %s", err, w.Body)
	}
	if me.PendingStep == "/login/mfa" || me.PendingStep == "/account/mfa" {
		MarkSecondFactor(t, db, c)
	}
	return c
}

// MarkSecondFactor records on c's session that it passed a second factor,
// as the MFA pages would after a good code.
func MarkSecondFactor(t testing.TB, db *store.DB, c *Client) {
	t.Helper()
	ctx := context.Background()
	for i, ck := range c.cookies {
		if ck.Name != web.SessionCookie {
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

// SendJSON sends body as JSON with method to path.
func SendJSON(t testing.TB, c *Client, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	return c.Do(t, method, path, "application/json", strings.NewReader(body))
}

// MustJSON wants status want and decodes the answer into v (unless nil).
func MustJSON(t testing.TB, w *httptest.ResponseRecorder, want int, v any) {
	t.Helper()
	if w.Code != want {
		t.Fatalf("status = %d, want %d; body %s", w.Code, want, w.Body)
	}
	if v != nil {
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			t.Fatalf("decode %s: %v", w.Body, err)
		}
	}
}

// DecodeJSON200 GETs path as c, wants 200 with JSON, and decodes it into v.
func DecodeJSON200(t testing.TB, c *Client, path string, v any) {
	t.Helper()
	w := c.Get(t, path)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s Content-Type = %q", path, ct)
	}
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// PostForm posts form as a browser without scripts does.
func PostForm(t testing.TB, c *Client, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return c.Do(t, http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// WantPage wants status code and a body holding each of contains.
func WantPage(t testing.TB, w *httptest.ResponseRecorder, code int, contains ...string) {
	t.Helper()
	if w.Code != code {
		t.Fatalf("status %d, want %d; location %q; body %.400s", w.Code, code, w.Header().Get("Location"), w.Body)
	}
	for _, c := range contains {
		if !strings.Contains(w.Body.String(), c) {
			t.Errorf("page does not contain %q", c)
		}
	}
}

// MultipartBody builds a form with the given fields and, if filename is
// set, a file part; it returns the content type and the body.
func MultipartBody(t testing.TB, fields map[string]string, filename string, data []byte) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if filename != "" {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &b
}

// Upload posts a multipart form as the browser's script does (CSRF header,
// JSON answer).
func Upload(t testing.TB, c *Client, path string, fields map[string]string, filename string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	ct, body := MultipartBody(t, fields, filename, data)
	r := httptest.NewRequest(http.MethodPost, path, body)
	r.Header.Set("Content-Type", ct)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("X-CSRF-Token", c.csrf)
	for _, ck := range c.cookies {
		r.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

// FormPost posts a multipart form as a browser without scripts does: the
// CSRF token is a form field, the answer HTML.
func FormPost(t testing.TB, c *Client, path string, fields map[string]string, filename string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	fields["csrf"] = c.csrf
	ct, body := MultipartBody(t, fields, filename, data)
	r := httptest.NewRequest(http.MethodPost, path, body)
	r.Header.Set("Content-Type", ct)
	for _, ck := range c.cookies {
		r.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

// WalkAPI follows next_cursor from path (which asks for a small limit) to
// the last page of an API list, calling between after each page but the
// last, and returns every item in the order the pages gave them.
func WalkAPI[T any](t testing.TB, c *Client, path string, between func(page int)) []T {
	t.Helper()
	var all []T
	next := path
	for page := 1; ; page++ {
		if page > 100 {
			t.Fatalf("walking %s: more than 100 pages", path)
		}
		var p web.List[T]
		DecodeJSON200(t, c, next, &p)
		all = append(all, p.Items...)
		if p.NextCursor == nil {
			return all
		}
		between(page)
		u, err := url.Parse(path)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("cursor", *p.NextCursor)
		u.RawQuery = q.Encode()
		next = u.String()
	}
}

// WalkPages follows the "Next page" links of an HTML list from path and
// returns what rowRE's first group matched on every page, in order;
// between runs after each page but the last.
func WalkPages(t testing.TB, c *Client, path string, rowRE *regexp.Regexp, between func(page int)) []string {
	t.Helper()
	nextRE := regexp.MustCompile(`<a href="([^"]+)" rel="next">Next page</a>`)
	var all []string
	for page := 1; ; page++ {
		if page > 100 {
			t.Fatalf("walking %s: more than 100 pages", path)
		}
		w := c.Get(t, path)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, w.Code)
		}
		body := w.Body.String()
		for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
			all = append(all, html.UnescapeString(m[1]))
		}
		m := nextRE.FindStringSubmatch(body)
		if m == nil {
			return all
		}
		between(page)
		path = html.UnescapeString(m[1])
	}
}

// Keyring is a fresh key-encryption keyring.
func Keyring(t testing.TB) *crypt.Keyring {
	t.Helper()
	k, err := crypt.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Logs is a log destination safe for the server's goroutines, for tests
// that read what the server logged.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// NewServerWithLogs is NewServer keeping the server's logs (debug and up,
// as JSON) in the returned Logs.
func NewServerWithLogs(t testing.TB, db *store.DB, cfg web.Config) (*web.Server, *Logs) {
	t.Helper()
	logs := &Logs{}
	cfg.DB = db
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Version = "test"
	if cfg.Hasher == nil {
		cfg.Hasher = Hasher
	}
	s, err := web.New(cfg)
	if err != nil {
		t.Fatalf("web.New() = %v", err)
	}
	return s, logs
}

// Filler is a request body of N bytes, made up as it is read, so that a
// test can send a gigabyte without holding one. Count adds up what was read
// from it.
type Filler struct {
	N     int64
	Count *atomic.Int64
}

func (f *Filler) Read(p []byte) (int, error) {
	if f.N <= 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), f.N))
	for i := range p[:k] {
		p[i] = 'A'
	}
	f.N -= int64(k)
	f.Count.Add(int64(k))
	return k, nil
}

// CountingReader reads from R, adding what it read to Count.
type CountingReader struct {
	R     io.Reader
	Count *atomic.Int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.Count.Add(int64(n))
	return n, err
}

// AuditSize is how many entries the audit log holds.
func AuditSize(t testing.TB, db *store.DB) int64 {
	t.Helper()
	n, err := db.AuditSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// RenderZeroValues renders every page of a capability's templates with its
// zero value in zero, so that a template that breaks on missing data fails
// in a test rather than in production. A page without a zero value fails.
func RenderZeroValues(t testing.TB, s *web.Server, templates fs.FS, zero map[string]web.PageData) {
	t.Helper()
	pages, err := fs.Glob(templates, "[^_]*.html")
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != len(zero) {
		t.Errorf("%d page templates, %d zero values", len(pages), len(zero))
	}
	for _, f := range pages {
		name := strings.TrimSuffix(f, ".html")
		data, ok := zero[name]
		if !ok {
			t.Errorf("template %q has no zero value in this test; add one", name)
			continue
		}
		w := httptest.NewRecorder()
		s.Render(w, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, name, data)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "</html>") {
			t.Errorf("Render(%q, zero) = %d, want 200 and a whole page", name, w.Code)
		}
	}
}

// AuditActions lists the actions of the newest 500 audit entries of orgID
// (0: of the whole log), newest first.
func AuditActions(t testing.TB, db *store.DB, orgID int64) []string {
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

// FindAudit wants an audit entry with action whose summary mentions want
// among the newest 200 entries of the whole log.
func FindAudit(t testing.TB, db *store.DB, action, want string) {
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
