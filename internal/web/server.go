// Package web is the only package in Safeguard that speaks HTTP: the pages of
// the user interface, the JSON API under /api/v1, and the operational
// endpoints /healthz, /readyz and /metrics.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

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
	// Keys seals the secrets Safeguard keeps (TOTP seeds, SSO client
	// secrets) under the deployment's key-encryption key.
	Keys *crypt.Keyring
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
	// routeTable lists every route registered through route, with the
	// permission it needs.
	routeTable []route
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
	v, err := parseViews(static)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		db:      cfg.DB,
		log:     cfg.Logger,
		views:   v,
		static:  static,
		metrics: newMetrics(),
		started: time.Now(),
		hasher:  cfg.Hasher,
	}
	if s.hasher == nil {
		s.hasher = identity.DefaultHasher()
	}
	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = s.withClient(s.observe(s.securityHeaders(s.authenticate(mux))))
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
	s.partialRoute(mux, "POST /logout", s.logout)
	s.partialRoute(mux, "GET /account/password", s.passwordPage)
	s.partialRoute(mux, "POST /account/password", s.passwordSubmit)
	s.route(mux, "POST /api/v1/login", public, s.apiLogin)
	s.partialRoute(mux, "POST /api/v1/logout", s.logout)
	s.partialRoute(mux, "GET /api/v1/me", s.apiMe)

	s.route(mux, "/api/", public, s.notFound)
	s.route(mux, "/", public, s.notFound)
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

func (s *Server) metricsPage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return s.metrics.write(w, s.db.Stats(), s.cfg.Version)
}
