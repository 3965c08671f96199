package orgweb

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestOrgDashboard reads the compliance dashboard of the organisation page
// as a contributor: before any assessment, then with a current assessment
// that has an item past its target date and an older one.
func TestOrgDashboard(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cli := store.Actor{Name: "cli:test"}
		s := newServer(t, db)
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor))
		webtest.WantPage(t, priya.Get(t, "/orgs/riverside"), 200, "No assessment yet", "no assessment has been finalised yet")

		cat, err := catalog.Default()
		if err != nil {
			t.Fatal(err)
		}
		now := db.Now().UTC()
		var current assess.Assessment
		for i, name := range []string{"2025 assessment", "2026 assessment"} {
			a, err := assess.New(cat, catalog.ProfileCurrent, name, now.AddDate(0, 0, i-30), time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if current, err = db.CreateAssessment(ctx, cli, org.ID, a); err != nil {
				t.Fatal(err)
			}
		}
		const citation = "164.312(b)"
		if _, err := db.SaveResponse(ctx, cli, org.ID, current.ID, assess.Response{Citation: citation, Status: assess.Partial, Owner: "Priya",
			TargetDate: now.AddDate(0, 0, -3)}); err != nil {
			t.Fatal(err)
		}
		base := fmt.Sprintf("/orgs/riverside/assessments/%d", current.ID)
		webtest.WantPage(t, priya.Get(t, "/orgs/riverside"), 200, "Current assessment", "Posture of 2026 assessment by category", "Addressable decisions",
			`href="`+base+`/entries/164.312`, `<span class="citation">`+citation+`</span>`, "owner Priya", "Past assessments", "2025 assessment")
	})
}
