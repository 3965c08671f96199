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

// TestOrgDashboardRiskChanges shows, once an analysis is signed off, what
// changed since: new, raised, lowered and closed risks and assets added or
// removed, counted by risk.Compare of its snapshot and the live state; the
// store's live snapshot refuses an organisation over its limit.
func TestOrgDashboardRiskChanges(t *testing.T) {
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
		asset := func(name string) risk.Asset {
			a, err := db.CreateAsset(ctx, cli, org.ID, risk.Asset{Name: name, Kind: "laptop"})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		laptop, old := asset("Front desk laptop"), asset("Old backup drive")
		add := func(title string, l int) risk.Risk {
			rk, err := db.CreateRisk(ctx, cli, org.ID, risk.Risk{Title: title, AssetIDs: []int64{laptop.ID}, Threat: "device_theft", Vulnerability: "no_encryption_at_rest",
				Inherent: risk.Rating{Likelihood: 3, Impact: 3}, Current: risk.Rating{Likelihood: l, Impact: l}, LikelihoodWhy: "why", ImpactWhy: "why"})
			if err != nil {
				t.Fatal(err)
			}
			return rk
		}
		raise, lower, closeIt := add("Raised one", 1), add("Lowered one", 3), add("Closed one", 2)
		add("Unchanged one", 2)
		if strings.Contains(priya.Get(t, "/orgs/riverside").Body.String(), "Since the last risk analysis") {
			t.Error("changes shown before any analysis was signed off")
		}
		an, err := db.CreateAnalysis(ctx, cli, org.ID, risk.Analysis{Name: "2025 risk analysis", Scope: "Both clinics."}, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.FinaliseAnalysis(ctx, cli, org.ID, an.ID, "Olga Owner <olga@example.org>", true); err != nil {
			t.Fatal(err)
		}
		webtest.WantPage(t, priya.Get(t, "/orgs/riverside"), 200, "Since the last risk analysis", "No risk or asset has been added, closed, raised or lowered since",
			fmt.Sprintf(`href="/orgs/riverside/analyses/%d"`, an.ID))

		update := func(rk risk.Risk, l int, st risk.Status) {
			rk.Current, rk.Status = risk.Rating{Likelihood: l, Impact: l}, st
			if st == risk.StatusClosed {
				rk.Treatment = risk.Treatment{Strategy: risk.StrategyAvoid}
			}
			if _, err := db.UpdateRisk(ctx, cli, org.ID, rk); err != nil {
				t.Fatal(err)
			}
		}
		update(raise, 3, risk.StatusOpen)
		update(lower, 1, risk.StatusOpen)
		update(closeIt, 2, risk.StatusClosed)
		add("A new one", 2)
		add("Another new one", 1)
		asset("New tablet")
		if err := db.DeleteAsset(ctx, cli, org.ID, old.ID); err != nil {
			t.Fatal(err)
		}
		w := priya.Get(t, "/orgs/riverside")
		webtest.WantPage(t, w, 200, "was signed off on", "2 new risks", "1 risk raised", "1 risk lowered", "1 risk closed",
			"1 asset added to the inventory", "1 asset removed from the inventory", `href="/orgs/riverside/analyses"`)

		if _, ok, err := db.LiveSnapshot(ctx, org.ID, 5); err != nil || ok {
			t.Errorf("LiveSnapshot over its limit = %v, %v; want not read", ok, err)
		}
		if snap, ok, err := db.LiveSnapshot(ctx, org.ID, 100); err != nil || !ok || len(snap.Risks) != 6 || len(snap.Assets) != 2 || snap.Scale.ID == 0 {
			t.Errorf("LiveSnapshot = %d risks, %d assets, %v, %v", len(snap.Risks), len(snap.Assets), ok, err)
		}
	})
}
