package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var (
	keyRE      = regexp.MustCompile(`^nprm:[a-z0-9]+(-[a-z0-9]+)*$`)
	slugRE     = regexp.MustCompile(`^[a-z0-9]+([_-][a-z0-9]+)*$`)
	dateRE     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	csfRE      = regexp.MustCompile(`^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-[0-9]{2}$`) // CSF 2.0
	csf11RE    = regexp.MustCompile(`^(ID|PR|DE|RS|RC)\.[A-Z]{2}-[0-9]{1,2}$`)  // CSF 1.1
	sp80053RE  = regexp.MustCompile(`^[A-Z]{2}-[0-9]{1,2}(\([0-9]{1,2}\))?$`)
	historyOps = []string{"renumbered", "amended", "added", "removed"}
	units      = []string{"hours", "days", "months"}
)

// problems collects everything wrong with the content, so that one run of the
// tests reports all of it.
type problems []error

func (ps *problems) addf(format string, args ...any) {
	*ps = append(*ps, fmt.Errorf(format, args...))
}

// validate checks the loaded content against the invariants the rest of
// Safeguard relies on.
func (c *Catalog) validate(cw crosswalkFile) error {
	var ps problems
	c.validateCategories(&ps)
	c.validateGeneral(&ps)
	if len(c.profiles) == 0 || c.profiles[0].ID != ProfileCurrent {
		ps.addf("the first profile must be %q", ProfileCurrent)
	}
	seen := map[string]bool{}
	for _, p := range c.profiles {
		if seen[p.ID] {
			ps.addf("profile %q defined twice", p.ID)
		}
		seen[p.ID] = true
		c.validateProfile(&ps, p)
	}
	c.validateFAQ(&ps)
	c.validateMapping(&ps, "NIST's", cw.NIST, csf11RE, nil)
	c.validateMapping(&ps, "Safeguard's", cw.Safeguard, csfRE, cw.NIST.Entries)
	return errors.Join(ps...)
}

// validateMapping checks one author's crosswalk: a source, known entries,
// well-formed identifiers of the framework version it names, and no pairing
// for an entry that an earlier mapping (before) already covers, so that what
// Safeguard adds never mixes with NIST's.
func (c *Catalog) validateMapping(ps *problems, who string, m mappingFile, csf *regexp.Regexp, before map[string]Pairings) {
	if strings.TrimSpace(m.Author) == "" || strings.TrimSpace(m.Source) == "" || m.CSFVersion == "" || m.SP80053Version == "" {
		ps.addf("crosswalk: %s mapping needs an author, a source and the versions of CSF and SP 800-53 it names", who)
	}
	for key, x := range m.Entries {
		found := false
		for _, p := range c.profiles {
			if slices.ContainsFunc(p.entries, func(e Entry) bool { return e.Citation == key }) {
				found = true
			}
		}
		if !found {
			ps.addf("crosswalk: %s mapping for unknown entry %q", who, key)
		}
		if _, ok := before[key]; ok {
			ps.addf("crosswalk: %s mapping pairs %q, which NIST's mapping already covers", who, key)
		}
		for _, id := range x.CSF {
			if !csf.MatchString(id) {
				ps.addf("crosswalk: %s mapping for %q: malformed CSF subcategory %q", who, key, id)
			}
		}
		for _, id := range x.SP80053 {
			if !sp80053RE.MatchString(id) {
				ps.addf("crosswalk: %s mapping for %q: malformed SP 800-53 control %q", who, key, id)
			}
		}
	}
}

func (c *Catalog) validateCategories(ps *problems) {
	want := []Category{Administrative, Physical, Technical, Organizational, Documentation}
	if len(c.categories) != len(want) {
		ps.addf("categories: got %d, want %d", len(c.categories), len(want))
		return
	}
	for i, ci := range c.categories {
		if ci.ID != want[i] {
			ps.addf("category %d is %q, want %q", i, ci.ID, want[i])
		}
		if ci.Title == "" || ci.Section == "" || ci.Description == "" {
			ps.addf("category %q: missing title, section or description", ci.ID)
		}
	}
}

func (c *Catalog) sectionCategory(section string) Category {
	for _, ci := range c.categories {
		if ci.Section == section {
			return ci.ID
		}
	}
	return ""
}

func (c *Catalog) validateGeneral(ps *problems) {
	g := c.general
	if len(g.Requirements) != 4 {
		ps.addf("general: want the 4 general requirements of 164.306(a), got %d", len(g.Requirements))
	}
	var objs []Objective
	for _, o := range g.Objectives {
		objs = append(objs, o.ID)
	}
	if !slices.Equal(objs, Objectives()) {
		ps.addf("general: objectives %v, want %v", objs, Objectives())
	}
	var fs []Factor
	for _, f := range g.Factors {
		fs = append(fs, f.ID)
	}
	if !slices.Equal(fs, Factors()) {
		ps.addf("general: factors %v, want %v", fs, Factors())
	}
	var os []Outcome
	for _, o := range g.Outcomes {
		os = append(os, o.ID)
		if o.RequiresDocumentation != o.ID.RequiresReason() {
			ps.addf("general: outcome %q requires_documentation = %v, want %v", o.ID, o.RequiresDocumentation, o.ID.RequiresReason())
		}
	}
	if !slices.Equal(os, Outcomes()) {
		ps.addf("general: outcomes %v, want %v", os, Outcomes())
	}
	cites := []string{g.Citation, g.Flexibility.Citation, g.Addressable.Citation, g.Maintenance.Citation}
	for _, r := range g.Requirements {
		cites = append(cites, r.Citation)
	}
	for _, f := range g.Factors {
		cites = append(cites, f.Citation)
	}
	for _, o := range g.Outcomes {
		cites = append(cites, o.Citation)
	}
	for _, ct := range cites {
		if CanonicalCitation(ct) != ct {
			ps.addf("general: malformed citation %q", ct)
		}
	}
}

func (c *Catalog) validateProfile(ps *problems, p *Profile) {
	if p.Status != "final" && p.Status != "proposed" {
		ps.addf("profile %q: status %q, want final or proposed", p.ID, p.Status)
	}
	if p.Title == "" || p.Source == "" || p.Summary == "" || !dateRE.MatchString(p.Published) {
		ps.addf("profile %q: missing title, source, summary or published date", p.ID)
	}
	refs := map[string]string{} // every reference → the entry it resolves to
	claim := func(ref, owner string) {
		if other, ok := refs[ref]; ok && other != owner {
			ps.addf("profile %q: %q refers to both %q and %q", p.ID, ref, other, owner)
		}
		refs[ref] = owner
	}
	pos := map[string]int{}
	for i, e := range p.entries {
		if _, dup := pos[e.Citation]; dup {
			ps.addf("profile %q: citation %q appears twice", p.ID, e.Citation)
		}
		pos[e.Citation] = i
		claim(e.Citation, e.Citation)
	}
	lastStandard := ""
	for _, e := range p.entries {
		where := fmt.Sprintf("profile %q: entry %q", p.ID, e.Citation)
		if keyRE.MatchString(e.Citation) {
			if !p.Proposed() {
				ps.addf("%s: keys are only for entries of a proposed profile", where)
			}
			if e.ProposedCitation == "" {
				ps.addf("%s: an entry without a current citation needs a proposed_citation", where)
			}
		} else if CanonicalCitation(e.Citation) != e.Citation {
			ps.addf("%s: citation is not in canonical form (%q)", where, CanonicalCitation(e.Citation))
		} else if ct, _ := ParseCitation(e.Citation); ct.Section != e.Section {
			ps.addf("%s: section %q does not match the citation", where, e.Section)
		}
		if e.ProposedCitation != "" {
			if !p.Proposed() {
				ps.addf("%s: proposed_citation outside a proposed profile", where)
			}
			if CanonicalCitation(e.ProposedCitation) != e.ProposedCitation {
				ps.addf("%s: malformed proposed_citation %q", where, e.ProposedCitation)
			}
		}
		if e.Title == "" || strings.TrimSpace(e.Title) != e.Title {
			ps.addf("%s: missing or untrimmed title", where)
		}
		if c.sectionCategory(e.Section) != e.Category || e.Category == "" {
			ps.addf("%s: category %q does not match section %q", where, e.Category, e.Section)
		}
		switch e.Kind {
		case KindStandard:
			lastStandard = e.Citation
			if e.Standard != e.Citation {
				ps.addf("%s: a standard's standard must be itself, got %q", where, e.Standard)
			}
			hasSpecs := slices.ContainsFunc(p.entries, func(x Entry) bool { return x.Kind == KindSpecification && x.Standard == e.Citation })
			switch {
			case hasSpecs && e.Requirement != "":
				ps.addf("%s: a standard with specifications has requirement %q, want none", where, e.Requirement)
			case !hasSpecs && e.Requirement != Required:
				ps.addf("%s: a standard without specifications has requirement %q, want required", where, e.Requirement)
			}
			m := e.Crosswalk.NIST
			if m.IsZero() {
				m = e.Crosswalk.Safeguard
			}
			if len(m.CSF) == 0 || len(m.SP80053) == 0 {
				ps.addf("%s: a standard needs CSF and SP 800-53 crosswalks", where)
			}
		case KindSpecification:
			if e.Requirement != Required && e.Requirement != Addressable {
				ps.addf("%s: requirement %q, want required or addressable", where, e.Requirement)
			}
			if e.Standard != lastStandard {
				ps.addf("%s: standard %q is not the standard it follows (%q)", where, e.Standard, lastStandard)
			}
			if len(e.KeyActivities) > 0 {
				ps.addf("%s: key activities belong to standards", where)
			}
		default:
			ps.addf("%s: kind %q, want standard or specification", where, e.Kind)
		}
		if i, ok := pos[e.Standard]; !ok || p.entries[i].Kind != KindStandard || p.entries[i].Section != e.Section {
			ps.addf("%s: parent standard %q is not a standard of the same section", where, e.Standard)
		}
		for _, a := range e.Aliases {
			if CanonicalCitation(a) != a {
				ps.addf("%s: malformed alias %q", where, a)
			}
			claim(a, e.Citation)
		}
		for _, h := range e.History {
			if !slices.Contains(historyOps, h.Action) || !dateRE.MatchString(h.Date) || h.Source == "" || h.Note == "" {
				ps.addf("%s: incomplete history record %+v", where, h)
			}
			if h.From != "" {
				if CanonicalCitation(h.From) != h.From {
					ps.addf("%s: malformed former citation %q", where, h.From)
				}
				claim(h.From, e.Citation)
			}
		}
		g := e.Guidance
		if g.Summary == "" || g.SmallPractice == "" || g.Hospital == "" || len(g.Evidence) == 0 || slices.Contains(g.Evidence, "") {
			ps.addf("%s: guidance needs a summary, both examples and evidence", where)
		}
		if len(e.AllQuestions()) == 0 {
			ps.addf("%s: no assessment question", where)
		}
		for _, q := range e.AllQuestions() {
			if !strings.HasSuffix(q, "?") || strings.TrimSpace(q) != q {
				ps.addf("%s: question %q is not a trimmed question", where, q)
			}
		}
		for _, ka := range e.KeyActivities {
			if ka.Title == "" || len(ka.Questions) == 0 {
				ps.addf("%s: key activity %q needs a title and a question", where, ka.Title)
			}
			for _, s := range ka.Specs {
				if i, ok := pos[s]; !ok || p.entries[i].Standard != e.Citation || p.entries[i].Kind != KindSpecification {
					if !p.Proposed() {
						ps.addf("%s: key activity %q names %q, not one of its specifications", where, ka.Title, s)
					}
				}
			}
		}
		for _, prm := range e.Parameters {
			if !slugRE.MatchString(prm.Name) || prm.Value <= 0 || !slices.Contains(units, prm.Unit) || prm.Text == "" {
				ps.addf("%s: malformed parameter %+v", where, prm)
			}
		}
		if p.Proposed() && e.Requirement == Addressable {
			ps.addf("%s: a proposed profile that removes addressability still has an addressable entry", where)
		}
	}
}

func (c *Catalog) validateFAQ(ps *problems) {
	cur := c.profiles[0]
	seen := map[string]bool{}
	for _, f := range c.faqs {
		if !slugRE.MatchString(f.ID) || seen[f.ID] {
			ps.addf("faq %q: malformed or duplicate id", f.ID)
		}
		seen[f.ID] = true
		if f.Topic == "" || !strings.HasSuffix(f.Question, "?") || f.Answer == "" {
			ps.addf("faq %q: needs a topic, a question and an answer", f.ID)
		}
		if len(f.Entries) == 0 {
			ps.addf("faq %q: links to no entry", f.ID)
		}
		for _, ref := range f.Entries {
			if !slices.ContainsFunc(cur.entries, func(e Entry) bool { return e.Citation == ref }) {
				ps.addf("faq %q: links to unknown entry %q", f.ID, ref)
			}
		}
	}
}
