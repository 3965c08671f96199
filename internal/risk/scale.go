package risk

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// Grade is one step of a likelihood or impact scale, counted from 1 (the
// lowest).
type Grade struct {
	Label string `json:"label"`
	// Meaning says when to choose the grade, in the organisation's words.
	Meaning string `json:"meaning,omitempty"`
}

// Level is one risk level a matrix cell can hold, from the lowest.
type Level struct {
	Label string `json:"label"`
	// Colour is the cell colour on a heat map, "#rrggbb".
	Colour string `json:"colour"`
}

// Scale is how an organisation rates risks: the grades of likelihood and
// of impact, the levels, and the matrix that gives the level of each
// likelihood × impact pair. A rating records the scale it was made on, so
// changing an organisation's scale never changes earlier ratings.
type Scale struct {
	ID         int64   `json:"id,omitempty"`
	Name       string  `json:"name"`
	Likelihood []Grade `json:"likelihood"`
	Impact     []Grade `json:"impact"`
	Levels     []Level `json:"levels"`
	// Matrix[l-1][i-1] is the index in Levels of likelihood l, impact i.
	Matrix [][]int `json:"matrix"`
}

// Limits of a scale.
const (
	MaxGrades = 7
	MaxLevels = 6
)

var colourRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// ThreeByThree is the default scale, the one HHS's Security Risk Assessment
// Tool uses: likelihood and impact Low, Medium, High, and four levels.
func ThreeByThree() Scale {
	return Scale{
		Name: "Low / Medium / High (3 × 3)",
		Likelihood: []Grade{
			{"Low", "Not expected in the next year; no history of it here or at similar organisations."},
			{"Medium", "Could well happen in the next year; it has happened to similar organisations."},
			{"High", "Expected in the next year, or already happening."},
		},
		Impact: []Grade{
			{"Low", "Little harm: a short disruption, few or no records exposed, easily corrected."},
			{"Medium", "Noticeable harm: days of disruption, a breach of some records, a report to HHS likely."},
			{"High", "Serious harm: patient care affected, many records exposed, lasting damage or penalties."},
		},
		Levels: []Level{{"Low", "#2e7d32"}, {"Medium", "#f9a825"}, {"High", "#ef6c00"}, {"Critical", "#c62828"}},
		Matrix: [][]int{
			{0, 0, 1},
			{0, 1, 2},
			{1, 2, 3},
		},
	}
}

// FiveByFive is the finer scale offered to larger organisations.
func FiveByFive() Scale {
	return Scale{
		Name: "Five grades (5 × 5)",
		Likelihood: []Grade{
			{"Rare", "Would take exceptional circumstances."},
			{"Unlikely", "Could happen, but not expected within several years."},
			{"Possible", "Might happen within a few years."},
			{"Likely", "Expected within the next year."},
			{"Almost certain", "Expected within months, or already happening."},
		},
		Impact: []Grade{
			{"Negligible", "No ePHI exposed; no effect on care."},
			{"Minor", "A few records or hours of disruption; corrected quickly."},
			{"Moderate", "A reportable breach of some records or days of disruption."},
			{"Major", "Many records exposed or care delayed; regulators involved."},
			{"Severe", "Patient harm, a large breach or lasting loss of systems."},
		},
		Levels: []Level{{"Low", "#2e7d32"}, {"Medium", "#f9a825"}, {"High", "#ef6c00"}, {"Critical", "#c62828"}},
		Matrix: [][]int{
			{0, 0, 0, 1, 1},
			{0, 0, 1, 1, 2},
			{0, 1, 1, 2, 3},
			{1, 1, 2, 3, 3},
			{1, 2, 3, 3, 3},
		},
	}
}

// Validate reports every problem with s, keyed by field ("likelihood.2.label",
// "matrix.1.3").
func (s Scale) Validate() error {
	p := validate.Error{}
	if strings.TrimSpace(s.Name) == "" {
		p.Add("name", "is required")
	}
	grades := func(field string, gs []Grade) {
		if len(gs) < 2 || len(gs) > MaxGrades {
			p.Add(field, fmt.Sprintf("must have from 2 to %d grades, has %d", MaxGrades, len(gs)))
		}
		seen := map[string]bool{}
		for i, g := range gs {
			l := strings.ToLower(strings.TrimSpace(g.Label))
			switch {
			case l == "":
				p.Add(fmt.Sprintf("%s.%d.label", field, i+1), "is required")
			case seen[l]:
				p.Add(fmt.Sprintf("%s.%d.label", field, i+1), fmt.Sprintf("repeats %q", g.Label))
			}
			seen[l] = true
		}
	}
	grades("likelihood", s.Likelihood)
	grades("impact", s.Impact)
	if len(s.Levels) < 2 || len(s.Levels) > MaxLevels {
		p.Add("levels", fmt.Sprintf("must have from 2 to %d levels, has %d", MaxLevels, len(s.Levels)))
	}
	for i, l := range s.Levels {
		if strings.TrimSpace(l.Label) == "" {
			p.Add(fmt.Sprintf("levels.%d.label", i+1), "is required")
		}
		if !colourRe.MatchString(l.Colour) {
			p.Add(fmt.Sprintf("levels.%d.colour", i+1), "must be a colour like #c62828")
		}
	}
	if len(s.Matrix) != len(s.Likelihood) {
		p.Add("matrix", fmt.Sprintf("must have one row per likelihood grade (%d), has %d", len(s.Likelihood), len(s.Matrix)))
		return p.Err()
	}
	for l, row := range s.Matrix {
		if len(row) != len(s.Impact) {
			p.Add(fmt.Sprintf("matrix.%d", l+1), fmt.Sprintf("must have one cell per impact grade (%d), has %d", len(s.Impact), len(row)))
			continue
		}
		for i, lv := range row {
			if lv < 0 || lv >= len(s.Levels) {
				p.Add(fmt.Sprintf("matrix.%d.%d", l+1, i+1), fmt.Sprintf("must be a level from 1 to %d", len(s.Levels)))
				continue
			}
			// The level never falls as likelihood or impact rises.
			if l > 0 && i < len(s.Matrix[l-1]) && lv < s.Matrix[l-1][i] {
				p.Add(fmt.Sprintf("matrix.%d.%d", l+1, i+1), "must not be lower than the cell of the lower likelihood")
			}
			if i > 0 && lv < row[i-1] {
				p.Add(fmt.Sprintf("matrix.%d.%d", l+1, i+1), "must not be lower than the cell of the lower impact")
			}
		}
	}
	return p.Err()
}

// Rating is a likelihood and an impact on a scale, each from 1.
type Rating struct {
	Likelihood int `json:"likelihood"`
	Impact     int `json:"impact"`
}

// Zero reports whether r is not rated.
func (r Rating) Zero() bool { return r.Likelihood == 0 && r.Impact == 0 }

// Check reports the problems with r on s, under field prefix ("current").
func (s Scale) Check(p validate.Error, prefix string, r Rating) {
	if r.Likelihood < 1 || r.Likelihood > len(s.Likelihood) {
		p.Add(prefix+".likelihood", fmt.Sprintf("must be from 1 to %d on the scale %q", len(s.Likelihood), s.Name))
	}
	if r.Impact < 1 || r.Impact > len(s.Impact) {
		p.Add(prefix+".impact", fmt.Sprintf("must be from 1 to %d on the scale %q", len(s.Impact), s.Name))
	}
}

// Level returns the index in s.Levels of rating r, and false when r is not
// on s.
func (s Scale) Level(r Rating) (int, bool) {
	if r.Likelihood < 1 || r.Likelihood > len(s.Matrix) || r.Impact < 1 || r.Impact > len(s.Matrix[r.Likelihood-1]) {
		return 0, false
	}
	return s.Matrix[r.Likelihood-1][r.Impact-1], true
}

// Describe is r in words on s: "Likelihood High, impact Medium: High".
func (s Scale) Describe(r Rating) string {
	lv, ok := s.Level(r)
	if !ok {
		return "not rated"
	}
	return fmt.Sprintf("Likelihood %s, impact %s: %s", s.Likelihood[r.Likelihood-1].Label, s.Impact[r.Impact-1].Label, s.Levels[lv].Label)
}

// Rescale maps r from scale from onto scale to, keeping its place on each
// axis as closely as the grades allow (the lowest stays lowest, the highest
// highest). It is the suggestion when an organisation re-rates in bulk after
// changing its scale; the person re-rating confirms it.
func Rescale(r Rating, from, to Scale) Rating {
	m := func(v, n, k int) int {
		if n <= 1 || k <= 1 {
			return 1
		}
		// Round (v-1)*(k-1)/(n-1) to the nearest grade.
		return 1 + ((v-1)*(k-1)*2+(n-1))/((n-1)*2)
	}
	return Rating{Likelihood: m(r.Likelihood, len(from.Likelihood), len(to.Likelihood)), Impact: m(r.Impact, len(from.Impact), len(to.Impact))}
}
