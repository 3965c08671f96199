package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// produce runs n calls of fn spread over p goroutines and returns the rate.
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

// BenchmarkAuditAppend measures durable audit appends (each caller waits for
// its commit) with 1, 16 and 256 concurrent producers, against the same rows
// inserted into a plain table with the same durability, in the same run:
// "raw-grouped" through the same group committer (the cost of the chain),
// "raw-single" one transaction per row straight on the connection pool (a
// writer without group commit).
func BenchmarkAuditAppend(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, p := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("%s/producers=%d", dialect, p), func(b *testing.B) {
				var db *store.DB
				if dialect == "sqlite" {
					db = storetest.SQLite(b)
				} else {
					db = storetest.Postgres(b)
				}
				ctx := context.Background()
				if err := store.CreateRawTableForTest(ctx, db); err != nil {
					b.Fatal(err)
				}
				n := max(b.N, 200)
				actor := store.Actor{Name: "user:1", Source: "192.0.2.1", RequestID: "req-0123456789"}
				entry := func(i int) audit.Entry {
					return audit.Entry{OrgID: 1, Action: "risk.update", Object: "risk:" + strconv.Itoa(i), Summary: "likelihood 3 → 4, impact unchanged"}
				}
				b.ResetTimer()
				auditRate := produce(b, p, n, func(i int) error { return db.AppendAudit(ctx, actor, entry(i)) })
				b.StopTimer()
				grouped := produce(b, p, n, func(i int) error { return store.RawInsertForTest(ctx, db, true, actor, entry(i)) })
				single := produce(b, p, n, func(i int) error { return store.RawInsertForTest(ctx, db, false, actor, entry(i)) })
				b.ReportMetric(auditRate, "audit/s")
				b.ReportMetric(grouped, "raw-grouped/s")
				b.ReportMetric(single, "raw-single/s")
				b.ReportMetric(grouped/auditRate, "cost-vs-grouped")
				b.ReportMetric(single/auditRate, "cost-vs-single")
			})
		}
	}
}

// BenchmarkAuditVerify replays a log of SAFEGUARD_BENCH_VERIFY_N entries
// (default 1,000,000) with audit.Verify and, in the same run, scans the same
// rows without checking them.
func BenchmarkAuditVerify(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SAFEGUARD_BENCH_VERIFY_N")); err == nil && v > 0 {
		n = v
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			var db *store.DB
			if dialect == "sqlite" {
				db = storetest.SQLite(b)
			} else {
				db = storetest.Postgres(b)
			}
			ctx := context.Background()
			if err := store.BulkAuditForTest(ctx, db, n); err != nil {
				b.Fatal(err)
			}
			signer, _ := audit.NewSigner()
			if _, _, err := db.CheckpointAudit(ctx, signer); err != nil {
				b.Fatal(err)
			}
			cps, err := db.AuditCheckpoints(ctx)
			if err != nil {
				b.Fatal(err)
			}
			keys := audit.Keys{signer.ID(): signer.Public()}
			// Warm the caches once, so that neither pass pays for a cold start.
			for _, err := range db.AuditRecords(ctx, 1, 0) {
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			var verifyTime, scanTime time.Duration
			for range b.N {
				start := time.Now()
				rep, err := audit.Verify(db.AuditRecords(ctx, 1, 0), audit.VerifyOptions{Keys: keys, Checkpoints: cps})
				if err != nil || rep.Problem != nil || rep.Entries != int64(n) {
					b.Fatalf("Verify = %+v, %v", rep, err)
				}
				verifyTime += time.Since(start)
				start = time.Now()
				count := 0
				for _, err := range db.AuditRecords(ctx, 1, 0) {
					if err != nil {
						b.Fatal(err)
					}
					count++
				}
				scanTime += time.Since(start)
				if count != n {
					b.Fatalf("scan found %d rows, want %d", count, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/verifyTime.Seconds(), "verify-entries/s")
			b.ReportMetric(float64(n*b.N)/scanTime.Seconds(), "scan-rows/s")
			b.ReportMetric(scanTime.Seconds()/verifyTime.Seconds(), "verify-speed-vs-scan")
		})
	}
}
