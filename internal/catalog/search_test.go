package catalog

import (
	"slices"
	"testing"
)

func TestSearch(t *testing.T) {
	c := mustLoad(t)
	p := mustProfile(t, c, ProfileCurrent)
	tests := []struct {
		query string
		top   string // the best entry
		also  []string
	}{
		{"encryption", "164.312(a)(2)(iv)", []string{"164.312(e)(2)(ii)", "encryption-mandatory"}},
		{"logoff", "164.312(a)(2)(iii)", []string{"telecommuting-automatic-logoff"}},
		{"backup", "164.308(a)(7)(ii)(A)", []string{"164.310(d)(2)(iv)"}},
		{"Risk Analysis", "164.308(a)(1)(ii)(A)", []string{"risk-analysis-vs-management"}},
		{"encrypt laptops", "164.312(a)(2)(iv)", nil},
		{"six years", "164.316(b)(2)(i)", nil},
		{"45 CFR 164.308(b)(4)", "164.308(b)(3)", nil},
	}
	for _, tt := range tests {
		hits := p.Search(tt.query)
		if len(hits) == 0 {
			t.Errorf("Search(%q) found nothing", tt.query)
			continue
		}
		i := slices.IndexFunc(hits, func(h Hit) bool { return h.Kind == HitEntry })
		if i < 0 || hits[i].ID != tt.top {
			t.Errorf("Search(%q) best entry = %+v, want %s", tt.query, hits[max(i, 0)], tt.top)
		}
		for _, id := range tt.also {
			if !slices.ContainsFunc(hits, func(h Hit) bool { return h.ID == id }) {
				t.Errorf("Search(%q) misses %s", tt.query, id)
			}
		}
		for j := 1; j < len(hits); j++ {
			if hits[j].Score > hits[j-1].Score {
				t.Errorf("Search(%q) not ranked: %d before %d", tt.query, hits[j-1].Score, hits[j].Score)
			}
		}
	}
	for _, q := range []string{"", "the of and", "zzzyzzx"} {
		if hits := p.Search(q); len(hits) != 0 {
			t.Errorf("Search(%q) = %d hits, want none", q, len(hits))
		}
	}
	// The proposed profile searches its own entries.
	nprm := mustProfile(t, c, ProfileNPRM2025)
	if hits := nprm.Search("penetration testing"); len(hits) == 0 || hits[0].ID != "nprm:penetration-testing" {
		t.Errorf("nprm-2025 Search(penetration testing) = %v", hits)
	}
}

func TestSearchFAQ(t *testing.T) {
	c := mustLoad(t)
	tests := map[string]string{
		"certification":           "certification",
		"email":                   "email-internet",
		"shared log-on":           "shared-logon",
		"who enforces":            "who-enforces",
		"cyber threat indicators": "cyber-threat-indicators",
	}
	for q, want := range tests {
		hits := c.SearchFAQ(q)
		if len(hits) == 0 || hits[0].ID != want || hits[0].Kind != HitFAQ {
			t.Errorf("SearchFAQ(%q) = %v, want %s first", q, hits, want)
		}
	}
	if f, ok := c.FAQ("encryption-mandatory"); !ok || f.Answer == "" {
		t.Errorf("FAQ(encryption-mandatory) = %+v, %v", f, ok)
	}
}
