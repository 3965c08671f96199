package orgweb

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestOrgDashboardRisks reads the risk part of the organisation page: no
// risks yet, then the five highest of six by current level, the current
// heat map linking to each cell's risks, an overdue task and an acceptance
// expiring within 30 days, with links to the register and the plan;
// another organisation's risks never count.
func TestOrgDashboardRisks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cli := store.Actor{Name: "cli:test"}
		s := newServer(t, db)
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor))
		webtest.CreateUser(t, db, "olga@example.org", false, org.ID, identity.RoleOwner)
		olga, err := db.UserByEmail(ctx, "olga@example.org")
		if err != nil {
			t.Fatal(err)
		}
		webtest.WantPage(t, priya.Get(t, "/orgs/riverside"), 200, "No risks in the register yet", `href="/orgs/riverside/risks"`)

		laptop, err := db.CreateAsset(ctx, cli, org.ID, risk.Asset{Name: "Front desk laptop", Kind: "laptop"})
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := db.CreateAsset(ctx, cli, other.ID, risk.Asset{Name: "Their server", Kind: "server"})
		if err != nil {
			t.Fatal(err)
		}
		add := func(orgID, asset int64, title string, l, i int, tr risk.Treatment) risk.Risk {
			t.Helper()
			rk, err := db.CreateRisk(ctx, cli, orgID, risk.Risk{Title: title, AssetIDs: []int64{asset}, Threat: "device_theft", Vulnerability: "no_encryption_at_rest",
				Inherent: risk.Rating{Likelihood: 3, Impact: 3}, Current: risk.Rating{Likelihood: l, Impact: i}, LikelihoodWhy: "why", ImpactWhy: "why",
				Treatment: tr, Status: map[bool]risk.Status{true: risk.StatusTreated, false: risk.StatusOpen}[tr.Strategy != ""]})
			if err != nil {
				t.Fatal(err)
			}
			return rk
		}
		critical := add(org.ID, laptop.ID, "Laptop stolen from the car", 3, 3, risk.Treatment{})
		for i := 1; i <= 4; i++ {
			add(org.ID, laptop.ID, fmt.Sprintf("Medium risk %d", i), 2, 2, risk.Treatment{})
		}
		add(org.ID, laptop.ID, "Lowest risk", 1, 1, risk.Treatment{Strategy: risk.StrategyAccept, Acceptance: &risk.Acceptance{ApproverID: olga.ID,
			Reason: "Replaced next month", Expires: time.Now().AddDate(0, 0, 10)}})
		add(other.ID, theirs.ID, "Their own risk", 3, 3, risk.Treatment{})
		if _, err := db.CreateTask(ctx, cli, org.ID, risk.Task{RiskID: critical.ID, Title: "Encrypt the laptop", OwnerID: olga.ID,
			Due: time.Now().AddDate(0, 0, -5), Status: risk.TaskTodo}); err != nil {
			t.Fatal(err)
		}

		w := priya.Get(t, "/orgs/riverside")
		webtest.WantPage(t, w, 200, "6 open risks in the register", "Highest risks",
			fmt.Sprintf(`<a href="/orgs/riverside/risks/%d">Laptop stolen from the car</a>`, critical.ID), "(Front desk laptop)",
			`class="risk-heatmap"`, `href="/orgs/riverside/risks?which=current&amp;likelihood=3&amp;impact=3#list-h"`,
			`href="/orgs/riverside/plan?overdue=1" id="dash-overdue-tasks"`, "1 overdue task", "1 acceptance expiring within 30 days",
			`href="/orgs/riverside/plan"`)
		body := w.Body.String()
		top := body[strings.Index(body, `id="top-risks"`):]
		top = top[:strings.Index(top, "</ol>")]
		if n := strings.Count(top, "<li>"); n != 5 {
			t.Errorf("top risks list %d risks, want 5", n)
		}
		if strings.Contains(top, "Lowest risk") || strings.Contains(body, "Their own risk") {
			t.Errorf("top risks hold the lowest risk or another organisation's:\n%s", top)
		}
	})
}
