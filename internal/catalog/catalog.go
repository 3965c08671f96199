package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Kind says whether an entry is a standard or an implementation specification.
type Kind string

// Kinds of entry.
const (
	KindStandard      Kind = "standard"
	KindSpecification Kind = "specification"
)

// Requirement is the label §164.306(d) attaches to an implementation
// specification. A standard that has specifications has no requirement of its
// own (the empty Requirement); a standard without them is required.
type Requirement string

// Requirements.
const (
	Required    Requirement = "required"
	Addressable Requirement = "addressable"
)

// Requirements lists the non-empty requirements in a stable order.
func Requirements() []Requirement { return []Requirement{Required, Addressable} }

// Category is a safeguard family; each corresponds to one CFR section.
type Category string

// Categories, in the order of the rule.
const (
	Administrative Category = "administrative" // §164.308
	Physical       Category = "physical"       // §164.310
	Technical      Category = "technical"      // §164.312
	Organizational Category = "organizational" // §164.314
	Documentation  Category = "documentation"  // §164.316
)

// Profile identifiers.
const (
	ProfileCurrent  = "current"
	ProfileNPRM2025 = "nprm-2025"
)

// Entry is one standard or implementation specification.
type Entry struct {
	// Citation is the entry's stable identifier. For anything in the rule in
	// force it is the CFR paragraph in canonical form, e.g. "164.312(a)(2)(iv)".
	// Entries that exist only in a proposed profile have a key such as
	// "nprm:patch-management" here and their paragraph in ProposedCitation.
	Citation string `json:"citation"`
	Title    string `json:"title"`
	Kind     Kind   `json:"kind"`
	// Requirement is empty for a standard that has specifications.
	Requirement Requirement `json:"requirement"`
	Category    Category    `json:"category"`
	// Section is the CFR section, e.g. "164.312".
	Section string `json:"section"`
	// Standard is the citation of the parent standard; a standard's own.
	Standard string `json:"standard"`
	// ProposedCitation is where a proposed profile would put the entry;
	// CitationApproximate marks a paragraph that has not been confirmed
	// against the proposal's regulatory text.
	ProposedCitation    string `json:"proposed_citation,omitempty"`
	CitationApproximate bool   `json:"citation_approximate,omitempty"`
	// Aliases are other references that resolve to this entry, such as the
	// "(i)" paragraph that states a standard.
	Aliases       []string      `json:"aliases,omitempty"`
	Note          string        `json:"note,omitempty"`
	Guidance      Guidance      `json:"guidance"`
	KeyActivities []KeyActivity `json:"key_activities,omitempty"`
	// Questions are assessment questions about the entry as a whole.
	Questions  []string    `json:"questions,omitempty"`
	Crosswalk  Crosswalk   `json:"crosswalk"`
	FAQ        []string    `json:"faq,omitempty"`
	History    []Amendment `json:"history,omitempty"`
	Parameters []Parameter `json:"parameters,omitempty"`
}

// Guidance explains an entry in plain words.
type Guidance struct {
	Summary       string   `json:"summary"`
	SmallPractice string   `json:"small_practice"`
	Hospital      string   `json:"hospital"`
	Evidence      []string `json:"evidence"`
}

// KeyActivity is one of the key activities NIST SP 800-66r2 lists for a
// standard (the title is NIST's), with Safeguard's own assessment questions.
type KeyActivity struct {
	Title string `json:"title"`
	// Specs are the implementation specifications the activity serves.
	Specs     []string `json:"specs,omitempty"`
	Questions []string `json:"questions"`
}

// Crosswalk relates an entry to NIST's frameworks. NIST is NIST's own
// mapping, copied from the informative references published with
// SP 800-66 Rev. 2; Safeguard holds the pairings Safeguard adds for entries
// NIST's mapping does not cover. [Catalog.CrosswalkSources] says where each
// comes from and which framework versions it names.
type Crosswalk struct {
	NIST      Pairings `json:"nist,omitzero"`
	Safeguard Pairings `json:"safeguard,omitzero"`
}

// IsZero reports whether the entry has no pairing at all.
func (x Crosswalk) IsZero() bool { return x.NIST.IsZero() && x.Safeguard.IsZero() }

func (x Crosswalk) clone() Crosswalk {
	return Crosswalk{NIST: x.NIST.clone(), Safeguard: x.Safeguard.clone()}
}

// Pairings are one author's pairings of an entry with NIST Cybersecurity
// Framework subcategories and NIST SP 800-53 controls.
type Pairings struct {
	CSF     []string `json:"csf,omitempty"`
	SP80053 []string `json:"sp800_53,omitempty"`
}

// IsZero reports whether there is no pairing.
func (m Pairings) IsZero() bool { return len(m.CSF)+len(m.SP80053) == 0 }

func (m Pairings) clone() Pairings {
	return Pairings{CSF: slices.Clone(m.CSF), SP80053: slices.Clone(m.SP80053)}
}

// CrosswalkSource says who made a mapping, from what, and which versions of
// the frameworks its identifiers belong to.
type CrosswalkSource struct {
	Author         string `json:"author"`
	Source         string `json:"source"`
	CSFVersion     string `json:"csf_version"`
	SP80053Version string `json:"sp800_53_version"`
}

// CrosswalkSources describes the two mappings of a [Crosswalk].
type CrosswalkSources struct {
	NIST      CrosswalkSource `json:"nist"`
	Safeguard CrosswalkSource `json:"safeguard"`
}

// Amendment records a change to an entry's paragraph by a final rule.
type Amendment struct {
	// Action is "renumbered", "amended", "added" or "removed".
	Action string `json:"action"`
	// From is a former citation that now resolves to this entry.
	From   string `json:"from,omitempty"`
	Date   string `json:"date"`
	Source string `json:"source"`
	Note   string `json:"note"`
}

// Parameter is a number a proposed requirement sets, such as a deadline.
type Parameter struct {
	Name  string `json:"name"`
	Value int    `json:"value"`
	// Unit is "hours", "days" or "months".
	Unit string `json:"unit"`
	Text string `json:"text"`
	// Approximate marks a number recalled from the proposal's summary but not
	// checked against its regulatory text.
	Approximate bool `json:"approximate,omitempty"`
}

// String returns the value with its unit, e.g. "12 months" or "1 hour".
func (p Parameter) String() string {
	unit := p.Unit
	if p.Value == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%d %s", p.Value, unit)
}

// AllQuestions returns the entry's questions followed by those of its key
// activities.
func (e Entry) AllQuestions() []string {
	qs := slices.Clone(e.Questions)
	for _, ka := range e.KeyActivities {
		qs = append(qs, ka.Questions...)
	}
	return qs
}

func (e Entry) clone() Entry {
	c := e
	c.Aliases = slices.Clone(e.Aliases)
	c.Guidance.Evidence = slices.Clone(e.Guidance.Evidence)
	c.KeyActivities = make([]KeyActivity, len(e.KeyActivities))
	for i, ka := range e.KeyActivities {
		c.KeyActivities[i] = KeyActivity{Title: ka.Title, Specs: slices.Clone(ka.Specs), Questions: slices.Clone(ka.Questions)}
	}
	if e.KeyActivities == nil {
		c.KeyActivities = nil
	}
	c.Questions = slices.Clone(e.Questions)
	c.Crosswalk = e.Crosswalk.clone()
	c.FAQ = slices.Clone(e.FAQ)
	c.History = slices.Clone(e.History)
	c.Parameters = slices.Clone(e.Parameters)
	return c
}

// CategoryInfo describes a safeguard family.
type CategoryInfo struct {
	ID          Category `json:"id"`
	Title       string   `json:"title"`
	Section     string   `json:"section"`
	Description string   `json:"description"`
}

// FAQ is one question of the Security Rule FAQ with Safeguard's answer.
type FAQ struct {
	ID       string `json:"id"`
	Topic    string `json:"topic"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
	// Entries are the citations of the entries the answer concerns.
	Entries []string `json:"entries"`
}

func (f FAQ) clone() FAQ {
	f.Entries = slices.Clone(f.Entries)
	return f
}

// Profile is one version of the rule. Its exported fields describe it; its
// entries are reached through methods that return copies. A *Profile is
// shared and must not be modified.
type Profile struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"` // "final" or "proposed"
	Source string `json:"source"`
	// Published is the Federal Register publication date (YYYY-MM-DD).
	Published string `json:"published"`
	Summary   string `json:"summary"`

	entries []Entry
	byRef   map[string]int // citation, alias and former citation → index
	cat     *Catalog
}

// Proposed reports whether the profile is a proposed rule, not in force.
func (p *Profile) Proposed() bool { return p.Status == "proposed" }

// Len returns the number of entries.
func (p *Profile) Len() int { return len(p.entries) }

// Entries returns all entries in the order of the rule.
func (p *Profile) Entries() []Entry {
	out := make([]Entry, len(p.entries))
	for i, e := range p.entries {
		out[i] = e.clone()
	}
	return out
}

// Standards returns the standards in order.
func (p *Profile) Standards() []Entry {
	return p.filter(func(e *Entry) bool { return e.Kind == KindStandard })
}

// ByCategory returns the entries of one category in order.
func (p *Profile) ByCategory(c Category) []Entry {
	return p.filter(func(e *Entry) bool { return e.Category == c })
}

// Children returns the implementation specifications of the standard that
// ref resolves to, in order.
func (p *Profile) Children(ref string) ([]Entry, error) {
	e, err := p.Entry(ref)
	if err != nil {
		return nil, err
	}
	if e.Kind != KindStandard {
		return nil, nil
	}
	return p.filter(func(x *Entry) bool { return x.Kind == KindSpecification && x.Standard == e.Citation }), nil
}

func (p *Profile) filter(keep func(*Entry) bool) []Entry {
	var out []Entry
	for i := range p.entries {
		if keep(&p.entries[i]) {
			out = append(out, p.entries[i].clone())
		}
	}
	return out
}

// Catalog is the loaded, validated rule content. It is safe for concurrent use.
type Catalog struct {
	Title    string `json:"title"`
	Version  string `json:"version"`
	Released string `json:"released"`

	categories []CategoryInfo
	profiles   []*Profile
	faqs       []FAQ
	general    GeneralRules
	crosswalk  CrosswalkSources
}

// ErrNotFound is wrapped by errors for a citation or FAQ that does not exist.
var ErrNotFound = errors.New("not found")

// ErrUnknownProfile is wrapped by errors for a profile that does not exist.
var ErrUnknownProfile = errors.New("unknown profile")

// defaultCatalog parses the embedded content on first use; the result never
// changes afterwards.
var defaultCatalog = sync.OnceValues(Load)

// Default returns the catalogue built from the embedded data, loading it on
// the first call and sharing it afterwards.
func Default() (*Catalog, error) { return defaultCatalog() }

// Profiles returns the profiles, the rule in force first.
func (c *Catalog) Profiles() []*Profile { return slices.Clone(c.profiles) }

// ProfileIDs returns the identifiers of the profiles.
func (c *Catalog) ProfileIDs() []string {
	ids := make([]string, len(c.profiles))
	for i, p := range c.profiles {
		ids[i] = p.ID
	}
	return ids
}

// Profile returns the profile with the given identifier.
func (c *Catalog) Profile(id string) (*Profile, error) {
	for _, p := range c.profiles {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%w %q (want one of %s)", ErrUnknownProfile, id, strings.Join(c.ProfileIDs(), ", "))
}

// Categories returns the safeguard categories in the order of the rule.
func (c *Catalog) Categories() []CategoryInfo { return slices.Clone(c.categories) }

// Category returns the description of one category.
func (c *Catalog) Category(id Category) (CategoryInfo, bool) {
	for _, ci := range c.categories {
		if ci.ID == id {
			return ci, true
		}
	}
	return CategoryInfo{}, false
}

// FAQs returns every FAQ in order.
func (c *Catalog) FAQs() []FAQ {
	out := make([]FAQ, len(c.faqs))
	for i, f := range c.faqs {
		out[i] = f.clone()
	}
	return out
}

// FAQ returns the FAQ with the given identifier.
func (c *Catalog) FAQ(id string) (FAQ, bool) {
	for _, f := range c.faqs {
		if f.ID == id {
			return f.clone(), true
		}
	}
	return FAQ{}, false
}

// CrosswalkSources says where NIST's mapping and Safeguard's additions come
// from.
func (c *Catalog) CrosswalkSources() CrosswalkSources { return c.crosswalk }

// General returns the general rules of §164.306.
func (c *Catalog) General() GeneralRules { return c.general.clone() }

// Summary is an entry as lists show it: the fields of
// "safeguard catalog list --format json" and of GET /api/v1/catalog.
type Summary struct {
	Citation            string      `json:"citation"`
	Title               string      `json:"title"`
	Kind                Kind        `json:"kind"`
	Requirement         Requirement `json:"requirement"`
	Category            Category    `json:"category"`
	Standard            string      `json:"standard"`
	Section             string      `json:"section"`
	Profile             string      `json:"profile"`
	Status              string      `json:"status"`
	ProposedCitation    string      `json:"proposed_citation,omitempty"`
	CitationApproximate bool        `json:"citation_approximate,omitempty"`
}

// Summarize returns e, an entry of p, as lists show it.
func (p *Profile) Summarize(e Entry) Summary {
	return Summary{
		Citation: e.Citation, Title: e.Title, Kind: e.Kind, Requirement: e.Requirement, Category: e.Category,
		Standard: e.Standard, Section: e.Section, Profile: p.ID, Status: p.Status,
		ProposedCitation: e.ProposedCitation, CitationApproximate: e.CitationApproximate,
	}
}
