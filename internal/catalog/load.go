package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
)

// data holds the rule content; see data/catalog.json for the layout.
//
//go:embed data
var data embed.FS

// Load parses and validates the embedded content and returns a new Catalog.
// Most callers want [Default], which loads once and shares the result.
func Load() (*Catalog, error) {
	sub, err := fs.Sub(data, "data")
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	return load(sub)
}

// The file formats under data/.
type (
	manifestFile struct {
		SchemaVersion int            `json:"schema_version"`
		Version       string         `json:"version"`
		Released      string         `json:"released"`
		Title         string         `json:"title"`
		Sections      []sectionRef   `json:"sections"`
		Categories    []CategoryInfo `json:"categories"`
		Profiles      []profileFile  `json:"profiles"`
		Overlays      []string       `json:"overlays"`
		General       string         `json:"general"`
		FAQ           string         `json:"faq"`
		Crosswalk     string         `json:"crosswalk"`
	}
	sectionRef struct {
		Section string `json:"section"`
		File    string `json:"file"`
	}
	sectionFile struct {
		Section  string   `json:"section"`
		Title    string   `json:"title"`
		Category Category `json:"category"`
		Entries  []Entry  `json:"entries"`
	}
	profileFile struct {
		ID          string        `json:"id"`
		Title       string        `json:"title"`
		Status      string        `json:"status"`
		Source      string        `json:"source"`
		Published   string        `json:"published"`
		Summary     string        `json:"summary"`
		BasedOn     string        `json:"based_on"`
		Requirement Requirement   `json:"requirement"`
		Changes     []changeFile  `json:"changes"`
		Additions   []additionRow `json:"additions"`
	}
	// changeFile alters one entry of the profile a proposed profile is based on.
	changeFile struct {
		Citation            string      `json:"citation"`
		Removed             bool        `json:"removed"`
		Kind                Kind        `json:"kind"`
		Title               string      `json:"title"`
		ProposedCitation    string      `json:"proposed_citation"`
		CitationApproximate bool        `json:"citation_approximate"`
		Parameters          []Parameter `json:"parameters"`
		Note                string      `json:"note"`
	}
	// additionRow is an entry that exists only in a proposed profile, placed
	// after the entry named by After.
	additionRow struct {
		Entry
		After string `json:"after"`
	}
	faqFile struct {
		Source string `json:"source"`
		FAQs   []FAQ  `json:"faqs"`
	}
	// crosswalkFile holds NIST's mapping (written from NIST's CPRT export by
	// TestCrosswalkIsNISTs -update, never by hand) and Safeguard's own
	// additions.
	crosswalkFile struct {
		NIST      mappingFile `json:"nist"`
		Safeguard mappingFile `json:"safeguard"`
	}
	mappingFile struct {
		CrosswalkSource
		Entries map[string]Pairings `json:"entries"`
	}
)

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// load builds a catalogue from a file system laid out like data/.
func load(fsys fs.FS) (*Catalog, error) {
	var m manifestFile
	if err := readJSON(fsys, "catalog.json", &m); err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	if m.SchemaVersion != 1 {
		return nil, fmt.Errorf("load catalog: unsupported schema_version %d", m.SchemaVersion)
	}
	c := &Catalog{Title: m.Title, Version: m.Version, Released: m.Released, categories: m.Categories}

	var faqs faqFile
	if err := readJSON(fsys, m.FAQ, &faqs); err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	c.faqs = faqs.FAQs
	if err := readJSON(fsys, m.General, &c.general); err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	var cw crosswalkFile
	if err := readJSON(fsys, m.Crosswalk, &cw); err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	c.crosswalk = CrosswalkSources{NIST: cw.NIST.CrosswalkSource, Safeguard: cw.Safeguard.CrosswalkSource}

	// The rule in force: the section files, in order.
	var base []Entry
	for _, s := range m.Sections {
		var sf sectionFile
		if err := readJSON(fsys, s.File, &sf); err != nil {
			return nil, fmt.Errorf("load catalog: %w", err)
		}
		if sf.Section != s.Section {
			return nil, fmt.Errorf("load catalog: %s holds section %q, want %q", s.File, sf.Section, s.Section)
		}
		for _, e := range sf.Entries {
			e.Section = sf.Section
			e.Category = sf.Category
			if e.Kind == KindStandard {
				e.Standard = e.Citation
			}
			base = append(base, e)
		}
	}

	var files []profileFile
	files = append(files, m.Profiles...)
	for _, name := range m.Overlays {
		var pf profileFile
		if err := readJSON(fsys, name, &pf); err != nil {
			return nil, fmt.Errorf("load catalog: %w", err)
		}
		files = append(files, pf)
	}
	built := map[string][]Entry{}
	for _, pf := range files {
		var entries []Entry
		if pf.BasedOn == "" {
			entries = cloneEntries(base)
		} else {
			from, ok := built[pf.BasedOn]
			if !ok {
				return nil, fmt.Errorf("load catalog: profile %q is based on unknown profile %q", pf.ID, pf.BasedOn)
			}
			var err error
			if entries, err = applyOverlay(cloneEntries(from), pf); err != nil {
				return nil, fmt.Errorf("load catalog: profile %q: %w", pf.ID, err)
			}
		}
		for i := range entries {
			e := &entries[i]
			e.Crosswalk = Crosswalk{
				NIST:      cw.NIST.Entries[e.Citation].clone(),
				Safeguard: cw.Safeguard.Entries[e.Citation].clone(),
			}
			e.FAQ = nil
			for _, f := range c.faqs {
				if slices.Contains(f.Entries, e.Citation) {
					e.FAQ = append(e.FAQ, f.ID)
				}
			}
		}
		built[pf.ID] = entries
		p := &Profile{
			ID: pf.ID, Title: pf.Title, Status: pf.Status, Source: pf.Source,
			Published: pf.Published, Summary: pf.Summary,
			entries: entries, cat: c,
		}
		c.profiles = append(c.profiles, p)
	}

	if err := c.validate(cw); err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	for _, p := range c.profiles {
		p.index()
	}
	return c, nil
}

func cloneEntries(es []Entry) []Entry {
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = e.clone()
	}
	return out
}

// applyOverlay turns the entries of the profile a proposed profile is based
// on into the proposed profile's entries.
func applyOverlay(entries []Entry, pf profileFile) ([]Entry, error) {
	pos := map[string]int{}
	for i, e := range entries {
		pos[e.Citation] = i
	}
	removed := map[string]bool{}
	for _, ch := range pf.Changes {
		i, ok := pos[ch.Citation]
		if !ok {
			return nil, fmt.Errorf("change to unknown entry %q", ch.Citation)
		}
		e := &entries[i]
		if ch.Removed {
			removed[e.Citation] = true
			continue
		}
		if ch.Kind != "" {
			e.Kind = ch.Kind
			if e.Kind == KindStandard {
				e.Standard = e.Citation
			}
		}
		if ch.Title != "" {
			e.Title = ch.Title
		}
		if ch.ProposedCitation != "" {
			e.ProposedCitation = ch.ProposedCitation
			e.CitationApproximate = ch.CitationApproximate
		}
		e.Parameters = append(e.Parameters, ch.Parameters...)
		if ch.Note != "" {
			e.Note = ch.Note
		}
	}

	// Place the additions, then drop the removed entries.
	order := make([]Entry, len(entries))
	copy(order, entries)
	for _, a := range pf.Additions {
		at := slices.IndexFunc(order, func(e Entry) bool { return e.Citation == a.After })
		if at < 0 {
			return nil, fmt.Errorf("addition %q: unknown entry %q in after", a.Citation, a.After)
		}
		order = slices.Insert(order, at+1, a.Entry)
	}
	order = slices.DeleteFunc(order, func(e Entry) bool { return removed[e.Citation] })

	// A standard's requirement follows from whether it still has
	// specifications; everything else takes the profile's requirement.
	hasSpecs := map[string]bool{}
	for _, e := range order {
		if e.Kind == KindSpecification {
			hasSpecs[e.Standard] = true
		}
	}
	for i := range order {
		e := &order[i]
		switch {
		case e.Kind == KindStandard && hasSpecs[e.Citation]:
			e.Requirement = ""
		case pf.Requirement != "":
			e.Requirement = pf.Requirement
		}
		if e.Kind == KindStandard {
			e.Standard = e.Citation
		}
		if removed[e.Standard] {
			return nil, fmt.Errorf("entry %q belongs to removed standard %q", e.Citation, e.Standard)
		}
	}
	return order, nil
}

// index builds the lookup table of a validated profile: citations first, then
// aliases and former citations.
func (p *Profile) index() {
	p.byRef = map[string]int{}
	for i, e := range p.entries {
		p.byRef[e.Citation] = i
	}
	for i, e := range p.entries {
		for _, a := range e.Aliases {
			p.byRef[a] = i
		}
		for _, h := range e.History {
			if h.From != "" {
				p.byRef[h.From] = i
			}
		}
	}
	// A proposed paragraph resolves only when exactly one entry claims it
	// and nothing above already does.
	claims := map[string][]int{}
	for i, e := range p.entries {
		if c := proposedParagraph(e); c != "" {
			claims[c] = append(claims[c], i)
		}
	}
	for c, is := range claims {
		if _, taken := p.byRef[c]; !taken && len(is) == 1 {
			p.byRef[c] = is[0]
		}
	}
}

func proposedParagraph(e Entry) string {
	if e.ProposedCitation == "" {
		return ""
	}
	return CanonicalCitation(e.ProposedCitation)
}
