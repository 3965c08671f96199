package store_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// BenchmarkSaveResponse measures saving a response (the commonest change in
// an assessment: read the assessment, check the entry, write a new version
// and its audit entry) with 1 and 32 concurrent clients, each save durable
// before it returns. The target on SQLite is 3,000 saves/s at 32 clients.
//
//	go test ./internal/store -run '^$' -bench BenchmarkSaveResponse -benchtime 10000x
func BenchmarkSaveResponse(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, p := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/clients=%d", dialect, p), func(b *testing.B) {
				ctx := context.Background()
				var db *store.DB
				if dialect == "sqlite" {
					db = storetest.SQLite(b)
				} else {
					db = storetest.Postgres(b)
				}
				org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
				if err != nil {
					b.Fatal(err)
				}
				cat, err := catalog.Default()
				if err != nil {
					b.Fatal(err)
				}
				a, err := assess.New(cat, catalog.ProfileCurrent, "2026", time.Now(), time.Time{})
				if err != nil {
					b.Fatal(err)
				}
				if a, err = db.CreateAssessment(ctx, cli, org.ID, a); err != nil {
					b.Fatal(err)
				}
				var citations []string
				for _, e := range a.Entries {
					if e.Assessable() {
						citations = append(citations, e.Citation)
					}
				}
				n := max(b.N, 200)
				b.ResetTimer()
				rate := produce(b, p, n, func(i int) error {
					_, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: citations[i%len(citations)],
						Status: assess.Implemented, Narrative: "reviewed, version " + strconv.Itoa(i)})
					return err
				})
				b.StopTimer()
				b.ReportMetric(rate, "saves/s")
			})
		}
	}
}
