package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/problem"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// AllCapabilities, when set (by capabilities_test.go, in package web_test,
// which may import them), gives newTestServer every capability, as
// production has: the kernel's tests of sessions, sign-in and access then
// reach the routes capabilities add (the account page, organisations).
var AllCapabilities func() []Capability

func newTestServer(t *testing.T, db *store.DB, cfg Config) (*Server, *syncBuffer) {
	t.Helper()
	if cfg.Capabilities == nil && AllCapabilities != nil {
		cfg.Capabilities = AllCapabilities()
	}
	logs := &syncBuffer{}
	cfg.DB = db
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Version = "test"
	if cfg.Hasher == nil {
		cfg.Hasher = testHasher
	}
	if cfg.SignInRate == 0 {
		// The kernel's tests sign in, and fail to, many times a second from
		// one address; the gate's own tests (signingate_test.go) ask for
		// its real allowance.
		cfg.SignInRate = 1000
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return s, logs
}

func get(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := newTestServer(t, db, Config{MetricsToken: testMetricsToken})
		for _, tt := range []struct{ path, body string }{{"/healthz", "ok\n"}, {"/readyz", "ready\n"}} {
			w := get(t, s, tt.path)
			if w.Code != 200 || w.Body.String() != tt.body {
				t.Errorf("GET %s = %d %q, want 200 %q", tt.path, w.Code, w.Body.String(), tt.body)
			}
		}
		get(t, s, "/login")
		get(t, s, "/nowhere")
		w := get(t, s, "/metrics", "Authorization", "Bearer "+testMetricsToken)
		body := w.Body.String()
		for _, want := range []string{
			`safeguard_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`,
			`safeguard_http_requests_total{code="200",method="GET",route="GET /login"} 1`,
			`safeguard_http_requests_total{code="404",method="GET",route="/"} 1`,
			`safeguard_http_request_duration_seconds_bucket{route="GET /readyz",le="+Inf"} 1`,
			`safeguard_http_request_duration_seconds_count{route="GET /readyz"} 1`,
			`safeguard_db_open_connections{pool=`,
			`safeguard_db_max_open_connections{pool=`,
			"# TYPE safeguard_http_requests_total counter",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("GET /metrics lacks %q; got:\n%s", want, body)
			}
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Errorf("metrics Content-Type = %q, want Prometheus text 0.0.4", ct)
		}
		// Every sample line must parse as name{labels} value.
		sample := regexp.MustCompile(`^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? [0-9.e+-]+$`)
		for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
			if !strings.HasPrefix(line, "#") && !sample.MatchString(line) {
				t.Errorf("metrics line %q is not in the exposition format", line)
			}
		}
	})
}

const testMetricsToken = "metrics-token-4f1d6c0a9b2e7d35"

// TestMetricsAccess reads /metrics as an outsider: on the main listener it
// is not served without a configured token, and with one it needs the token.
func TestMetricsAccess(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	closed, _ := newTestServer(t, db, Config{})
	for _, h := range [][]string{nil, {"Authorization", "Bearer " + testMetricsToken}, {"Authorization", "Bearer sg_nonsense"}} {
		if w := get(t, closed, "/metrics", h...); w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "safeguard_") {
			t.Errorf("GET /metrics %v without a metrics token configured = %d, want 404", h, w.Code)
		}
	}
	open, _ := newTestServer(t, db, Config{MetricsToken: testMetricsToken})
	for _, tt := range []struct {
		header []string
		want   int
	}{
		{nil, http.StatusUnauthorized},
		{[]string{"Authorization", "Bearer wrong"}, http.StatusUnauthorized},
		{[]string{"Authorization", "Bearer " + testMetricsToken + "x"}, http.StatusUnauthorized},
		{[]string{"Authorization", "Basic " + testMetricsToken}, http.StatusUnauthorized},
		{[]string{"Authorization", "bearer " + testMetricsToken}, http.StatusOK},
	} {
		w := get(t, open, "/metrics", tt.header...)
		if w.Code != tt.want || (tt.want != http.StatusOK && strings.Contains(w.Body.String(), "safeguard_")) {
			t.Errorf("GET /metrics %v = %d, want %d", tt.header, w.Code, tt.want)
		}
		if tt.want == http.StatusUnauthorized && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("GET /metrics %v: WWW-Authenticate = %q", tt.header, w.Header().Get("WWW-Authenticate"))
		}
	}
	// The handler for a listener of its own: metrics and nothing else.
	mh := closed.MetricsHandler()
	if w := get(t, mh, "/metrics"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "\ngo_goroutines ") {
		t.Errorf("metrics listener GET /metrics = %d", w.Code)
	}
	for _, p := range []string{"/", "/login", "/healthz", "/admin"} {
		if w := get(t, mh, p); w.Code != http.StatusNotFound {
			t.Errorf("metrics listener GET %s = %d, want 404", p, w.Code)
		}
	}
	if w := get(t, open.MetricsHandler(), "/metrics"); w.Code != http.StatusUnauthorized {
		t.Errorf("metrics listener with a token configured, no token sent = %d, want 401", w.Code)
	}
}

func TestReadyzWhenDatabaseGone(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, logs := newTestServer(t, db, Config{})
	db.Close()
	w := get(t, s, "/readyz")
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with a closed database = %d, want 503", w.Code)
	}
	if !strings.Contains(logs.String(), "not ready") {
		t.Errorf("logs = %s, want a 'not ready' warning", logs)
	}
	if w := get(t, s, "/healthz"); w.Code != 200 {
		t.Errorf("GET /healthz with a closed database = %d, want 200 (the process is up)", w.Code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, _ := newTestServer(t, db, Config{
		BehindProxy:    true,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	})
	w := get(t, s, "/")
	h := w.Header()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q allows inline code", csp)
	}
	for name, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
		"X-Frame-Options":        "DENY",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := h.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS over plain HTTP = %q, want none", got)
	}
	if id := h.Get("X-Request-ID"); len(id) != 16 {
		t.Errorf("X-Request-ID = %q, want 16 hex digits", id)
	}

	// From a trusted proxy, X-Forwarded-Proto: https turns HSTS on.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:4444"
	r.Header.Set("X-Forwarded-Proto", "https")
	w = httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if got := w.Header().Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("HSTS behind a trusted TLS proxy = %q, want max-age", got)
	}
	// From anyone else, the header is ignored.
	r = httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.7:4444"
	r.Header.Set("X-Forwarded-Proto", "https")
	w = httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if got := w.Header().Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS from an untrusted peer claiming https = %q, want none", got)
	}
}

func TestHSTSUnderTLS(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, _ := newTestServer(t, db, Config{})
	ts := httptest.NewTLSServer(s)
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=63072000") {
		t.Errorf("HSTS under TLS = %q, want max-age=63072000", got)
	}
}

func TestClientAddress(t *testing.T) {
	t.Parallel()
	s := &Server{cfg: Config{BehindProxy: true, TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128"),
	}}}
	tests := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct", "192.0.2.1:1", nil, "192.0.2.1"},
		{"untrusted peer's header ignored", "192.0.2.1:1", []string{"203.0.113.9"}, "192.0.2.1"},
		{"trusted proxy", "10.0.0.2:1", []string{"203.0.113.9"}, "203.0.113.9"},
		{"spoofed left entries skipped", "10.0.0.2:1", []string{"1.1.1.1, 203.0.113.9, 10.0.0.5"}, "203.0.113.9"},
		{"split headers", "10.0.0.2:1", []string{"1.1.1.1", "203.0.113.9"}, "203.0.113.9"},
		{"garbage", "10.0.0.2:1", []string{"not-an-ip"}, "10.0.0.2"},
		{"ipv6 proxy", "[::1]:1", []string{"2001:db8::1"}, "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got client
			h := s.withClient(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = clientOf(r.Context()) }))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got.IP != tt.want {
				t.Errorf("client IP = %q, want %q", got.IP, tt.want)
			}
		})
	}
}

func TestStaticFiles(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, _ := newTestServer(t, db, Config{})
	url, err := s.static.url("style.css")
	if err != nil {
		t.Fatal(err)
	}
	w := get(t, s, url)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "prefers-color-scheme") {
		t.Fatalf("GET %s = %d, want the stylesheet", url, w.Code)
	}
	if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control = %q, want immutable", cc)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q, want text/css", ct)
	}
	if w := get(t, s, url, "If-None-Match", w.Header().Get("ETag")); w.Code != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", w.Code)
	}
	stale := strings.Replace(url, "/static/", "/static/0", 1)
	if w := get(t, s, stale); w.Code != 404 {
		t.Errorf("GET %s (wrong hash) = %d, want 404", stale, w.Code)
	}
	if _, err := s.static.url("missing.css"); err == nil {
		t.Error(`static.url("missing.css") = nil error, want one`)
	}
	// The page links the hashed URL.
	page := get(t, s, "/login").Body.String()
	if !strings.Contains(page, url) {
		t.Errorf("status page does not link %s", url)
	}
}

func TestErrorModel(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, logs := newTestServer(t, db, Config{})
	// HTML 404.
	w := get(t, s, "/no/such/page")
	if w.Code != 404 || !strings.Contains(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), "<h1>Not Found</h1>") {
		t.Errorf("GET /no/such/page = %d %s, want an HTML 404 page", w.Code, w.Header().Get("Content-Type"))
	}
	// JSON 404 under /api.
	w = get(t, s, "/api/v1/nothing")
	var body errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 404 || body.Error.Code != "not_found" || body.Error.RequestID == "" {
		t.Errorf("GET /api/v1/nothing = %d %s, want JSON not_found with a request ID", w.Code, w.Body)
	}

	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
	}{
		{"validation", validate.Error{"name": "is required"}, 422, "invalid"},
		{"not found", fmt.Errorf("risk 7: %w", store.ErrNotFound), 404, "not_found"},
		{"conflict", fmt.Errorf("org: %w", store.ErrConflict), 409, "conflict"},
		{"explicit", &HTTPError{Code: 403, Msg: "Not yours."}, 403, "forbidden"},
		{"internal", errors.New("pq: password=hunter2 leaked detail"), 500, "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := s.observe(s.handle(func(w http.ResponseWriter, r *http.Request) error { return tt.err }))
			w := get(t, h, "/api/v1/x")
			var body errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not JSON: %v", w.Body, err)
			}
			if w.Code != tt.wantStatus || body.Error.Code != tt.wantCode {
				t.Errorf("status, code = %d, %q, want %d, %q", w.Code, body.Error.Code, tt.wantStatus, tt.wantCode)
			}
			if strings.Contains(w.Body.String(), "hunter2") {
				t.Errorf("response %s leaks the server-side error", w.Body)
			}
			if tt.name == "validation" && body.Error.Fields["name"] != "is required" {
				t.Errorf("fields = %v, want name: is required", body.Error.Fields)
			}
			// The same error as an HTML page.
			w = get(t, h, "/x", "Accept", "text/html")
			if w.Code != tt.wantStatus || !strings.Contains(w.Header().Get("Content-Type"), "text/html") {
				t.Errorf("HTML: status %d %s, want %d text/html", w.Code, w.Header().Get("Content-Type"), tt.wantStatus)
			}
		})
	}
	if !strings.Contains(logs.String(), "hunter2") || !strings.Contains(logs.String(), `"request_id"`) {
		t.Errorf("a 500 should be logged server-side with its request ID; logs:\n%s", logs)
	}
}

func TestLogsOmitQueryStrings(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, logs := newTestServer(t, db, Config{})
	get(t, s, "/login?token=sg_secret_value")
	if strings.Contains(logs.String(), "sg_secret_value") {
		t.Errorf("logs contain a query-string secret:\n%s", logs)
	}
	if !strings.Contains(logs.String(), `"route":"GET /login"`) {
		t.Errorf("logs lack the request line:\n%s", logs)
	}
}

func TestStatusPageListsOrgs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o, err := db.CreateOrg(ctx, store.Actor{Name: "cli:test"}, identity.Org{Slug: "riverside", Name: "Riverside <Family> Practice", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := newTestServer(t, db, Config{Demo: true})
		pw := createUser(t, db, "sam@example.org", false, o.ID, identity.RoleViewer)
		if w := login(t, s, "sam@example.org", pw).get(t, "/status"); w.Code != http.StatusForbidden {
			t.Errorf("GET /status as a viewer = %d, want 403: it lists every organisation", w.Code)
		}
		pw = createUser(t, db, "admin@example.org", true, 0, "")
		c := loginFull(t, s, db, "admin@example.org", pw)
		w := c.get(t, "/status")
		body := w.Body.String()
		for _, want := range []string{"Riverside &lt;Family&gt; Practice", "Covered entity: health care provider", "Ready", "Demo instance", `<main id="main"`, `lang="en"`} {
			if !strings.Contains(body, want) {
				t.Errorf("status page lacks %q", want)
			}
		}
	})
}

// TestTemplatesRenderZeroValues renders every page with its zero value, so a
// template that breaks on missing data fails here rather than in production.
func TestTemplatesRenderZeroValues(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	// The kernel's own pages; each capability checks its own.
	s, _ := newTestServer(t, db, Config{Capabilities: []Capability{}})
	zero := map[string]PageData{
		"status":       &statusView{},
		"api_docs":     &apiDocsPage{},
		"error":        &errorPage{},
		"login":        &loginView{},
		"password":     &passwordView{},
		"home":         &homeView{},
		"invitation":   &invitationView{},
		"passkeys":     &passkeysView{},
		"mfa_verify":   &mfaVerifyView{},
		"mfa_setup":    &mfaView{},
		"mfa_recovery": &recoveryView{},
		"sso_signin":   &ssoSignInView{},
		"sso_continue": &ssoContinueView{},
	}
	if len(s.views.pages) < len(zero) {
		t.Errorf("parsed %d page templates, want at least %d", len(s.views.pages), len(zero))
	}
	for name := range s.views.pages {
		data, ok := zero[name]
		if !ok {
			t.Errorf("template %q has no zero value in this test; add one", name)
			continue
		}
		w := httptest.NewRecorder()
		s.render(w, httptest.NewRequest("GET", "/", nil), 200, name, data)
		if w.Code != 200 {
			t.Errorf("render(%q, zero) = %d, want 200", name, w.Code)
		}
		b, _ := io.ReadAll(w.Body)
		if !bytes.Contains(b, []byte("</html>")) {
			t.Errorf("render(%q, zero) produced an incomplete page", name)
		}
	}
}

// TestProblemAnswers: a problem's kind picks the status in one place, and
// its message is what the person reads, wrapped or not.
func TestProblemAnswers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err    error
		status int
	}{
		{problem.New(problem.Conflict, "The invitation was answered already.", store.ErrConflict), http.StatusConflict},
		{fmt.Errorf("answer invitation 3: %w", problem.New(problem.Gone, "The link has expired.", nil)), http.StatusGone},
		{problem.New(problem.NotFound, "There is no such report.", store.ErrNotFound), http.StatusNotFound},
		{problem.New(problem.Forbidden, "Only owners may do this.", nil), http.StatusForbidden},
	} {
		he := classify(tt.err)
		p, _ := problem.As(tt.err)
		if he.Code != tt.status || he.Msg != p.Message {
			t.Errorf("classify(%v) = %d %q, want %d %q", tt.err, he.Code, he.Msg, tt.status, p.Message)
		}
	}
}

// testCapability is a capability made of a few templates and one route.
type testCapability struct{ files fstest.MapFS }

func (c testCapability) Templates() fs.FS { return c.files }

func (c testCapability) Register(s *Server) {
	s.Route("GET /hello", identity.PermPublic, func(w http.ResponseWriter, r *http.Request) error {
		s.Render(w, r, http.StatusOK, "hello", &struct{ Page }{Page: Page{Title: "Hello"}})
		return nil
	})
}

// TestCapabilities: a capability's pages render with the layout and its own
// partials, its routes go through the same check as the kernel's, and a page
// name used twice is refused at start.
func TestCapabilities(t *testing.T) {
	db := storetest.SQLite(t)
	c := testCapability{fstest.MapFS{
		"hello.html":  {Data: []byte(`{{define "content"}}<h1>{{.Title}}</h1>{{template "greeting"}}{{end}}`)},
		"_parts.html": {Data: []byte(`{{define "greeting"}}<p id="greeting">from a partial</p>{{end}}`)},
	}}
	s, _ := newTestServer(t, db, Config{Capabilities: []Capability{c}})
	w := get(t, s, "/hello")
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, "<h1>Hello</h1>") || !strings.Contains(body, `id="greeting"`) || !strings.Contains(body, "</html>") {
		t.Errorf("GET /hello = %d %s, want the page in the layout with its partial", w.Code, body)
	}
	found := false
	for _, rt := range s.Routes() {
		found = found || rt.Pattern == "GET /hello"
	}
	if !found {
		t.Error("the capability's route is not in the route table")
	}
	dup := testCapability{fstest.MapFS{"login.html": {Data: []byte(`{{define "content"}}{{end}}`)}}}
	if _, err := New(Config{DB: db, Capabilities: []Capability{dup}}); err == nil || !strings.Contains(err.Error(), `page "login"`) {
		t.Errorf("New with a second login page = %v, want an error naming the page", err)
	}
}
