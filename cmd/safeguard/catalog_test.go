package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/catalog"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// runCatalogCLI runs the binary in-process with the given environment and
// returns what it printed and its exit code.
func runCatalogCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}}
	code = m.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

// sharedDataFile returns a file from the shared data folder CI checks out
// beside the repository; missing, it fails the test on CI and skips it
// elsewhere.
func sharedDataFile(t *testing.T, name string) string {
	t.Helper()
	dir := cmp.Or(os.Getenv("SAFEGUARD_SHARED_DATA"), filepath.Join("..", "..", "..", "shared", "data"))
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data %s: %v", path, err)
		}
		t.Skipf("shared data %s not available: %v", path, err)
	}
	return path
}

func TestCatalogListGolden(t *testing.T) {
	t.Parallel()
	for _, profile := range []string{"current", "nprm-2025"} {
		t.Run(profile, func(t *testing.T) {
			out, errOut, code := runCatalogCLI(t, nil, "catalog", "list", "--profile", profile, "--format", "json")
			if code != 0 {
				t.Fatalf("catalog list --profile %s exit %d: %s", profile, code, errOut)
			}
			golden := filepath.Join("testdata", "catalog-list-"+profile+".json")
			if *updateGolden {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run CatalogListGolden -update to create it)", err)
			}
			if out != string(want) {
				t.Errorf("catalog list --profile %s --format json differs from %s (run with -update after checking the change)", profile, golden)
			}
		})
	}
}

type catalogListRow struct {
	Citation    string `json:"citation"`
	Title       string `json:"title"`
	Kind        string `json:"kind"`
	Requirement string `json:"requirement"`
	Category    string `json:"category"`
	Standard    string `json:"standard"`
	Section     string `json:"section"`
	Profile     string `json:"profile"`
	Status      string `json:"status"`
}

func catalogList(t *testing.T, env map[string]string, args ...string) []catalogListRow {
	t.Helper()
	out, errOut, code := runCatalogCLI(t, env, append([]string{"catalog", "list", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("catalog list %v exit %d: %s", args, code, errOut)
	}
	var rows []catalogListRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("catalog list %v: not JSON: %v", args, err)
	}
	return rows
}

func TestCatalogListJSON(t *testing.T) {
	t.Parallel()
	rows := catalogList(t, nil)
	if len(rows) != 65 {
		t.Errorf("catalog list: %d entries, want 65 (22 standards, 43 specifications)", len(rows))
	}
	byCite := map[string]catalogListRow{}
	for _, r := range rows {
		byCite[r.Citation] = r
		if r.Title == "" || r.Kind == "" || r.Category == "" || r.Standard == "" || r.Profile != "current" || r.Status != "final" {
			t.Errorf("row %+v has empty or wrong fields", r)
		}
	}
	want := catalogListRow{Citation: "164.312(a)(2)(iv)", Title: "Encryption and decryption", Kind: "specification", Requirement: "addressable",
		Category: "technical", Standard: "164.312(a)(1)", Section: "164.312", Profile: "current", Status: "final"}
	if got := byCite[want.Citation]; got != want {
		t.Errorf("catalog list row = %+v, want %+v", got, want)
	}
	if got := byCite["164.312(a)(1)"]; got.Requirement != "" || got.Kind != "standard" || got.Standard != "164.312(a)(1)" {
		t.Errorf("standard row = %+v", got)
	}

	addressable := catalogList(t, nil, "--requirement", "addressable", "--category", "physical")
	if len(addressable) != 6 {
		t.Errorf("addressable physical specifications: %d, want 6", len(addressable))
	}
	for _, r := range addressable {
		if r.Requirement != "addressable" || r.Category != "physical" {
			t.Errorf("filtered row %+v", r)
		}
	}
	nprm := catalogList(t, nil, "--profile", "nprm-2025", "--requirement", "addressable")
	if len(nprm) != 0 {
		t.Errorf("nprm-2025 lists %d addressable entries, want none", len(nprm))
	}
	// The environment sets flags the command line leaves alone.
	env := catalogList(t, map[string]string{"SAFEGUARD_PROFILE": "nprm-2025"})
	if len(env) == 0 || env[0].Profile != "nprm-2025" || env[0].Status != "proposed" {
		t.Errorf("SAFEGUARD_PROFILE=nprm-2025 gave %+v", env[:min(1, len(env))])
	}
	cli := catalogList(t, map[string]string{"SAFEGUARD_PROFILE": "nprm-2025"}, "--profile", "current")
	if cli[0].Profile != "current" {
		t.Errorf("--profile current with SAFEGUARD_PROFILE=nprm-2025 gave profile %q", cli[0].Profile)
	}
}

func TestCatalogListTableAndCSV(t *testing.T) {
	t.Parallel()
	out, _, code := runCatalogCLI(t, nil, "catalog", "list")
	if code != 0 {
		t.Fatalf("catalog list exit %d", code)
	}
	for _, want := range []string{"CITATION", "164.308(a)(1)", "  164.312(a)(2)(iv)", "Encryption and decryption", "65 entries in profile current"} {
		if !strings.Contains(out, want) {
			t.Errorf("catalog list table lacks %q", want)
		}
	}
	out, _, _ = runCatalogCLI(t, nil, "catalog", "list", "--profile", "nprm-2025")
	if !strings.HasPrefix(out, "PROPOSED RULE, NOT IN FORCE") || !strings.Contains(out, "PROPOSED AT") {
		t.Errorf("nprm-2025 table is not labelled proposed:\n%s", out[:min(300, len(out))])
	}
	out, _, code = runCatalogCLI(t, nil, "catalog", "list", "--format", "csv", "--category", "technical")
	if code != 0 {
		t.Fatalf("catalog list --format csv exit %d", code)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	if len(recs) != 13 || recs[0][0] != "citation" || recs[1][0] != "164.312(a)(1)" {
		t.Errorf("technical csv: %d records, first %v", len(recs), recs[:min(2, len(recs))])
	}
}

func TestCatalogShow(t *testing.T) {
	t.Parallel()
	out, errOut, code := runCatalogCLI(t, nil, "catalog", "show", "45 CFR §164.312(a)(2)(iv)")
	if code != 0 {
		t.Fatalf("catalog show exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"164.312(a)(2)(iv)  Encryption and decryption", "addressable", "Standard: 164.312(a)(1) Access control",
		"What it asks", "A two-person practice", "A hospital", "Typical evidence", "Questions",
		"Crosswalk: NIST's mapping", "NIST Cybersecurity Framework 1.1: ", "NIST SP 800-53 Rev. 5.1.1: SC-13", "encryption-mandatory",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("catalog show lacks %q", want)
		}
	}
	// A standard shows its key activities and specifications.
	out, _, _ = runCatalogCLI(t, nil, "catalog", "show", "164.310(d)")
	for _, want := range []string{"Device and media controls", "Key activities", "Implement Methods for the Final Disposal of ePHI", "164.310(d)(2)(i)", "Disposal"} {
		if !strings.Contains(out, want) {
			t.Errorf("catalog show 164.310(d) lacks %q", want)
		}
	}
	// The citation renumbered in 2013 resolves, and says so.
	out, _, code = runCatalogCLI(t, nil, "catalog", "show", "164.308(b)(4)")
	if code != 0 || !strings.Contains(out, "164.308(b)(3)  Written contract or other arrangement") || !strings.Contains(out, "Found as 164.308(b)(4)") {
		t.Errorf("catalog show 164.308(b)(4) exit %d:\n%s", code, out)
	}
	// Flags may follow the citation.
	out, _, code = runCatalogCLI(t, nil, "catalog", "show", "164.312(a)(2)(iv)", "--profile", "nprm-2025", "--format", "json")
	if code != 0 {
		t.Fatalf("catalog show --format json exit %d", code)
	}
	var e struct {
		Profile          string `json:"profile"`
		Citation         string `json:"citation"`
		Requirement      string `json:"requirement"`
		ProposedCitation string `json:"proposed_citation"`
		Guidance         struct {
			Summary string `json:"summary"`
		} `json:"guidance"`
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("catalog show --format json: %v", err)
	}
	if e.Profile != "nprm-2025" || e.Citation != "164.312(a)(2)(iv)" || e.Requirement != "required" || e.ProposedCitation == "" || e.Guidance.Summary == "" {
		t.Errorf("catalog show json = %+v", e)
	}
}

// TestCatalogShowJSONIsTheAPIs: "catalog show --format json" writes the
// same entry form as the API (catalog.EntryDetail), with the same wording of
// how a reference led to the entry.
func TestCatalogShowJSONIsTheAPIs(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	p, err := cat.Profile("current")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCatalogCLI(t, nil, "catalog", "show", "164.308(b)(4)", "--format", "json")
	if code != 0 {
		t.Fatalf("catalog show --format json exit %d: %s", code, errOut)
	}
	var got catalog.EntryDetail
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	want, err := cat.Detail(p, "164.308(b)(4)")
	if err != nil {
		t.Fatal(err)
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("catalog show --format json =\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	if got.ResolvedFrom != "164.308(b)(4)" || !strings.HasPrefix(got.ResolvedHow, "its former citation (renumbered 2013-01-25 by ") ||
		len(got.Changes) == 0 || got.CrosswalkSources.NIST.Source == "" {
		t.Errorf("catalog show --format json = %+v, want the resolution, changes and crosswalk source", got)
	}
}

func TestCatalogShowUnknown(t *testing.T) {
	t.Parallel()
	out, errOut, code := runCatalogCLI(t, nil, "catalog", "show", "164.312(a)(2)(v)")
	if code != 1 {
		t.Errorf("catalog show 164.312(a)(2)(v) exit %d, want 1", code)
	}
	if out != "" {
		t.Errorf("catalog show of an unknown citation printed to stdout: %q", out)
	}
	for _, want := range []string{`no entry "164.312(a)(2)(v)"`, "Nearest", "164.312(a)(2)(iv)"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestCatalogDiff(t *testing.T) {
	t.Parallel()
	out, errOut, code := runCatalogCLI(t, nil, "catalog", "diff", "current", "nprm-2025", "--format", "json")
	if code != 0 {
		t.Fatalf("catalog diff exit %d: %s", code, errOut)
	}
	var diffs []struct {
		Citation string `json:"citation"`
		Change   string `json:"change"`
		Fields   []struct{ Field, From, To string }
	}
	if err := json.Unmarshal([]byte(out), &diffs); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range diffs {
		if d.Citation != "164.312(a)(2)(iv)" {
			continue
		}
		for _, f := range d.Fields {
			if f.Field == "requirement" && f.From == "addressable" && f.To == "required" {
				found = true
			}
		}
	}
	if !found {
		t.Error("catalog diff does not show 164.312(a)(2)(iv) becoming required")
	}
	out, _, code = runCatalogCLI(t, nil, "catalog", "diff", "current", "nprm-2025")
	if code != 0 || !strings.Contains(out, "PROPOSED RULE") || !strings.Contains(out, "requirement: addressable → required") || !strings.Contains(out, "nprm:patch-management") {
		t.Errorf("catalog diff table exit %d:\n%s", code, out[:min(500, len(out))])
	}
	out, _, _ = runCatalogCLI(t, nil, "catalog", "diff", "current", "current", "--format", "json")
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("catalog diff current current = %s, want []", out)
	}
}

func TestCatalogFAQAndSearch(t *testing.T) {
	t.Parallel()
	out, _, code := runCatalogCLI(t, nil, "catalog", "faq", "--format", "json")
	var faqs []struct {
		ID      string   `json:"id"`
		Entries []string `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &faqs); code != 0 || err != nil || len(faqs) < 24 {
		t.Fatalf("catalog faq exit %d, %d FAQs, %v", code, len(faqs), err)
	}
	out, _, _ = runCatalogCLI(t, nil, "catalog", "faq", "shared", "log-on")
	if !strings.HasPrefix(out, "Q: Can staff share one log-on ID") || !strings.Contains(out, "164.312(a)(2)(i)") {
		t.Errorf("catalog faq shared log-on:\n%s", out)
	}
	out, _, _ = runCatalogCLI(t, nil, "catalog", "faq", "encryption-mandatory")
	if !strings.Contains(out, "addressable") {
		t.Errorf("catalog faq encryption-mandatory:\n%s", out)
	}
	for query, want := range map[string]string{"encryption": "164.312(a)(2)(iv)", "logoff": "164.312(a)(2)(iii)", "backup": "164.308(a)(7)(ii)(A)"} {
		out, _, code := runCatalogCLI(t, nil, "catalog", "search", query, "--format", "json")
		var hits []struct{ Kind, ID string }
		if err := json.Unmarshal([]byte(out), &hits); code != 0 || err != nil || len(hits) == 0 || hits[0].ID != want {
			t.Errorf("catalog search %s: exit %d, %v, first hit %v; want %s", query, code, err, hits[:min(1, len(hits))], want)
		}
	}
	out, _, code = runCatalogCLI(t, nil, "catalog", "search", "--profile", "nprm-2025", "multi-factor")
	if code != 0 || !strings.Contains(out, "nprm:multi-factor-authentication") {
		t.Errorf("catalog search multi-factor exit %d:\n%s", code, out)
	}
}

func TestCatalogExportImport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "catalog.json")
	_, errOut, code := runCatalogCLI(t, nil, "catalog", "export", "--format", "oscal", "-o", file)
	if code != 0 {
		t.Fatalf("catalog export exit %d: %s", code, errOut)
	}
	stdout, _, _ := runCatalogCLI(t, nil, "catalog", "export", "--format", "oscal")
	written, err := os.ReadFile(file)
	if err != nil || string(written) != stdout {
		t.Errorf("export to a file and to stdout differ (%v)", err)
	}
	if !strings.Contains(stdout, `"oscal-version": "1.1.3"`) {
		t.Error("export is not an OSCAL 1.1.3 catalog")
	}
	out, errOut, code := runCatalogCLI(t, nil, "catalog", "import", file, "--format", "json")
	if code != 0 {
		t.Fatalf("catalog import exit %d: %s", code, errOut)
	}
	var rep struct {
		Standards []string `json:"standards"`
		Controls  []struct {
			ID       string `json:"id"`
			Citation string `json:"citation"`
			Method   string `json:"method"`
		} `json:"controls"`
		Unmatched []any `json:"unmatched"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Standards) != 22 || len(rep.Controls) != 65 || len(rep.Unmatched) != 0 {
		t.Errorf("round trip: %d standards, %d controls, %d unmatched; want 22, 65, 0", len(rep.Standards), len(rep.Controls), len(rep.Unmatched))
	}

	nist := sharedDataFile(t, "nist-sp800-66r2-oscal-catalog.json")
	out, errOut, code = runCatalogCLI(t, nil, "catalog", "import", nist)
	if code != 0 {
		t.Fatalf("catalog import NIST exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "22 of 22 standards matched") || !strings.Contains(out, "0 unmatched") {
		t.Errorf("catalog import NIST:\n%s", out[:min(400, len(out))])
	}
}

func TestCatalogUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want []string // in stderr
	}{
		{[]string{"catalog"}, []string{"missing subcommand", "list"}},
		{[]string{"catalog", "frob"}, []string{`unknown subcommand "frob"`}},
		{[]string{"catalog", "list", "--profile", "nprm-2024"}, []string{"-profile", "current, nprm-2025"}},
		{[]string{"catalog", "list", "--category", "clinical"}, []string{"-category", "administrative, physical, technical, organizational, documentation"}},
		{[]string{"catalog", "list", "--requirement", "optional"}, []string{"-requirement", "required, addressable"}},
		{[]string{"catalog", "list", "--format", "xml"}, []string{"-format", "table, json, csv"}},
		{[]string{"catalog", "show", "164.312(b)", "--format", "yaml"}, []string{"-format", "text, json"}},
		{[]string{"catalog", "search", "--profile", "draft", "x"}, []string{"-profile", "current, nprm-2025"}},
		{[]string{"catalog", "diff", "current"}, []string{"two profiles"}},
		{[]string{"catalog", "diff", "current", "nprm-2030"}, []string{"nprm-2030", "current, nprm-2025"}},
		{[]string{"catalog", "export", "--format", "pdf"}, []string{"-format", "oscal"}},
		{[]string{"catalog", "import"}, []string{"FILE"}},
		{[]string{"catalog", "show"}, []string{"CITATION"}},
		{[]string{"catalog", "search"}, []string{"QUERY"}},
		{[]string{"catalog", "list", "extra"}, []string{"unexpected argument"}},
	}
	for _, tt := range tests {
		_, errOut, code := runCatalogCLI(t, nil, tt.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", tt.args, code)
		}
		for _, w := range tt.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: stderr %q lacks %q", tt.args, errOut, w)
			}
		}
	}
	_, errOut, code := runCatalogCLI(t, map[string]string{"SAFEGUARD_FORMAT": "xml"}, "catalog", "list")
	if code != 2 || !strings.Contains(errOut, "SAFEGUARD_FORMAT") {
		t.Errorf("SAFEGUARD_FORMAT=xml: exit %d, %q", code, errOut)
	}
	// A file that is not there, or not OSCAL, fails the operation.
	_, errOut, code = runCatalogCLI(t, nil, "catalog", "import", filepath.Join(t.TempDir(), "missing.json"))
	if code != 1 || !strings.Contains(errOut, "missing.json") {
		t.Errorf("import of a missing file: exit %d, %q", code, errOut)
	}
	notOSCAL := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(notOSCAL, []byte(`{"profile":{}}`), 0o644)
	if _, _, code := runCatalogCLI(t, nil, "catalog", "import", notOSCAL); code != 1 {
		t.Errorf("import of a non-catalog: exit %d, want 1", code)
	}
}

func TestCatalogHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"catalog", "--help"}, {"help", "catalog"}, {"catalog", "list", "--help"}, {"help", "catalog", "export"}} {
		out, _, code := runCatalogCLI(t, nil, args...)
		if code != 0 || !strings.Contains(out, "Usage: safeguard catalog") {
			t.Errorf("%v: exit %d:\n%s", args, code, out)
		}
	}
}
