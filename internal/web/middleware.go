package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	clientKey
	routeKey
)

// routeLabel carries the matched route pattern back out to observe: the
// handlers below it see copies of the request, so r.Pattern on observe's
// own copy stays empty.
// routeLabel names the route a request matched, for the log and metrics;
// quiet logs it at debug level (a refusal the sign-in gate answers in a
// flood, counted by the metrics and summarised in the audit log instead).
type routeLabel struct {
	pattern string
	quiet   bool
}

// client is what the server knows about who sent a request: the address and
// whether the connection reached Safeguard (or its trusted proxy) over TLS.
type client struct {
	IP     string
	Secure bool
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func clientOf(ctx context.Context) client {
	c, _ := ctx.Value(clientKey).(client)
	return c
}

func newRequestID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on supported platforms; keep serving.
		return "00000000000000000"
	}
	return hex.EncodeToString(b)
}

// withClient works out the request's source address and scheme. Forwarded
// headers are believed only from a peer inside a trusted proxy prefix.
func (s *Server) withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := client{IP: peerIP(r.RemoteAddr), Secure: r.TLS != nil}
		if s.cfg.BehindProxy && s.trusted(c.IP) {
			if ip := s.forwardedFor(r.Header.Values("X-Forwarded-For")); ip != "" {
				c.IP = ip
			}
			if proto := r.Header.Get("X-Forwarded-Proto"); proto != "" {
				c.Secure = strings.EqualFold(strings.TrimSpace(proto), "https")
			}
		}
		ctx := context.WithValue(r.Context(), clientKey, c)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func peerIP(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

func (s *Server) trusted(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// forwardedFor returns the nearest address in X-Forwarded-For that is not a
// trusted proxy: entries to its left could have been written by anyone.
func (s *Server) forwardedFor(values []string) string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(hops[i])
		if err != nil {
			return ""
		}
		if !s.trusted(addr.String()) || i == 0 {
			return addr.Unmap().String()
		}
	}
	return ""
}

// contentSecurityPolicy allows only Safeguard's own scripts, styles and images:
// no inline script, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if clientOf(r.Context()).Secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives each request an ID, then logs and counts it by route. Query
// strings are not logged: they may carry tokens.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		w.Header().Set("X-Request-ID", id)
		label := &routeLabel{}
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		r = r.WithContext(context.WithValue(ctx, routeKey, label))
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		elapsed := time.Since(start)
		route := label.pattern
		if route == "" {
			route = "unmatched"
		}
		s.metrics.observe(route, r.Method, rec.status, elapsed)
		level := slog.LevelInfo
		if label.quiet || route == "GET /healthz" || route == "GET /readyz" || route == "GET /metrics" || strings.HasPrefix(route, "GET /static/") {
			level = slog.LevelDebug
		}
		s.log.LogAttrs(r.Context(), level, "request",
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", route),
			slog.Int("status", rec.status),
			slog.Duration("duration", elapsed),
			slog.String("client", clientOf(r.Context()).IP),
		)
	})
}
