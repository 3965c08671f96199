package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/safeguard-health/safeguard/internal/store"
)

// latencyBuckets are the upper bounds, in seconds, of the request-duration
// histogram.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics is what /metrics shows, kept by github.com/prometheus/client_golang
// in a registry of the Server's own, never the process-wide default one, so
// that two servers in one process (tests) count apart: requests and their
// latencies by route, the database pools, the build, and the Go runtime and
// process figures Prometheus users find under their usual go_ and process_
// names.
type metrics struct {
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	// handler writes the registry in whichever exposition format the scraper
	// asks for, the text format when it asks for none.
	handler http.Handler
}

func newMetrics(db *store.DB, version string, log *slog.Logger) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "safeguard_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "safeguard_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern.",
			Buckets: latencyBuckets,
		}, []string{"route"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "safeguard_build_info",
		Help:        "Always 1; the version label says which build is running.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	build.Set(1)
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		m.requests, m.durations, build, newPoolCollector(db),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	// A collector that fails leaves its figures out and is logged; the rest
	// are still served.
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      metricsLog{log},
		ErrorHandling: promhttp.ContinueOnError,
	})
	return m, nil
}

func (m *metrics) observe(route, method string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.durations.WithLabelValues(route).Observe(d.Seconds())
}

// metricsLog hands the exposition's errors to the server's logger.
type metricsLog struct{ log *slog.Logger }

func (l metricsLog) Println(v ...any) {
	l.log.Error("metrics", slog.String("error", strings.TrimSpace(fmt.Sprintln(v...))))
}

// poolCollector reads the database pools' figures at each scrape.
type poolCollector struct {
	db                                      *store.DB
	open, inUse, idle, maxOpen, waits, wait *prometheus.Desc
}

func newPoolCollector(db *store.DB) *poolCollector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, []string{"pool"}, nil)
	}
	return &poolCollector{
		db:      db,
		open:    desc("safeguard_db_open_connections", "Open database connections, by pool."),
		inUse:   desc("safeguard_db_in_use_connections", "Database connections in use, by pool."),
		idle:    desc("safeguard_db_idle_connections", "Idle database connections, by pool."),
		maxOpen: desc("safeguard_db_max_open_connections", "The limit on open database connections, by pool."),
		waits:   desc("safeguard_db_wait_count_total", "Waits for a free database connection, by pool."),
		wait:    desc("safeguard_db_wait_seconds_total", "Time spent waiting for a free database connection, by pool."),
	}
}

// Describe implements prometheus.Collector.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.inUse, c.idle, c.maxOpen, c.waits, c.wait} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.db.Stats() {
		for _, v := range []struct {
			desc  *prometheus.Desc
			kind  prometheus.ValueType
			value float64
		}{
			{c.open, prometheus.GaugeValue, float64(p.OpenConnections)},
			{c.inUse, prometheus.GaugeValue, float64(p.InUse)},
			{c.idle, prometheus.GaugeValue, float64(p.Idle)},
			{c.maxOpen, prometheus.GaugeValue, float64(p.MaxOpenConnections)},
			{c.waits, prometheus.CounterValue, float64(p.WaitCount)},
			{c.wait, prometheus.CounterValue, p.WaitDuration.Seconds()},
		} {
			ch <- prometheus.MustNewConstMetric(v.desc, v.kind, v.value, p.Pool)
		}
	}
}

// metricsPage serves GET /metrics on the main listener: only with the
// metrics bearer token, and not at all (404) when none is configured, since
// the per-route counts and pool figures are nobody else's business.
func (s *Server) metricsPage(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.MetricsToken == "" {
		return &HTTPError{Code: http.StatusNotFound, Msg: "Not found."}
	}
	return s.serveMetrics(w, r)
}

// serveMetrics checks the bearer token, when one is configured, and writes
// the metrics.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.MetricsToken != "" && !bearerMatches(r.Header.Get("Authorization"), s.cfg.MetricsToken) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="safeguard metrics"`)
		return &HTTPError{Code: http.StatusUnauthorized, Msg: "Send the metrics token: Authorization: Bearer <token>."}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}

// bearerMatches compares the header's bearer token with want in constant
// time (of their hashes, so the length leaks nothing either).
func bearerMatches(header, want string) bool {
	scheme, got, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// metricsBypass sends requests for /metrics past authentication, which
// would take the metrics token for an API token and refuse it; the route
// checks its own token. Everything else goes through authenticated.
func (s *Server) metricsBypass(mux *http.ServeMux, authenticated http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			mux.ServeHTTP(w, r)
			return
		}
		authenticated.ServeHTTP(w, r)
	})
}

// MetricsHandler serves GET /metrics alone, for a listener of its own
// (serve --metrics-addr) that Prometheus scrapes; the metrics token, when
// configured, is required there too. It answers 404 to anything else.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.handle(s.serveMetrics))
	return s.withClient(s.securityHeaders(mux))
}
