package catalog

import (
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// OSCALNamespace qualifies the properties and parts Safeguard adds to OSCAL.
const OSCALNamespace = "https://safeguard-health.github.io/ns/oscal"

// OSCALVersion is the OSCAL version ExportOSCAL writes.
const OSCALVersion = "1.1.3"

// The subset of the OSCAL catalog model Safeguard writes and reads.
type (
	oscalDocument struct {
		Catalog *oscalCatalog `json:"catalog"`
	}
	oscalCatalog struct {
		UUID     string         `json:"uuid"`
		Metadata oscalMetadata  `json:"metadata"`
		Groups   []oscalGroup   `json:"groups,omitempty"`
		Controls []oscalControl `json:"controls,omitempty"`
	}
	oscalMetadata struct {
		Title        string      `json:"title"`
		Published    string      `json:"published,omitempty"`
		LastModified string      `json:"last-modified"`
		Version      string      `json:"version"`
		OSCALVersion string      `json:"oscal-version"`
		Props        []oscalProp `json:"props,omitempty"`
		Remarks      string      `json:"remarks,omitempty"`
	}
	oscalGroup struct {
		ID       string         `json:"id,omitempty"`
		Class    string         `json:"class,omitempty"`
		Title    string         `json:"title"`
		Props    []oscalProp    `json:"props,omitempty"`
		Links    []oscalLink    `json:"links,omitempty"`
		Parts    []oscalPart    `json:"parts,omitempty"`
		Groups   []oscalGroup   `json:"groups,omitempty"`
		Controls []oscalControl `json:"controls,omitempty"`
	}
	oscalControl struct {
		ID       string         `json:"id"`
		Class    string         `json:"class,omitempty"`
		Title    string         `json:"title"`
		Params   []oscalParam   `json:"params,omitempty"`
		Props    []oscalProp    `json:"props,omitempty"`
		Links    []oscalLink    `json:"links,omitempty"`
		Parts    []oscalPart    `json:"parts,omitempty"`
		Controls []oscalControl `json:"controls,omitempty"`
	}
	oscalParam struct {
		ID     string   `json:"id"`
		Label  string   `json:"label,omitempty"`
		Usage  string   `json:"usage,omitempty"`
		Values []string `json:"values,omitempty"`
	}
	oscalProp struct {
		Name  string `json:"name"`
		NS    string `json:"ns,omitempty"`
		Class string `json:"class,omitempty"`
		Value string `json:"value"`
	}
	oscalLink struct {
		Href string `json:"href"`
		Rel  string `json:"rel,omitempty"`
		Text string `json:"text,omitempty"`
	}
	oscalPart struct {
		ID    string      `json:"id,omitempty"`
		Name  string      `json:"name"`
		NS    string      `json:"ns,omitempty"`
		Title string      `json:"title,omitempty"`
		Prose string      `json:"prose,omitempty"`
		Parts []oscalPart `json:"parts,omitempty"`
	}
)

// ExportOSCAL writes the profile as an OSCAL 1.1.3 catalog in JSON: one group
// per category, one control per standard with its implementation
// specifications as sub-controls. Each control carries its citation (the
// "label" property and Safeguard's "citation"), kind and requirement as
// properties, the guidance and questions as parts, and a proposed profile's
// parameters as OSCAL params. Crosswalk properties say whose pairing they
// are by their class: "nist-olir" for NIST's mapping (CSF 1.1 and
// SP 800-53 Rev. 5.1.1), "safeguard" for Safeguard's own additions. The output depends only on the content, so the
// same catalogue always exports the same bytes.
func (c *Catalog) ExportOSCAL(w io.Writer, profile string) error {
	p, err := c.Profile(profile)
	if err != nil {
		return err
	}
	doc := oscalDocument{Catalog: &oscalCatalog{
		UUID: uuid5("catalog/" + c.Version + "/" + p.ID),
		Metadata: oscalMetadata{
			Title:        c.Title + ": " + p.Title,
			Published:    c.Released + "T00:00:00Z",
			LastModified: c.Released + "T00:00:00Z",
			Version:      c.Version + "+" + p.ID,
			OSCALVersion: OSCALVersion,
			Props: []oscalProp{
				{Name: "profile", NS: OSCALNamespace, Value: p.ID},
				{Name: "status", NS: OSCALNamespace, Value: p.Status},
				{Name: "source", NS: OSCALNamespace, Value: oneLine(p.Source)},
				{Name: "crosswalk-source", NS: OSCALNamespace, Class: "nist-olir", Value: oneLine(c.crosswalk.NIST.Source)},
				{Name: "crosswalk-source", NS: OSCALNamespace, Class: "safeguard", Value: oneLine(c.crosswalk.Safeguard.Source)},
			},
			Remarks: p.Summary,
		},
	}}
	for _, ci := range c.categories {
		g := oscalGroup{
			ID: string(ci.ID), Class: "category", Title: ci.Title,
			Props: []oscalProp{{Name: "security-rule-identifiers", Value: ci.Section}},
			Links: []oscalLink{{Href: "https://www.ecfr.gov/current/title-45/section-" + ci.Section, Rel: "reference", Text: "45 CFR " + ci.Section}},
			Parts: []oscalPart{{ID: string(ci.ID) + "_ovw", Name: "overview", Prose: ci.Description}},
		}
		for _, e := range p.entries {
			if e.Category != ci.ID || e.Kind != KindStandard {
				continue
			}
			ctl := oscalControlFor(e)
			for _, s := range p.entries {
				if s.Kind == KindSpecification && s.Standard == e.Citation {
					ctl.Controls = append(ctl.Controls, oscalControlFor(s))
				}
			}
			g.Controls = append(g.Controls, ctl)
		}
		if len(g.Controls) > 0 {
			doc.Catalog.Groups = append(doc.Catalog.Groups, g)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func oscalControlFor(e Entry) oscalControl {
	id := oscalID(e.Citation)
	ctl := oscalControl{ID: id, Class: string(e.Kind), Title: e.Title}
	label := e.Citation
	if e.ProposedCitation != "" && keyRE.MatchString(e.Citation) {
		label = e.ProposedCitation
	}
	ctl.Props = []oscalProp{
		{Name: "label", Value: label},
		{Name: "citation", NS: OSCALNamespace, Value: e.Citation},
		{Name: "kind", NS: OSCALNamespace, Value: string(e.Kind)},
	}
	if e.Requirement != "" {
		ctl.Props = append(ctl.Props, oscalProp{Name: "requirement", NS: OSCALNamespace, Value: string(e.Requirement)})
	}
	if e.ProposedCitation != "" {
		ctl.Props = append(ctl.Props, oscalProp{Name: "proposed-citation", NS: OSCALNamespace, Value: e.ProposedCitation})
		if e.CitationApproximate {
			ctl.Props = append(ctl.Props, oscalProp{Name: "citation-approximate", NS: OSCALNamespace, Value: "true"})
		}
	}
	// The class says whose pairing it is: NIST's mapping, or Safeguard's own
	// addition.
	for _, csf := range e.Crosswalk.NIST.CSF {
		ctl.Props = append(ctl.Props, oscalProp{Name: "csf-1.1", NS: OSCALNamespace, Class: "nist-olir", Value: csf})
	}
	for _, sc := range e.Crosswalk.NIST.SP80053 {
		ctl.Props = append(ctl.Props, oscalProp{Name: "sp800-53r5.1.1", NS: OSCALNamespace, Class: "nist-olir", Value: sc})
	}
	for _, csf := range e.Crosswalk.Safeguard.CSF {
		ctl.Props = append(ctl.Props, oscalProp{Name: "csf-2.0", NS: OSCALNamespace, Class: "safeguard", Value: csf})
	}
	for _, sc := range e.Crosswalk.Safeguard.SP80053 {
		ctl.Props = append(ctl.Props, oscalProp{Name: "sp800-53r5", NS: OSCALNamespace, Class: "safeguard", Value: sc})
	}
	for _, prm := range e.Parameters {
		usage := prm.Text
		if prm.Approximate {
			usage += " (Approximate: not checked against the proposal's regulatory text.)"
		}
		ctl.Params = append(ctl.Params, oscalParam{ID: id + "_prm_" + strings.ReplaceAll(prm.Name, "-", "_"), Label: prm.Name, Usage: usage, Values: []string{prm.String()}})
	}
	g := e.Guidance
	ctl.Parts = append(ctl.Parts,
		oscalPart{ID: OSCALStatementID(e.Citation), Name: "statement", Prose: g.Summary},
		oscalPart{ID: id + "_gdn", Name: "guidance", Parts: []oscalPart{
			{Name: "small-practice", NS: OSCALNamespace, Title: "A two-person practice", Prose: g.SmallPractice},
			{Name: "hospital", NS: OSCALNamespace, Title: "A hospital", Prose: g.Hospital},
			{Name: "evidence", NS: OSCALNamespace, Title: "Typical evidence", Prose: "- " + strings.Join(g.Evidence, "\n- ")},
		}},
	)
	if e.Note != "" {
		ctl.Parts = append(ctl.Parts, oscalPart{Name: "note", NS: OSCALNamespace, Prose: e.Note})
	}
	for _, q := range e.Questions {
		ctl.Parts = append(ctl.Parts, oscalPart{Name: "assessment-method", Title: "Question", Prose: q})
	}
	for _, ka := range e.KeyActivities {
		part := oscalPart{Name: "key-activity", NS: OSCALNamespace, Title: ka.Title}
		for _, q := range ka.Questions {
			part.Parts = append(part.Parts, oscalPart{Name: "assessment-method", Title: "Question", Prose: q})
		}
		ctl.Parts = append(ctl.Parts, part)
	}
	return ctl
}

var nonToken = regexp.MustCompile(`[^A-Za-z0-9.\-_]+`)

// OSCALControlID is the id ExportOSCAL gives the control of a citation, so
// that other OSCAL documents (assessment results, POA&M) can point at it.
func OSCALControlID(citation string) string { return oscalID(citation) }

// OSCALStatementID is the id of the statement part ExportOSCAL writes in
// the control of a citation.
func OSCALStatementID(citation string) string { return oscalID(citation) + "_smt" }

// OSCALUUID derives a stable version-5 UUID from name, the same way the
// catalogue's own UUIDs are derived; callers qualify name so that it cannot
// collide with the catalogue's ("catalog/...").
func OSCALUUID(name string) string { return uuid5(name) }

// oscalID turns a citation or key into an OSCAL token: 164.312(a)(2)(iv)
// becomes "hipaa-164.312-a-2-iv".
func oscalID(citation string) string {
	s := nonToken.ReplaceAllString(citation, "-")
	return "hipaa-" + strings.Trim(s, "-")
}

// uuid5 derives a stable version-5 UUID from name.
func uuid5(name string) string {
	h := sha1.Sum([]byte(OSCALNamespace + "/" + name))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// ImportReport says how the groups and controls of an OSCAL catalog map onto
// a profile's entries. Importing never changes the catalogue.
type ImportReport struct {
	Title        string `json:"title"`
	Version      string `json:"version"`
	OSCALVersion string `json:"oscal_version"`
	Profile      string `json:"profile"`
	// Groups and Controls list every group and control in document order.
	Groups   []Mapping `json:"groups"`
	Controls []Mapping `json:"controls"`
	// Standards are the citations of the distinct standards matched, in the
	// profile's order.
	Standards []string `json:"standards"`
	// Unmatched lists the groups and controls that map to nothing.
	Unmatched []Mapping `json:"unmatched"`
}

// Mapping is where one OSCAL group or control lands.
type Mapping struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Parent is the enclosing group or control.
	Parent string `json:"parent,omitempty"`
	// Identifier is the Security Rule reference the item carries, if any.
	Identifier string `json:"identifier,omitempty"`
	// Citation and EntryTitle name the entry matched; Category is set for a
	// group that stands for a whole safeguard category.
	Citation    string   `json:"citation,omitempty"`
	EntryTitle  string   `json:"entry_title,omitempty"`
	Category    Category `json:"category,omitempty"`
	KeyActivity string   `json:"key_activity,omitempty"`
	// Method says how the match was made: "key" (Safeguard's own citation
	// property), "identifier" (a Security Rule identifier property), "section",
	// "key-activity", "specification-title", "preceding-key-activity",
	// "parent" (only the enclosing standard is known) or "none".
	Method string `json:"method"`
}

// Matched reports whether the item maps onto the catalogue.
func (m Mapping) Matched() bool { return m.Citation != "" || m.Category != "" }

// Import match methods.
const (
	MatchKey                  = "key"
	MatchIdentifier           = "identifier"
	MatchSection              = "section"
	MatchKeyActivity          = "key-activity"
	MatchSpecificationTitle   = "specification-title"
	MatchPrecedingKeyActivity = "preceding-key-activity"
	MatchParent               = "parent"
	MatchNone                 = "none"
)

// identifierProps are property names OSCAL catalogs of the Security Rule use
// for the CFR reference: NIST's SP 800-66r2 catalog uses the first two.
var identifierProps = []string{"standards-identifiers", "security-rule-identifiers", "label", "citation"}

// maxImportSize bounds what ImportOSCAL reads.
const maxImportSize = 64 << 20

// ImportOSCAL reads an OSCAL catalog in JSON and reports how its groups and
// controls map onto the entries of the given profile. It understands
// Safeguard's own export and catalogs such as NIST's SP 800-66r2 that carry
// Security Rule identifiers on their groups, matching controls without
// identifiers to their enclosing standard and, by title, to its key
// activities and implementation specifications.
func (c *Catalog) ImportOSCAL(r io.Reader, profile string) (*ImportReport, error) {
	p, err := c.Profile(profile)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(r, maxImportSize+1))
	if err != nil {
		return nil, fmt.Errorf("import OSCAL: %w", err)
	}
	if len(b) > maxImportSize {
		return nil, fmt.Errorf("import OSCAL: document larger than %d bytes", maxImportSize)
	}
	var doc oscalDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("import OSCAL: %w", err)
	}
	if doc.Catalog == nil {
		return nil, errors.New("import OSCAL: not an OSCAL catalog (no \"catalog\" object)")
	}
	im := importer{p: p, rep: &ImportReport{
		Title: doc.Catalog.Metadata.Title, Version: doc.Catalog.Metadata.Version,
		OSCALVersion: doc.Catalog.Metadata.OSCALVersion, Profile: p.ID,
		Groups: []Mapping{}, Controls: []Mapping{}, Standards: []string{}, Unmatched: []Mapping{},
	}}
	for _, g := range doc.Catalog.Groups {
		im.group(g, "", nil, 0)
	}
	im.controls(doc.Catalog.Controls, "", nil, 0)
	seen := map[string]bool{}
	for _, m := range append(slices.Clone(im.rep.Groups), im.rep.Controls...) {
		if m.Citation == "" {
			continue
		}
		if e, err := p.Entry(m.Citation); err == nil {
			seen[e.Standard] = true
		}
	}
	for _, e := range p.entries {
		if e.Kind == KindStandard && seen[e.Citation] {
			im.rep.Standards = append(im.rep.Standards, e.Citation)
		}
	}
	return im.rep, nil
}

// importer walks an OSCAL document, remembering the standard in scope.
type importer struct {
	p   *Profile
	rep *ImportReport
}

// maxNesting bounds how deep the importer follows nested groups and controls.
const maxNesting = 32

func (im *importer) group(g oscalGroup, parent string, scope *Entry, depth int) {
	m := Mapping{ID: g.ID, Title: g.Title, Parent: parent, Method: MatchNone}
	if depth > maxNesting {
		im.record(&im.rep.Groups, m)
		return
	}
	inner := scope
	if e, ident, method, ok := im.byProps(g.Props); ok {
		m.Identifier, m.Method = ident, method
		m.Citation, m.EntryTitle = e.Citation, e.Title
		inner = e
	} else if cat, ident, ok := im.category(g); ok {
		m.Identifier, m.Method, m.Category = ident, MatchSection, cat
		inner = nil
	} else {
		m.Identifier = ident
	}
	im.record(&im.rep.Groups, m)
	for _, sub := range g.Groups {
		im.group(sub, g.ID, inner, depth+1)
	}
	im.controls(g.Controls, g.ID, inner, depth+1)
}

// controls maps a list of sibling controls. A control titled
// "Implementation Specification (Addressable)" in NIST's catalog restates the
// specification of the key activity before it, so the last key activity's
// specifications are carried along the list.
func (im *importer) controls(cs []oscalControl, parent string, scope *Entry, depth int) {
	var lastSpecs []string
	for _, ctl := range cs {
		m := Mapping{ID: ctl.ID, Title: ctl.Title, Parent: parent, Method: MatchNone}
		if depth > maxNesting {
			im.record(&im.rep.Controls, m)
			continue
		}
		inner := scope
		if e, ident, method, ok := im.byProps(ctl.Props); ok {
			m.Identifier, m.Method, m.Citation, m.EntryTitle = ident, method, e.Citation, e.Title
			inner = e
		} else if scope != nil {
			im.byTitle(&m, ctl.Title, scope, &lastSpecs)
		}
		im.record(&im.rep.Controls, m)
		im.controls(ctl.Controls, ctl.ID, inner, depth+1)
	}
}

// byProps resolves an item through Safeguard's citation property or a
// Security Rule identifier property.
func (im *importer) byProps(props []oscalProp) (*Entry, string, string, bool) {
	for _, pr := range props {
		if pr.NS == OSCALNamespace && pr.Name == "citation" {
			if i, ok := im.p.resolve(pr.Value); ok {
				return &im.p.entries[i], pr.Value, MatchKey, true
			}
		}
	}
	for _, name := range identifierProps {
		for _, pr := range props {
			if pr.Name != name || (pr.NS != "" && pr.NS != OSCALNamespace) {
				continue
			}
			if i, ok := im.p.resolve(pr.Value); ok {
				return &im.p.entries[i], pr.Value, MatchIdentifier, true
			}
		}
	}
	return nil, "", "", false
}

// category recognises a group that stands for a whole CFR section.
func (im *importer) category(g oscalGroup) (Category, string, bool) {
	for _, name := range identifierProps {
		for _, pr := range g.Props {
			if pr.Name != name {
				continue
			}
			ct, err := ParseCitation(pr.Value)
			if err != nil || len(ct.Paragraphs) > 0 {
				continue
			}
			if cat := im.p.cat.sectionCategory(ct.Section); cat != "" {
				return cat, pr.Value, true
			}
		}
	}
	for _, ci := range im.p.cat.categories {
		if normTitle(ci.Title) == normTitle(g.Title) {
			return ci.ID, "", true
		}
	}
	return "", "", false
}

var specTitleRE = regexp.MustCompile(`^Implementation Specification\s*\((.*)\)$`)

// byTitle maps a control without identifiers inside a known standard.
func (im *importer) byTitle(m *Mapping, title string, std *Entry, lastSpecs *[]string) {
	set := func(e *Entry, method string) {
		m.Citation, m.EntryTitle, m.Method = e.Citation, e.Title, method
	}
	if sm := specTitleRE.FindStringSubmatch(strings.TrimSpace(title)); sm != nil {
		inner := normTitle(sm[1])
		for i := range im.p.entries {
			e := &im.p.entries[i]
			if e.Kind == KindSpecification && e.Standard == std.Citation && normTitle(e.Title) == inner {
				set(e, MatchSpecificationTitle)
				return
			}
		}
		if len(*lastSpecs) == 1 {
			if i, ok := im.p.resolve((*lastSpecs)[0]); ok {
				set(&im.p.entries[i], MatchPrecedingKeyActivity)
				return
			}
		}
		set(std, MatchParent)
		return
	}
	for _, ka := range std.KeyActivities {
		if normTitle(ka.Title) == normTitle(title) {
			set(std, MatchKeyActivity)
			m.KeyActivity = ka.Title
			*lastSpecs = ka.Specs
			return
		}
	}
	*lastSpecs = nil
	set(std, MatchParent)
}

func (im *importer) record(list *[]Mapping, m Mapping) {
	*list = append(*list, m)
	if !m.Matched() {
		im.rep.Unmatched = append(im.rep.Unmatched, m)
	}
}

// normTitle folds case, spacing and typographic quotes so that titles match
// across sources.
func normTitle(s string) string {
	s = strings.NewReplacer("’", "'", "‘", "'", "“", `"`, "”", `"`).Replace(s)
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
