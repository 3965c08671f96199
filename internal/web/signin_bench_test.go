package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// BenchmarkSignInRefused measures the answer to a sign-in from an address
// that is already locked: what a flood costs the server per attempt.
func BenchmarkSignInRefused(b *testing.B) {
	db := storetest.SQLite(b)
	s, err := New(Config{DB: db, Hasher: testHasher, Version: "bench", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	post := func(i int) int {
		body := fmt.Sprintf(`{"email":"nobody-%d@example.org","password":"wrong-password-%d"}`, i, i)
		r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = "203.0.113.9:40000"
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code
	}
	// Lock the address for the longest time, as a flood soon does.
	for range identity.AddressFreeFailures + 20 {
		if _, err := db.RecordFailures(b.Context(), store.Actor{Name: "bench"}, audit.Entry{}, "ip:203.0.113.9"); err != nil {
			b.Fatal(err)
		}
	}
	if c := post(0); c != http.StatusTooManyRequests {
		b.Fatalf("answer %d, want 429", c)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if c := post(i); c != http.StatusTooManyRequests {
				b.Errorf("answer %d, want 429", c)
			}
		}
	})
}
