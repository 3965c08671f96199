package riskweb

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// BenchmarkRegisterPages times the register and the suggested-risks page
// of an organisation whose inventory and assessment point to many risks:
// 150 unencrypted laptops holding ePHI, 150 unencrypted flows, an
// assessment with every entry answered not implemented, and 200 risks.
// The register shows only how many risks are suggested; the list has its
// own page. The ratio printed is the register's time to the suggestions
// page's.
func BenchmarkRegisterPages(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	s := webtest.NewServer(b, db, web.Config{Capabilities: []web.Capability{New()}})
	cli := store.Actor{Name: "bench"}
	org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
	if err != nil {
		b.Fatal(err)
	}
	webtest.CreateUser(b, db, "priya@example.org", false, org.ID, identity.RoleContributor)
	priya := webtest.LoginFull(b, s, db, "priya@example.org", webtest.Password)
	var ids []int64
	for i := range 150 {
		a, err := db.CreateAsset(ctx, cli, org.ID, risk.Asset{Name: fmt.Sprintf("Laptop %03d", i), Kind: "laptop", Records: 100,
			Use: risk.Use{Maintains: true}, AtRest: risk.EncryptionNo})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	for i := range 150 {
		if _, err := db.CreateFlow(ctx, cli, org.ID, risk.Flow{From: risk.Endpoint{AssetID: ids[i]}, To: risk.Endpoint{Party: fmt.Sprintf("Clinic %d", i)},
			Channel: "fax", InTransit: risk.EncryptionNo}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 200 {
		if _, err := db.CreateRisk(ctx, cli, org.ID, risk.Risk{Title: fmt.Sprintf("Risk %d", i), AssetIDs: []int64{ids[i%len(ids)]},
			Threat: "device_theft", Vulnerability: "no_encryption_at_rest", Inherent: risk.Rating{Likelihood: 3, Impact: 3},
			Current: risk.Rating{Likelihood: 1 + i%3, Impact: 1 + i%3}, LikelihoodWhy: "x", ImpactWhy: "y"}); err != nil {
			b.Fatal(err)
		}
	}
	cat, err := catalog.Default()
	if err != nil {
		b.Fatal(err)
	}
	a, err := assess.New(cat, catalog.ProfileCurrent, "2026 assessment", time.Now(), time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	if a, err = db.CreateAssessment(ctx, cli, org.ID, a); err != nil {
		b.Fatal(err)
	}
	for _, e := range a.Entries {
		if !e.Assessable() {
			continue
		}
		if _, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: e.Citation, Status: assess.NotImplemented}); err != nil {
			b.Fatal(err)
		}
	}
	var perPage [2]time.Duration
	for i, page := range []struct{ name, path string }{{"register", "/orgs/riverside/risks"}, {"suggested", "/orgs/riverside/risks/suggested"}} {
		path := page.path
		b.Run(page.name, func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				if w := priya.Get(b, path); w.Code != 200 {
					b.Fatalf("GET %s = %d", path, w.Code)
				}
			}
			perPage[i] = time.Since(start) / time.Duration(b.N)
		})
	}
	if perPage[1] > 0 {
		b.Logf("register %v, suggestions page %v: the register takes %.2f× the suggestions page", perPage[0], perPage[1], float64(perPage[0])/float64(perPage[1]))
	}
}
