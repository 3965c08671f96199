package catalog

import (
	"fmt"
	"slices"
)

// EntryDetail is an entry with its context: its profile, its standard, its
// specifications, FAQs and what other profiles do to it. It is the one JSON
// form of an entry, given by both "safeguard catalog show --format json" and
// GET /api/v1/catalog/{profile}/{citation}.
type EntryDetail struct {
	Profile       string `json:"profile"`
	ProfileStatus string `json:"profile_status"`
	Entry
	StandardTitle      string              `json:"standard_title"`
	Specifications     []Summary           `json:"specifications,omitempty"`
	FAQs               []FAQ               `json:"faqs,omitempty"`
	InheritedCrosswalk *InheritedCrosswalk `json:"inherited_crosswalk,omitempty"`
	CrosswalkSources   CrosswalkSources    `json:"crosswalk_sources"`
	// ResolvedFrom is the reference asked for when it is not the entry's own
	// citation, and ResolvedHow says why it leads here.
	ResolvedFrom string        `json:"resolved_from,omitempty"`
	ResolvedHow  string        `json:"resolved_how,omitempty"`
	Changes      []EntryChange `json:"changes"`
}

// InheritedCrosswalk is the crosswalk of a specification's standard, given
// when the specification has none of its own.
type InheritedCrosswalk struct {
	From string `json:"from"`
	Crosswalk
}

// EntryChange is what happens to an entry between two profiles; Change is
// "unchanged" when nothing does.
type EntryChange struct {
	FromProfile string `json:"from_profile"`
	ToProfile   string `json:"to_profile"`
	Difference
}

// Detail looks ref up in p and gathers the entry's context. A reference that
// matches nothing gives p.Entry's *NotFoundError.
func (c *Catalog) Detail(p *Profile, ref string) (EntryDetail, error) {
	e, err := p.Entry(ref)
	if err != nil {
		return EntryDetail{}, err
	}
	out := EntryDetail{Profile: p.ID, ProfileStatus: p.Status, Entry: e, CrosswalkSources: c.CrosswalkSources(), Changes: []EntryChange{}}
	out.ResolvedFrom, out.ResolvedHow = ResolvedHow(ref, e)
	if std, err := p.Entry(e.Standard); err == nil {
		out.StandardTitle = std.Title
		if e.Crosswalk.IsZero() && std.Citation != e.Citation {
			out.InheritedCrosswalk = &InheritedCrosswalk{From: std.Citation, Crosswalk: std.Crosswalk}
		}
	}
	kids, _ := p.Children(e.Citation)
	for _, k := range kids {
		out.Specifications = append(out.Specifications, p.Summarize(k))
	}
	for _, id := range e.FAQ {
		if f, ok := c.FAQ(id); ok {
			out.FAQs = append(out.FAQs, f)
		}
	}
	// A current profile is compared with each proposed one, a proposed
	// profile with each current one.
	for _, o := range c.Profiles() {
		from, to := p.ID, o.ID
		switch {
		case o.ID == p.ID:
			continue
		case p.Proposed():
			from, to = o.ID, p.ID
			if o.Proposed() {
				continue
			}
		case !o.Proposed():
			continue
		}
		diffs, err := c.Diff(from, to)
		if err != nil {
			return EntryDetail{}, err
		}
		ch := EntryChange{FromProfile: from, ToProfile: to, Difference: Difference{Citation: e.Citation, Title: e.Title, Change: "unchanged"}}
		if i := slices.IndexFunc(diffs, func(d Difference) bool { return d.Citation == e.Citation }); i >= 0 {
			ch.Difference = diffs[i]
		}
		out.Changes = append(out.Changes, ch)
	}
	return out, nil
}

// ResolvedHow explains why ref, which is not e's citation, leads to e: it
// returns ref in canonical form and the reason, or two empty strings when ref
// is e's own citation.
func ResolvedHow(ref string, e Entry) (from, how string) {
	canon := CanonicalCitation(ref)
	if canon == "" || canon == e.Citation {
		return "", ""
	}
	for _, h := range e.History {
		if h.From == canon {
			return canon, fmt.Sprintf("its former citation (%s %s by %s)", h.Action, h.Date, h.Source)
		}
	}
	if slices.Contains(e.Aliases, canon) {
		return canon, "another way of citing this entry"
	}
	if e.ProposedCitation == canon {
		return canon, "the paragraph the proposed rule would give this entry"
	}
	return canon, "a reference to this entry"
}
