package assess

import (
	"testing"

	"github.com/safeguard-health/safeguard/internal/catalog"
)

func TestGroupBlockers(t *testing.T) {
	bs := []Blocker{
		{Citation: "164.308(a)(5)(ii)(D)", Category: catalog.Category("administrative"), Field: "status"},
		{Citation: "164.308(a)(5)(ii)(D)", Category: catalog.Category("administrative"), Field: "decision"},
		{Citation: "164.308(a)(8)", Category: catalog.Category("administrative"), Field: "status"},
		{Category: catalog.Category("administrative"), Field: "review"},
		{Category: catalog.Category("technical"), Field: "review"},
	}
	got := GroupBlockers(bs)
	want := []struct {
		citation string
		category catalog.Category
		n        int
	}{{"164.308(a)(5)(ii)(D)", "administrative", 2}, {"164.308(a)(8)", "administrative", 1}, {"", "administrative", 1}, {"", "technical", 1}}
	if len(got) != len(want) {
		t.Fatalf("GroupBlockers() = %d groups, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Citation != w.citation || got[i].Category != w.category || len(got[i].Blockers) != w.n {
			t.Errorf("GroupBlockers()[%d] = %s %s with %d, want %s %s with %d", i, got[i].Citation, got[i].Category, len(got[i].Blockers), w.citation, w.category, w.n)
		}
	}
}
