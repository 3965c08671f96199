package catalog

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The NIST half of data/crosswalk.json is generated, not written by hand:
//
//	go test ./internal/catalog -run TestCrosswalkIsNISTs -update
//
// rewrites it from NIST's CPRT export of SP 800-66r2 in the shared data
// folder, and without -update the test fails when the shipped mapping and
// NIST's differ.
var update = flag.Bool("update", false, "rewrite NIST's mapping in data/crosswalk.json from NIST's CPRT export")

// cprtSections are the files of NIST's CPRT export, one per CFR section.
var cprtSections = []string{"164.308", "164.310", "164.312", "164.314", "164.316"}

// The OLIR mappings NIST publishes with SP 800-66r2.
const (
	olirCSF     = "SP-800-66-Rev-2-to-Cybersecurity-Framework-v1.1"
	olirSP80053 = "SP-800-66-Rev-2-to-SP-800-53-Rev-5.1.1"
)

type cprtElement struct {
	ID       string        `json:"elementIdentifier"`
	Type     string        `json:"elementTypeIdentifier"`
	Elements []cprtElement `json:"elements"`
	Links    []cprtLink    `json:"externalRelationships"`
}

type cprtLink struct {
	ID   string `json:"elementIdentifier"`
	OLIR string `json:"olirName"`
}

// cprtControlRE matches NIST's spelling of an SP 800-53 control in CPRT,
// with leading zeros ("CP-02(08)").
var cprtControlRE = regexp.MustCompile(`^([A-Z]{2})-0*([0-9]+)(?:\(0*([0-9]+)\))?$`)

// sp80053ID writes a CPRT control identifier as SP 800-53 itself does:
// "RA-02" as "RA-2", "CP-02(08)" as "CP-2(8)".
func sp80053ID(cprt string) (string, error) {
	m := cprtControlRE.FindStringSubmatch(cprt)
	if m == nil {
		return "", fmt.Errorf("malformed SP 800-53 control %q", cprt)
	}
	id := m[1] + "-" + m[2]
	if m[3] != "" {
		id += "(" + m[3] + ")"
	}
	return id, nil
}

// cprtCitation resolves a CPRT element identifier to the citation of the
// catalogue entry it describes. NIST names standards by their paragraph
// ("164.312(a)", an alias here) and keeps one pre-2013 number
// ("164.308(b)(4)", a former citation here); both resolve as any reference
// does. NIST also lists the four provisions of 164.314(b)(2)(i)-(iv) on their
// own, where the rule has one implementation specification: a paragraph
// inside a specification belongs to that specification.
func cprtCitation(p *Profile, id string) (string, error) {
	if e, err := p.Entry(id); err == nil {
		return e.Citation, nil
	}
	if i := strings.LastIndex(id, "("); i > 0 {
		if e, err := p.Entry(id[:i]); err == nil && e.Kind == KindSpecification {
			return e.Citation, nil
		}
	}
	return "", fmt.Errorf("CPRT element %q matches no entry of the rule in force", id)
}

// nistMapping derives NIST's mapping from NIST's CPRT export, keyed by the
// catalogue's citations, each list in NIST's order without repeats, and
// returns how many links of each OLIR mapping it read.
func nistMapping(t *testing.T, p *Profile) (map[string]Pairings, map[string]int) {
	t.Helper()
	out := map[string]Pairings{}
	links := map[string]int{}
	var walk func(e cprtElement) error
	walk = func(e cprtElement) error {
		if len(e.Links) > 0 {
			cite, err := cprtCitation(p, e.ID)
			if err != nil {
				return err
			}
			m := out[cite]
			for _, l := range e.Links {
				links[l.OLIR]++
				switch l.OLIR {
				case olirCSF:
					if !slices.Contains(m.CSF, l.ID) {
						m.CSF = append(m.CSF, l.ID)
					}
				case olirSP80053:
					id, err := sp80053ID(l.ID)
					if err != nil {
						return fmt.Errorf("%s: %w", e.ID, err)
					}
					if !slices.Contains(m.SP80053, id) {
						m.SP80053 = append(m.SP80053, id)
					}
				default:
					return fmt.Errorf("%s: link %q of unknown mapping %q", e.ID, l.ID, l.OLIR)
				}
			}
			out[cite] = m
		}
		for _, k := range e.Elements {
			if err := walk(k); err != nil {
				return err
			}
		}
		return nil
	}
	for _, sec := range cprtSections {
		b, err := os.ReadFile(sharedData(t, "nist-cprt-sp800-66r2/"+sec+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Response struct {
				Elements []cprtElement `json:"elements"`
			} `json:"response"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s.json: %v", sec, err)
		}
		for _, e := range doc.Response.Elements {
			if err := walk(e); err != nil {
				t.Fatalf("%s.json: %v", sec, err)
			}
		}
	}
	return out, links
}

func TestCrosswalkIsNISTs(t *testing.T) {
	c := mustLoad(t)
	p := mustProfile(t, c, ProfileCurrent)
	nist, links := nistMapping(t, p)
	// The counts NIST's export states (README of the shared data): nothing
	// is left out.
	if links[olirCSF] != 764 || links[olirSP80053] != 279 {
		t.Errorf("links read = %v, want 764 to CSF 1.1 and 279 to SP 800-53", links)
	}

	path := filepath.Join("data", "crosswalk.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var shipped crosswalkFile
	if err := json.Unmarshal(raw, &shipped); err != nil {
		t.Fatal(err)
	}
	if *update {
		shipped.NIST.Entries = nist
		for key := range shipped.Safeguard.Entries {
			if _, ok := nist[key]; ok {
				t.Errorf("Safeguard's mapping pairs %q, which NIST's now covers: remove it by hand", key)
			}
		}
		if err := os.WriteFile(path, formatCrosswalk(shipped), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote NIST's mapping of %d entries to %s", len(nist), path)
		return
	}

	for _, key := range sortedKeys(nist, shipped.NIST.Entries) {
		want, got := nist[key], shipped.NIST.Entries[key]
		if !slices.Equal(got.CSF, want.CSF) || !slices.Equal(got.SP80053, want.SP80053) {
			t.Errorf("crosswalk.json NIST[%q] = %+v, want NIST's %+v (run with -update)", key, got, want)
		}
	}
	if !bytes.Equal(raw, formatCrosswalk(shipped)) {
		t.Errorf("%s is not in the generator's layout; run go test -run TestCrosswalkIsNISTs -update", path)
	}

	// The loaded entries carry NIST's mapping as NIST's, and the pairings
	// the issue found wrong are gone.
	for _, tc := range []struct {
		cite   string
		has    []string
		hasNot []string
	}{
		{"164.312(a)(2)(iv)", []string{"SC-13"}, []string{"SC-8", "SC-28"}},
		{"164.312(a)(1)", []string{"AC-3", "AC-6"}, []string{"AC-11"}},
		{"164.312(a)(2)(iii)", []string{"AC-12"}, nil},
		{"164.314(b)(2)", []string{"PL-2"}, nil},
		{"164.308(b)(3)", nil, nil},
	} {
		e, err := p.Entry(tc.cite)
		if err != nil {
			t.Fatal(err)
		}
		if e.Crosswalk.NIST.IsZero() || !e.Crosswalk.Safeguard.IsZero() {
			t.Errorf("Entry(%q).Crosswalk = %+v, want NIST's mapping only", tc.cite, e.Crosswalk)
		}
		for _, id := range tc.has {
			if !slices.Contains(e.Crosswalk.NIST.SP80053, id) {
				t.Errorf("Entry(%q).Crosswalk.NIST.SP80053 = %v, want %s", tc.cite, e.Crosswalk.NIST.SP80053, id)
			}
		}
		for _, id := range tc.hasNot {
			if slices.Contains(e.Crosswalk.NIST.SP80053, id) {
				t.Errorf("Entry(%q).Crosswalk.NIST.SP80053 = %v, want no %s", tc.cite, e.Crosswalk.NIST.SP80053, id)
			}
		}
	}
	src := c.CrosswalkSources()
	if src.NIST.Author != "NIST" || !strings.Contains(src.NIST.Source, "800-66") || !strings.Contains(src.NIST.CSFVersion, "1.1") {
		t.Errorf("CrosswalkSources().NIST = %+v, want NIST's SP 800-66r2 mapping to CSF 1.1", src.NIST)
	}
	if src.Safeguard.Author != "Safeguard" || !strings.Contains(src.Safeguard.Source, "not NIST's") {
		t.Errorf("CrosswalkSources().Safeguard = %+v, want it labelled as Safeguard's own", src.Safeguard)
	}
}

func sortedKeys(ms ...map[string]Pairings) []string {
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// formatCrosswalk lays crosswalk.json out as it is shipped: one line per
// entry, entries in citation order.
func formatCrosswalk(f crosswalkFile) []byte {
	var b bytes.Buffer
	str := func(s string) string {
		out, _ := json.Marshal(s)
		return string(out)
	}
	mapping := func(name string, m mappingFile, last bool) {
		fmt.Fprintf(&b, "  %s: {\n", str(name))
		fmt.Fprintf(&b, "    \"author\": %s,\n", str(m.Author))
		fmt.Fprintf(&b, "    \"source\": %s,\n", str(m.Source))
		fmt.Fprintf(&b, "    \"csf_version\": %s,\n", str(m.CSFVersion))
		fmt.Fprintf(&b, "    \"sp800_53_version\": %s,\n", str(m.SP80053Version))
		b.WriteString("    \"entries\": {\n")
		keys := sortedKeys(m.Entries)
		for i, k := range keys {
			line, _ := json.Marshal(m.Entries[k])
			line = bytes.ReplaceAll(line, []byte(`,"`), []byte(`, "`))
			line = bytes.ReplaceAll(line, []byte(`":`), []byte(`": `))
			fmt.Fprintf(&b, "      %s: %s", str(k), line)
			if i < len(keys)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString("    }\n  }")
		if !last {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("{\n")
	mapping("nist", f.NIST, false)
	mapping("safeguard", f.Safeguard, true)
	b.WriteString("}\n")
	return b.Bytes()
}

// The OSCAL export says whose each pairing is: NIST's carry the class
// "nist-olir", Safeguard's own "safeguard", and the metadata names both
// sources.
func TestExportOSCALNamesCrosswalkAuthors(t *testing.T) {
	c := mustLoad(t)
	props := func(profile string) map[string]bool {
		var doc any
		if err := json.Unmarshal(exportOSCAL(t, c, profile), &doc); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if name, ok := v["name"].(string); ok && v["ns"] == OSCALNamespace {
					class, _ := v["class"].(string)
					value, _ := v["value"].(string)
					out[name+"|"+class+"|"+value] = true
					out[name+"|"+class] = true
				}
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(doc)
		return out
	}
	cur := props(ProfileCurrent)
	for _, want := range []string{"sp800-53r5.1.1|nist-olir|SC-13", "csf-1.1|nist-olir|PR.DS-1", "crosswalk-source|nist-olir", "crosswalk-source|safeguard"} {
		if !cur[want] {
			t.Errorf("current export lacks the property %s", want)
		}
	}
	if cur["csf-2.0|safeguard"] || cur["sp800-53r5|safeguard"] {
		t.Error("current export carries Safeguard's own pairings, though NIST's mapping covers every entry in force")
	}
	if !props(ProfileNPRM2025)["sp800-53r5|safeguard|SI-2"] {
		t.Error("proposed export lacks Safeguard's own pairings for patch management")
	}
}
