package catalog

import (
	"fmt"
	"slices"
)

// Change kinds in a Difference.
const (
	ChangeAdded   = "added"
	ChangeRemoved = "removed"
	ChangeChanged = "changed"
)

// Difference is what happens to one entry between two profiles.
type Difference struct {
	Citation string `json:"citation"`
	Title    string `json:"title"`
	// Change is "added", "removed" or "changed".
	Change string        `json:"change"`
	Fields []FieldChange `json:"fields,omitempty"`
	// Parameters are the parameters the second profile adds.
	Parameters []Parameter `json:"parameters,omitempty"`
	// ProposedCitation and CitationApproximate come from the second profile.
	ProposedCitation    string `json:"proposed_citation,omitempty"`
	CitationApproximate bool   `json:"citation_approximate,omitempty"`
	// Note explains the change, when the second profile says why.
	Note string `json:"note,omitempty"`
}

// FieldChange is one field that differs. An empty requirement means the
// standard's requirements sit in its specifications.
type FieldChange struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Diff compares profile a with profile b entry by entry and returns every
// entry that b adds, removes or changes (title, kind, requirement, parent
// standard, category, proposed paragraph or parameters), in b's order with
// removed entries where they stood in a.
func (c *Catalog) Diff(a, b string) ([]Difference, error) {
	pa, err := c.Profile(a)
	if err != nil {
		return nil, err
	}
	pb, err := c.Profile(b)
	if err != nil {
		return nil, err
	}
	inA := map[string]*Entry{}
	for i := range pa.entries {
		inA[pa.entries[i].Citation] = &pa.entries[i]
	}
	inB := map[string]bool{}
	for _, e := range pb.entries {
		inB[e.Citation] = true
	}
	// Each entry only in a is reported just before the first entry that
	// follows it in a and survives in b.
	before := map[string][]Entry{}
	var trailing []Entry
	for i, e := range pa.entries {
		if inB[e.Citation] {
			continue
		}
		next := slices.IndexFunc(pa.entries[i+1:], func(x Entry) bool { return inB[x.Citation] })
		if next < 0 {
			trailing = append(trailing, e)
			continue
		}
		key := pa.entries[i+1+next].Citation
		before[key] = append(before[key], e)
	}
	removed := func(e Entry) Difference {
		return Difference{Citation: e.Citation, Title: e.Title, Change: ChangeRemoved, Note: e.Note}
	}
	var out []Difference
	for _, eb := range pb.entries {
		for _, r := range before[eb.Citation] {
			out = append(out, removed(r))
		}
		ea, ok := inA[eb.Citation]
		if !ok {
			out = append(out, Difference{
				Citation: eb.Citation, Title: eb.Title, Change: ChangeAdded,
				Parameters: slices.Clone(eb.Parameters), ProposedCitation: eb.ProposedCitation,
				CitationApproximate: eb.CitationApproximate, Note: eb.Note,
			})
			continue
		}
		d := Difference{Citation: eb.Citation, Title: eb.Title, Change: ChangeChanged}
		field := func(name, from, to string) {
			if from != to {
				d.Fields = append(d.Fields, FieldChange{Field: name, From: from, To: to})
			}
		}
		field("title", ea.Title, eb.Title)
		field("kind", string(ea.Kind), string(eb.Kind))
		field("requirement", string(ea.Requirement), string(eb.Requirement))
		if ea.Kind == eb.Kind {
			// A specification that becomes a standard is its own standard;
			// saying so again would be noise.
			field("standard", ea.Standard, eb.Standard)
		}
		field("category", string(ea.Category), string(eb.Category))
		field("proposed_citation", ea.ProposedCitation, eb.ProposedCitation)
		for _, prm := range eb.Parameters {
			if !slices.Contains(ea.Parameters, prm) {
				d.Parameters = append(d.Parameters, prm)
			}
		}
		if len(d.Fields) == 0 && len(d.Parameters) == 0 && ea.Note == eb.Note {
			continue
		}
		if ea.Note != eb.Note {
			d.Note = eb.Note
		}
		d.ProposedCitation, d.CitationApproximate = eb.ProposedCitation, eb.CitationApproximate
		out = append(out, d)
	}
	for _, r := range trailing {
		out = append(out, removed(r))
	}
	return out, nil
}

// String summarises the change on one line.
func (f FieldChange) String() string {
	show := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	}
	return fmt.Sprintf("%s: %s → %s", f.Field, show(f.From), show(f.To))
}
