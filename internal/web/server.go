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
	}
	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = s.withClient(s.observe(s.securityHeaders(mux)))
	return s, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("GET /healthz", s.handle(s.healthz))
	mux.Handle("GET /readyz", s.handle(s.readyz))
	mux.Handle("GET /metrics", s.handle(s.metricsPage))
	mux.Handle("GET /static/{hash}/{name}", s.handle(s.staticFile))
	mux.Handle("GET /{$}", s.handle(s.statusPage))
	mux.Handle("/api/", s.handle(s.notFound))
	mux.Handle("/", s.handle(s.notFound))
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
