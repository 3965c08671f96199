package store_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// BenchmarkRiskScale reads issue 13's large organisation (10,000 assets,
// 40,000 flows, 20,000 risks, 20,000 tasks, in an instance of 100
// organisations) as the inventory, register and plan do: each list at one
// page (50 rows), filtered and sorted every way, and the aggregates of the
// heat map, the plan and the dashboard. The fixture is built once per run
// and dialect (SQLite; PostgreSQL too when SAFEGUARD_TEST_POSTGRES_URL is
// set) through the store's own methods; building it takes a few minutes.
//
//	go test ./internal/store -run '^$' -bench 'BenchmarkRiskScale' -benchtime 200x -timeout 30m
//
// SAFEGUARD_BENCH_RISK_SIZE=0.1 builds a tenth of it (to try the benchmark
// quickly).
func BenchmarkRiskScale(b *testing.B) {
	size := storetest.LargeRiskOrg
	if s := os.Getenv("SAFEGUARD_BENCH_RISK_SIZE"); s != "" {
		var f float64
		if _, err := fmt.Sscan(s, &f); err != nil || f <= 0 {
			b.Fatalf("SAFEGUARD_BENCH_RISK_SIZE=%q: want a positive number", s)
		}
		size = storetest.RiskSize{Assets: int(float64(size.Assets) * f), Flows: int(float64(size.Flows) * f),
			Risks: int(float64(size.Risks) * f), Tasks: int(float64(size.Tasks) * f)}
	}
	dialects := []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}}
	if os.Getenv(storetest.EnvPostgres) != "" {
		dialects = append(dialects, struct {
			name string
			open func(testing.TB) *store.DB
		}{"postgres", storetest.Postgres})
	}
	for _, d := range dialects {
		db := d.open(b)
		f := newRiskScaleFixture(b, db, size)
		b.Run(d.name, func(b *testing.B) { benchRiskReads(b, db, f) })
	}
}

type riskScaleFixture struct {
	org    identity.Org
	owner  int64
	asset  int64
	scale  risk.Scale
	sample risk.Risk
}

func newRiskScaleFixture(b *testing.B, db *store.DB, size storetest.RiskSize) riskScaleFixture {
	b.Helper()
	ctx := context.Background()
	t0 := time.Now()
	var f riskScaleFixture
	var err error
	if f.org, err = db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider}); err != nil {
		b.Fatal(err)
	}
	for i := range 99 {
		if _, err := db.CreateOrg(ctx, cli, identity.Org{Slug: fmt.Sprintf("hospital-%03d", i), Name: fmt.Sprintf("Hospital %03d", i), Kind: identity.KindProvider}); err != nil {
			b.Fatal(err)
		}
	}
	var owners []int64
	for i, role := range []identity.Role{identity.RoleSecurityOfficer, identity.RoleContributor, identity.RoleContributor, identity.RoleOwner} {
		u, err := db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: fmt.Sprintf("member%d@riverside.example", i), Name: fmt.Sprintf("Member %d", i)},
			OrgID: f.org.ID, Role: role})
		if err != nil {
			b.Fatal(err)
		}
		owners = append(owners, u.ID)
	}
	f.owner = owners[1]
	if err := storetest.RiskOrg(ctx, db, cli, f.org.ID, owners, size, nil); err != nil {
		b.Fatal(err)
	}
	if f.scale, err = db.OrgScale(ctx, f.org.ID); err != nil {
		b.Fatal(err)
	}
	as, _, err := db.Assets(ctx, f.org.ID, store.AssetFilter{Kind: "server"}, store.Page{Limit: 1})
	if err != nil || len(as) == 0 {
		b.Fatal(err)
	}
	f.asset = as[0].ID
	rs, _, err := db.Risks(ctx, f.org.ID, store.RiskFilter{}, store.Page{Limit: 1})
	if err != nil || len(rs) == 0 {
		b.Fatal(err)
	}
	f.sample = rs[0]
	b.Logf("fixture %+v built in %v", size, time.Since(t0).Round(time.Second))
	return f
}

func benchRiskReads(b *testing.B, db *store.DB, f riskScaleFixture) {
	ctx := context.Background()
	page := store.Page{Limit: 50}
	org := f.org.ID
	assets := map[string]store.AssetFilter{
		"all":         {},
		"kind":        {Kind: "laptop"},
		"class":       {Class: risk.ClassDevice},
		"hosting":     {Hosting: risk.HostingCloud},
		"owner":       {OwnerID: f.owner},
		"lifecycle":   {Lifecycle: risk.LifecycleRetired},
		"query":       {Query: "server 0"},
		"ephi":        {EPHIOnly: true},
		"unencrypted": {Unencrypted: true},
	}
	for name, af := range assets {
		b.Run("Assets/"+name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := db.Assets(ctx, org, af, page); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("AssetCounts", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.AssetCounts(ctx, org); err != nil {
				b.Fatal(err)
			}
		}
	})
	flows := map[string]store.FlowFilter{
		"all":         {},
		"asset":       {AssetID: f.asset},
		"channel":     {Channel: "email"},
		"unencrypted": {Unencrypted: true},
	}
	for name, ff := range flows {
		b.Run("Flows/"+name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := db.Flows(ctx, org, ff, page); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	risks := map[string]store.RiskFilter{
		"level":           {},
		"title":           {Sort: store.SortTitle},
		"updated":         {Sort: store.SortUpdated},
		"filter-level":    {Level: 2},
		"filter-asset":    {AssetID: f.sample.AssetIDs[0]},
		"filter-threat":   {Threat: "phishing"},
		"filter-owner":    {OwnerID: f.owner},
		"filter-status":   {Status: risk.StatusTreated},
		"filter-categor":  {Category: "technical"},
		"filter-cell":     {Cell: risk.Rating{Likelihood: 2, Impact: 2}, CellScale: f.scale.ID},
		"filter-inh-cell": {Cell: risk.Rating{Likelihood: 3, Impact: 3}, CellScale: f.scale.ID, Inherent: true},
		"owner-by-title":  {OwnerID: f.owner, Sort: store.SortTitle},
		"status-updated":  {Status: risk.StatusOpen, Sort: store.SortUpdated},
	}
	for name, rf := range risks {
		b.Run("Risks/"+name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := db.Risks(ctx, org, rf, page); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("Risk", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Risk(ctx, org, f.sample.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, which := range []string{"current", "inherent"} {
		b.Run("HeatMap/"+which, func(b *testing.B) {
			for b.Loop() {
				if _, err := db.HeatMap(ctx, org, which); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("TopRisks", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.TopRisks(ctx, org, 10); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PlanCounts", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.PlanCounts(ctx, org, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
	tasks := map[string]store.TaskFilter{
		"all":     {},
		"owner":   {OwnerID: f.owner},
		"risk":    {RiskID: f.sample.ID},
		"status":  {Status: risk.TaskDone},
		"overdue": {Overdue: true},
	}
	for name, tf := range tasks {
		b.Run("Tasks/"+name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := db.Tasks(ctx, org, tf, page); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("MyTasks", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := db.MyTasks(ctx, f.owner, page); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("RiskChoices", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.RiskChoices(ctx, org); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAssetImport imports 10,000 assets in one CreateAssets, as the
// inventory's import does, into an organisation of its own each time, and
// reports rows per second and the heap's peak above where it started
// (sampled every millisecond), with the bytes allocated per import.
//
//	go test ./internal/store -run '^$' -bench 'BenchmarkAssetImport' -benchtime 3x
func BenchmarkAssetImport(b *testing.B) {
	const rows = 10_000
	dialects := map[string]func(testing.TB) *store.DB{"sqlite": storetest.SQLite}
	if os.Getenv(storetest.EnvPostgres) != "" {
		dialects["postgres"] = storetest.Postgres
	}
	for name, open := range dialects {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			db := open(b)
			kinds := risk.Kinds()
			in := make([]risk.Asset, rows)
			for i := range in {
				in[i] = risk.Asset{Name: fmt.Sprintf("Imported asset %05d", i), Kind: kinds[i%len(kinds)], Records: i % 1000,
					EPHI: []string{"demographics", "clinical notes"}, Use: risk.Use{Creates: true, Maintains: i%2 == 0},
					Notes: "Listed by the IT contractor's spreadsheet."}
			}
			var peak, base atomic.Uint64
			var elapsed time.Duration
			n := 0
			for b.Loop() {
				org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: fmt.Sprintf("import-%d", n), Name: fmt.Sprintf("Import %d", n), Kind: identity.KindProvider})
				if err != nil {
					b.Fatal(err)
				}
				n++
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base.Store(ms.HeapInuse)
				done := make(chan struct{})
				sampled := make(chan struct{})
				go func() {
					defer close(sampled)
					tick := time.NewTicker(time.Millisecond)
					defer tick.Stop()
					for {
						var ms runtime.MemStats
						runtime.ReadMemStats(&ms)
						if ms.HeapInuse > base.Load() && ms.HeapInuse-base.Load() > peak.Load() {
							peak.Store(ms.HeapInuse - base.Load())
						}
						select {
						case <-done:
							return
						case <-tick.C:
						}
					}
				}()
				t0 := time.Now()
				out, err := db.CreateAssets(ctx, cli, org.ID, in)
				elapsed += time.Since(t0)
				close(done)
				<-sampled
				if err != nil || len(out) != rows {
					b.Fatal(len(out), err)
				}
			}
			b.ReportMetric(float64(rows*n)/elapsed.Seconds(), "rows/s")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
		})
	}
}
