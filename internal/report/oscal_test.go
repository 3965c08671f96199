package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/risk"
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

// oscalSchema compiles NIST's OSCAL 1.1.3 complete JSON schema (draft-07,
// formats asserted).
func oscalSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	path := sharedData(t, "oscal/oscal_complete_schema-1.1.3.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	const loc = "mem:///oscal.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	if err := c.AddResource(loc, doc); err != nil {
		t.Fatalf("add schema: %v", err)
	}
	s, err := c.Compile(loc)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

// schemaProblems lists where doc breaks the schema, each with its JSON
// pointer; none means valid.
func schemaProblems(s *jsonschema.Schema, doc []byte) []string {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return []string{err.Error()}
	}
	err = s.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	var out []string
	for _, u := range ve.BasicOutput().Errors {
		if u.Error != nil {
			out = append(out, cmp.Or(u.InstanceLocation, "/")+": "+u.Error.String())
		}
	}
	if len(out) == 0 {
		out = append(out, ve.Error())
	}
	return out
}

type oscalWriteFunc func(io.Writer, *Model) error

var oscalWriters = []struct {
	name  string
	write oscalWriteFunc
	root  string
}{
	{"assessment-results", WriteAssessmentResults, "assessment-results"},
	{"poam", WritePOAM, "plan-of-action-and-milestones"},
}

func render(t testing.TB, write oscalWriteFunc, m *Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, m); err != nil {
		t.Fatalf("write OSCAL: %v", err)
	}
	return buf.Bytes()
}

func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode OSCAL: %v", err)
	}
	return v
}

// walk calls fn for every key and value of v, depth first, with the keys of
// the objects above.
func walk(v any, path []string, fn func(path []string, key string, val any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			fn(path, k, val)
			walk(val, append(path, k), fn)
		}
	case []any:
		for _, val := range x {
			walk(val, path, fn)
		}
	}
}

// hostileModel is the sample with texts that break naive OSCAL writers:
// values with line breaks and spaces at the ends, a link that is not a URI,
// an expired acceptance, an unrated risk and a risk with no treatment.
func hostileModel() *Model {
	m := sampleModel()
	m.Draft = true
	m.PreparedBy = "  Maria\nLopez  "
	m.Evidence[1].URL = "not a url with spaces"
	m.Risks[1].Acceptance.Expired = true
	m.Risks[2].Owner = "Dr. Ng\t"
	m.Risks = append(m.Risks, Risk{ID: 9, Title: "Unrated", Status: "Open", Inherent: Rating{Level: -1}, Current: Rating{Level: -1}, Target: Rating{Level: -1},
		Measures: []string{"Locked door", "§164.310(a)(1) Facility access controls"}, MeasuresNote: "Line one.\nLine two."})
	m.Entries = append(m.Entries, Entry{Citation: "164.310(a)(2)(iii)", Title: "Access control and validation procedures", Kind: "specification",
		Requirement: "addressable", Category: "physical", Standard: "164.310(a)(1)", Status: "not_applicable", StatusLabel: "Not applicable",
		NAReason: "No\nfacility of our own."})
	// A task of a risk the report does not show.
	m.Tasks = append(m.Tasks, Task{ID: 99, RiskID: 404, Title: "Elsewhere", Owner: "Sam Okafor", Due: m.Generated, Status: "To do", Entries: []string{"164.312(b)"}})
	return m
}

// emptyModel is a report with nothing in it yet.
func emptyModel() *Model {
	return &Model{Generated: time.Date(2026, 12, 4, 15, 30, 0, 0, time.UTC), Part: PartFull, Org: Org{Slug: "new", Name: "New practice"}}
}

func TestOSCALValidatesAgainstSchema(t *testing.T) {
	s := oscalSchema(t)
	models := map[string]func() *Model{"sample": sampleModel, "hostile": hostileModel, "empty": emptyModel}
	for mname, mk := range models {
		for _, w := range oscalWriters {
			t.Run(mname+"/"+w.name, func(t *testing.T) {
				doc := render(t, w.write, mk())
				if errs := schemaProblems(s, doc); len(errs) != 0 {
					if len(errs) > 20 {
						errs = errs[:20]
					}
					t.Errorf("%s of the %s model breaks the OSCAL 1.1.3 schema:\n%s", w.name, mname, strings.Join(errs, "\n"))
				}
				if _, ok := decode(t, doc)[w.root]; !ok {
					t.Errorf("%s has no %q root", w.name, w.root)
				}
			})
		}
	}
}

// lastModified matches the one value that may change between two runs.
var lastModified = regexp.MustCompile(`"last-modified":"[^"]*"`)

func withoutLastModified(b []byte) string {
	return lastModified.ReplaceAllString(string(b), `"last-modified":""`)
}

func TestOSCALIsDeterministic(t *testing.T) {
	for _, w := range oscalWriters {
		a := render(t, w.write, sampleModel())
		b := render(t, w.write, sampleModel())
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs of the same model differ", w.name)
		}
		later := sampleModel()
		later.Generated = later.Generated.Add(36 * time.Hour)
		c := render(t, w.write, later)
		if bytes.Equal(a, c) {
			t.Errorf("%s: last-modified does not follow Model.Generated", w.name)
		}
		if n := len(lastModified.FindAll(a, -1)); n != 1 {
			t.Errorf("%s: %d last-modified values, want 1", w.name, n)
		}
		if withoutLastModified(a) != withoutLastModified(c) {
			t.Errorf("%s: a later run differs in more than last-modified", w.name)
		}
		// Every uuid is used once; another organisation gets other ones.
		seen := map[string]bool{}
		walk(decode(t, a), nil, func(_ []string, k string, v any) {
			if k != "uuid" {
				return
			}
			u := v.(string)
			if seen[u] {
				t.Errorf("%s: uuid %s used twice", w.name, u)
			}
			seen[u] = true
		})
		other := sampleModel()
		other.Org.Slug = "lakeside"
		walk(decode(t, render(t, w.write, other)), nil, func(_ []string, k string, v any) {
			if k == "uuid" && seen[v.(string)] {
				t.Errorf("%s: uuid %s shared by two organisations", w.name, v)
			}
		})
	}
}

// collect returns the objects of v under key (at any depth).
func collect(v any, key string) []map[string]any {
	var out []map[string]any
	walk(v, nil, func(_ []string, k string, val any) {
		if k != key {
			return
		}
		if list, ok := val.([]any); ok {
			for _, x := range list {
				if o, ok := x.(map[string]any); ok {
					out = append(out, o)
				}
			}
		}
	})
	return out
}

func prop(o map[string]any, name string) string {
	props, _ := o["props"].([]any)
	for _, p := range props {
		pm := p.(map[string]any)
		if pm["name"] == name {
			return pm["value"].(string)
		}
	}
	return ""
}

func TestOSCALHoldsEveryRiskAndGap(t *testing.T) {
	m := sampleModel()
	for _, w := range oscalWriters {
		raw := render(t, w.write, m)
		doc := decode(t, raw)
		risks := map[string]map[string]any{}
		for _, r := range collect(doc, "risks") {
			risks[prop(r, "risk-id")] = r
		}
		for _, r := range m.Risks {
			got, ok := risks[fmt.Sprint(r.ID)]
			if !ok {
				t.Errorf("%s: risk %d missing", w.name, r.ID)
				continue
			}
			if got["title"] != r.Title {
				t.Errorf("%s: risk %d title = %v, want %q", w.name, r.ID, got["title"], r.Title)
			}
		}
		if !strings.Contains(string(raw), jsonText(longJustification)) {
			t.Errorf("%s: the long rationale is not there whole", w.name)
		}
	}

	poam := decode(t, render(t, WritePOAM, m))
	items := collect(poam, "poam-items")
	byKey := map[string]map[string]any{}
	for _, it := range items {
		byKey[prop(it, "kind")+":"+cmp.Or(prop(it, "citation"), prop(it, "risk-id"))] = it
	}
	for _, e := range m.Entries {
		_, ok := byKey["gap:"+e.Citation]
		if want := isGap(e); ok != want {
			t.Errorf("POA&M item for %s (%s) present = %v, want %v", e.Citation, e.Status, ok, want)
		}
	}
	for _, r := range m.Risks {
		if _, ok := byKey[fmt.Sprintf("risk:%d", r.ID)]; !ok && r.Status != "Closed" {
			t.Errorf("POA&M item for risk %d (%s) missing", r.ID, r.Status)
		}
	}
	// The gap's item points at its finding and at the risk its task treats.
	gap := byKey["gap:164.312(a)(2)(iv)"]
	if gap == nil || gap["related-findings"] == nil || gap["related-risks"] == nil {
		t.Errorf("gap item 164.312(a)(2)(iv) = %v, want related findings and risks", gap)
	}
}

// jsonText is s as encoding/json writes it inside a string.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func TestOSCALRisks(t *testing.T) {
	doc := decode(t, render(t, WriteAssessmentResults, sampleModel()))
	risks := map[string]map[string]any{}
	for _, r := range collect(doc, "risks") {
		risks[prop(r, "risk-id")] = r
	}
	for id, want := range map[string]string{"3": "remediating", "4": "deviation-approved", "5": "open"} {
		if got := risks[id]["status"]; got != want {
			t.Errorf("risk %s status = %v, want %s", id, got, want)
		}
	}
	// Risk 3: three ratings, likelihood/impact/level named by the scale.
	chars := collect(risks["3"], "characterizations")
	if len(chars) != 3 {
		t.Fatalf("risk 3 has %d characterizations, want 3", len(chars))
	}
	sc := risk.ThreeByThree()
	facets := map[string]string{}
	for _, f := range collect(chars[1], "facets") {
		facets[f["name"].(string)] = f["value"].(string)
	}
	if want := map[string]string{"likelihood": sc.Likelihood[1].Label, "impact": sc.Impact[2].Label, "level": sc.Levels[sc.Matrix[1][2]].Label}; fmt.Sprint(facets) != fmt.Sprint(want) {
		t.Errorf("risk 3 current facets = %v, want %v", facets, want)
	}
	if prop(chars[1], "rating") != "current" || prop(chars[1], "scale") != sc.Name {
		t.Errorf("risk 3 second characterization props = %v, want current on %s", chars[1]["props"], sc.Name)
	}
	// Its treatment carries both tasks as milestones, and its measure links
	// to the catalogue.
	rem := collect(risks["3"], "remediations")
	if len(rem) != 1 || rem[0]["lifecycle"] != "planned" || len(collect(rem[0], "tasks")) != 2 {
		t.Errorf("risk 3 remediations = %v, want one planned response with 2 tasks", rem)
	}
	mf := collect(risks["3"], "mitigating-factors")
	if len(mf) != 2 || prop(mf[0], "control-id") != "hipaa-164.310-d-1" || mf[1]["description"] != "The drawer is locked." ||
		len(collect(mf[0], "subjects")) != 1 {
		t.Errorf("risk 3 mitigating factors = %v", mf)
	}
	// Risk 4: the acceptance is in the risk log with its approver and expiry.
	log := collect(risks["4"], "entries")
	if len(log) != 1 || log[0]["status-change"] != "deviation-approved" || log[0]["end"] != "2027-06-30T00:00:00Z" ||
		prop(log[0], "approver") != "Maria Lopez" || log[0]["description"] != "Workstations are re-imaged within a day." {
		t.Errorf("risk 4 risk log = %v", log)
	}
	// Risk 5 is not rated now: only the inherent rating is there.
	if n := len(collect(risks["5"], "characterizations")); n != 1 {
		t.Errorf("risk 5 has %d characterizations, want 1", n)
	}
}

func TestOSCALFindingsAndEvidence(t *testing.T) {
	m := sampleModel()
	doc := decode(t, render(t, WriteAssessmentResults, m))
	findings := map[string]map[string]any{}
	for _, f := range collect(doc, "findings") {
		findings[prop(f, "citation")] = f
	}
	want := map[string]string{
		"164.308(a)(1)(ii)(A)": "satisfied", "164.308(a)(5)(ii)(B)": "not-satisfied", "164.312(a)(2)(iv)": "not-satisfied",
		"164.312(b)": "satisfied", "164.312(c)(1)": "not-satisfied",
	}
	for _, e := range m.Entries {
		f := findings[e.Citation]
		if f == nil {
			t.Errorf("no finding for %s", e.Citation)
			continue
		}
		target := f["target"].(map[string]any)
		if got := target["status"].(map[string]any)["state"]; got != want[e.Citation] {
			t.Errorf("finding %s state = %v, want %s", e.Citation, got, want[e.Citation])
		}
		if e.Narrative != "" && f["description"] != e.Narrative {
			t.Errorf("finding %s description = %q, want the narrative %q", e.Citation, f["description"], e.Narrative)
		}
	}
	enc := findings["164.312(a)(2)(iv)"]
	if prop(enc, "decision-outcome") != "alternative" || !strings.HasSuffix(enc["remarks"].(string), "Decided by Maria Lopez on 3 Oct 2026.") ||
		!strings.Contains(enc["remarks"].(string), longJustification) {
		t.Errorf("finding 164.312(a)(2)(iv) does not carry its decision whole: props %v", enc["props"])
	}
	// Evidence: the file's SHA-256 and the link's href; the finding points
	// at the observation.
	obs := map[string]map[string]any{}
	for _, o := range collect(doc, "observations") {
		obs[prop(o, "evidence-id")] = o
	}
	file := collect(obs["7"], "relevant-evidence")
	if len(file) != 1 || prop(file[0], "sha256") != m.Evidence[0].SHA256 || !strings.Contains(file[0]["remarks"].(string), m.Evidence[0].SHA256) {
		t.Errorf("evidence 7 = %v, want its SHA-256", file)
	}
	link := collect(obs["8"], "relevant-evidence")
	if len(link) != 1 || link[0]["href"] != "https://example.com/soc2" {
		t.Errorf("evidence 8 = %v, want its href", link)
	}
	rel := collect(findings["164.308(a)(1)(ii)(A)"], "related-observations")
	if len(rel) != 1 || rel[0]["observation-uuid"] != obs["7"]["uuid"] {
		t.Errorf("finding 164.308(a)(1)(ii)(A) related observations = %v, want evidence 7", rel)
	}
}

func TestOSCALDraft(t *testing.T) {
	for _, draft := range []bool{false, true} {
		m := sampleModel()
		m.Draft = draft
		for _, w := range oscalWriters {
			doc := decode(t, render(t, w.write, m))
			md := doc[w.root].(map[string]any)["metadata"].(map[string]any)
			got := prop(md, "draft") == "true" && strings.HasPrefix(md["title"].(string), "DRAFT") &&
				strings.HasPrefix(md["version"].(string), "DRAFT")
			if got != draft {
				t.Errorf("%s with Draft %v: metadata %v", w.name, draft, md)
			}
		}
	}
}

// TestOSCALControlsResolve proves the three documents link up: every
// control id and statement id the assessment results and POA&M name is a
// control or statement of the catalogue's own OSCAL export.
func TestOSCALControlsResolve(t *testing.T) {
	c, err := catalog.Load()
	if err != nil {
		t.Fatalf("catalog.Load() error: %v", err)
	}
	var buf bytes.Buffer
	if err := c.ExportOSCAL(&buf, catalog.ProfileCurrent); err != nil {
		t.Fatalf("ExportOSCAL error: %v", err)
	}
	controls, parts := map[string]bool{}, map[string]bool{}
	walk(decode(t, buf.Bytes()), nil, func(path []string, k string, v any) {
		if k != "id" || len(path) == 0 {
			return
		}
		switch path[len(path)-1] {
		case "controls":
			controls[v.(string)] = true
		case "parts":
			parts[v.(string)] = true
		}
	})
	if len(controls) < 40 {
		t.Fatalf("catalogue export has %d controls, want the whole rule", len(controls))
	}
	for _, w := range oscalWriters {
		doc := decode(t, render(t, w.write, hostileModel()))
		n := 0
		check := func(id string, set map[string]bool, what string) {
			n++
			if !set[id] {
				t.Errorf("%s: %s %q is not in the catalogue export", w.name, what, id)
			}
		}
		walk(doc, nil, func(_ []string, k string, v any) {
			switch k {
			case "control-id":
				check(v.(string), controls, "control-id")
			case "target-id":
				check(v.(string), parts, "target-id")
			case "props":
				for _, p := range v.([]any) {
					pm := p.(map[string]any)
					if pm["name"] == "control-id" {
						check(pm["value"].(string), controls, "control-id property")
					}
				}
			}
		})
		if n < 5 {
			t.Errorf("%s names %d controls, want every entry's", w.name, n)
		}
	}
}

// largeModel is the sample grown to n risks, each with two tasks, on the
// scale of a large organisation.
func largeModel(n int) *Model {
	m := sampleModel()
	base := m.Risks
	m.Risks = make([]Risk, 0, n)
	m.Tasks = m.Tasks[:0:0]
	for i := range n {
		r := base[i%len(base)]
		r.ID = int64(i + 1)
		r.Title = fmt.Sprintf("%s (%d)", r.Title, i+1)
		m.Risks = append(m.Risks, r)
		for j := range 2 {
			m.Tasks = append(m.Tasks, Task{ID: int64(2*i + j + 1), RiskID: r.ID, Risk: r.Title, Title: fmt.Sprintf("Task %d of risk %d", j+1, i+1),
				Owner: "Sam Okafor", Due: m.Generated.AddDate(0, 1+j, 0), Status: "To do", Entries: []string{"164.312(a)(2)(iv)"}})
		}
	}
	return m
}

// BenchmarkOSCALLarge writes both documents for 20,000 risks (40,000 tasks)
// to a discarding writer and reports the time against encoding the same
// model as plain JSON in the same run.
func BenchmarkOSCALLarge(b *testing.B) {
	m := largeModel(20000)
	var oscal, plain time.Duration
	var size countingWriter
	for b.Loop() {
		size = 0
		t0 := time.Now()
		if err := WriteAssessmentResults(&size, m); err != nil {
			b.Fatal(err)
		}
		if err := WritePOAM(&size, m); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := json.NewEncoder(io.Discard).Encode(m); err != nil {
			b.Fatal(err)
		}
		oscal += t1.Sub(t0)
		plain += time.Since(t1)
	}
	b.ReportMetric(float64(oscal.Milliseconds())/float64(b.N), "ms-oscal/op")
	b.ReportMetric(float64(oscal)/float64(plain), "x-plain-json")
	b.ReportMetric(float64(size)/(1<<20), "MiB")
}

// countingWriter discards what it is given and counts the bytes.
type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// TestOSCALSchemaCatchesMistakes makes sure the validation above can fail:
// documents broken in ways a writer might break them are refused.
func TestOSCALSchemaCatchesMistakes(t *testing.T) {
	s := oscalSchema(t)
	good := render(t, WriteAssessmentResults, sampleModel())
	for name, edit := range map[string]func(doc map[string]any){
		"no import-ap": func(doc map[string]any) { delete(doc["assessment-results"].(map[string]any), "import-ap") },
		"finding state": func(doc map[string]any) {
			f := collect(doc, "findings")[0]
			f["target"].(map[string]any)["status"].(map[string]any)["state"] = "partially-satisfied"
		},
		"two-line property": func(doc map[string]any) {
			md := doc["assessment-results"].(map[string]any)["metadata"].(map[string]any)
			md["props"].([]any)[0].(map[string]any)["value"] = "a\nb"
		},
		"local time": func(doc map[string]any) {
			doc["assessment-results"].(map[string]any)["metadata"].(map[string]any)["last-modified"] = "2026-12-04 15:30"
		},
		"bad uuid": func(doc map[string]any) { doc["assessment-results"].(map[string]any)["uuid"] = "riverside-1" },
	} {
		doc := decode(t, good)
		edit(doc)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if errs := schemaProblems(s, b); len(errs) == 0 {
			t.Errorf("%s: the schema accepted a broken document", name)
		}
	}
}

func TestOSCALString(t *testing.T) {
	for _, s := range []string{"", "a", "a b", " a", "a ", "a  b", "a\nb", "a\tb", "\u00a0a", "a\u2028b", "héllo wörld", "x y z"} {
		want := strings.Join(strings.Fields(s), " ")
		if got := oscalString(s); got != want {
			t.Errorf("oscalString(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestOSCALReferencesResolve checks that every UUID a document refers to
// (observations, risks, findings, responses, parties, components, the
// import-ap fragment) is defined in the same document.
func TestOSCALReferencesResolve(t *testing.T) {
	for _, mk := range []func() *Model{sampleModel, hostileModel} {
		for _, w := range oscalWriters {
			doc := decode(t, render(t, w.write, mk()))
			defined := map[string]bool{}
			walk(doc, nil, func(_ []string, k string, v any) {
				if k == "uuid" {
					defined[v.(string)] = true
				}
			})
			refs := 0
			ref := func(what, id string) {
				refs++
				if !defined[id] {
					t.Errorf("%s: %s %s is not defined in the document", w.name, what, id)
				}
			}
			walk(doc, nil, func(path []string, k string, v any) {
				switch {
				case k == "party-uuids":
					for _, id := range v.([]any) {
						ref(k, id.(string))
					}
				case k == "href" && len(path) > 0 && path[len(path)-1] == "import-ap":
					ref(k, strings.TrimPrefix(v.(string), "#"))
				case strings.HasSuffix(k, "-uuid") && k != "uuid":
					ref(k, v.(string))
				}
			})
			if refs < 10 {
				t.Errorf("%s: only %d references checked", w.name, refs)
			}
		}
	}
}
