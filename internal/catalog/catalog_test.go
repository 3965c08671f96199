package catalog

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sharedData returns the path of a file in the shared data folder that CI
// checks out beside the repository. A missing file fails the test on CI and
// skips it elsewhere.
func sharedData(t testing.TB, name string) string {
	t.Helper()
	dir := cmp.Or(os.Getenv("SAFEGUARD_SHARED_DATA"), filepath.Join("..", "..", "..", "shared", "data"))
	path := filepath.Join(dir, filepath.FromSlash(name))
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data %s: %v", path, err)
		}
		t.Skipf("shared data %s not available: %v", path, err)
	}
	return path
}

func mustLoad(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	return c
}

func mustProfile(t testing.TB, c *Catalog, id string) *Profile {
	t.Helper()
	p, err := c.Profile(id)
	if err != nil {
		t.Fatalf("Profile(%q) error: %v", id, err)
	}
	return p
}

// regulation is 45 CFR 164.308-164.316 as amended in 2013, written out
// independently of the data files: every standard and implementation
// specification, its title, and whether it is required (R) or addressable
// (A). A standard with specifications has no requirement of its own ("").
var regulation = []struct {
	citation, title string
	kind            Kind
	req             string
	standard        string
}{
	{"164.308(a)(1)", "Security management process", KindStandard, "", ""},
	{"164.308(a)(1)(ii)(A)", "Risk analysis", KindSpecification, "R", "164.308(a)(1)"},
	{"164.308(a)(1)(ii)(B)", "Risk management", KindSpecification, "R", "164.308(a)(1)"},
	{"164.308(a)(1)(ii)(C)", "Sanction policy", KindSpecification, "R", "164.308(a)(1)"},
	{"164.308(a)(1)(ii)(D)", "Information system activity review", KindSpecification, "R", "164.308(a)(1)"},
	{"164.308(a)(2)", "Assigned security responsibility", KindStandard, "R", ""},
	{"164.308(a)(3)", "Workforce security", KindStandard, "", ""},
	{"164.308(a)(3)(ii)(A)", "Authorization and/or supervision", KindSpecification, "A", "164.308(a)(3)"},
	{"164.308(a)(3)(ii)(B)", "Workforce clearance procedure", KindSpecification, "A", "164.308(a)(3)"},
	{"164.308(a)(3)(ii)(C)", "Termination procedures", KindSpecification, "A", "164.308(a)(3)"},
	{"164.308(a)(4)", "Information access management", KindStandard, "", ""},
	{"164.308(a)(4)(ii)(A)", "Isolating health care clearinghouse functions", KindSpecification, "R", "164.308(a)(4)"},
	{"164.308(a)(4)(ii)(B)", "Access authorization", KindSpecification, "A", "164.308(a)(4)"},
	{"164.308(a)(4)(ii)(C)", "Access establishment and modification", KindSpecification, "A", "164.308(a)(4)"},
	{"164.308(a)(5)", "Security awareness and training", KindStandard, "", ""},
	{"164.308(a)(5)(ii)(A)", "Security reminders", KindSpecification, "A", "164.308(a)(5)"},
	{"164.308(a)(5)(ii)(B)", "Protection from malicious software", KindSpecification, "A", "164.308(a)(5)"},
	{"164.308(a)(5)(ii)(C)", "Log-in monitoring", KindSpecification, "A", "164.308(a)(5)"},
	{"164.308(a)(5)(ii)(D)", "Password management", KindSpecification, "A", "164.308(a)(5)"},
	{"164.308(a)(6)", "Security incident procedures", KindStandard, "", ""},
	{"164.308(a)(6)(ii)", "Response and reporting", KindSpecification, "R", "164.308(a)(6)"},
	{"164.308(a)(7)", "Contingency plan", KindStandard, "", ""},
	{"164.308(a)(7)(ii)(A)", "Data backup plan", KindSpecification, "R", "164.308(a)(7)"},
	{"164.308(a)(7)(ii)(B)", "Disaster recovery plan", KindSpecification, "R", "164.308(a)(7)"},
	{"164.308(a)(7)(ii)(C)", "Emergency mode operation plan", KindSpecification, "R", "164.308(a)(7)"},
	{"164.308(a)(7)(ii)(D)", "Testing and revision procedures", KindSpecification, "A", "164.308(a)(7)"},
	{"164.308(a)(7)(ii)(E)", "Applications and data criticality analysis", KindSpecification, "A", "164.308(a)(7)"},
	{"164.308(a)(8)", "Evaluation", KindStandard, "R", ""},
	{"164.308(b)(1)", "Business associate contracts and other arrangements", KindStandard, "", ""},
	{"164.308(b)(3)", "Written contract or other arrangement", KindSpecification, "R", "164.308(b)(1)"},

	{"164.310(a)(1)", "Facility access controls", KindStandard, "", ""},
	{"164.310(a)(2)(i)", "Contingency operations", KindSpecification, "A", "164.310(a)(1)"},
	{"164.310(a)(2)(ii)", "Facility security plan", KindSpecification, "A", "164.310(a)(1)"},
	{"164.310(a)(2)(iii)", "Access control and validation procedures", KindSpecification, "A", "164.310(a)(1)"},
	{"164.310(a)(2)(iv)", "Maintenance records", KindSpecification, "A", "164.310(a)(1)"},
	{"164.310(b)", "Workstation use", KindStandard, "R", ""},
	{"164.310(c)", "Workstation security", KindStandard, "R", ""},
	{"164.310(d)(1)", "Device and media controls", KindStandard, "", ""},
	{"164.310(d)(2)(i)", "Disposal", KindSpecification, "R", "164.310(d)(1)"},
	{"164.310(d)(2)(ii)", "Media re-use", KindSpecification, "R", "164.310(d)(1)"},
	{"164.310(d)(2)(iii)", "Accountability", KindSpecification, "A", "164.310(d)(1)"},
	{"164.310(d)(2)(iv)", "Data backup and storage", KindSpecification, "A", "164.310(d)(1)"},

	{"164.312(a)(1)", "Access control", KindStandard, "", ""},
	{"164.312(a)(2)(i)", "Unique user identification", KindSpecification, "R", "164.312(a)(1)"},
	{"164.312(a)(2)(ii)", "Emergency access procedure", KindSpecification, "R", "164.312(a)(1)"},
	{"164.312(a)(2)(iii)", "Automatic logoff", KindSpecification, "A", "164.312(a)(1)"},
	{"164.312(a)(2)(iv)", "Encryption and decryption", KindSpecification, "A", "164.312(a)(1)"},
	{"164.312(b)", "Audit controls", KindStandard, "R", ""},
	{"164.312(c)(1)", "Integrity", KindStandard, "", ""},
	{"164.312(c)(2)", "Mechanism to authenticate electronic protected health information", KindSpecification, "A", "164.312(c)(1)"},
	{"164.312(d)", "Person or entity authentication", KindStandard, "R", ""},
	{"164.312(e)(1)", "Transmission security", KindStandard, "", ""},
	{"164.312(e)(2)(i)", "Integrity controls", KindSpecification, "A", "164.312(e)(1)"},
	{"164.312(e)(2)(ii)", "Encryption", KindSpecification, "A", "164.312(e)(1)"},

	{"164.314(a)(1)", "Business associate contracts or other arrangements", KindStandard, "", ""},
	{"164.314(a)(2)(i)", "Business associate contracts", KindSpecification, "R", "164.314(a)(1)"},
	{"164.314(a)(2)(ii)", "Other arrangements", KindSpecification, "R", "164.314(a)(1)"},
	{"164.314(a)(2)(iii)", "Business associate contracts with subcontractors", KindSpecification, "R", "164.314(a)(1)"},
	{"164.314(b)(1)", "Requirements for group health plans", KindStandard, "", ""},
	{"164.314(b)(2)", "", KindSpecification, "R", "164.314(b)(1)"}, // the CFR gives (b)(2) no title

	{"164.316(a)", "Policies and procedures", KindStandard, "R", ""},
	{"164.316(b)(1)", "Documentation", KindStandard, "", ""},
	{"164.316(b)(2)(i)", "Time limit", KindSpecification, "R", "164.316(b)(1)"},
	{"164.316(b)(2)(ii)", "Availability", KindSpecification, "R", "164.316(b)(1)"},
	{"164.316(b)(2)(iii)", "Updates", KindSpecification, "R", "164.316(b)(1)"},
}

func TestCurrentMatchesRegulation(t *testing.T) {
	p := mustProfile(t, mustLoad(t), ProfileCurrent)
	entries := p.Entries()
	if len(entries) != len(regulation) {
		t.Errorf("current profile has %d entries, want %d", len(entries), len(regulation))
	}
	for i, want := range regulation {
		e, err := p.Entry(want.citation)
		if err != nil {
			t.Errorf("Entry(%q) error: %v", want.citation, err)
			continue
		}
		if e.Citation != want.citation {
			t.Errorf("Entry(%q).Citation = %q", want.citation, e.Citation)
		}
		if i < len(entries) && entries[i].Citation != want.citation {
			t.Errorf("entry %d is %q, want %q (order of the rule)", i, entries[i].Citation, want.citation)
		}
		if want.title != "" && e.Title != want.title {
			t.Errorf("Entry(%q).Title = %q, want %q", want.citation, e.Title, want.title)
		}
		if e.Kind != want.kind {
			t.Errorf("Entry(%q).Kind = %q, want %q", want.citation, e.Kind, want.kind)
		}
		wantReq := map[string]Requirement{"R": Required, "A": Addressable, "": ""}[want.req]
		if e.Requirement != wantReq {
			t.Errorf("Entry(%q).Requirement = %q, want %q", want.citation, e.Requirement, wantReq)
		}
		wantStd := want.standard
		if wantStd == "" {
			wantStd = want.citation
		}
		if e.Standard != wantStd {
			t.Errorf("Entry(%q).Standard = %q, want %q", want.citation, e.Standard, wantStd)
		}
	}
}

func TestCounts(t *testing.T) {
	p := mustProfile(t, mustLoad(t), ProfileCurrent)
	type count struct{ standards, specs, required, addressable int }
	want := map[string]count{
		"164.308": {9, 21, 10, 11},
		"164.310": {4, 8, 2, 6},
		"164.312": {5, 7, 2, 5},
		"164.314": {2, 4, 4, 0},
		"164.316": {2, 3, 3, 0},
	}
	got := map[string]count{}
	for _, e := range p.Entries() {
		c := got[e.Section]
		if e.Kind == KindStandard {
			c.standards++
		} else {
			c.specs++
			switch e.Requirement {
			case Required:
				c.required++
			case Addressable:
				c.addressable++
			}
		}
		got[e.Section] = c
	}
	for sec, w := range want {
		if got[sec] != w {
			t.Errorf("section %s: got %+v (standards, specifications, required, addressable), want %+v", sec, got[sec], w)
		}
	}
	safeguards := got["164.308"].standards + got["164.310"].standards + got["164.312"].standards
	if safeguards != 18 {
		t.Errorf("safeguard standards in 164.308-164.312 = %d, want 18", safeguards)
	}
	// Standards with no separate specifications are themselves required.
	for _, c := range []string{"164.308(a)(2)", "164.308(a)(8)", "164.310(b)", "164.310(c)", "164.312(b)", "164.312(d)", "164.316(a)"} {
		e, err := p.Entry(c)
		if err != nil {
			t.Fatalf("Entry(%q) error: %v", c, err)
		}
		if kids, _ := p.Children(c); len(kids) != 0 || e.Requirement != Required {
			t.Errorf("Entry(%q): %d children, requirement %q; want none and required", c, len(kids), e.Requirement)
		}
	}
}

func TestEveryEntryHasGuidanceAndQuestions(t *testing.T) {
	c := mustLoad(t)
	for _, p := range c.Profiles() {
		for _, e := range p.Entries() {
			g := e.Guidance
			if g.Summary == "" || g.SmallPractice == "" || g.Hospital == "" || len(g.Evidence) == 0 {
				t.Errorf("%s: Entry(%q).Guidance incomplete: %+v", p.ID, e.Citation, g)
			}
			if len(e.AllQuestions()) == 0 {
				t.Errorf("%s: Entry(%q) has no assessment question", p.ID, e.Citation)
			}
			m := e.Crosswalk.NIST
			if m.IsZero() {
				m = e.Crosswalk.Safeguard
			}
			if e.Kind == KindStandard && (len(m.CSF) == 0 || len(m.SP80053) == 0) {
				t.Errorf("%s: Entry(%q).Crosswalk = %+v, want CSF and SP 800-53 references", p.ID, e.Citation, e.Crosswalk)
			}
		}
	}
}

func TestCitationsUniqueAndWellFormed(t *testing.T) {
	c := mustLoad(t)
	for _, p := range c.Profiles() {
		seen := map[string]bool{}
		for _, e := range p.Entries() {
			if seen[e.Citation] {
				t.Errorf("%s: citation %q appears twice", p.ID, e.Citation)
			}
			seen[e.Citation] = true
			if strings.HasPrefix(e.Citation, "nprm:") {
				if CanonicalCitation(e.ProposedCitation) != e.ProposedCitation {
					t.Errorf("%s: Entry(%q).ProposedCitation = %q, not canonical", p.ID, e.Citation, e.ProposedCitation)
				}
				continue
			}
			if got := CanonicalCitation(e.Citation); got != e.Citation {
				t.Errorf("%s: CanonicalCitation(%q) = %q", p.ID, e.Citation, got)
			}
			if !strings.HasPrefix(e.Citation, e.Section+"(") {
				t.Errorf("%s: Entry(%q).Section = %q", p.ID, e.Citation, e.Section)
			}
		}
	}
}

func TestLookupForms(t *testing.T) {
	p := mustProfile(t, mustLoad(t), ProfileCurrent)
	tests := []struct{ ref, want string }{
		{"164.312(a)(2)(iv)", "164.312(a)(2)(iv)"},
		{"§164.312(a)(2)(iv)", "164.312(a)(2)(iv)"},
		{"§ 164.312(a)(2)(iv)", "164.312(a)(2)(iv)"},
		{"45 CFR 164.312(a)(2)(iv)", "164.312(a)(2)(iv)"},
		{"45 C.F.R. § 164.312 (a)(2)(IV)", "164.312(a)(2)(iv)"},
		{"  164.308(a)(1)(ii)(a) ", "164.308(a)(1)(ii)(A)"},
		// NIST's identifiers and the paragraph that states a standard.
		{"164.310(a)", "164.310(a)(1)"},
		{"164.312(e)", "164.312(e)(1)"},
		{"164.316(b)", "164.316(b)(1)"},
		{"164.308(a)(1)(i)", "164.308(a)(1)"},
		// Renumbered or removed by the 2013 Omnibus Rule.
		{"164.308(b)(4)", "164.308(b)(3)"},
		{"45 CFR 164.308(b)(4)", "164.308(b)(3)"},
		{"164.314(a)(1)(i)", "164.314(a)(1)"},
		{"164.314(a)(1)(ii)", "164.314(a)(1)"},
	}
	for _, tt := range tests {
		e, err := p.Entry(tt.ref)
		if err != nil {
			t.Errorf("Entry(%q) error: %v", tt.ref, err)
			continue
		}
		if e.Citation != tt.want {
			t.Errorf("Entry(%q).Citation = %q, want %q", tt.ref, e.Citation, tt.want)
		}
	}
}

func TestHistory(t *testing.T) {
	p := mustProfile(t, mustLoad(t), ProfileCurrent)
	e, err := p.Entry("164.308(b)(3)")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(e.History, func(a Amendment) bool { return a.From == "164.308(b)(4)" })
	if i < 0 {
		t.Fatalf("Entry(164.308(b)(3)).History = %+v, want the renumbering from (b)(4)", e.History)
	}
	if h := e.History[i]; h.Action != "renumbered" || h.Source != "78 FR 5566" || h.Date != "2013-01-25" {
		t.Errorf("renumbering record = %+v", h)
	}
	// Every former citation in any history resolves to the entry that holds it.
	for _, e := range p.Entries() {
		for _, h := range e.History {
			if h.From == "" {
				continue
			}
			got, err := p.Entry(h.From)
			if err != nil || got.Citation != e.Citation {
				t.Errorf("Entry(%q) = %q, %v; want %q", h.From, got.Citation, err, e.Citation)
			}
		}
	}
}

func TestUnknownCitationSuggestsNearest(t *testing.T) {
	p := mustProfile(t, mustLoad(t), ProfileCurrent)
	_, err := p.Entry("164.312(a)(2)(v)")
	var nf *NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("Entry(164.312(a)(2)(v)) error = %v, want a *NotFoundError", err)
	}
	if len(nf.Suggestions) == 0 {
		t.Fatal("no suggestions")
	}
	for _, s := range nf.Suggestions {
		if !strings.HasPrefix(s.Citation, "164.312(a)(2)") {
			t.Errorf("suggestion %q is not near 164.312(a)(2)(v)", s.Citation)
		}
	}
	if got := p.Suggest("automatc logof", 1); len(got) != 1 || got[0].Citation != "164.312(a)(2)(iii)" {
		t.Errorf("Suggest(misspelt automatic logoff) = %v", got)
	}
}

func TestChildrenAndCategories(t *testing.T) {
	c := mustLoad(t)
	p := mustProfile(t, c, ProfileCurrent)
	kids, err := p.Children("164.312(a)")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range kids {
		got = append(got, k.Citation)
	}
	want := []string{"164.312(a)(2)(i)", "164.312(a)(2)(ii)", "164.312(a)(2)(iii)", "164.312(a)(2)(iv)"}
	if !slices.Equal(got, want) {
		t.Errorf("Children(164.312(a)) = %v, want %v", got, want)
	}
	var cats []Category
	for _, ci := range c.Categories() {
		cats = append(cats, ci.ID)
		for _, e := range p.ByCategory(ci.ID) {
			if e.Section != ci.Section {
				t.Errorf("Entry(%q) in category %q has section %q, want %q", e.Citation, ci.ID, e.Section, ci.Section)
			}
		}
	}
	if want := []Category{Administrative, Physical, Technical, Organizational, Documentation}; !slices.Equal(cats, want) {
		t.Errorf("Categories() = %v, want %v", cats, want)
	}
	if n := len(p.Standards()); n != 22 {
		t.Errorf("len(Standards()) = %d, want 22", n)
	}
}

func TestFAQLinksToExistingEntries(t *testing.T) {
	c := mustLoad(t)
	p := mustProfile(t, c, ProfileCurrent)
	faqs := c.FAQs()
	if len(faqs) < 24 {
		t.Errorf("len(FAQs()) = %d, want at least 24", len(faqs))
	}
	for _, f := range faqs {
		if len(f.Entries) == 0 {
			t.Errorf("FAQ(%q) links to no entry", f.ID)
		}
		for _, ref := range f.Entries {
			e, err := p.Entry(ref)
			if err != nil {
				t.Errorf("FAQ(%q) links to %q: %v", f.ID, ref, err)
				continue
			}
			if !slices.Contains(e.FAQ, f.ID) {
				t.Errorf("Entry(%q).FAQ = %v, want it to list %q", ref, e.FAQ, f.ID)
			}
		}
	}
	// The topics issue 3 lists, each answered.
	topics := []string{
		"needed", "encryption mandatory", "incident", "certification", "telecommuting", "emergencies",
		"e-mail", "small providers", "comply", "electronic signatures", "specific technologies",
		"physical safeguards", "risk analysis and risk management", "operating system", "nist",
		"plan sponsors", "networking", "shared log-on", "enforces", "addressable", "what encryption is",
		"threats", "cyber threat indicators", "business associates",
		// Issue 12: the HHS topics that were still missing.
		"cloud service providers", "ransomware",
	}
	for _, topic := range topics {
		if !slices.ContainsFunc(faqs, func(f FAQ) bool { return strings.Contains(strings.ToLower(f.Topic), topic) }) {
			t.Errorf("no FAQ on %q", topic)
		}
	}
}

// TestFAQCloudAndRansomware checks the two HHS topics issue 12 adds carry
// the facts of HHS's guidance and link the entries they concern.
func TestFAQCloudAndRansomware(t *testing.T) {
	c := mustLoad(t)
	for _, tt := range []struct {
		id      string
		entries []string
		facts   []string
	}{
		{"cloud-service-providers", []string{"164.308(b)(1)", "164.314(a)(1)", "164.308(a)(1)(ii)(A)"},
			[]string{"is a business associate", "encrypted", "business associate agreement", "risk analysis", "conduit"}},
		{"ransomware", []string{"164.308(a)(6)", "164.308(a)(7)(ii)(A)", "164.308(a)(5)(ii)(B)", "164.308(a)(1)(ii)(A)"},
			[]string{"security incident", "presumes a breach", "low probability", "Backups"}},
	} {
		f, ok := c.FAQ(tt.id)
		if !ok {
			t.Errorf("FAQ(%q) missing", tt.id)
			continue
		}
		for _, ref := range tt.entries {
			if !slices.Contains(f.Entries, ref) {
				t.Errorf("FAQ(%q).Entries = %v, want %s", tt.id, f.Entries, ref)
			}
		}
		for _, fact := range tt.facts {
			if !strings.Contains(f.Answer, fact) {
				t.Errorf("FAQ(%q).Answer lacks %q", tt.id, fact)
			}
		}
	}
	if hits := c.SearchFAQ("ransomware"); len(hits) == 0 || hits[0].ID != "ransomware" {
		t.Errorf("SearchFAQ(ransomware) = %v, want the ransomware answer first", hits)
	}
}

func TestEntriesAreCopies(t *testing.T) {
	c := mustLoad(t)
	p := mustProfile(t, c, ProfileCurrent)
	e, _ := p.Entry("164.312(a)(1)")
	e.Title = "changed"
	e.KeyActivities[0].Questions[0] = "changed"
	e.Guidance.Evidence[0] = "changed"
	again, _ := p.Entry("164.312(a)(1)")
	if again.Title == "changed" || again.KeyActivities[0].Questions[0] == "changed" || again.Guidance.Evidence[0] == "changed" {
		t.Error("changing a returned entry changed the catalogue")
	}
}

func TestDefaultIsShared(t *testing.T) {
	a, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Default()
	if a != b {
		t.Error("Default() returned different catalogues")
	}
	if _, err := a.Profile("final-2026"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("Profile(final-2026) error = %v, want ErrUnknownProfile", err)
	}
}

func TestGeneralRules(t *testing.T) {
	g := mustLoad(t).General()
	for _, f := range Factors() {
		fi, ok := g.Factor(f)
		if !ok || !strings.HasPrefix(fi.Citation, "164.306(b)(2)(") {
			t.Errorf("Factor(%q) = %+v, %v", f, fi, ok)
		}
	}
	wantCite := map[Factor]string{FactorSize: "164.306(b)(2)(i)", FactorInfrastructure: "164.306(b)(2)(ii)", FactorCost: "164.306(b)(2)(iii)", FactorRisk: "164.306(b)(2)(iv)"}
	for f, cite := range wantCite {
		if fi, _ := g.Factor(f); fi.Citation != cite {
			t.Errorf("Factor(%q).Citation = %q, want %q", f, fi.Citation, cite)
		}
	}
	for _, o := range Outcomes() {
		oi, ok := g.Outcome(o)
		if !ok || !strings.HasPrefix(oi.Citation, "164.306(d)(3)") {
			t.Errorf("Outcome(%q) = %+v, %v", o, oi, ok)
		}
	}
	if OutcomeImplemented.RequiresReason() || !OutcomeAlternative.RequiresReason() || !OutcomeNotImplemented.RequiresReason() {
		t.Error("RequiresReason: only implemented outcomes may go without a documented reason")
	}
	if got := len(g.Objectives); got != 3 || !Confidentiality.Valid() || Objective("secrecy").Valid() {
		t.Errorf("objectives: %d, Valid mismatch", got)
	}
}

// csf20 lists every subcategory of NIST CSF 2.0, so that a crosswalk cannot
// cite one that does not exist.
var csf20 = strings.Fields(`
GV.OC-01 GV.OC-02 GV.OC-03 GV.OC-04 GV.OC-05 GV.RM-01 GV.RM-02 GV.RM-03 GV.RM-04 GV.RM-05 GV.RM-06 GV.RM-07
GV.RR-01 GV.RR-02 GV.RR-03 GV.RR-04 GV.PO-01 GV.PO-02 GV.OV-01 GV.OV-02 GV.OV-03
GV.SC-01 GV.SC-02 GV.SC-03 GV.SC-04 GV.SC-05 GV.SC-06 GV.SC-07 GV.SC-08 GV.SC-09 GV.SC-10
ID.AM-01 ID.AM-02 ID.AM-03 ID.AM-04 ID.AM-05 ID.AM-07 ID.AM-08
ID.RA-01 ID.RA-02 ID.RA-03 ID.RA-04 ID.RA-05 ID.RA-06 ID.RA-07 ID.RA-08 ID.RA-09 ID.RA-10
ID.IM-01 ID.IM-02 ID.IM-03 ID.IM-04
PR.AA-01 PR.AA-02 PR.AA-03 PR.AA-04 PR.AA-05 PR.AA-06 PR.AT-01 PR.AT-02
PR.DS-01 PR.DS-02 PR.DS-10 PR.DS-11 PR.PS-01 PR.PS-02 PR.PS-03 PR.PS-04 PR.PS-05 PR.PS-06
PR.IR-01 PR.IR-02 PR.IR-03 PR.IR-04
DE.CM-01 DE.CM-02 DE.CM-03 DE.CM-06 DE.CM-09 DE.AE-02 DE.AE-03 DE.AE-04 DE.AE-06 DE.AE-07 DE.AE-08
RS.MA-01 RS.MA-02 RS.MA-03 RS.MA-04 RS.MA-05 RS.AN-03 RS.AN-06 RS.AN-07 RS.AN-08
RS.CO-02 RS.CO-03 RS.MI-01 RS.MI-02 RC.RP-01 RC.RP-02 RC.RP-03 RC.RP-04 RC.RP-05 RC.RP-06 RC.CO-03 RC.CO-04`)

func TestCrosswalkIDsExist(t *testing.T) {
	c := mustLoad(t)
	if src := c.CrosswalkSources(); !strings.Contains(src.Safeguard.CSFVersion, "2.0") {
		t.Errorf("CrosswalkSources().Safeguard.CSFVersion = %q, want CSF 2.0", src.Safeguard.CSFVersion)
	}
	for _, p := range c.Profiles() {
		for _, e := range p.Entries() {
			for _, id := range e.Crosswalk.Safeguard.CSF {
				if !slices.Contains(csf20, id) {
					t.Errorf("Entry(%q).Crosswalk.Safeguard.CSF has %q, not a CSF 2.0 subcategory", e.Citation, id)
				}
			}
		}
	}
}
