package reportweb_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/demo"
	"github.com/safeguard-health/safeguard/internal/report"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/reportweb"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// demoNow is the day the demo is loaded on in these tests, so that its
// dates, and the golden reports made from it, stay the same.
var demoNow = time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)

func loadDemo(t *testing.T, db *store.DB) *web.Server {
	t.Helper()
	ctx := context.Background()
	db.Now = func() time.Time { return demoNow }
	keys := webtest.Keyring(t)
	if _, err := demo.Load(ctx, db, webtest.Hasher, keys); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"tom.becker@audit.example", "lena.fischer@riverside.example", "jordan.lee@harbor-billing.example"} {
		u, err := db.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		hash, err := webtest.Hasher.Hash(ctx, webtest.Password)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetPassword(ctx, store.Actor{Name: "test"}, u.ID, hash, false, 0); err != nil {
			t.Fatal(err)
		}
	}
	return webtest.NewServer(t, db, web.Config{Capabilities: []web.Capability{reportweb.New()}, Keys: keys})
}

type storedJSON struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Format       string `json:"format"`
	Draft        bool   `json:"draft"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	AssessmentID int64  `json:"assessment_id"`
	FileURL      string `json:"file_url"`
}

// TestReports generates, keeps, lists and downloads the demo's reports in
// every format through the page and the API, as the auditor (read only),
// with bad input per field and the other organisation shut out.
func TestReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := loadDemo(t, db)
		tom := webtest.LoginFull(t, s, db, "tom.becker@audit.example", webtest.Password)
		jordan := webtest.LoginFull(t, s, db, "jordan.lee@harbor-billing.example", webtest.Password)
		const page, api = "/orgs/riverside/reports", "/api/v1/orgs/riverside/reports"

		webtest.WantPage(t, tom.Get(t, page), http.StatusOK, "Generate a report", "No report made yet.", "2025 risk analysis (signed off")

		// Bad input, per field: nothing kept.
		w := webtest.SendJSON(t, tom, "POST", api, `{"format":"rtf","part":"most","register":"x"}`)
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"format"`) || !strings.Contains(w.Body.String(), `"part"`) {
			t.Errorf("POST bad report = %d %s, want 422 on format and part", w.Code, w.Body)
		}
		w = webtest.SendJSON(t, tom, "POST", api, `{"format":"csv","register":"patients"}`)
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"register"`) {
			t.Errorf("POST csv of an unknown register = %d %s, want 422 on register", w.Code, w.Body)
		}
		w = webtest.SendJSON(t, tom, "POST", api, `{"format":"pdf","part":"asset"}`)
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"asset_id"`) {
			t.Errorf("POST asset report without an asset = %d %s, want 422 on asset_id", w.Code, w.Body)
		}
		w = webtest.SendJSON(t, tom, "POST", api, `{"format":"pdf","assessment_id":999999}`)
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"assessment_id"`) {
			t.Errorf("POST another assessment = %d %s, want 422 on assessment_id", w.Code, w.Body)
		}
		webtest.WantPage(t, webtest.PostForm(t, tom, page, url.Values{"format": {"pdf"}, "part": {"asset"}}), http.StatusUnprocessableEntity,
			"The asset is required for a one-asset report")
		if got := webtest.WalkAPI[storedJSON](t, tom, api, func(int) {}); len(got) != 0 {
			t.Fatalf("refused reports were kept: %d", len(got))
		}

		// Every format, made by the auditor, kept and downloadable whole.
		for _, f := range report.Formats() {
			var rec storedJSON
			webtest.MustJSON(t, webtest.SendJSON(t, tom, "POST", api, fmt.Sprintf(`{"format":%q,"register":"risks"}`, f.Key)), 201, &rec)
			if rec.Format != f.Key || !rec.Draft || rec.Size == 0 || !strings.HasSuffix(rec.Name, "-DRAFT"+f.Extension) {
				t.Errorf("%s report = %+v, want a draft of that format", f.Key, rec)
			}
			got := tom.Get(t, rec.FileURL)
			sum := sha256.Sum256(got.Body.Bytes())
			if got.Code != 200 || hex.EncodeToString(sum[:]) != rec.SHA256 || !strings.HasPrefix(got.Header().Get("Content-Type"), strings.Split(f.ContentType, ";")[0]) {
				t.Errorf("download %s = %d %s, %d bytes, want the kept report", f.Key, got.Code, got.Header().Get("Content-Type"), got.Body.Len())
			}
		}
		// The page: generate from the form, see it ready and listed.
		w = webtest.PostForm(t, tom, page, url.Values{"format": {"pdf"}, "part": {"summary"}})
		if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "ready=") {
			t.Fatalf("generate from the form = %d %s", w.Code, w.Header().Get("Location"))
		}
		// A browser does not send the fragment.
		ready := tom.Get(t, strings.Split(w.Header().Get("Location"), "#")[0])
		org, err := db.Org(context.Background(), "riverside")
		if err != nil {
			t.Fatal(err)
		}
		zone, err := time.LoadLocation(org.TimeZone)
		if err != nil {
			t.Fatal(err)
		}
		// Named for the day it was made where the organisation is.
		webtest.WantPage(t, ready, http.StatusOK, "Your report is ready", "riverside-summary-"+time.Now().In(zone).Format("2006-01-02")+"-DRAFT.pdf")

		// Another organisation's member finds nothing, the file included.
		if w := jordan.Get(t, page); w.Code != http.StatusNotFound {
			t.Errorf("another organisation's member GET %s = %d, want 404", page, w.Code)
		}
		list := webtest.WalkAPI[storedJSON](t, tom, api, func(int) {})
		if len(list) != len(report.Formats())+1 {
			t.Fatalf("kept reports = %d, want %d", len(list), len(report.Formats())+1)
		}
		if w := jordan.Get(t, list[0].FileURL); w.Code != http.StatusNotFound {
			t.Errorf("another organisation's member downloads a report: %d", w.Code)
		}
		if w := jordan.Get(t, strings.Replace(list[0].FileURL, "riverside", "harbor-billing", 1)); w.Code != http.StatusNotFound {
			t.Errorf("a report read through another organisation's address: %d", w.Code)
		}
		actions := strings.Join(webtest.AuditActions(t, db, list[0].ID*0+orgID(t, db, "riverside")), " ")
		if strings.Count(actions, "report.generate") != len(list) || strings.Count(actions, "report.download") != len(report.Formats()) {
			t.Errorf("audit = %s, want a generate per report and a download per file read", actions)
		}
	})
}

func orgID(t *testing.T, db *store.DB, slug string) int64 {
	t.Helper()
	o, err := db.Org(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}

// volatile are the parts of a demo report that differ from run to run:
// the audit checkpoint's hashes and signature (the key is made afresh).
var volatile = regexp.MustCompile(`[0-9a-f]{64}|[A-Za-z0-9+/]{80,}={0,2}`)

// TestDemoReportGolden keeps the demo's report model (JSON) and HTML in
// testdata: a change to what the demo's report says shows in review.
// Refresh with -update.
func TestDemoReportGolden(t *testing.T) {
	db := storetest.SQLite(t)
	loadDemo(t, db)
	ctx := context.Background()
	org, err := db.Org(ctx, "riverside")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, err := reportweb.Collect(ctx, db, cat, org, reportweb.Choice{Now: demoNow, PreparedBy: "Tom Becker", Part: report.PartFull})
	if err != nil {
		t.Fatal(err)
	}
	m.Audit = nil // signed with a key made afresh on every run
	if len(m.Assets) < 25 || len(m.Flows) < 9 || len(m.Risks) < 10 || len(m.Decisions) == 0 || len(m.Evidence) == 0 || m.Map == "" {
		t.Fatalf("demo model: %d assets, %d flows, %d risks, %d decisions, %d evidence, map %d bytes", len(m.Assets), len(m.Flows), len(m.Risks), len(m.Decisions), len(m.Evidence), len(m.Map))
	}
	for _, f := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"demo.json", func(b *bytes.Buffer) error { return report.WriteJSON(b, m) }},
		{"demo.html", func(b *bytes.Buffer) error { return report.WriteHTML(b, m) }},
	} {
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			t.Fatal(err)
		}
		got := volatile.ReplaceAll(b.Bytes(), []byte("…"))
		path := filepath.Join("testdata", f.name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file (run with -update and review the diff)", f.name)
		}
	}
	// The model's JSON carries the demo's story whole.
	var doc map[string]any
	var b bytes.Buffer
	if err := report.WriteJSON(&b, m); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Riverside Family Practice", "backup drive", "fax"} {
		if !strings.Contains(strings.ToLower(b.String()), strings.ToLower(want)) {
			t.Errorf("the demo's report does not mention %q", want)
		}
	}
}
