// Package web is the only part of Safeguard that speaks HTTP: the kernel
// (this package) and, beneath it, one package per capability
// (internal/web/<capability>web) with that capability's pages and API side
// by side. Where a new capability's parts go:
//
//   - its rules: the domain package (internal/<capability>), standard library
//     and lower domain packages only, with table-driven tests;
//   - its SQL and migrations: internal/store, one transaction per exported
//     method writing the change and its audit entry, migrations in both
//     dialects under internal/store/migrations;
//   - its pages and API: internal/web/<capability>web, a Capability whose
//     Register adds each route with its permission through Server.Route (or
//     UploadRoute for a file upload), handlers that parse one input type per
//     action from a form or JSON, its templates embedded beside it
//     (Templates), and its tests (a server built with internal/web/webtest).
//     It imports the kernel, store and the domain, never another capability;
//   - its place in the list: internal/web/allweb, which cmd/safeguard wires
//     into web.New and whose route × role test (access_test.go) must get a
//     row for each new route;
//   - its CLI: cmd/safeguard;
//   - its demo data: internal/demo, through the same store methods users use.
//
// The kernel holds what every capability shares: the server, the router
// with one permission per route, sessions, CSRF, tenant and role checks, the
// error model, rendering, request decoding, uploads, paging and the shared
// view pieces (layout, breadcrumbs, dates, the posture chart); the
// operational endpoints (/healthz, /readyz, /metrics, /status); and signing
// in, because it makes the sessions the kernel checks: passwords, second
// factors and passkeys, single sign-on and linking a provider, invitation
// links, automatic logoff. The capabilities are the catalogue (catalogweb),
// the assessment and its evidence (assessweb), the organisation with its
// members, settings and emergency access (orgweb), single sign-on settings
// (ssoweb), the audit log (auditweb), platform administration (adminweb)
// and one's own account (accountweb).
package web

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Config is what the server needs from the process that runs it.
type Config struct {
	DB      *store.DB
	Logger  *slog.Logger
	Version string
	// BehindProxy says a TLS-terminating proxy is in front; its
	// X-Forwarded-For and X-Forwarded-Proto headers are believed only from
	// peers inside TrustedProxies.
	BehindProxy    bool
	TrustedProxies []netip.Prefix
	// Demo marks a demo instance, which every page then says it is.
	Demo bool
	// Hasher hashes and checks passwords; nil means the production cost.
	Hasher *identity.Hasher
	// IdleTimeout is the deployment's automatic logoff after inactivity
	// (organisations may set a shorter one); SessionLifetime the absolute
	// limit. Zero means the defaults, 15 minutes and 12 hours.
	IdleTimeout     time.Duration
	SessionLifetime time.Duration
	// EvidenceLimit is the largest evidence file accepted, in bytes; 0 means
	// 25 MiB.
	EvidenceLimit int64
	// MaxUploads is how many uploads may stream in at once (more are
	// answered 503); 0 means 4. TempDir is where an upload is spooled,
	// encrypted, while it streams in; empty means os.TempDir().
	MaxUploads int
	TempDir    string
	// AuditKeys returns the public keys that audit checkpoints may be signed
	// with, read from outside the database each time verification runs.
	AuditKeys func() (audit.Keys, error)
	// PublicURL is the address people open Safeguard at, for links in
	// invitations; empty means the address each request came to.
	PublicURL string
	// Keys seals the secrets Safeguard keeps (TOTP seeds, SSO client
	// secrets) under the deployment's key-encryption key.
	Keys *crypt.Keyring
	// Catalog is the rule catalogue the pages and API serve.
	Catalog *catalog.Catalog
	// Capabilities are the capabilities served beside the kernel's own
	// routes, each with its pages and API (see Capability).
	Capabilities []Capability
	// SSO is the deployment's OpenID Connect provider, nil for none
	// (organisations may still configure their own).
	SSO *identity.SSOConfig
	// RPID and RPOrigins are the WebAuthn relying party: the domain passkeys
	// are bound to and the origins they may be used from. Empty means the
	// host the browser asked for (localhost for a loopback address).
	RPID      string
	RPOrigins []string
	// MetricsToken, when set, lets GET /metrics on the main listener answer
	// a request carrying "Authorization: Bearer MetricsToken". Without it
	// /metrics is not served there (404); MetricsHandler serves it on an
	// address of its own.
	MetricsToken string
	// MemoryLimit is the process's memory limit in bytes: sign-in attempts
	// are shed while it is nearly reached (the sign-in gate). 0: not
	// checked.
	MemoryLimit int64
	// SignInRate is how many sign-in attempts a second one address may
	// make once its first 20 are spent (the sign-in gate); 0 means 1.
	SignInRate float64
}

// Server serves Safeguard over HTTP. Build one with New.
type Server struct {
	cfg     Config
	db      *store.DB
	log     *slog.Logger
	views   *views
	static  *staticFiles
	metrics *metrics
	handler http.Handler
	started time.Time
	hasher  *identity.Hasher
	// mux routes requests; capabilities add to it through Route.
	mux *http.ServeMux
	// routeTable lists every route registered through route, with the
	// permission it needs.
	routeTable []RouteSpec
	// uploads holds a token for each upload streaming in.
	uploads chan struct{}
	// guard is the in-memory state of the sign-in defences (loginguard.go);
	// gate the cheap refusals in front of them (signingate.go).
	guard *loginGuard
	gate  *signInGate
	// docs describes the API's routes, by pattern (apidoc.go); openAPI
	// is the OpenAPI document made from them and the route table, once,
	// when first asked for.
	docs    map[string]APIDoc
	openAPI struct {
		once sync.Once
		doc  []byte
		err  error
	}
	// registering names the capability whose routes are being added.
	registering string
}

// New parses the templates, hashes the static files and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	static, err := newStaticFiles()
	if err != nil {
		return nil, err
	}
	v, err := parseViews(static, cfg.Capabilities)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		db:      cfg.DB,
		log:     cfg.Logger,
		views:   v,
		static:  static,
		started: time.Now(),
		hasher:  cfg.Hasher,
	}
	if s.metrics, err = newMetrics(cfg.DB, cfg.Version, cfg.Logger); err != nil {
		return nil, err
	}
	if s.guard, err = newLoginGuard(cfg.Keys); err != nil {
		return nil, err
	}
	if s.hasher == nil {
		s.hasher = identity.DefaultHasher()
	}
	// Enough attempts in flight to keep every hashing slot and its queue
	// busy, and not many more.
	if s.gate, err = newSignInGate(cfg.Keys, 4*s.hasher.Concurrency(), cfg.SignInRate, cfg.MemoryLimit); err != nil {
		return nil, err
	}
	s.uploads = make(chan struct{}, cmp.Or(max(cfg.MaxUploads, 0), defaultMaxUploads))
	mux := http.NewServeMux()
	s.mux = mux
	s.registering = "session"
	s.routes(mux)
	for _, c := range cfg.Capabilities {
		s.registering = capabilityName(c)
		c.Register(s)
	}
	if err := s.checkDocs(); err != nil {
		return nil, err
	}
	s.handler = s.withClient(s.observe(s.securityHeaders(s.gateSignIn(s.metricsBypass(mux, s.authenticate(mux))))))
	return s, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

func (s *Server) routes(mux *http.ServeMux) {
	public, signedIn := identity.PermPublic, identity.PermSignedIn
	s.route(mux, "GET /healthz", public, s.healthz)
	s.route(mux, "GET /readyz", public, s.readyz)
	s.route(mux, "GET /metrics", public, s.metricsPage)
	s.route(mux, "GET /static/{hash}/{name}", public, s.staticFile)
	s.route(mux, "GET /{$}", signedIn, s.home)
	s.route(mux, "GET /status", identity.PermAdmin, s.statusPage)

	s.route(mux, "GET /login", public, s.loginPage)
	s.route(mux, "POST /login", public, s.loginSubmit)
	s.PartialRoute("POST /logout", s.logout)
	s.PartialCredentialRoute("GET /account/password", s.passwordPage)
	s.PartialCredentialRoute("POST /account/password", s.passwordSubmit)
	s.route(mux, "POST /api/v1/login", public, s.apiLogin)
	s.Doc("POST /api/v1/login", APIDoc{Summary: "Sign in: starts a session (cookie) and answers who signed in, with the session's CSRF token",
		Request: apiLoginRequest{}, Response: MeJSON{}, Example: map[string]any{"email": "ann@example.org", "password": "correct-battery-horse-9"}})
	s.PartialRoute("POST /api/v1/logout", s.logout)
	s.Doc("POST /api/v1/logout", APIDoc{Summary: "Sign out: ends the session"})
	s.PartialRoute("GET /api/v1/me", s.apiMe)
	s.Doc("GET /api/v1/me", APIDoc{Summary: "Who is calling: the user, their organisations and what the session still owes", Response: MeJSON{}})
	s.route(mux, "GET /api/v1/openapi.json", signedIn, s.apiDocument)
	s.Doc("GET /api/v1/openapi.json", APIDoc{Summary: "This API described in OpenAPI 3.1", Response: map[string]any{}})
	s.route(mux, "GET /api-docs", signedIn, s.apiDocsPage)
	s.PartialRoute("GET /session/status", s.sessionStatus)
	s.PartialRoute("POST /session/keepalive", s.keepAlive)
	s.route(mux, "GET /invite/{token}", public, s.invitationPage)
	s.route(mux, "POST /invite/{token}", public, s.invitationSubmit)

	s.passkeyRoutes(mux)
	s.mfaRoutes(mux)
	s.ssoRoutes(mux)

	s.route(mux, "/api/", public, s.notFound)
	s.route(mux, "/", public, s.notFound)
}

// catalog returns the configured catalogue, or the embedded one when the
// server was built without (as some tests build it).
func (s *Server) catalog() (*catalog.Catalog, error) {
	if s.cfg.Catalog != nil {
		return s.cfg.Catalog, nil
	}
	return catalog.Default()
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return &HTTPError{Code: http.StatusNotFound, Msg: "There is no page at this address."}
}

// healthz answers as long as the process serves requests.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write([]byte("ok\n"))
	return err
}

// readyz answers 200 when the database is reachable and fully migrated, so a
// load balancer sends traffic only to replicas that can serve it.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Cache-Control", "no-store")
	if err := s.db.Ready(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", slog.Any("err", err))
		return &HTTPError{Code: http.StatusServiceUnavailable, Msg: "The database is not ready.", Err: err}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ready\n"))
	return err
}
