package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// registerFixture is two organisations, members of each role, and assets.
type registerFixture struct {
	org, other           identity.Org
	officer, contributor identity.User
	outsider             identity.User
	laptop, ehr, foreign int64
}

func newRegisterFixture(t *testing.T, db *store.DB) registerFixture {
	t.Helper()
	ctx := context.Background()
	actor := store.Actor{Name: "test"}
	var f registerFixture
	var err error
	if f.org, err = db.CreateOrg(ctx, actor, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider}); err != nil {
		t.Fatal(err)
	}
	if f.other, err = db.CreateOrg(ctx, actor, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider}); err != nil {
		t.Fatal(err)
	}
	user := func(email string, org int64, role identity.Role) identity.User {
		u, err := db.CreateUser(ctx, actor, store.NewUser{User: identity.User{Email: email, Name: strings.Split(email, "@")[0]}, OrgID: org, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.officer = user("sam@example.org", f.org.ID, identity.RoleSecurityOfficer)
	f.contributor = user("priya@example.org", f.org.ID, identity.RoleContributor)
	f.outsider = user("eve@example.org", f.other.ID, identity.RoleOwner)
	asset := func(org int64, name string) int64 {
		id, err := store.AddAssetForTest(ctx, db, org, name)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.laptop, f.ehr, f.foreign = asset(f.org.ID, "Front desk laptop"), asset(f.org.ID, "Cloud EHR"), asset(f.other.ID, "Their server")
	return f
}

func goodRisk(f registerFixture) risk.Risk {
	return risk.Risk{Title: "Laptop stolen from the car", AssetIDs: []int64{f.laptop}, Threat: "device_theft", Vulnerability: "no_encryption_at_rest",
		Measures: []string{"164.310(d)(1)", "164.312(a)(2)(iv)"}, Inherent: risk.Rating{Likelihood: 3, Impact: 3}, Current: risk.Rating{Likelihood: 2, Impact: 3},
		LikelihoodWhy: "Laptops leave the building daily.", ImpactWhy: "It holds the schedule for a year.", OwnerID: f.contributor.ID}
}

func TestRiskScales(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newRegisterFixture(t, db)
		actor := store.Actor{Name: fmt.Sprintf("user:%d", f.officer.ID)}
		sc, err := db.OrgScale(ctx, f.org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(sc.Likelihood) != 3 || sc.ID == 0 {
			t.Fatalf("OrgScale = %+v, want the 3 × 3 default", sc)
		}
		again, err := db.OrgScale(ctx, f.org.ID)
		if err != nil || again.ID != sc.ID {
			t.Errorf("OrgScale again = %d, %v, want %d (stored once)", again.ID, err, sc.ID)
		}
		bad := risk.FiveByFive()
		bad.Matrix[2][2] = 9
		_, err = db.CreateScale(ctx, actor, f.org.ID, bad)
		var p validate.Error
		if !errors.As(err, &p) || p["matrix.3.3"] == "" {
			t.Errorf("CreateScale(bad matrix) = %v, want a problem on matrix.3.3", err)
		}
		r, err := db.CreateRisk(ctx, actor, f.org.ID, goodRisk(f))
		if err != nil {
			t.Fatal(err)
		}
		five, err := db.CreateScale(ctx, actor, f.org.ID, risk.FiveByFive())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetOrgScale(ctx, actor, f.other.ID, five.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetOrgScale(another organisation's scale) = %v, want ErrNotFound", err)
		}
		if _, err := db.SetOrgScale(ctx, actor, f.org.ID, five.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Risk(ctx, f.org.ID, r.ID); got.ScaleID != sc.ID || got.Current != r.Current {
			t.Errorf("after changing the scale the risk is on %d rated %v, want %d %v (ratings keep their scale)", got.ScaleID, got.Current, sc.ID, r.Current)
		}
		// A contributor may still save the risk: it stays on its scale.
		up := r
		up.Title = "Laptop stolen"
		if up, err = db.UpdateRisk(ctx, actor, f.org.ID, up); err != nil || up.ScaleID != sc.ID {
			t.Fatalf("UpdateRisk on the old scale = %v, %v", up.ScaleID, err)
		}
		// Re-rating: a bad rating saves nothing.
		sug := risk.Rescale(up.Current, sc, five)
		_, err = db.RerateRisks(ctx, actor, f.org.ID, five.ID, []store.RiskRating{{RiskID: up.ID, Inherent: risk.Rating{Likelihood: 6, Impact: 5}, Current: sug}})
		if !errors.As(err, &p) || p[fmt.Sprintf("risks.%d.inherent.likelihood", up.ID)] == "" {
			t.Errorf("RerateRisks(bad) = %v", err)
		}
		if got, _ := db.Risk(ctx, f.org.ID, r.ID); got.ScaleID != sc.ID {
			t.Errorf("a refused re-rating moved the risk to scale %d", got.ScaleID)
		}
		n, err := db.RerateRisks(ctx, actor, f.org.ID, five.ID, []store.RiskRating{{RiskID: up.ID, Version: up.Version,
			Inherent: risk.Rescale(up.Inherent, sc, five), Current: sug}})
		if err != nil || n != 1 {
			t.Fatalf("RerateRisks = %d, %v", n, err)
		}
		got, _ := db.Risk(ctx, f.org.ID, r.ID)
		if got.ScaleID != five.ID || got.Current != (risk.Rating{Likelihood: 3, Impact: 5}) || got.Version != up.Version+1 {
			t.Errorf("re-rated risk = scale %d %v version %d", got.ScaleID, got.Current, got.Version)
		}
		if scales, _ := db.Scales(ctx, f.org.ID); len(scales) != 2 {
			t.Errorf("Scales = %d, want 2", len(scales))
		}
		actions := auditActions(t, db, f.org.ID)
		for _, a := range []string{"risk.scale.create", "risk.scale.set", "risk.risk.create", "risk.risk.update", "risk.risk.rerate"} {
			if actions[a] == 0 {
				t.Errorf("audit has no %s: %v", a, actions)
			}
		}
	})
}

func TestRiskBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newRegisterFixture(t, db)
		actor := store.Actor{Name: "test"}
		own, err := store.AddThreatForTest(ctx, db, f.org.ID, "Our own threat")
		if err != nil {
			t.Fatal(err)
		}
		theirs, _ := store.AddThreatForTest(ctx, db, f.other.ID, "Their threat")
		expires := time.Now().AddDate(0, 6, 0)
		cases := []struct {
			name  string
			edit  func(r *risk.Risk)
			field string
		}{
			{"another organisation's asset", func(r *risk.Risk) { r.AssetIDs = []int64{f.laptop, f.foreign} }, "asset_ids"},
			{"a missing asset", func(r *risk.Risk) { r.AssetIDs = []int64{99999} }, "asset_ids"},
			{"an unknown threat", func(r *risk.Risk) { r.Threat = "meteor" }, "threat"},
			{"another organisation's threat", func(r *risk.Risk) { r.Threat = fmt.Sprintf("org:%d", theirs) }, "threat"},
			{"an unknown vulnerability", func(r *risk.Risk) { r.Vulnerability = "org:0" }, "vulnerability"},
			{"likelihood outside the scale", func(r *risk.Risk) { r.Current.Likelihood = 4 }, "current.likelihood"},
			{"impact outside the scale", func(r *risk.Risk) { r.Inherent.Impact = 0 }, "inherent.impact"},
			{"an owner who is not a member", func(r *risk.Risk) { r.OwnerID = f.outsider.ID }, "owner_id"},
			{"an acceptance by someone without the role", func(r *risk.Risk) {
				r.Status, r.Treatment = risk.StatusTreated, risk.Treatment{Strategy: risk.StrategyAccept,
					Acceptance: &risk.Acceptance{ApproverID: f.contributor.ID, Reason: "Cheap laptops", Expires: expires}}
			}, "treatment.acceptance.approver_id"},
			{"an acceptance by a non-member", func(r *risk.Risk) {
				r.Status, r.Treatment = risk.StatusTreated, risk.Treatment{Strategy: risk.StrategyAccept,
					Acceptance: &risk.Acceptance{ApproverID: f.outsider.ID, Reason: "Cheap laptops", Expires: expires}}
			}, "treatment.acceptance.approver_id"},
		}
		for _, c := range cases {
			r := goodRisk(f)
			c.edit(&r)
			_, err := db.CreateRisk(ctx, actor, f.org.ID, r)
			var p validate.Error
			if !errors.As(err, &p) || p[c.field] == "" {
				t.Errorf("CreateRisk with %s = %v, want a problem on %s", c.name, err, c.field)
			}
		}
		if rs, _, _ := db.Risks(ctx, f.org.ID, store.RiskFilter{}, store.Page{}); len(rs) != 0 {
			t.Errorf("refused risks were saved: %d", len(rs))
		}
		// What is valid: the organisation's own threat, an officer's acceptance.
		r := goodRisk(f)
		r.Threat = fmt.Sprintf("org:%d", own)
		r.Status, r.Treatment = risk.StatusTreated, risk.Treatment{Strategy: risk.StrategyAccept,
			Acceptance: &risk.Acceptance{ApproverID: f.officer.ID, Reason: "Replacing the laptops in spring", Expires: expires}}
		saved, err := db.CreateRisk(ctx, actor, f.org.ID, r)
		if err != nil {
			t.Fatal(err)
		}
		if a := saved.Treatment.Acceptance; a == nil || a.ApprovedAt.IsZero() {
			t.Errorf("acceptance not dated: %+v", a)
		}
		if _, err := db.Risk(ctx, f.other.ID, saved.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Risk(another organisation) = %v, want ErrNotFound", err)
		}
		stale := saved
		stale.Title = "x"
		if _, err := db.UpdateRisk(ctx, actor, f.org.ID, stale); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateRisk(ctx, actor, f.org.ID, stale); !errors.Is(err, store.ErrConflict) {
			t.Errorf("UpdateRisk(stale) = %v, want ErrConflict", err)
		}
		hist, _, err := db.RiskHistory(ctx, f.org.ID, saved.ID, store.Page{})
		if err != nil || len(hist) != 2 || hist[0].Risk.Title != "x" || hist[1].Risk.Title != r.Title {
			t.Errorf("RiskHistory = %+v, %v", hist, err)
		}
		if _, _, err := db.RiskHistory(ctx, f.other.ID, saved.ID, store.Page{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RiskHistory(another organisation) = %v", err)
		}
		// A suggestion is taken once.
		s1 := goodRisk(f)
		s1.Suggestion = "theft:1"
		if _, err := db.CreateRisk(ctx, actor, f.org.ID, s1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateRisk(ctx, actor, f.org.ID, s1); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateRisk(same suggestion) = %v, want ErrConflict", err)
		}
	})
}

func TestRiskRegisterPagingAndHeatMap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newRegisterFixture(t, db)
		actor := store.Actor{Name: "test"}
		sc, _ := db.OrgScale(ctx, f.org.ID)
		var all []risk.Risk
		for i := range 37 {
			r := goodRisk(f)
			r.Title = fmt.Sprintf("Risk %02d", (i*7)%37)
			r.Inherent = risk.Rating{Likelihood: 1 + i%3, Impact: 1 + (i/3)%3}
			r.Current = r.Inherent
			if i%4 == 0 {
				r.AssetIDs = []int64{f.ehr}
				r.Measures = []string{"164.308(a)(1)(ii)(A)"}
				r.Threat = "ransomware"
			}
			if i%5 == 0 {
				r.Status, r.Treatment.Strategy = risk.StatusClosed, risk.StrategyMitigate
			}
			saved, err := db.CreateRisk(ctx, actor, f.org.ID, r)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, saved)
		}
		walk := func(filter store.RiskFilter, limit int) []risk.Risk {
			var out []risk.Risk
			p := store.Page{Limit: limit}
			for range 100 {
				rs, next, err := db.Risks(ctx, f.org.ID, filter, p)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, rs...)
				if next == nil {
					return out
				}
				p.After = *next
			}
			t.Fatal("paging did not end")
			return nil
		}
		count := func(keep func(risk.Risk) bool) int {
			n := 0
			for _, r := range all {
				if keep(r) {
					n++
				}
			}
			return n
		}
		level := func(r risk.Risk) int { l, _ := sc.Level(r.Current); return l }
		for _, sort := range []string{store.SortLevel, store.SortTitle, store.SortUpdated} {
			got := walk(store.RiskFilter{Sort: sort}, 5)
			seen := map[int64]bool{}
			for i, r := range got {
				if seen[r.ID] {
					t.Errorf("sort %s: risk %d twice", sort, r.ID)
				}
				seen[r.ID] = true
				if i > 0 && sort == store.SortLevel && level(got[i-1]) < level(r) {
					t.Errorf("sort level: %v before %v", got[i-1].Current, r.Current)
				}
				if i > 0 && sort == store.SortTitle && got[i-1].Title > r.Title {
					t.Errorf("sort title: %q before %q", got[i-1].Title, r.Title)
				}
			}
			if len(got) != len(all) {
				t.Errorf("sort %s: walked %d risks, want %d", sort, len(got), len(all))
			}
		}
		if _, _, err := db.Risks(ctx, f.org.ID, store.RiskFilter{Sort: "colour"}, store.Page{}); err == nil {
			t.Error("Risks(sort colour) = nil error")
		}
		filters := []struct {
			name string
			f    store.RiskFilter
			keep func(risk.Risk) bool
		}{
			{"level", store.RiskFilter{Level: 3}, func(r risk.Risk) bool { return level(r) == 2 }},
			{"asset", store.RiskFilter{AssetID: f.ehr}, func(r risk.Risk) bool { return slices.Contains(r.AssetIDs, f.ehr) }},
			{"threat", store.RiskFilter{Threat: "ransomware"}, func(r risk.Risk) bool { return r.Threat == "ransomware" }},
			{"status", store.RiskFilter{Status: risk.StatusClosed}, func(r risk.Risk) bool { return r.Status == risk.StatusClosed }},
			{"owner", store.RiskFilter{OwnerID: f.officer.ID}, func(r risk.Risk) bool { return false }},
			{"category", store.RiskFilter{Category: catalog.Administrative}, func(r risk.Risk) bool { return r.Threat == "ransomware" }},
			{"category physical", store.RiskFilter{Category: catalog.Physical}, func(r risk.Risk) bool { return r.Threat != "ransomware" }},
			{"cell", store.RiskFilter{Cell: risk.Rating{Likelihood: 2, Impact: 3}, CellScale: sc.ID},
				func(r risk.Risk) bool {
					return r.Status != risk.StatusClosed && r.Current == risk.Rating{Likelihood: 2, Impact: 3}
				}},
		}
		for _, c := range filters {
			if got, want := len(walk(c.f, 4)), count(c.keep); got != want {
				t.Errorf("filter %s: %d risks, want %d", c.name, got, want)
			}
		}
		for _, which := range []string{"current", "inherent"} {
			h, err := db.HeatMap(ctx, f.org.ID, which)
			if err != nil {
				t.Fatal(err)
			}
			for l := 1; l <= 3; l++ {
				for i := 1; i <= 3; i++ {
					want := count(func(r risk.Risk) bool {
						rt := r.Current
						if which == "inherent" {
							rt = r.Inherent
						}
						return r.Status != risk.StatusClosed && rt == risk.Rating{Likelihood: l, Impact: i}
					})
					if h.Counts[l-1][i-1] != want {
						t.Errorf("HeatMap(%s)[%d][%d] = %d, want %d", which, l, i, h.Counts[l-1][i-1], want)
					}
				}
			}
			if h.Total != count(func(r risk.Risk) bool { return r.Status != risk.StatusClosed }) {
				t.Errorf("HeatMap total = %d", h.Total)
			}
		}
		if _, err := db.HeatMap(ctx, f.org.ID, "target"); err == nil {
			t.Error("HeatMap(target) = nil error")
		}
		top, err := db.TopRisks(ctx, f.org.ID, 3)
		if err != nil || len(top) != 3 || level(top[0]) != 3 {
			t.Errorf("TopRisks = %d risks, %v", len(top), err)
		}
		if other, _, _ := db.Risks(ctx, f.other.ID, store.RiskFilter{}, store.Page{}); len(other) != 0 {
			t.Errorf("another organisation sees %d risks", len(other))
		}
	})
}

func TestRiskTasks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newRegisterFixture(t, db)
		actor := store.Actor{Name: "test"}
		r, err := db.CreateRisk(ctx, actor, f.org.ID, goodRisk(f))
		if err != nil {
			t.Fatal(err)
		}
		theirs := goodRisk(f)
		theirs.AssetIDs, theirs.OwnerID = []int64{f.foreign}, 0
		tr, err := db.CreateRisk(ctx, actor, f.other.ID, theirs)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		_, err = db.CreateTask(ctx, actor, f.org.ID, risk.Task{RiskID: tr.ID, Title: "Encrypt", OwnerID: f.outsider.ID, Due: now})
		var p validate.Error
		if !errors.As(err, &p) || p["owner_id"] == "" || p["risk_id"] == "" {
			t.Errorf("CreateTask(outsider, their risk) = %v, want problems on owner_id and risk_id", err)
		}
		if _, err := db.CreateTask(ctx, actor, f.org.ID, risk.Task{RiskID: r.ID, OwnerID: f.contributor.ID}); !errors.As(err, &p) || p["title"] == "" || p["due"] == "" {
			t.Errorf("CreateTask(no title, no due) = %v", err)
		}
		late, err := db.CreateTask(ctx, actor, f.org.ID, risk.Task{RiskID: r.ID, Title: "Turn on BitLocker", OwnerID: f.contributor.ID, Due: now.AddDate(0, 0, -3)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateTask(ctx, actor, f.org.ID, risk.Task{RiskID: r.ID, Title: "Buy a cable lock", OwnerID: f.officer.ID, Due: now.AddDate(0, 1, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateTask(ctx, actor, f.other.ID, risk.Task{RiskID: tr.ID, Title: "Theirs", OwnerID: f.outsider.ID, Due: now}); err != nil {
			t.Fatal(err)
		}
		over, _, err := db.Tasks(ctx, f.org.ID, store.TaskFilter{Overdue: true}, store.Page{})
		if err != nil || len(over) != 1 || over[0].ID != late.ID || over[0].RiskTitle != r.Title {
			t.Errorf("Tasks(overdue) = %+v, %v", over, err)
		}
		c, err := db.PlanCounts(ctx, f.org.ID, now)
		if err != nil || c.OverdueTasks != 1 {
			t.Errorf("PlanCounts = %+v, %v", c, err)
		}
		mine, _, err := db.MyTasks(ctx, f.contributor.ID, store.Page{})
		if err != nil || len(mine) != 1 || mine[0].OrgSlug != "riverside" {
			t.Errorf("MyTasks = %+v, %v", mine, err)
		}
		done := late.Title
		late.Status = risk.TaskDone
		late, err = db.UpdateTask(ctx, actor, f.org.ID, late)
		if err != nil || late.DoneAt.IsZero() || late.Version != 2 {
			t.Fatalf("UpdateTask(done) = %+v, %v", late, err)
		}
		if _, err := db.UpdateTask(ctx, actor, f.org.ID, risk.Task{ID: late.ID, Version: 1, RiskID: r.ID, Title: done, OwnerID: f.contributor.ID, Due: now}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("UpdateTask(stale) = %v", err)
		}
		if _, err := db.Task(ctx, f.other.ID, late.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Task(another organisation) = %v", err)
		}
		if c, _ := db.PlanCounts(ctx, f.org.ID, now); c.OverdueTasks != 0 {
			t.Errorf("PlanCounts after completing = %+v", c)
		}
		// Paging walks each task once.
		for i := range 11 {
			if _, err := db.CreateTask(ctx, actor, f.org.ID, risk.Task{RiskID: r.ID, Title: fmt.Sprint("T", i), OwnerID: f.officer.ID, Due: now.AddDate(0, 0, i%3)}); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[int64]bool{}
		pg := store.Page{Limit: 3}
		for {
			ts, next, err := db.Tasks(ctx, f.org.ID, store.TaskFilter{RiskID: r.ID}, pg)
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range ts {
				if seen[tk.ID] {
					t.Errorf("task %d twice", tk.ID)
				}
				seen[tk.ID] = true
			}
			if next == nil {
				break
			}
			pg.After = *next
		}
		if len(seen) != 13 {
			t.Errorf("walked %d tasks, want 13", len(seen))
		}
		// Acceptances expiring within 30 days.
		acc := goodRisk(f)
		acc.Status, acc.Treatment = risk.StatusTreated, risk.Treatment{Strategy: risk.StrategyAccept,
			Acceptance: &risk.Acceptance{ApproverID: f.officer.ID, Reason: "Low value", Expires: now.AddDate(0, 0, 10)}}
		if _, err := db.CreateRisk(ctx, actor, f.org.ID, acc); err != nil {
			t.Fatal(err)
		}
		if c, _ := db.PlanCounts(ctx, f.org.ID, now); c.ExpiringAcceptances != 1 {
			t.Errorf("PlanCounts = %+v, want 1 expiring acceptance", c)
		}
		if c, _ := db.PlanCounts(ctx, f.org.ID, now.AddDate(0, 0, 11)); c.ExpiredAcceptances != 1 || c.ExpiringAcceptances != 0 {
			t.Errorf("PlanCounts later = %+v, want 1 expired", c)
		}
		actions := auditActions(t, db, f.org.ID)
		if actions["risk.task.create"] == 0 || actions["risk.task.update"] == 0 {
			t.Errorf("audit = %v", actions)
		}
	})
}
