package store_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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

type rateVariant struct {
	name string
	fn   func(i int) error
}

// interleave runs n calls of each variant over p producers, in rounds that
// take turns (a quarter of n each), so that a burst of load from elsewhere on
// the machine falls on every variant alike, and returns each one's rate.
func interleave(b *testing.B, p, n int, vs []rateVariant, around ...func(name string) func()) map[string]float64 {
	const rounds = 4
	spent := map[string]time.Duration{}
	next := 0
	b.ResetTimer()
	b.StopTimer()
	for r := range rounds {
		m := n / rounds
		if r == rounds-1 {
			m = n - m*(rounds-1)
		}
		for _, v := range vs {
			base := next
			end := func() {}
			if len(around) > 0 {
				end = around[0](v.name)
			}
			b.StartTimer()
			start := time.Now()
			produce(b, p, m, func(i int) error { return v.fn(base + i) })
			spent[v.name] += time.Since(start)
			b.StopTimer()
			end()
		}
		next += m
	}
	out := map[string]float64{}
	for name, d := range spent {
		out[name] = float64(n) / d.Seconds()
	}
	return out
}

// BenchmarkAuditAppend measures durable audit appends (each caller waits for
// its commit) with 1, 16 and 256 concurrent producers and, in the same run,
// the same rows inserted into a plain table by code that knows nothing of
// Safeguard's store (bench_plain_test.go), on its own connections, with the
// same durability:
//   - plain-group: a plain group commit (one writer goroutine, every waiting
//     row in one transaction);
//   - plain-group-indexed: the same into a table with the audit log's
//     indexes (every filter of the log page is indexed, which costs writes);
//   - one-row-tx: one BEGIN, INSERT, COMMIT per row on a pool of as many
//     connections as Safeguard's (10 on PostgreSQL, the one writer
//     connection on SQLite);
//   - autocommit (PostgreSQL): one INSERT per row, its own transaction.
//
// The ratios are Safeguard's rate over each baseline's: above 1, Safeguard
// is faster.
//
//	go test ./internal/store -run '^$' -bench BenchmarkAuditAppend -benchtime 20000x
func BenchmarkAuditAppend(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, p := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("%s/producers=%d", dialect, p), func(b *testing.B) {
				ctx := context.Background()
				var db *store.DB
				var plainDSN string
				conns := 1
				if dialect == "sqlite" {
					db = storetest.SQLite(b)
					plainDSN = filepath.Join(b.TempDir(), "plain.db")
				} else {
					plainDSN = storetest.PostgresURL(b)
					db = storetest.Open(b, plainDSN)
					conns = 10
				}
				plain, err := openPlain(ctx, plainDSN, conns, false)
				if err != nil {
					b.Fatal(err)
				}
				defer plain.close()
				// The indexed baseline writes the same rows into a table as
				// searchable as the log (its indexes), so that the ratio
				// against it is the cost of the chain, head and tree alone.
				ixDSN := plainDSN
				if dialect == "sqlite" {
					ixDSN = filepath.Join(b.TempDir(), "plain-ix.db")
				}
				plainIx, err := openPlain(ctx, ixDSN, conns, true)
				if err != nil {
					b.Fatal(err)
				}
				defer plainIx.close()
				n := max(b.N, 200)
				actor := store.Actor{Name: "user:1", Source: "192.0.2.1", RequestID: "req-0123456789"}
				entry := func(i int) audit.Entry {
					return audit.Entry{OrgID: 1, Actor: actor.Name, Source: actor.Source, RequestID: actor.RequestID,
						Action: "risk.update", Object: "risk:" + strconv.Itoa(i), Summary: "likelihood 3 → 4, impact unchanged"}
				}
				variants := []rateVariant{
					{name: "audit", fn: func(i int) error { return db.AppendAudit(ctx, actor, entry(i)) }},
					{name: "plain-group", fn: func(i int) error { return plain.grouped(entry(i)) }},
					{name: "plain-group-indexed", fn: func(i int) error { return plainIx.grouped(entry(i)) }},
				}
				// One-row transactions on SQLite's single writer cost one
				// fsync each whatever the producers: 256 add nothing.
				if dialect == "postgres" || p <= 16 {
					variants = append(variants, rateVariant{name: "one-row-tx", fn: func(i int) error { return plain.oneRow(ctx, entry(i)) }})
				}
				if dialect == "postgres" {
					variants = append(variants, rateVariant{name: "autocommit", fn: func(i int) error { return plain.autocommit(ctx, entry(i)) }})
				}
				rates := interleave(b, p, n, variants)
				for _, v := range variants[1:] {
					b.ReportMetric(rates[v.name], v.name+"/s")
					b.ReportMetric(rates["audit"]/rates[v.name], "audit-vs-"+v.name)
				}
				b.ReportMetric(rates["audit"], "audit/s")
			})
		}
	}
}

// BenchmarkAuditAppendCheckpointing measures durable audit appends at 16
// producers with, and in the same run without, a checkpointer that extends
// the Merkle tree and signs a checkpoint every 50 ms, as serve does
// every few seconds, only more often: the checkpointer should cost the
// writers little.
//
//	go test ./internal/store -run '^$' -bench BenchmarkAuditAppendCheckpointing -benchtime 20000x
func BenchmarkAuditAppendCheckpointing(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			var db *store.DB
			if dialect == "sqlite" {
				db = storetest.SQLite(b)
			} else {
				db = storetest.Postgres(b)
			}
			signer, _ := audit.NewSigner()
			actor := store.Actor{Name: "user:1", Source: "192.0.2.1", RequestID: "req-0123456789"}
			appendOne := func(i int) error {
				return db.AppendAudit(ctx, actor, audit.Entry{OrgID: 1, Action: "risk.update", Object: "risk:" + strconv.Itoa(i), Summary: "likelihood 3 → 4, impact unchanged"})
			}
			checkpoints := 0
			var checkpointTime time.Duration
			rates := interleave(b, 16, max(b.N, 400), []rateVariant{
				{name: "alone", fn: appendOne},
				{name: "checkpointing", fn: appendOne},
			}, func(name string) func() {
				// Each round starts with the tree caught up, so that the
				// checkpointer integrates only the entries of its round.
				if _, _, err := db.CheckpointAudit(ctx, signer); err != nil {
					b.Fatal(err)
				}
				if name != "checkpointing" {
					return func() {}
				}
				stop := make(chan struct{})
				done := make(chan struct{})
				// The checkpointer runs until the round ends and closes stop.
				go func() {
					defer close(done)
					tick := time.NewTicker(50 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tick.C:
							start := time.Now()
							if _, _, err := db.CheckpointAudit(ctx, signer); err != nil {
								b.Error(err)
								return
							}
							checkpointTime += time.Since(start)
							checkpoints++
						}
					}
				}()
				return func() { close(stop); <-done }
			})
			b.ReportMetric(rates["alone"], "alone/s")
			b.ReportMetric(rates["checkpointing"], "checkpointing/s")
			b.ReportMetric(rates["checkpointing"]/rates["alone"], "checkpointing-vs-alone")
			b.ReportMetric(float64(checkpoints), "checkpoints")
			b.ReportMetric(checkpointTime.Seconds()*1000/float64(max(checkpoints, 1)), "ms/checkpoint")
		})
	}
}

// BenchmarkAuditVerifyCLI replays a SQLite log of SAFEGUARD_BENCH_VERIFY_N
// entries (default 1,000,000) with audit.Verify, as 'safeguard audit verify'
// does, and, in the same run, reads the same rows with the sqlite3 command
// line shell (Debian's sqlite3 package) into /dev/null: a plain SELECT of
// the same columns, with no checking at all. It skips when sqlite3 is not
// installed.
//
//	SAFEGUARD_BENCH_VERIFY_N=1000000 go test ./internal/store -run '^$' -bench BenchmarkAuditVerifyCLI -benchtime 3x
func BenchmarkAuditVerifyCLI(b *testing.B) {
	cli, err := exec.LookPath("sqlite3")
	if err != nil {
		b.Skip("no sqlite3 command (apt-get install sqlite3)")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SAFEGUARD_BENCH_VERIFY_N")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	path := storetest.SQLiteURL(b)
	db := storetest.Open(b, path)
	if err := store.BulkAuditForTest(ctx, db, n); err != nil {
		b.Fatal(err)
	}
	signer, _ := audit.NewSigner()
	if _, _, err := db.CheckpointAudit(ctx, signer); err != nil {
		b.Fatal(err)
	}
	keys := audit.Keys{signer.ID(): signer.Public()}
	selectAll := `SELECT seq, at, org_id, actor, action, object, source, request_id, summary, version, prev_hash, hash FROM audit_log ORDER BY seq`
	runCLI := func() {
		cmd := exec.Command(cli, "-readonly", path, selectAll)
		devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer devnull.Close()
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = devnull, &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("sqlite3: %v %s", err, stderr.String())
		}
	}
	verify := func() {
		cps, err := db.AuditCheckpoints(ctx)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := audit.Verify(db.AuditRecords(ctx, 1, 0), audit.VerifyOptions{Keys: keys, Checkpoints: cps})
		if err != nil || rep.Problem != nil || rep.Entries != int64(n) {
			b.Fatalf("Verify = %+v, %v", rep, err)
		}
	}
	// Warm the page cache once for both.
	runCLI()
	verify()
	b.ResetTimer()
	var verifyTime, cliTime time.Duration
	for range b.N {
		start := time.Now()
		verify()
		verifyTime += time.Since(start)
		start = time.Now()
		runCLI()
		cliTime += time.Since(start)
	}
	b.ReportMetric(float64(n*b.N)/verifyTime.Seconds(), "verify-entries/s")
	b.ReportMetric(float64(n*b.N)/cliTime.Seconds(), "sqlite3-cli-rows/s")
	b.ReportMetric(cliTime.Seconds()/verifyTime.Seconds(), "verify-vs-sqlite3-cli")
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
