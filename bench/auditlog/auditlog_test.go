// Package auditlog compares Safeguard's audit log with transparency-dev/tessera's
// POSIX log: durable appends, each producer waiting until its entry is
// durably sequenced, at 1, 16 and 256 concurrent producers, on the same disk
// in the same run.
//
//	cd bench && go test -bench . -benchtime 20000x ./auditlog
package auditlog

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/store"
)

func produce(b *testing.B, p, n int, fn func(i int) error) float64 {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range p {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if err := fn(int(i)); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	return float64(n) / time.Since(start).Seconds()
}

func entryText(i int) string {
	return `{"org":1,"actor":"user:1","action":"risk.update","object":"risk:` + strconv.Itoa(i) + `","summary":"likelihood 3 → 4, impact unchanged"}`
}

func BenchmarkDurableAppend(b *testing.B) {
	for _, p := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("producers=%d", p), func(b *testing.B) {
			ctx := context.Background()
			n := max(b.N, 200)

			// Safeguard: SQLite in WAL mode with synchronous=FULL, group commit.
			db, err := store.Open(ctx, filepath.Join(b.TempDir(), "safeguard.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			actor := store.Actor{Name: "user:1", Source: "192.0.2.1", RequestID: "req-0123456789"}
			b.ResetTimer()
			sg := produce(b, p, n, func(i int) error {
				return db.AppendAudit(ctx, actor, audit.Entry{OrgID: 1, Action: "risk.update", Object: "risk:" + strconv.Itoa(i), Summary: "likelihood 3 → 4, impact unchanged"})
			})
			b.StopTimer()

			// Tessera's POSIX log: an Add's future resolves once the entry's
			// index is durably assigned.
			skey, _, err := note.GenerateKey(rand.Reader, "bench")
			if err != nil {
				b.Fatal(err)
			}
			signer, err := note.NewSigner(skey)
			if err != nil {
				b.Fatal(err)
			}
			driver, err := posix.New(ctx, posix.Config{Path: filepath.Join(b.TempDir(), "tessera")})
			if err != nil {
				b.Fatal(err)
			}
			tctx, cancel := context.WithCancel(ctx)
			defer cancel()
			appender, shutdown, _, err := tessera.NewAppender(tctx, driver, tessera.NewAppendOptions().
				WithCheckpointSigner(signer).
				WithBatching(256, 10*time.Millisecond).
				WithCheckpointInterval(time.Second))
			if err != nil {
				b.Fatal(err)
			}
			ts := produce(b, p, n, func(i int) error {
				_, err := appender.Add(tctx, tessera.NewEntry([]byte(entryText(i))))()
				return err
			})
			sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
			defer scancel()
			if err := shutdown(sctx); err != nil {
				b.Logf("tessera shutdown: %v", err)
			}
			b.ReportMetric(sg, "safeguard/s")
			b.ReportMetric(ts, "tessera/s")
			b.ReportMetric(sg/ts, "safeguard-vs-tessera")
		})
	}
}
