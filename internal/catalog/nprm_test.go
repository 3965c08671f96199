package catalog

import (
	"slices"
	"strings"
	"testing"
)

func TestNPRMProfile(t *testing.T) {
	c := mustLoad(t)
	p := mustProfile(t, c, ProfileNPRM2025)
	if !p.Proposed() || p.Status != "proposed" {
		t.Errorf("nprm-2025 Status = %q, want proposed", p.Status)
	}
	if !strings.Contains(p.Source, "90 FR 898") || !strings.Contains(p.Summary, "PROPOSED") || !strings.Contains(strings.ToLower(p.Title), "not final") {
		t.Errorf("nprm-2025 is not clearly labelled: title %q, source %q", p.Title, p.Source)
	}
	if cur := mustProfile(t, c, ProfileCurrent); cur.Proposed() {
		t.Error("current profile is labelled proposed")
	}
	for _, e := range p.Entries() {
		if e.Requirement == Addressable {
			t.Errorf("nprm-2025: Entry(%q).Requirement = addressable; the proposal removes addressability", e.Citation)
		}
		if e.Kind == KindSpecification && e.Requirement != Required {
			t.Errorf("nprm-2025: Entry(%q).Requirement = %q, want required", e.Citation, e.Requirement)
		}
	}
}

func TestNPRMParameters(t *testing.T) {
	p := mustProfile(t, mustLoad(t), ProfileNPRM2025)
	tests := []struct {
		ref   string
		value int
		unit  string
	}{
		{"nprm:technology-asset-inventory", 12, "months"},
		{"164.308(a)(1)(ii)(A)", 12, "months"}, // written risk analysis
		{"164.308(a)(3)(ii)(C)", 1, "hours"},   // access ended within an hour of separation
		{"nprm:access-change-notice", 24, "hours"},
		{"nprm:data-backup-and-recovery", 48, "hours"},
		{"164.308(a)(7)(ii)(B)", 72, "hours"},
		{"nprm:vulnerability-scanning", 6, "months"},
		{"nprm:penetration-testing", 12, "months"},
		{"nprm:compliance-audit", 12, "months"},
		{"nprm:business-associate-verification", 12, "months"},
		{"nprm:patch-management", 15, "days"},
		{"nprm:patch-management", 30, "days"},
		{"nprm:business-associate-contingency-notice", 24, "hours"},
	}
	for _, tt := range tests {
		e, err := p.Entry(tt.ref)
		if err != nil {
			t.Errorf("Entry(%q) error: %v", tt.ref, err)
			continue
		}
		if !slices.ContainsFunc(e.Parameters, func(prm Parameter) bool { return prm.Value == tt.value && prm.Unit == tt.unit }) {
			t.Errorf("Entry(%q).Parameters = %v, want %d %s", tt.ref, e.Parameters, tt.value, tt.unit)
		}
	}
	for _, ref := range []string{
		"nprm:multi-factor-authentication", "nprm:network-segmentation", "nprm:anti-malware",
		"nprm:extraneous-software", "nprm:unused-ports", "nprm:configuration-management", "nprm:vulnerability-management",
	} {
		e, err := p.Entry(ref)
		if err != nil {
			t.Errorf("Entry(%q) error: %v", ref, err)
			continue
		}
		if e.ProposedCitation == "" || e.Requirement != Required && e.Requirement != "" {
			t.Errorf("Entry(%q) = proposed %q, requirement %q", ref, e.ProposedCitation, e.Requirement)
		}
	}
	// Proposed paragraphs not checked against the NPRM's regulatory text are
	// marked, not presented as exact.
	for _, ref := range []string{"nprm:compliance-audit", "nprm:vulnerability-management", "164.312(a)(2)(iv)"} {
		if e, _ := p.Entry(ref); !e.CitationApproximate {
			t.Errorf("Entry(%q).CitationApproximate = false", ref)
		}
	}
	if e, _ := p.Entry("nprm:technology-asset-inventory"); e.ProposedCitation != "164.308(a)(1)" || e.CitationApproximate {
		t.Errorf("asset inventory proposed at %q (approximate %v), want 164.308(a)(1)", e.ProposedCitation, e.CitationApproximate)
	}
	// Encryption is required in the proposal.
	if e, _ := p.Entry("164.312(a)(2)(iv)"); e.Requirement != Required {
		t.Errorf("nprm-2025: Entry(164.312(a)(2)(iv)).Requirement = %q, want required", e.Requirement)
	}
}

func TestDiffCurrentNPRM(t *testing.T) {
	c := mustLoad(t)
	diff, err := c.Diff(ProfileCurrent, ProfileNPRM2025)
	if err != nil {
		t.Fatal(err)
	}
	if len(diff) == 0 {
		t.Fatal("Diff(current, nprm-2025) is empty")
	}
	by := map[string]Difference{}
	for _, d := range diff {
		by[d.Citation] = d
	}
	enc, ok := by["164.312(a)(2)(iv)"]
	if !ok || enc.Change != ChangeChanged {
		t.Fatalf("Diff has %+v for 164.312(a)(2)(iv), want a change", enc)
	}
	if !slices.Contains(enc.Fields, FieldChange{Field: "requirement", From: "addressable", To: "required"}) {
		t.Errorf("Diff(164.312(a)(2)(iv)).Fields = %v, want addressable → required", enc.Fields)
	}
	if enc.ProposedCitation == "" || enc.Note == "" {
		t.Errorf("Diff(164.312(a)(2)(iv)) = %+v, want the proposed paragraph and a note", enc)
	}
	if d := by["164.308(a)(1)"]; d.Change != ChangeRemoved {
		t.Errorf("Diff(164.308(a)(1)).Change = %q, want removed", d.Change)
	}
	if d := by["nprm:patch-management"]; d.Change != ChangeAdded || len(d.Parameters) != 2 {
		t.Errorf("Diff(nprm:patch-management) = %+v, want added with two deadlines", d)
	}
	if d := by["164.312(b)"]; !slices.Contains(d.Fields, FieldChange{Field: "title", From: "Audit controls", To: "Audit trail and system log controls"}) {
		t.Errorf("Diff(164.312(b)).Fields = %v, want the title change", d.Fields)
	}
	if d := by["164.308(a)(3)(ii)(C)"]; len(d.Parameters) != 1 || d.Parameters[0].Value != 1 {
		t.Errorf("Diff(164.308(a)(3)(ii)(C)).Parameters = %v, want the one-hour deadline", d.Parameters)
	}
	// Every addressable specification of today becomes required.
	cur := mustProfile(t, c, ProfileCurrent)
	for _, e := range cur.Entries() {
		if e.Requirement != Addressable {
			continue
		}
		if !slices.Contains(by[e.Citation].Fields, FieldChange{Field: "requirement", From: "addressable", To: "required"}) {
			t.Errorf("Diff(%q) does not show addressable → required", e.Citation)
		}
	}
	// The reverse diff mirrors additions and removals.
	back, _ := c.Diff(ProfileNPRM2025, ProfileCurrent)
	for _, d := range back {
		if d.Citation == "nprm:patch-management" && d.Change != ChangeRemoved {
			t.Errorf("Diff(nprm-2025, current) has %q for patch management, want removed", d.Change)
		}
	}
	if same, _ := c.Diff(ProfileCurrent, ProfileCurrent); len(same) != 0 {
		t.Errorf("Diff(current, current) = %d differences, want none", len(same))
	}
	if _, err := c.Diff(ProfileCurrent, "nprm-2030"); err == nil {
		t.Error("Diff with an unknown profile succeeded")
	}
}

func TestNPRMLookup(t *testing.T) {
	p := mustProfile(t, mustLoad(t), ProfileNPRM2025)
	// Today's numbering wins; a proposed paragraph resolves when one entry
	// alone claims it.
	for ref, want := range map[string]string{
		"164.312(a)(2)(iv)":                    "164.312(a)(2)(iv)",
		"NPRM:Patch-Management":                "nprm:patch-management",
		"164.308(a)(1)":                        "nprm:technology-asset-inventory",
		"164.308(a)(14)":                       "nprm:compliance-audit",
		"164.308(b)(4)":                        "164.308(b)(3)",
		"nprm:business-associate-verification": "nprm:business-associate-verification",
	} {
		e, err := p.Entry(ref)
		if err != nil || e.Citation != want {
			t.Errorf("nprm-2025 Entry(%q) = %q, %v; want %q", ref, e.Citation, err, want)
		}
	}
}

// TestNPRMCheckedCitations pins the proposed paragraphs that have been
// checked (issue 12) and keeps the flag on those that have not.
func TestNPRMCheckedCitations(t *testing.T) {
	p := mustProfile(t, mustLoad(t), ProfileNPRM2025)
	for ref, want := range map[string]string{
		"nprm:multi-factor-authentication":           "164.312(f)(2)(ii)",
		"nprm:vulnerability-scanning":                "164.312(h)(2)(i)",
		"nprm:penetration-testing":                   "164.312(h)(2)(iii)",
		"nprm:access-change-notice":                  "164.308(a)(9)(ii)(D)(2)",
		"nprm:business-associate-contingency-notice": "164.314(a)(2)(i)(D)",
		"nprm:network-segmentation":                  "164.312(a)(2)(vi)",
		"nprm:log-in-attempts":                       "164.312(a)(2)(v)",
		"nprm:data-controls":                         "164.312(a)(2)(vii)",
	} {
		e, err := p.Entry(ref)
		if err != nil {
			t.Errorf("Entry(%q) error: %v", ref, err)
			continue
		}
		if e.ProposedCitation != want || e.CitationApproximate {
			t.Errorf("Entry(%q) proposed at %q (approximate %v), want %s, checked", ref, e.ProposedCitation, e.CitationApproximate, want)
		}
		// The checked paragraph leads to the entry.
		if got, err := p.Entry(want); err != nil || got.Citation != e.Citation {
			t.Errorf("nprm-2025 Entry(%q) = %q, %v; want %q", want, got.Citation, err, e.Citation)
		}
	}
	if e, _ := p.Entry("nprm:multi-factor-authentication"); !strings.Contains(e.Note, "164.312(f)(2)(iii)") {
		t.Errorf("multi-factor authentication note = %q, want it to place the exceptions at 164.312(f)(2)(iii)", e.Note)
	}
	// The access control specifications the proposal adds follow its order:
	// (v) log-in attempts, (vi) network segmentation, (vii) data controls.
	kids, _ := p.Children("164.312(a)(1)")
	var order []string
	for _, k := range kids {
		order = append(order, k.Citation)
	}
	li, ns, dc := slices.Index(order, "nprm:log-in-attempts"), slices.Index(order, "nprm:network-segmentation"), slices.Index(order, "nprm:data-controls")
	if li < 0 || !(li < ns && ns < dc) {
		t.Errorf("nprm-2025 Children(164.312(a)(1)) = %v, want log-in attempts, network segmentation, data controls in that order", order)
	}
	// Nothing confirms these; they stay marked.
	for _, ref := range []string{"164.312(a)(2)(iii)", "nprm:vulnerability-management", "164.312(d)", "164.308(a)(3)(ii)(C)", "nprm:compliance-audit"} {
		if e, _ := p.Entry(ref); !e.CitationApproximate {
			t.Errorf("Entry(%q).CitationApproximate = false, want the unchecked paragraph %q marked", ref, e.ProposedCitation)
		}
	}
}
