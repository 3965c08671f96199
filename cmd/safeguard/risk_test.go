package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/demo"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
)

// demoData is a fresh data folder with the demo loaded.
func demoData(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if _, errOut, code := run(t, nil, "init", "--data", dir); code != 0 {
		t.Fatalf("init = %d %s", code, errOut)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, dbFileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err := crypt.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, db, identity.NewHasher(1, 64, 1, 4), keys); err != nil {
		t.Fatalf("demo.Load = %v", err)
	}
	return dir
}

func listAssets(t *testing.T, dir string) []risk.Asset {
	t.Helper()
	out, errOut, code := run(t, nil, "risk", "list", "--org", "riverside", "--data", dir, "--format", "json")
	var list []risk.Asset
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil {
		t.Fatalf("risk list = %d %.300q %q", code, out, errOut)
	}
	return list
}

// TestRiskCLI lists, exports and imports the demo's inventory through
// `safeguard risk`.
func TestRiskCLI(t *testing.T) {
	dir := demoData(t)
	before := listAssets(t, dir)
	if len(before) < 20 {
		t.Fatalf("demo inventory = %d assets", len(before))
	}
	out, _, code := run(t, nil, "risk", "list", "--org", "riverside", "--data", dir)
	if code != 0 || !strings.Contains(out, "ENCRYPTED AT REST") || !strings.Contains(out, before[0].Name) {
		t.Errorf("risk list table = %d %.400s", code, out)
	}
	out, _, code = run(t, nil, "risk", "list", "--org", "riverside", "--data", dir, "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "Asset name,Type,") {
		t.Errorf("risk list csv = %d %.200s", code, out)
	}

	// Exports in both formats read back through the importer (a dry run:
	// nothing is saved).
	files := t.TempDir()
	for _, name := range []string{"inventory.csv", "inventory.xlsx"} {
		path := filepath.Join(files, name)
		if _, errOut, code := run(t, nil, "risk", "export", "--org", "riverside", "--data", dir, "-o", path); code != 0 {
			t.Fatalf("risk export %s = %d %s", name, code, errOut)
		}
		out, errOut, code := run(t, nil, "risk", "import", "--org", "riverside", "--data", dir, path, "--dry-run")
		if code != 0 || !strings.Contains(out, "every row can be imported") || !strings.Contains(out, "nothing saved") {
			t.Errorf("dry run of the %s export = %d %q %q", name, code, out, errOut)
		}
	}
	if n := len(listAssets(t, dir)); n != len(before) {
		t.Fatalf("assets after dry runs = %d, want %d", n, len(before))
	}

	// A file with bad rows: every row is printed, nothing is saved. The
	// owner of another organisation (Harbor Billing's owner) is a row problem.
	bad := filepath.Join(files, "bad.csv")
	writeTestFile(t, bad, "Device,Sort,Who\n"+
		"New tablet,tablet,priya.shah@riverside.example\n"+
		"Mystery,spaceship,\n"+
		"Their laptop,laptop,jordan.lee@harbor-billing.example\n")
	out, errOut, code := run(t, nil, "risk", "import", "--org", "riverside", "--data", dir, bad, "--map", "Device=name,Sort=kind,Who=owner")
	if code != exitFailed || !strings.Contains(out, "row 3, Sort:") || !strings.Contains(out, "row 4, Who: no member of this organisation has the email jordan.lee@harbor-billing.example") ||
		strings.Contains(out, "row 2") || !strings.Contains(errOut, "2 problems, nothing was imported") {
		t.Errorf("bad import = %d %q %q", code, out, errOut)
	}
	if n := len(listAssets(t, dir)); n != len(before) {
		t.Fatalf("assets after a refused import = %d, want %d", n, len(before))
	}

	// A good file imports, audited as the person at the command line.
	good := filepath.Join(files, "good.csv")
	writeTestFile(t, good, "Device,Sort,Who\nNew tablet,tablet,PRIYA.SHAH@riverside.example\nSpare laptop,laptop,\n")
	out, errOut, code = run(t, map[string]string{"USER": "tester"}, "risk", "import", "--org", "riverside", "--data", dir, good, "--map", "Device=name,Sort=kind,Who=owner")
	if code != 0 || !strings.Contains(out, "imported 2 assets into Riverside") {
		t.Fatalf("import = %d %q %q", code, out, errOut)
	}
	if strings.Contains(errOut, "reading [") {
		t.Errorf("progress drawn on a stream that is not a terminal: %q", errOut)
	}
	after := listAssets(t, dir)
	if len(after) != len(before)+2 {
		t.Fatalf("assets after the import = %d, want %d", len(after), len(before)+2)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, dbFileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entries, err := db.AuditEntries(context.Background(), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || e.Action == "risk.asset.import" && e.Actor == "cli:tester"
	}
	if !found {
		t.Error("no risk.asset.import entry by cli:tester in the audit log")
	}

	// The register, the plan and the flows: names, not IDs.
	out, errOut, code = run(t, nil, "risk", "list", "--org", "riverside", "--data", dir, "--what", "risks")
	for _, want := range []string{"LEVEL", "Theft of the unencrypted 2016 backup drive", "External backup drive (2016)", "Theft of a device", "sam.okafor@riverside.example", "treated"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("risk list --what risks = %d, want %q in %.600s %s", code, want, out, errOut)
		}
	}
	var risks []riskLine
	out, _, code = run(t, nil, "risk", "list", "--org", "riverside", "--data", dir, "--what", "risks", "--format", "json")
	if code != 0 || json.Unmarshal([]byte(out), &risks) != nil || len(risks) == 0 || risks[0].Level == "" || risks[0].Level == "not rated" || len(risks[0].Assets) == 0 {
		t.Errorf("risk list --what risks json = %d %.300s", code, out)
	}
	out, _, code = run(t, nil, "risk", "list", "--org", "riverside", "--data", dir, "--what", "tasks", "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "id,task,risk,owner,due,status,overdue\n") ||
		!regexp.MustCompile(`Keep a weekly copy off site[^\n]*,Ransomware locks[^\n]*,sam\.okafor@riverside\.example,\d{4}-\d\d-\d\d,todo,yes`).MatchString(out) {
		t.Errorf("risk list --what tasks csv = %d %.800s", code, out)
	}
	out, _, code = run(t, nil, "risk", "list", "--org", "riverside", "--data", dir, "--what", "flows")
	if code != 0 || !strings.Contains(out, "ENCRYPTED IN TRANSIT") || !strings.Contains(out, "Fax-to-email service") {
		t.Errorf("risk list --what flows = %d %.600s", code, out)
	}

	// Usage mistakes.
	for _, args := range [][]string{
		{"risk", "list", "--data", dir},
		{"risk", "list", "--org", "riverside", "--data", dir, "--what", "people"},
		{"risk", "frobnicate", "--org", "riverside", "--data", dir},
		{"risk", "export", "--org", "riverside", "--data", dir},
		{"risk", "export", "--org", "riverside", "--data", dir, "--format", "pdf", "-o", "x.pdf"},
		{"risk", "import", "--org", "riverside", "--data", dir},
		{"risk", "import", "--org", "riverside", "--data", dir, good, "--map", "Device"},
	} {
		if _, _, code := run(t, nil, args...); code != exitUsage {
			t.Errorf("%v = %d, want %d", args, code, exitUsage)
		}
	}
	if _, errOut, code := run(t, nil, "risk", "list", "--org", "nowhere", "--data", dir); code != exitFailed || !strings.Contains(errOut, "no organisation") {
		t.Errorf("unknown org = %d %q", code, errOut)
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestProgressReader draws the bar as a file is read.
func TestProgressReader(t *testing.T) {
	var w bytes.Buffer
	p := &progressReader{r: strings.NewReader(strings.Repeat("x", 4096)), w: &w, total: 4096, start: time.Now()}
	buf := make([]byte, 1024)
	for {
		if _, err := p.Read(buf); err != nil {
			break
		}
	}
	p.done()
	if !strings.Contains(w.String(), "[####################] 100.0%") {
		t.Errorf("progress = %q", w.String())
	}
}
