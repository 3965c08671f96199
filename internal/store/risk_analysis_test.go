package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/validate"
)

func TestRiskAnalysisLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newRegisterFixture(t, db)
		actor := store.Actor{Name: fmt.Sprintf("user:%d", f.officer.ID)}
		realNow := db.Now
		defer func() { db.Now = realNow }()
		start := time.Now().UTC().AddDate(-1, -1, 0)
		db.Now = func() time.Time { return start }

		// Bad fields: every problem at once, nothing saved.
		_, err := db.CreateAnalysis(ctx, actor, f.org.ID, risk.Analysis{Name: " ", Scope: ""}, true)
		var p validate.Error
		if !errors.As(err, &p) || p["name"] == "" || p["scope"] == "" {
			t.Fatalf("CreateAnalysis(blank) = %v, want problems on name and scope", err)
		}
		if list, _, err := db.Analyses(ctx, f.org.ID, store.Page{}); err != nil || len(list) != 0 {
			t.Fatalf("Analyses after a refused create = %v, %v, want none", list, err)
		}
		last, err := db.CreateAnalysis(ctx, actor, f.org.ID, risk.Analysis{Name: "2025 risk analysis", Scope: "Both clinics, the cloud EHR and the billing company."}, true)
		if err != nil {
			t.Fatal(err)
		}
		if last.Status != risk.AnalysisDraft || last.CopiedFrom != 0 {
			t.Errorf("CreateAnalysis = %+v, want a draft copied from nothing", last.Analysis)
		}
		if _, err := db.CreateAnalysis(ctx, actor, f.org.ID, risk.Analysis{Name: "2025 RISK ANALYSIS", Scope: "x"}, false); !errors.As(err, &p) || !strings.Contains(p["name"], "already") {
			t.Errorf("CreateAnalysis(same name, other case) = %v, want a problem on name", err)
		}

		// The register, so the snapshot holds a risk and a task.
		rk, err := db.CreateRisk(ctx, actor, f.org.ID, goodRisk(f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateTask(ctx, actor, f.org.ID, risk.Task{RiskID: rk.ID, Title: "Encrypt the laptop", OwnerID: f.contributor.ID, Due: start.AddDate(0, 1, 0)}); err != nil {
			t.Fatal(err)
		}

		// Sign-off needs the statement confirmed.
		if _, err := db.FinaliseAnalysis(ctx, actor, f.org.ID, last.ID, "Sam <sam@example.org>", false); !errors.As(err, &p) || p["attest"] == "" {
			t.Errorf("FinaliseAnalysis(not attested) = %v, want a problem on attest", err)
		}
		if a, _ := db.Analysis(ctx, f.org.ID, last.ID); a.Status != risk.AnalysisDraft || a.Snapshot != nil {
			t.Errorf("after a refused sign-off the analysis is %s with snapshot %v, want a draft without", a.Status, a.Snapshot)
		}
		if _, err := db.FinaliseAnalysis(ctx, actor, f.other.ID, last.ID, "Eve", true); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FinaliseAnalysis(other org) = %v, want ErrNotFound", err)
		}
		db.Now = func() time.Time { return start.AddDate(0, 0, 20) }
		fin, err := db.FinaliseAnalysis(ctx, actor, f.org.ID, last.ID, "Sam <sam@example.org>", true)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Analysis(ctx, f.org.ID, last.ID)
		if err != nil {
			t.Fatal(err)
		}
		s := got.Snapshot
		if got.Status != risk.AnalysisFinal || s == nil || got.Attestation != risk.AnalysisAttestation || got.FinalisedBy != "Sam <sam@example.org>" || !got.FinalisedAt.Equal(fin.FinalisedAt) {
			t.Fatalf("Analysis after sign-off = %+v, want final with its snapshot and statement", got)
		}
		names := []string{}
		for _, a := range s.Assets {
			names = append(names, a.Name)
		}
		if strings.Join(names, ",") != "Cloud EHR,Front desk laptop" {
			t.Errorf("snapshot assets = %v, want the organisation's two (not the other's)", names)
		}
		if len(s.Risks) != 1 || s.Risks[0].ID != rk.ID || len(s.Risks[0].AssetIDs) != 1 || len(s.Tasks) != 1 || s.Tasks[0].Title != "Encrypt the laptop" || len(s.Scale.Levels) == 0 {
			t.Errorf("snapshot = risks %+v tasks %+v scale %q, want the risk with its asset, its task and the scale", s.Risks, s.Tasks, s.Scale.Name)
		}
		if _, ok := got.Analysis.RetainUntil(); ok || !got.RetainUntil.IsZero() {
			t.Errorf("the analysis in effect has a retention date %v, want none yet", got.RetainUntil)
		}
		if _, err := db.FinaliseAnalysis(ctx, actor, f.org.ID, last.ID, "Sam", true); !errors.Is(err, store.ErrConflict) {
			t.Errorf("FinaliseAnalysis(final) = %v, want ErrConflict", err)
		}

		// Immutable in SQL, apart from how long it is kept.
		for _, q := range []string{
			`UPDATE risk_analyses SET name = 'x' WHERE id = %d`,
			`UPDATE risk_analyses SET scope = 'x' WHERE id = %d`,
			`UPDATE risk_analyses SET snapshot = '{}' WHERE id = %d`,
			`UPDATE risk_analyses SET status = 'draft' WHERE id = %d`,
			`UPDATE risk_analyses SET attestation = '' WHERE id = %d`,
		} {
			if err := store.ExecForTest(ctx, db, fmt.Sprintf(q, last.ID)); err == nil || !strings.Contains(err.Error(), "final") {
				t.Errorf("%s = %v, want refused", q, err)
			}
		}

		// Nothing has changed since: only a year passing makes it due.
		db.Now = realNow
		d, err := db.AnalysisDue(ctx, f.org.ID, time.Now(), false)
		if err != nil || d.InEffect == nil || d.InEffect.ID != last.ID {
			t.Fatalf("AnalysisDue = %+v, %v, want the signed-off one in effect", d, err)
		}
		if len(d.Triggers) != 1 || d.Triggers[0].Kind != "annual" {
			t.Errorf("AnalysisDue = %+v, want only the year passed", d.Triggers)
		}
		if want := d.InEffect.FinalisedAt.AddDate(1, 0, 0); !d.MapReview.Equal(want) || d.InventoryReview.IsZero() {
			t.Errorf("reviews due: map %v (want %v), inventory %v", d.MapReview, want, d.InventoryReview)
		}
		if _, err := store.AddAssetForTest(ctx, db, f.org.ID, "New tablet"); err != nil {
			t.Fatal(err)
		}
		d, _ = db.AnalysisDue(ctx, f.org.ID, time.Now(), false)
		due := d.Triggers
		if len(due) != 2 || due[1].Kind != "new_system" || !strings.Contains(due[1].Reason, "New tablet") {
			t.Errorf("AnalysisDue after a new asset = %+v, want the year and the new system", due)
		}

		// The next one starts from the last, and replaces it on sign-off.
		next, err := db.CreateAnalysis(ctx, actor, f.org.ID, risk.Analysis{Name: "2026 risk analysis"}, true)
		if err != nil {
			t.Fatal(err)
		}
		if next.CopiedFrom != last.ID || next.Scope != "Both clinics, the cloud EHR and the billing company." {
			t.Errorf("CreateAnalysis(from last) = %+v, want the scope of %d", next.Analysis, last.ID)
		}
		if err := db.DeleteAnalysis(ctx, actor, f.org.ID, last.ID); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "in effect") {
			t.Errorf("DeleteAnalysis(in effect) = %v, want ErrConflict", err)
		}
		if _, err := db.FinaliseAnalysis(ctx, actor, f.org.ID, next.ID, "Sam <sam@example.org>", true); err != nil {
			t.Fatal(err)
		}
		old, _ := db.Analysis(ctx, f.org.ID, last.ID)
		if old.LastEffective.IsZero() || !old.RetainUntil.Equal(old.LastEffective.AddDate(6, 0, 0)) {
			t.Errorf("replaced analysis: last effective %v, kept until %v, want stamped and six years after", old.LastEffective, old.RetainUntil)
		}
		if err := db.DeleteAnalysis(ctx, actor, f.org.ID, last.ID); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "kept until") {
			t.Errorf("DeleteAnalysis(within retention) = %v, want ErrConflict naming the date", err)
		}
		if err := db.DeleteAnalysis(ctx, actor, f.other.ID, last.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteAnalysis(other org) = %v, want ErrNotFound", err)
		}
		if _, err := db.Analysis(ctx, f.other.ID, last.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Analysis(other org) = %v, want ErrNotFound", err)
		}
		db.Now = func() time.Time { return time.Now().AddDate(6, 1, 0) }
		if err := db.DeleteAnalysis(ctx, actor, f.org.ID, last.ID); err != nil {
			t.Errorf("DeleteAnalysis(after retention) = %v", err)
		}
		if a, err := db.Analysis(ctx, f.org.ID, next.ID); err != nil || a.CopiedFrom != 0 {
			t.Errorf("the copy after its source was deleted = %+v, %v, want no source", a.Analysis, err)
		}

		// Drafts go at any time; the list pages newest first.
		draft, err := db.CreateAnalysis(ctx, actor, f.org.ID, risk.Analysis{Name: "Draft", Scope: "x"}, false)
		if err != nil {
			t.Fatal(err)
		}
		list, more, err := db.Analyses(ctx, f.org.ID, store.Page{Limit: 1})
		if err != nil || len(list) != 1 || list[0].ID != draft.ID || more == nil || list[0].Snapshot != nil {
			t.Fatalf("Analyses(limit 1) = %+v, %v, %v, want the draft and a next page", list, more, err)
		}
		if rest, more, err := db.Analyses(ctx, f.org.ID, store.Page{After: *more, Limit: 1}); err != nil || len(rest) != 1 || rest[0].ID != next.ID || more != nil {
			t.Errorf("Analyses(page 2) = %+v, %v, %v, want the 2026 one and no more", rest, more, err)
		}
		if err := db.DeleteAnalysis(ctx, actor, f.org.ID, draft.ID); err != nil {
			t.Errorf("DeleteAnalysis(draft) = %v", err)
		}
		logged := auditActions(t, db, f.org.ID)
		if logged["risk.analysis.create"] != 3 || logged["risk.analysis.finalise"] != 2 || logged["risk.analysis.delete"] != 2 {
			t.Errorf("audit = %v, want 3 creates, 2 sign-offs and 2 deletions", logged)
		}
	})
}
