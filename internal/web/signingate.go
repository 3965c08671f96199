package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
)

// The sign-in gate: what every sign-in attempt passes before anything reads
// the database or checks a password. The throttles of identity (kept in the
// database so that every replica agrees) decide whether an account or an
// address may try; the gate only makes a flood cheap to refuse and keeps
// the process within its memory ceiling:
//
//   - each address (an IPv6 /64 counts as one) has a bucket of attempts,
//     refilled at a steady rate; an attempt that finds it empty is answered
//     429 after a short hold, so a client that ignores Retry-After waits
//     anyway and a flood costs the server a timer rather than a database
//     read and a JSON answer per attempt;
//   - a browser that carries a known-device cookie Safeguard issued (it
//     carries a tag only the deployment's key makes) has a bucket of its
//     own, so its owner still gets through while someone behind the same
//     address floods;
//   - at most a few attempts are worked on at once, and none is taken while
//     the process holds nine tenths of its memory limit: the rest are
//     answered 503 at once.
const (
	// gateBurst and gateRate are an address's allowance: this many attempts
	// at once, then gateRate a second. A clinic behind one address signing
	// in at the start of a shift stays well within it.
	gateBurst = 20
	gateRate  = 1.0
	// deviceBurst and deviceRate are a known device's own allowance: one
	// person, a password and a mistyped code or two at a time.
	deviceBurst = 10
	deviceRate  = 1.0
	// gateHold is the longest a refused attempt is held before its answer.
	gateHold = time.Second
	// maxHeld bounds how many refused attempts are held at once; beyond it
	// they are answered at once.
	maxHeld = 512
	// maxGateSources bounds the buckets kept; a bucket that has filled up
	// again is forgotten first.
	maxGateSources = 50000
	// memoryShare is the part of the memory limit beyond which new attempts
	// are shed.
	memoryShare = 0.9
)

// signInRoute says whether a request checks a credential, by method and
// path, and the route pattern it is counted under.
func signInRoute(r *http.Request) (string, bool) {
	if r.Method != http.MethodPost {
		return "", false
	}
	switch p := r.URL.Path; p {
	case "/login", "/api/v1/login", "/login/mfa", "/login/passkey/begin", "/login/passkey/finish":
		return "POST " + p, true
	default:
		if rest, ok := strings.CutPrefix(p, "/invite/"); ok && rest != "" && !strings.Contains(rest, "/") {
			return "POST /invite/{token}", true
		}
	}
	return "", false
}

type signInGate struct {
	deviceKey         []byte
	burst, rate       float64
	devBurst, devRate float64
	hold              time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket

	held     atomic.Int64
	inFlight chan struct{}
	// limit is the process's memory limit (Config.MemoryLimit), which
	// tests replace.
	limit func() int64
	// memory is the process's memory as last read, and when.
	memory struct {
		sync.Mutex
		at   time.Time
		held int64
	}
}

// bucket is one address's or device's allowance, with the rate and burst
// it was made with.
type bucket struct {
	tokens, burst, rate float64
	at                  time.Time
}

// newSignInGate prepares the gate; concurrent is how many attempts may be
// worked on at once. The device key is derived from the key-encryption key
// like the pre-session CSRF key, so that every replica recognises the
// cookies the others issued.
func newSignInGate(keys *crypt.Keyring, concurrent int, rate float64, memoryLimit int64) (*signInGate, error) {
	g := &signInGate{burst: gateBurst, rate: gateRate, devBurst: deviceBurst, devRate: deviceRate, hold: gateHold, buckets: map[string]*bucket{},
		inFlight: make(chan struct{}, max(concurrent, 1)), limit: func() int64 { return memoryLimit }}
	if rate > 0 {
		// Tests ask for a larger allowance, so that the kernel's own tests
		// of many refused sign-ins from one address reach the throttles.
		g.rate, g.burst = rate, max(gateBurst, rate*10)
		g.devRate, g.devBurst = rate*deviceRate/gateRate, max(deviceBurst, rate*deviceRate/gateRate*10)
	}
	if keys != nil {
		k, err := keys.DeriveKey("known-device tag")
		if err != nil {
			return nil, err
		}
		g.deviceKey = k
	} else {
		g.deviceKey = make([]byte, 32)
		if _, err := rand.Read(g.deviceKey); err != nil {
			return nil, fmt.Errorf("read random key: %w", err)
		}
	}
	return g, nil
}

// tagDevice appends the gate's tag to a new known-device secret.
func (g *signInGate) tagDevice(secret string) string {
	return secret + "." + g.deviceTag(secret)
}

func (g *signInGate) deviceTag(secret string) string {
	m := hmac.New(sha256.New, g.deviceKey)
	m.Write([]byte("known device\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// taggedDevice reports whether a cookie's value is a device secret this
// deployment issued (whether or not it is still known).
func (g *signInGate) taggedDevice(v string) bool {
	secret, tag, ok := strings.Cut(v, ".")
	return ok && secret != "" && hmac.Equal([]byte(tag), []byte(g.deviceTag(secret)))
}

// sourceKey is the bucket of an address: an IPv6 address by its /64, which
// one subscriber usually holds whole.
func sourceKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Is4() || a.Is4In6() {
		return "ip:" + ip
	}
	p, _ := a.Prefix(64)
	return "ip:" + p.String()
}

// take spends one attempt of key's bucket, and says how long until the
// next one when it is empty.
func (g *signInGate) take(key string, burst, rate float64, now time.Time) (ok bool, wait time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.buckets[key]
	if b == nil {
		if len(g.buckets) >= maxGateSources {
			g.sweep(now)
		}
		if len(g.buckets) >= maxGateSources {
			// More addresses are trying at once than the gate keeps track
			// of: let the attempt on to the throttles and the in-flight
			// bound rather than refuse addresses never seen.
			return true, 0
		}
		b = &bucket{tokens: burst, burst: burst, rate: rate, at: now}
		g.buckets[key] = b
	}
	b.tokens = min(b.burst, b.tokens+now.Sub(b.at).Seconds()*b.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// sweep forgets the buckets that have filled up again: a full bucket is
// the same as none.
func (g *signInGate) sweep(now time.Time) {
	for k, b := range g.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*b.rate >= b.burst {
			delete(g.buckets, k)
		}
	}
}

// memoryTight reports whether the process uses more than memoryShare of
// its memory limit (none set means never). The
// reading is at most 10 ms old.
func (g *signInGate) memoryTight(now time.Time) bool {
	limit := g.limit()
	if limit <= 0 || limit == math.MaxInt64 {
		return false
	}
	g.memory.Lock()
	defer g.memory.Unlock()
	if now.Sub(g.memory.at) > 10*time.Millisecond {
		held, free := identity.MemoryHeld()
		g.memory.held, g.memory.at = held-free, now
	}
	return float64(g.memory.held) > memoryShare*float64(limit)
}

// Errors of the gate.
var errGateBusy = &HTTPError{Code: http.StatusServiceUnavailable,
	Msg: "Too many people are signing in at this moment. Try again in a few seconds."}

// gateSignIn is the middleware in front of every sign-in attempt.
func (s *Server) gateSignIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, ok := signInRoute(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		g, now := s.gate, time.Now()
		key, burst, rate := sourceKey(clientOf(r.Context()).IP), g.burst, g.rate
		if c, err := r.Cookie(s.deviceCookieName(r)); err == nil && g.taggedDevice(c.Value) {
			key, burst, rate = "dev:"+c.Value, g.devBurst, g.devRate
		}
		refuse := func(he *HTTPError, wait time.Duration) {
			if label, ok := r.Context().Value(routeKey).(*routeLabel); ok {
				label.pattern, label.quiet = route, true
			}
			s.AuditFailure(r, "auth.throttled", "route:"+route, "sign-in attempts came faster than the sign-in gate lets through, or while the server was at capacity")
			s.writeError(w, r, &retryError{HTTPError: he, wait: wait})
		}
		if ok, wait := g.take(key, burst, rate, now); !ok {
			// Hold the refusal; if the bucket has an attempt again by
			// then, go on.
			s.hold(r, min(wait, g.hold))
			if ok, wait = g.take(key, burst, rate, time.Now()); !ok {
				wait = max(wait, time.Second)
				refuse(&HTTPError{Code: http.StatusTooManyRequests, Reason: "throttled",
					Msg: fmt.Sprintf("Too many sign-in attempts from your address. Try again in %s.", humanWait(wait))}, wait)
				return
			}
		}
		if g.memoryTight(now) {
			refuse(errGateBusy, hashBusyWait)
			return
		}
		select {
		case g.inFlight <- struct{}{}:
			defer func() { <-g.inFlight }()
		default:
			refuse(errGateBusy, hashBusyWait)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hold waits d before a refusal is answered, unless maxHeld refusals are
// already waiting or the client goes away.
func (s *Server) hold(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	if s.gate.held.Add(1) > maxHeld {
		s.gate.held.Add(-1)
		return
	}
	defer s.gate.held.Add(-1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}
