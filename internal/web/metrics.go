package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/safeguard-health/safeguard/internal/store"
)

// latencyBuckets are the upper bounds, in seconds, of the request-duration
// histogram.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type requestKey struct {
	route, method string
	code          int
}

type histogram struct {
	counts []uint64 // one per bucket, not cumulative
	sum    float64
	count  uint64
}

// metrics counts requests and their latencies by route, for /metrics.
type metrics struct {
	mu        sync.Mutex
	requests  map[requestKey]uint64
	durations map[string]*histogram
	started   time.Time
}

func newMetrics() *metrics {
	return &metrics{requests: map[requestKey]uint64{}, durations: map[string]*histogram{}, started: time.Now()}
}

func (m *metrics) observe(route, method string, code int, d time.Duration) {
	secs := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, method, code}]++
	h := m.durations[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets))}
		m.durations[route] = h
	}
	for i, le := range latencyBuckets {
		if secs <= le {
			h.counts[i]++
			break
		}
	}
	h.sum += secs
	h.count++
}

// labelValue escapes a Prometheus label value.
func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// write renders every metric in the Prometheus text exposition format 0.0.4.
func (m *metrics) write(w io.Writer, pools []store.PoolStats, version string) error {
	var b strings.Builder
	m.mu.Lock()
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, c := keys[i], keys[j]
		if a.route != c.route {
			return a.route < c.route
		}
		if a.method != c.method {
			return a.method < c.method
		}
		return a.code < c.code
	})
	b.WriteString("# HELP safeguard_http_requests_total HTTP requests served, by route pattern, method and status code.\n")
	b.WriteString("# TYPE safeguard_http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "safeguard_http_requests_total{route=\"%s\",method=\"%s\",code=\"%d\"} %d\n",
			labelValue(k.route), labelValue(k.method), k.code, m.requests[k])
	}
	routes := make([]string, 0, len(m.durations))
	for r := range m.durations {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	b.WriteString("# HELP safeguard_http_request_duration_seconds Time to serve HTTP requests, by route pattern.\n")
	b.WriteString("# TYPE safeguard_http_request_duration_seconds histogram\n")
	for _, r := range routes {
		h := m.durations[r]
		var cum uint64
		for i, le := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "safeguard_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %d\n",
				labelValue(r), strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(&b, "safeguard_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %d\n", labelValue(r), h.count)
		fmt.Fprintf(&b, "safeguard_http_request_duration_seconds_sum{route=\"%s\"} %s\n", labelValue(r), strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(&b, "safeguard_http_request_duration_seconds_count{route=\"%s\"} %d\n", labelValue(r), h.count)
	}
	started := m.started
	m.mu.Unlock()

	gauge := func(name, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
	}
	gauge("safeguard_db_open_connections", "Open database connections, by pool.")
	for _, p := range pools {
		fmt.Fprintf(&b, "safeguard_db_open_connections{pool=\"%s\"} %d\n", p.Pool, p.OpenConnections)
	}
	gauge("safeguard_db_in_use_connections", "Database connections in use, by pool.")
	for _, p := range pools {
		fmt.Fprintf(&b, "safeguard_db_in_use_connections{pool=\"%s\"} %d\n", p.Pool, p.InUse)
	}
	gauge("safeguard_db_idle_connections", "Idle database connections, by pool.")
	for _, p := range pools {
		fmt.Fprintf(&b, "safeguard_db_idle_connections{pool=\"%s\"} %d\n", p.Pool, p.Idle)
	}
	gauge("safeguard_db_max_open_connections", "The limit on open database connections, by pool.")
	for _, p := range pools {
		fmt.Fprintf(&b, "safeguard_db_max_open_connections{pool=\"%s\"} %d\n", p.Pool, p.MaxOpenConnections)
	}
	fmt.Fprintf(&b, "# HELP safeguard_db_wait_count_total Waits for a free database connection, by pool.\n# TYPE safeguard_db_wait_count_total counter\n")
	for _, p := range pools {
		fmt.Fprintf(&b, "safeguard_db_wait_count_total{pool=\"%s\"} %d\n", p.Pool, p.WaitCount)
	}
	fmt.Fprintf(&b, "# HELP safeguard_db_wait_seconds_total Time spent waiting for a free database connection, by pool.\n# TYPE safeguard_db_wait_seconds_total counter\n")
	for _, p := range pools {
		fmt.Fprintf(&b, "safeguard_db_wait_seconds_total{pool=\"%s\"} %s\n", p.Pool, strconv.FormatFloat(p.WaitDuration.Seconds(), 'g', -1, 64))
	}

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gauge("safeguard_go_goroutines", "Goroutines that currently exist.")
	fmt.Fprintf(&b, "safeguard_go_goroutines %d\n", runtime.NumGoroutine())
	gauge("safeguard_go_heap_alloc_bytes", "Bytes of allocated heap objects.")
	fmt.Fprintf(&b, "safeguard_go_heap_alloc_bytes %d\n", ms.HeapAlloc)
	gauge("safeguard_go_sys_bytes", "Bytes of memory obtained from the operating system.")
	fmt.Fprintf(&b, "safeguard_go_sys_bytes %d\n", ms.Sys)
	gauge("safeguard_process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.")
	fmt.Fprintf(&b, "safeguard_process_start_time_seconds %d\n", started.Unix())
	gauge("safeguard_build_info", "Always 1; the version label says which build is running.")
	fmt.Fprintf(&b, "safeguard_build_info{version=\"%s\",goversion=\"%s\"} 1\n", labelValue(version), runtime.Version())
	_, err := io.WriteString(w, b.String())
	return err
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
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return s.metrics.write(w, s.db.Stats(), s.cfg.Version)
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
