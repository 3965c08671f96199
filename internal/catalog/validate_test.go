package catalog

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// dataCopy returns the embedded data as an in-memory file system that a test
// may change.
func dataCopy(t *testing.T) fstest.MapFS {
	t.Helper()
	sub, err := fs.Sub(data, "data")
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	err = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		m[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestValidateRejectsBrokenContent(t *testing.T) {
	if _, err := load(dataCopy(t)); err != nil {
		t.Fatalf("load(unchanged copy) error: %v", err)
	}
	tests := []struct {
		name, file, old, new, want string
	}{
		{"standard with specifications marked required", "current/164.312.json",
			`"title": "Access control",
      "kind": "standard",
      "requirement": ""`, `"title": "Access control",
      "kind": "standard",
      "requirement": "required"`, "want none"},
		{"specification without requirement", "current/164.312.json",
			`"title": "Automatic logoff",
      "kind": "specification",
      "requirement": "addressable"`, `"title": "Automatic logoff",
      "kind": "specification",
      "requirement": ""`, "want required or addressable"},
		{"standard without specifications not required", "current/164.312.json",
			`"title": "Audit controls",
      "kind": "standard",
      "requirement": "required"`, `"title": "Audit controls",
      "kind": "standard",
      "requirement": ""`, "want required"},
		{"wrong parent standard", "current/164.312.json",
			`"standard": "164.312(c)(1)"`, `"standard": "164.312(a)(1)"`, "is not the standard it follows"},
		{"duplicate citation", "current/164.310.json",
			`"citation": "164.310(c)"`, `"citation": "164.310(b)"`, "appears twice"},
		{"non-canonical citation", "current/164.310.json",
			`"citation": "164.310(c)"`, `"citation": "§164.310(c)"`, "canonical"},
		{"missing guidance", "current/164.316.json",
			`"summary": "Make documentation available`, `"summary": "", "x": "`, "unknown field"},
		{"empty hospital example", "current/164.316.json",
			`"hospital": "Policies published on the intranet; restricted procedures shared with the teams that run them."`, `"hospital": ""`, "guidance needs"},
		{"no question", "current/164.316.json",
			`"questions": [
        "Can the people responsible for each procedure get to its documentation when they need it?",
        "Is access to the documentation itself appropriately controlled?"
      ]`, `"questions": []`, "no assessment question"},
		{"alias claimed twice", "current/164.312.json",
			`"aliases": ["164.312(c)"]`, `"aliases": ["164.312(a)"]`, "refers to both"},
		{"FAQ links nowhere", "faq.json",
			`"entries": ["164.312(a)(2)(iv)", "164.312(e)(2)(ii)"]`, `"entries": ["164.312(a)(2)(v)"]`, "unknown entry"},
		{"malformed CSF 2.0 id", "crosswalk.json", `"ID.IM-01", "GV.OV-02"`, `"ID.IM-1"`, "malformed CSF"},
		{"CSF 2.0 id in NIST's CSF 1.1 mapping", "crosswalk.json", `"ID.GV-3", "PR.AC-2", "PR.DS-5"`, `"GV.PO-01"`, "malformed CSF"},
		{"Safeguard pairs what NIST maps", "crosswalk.json", `"nprm:compliance-audit": `, `"164.308(a)(8)": `, "NIST's mapping already covers"},
		{"crosswalk without its source", "crosswalk.json", `"author": "Safeguard"`, `"author": ""`, "needs an author"},
		{"standard without crosswalk", "crosswalk.json", `"164.310(c)": `, `"164.310(x)": `, "crosswalk"},
		{"proposal changes an unknown entry", "nprm-2025.json",
			`{"citation": "164.312(c)(1)", "proposed_citation"`, `{"citation": "164.312(c)(9)", "proposed_citation"`, "unknown entry"},
		{"proposal keeps an addressable entry", "nprm-2025.json",
			`"requirement": "required",
  "changes"`, `"requirement": "",
  "changes"`, "still has an addressable entry"},
		{"bad parameter unit", "nprm-2025.json", `"value": 48, "unit": "hours"`, `"value": 48, "unit": "fortnights"`, "malformed parameter"},
		{"missing factor", "general.json", `{"id": "cost",`, `{"id": "price",`, "factors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := dataCopy(t)
			f, ok := m[tt.file]
			if !ok {
				t.Fatalf("no file %s", tt.file)
			}
			changed := strings.Replace(string(f.Data), tt.old, tt.new, 1)
			if changed == string(f.Data) {
				t.Fatalf("%s: text to change not found", tt.file)
			}
			m[tt.file] = &fstest.MapFile{Data: []byte(changed)}
			_, err := load(m)
			if err == nil {
				t.Fatalf("load() accepted %s", tt.name)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("load() error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
