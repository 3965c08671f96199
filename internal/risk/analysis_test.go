package risk

import (
	"testing"
	"time"
)

func TestCompareAnalyses(t *testing.T) {
	three, five := ThreeByThree(), FiveByFive()
	a := Snapshot{Scale: three,
		Assets: []Asset{{ID: 1, Name: "EHR", Version: 1}, {ID: 2, Name: "Old drive", Version: 1}},
		Risks: []Risk{
			{ID: 1, Title: "raised", Current: Rating{1, 1}, Status: StatusOpen},
			{ID: 2, Title: "lowered", Current: Rating{3, 3}, Status: StatusOpen},
			{ID: 3, Title: "closed", Current: Rating{2, 2}, Status: StatusOpen},
			{ID: 4, Title: "gone", Current: Rating{2, 2}, Status: StatusOpen},
			{ID: 5, Title: "same on another scale", Current: Rating{3, 3}, Status: StatusOpen},
		}}
	b := Snapshot{Scale: five,
		Assets: []Asset{{ID: 1, Name: "EHR", Version: 2}, {ID: 3, Name: "Portal", Version: 1}},
		Risks: []Risk{
			{ID: 1, Title: "raised", Current: Rating{5, 5}, Status: StatusOpen},
			{ID: 2, Title: "lowered", Current: Rating{1, 1}, Status: StatusTreated},
			{ID: 3, Title: "closed", Current: Rating{1, 1}, Status: StatusClosed},
			{ID: 5, Title: "same on another scale", Current: Rating{5, 5}, Status: StatusOpen},
			{ID: 6, Title: "new", Current: Rating{2, 2}, Status: StatusOpen},
		}}
	c := Compare(a, b)
	want := map[int64]string{1: "raised", 2: "lowered", 3: "closed", 4: "closed", 5: "unchanged", 6: "new"}
	if len(c.Risks) != len(want) {
		t.Fatalf("Compare = %+v", c.Risks)
	}
	for _, ch := range c.Risks {
		if want[ch.RiskID] != ch.Kind {
			t.Errorf("risk %d: %s, want %s", ch.RiskID, ch.Kind, want[ch.RiskID])
		}
	}
	if c.New != 1 || c.Closed != 2 || c.Raised != 1 || c.Lowered != 1 || c.Unchanged != 1 {
		t.Errorf("counts = %+v", c)
	}
	if c.Risks[0].Kind != "new" {
		t.Errorf("new risks come first: %+v", c.Risks[0])
	}
	assets := map[int64]string{}
	for _, x := range c.Assets {
		assets[x.AssetID] = x.Kind
	}
	if assets[1] != "changed" || assets[2] != "removed" || assets[3] != "added" || len(assets) != 3 {
		t.Errorf("asset changes = %+v", c.Assets)
	}
}

func TestAnalysisRetentionAndDue(t *testing.T) {
	signed := now.AddDate(-2, 0, 0)
	inEffect := Analysis{Name: "2024", Status: AnalysisFinal, FinalisedAt: signed}
	if err := inEffect.Deletable(now); err == nil {
		t.Error("the analysis in effect may be deleted")
	}
	replaced := inEffect
	replaced.LastEffective = now.AddDate(-1, 0, 0)
	if err := replaced.Deletable(now); err == nil {
		t.Error("a replaced analysis may be deleted within six years")
	}
	if err := replaced.Deletable(now.AddDate(6, 0, 0)); err != nil {
		t.Errorf("after six years: %v", err)
	}
	if err := (Analysis{Status: AnalysisDraft}).Deletable(now); err != nil {
		t.Errorf("a draft: %v", err)
	}

	if got := Due(nil, nil, now, false); len(got) != 1 || got[0].Kind != "never" {
		t.Errorf("Due(none) = %+v", got)
	}
	inEffect.Snapshot = &Snapshot{Assets: []Asset{{ID: 1, Name: "EHR", Kind: "ehr", Hosting: HostingCloud}}}
	assets := []Asset{
		{ID: 1, Name: "EHR", Kind: "ehr", Hosting: HostingOnSite, Reviewed: now},
		{ID: 2, Name: "Portal", Kind: "portal", Reviewed: now},
		{ID: 3, Name: "Oak Avenue clinic", Kind: "site", Reviewed: now.AddDate(-2, 0, 0)},
		{ID: 4, Name: "Old laptop", Kind: "laptop", Lifecycle: LifecycleRetired},
	}
	kinds := map[string]int{}
	for _, tr := range Due(&inEffect, assets, now, true) {
		kinds[tr.Kind]++
	}
	if kinds["annual"] != 1 || kinds["hosting_change"] != 1 || kinds["new_system"] != 1 || kinds["new_location"] != 1 || kinds["inventory_review"] != 1 {
		t.Errorf("Due = %v", kinds)
	}
	if err := ValidateAnalysis(Analysis{}); fields(err)["name"] == "" || fields(err)["scope"] == "" {
		t.Errorf("ValidateAnalysis(empty) = %v", err)
	}
	_ = time.Hour
}
