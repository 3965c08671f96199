package reportweb_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/report"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web/reportweb"
)

// BenchmarkReportLarge makes the whole report of issue 13's large
// organisation (10,000 assets, 40,000 flows, 20,000 risks and tasks) as the
// reports page and the CLI do: read from the store (Collect), then written
// as PDF, beside the same model written as JSON (the baseline: the least
// any format costs). It reports each step's time, the PDF's size and the
// process's peak heap while writing. The fixture takes minutes to build:
//
//	go test ./internal/web/reportweb -run '^$' -bench ReportLarge -benchtime 3x -timeout 30m
//
// SAFEGUARD_BENCH_RISK_SIZE=0.1 builds a tenth of it.
func BenchmarkReportLarge(b *testing.B) {
	ctx := context.Background()
	size := storetest.LargeRiskOrg
	if s := os.Getenv("SAFEGUARD_BENCH_RISK_SIZE"); s != "" {
		var f float64
		if _, err := fmt.Sscan(s, &f); err != nil || f <= 0 {
			b.Fatalf("SAFEGUARD_BENCH_RISK_SIZE=%q: want a positive number", s)
		}
		size = storetest.RiskSize{Assets: int(float64(size.Assets) * f), Flows: int(float64(size.Flows) * f),
			Risks: int(float64(size.Risks) * f), Tasks: int(float64(size.Tasks) * f)}
	}
	db := storetest.SQLite(b)
	actor := store.Actor{Name: "bench"}
	org, err := db.CreateOrg(ctx, actor, identity.Org{Slug: "big", Name: "Big Hospital", Kind: identity.KindProvider})
	if err != nil {
		b.Fatal(err)
	}
	var owners []int64
	for i, role := range []identity.Role{identity.RoleSecurityOfficer, identity.RoleContributor, identity.RoleOwner} {
		u, err := db.CreateUser(ctx, actor, store.NewUser{User: identity.User{Email: fmt.Sprintf("m%d@big.example", i), Name: fmt.Sprintf("Member %d", i)}, OrgID: org.ID, Role: role})
		if err != nil {
			b.Fatal(err)
		}
		owners = append(owners, u.ID)
	}
	t0 := time.Now()
	if err := storetest.RiskOrg(ctx, db, actor, org.ID, owners, size, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("fixture %+v built in %v", size, time.Since(t0).Round(time.Second))
	cat, err := catalog.Default()
	if err != nil {
		b.Fatal(err)
	}
	var collect, pdf, jsonTime time.Duration
	var pdfBytes int64
	var peak atomic.Uint64
	b.ResetTimer()
	for range b.N {
		t := time.Now()
		m, err := reportweb.Collect(ctx, db, cat, org, reportweb.Choice{Part: report.PartFull, PreparedBy: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		collect += time.Since(t)
		t = time.Now()
		if err := report.WriteJSON(io.Discard, m); err != nil {
			b.Fatal(err)
		}
		jsonTime += time.Since(t)
		stop := watchHeap(&peak)
		t = time.Now()
		cw := &counter{}
		if err := report.WritePDF(cw, m); err != nil {
			b.Fatal(err)
		}
		pdf += time.Since(t)
		stop()
		pdfBytes = cw.n
	}
	n := float64(b.N)
	b.ReportMetric(collect.Seconds()/n, "collect-s")
	b.ReportMetric(pdf.Seconds()/n, "pdf-s")
	b.ReportMetric(jsonTime.Seconds()/n, "json-s")
	b.ReportMetric(pdf.Seconds()/jsonTime.Seconds(), "pdf/json")
	b.ReportMetric(float64(pdfBytes)/(1<<20), "pdf-MB")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
}

// watchHeap samples the heap in use until stopped, keeping the largest.
func watchHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() { // exits when stop closes done
		defer close(finished)
		var ms runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
