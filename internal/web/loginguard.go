package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

// The defences of signing in that keep state in memory: the CSRF token of
// the forms shown before there is a session, the aggregation of failed
// authentication in the audit log, and the throttle of addresses that send
// unknown API tokens.

const (
	preSessionCookie       = "sg_presession"
	securePreSessionCookie = "__Host-sg_presession"

	// failureWindow is how long failures of one kind from one address are
	// counted before their summary is written.
	failureWindow = time.Minute
	// tokenFreeFailures is how many refused API tokens an address may send
	// in a window before it is answered 429 until the window ends.
	tokenFreeFailures = 10
	// maxFailureSources bounds the memory the aggregation uses; beyond it,
	// further addresses share one bucket ("many addresses").
	maxFailureSources = 10000
	// maxBucketObjects is how many distinct objects (email addresses,
	// routes) a summary names.
	maxBucketObjects = 5
)

// loginGuard holds that state for one Server.
type loginGuard struct {
	csrfKey []byte

	mu      sync.Mutex
	buckets map[bucketKey]*failureBucket
	tokens  map[string]*sourceCount
	ticking bool
	stop    chan struct{}
	done    chan struct{}
}

type bucketKey struct{ source, action string }

// failureBucket counts the failures of one kind from one address in one
// window, after the first, which was written at once.
type failureBucket struct {
	first, last time.Time
	more        int
	objects     []string
	otherObjs   int
}

type sourceCount struct {
	start time.Time
	n     int
}

// newLoginGuard prepares the guard. The pre-session CSRF key is derived
// from the deployment's key-encryption key, so every replica that shares the
// key file accepts the forms the others served, and restarts do not expire
// them; without a keyring (some tests) it is a random key of this process.
func newLoginGuard(keys *crypt.Keyring) (*loginGuard, error) {
	var key []byte
	if keys != nil {
		k, err := keys.DeriveKey("pre-session csrf")
		if err != nil {
			return nil, err
		}
		key = k
	} else {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("read random key: %w", err)
		}
	}
	return &loginGuard{csrfKey: key, buckets: map[bucketKey]*failureBucket{}, tokens: map[string]*sourceCount{}}, nil
}

// --- CSRF before a session exists ---------------------------------------

// The sign-in and invitation forms are posted before there is a session, so
// their CSRF token cannot be the session's. Instead the page sets a random
// pre-session cookie (HttpOnly, SameSite=Lax, __Host- under TLS) and puts an
// HMAC of it, under a key derived from the deployment's key-encryption key
// (so every replica agrees), in the form. Another site can neither read the
// cookie nor compute the token, and a cookie it manages to plant comes
// without a matching token.

func (s *Server) preSessionCookieName(r *http.Request) string {
	if clientOf(r.Context()).Secure {
		return securePreSessionCookie
	}
	return preSessionCookie
}

func (g *loginGuard) csrfFor(cookie string) string {
	m := hmac.New(sha256.New, g.csrfKey)
	m.Write([]byte("pre-session csrf\x00" + cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// PreSessionToken returns the CSRF token for a pre-session form, setting the
// browser's pre-session cookie first when it has none.
func (s *Server) PreSessionToken(w http.ResponseWriter, r *http.Request) (string, error) {
	name := s.preSessionCookieName(r)
	if c, err := r.Cookie(name); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return s.guard.csrfFor(c.Value), nil
	}
	v, err := identity.NewSecret("")
	if err != nil {
		return "", err
	}
	s.setCookie(w, r, name, v, 0)
	return s.guard.csrfFor(v), nil
}

var ErrPreSessionCSRF = &HTTPError{Code: http.StatusForbidden,
	Msg: "The form has expired or did not come from Safeguard. Reload the page and try again."}

// CheckPreSessionCSRF compares the form's token (field csrf, or header
// X-CSRF-Token) with the one the pre-session cookie calls for, in constant
// time. A cross-site post (Origin: null included) has no valid pair.
func (s *Server) CheckPreSessionCSRF(r *http.Request) error {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	c, err := r.Cookie(s.preSessionCookieName(r))
	if err != nil || c.Value == "" || got == "" ||
		subtle.ConstantTimeCompare([]byte(got), []byte(s.guard.csrfFor(c.Value))) != 1 {
		s.AuditFailure(r, "auth.csrf_refused", "route:"+r.Method+" "+r.URL.Path, "missing or wrong pre-session CSRF token")
		return ErrPreSessionCSRF
	}
	return nil
}

// --- aggregated audit of failed authentication ----------------------------

// AuditFailure records a refused authentication without writing one durable
// entry per attempt: the first of its kind from an address in a window is
// written at once (who, where, what, when, request ID); the rest are counted
// and written as one summary when the window ends or the server stops.
func (s *Server) AuditFailure(r *http.Request, action, object, summary string) {
	s.startFlusher()
	first, ended := s.guard.note(clientOf(r.Context()).IP, action, object, time.Now())
	if ended != nil {
		s.writeSummary(r.Context(), *ended)
	}
	if !first {
		return
	}
	if err := s.db.Audit(r.Context(), s.Actor(r), audit.Entry{Action: action, Object: object, Summary: summary}); err != nil {
		s.log.ErrorContext(r.Context(), "audit refusal", slog.Any("err", err))
	}
}

// note counts one failure and reports whether it is the first of its window,
// to be written now, and the summary of the window it ends, if the flusher
// had not written that yet.
func (g *loginGuard) note(source, action, object string, now time.Time) (first bool, ended *audit.Entry) {
	g.mu.Lock()
	defer g.mu.Unlock()
	k := bucketKey{source, action}
	b := g.buckets[k]
	if b == nil && len(g.buckets) >= maxFailureSources {
		// Too many addresses at once: the rest share one bucket, and the
		// summary names them among its objects.
		k.source = "many addresses"
		b = g.buckets[k]
		object = source + " " + object
	}
	if b == nil || now.Sub(b.first) >= failureWindow {
		if b != nil && b.more > 0 {
			e := summaryOf(k, b)
			ended = &e
		}
		g.buckets[k] = &failureBucket{first: now, last: now}
		return true, ended
	}
	b.more++
	b.last = now
	b.addObject(object)
	return false, nil
}

func summaryOf(k bucketKey, b *failureBucket) audit.Entry {
	objs := strings.Join(b.objects, ", ")
	if b.otherObjs > 0 {
		objs += fmt.Sprintf(" and %d others", b.otherObjs)
	}
	return audit.Entry{Action: k.action, Object: "source:" + k.source,
		Summary: fmt.Sprintf("%d more refused attempts from %s between %s and %s, counted rather than written one by one (%s)",
			b.more, k.source, b.first.UTC().Format(time.RFC3339), b.last.UTC().Format(time.RFC3339), objs)}
}

func (b *failureBucket) addObject(o string) {
	if o == "" || slices.Contains(b.objects, o) {
		return
	}
	if len(b.objects) < maxBucketObjects {
		b.objects = append(b.objects, o)
	} else {
		b.otherObjs++
	}
}

// refusedToken counts an unknown, expired or revoked API token from source
// and reports how long that address must now wait, or 0.
func (g *loginGuard) refusedToken(source string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.tokens[source]
	if c == nil || now.Sub(c.start) >= failureWindow {
		if c == nil && len(g.tokens) >= maxFailureSources {
			source = "many addresses"
			if c = g.tokens[source]; c != nil && now.Sub(c.start) < failureWindow {
				c.n++
				return throttleWait(c, now)
			}
		}
		c = &sourceCount{start: now}
		g.tokens[source] = c
	}
	c.n++
	return throttleWait(c, now)
}

func throttleWait(c *sourceCount, now time.Time) time.Duration {
	if c.n <= tokenFreeFailures {
		return 0
	}
	return max(c.start.Add(failureWindow).Sub(now), time.Second)
}

// due takes the buckets whose window has ended (all of them when all is
// set) and returns the summaries to write.
func (g *loginGuard) due(now time.Time, all bool) []audit.Entry {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []audit.Entry
	for k, b := range g.buckets {
		if !all && now.Sub(b.first) < failureWindow {
			continue
		}
		delete(g.buckets, k)
		if b.more > 0 {
			out = append(out, summaryOf(k, b))
		}
	}
	for src, c := range g.tokens {
		if all || now.Sub(c.start) >= failureWindow {
			delete(g.tokens, src)
		}
	}
	slices.SortFunc(out, func(a, b audit.Entry) int { return strings.Compare(a.Object+a.Action, b.Object+b.Action) })
	return out
}

// writeSummaries writes the summaries that are due.
func (s *Server) writeSummaries(all bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, e := range s.guard.due(time.Now(), all) {
		s.writeSummary(ctx, e)
	}
}

func (s *Server) writeSummary(ctx context.Context, e audit.Entry) {
	src := strings.TrimPrefix(e.Object, "source:")
	if err := s.db.Audit(ctx, store.Actor{Name: "anonymous", Source: src}, e); err != nil {
		s.log.ErrorContext(ctx, "audit refusal summary", slog.Any("err", err))
	}
}

// startFlusher writes due summaries every quarter window, once something
// has been counted.
func (s *Server) startFlusher() {
	g := s.guard
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ticking {
		return
	}
	g.ticking = true
	g.stop, g.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(g.done)
		t := time.NewTicker(failureWindow / 4)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.writeSummaries(false)
			case <-g.stop:
				return
			}
		}
	}()
}

// FlushAuthFailures writes every pending summary of refused authentication
// and stops the background writer; call it when the server stops, before
// the database closes.
func (s *Server) FlushAuthFailures() {
	g := s.guard
	g.mu.Lock()
	stop, done := g.stop, g.done
	g.ticking, g.stop, g.done = false, nil, nil
	g.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	s.writeSummaries(true)
}

// refuseBadToken audits an unknown or unusable API token (aggregated) and answers 401, or
// 429 once the address has sent too many.
func (s *Server) refuseBadToken(r *http.Request, summary string) error {
	ip := clientOf(r.Context()).IP
	s.AuditFailure(r, "auth.token_refused", "route:"+r.Method+" "+r.URL.Path, summary)
	if wait := s.guard.refusedToken(ip, time.Now()); wait > 0 {
		return &retryError{HTTPError: &HTTPError{Code: http.StatusTooManyRequests,
			Msg: fmt.Sprintf("Too many requests with API tokens that are not valid from your address. Try again in %s.", humanWait(wait))}, wait: wait}
	}
	return errBadToken
}

// --- answers that say when to try again ---------------------------------

// retryError is an HTTP error with a Retry-After.
type retryError struct {
	*HTTPError
	wait time.Duration
}

func (e *retryError) Unwrap() error { return e.HTTPError }

// errHashBusy answers a sign-in shed because password hashing is at
// capacity.
var errHashBusy = &HTTPError{Code: http.StatusServiceUnavailable,
	Msg: "Too many people are signing in at this moment. Try again in a few seconds."}

// hashBusyWait is the Retry-After of errHashBusy: a few hash times.
const hashBusyWait = 2 * time.Second

// retryAfter says whether err should be answered with a Retry-After, and
// with how long.
func retryAfter(err error) (time.Duration, bool) {
	var re *retryError
	var te throttledError
	switch {
	case errors.As(err, &re):
		return re.wait, true
	case errors.As(err, &te):
		return te.wait, true
	case errors.Is(err, identity.ErrBusy):
		return hashBusyWait, true
	}
	return 0, false
}

func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
}
