package assess

import (
	"slices"

	"github.com/safeguard-health/safeguard/internal/catalog"
)

// The numbers the pages and the API give about an assessment, each defined
// once here so that every page counts them alike.

// ToAnswer counts the entries of a that need an answer before sign-off
// (see [EntrySnapshot.Assessable]): the standards and the implementation
// specifications among them.
func (a Assessment) ToAnswer() (standards, specifications int) {
	for _, e := range a.Entries {
		switch {
		case !e.Assessable():
		case e.Kind == catalog.KindSpecification:
			specifications++
		default:
			standards++
		}
	}
	return standards, specifications
}

// Answered is the number of entries with a status, whatever it is.
func (c Counts) Answered() int { return c.Entries - c.Unanswered }

// Gaps is the number of entries answered not implemented or partially
// implemented: what risk management has to plan for.
func (c Counts) Gaps() int { return c.NotImplemented + c.Partial }

// BlockerGroup is everything that blocks sign-off about one entry, or
// about the review of one category (Citation is empty then).
type BlockerGroup struct {
	Citation string           `json:"citation,omitempty"`
	Category catalog.Category `json:"category"`
	Blockers []Blocker        `json:"blockers"`
}

// GroupBlockers gathers bs by entry, in the order each entry first
// appears: an entry with several problems (no answer and no decision) is
// one item, and so is each category's missing review.
func GroupBlockers(bs []Blocker) []BlockerGroup {
	var out []BlockerGroup
	for _, b := range bs {
		i := slices.IndexFunc(out, func(g BlockerGroup) bool {
			return g.Citation == b.Citation && (b.Citation != "" || g.Category == b.Category)
		})
		if i < 0 {
			i = len(out)
			out = append(out, BlockerGroup{Citation: b.Citation, Category: b.Category})
		}
		out[i].Blockers = append(out[i].Blockers, b)
	}
	return out
}
