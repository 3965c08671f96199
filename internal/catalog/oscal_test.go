package catalog

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

func exportOSCAL(t testing.TB, c *Catalog, profile string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := c.ExportOSCAL(&buf, profile); err != nil {
		t.Fatalf("ExportOSCAL(%q) error: %v", profile, err)
	}
	return buf.Bytes()
}

func TestExportOSCALValidatesAgainstSchema(t *testing.T) {
	s := loadSchema(t, sharedData(t, "oscal/oscal_complete_schema-1.1.3.json"))
	c := mustLoad(t)
	for _, id := range c.ProfileIDs() {
		out := exportOSCAL(t, c, id)
		var doc any
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("%s: export is not JSON: %v", id, err)
		}
		if errs := s.validate(doc); len(errs) != 0 {
			t.Errorf("%s: export does not validate against OSCAL 1.1.3 (%d problems), first: %v", id, len(errs), errs[:min(5, len(errs))])
		}
		// The validator does reject broken documents, deep ones included.
		for name, edit := range map[string]string{
			"no uuid":         `"uuid": "` + uuid5("catalog/"+c.Version+"/"+id) + `",`,
			"bad control id":  `"id": "hipaa-164.312-a-2-iv",`,
			"untrimmed value": `"value": "164.312(a)(2)(iv)"`,
		} {
			repl := map[string]string{"no uuid": "", "bad control id": `"id": "1 bad",`, "untrimmed value": `"value": " 164.312(a)(2)(iv)"`}[name]
			mutated := strings.Replace(string(out), edit, repl, 1)
			if mutated == string(out) {
				t.Fatalf("%s: %s: nothing to change", id, name)
			}
			var bad any
			if err := json.Unmarshal([]byte(mutated), &bad); err != nil {
				t.Fatalf("%s: %s: %v", id, name, err)
			}
			if errs := s.validate(bad); len(errs) == 0 {
				t.Errorf("%s: export with %s validated", id, name)
			}
		}
	}
}

func TestExportOSCALIsStable(t *testing.T) {
	c := mustLoad(t)
	a := exportOSCAL(t, c, ProfileCurrent)
	b := exportOSCAL(t, mustLoad(t), ProfileCurrent)
	if !bytes.Equal(a, b) {
		t.Error("two exports of the same content differ")
	}
	if err := c.ExportOSCAL(&bytes.Buffer{}, "nprm-1999"); err == nil {
		t.Error("ExportOSCAL(unknown profile) succeeded")
	}
	var doc oscalDocument
	if err := json.Unmarshal(a, &doc); err != nil {
		t.Fatal(err)
	}
	if got := len(doc.Catalog.Groups); got != 5 {
		t.Errorf("export has %d groups, want one per category", got)
	}
	var standards, specs int
	for _, g := range doc.Catalog.Groups {
		for _, ctl := range g.Controls {
			standards++
			specs += len(ctl.Controls)
		}
	}
	if standards != 22 || specs != 43 {
		t.Errorf("export has %d standard controls and %d specification sub-controls, want 22 and 43", standards, specs)
	}
}

func TestOSCALRoundTrip(t *testing.T) {
	c := mustLoad(t)
	for _, id := range c.ProfileIDs() {
		p := mustProfile(t, c, id)
		rep, err := c.ImportOSCAL(bytes.NewReader(exportOSCAL(t, c, id)), id)
		if err != nil {
			t.Fatalf("%s: ImportOSCAL(export) error: %v", id, err)
		}
		if len(rep.Unmatched) != 0 {
			t.Errorf("%s: round trip left %d unmatched: %+v", id, len(rep.Unmatched), rep.Unmatched[0])
		}
		var mapped []string
		for _, m := range rep.Controls {
			if m.Method != MatchKey || m.ID != oscalID(m.Citation) {
				t.Errorf("%s: control %s mapped to %q by %s, want its own entry by key", id, m.ID, m.Citation, m.Method)
			}
			mapped = append(mapped, m.Citation)
		}
		var want []string
		for _, std := range p.Standards() {
			want = append(want, std.Citation)
			kids, _ := p.Children(std.Citation)
			for _, k := range kids {
				want = append(want, k.Citation)
			}
		}
		slices.Sort(mapped)
		slices.Sort(want)
		if !slices.Equal(mapped, want) {
			t.Errorf("%s: round trip mapped %d controls, want every one of %d entries", id, len(mapped), len(want))
		}
		if len(rep.Standards) != len(p.Standards()) {
			t.Errorf("%s: %d standards matched, want %d", id, len(rep.Standards), len(p.Standards()))
		}
		for _, g := range rep.Groups {
			if g.Category == "" || g.Method != MatchSection {
				t.Errorf("%s: group %s mapped to %+v, want its category", id, g.ID, g)
			}
		}
	}
}

func TestImportNIST(t *testing.T) {
	path := sharedData(t, "nist-sp800-66r2-oscal-catalog.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := mustLoad(t)
	before := exportOSCAL(t, c, ProfileCurrent)
	rep, err := c.ImportOSCAL(f, ProfileCurrent)
	if err != nil {
		t.Fatalf("ImportOSCAL(NIST SP 800-66r2) error: %v", err)
	}
	if len(rep.Standards) != 22 {
		t.Errorf("NIST import matched %d standards, want all 22: %v", len(rep.Standards), rep.Standards)
	}
	if len(rep.Unmatched) != 0 {
		t.Errorf("NIST import left %d unmatched, first %+v", len(rep.Unmatched), rep.Unmatched[0])
	}
	var standardGroups, sections int
	for _, g := range rep.Groups {
		switch g.Method {
		case MatchIdentifier:
			standardGroups++
		case MatchSection:
			sections++
		}
	}
	if standardGroups != 22 || sections != 5 {
		t.Errorf("NIST groups: %d standards and %d sections matched, want 22 and 5", standardGroups, sections)
	}
	if len(rep.Controls) != 126 {
		t.Errorf("NIST import saw %d controls, want 126 key activities", len(rep.Controls))
	}
	methods := map[string]int{}
	for _, m := range rep.Controls {
		methods[m.Method]++
		if strings.HasPrefix(m.Title, "Implementation Specification") {
			if e, _ := mustProfile(t, c, ProfileCurrent).Entry(m.Citation); e.Kind != KindSpecification {
				t.Errorf("NIST control %s %q mapped to %q, want an implementation specification", m.ID, m.Title, m.Citation)
			}
		}
	}
	if methods[MatchKeyActivity] != 104 || methods[MatchParent] != 0 {
		t.Errorf("NIST controls by method = %v, want all 104 key activities matched by title", methods)
	}
	byID := map[string]Mapping{}
	for _, m := range rep.Controls {
		byID[m.ID] = m
	}
	for id, want := range map[string]string{
		"hipaa-088": "164.312(a)(2)(iii)", // Implementation Specification (Automatic Logoff)
		"hipaa-089": "164.312(a)(2)(iv)",  // (Encryption and Decryption)
		"hipaa-013": "164.308(a)(3)(ii)(A)",
		"hipaa-111": "164.312(e)(2)(ii)",
		"hipaa-124": "164.316(b)(1)",
	} {
		if got := byID[id].Citation; got != want {
			t.Errorf("NIST control %s mapped to %q, want %q", id, got, want)
		}
	}
	// Importing does not change the catalogue.
	if after := exportOSCAL(t, c, ProfileCurrent); !bytes.Equal(before, after) {
		t.Error("ImportOSCAL changed the catalogue")
	}
}

// TestKeyActivitiesAreNISTs checks that each standard's key activities are
// the titles NIST SP 800-66r2 gives, in NIST's order.
func TestKeyActivitiesAreNISTs(t *testing.T) {
	b, err := os.ReadFile(sharedData(t, "nist-sp800-66r2-oscal-catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc oscalDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	p := mustProfile(t, mustLoad(t), ProfileCurrent)
	n := 0
	for _, sec := range doc.Catalog.Groups {
		for _, g := range sec.Groups {
			var ident string
			for _, pr := range g.Props {
				if pr.Name == "standards-identifiers" {
					ident = pr.Value
				}
			}
			e, err := p.Entry(ident)
			if err != nil {
				t.Errorf("NIST standard %q: %v", ident, err)
				continue
			}
			if normTitle(e.Title) != normTitle(g.Title) {
				t.Errorf("Entry(%q).Title = %q, NIST calls it %q", e.Citation, e.Title, g.Title)
			}
			var want, got []string
			for _, ctl := range g.Controls {
				if !strings.HasPrefix(ctl.Title, "Implementation Specification") {
					want = append(want, normTitle(ctl.Title))
				}
			}
			for _, ka := range e.KeyActivities {
				got = append(got, normTitle(ka.Title))
			}
			if !slices.Equal(got, want) {
				t.Errorf("Entry(%q).KeyActivities = %q, want NIST's %q", e.Citation, got, want)
			}
			n++
		}
	}
	if n != 22 {
		t.Errorf("NIST file has %d standards, want 22", n)
	}
}

func TestImportOSCALErrors(t *testing.T) {
	c := mustLoad(t)
	for _, in := range []string{"", "{", `{"profile": {}}`, `[]`} {
		if _, err := c.ImportOSCAL(strings.NewReader(in), ProfileCurrent); err == nil {
			t.Errorf("ImportOSCAL(%q) succeeded", in)
		}
	}
	if _, err := c.ImportOSCAL(strings.NewReader(`{"catalog":{}}`), "nope"); err == nil {
		t.Error("ImportOSCAL with an unknown profile succeeded")
	}
	rep, err := c.ImportOSCAL(strings.NewReader(`{"catalog":{"uuid":"x","metadata":{"title":"t"},
		"groups":[{"id":"g","title":"Stuff","controls":[{"id":"c1","title":"Something"},
		{"id":"c2","title":"Encryption","props":[{"name":"label","value":"45 CFR 164.312(e)(2)(ii)"}]}]}]}}`), ProfileCurrent)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Unmatched) != 2 || rep.Controls[1].Citation != "164.312(e)(2)(ii)" {
		t.Errorf("ImportOSCAL(foreign catalog) = %+v", rep)
	}
}

// FuzzImportOSCAL checks that no input makes the importer panic, and that
// whatever it reports is consistent.
func FuzzImportOSCAL(f *testing.F) {
	c, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.ExportOSCAL(&buf, ProfileNPRM2025); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"catalog":{"groups":[{"title":"Administrative Safeguards","props":[{"name":"security-rule-identifiers","value":"164.308"}],"groups":[{"props":[{"name":"standards-identifiers","value":"164.308(a)(1)"}],"controls":[{"id":"x","title":"Implementation Specification (Addressable)"}]}]}]}}`))
	f.Add([]byte(`{"catalog":{"controls":[{"id":"a","title":"b","controls":[{"id":"c","props":[{"name":"label","value":"§ 164.312(a)"}]}]}]}}`))
	f.Add([]byte(`{"catalog":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := c.ImportOSCAL(bytes.NewReader(b), ProfileCurrent)
		if err != nil {
			return
		}
		unmatched := 0
		for _, m := range append(slices.Clone(rep.Groups), rep.Controls...) {
			if !m.Matched() {
				unmatched++
			}
		}
		if unmatched != len(rep.Unmatched) {
			t.Fatalf("%d unmatched mappings, Unmatched lists %d", unmatched, len(rep.Unmatched))
		}
		for _, u := range rep.Unmatched {
			if u.Matched() {
				t.Fatalf("Unmatched lists a matched mapping %+v", u)
			}
		}
	})
}
