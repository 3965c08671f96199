package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// NotFoundError reports a reference that matches no entry, with the nearest
// entries as suggestions. It wraps [ErrNotFound].
type NotFoundError struct {
	Profile     string
	Ref         string
	Suggestions []Entry
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("no entry %q in profile %s", e.Ref, e.Profile)
	if len(e.Suggestions) > 0 {
		var s []string
		for _, x := range e.Suggestions {
			s = append(s, x.Citation+" "+x.Title)
		}
		msg += "; nearest: " + strings.Join(s, ", ")
	}
	return msg
}

func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// suggestions is how many entries a NotFoundError suggests.
const suggestions = 3

// Entry returns the entry ref refers to. It accepts the entry's citation in
// any form [ParseCitation] understands, an alias (such as "164.310(a)" for
// the standard at 164.310(a)(1)), a citation the 2013 amendments renumbered
// (164.308(b)(4) resolves to 164.308(b)(3)), a proposed-profile key such as
// "nprm:patch-management", and, in a proposed profile, a proposed paragraph
// claimed by exactly one entry. Citations in today's numbering win over
// proposed ones. A reference that matches nothing yields a *NotFoundError.
func (p *Profile) Entry(ref string) (Entry, error) {
	if i, ok := p.resolve(ref); ok {
		return p.entries[i].clone(), nil
	}
	return Entry{}, &NotFoundError{Profile: p.ID, Ref: ref, Suggestions: p.Suggest(ref, suggestions)}
}

func (p *Profile) resolve(ref string) (int, bool) {
	ref = strings.TrimSpace(ref)
	if i, ok := p.byRef[ref]; ok {
		return i, true
	}
	if i, ok := p.byRef[strings.ToLower(ref)]; ok && keyRE.MatchString(strings.ToLower(ref)) {
		return i, true
	}
	if c := CanonicalCitation(ref); c != "" {
		i, ok := p.byRef[c]
		return i, ok
	}
	return 0, false
}

// Suggest returns up to n entries nearest to ref: for a citation, those
// sharing the longest run of paragraphs with it and then the closest in
// spelling; for words, the best search matches.
func (p *Profile) Suggest(ref string, n int) []Entry {
	if n <= 0 {
		return nil
	}
	ct, err := ParseCitation(ref)
	if err != nil {
		// A malformed citation still names its section.
		trimmed := strings.TrimSpace(ref)
		trimmed = trimmed[len(prefixRE.FindString(trimmed)):]
		if sec := sectionRE.FindString(trimmed); sec != "" {
			return p.Suggest(sec, n)
		}
		var out []Entry
		for _, h := range p.Search(ref) {
			if h.Kind == HitEntry {
				if e, err := p.Entry(h.ID); err == nil {
					out = append(out, e)
				}
			}
			if len(out) == n {
				break
			}
		}
		if len(out) == 0 {
			out = p.nearestTitles(ref, n)
		}
		return out
	}
	if len(ct.Paragraphs) == 0 {
		// A bare section: its standards, in order.
		out := p.filter(func(e *Entry) bool { return e.Section == ct.Section && e.Kind == KindStandard })
		return out[:min(n, len(out))]
	}
	want := ct.String()
	type cand struct {
		i, prefix, dist int
	}
	var cands []cand
	for i, e := range p.entries {
		ec, err := ParseCitation(e.Citation)
		if err != nil {
			ec, err = ParseCitation(e.ProposedCitation)
			if err != nil {
				continue
			}
		}
		prefix := ct.commonPrefix(ec)
		if prefix == 0 {
			continue
		}
		cands = append(cands, cand{i, prefix, levenshtein(want, ec.String())})
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		if c := cmp.Compare(b.prefix, a.prefix); c != 0 {
			return c
		}
		return cmp.Compare(a.dist, b.dist)
	})
	var out []Entry
	for _, c := range cands[:min(n, len(cands))] {
		out = append(out, p.entries[c.i].clone())
	}
	return out
}

// nearestTitles ranks entries by the edit distance between ref and their
// titles, for misspelt words that match nothing.
func (p *Profile) nearestTitles(ref string, n int) []Entry {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if ref == "" || len(ref) > 200 {
		return nil
	}
	idx := make([]int, len(p.entries))
	dist := make([]int, len(p.entries))
	for i, e := range p.entries {
		idx[i] = i
		dist[i] = levenshtein(ref, strings.ToLower(e.Title))
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(dist[a], dist[b]) })
	var out []Entry
	for _, i := range idx[:min(n, len(idx))] {
		out = append(out, p.entries[i].clone())
	}
	return out
}

// levenshtein returns the edit distance between a and b, by runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Has reports whether the profile has an entry whose own citation is
// citation; unlike [Profile.Entry] it follows no alias, former or proposed
// paragraph.
func (p *Profile) Has(citation string) bool {
	_, ok := p.byRef[citation]
	return ok && p.entries[p.byRef[citation]].Citation == citation
}

// Reference is the citation a person reads for e: its CFR paragraph or, for
// an entry only a proposed profile has (whose Citation is a key such as
// "nprm:patch-management", meant for URLs and the API), the paragraph the
// proposal gives it, marked as proposed: "Proposed 164.312(a)(2)(v)",
// "Proposed 164.312(h) (approximate)".
func (e Entry) Reference() string {
	if !keyRE.MatchString(e.Citation) {
		return e.Citation
	}
	return ProposedReference(e.ProposedCitation, e.CitationApproximate)
}

// ProposedReference is how a page names an entry that only a proposed profile
// has, from the paragraph the proposal gives it; see [Entry.Reference].
func ProposedReference(paragraph string, approximate bool) string {
	switch {
	case paragraph == "":
		return "New in the proposed rule"
	case approximate:
		return "Proposed " + paragraph + " (approximate)"
	}
	return "Proposed " + paragraph
}

// IsKey reports whether ref is the key of an entry that only a proposed
// profile has, such as "nprm:patch-management", rather than a CFR paragraph.
func IsKey(ref string) bool { return keyRE.MatchString(ref) }
