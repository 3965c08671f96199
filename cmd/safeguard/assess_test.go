package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/demo"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

// TestAssessCLI loads the demo into a fresh data folder and reads its
// assessments back through `safeguard assess`.
func TestAssessCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, errOut, code := run(t, nil, "init", "--data", dir); code != 0 {
		t.Fatalf("init = %d %s", code, errOut)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, dbFileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := crypt.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, db, identity.NewHasher(1, 64, 1, 4), keys); err != nil {
		t.Fatalf("demo.Load = %v", err)
	}
	db.Close()

	out, errOut, code := run(t, nil, "assess", "list", "--org", "riverside", "--data", dir, "--format", "json")
	var list []assess.AssessmentJSON
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 {
		t.Fatalf("assess list = %d %q %q", code, out, errOut)
	}
	current, last := list[0], list[1]
	if current.Status != assess.StatusDraft || last.Status != assess.StatusFinal || !last.InEffect || !last.RetainUntil.IsZero() {
		t.Errorf("demo assessments = %+v", list)
	}

	// The demo's story: last year's is complete and signed off, this year's
	// is half done with decisions missing; a new system is a trigger.
	out, _, code = run(t, nil, "assess", "show", "--org", "riverside", "--data", dir, "--id", itoa(last.ID), "--format", "json")
	var ex assessmentExport
	if code != 0 || json.Unmarshal([]byte(out), &ex) != nil {
		t.Fatalf("assess show json = %d %.300s", code, out)
	}
	if len(ex.Blockers) != 0 || ex.Posture.Overall.Unanswered != 0 || ex.Posture.Overall.Decisions["not_implemented"] != 0 || ex.Posture.Overall.Decisions["alternative"] < 3 {
		t.Errorf("last year's assessment: blockers %v, posture %+v", ex.Blockers, ex.Posture.Overall)
	}
	out, _, code = run(t, nil, "assess", "show", "--org", "riverside", "--data", dir)
	for _, want := range []string{"draft", "164.312(a)(2)(iv)", "MISSING", "Sign-off is blocked by", "has no documented decision", "overall"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("assess show (latest) = %d, want %q in:\n%s", code, want, out)
			break
		}
	}
	out, _, code = run(t, nil, "assess", "export", "--org", "riverside", "--data", dir, "--id", itoa(last.ID), "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) < 60 || rows[0][0] != "citation" {
		t.Fatalf("assess export csv = %d %v %d rows", code, err, len(rows))
	}
	found := false
	for _, r := range rows {
		if r[0] == "164.312(a)(2)(iv)" {
			found = strings.Contains(strings.Join(r, ","), "alternative") && strings.Contains(strings.Join(r, ","), "locked drawer")
		}
	}
	if !found {
		t.Error("export has no encryption decision recording its compensating measures as an equivalent alternative")
	}

	db, err = store.Open(ctx, filepath.Join(dir, dbFileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org, _ := db.Org(ctx, "riverside")
	p, err := db.OrgProfile(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := db.Assessments(ctx, org.ID)
	trig := assess.Triggers(p, all, db.Now())
	kinds := map[assess.TriggerKind]bool{}
	for _, tr := range trig {
		kinds[tr.Kind] = true
	}
	if !kinds[assess.TriggerAnnual] || !kinds[assess.TriggerSystem] || len(p.Officials) != 2 || p.Workforce != 14 {
		t.Errorf("demo profile %+v, triggers %+v", p, trig)
	}

	for _, tt := range []struct {
		args    []string
		code    int
		wantErr string
	}{
		{[]string{"assess", "list"}, 2, "--org is required"},
		{[]string{"assess", "frobnicate", "--org", "riverside"}, 2, "say list, show or export"},
		{[]string{"assess", "export", "--org", "riverside", "--format", "table"}, 2, `--format "table"`},
		{[]string{"assess", "show", "--org", "nowhere"}, 1, `no organisation "nowhere"`},
		{[]string{"assess", "show", "--org", "riverside", "--id", "99999"}, 1, "has no assessment 99999"},
	} {
		_, errOut, code := run(t, nil, append(tt.args, "--data", dir)...)
		if code != tt.code || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("safeguard %v = %d %q, want %d %q", tt.args, code, errOut, tt.code, tt.wantErr)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
