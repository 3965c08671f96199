package risk

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/safeguard-health/safeguard/internal/catalog"
)

// shippedKeys are the keys of the shipped library's threats and
// vulnerabilities, read once from the embedded file. Shipped checks the
// library against the catalogue; the keys alone are what a risk names.
var shippedKeys = sync.OnceValues(func() (map[string]bool, map[string]bool) {
	b, err := data.ReadFile("data/threats.json")
	threats, vulns := map[string]bool{}, map[string]bool{}
	if err != nil {
		return threats, vulns
	}
	var l Library
	if json.Unmarshal(b, &l) != nil {
		return threats, vulns
	}
	for _, t := range l.Threats {
		threats[t.Key] = true
	}
	for _, v := range l.Vulnerabilities {
		vulns[v.Key] = true
	}
	return threats, vulns
})

// ShippedThreat reports whether key names a threat of the shipped library.
func ShippedThreat(key string) bool { t, _ := shippedKeys(); return t[key] }

// ShippedVulnerability reports whether key names a vulnerability of the
// shipped library.
func ShippedVulnerability(key string) bool { _, v := shippedKeys(); return v[key] }

// sectionCategories are the catalogue categories by CFR section: each
// category is one section of the Security Rule.
var sectionCategories = []struct {
	section  string
	category catalog.Category
}{
	{"164.308", catalog.Administrative},
	{"164.310", catalog.Physical},
	{"164.312", catalog.Technical},
	{"164.314", catalog.Organizational},
	{"164.316", catalog.Documentation},
}

// MeasureCategories are the catalogue categories a risk belongs to for the
// register's category filter: the category of each of its measures (the
// catalogue entries in place against it), by the section its citation is
// in. A risk with no measures has none; entries only in a proposed profile
// ("nprm:…") count for none.
func MeasureCategories(measures []string) []catalog.Category {
	var out []catalog.Category
	for _, m := range measures {
		for _, sc := range sectionCategories {
			if strings.HasPrefix(m, sc.section) && !slices.Contains(out, sc.category) {
				out = append(out, sc.category)
			}
		}
	}
	slices.Sort(out)
	return out
}
