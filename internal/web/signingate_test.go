package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// gateLogin posts an API sign-in from ip, with the given cookies.
func gateLogin(h http.Handler, ctx context.Context, ip, email, password string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	body := `{"email":` + quote(email) + `,"password":` + quote(password) + `}`
	r := httptest.NewRequestWithContext(ctx, "POST", "/api/v1/login", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = ip + ":40000"
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestSignInGateFlood performs a sign-in flood from one address: 300
// attempts at once with wrong passwords, for a real account and unknown
// ones, with the gate's real allowance. Only the allowance reaches the
// throttles (the rest never read the database nor check a password), the
// rest are answered 429 with Retry-After after a hold, none is logged one
// line each, the audit log counts them, and the account's owner, signing in
// from the same address in a browser that signed in before, still gets in.
func TestSignInGateFlood(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, logs := newTestServer(t, db, Config{SignInRate: gateRate})
	s.gate.hold = 50 * time.Millisecond
	createUser(t, db, "owner@example.org", false, 0, "")
	ctx := context.Background()

	// The owner's browser signed in once before, from home.
	w := gateLogin(s, ctx, "198.51.100.20", "owner@example.org", testPassword)
	if w.Code != http.StatusOK {
		t.Fatalf("owner's first sign-in = %d %s", w.Code, w.Body)
	}
	var device *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == s.deviceCookieName(httptest.NewRequest("GET", "/", nil)) {
			device = c
		}
	}
	if device == nil || !s.gate.taggedDevice(device.Value) {
		t.Fatalf("the sign-in set no tagged known-device cookie: %v", w.Result().Cookies())
	}

	const attacker, attempts = "203.0.113.7", 300
	start := time.Now()
	var mu sync.Mutex
	codes, gated := map[int]int{}, 0
	try := func(i int) {
		email := fmt.Sprintf("nobody-%d@example.org", i)
		if i%2 == 0 {
			email = "owner@example.org"
		}
		w := gateLogin(s, ctx, attacker, email, "wrong-password-"+strconv.Itoa(i))
		if w.Code == http.StatusTooManyRequests {
			if ra, _ := strconv.Atoi(w.Header().Get("Retry-After")); ra < 1 {
				t.Errorf("429 without Retry-After: %v", w.Header())
			}
		}
		mu.Lock()
		codes[w.Code]++
		if strings.Contains(w.Body.String(), "from your address") {
			gated++
		}
		mu.Unlock()
	}
	// The first attempts spend the address's allowance; the rest come at
	// once.
	for i := range gateBurst {
		try(i)
	}
	var wg sync.WaitGroup
	for i := gateBurst; i < attempts; i++ {
		wg.Go(func() { try(i) })
	}
	// A forged device cookie does not buy an allowance of its own.
	forged := &http.Cookie{Name: device.Name, Value: "sgd_forged.AAAAAAAAAAAAAAAAAAAAAA"}
	if w := gateLogin(s, ctx, attacker, "owner@example.org", "guess", forged); w.Code != http.StatusTooManyRequests {
		t.Errorf("attempt with a forged device cookie during the flood = %d, want 429", w.Code)
	}
	// The owner, in the browser that signed in before, from the flooded
	// address: the device's own allowance.
	if w := gateLogin(s, ctx, attacker, "owner@example.org", testPassword, device); w.Code != http.StatusOK {
		t.Errorf("owner's sign-in from the known browser during the flood = %d %s", w.Code, w.Body)
	}
	wg.Wait()
	elapsed := time.Since(start)

	// What got past the gate is the allowance: the burst and what the
	// rate refilled while the flood lasted (and the forged attempt).
	allowance := gateBurst + int(elapsed.Seconds()*gateRate) + 1
	passed := attempts - gated
	if passed > allowance {
		t.Errorf("answers %v in %v: more than the allowance of %d got past the gate", codes, elapsed, allowance)
	}
	states, err := db.Throttles(ctx, "ip:"+attacker)
	if err != nil {
		t.Fatal(err)
	}
	if f := states["ip:"+attacker].Failures; f > allowance || f == 0 {
		t.Errorf("%d failures recorded for the address, want between 1 and the %d that passed the gate", f, allowance)
	}
	// Refusals are counted, not logged one line each.
	n := 0
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"status":429`) && !strings.Contains(line, `"level":"DEBUG"`) {
			n++
		}
	}
	if n > passed {
		t.Errorf("%d refusals logged at info level, want none of the %d the gate refused", n, gated)
	}
	s.FlushAuthFailures()
	if _, n := refusals(t, db, "auth.throttled"); n < gated {
		t.Errorf("the audit log counts %d throttled attempts, want at least the %d the gate refused", n, gated)
	}
	t.Logf("answers %v in %v; the gate refused %d, %d reached the throttles", codes, elapsed, gated, passed)
}

// TestSignInGateHold: a refusal is held before it is answered, unless the
// client has gone.
func TestSignInGateHold(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, _ := newTestServer(t, db, Config{SignInRate: gateRate})
	s.gate.hold = 300 * time.Millisecond
	ctx := context.Background()
	for i := range gateBurst {
		gateLogin(s, ctx, "203.0.113.8", fmt.Sprintf("nobody-%d@example.org", i), "wrong")
	}
	t0 := time.Now()
	w := gateLogin(s, ctx, "203.0.113.8", "nobody@example.org", "wrong")
	if d := time.Since(t0); w.Code == http.StatusTooManyRequests && d < 250*time.Millisecond {
		t.Errorf("refusal answered after %v, want it held about 300 ms", d)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	t0 = time.Now()
	if w := gateLogin(s, gone, "203.0.113.8", "nobody@example.org", "wrong"); w.Code != http.StatusTooManyRequests {
		t.Errorf("refused attempt = %d, want 429", w.Code)
	}
	if d := time.Since(t0); d > 200*time.Millisecond {
		t.Errorf("a refusal for a client that has gone was held %v", d)
	}
	// Another address, and another /64 of IPv6, have their own allowance;
	// addresses of one /64 share one.
	if w := gateLogin(s, ctx, "203.0.113.9", "somebody@example.org", "wrong"); w.Code != http.StatusUnauthorized {
		t.Errorf("another address = %d, want 401: %s", w.Code, w.Body)
	}
	if sourceKey("2001:db8:1:2::1") != sourceKey("2001:db8:1:2:ffff::9") || sourceKey("2001:db8:1:2::1") == sourceKey("2001:db8:1:3::1") {
		t.Error("IPv6 addresses are not grouped by their /64")
	}
}

// TestSignInGateSheds: attempts beyond the in-flight bound, or while the
// process is near its memory limit, are answered 503 at once.
func TestSignInGateSheds(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, _ := newTestServer(t, db, Config{})
	ctx := context.Background()

	s.gate.limit = func() int64 { return 1 << 20 } // this process uses more
	w := gateLogin(s, ctx, "203.0.113.10", "nobody@example.org", "wrong")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("attempt near the memory limit = %d %v, want 503 with Retry-After", w.Code, w.Header())
	}
	s.gate.limit = func() int64 { return 1 << 40 }
	s.gate.memory.at = time.Time{}
	if w := gateLogin(s, ctx, "203.0.113.10", "nobody@example.org", "wrong"); w.Code != http.StatusUnauthorized {
		t.Errorf("attempt with room = %d, want 401", w.Code)
	}

	for range cap(s.gate.inFlight) {
		s.gate.inFlight <- struct{}{}
	}
	w = gateLogin(s, ctx, "203.0.113.10", "nobody@example.org", "wrong")
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("attempt with every place in flight taken = %d, want 503", w.Code)
	}
	// Requests other than sign-in attempts do not pass the gate.
	if w := get(t, s, "/login"); w.Code != http.StatusOK {
		t.Errorf("GET /login while the gate is full = %d, want 200", w.Code)
	}
}
