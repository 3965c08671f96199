package riskweb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
	"github.com/xuri/excelize/v2"
)

// writeFile writes a file in a temporary folder and reads it back, as a
// person would save one and upload it.
func writeFile(t *testing.T, name, content string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeXLSX writes rows as an XLSX workbook in a temporary folder with
// excelize, and reads it back.
func writeXLSX(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "assets.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

const goodCSV = "Asset name,Type,Owner (email),Encrypted at rest,Approximate records\n" +
	"Cloud EHR,Electronic health record,PRIYA@example.org,Yes,\"12,000\"\n" +
	"Front desk PC,Workstation,,No,0\n" +
	"Billing laptop,laptop,priya@example.org,Partly,300\n"

// sendFile posts a file as the body of an API import.
func sendFile(t *testing.T, c *webtest.Client, path, contentType string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	return c.Do(t, http.MethodPost, path, contentType, bytes.NewReader(data))
}

func decodeImport(t *testing.T, w *httptest.ResponseRecorder, want int) importAnswer {
	t.Helper()
	var out importAnswer
	if w.Code != want {
		t.Fatalf("status = %d, want %d: %.600s", w.Code, want, w.Body.String())
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer: %v: %.300s", err, w.Body.String())
	}
	return out
}

// TestImportPage checks a good file, then imports it: the owner given by
// email (in any case) becomes the member.
func TestImportPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newInventoryFixture(t, db)
		const path = "/orgs/riverside/inventory/import"
		webtest.WantPage(t, f.priya.Get(t, path), http.StatusOK, "Import assets", "template.xlsx")
		data := writeFile(t, "assets.csv", goodCSV)

		w := webtest.FormPost(t, f.priya, path, map[string]string{"step": "check"}, "assets.csv", data)
		webtest.WantPage(t, w, http.StatusOK, "Every row can be imported: 3 assets", "Import 3 assets",
			`name="header.2" value="Owner (email)"`, `<option value="owner" selected>`)
		if n := countAssets(t, db, f.org.ID); n != 0 {
			t.Fatalf("assets after the check = %d, want 0", n)
		}

		// The import sends the file again with the mapping the page showed.
		fields := map[string]string{"step": "import"}
		for i, h := range []string{"Asset name", "Type", "Owner (email)", "Encrypted at rest", "Approximate records"} {
			fields[fmt.Sprintf("header.%d", i)] = h
			fields[fmt.Sprintf("field.%d", i)] = []string{"name", "kind", "owner", "encrypted_at_rest", "records"}[i]
		}
		w = webtest.FormPost(t, f.priya, path, fields, "assets.csv", data)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/orgs/riverside/inventory?imported=3" {
			t.Fatalf("import = %d %q: %.400s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		webtest.WantPage(t, f.priya.Get(t, "/orgs/riverside/inventory?imported=3"), http.StatusOK, "Imported 3 assets", "Billing laptop")
		list, _, err := db.Assets(t.Context(), f.org.ID, store.AssetFilter{}, store.Page{})
		if err != nil || len(list) != 3 {
			t.Fatalf("assets = %v, %v", list, err)
		}
		for _, a := range list {
			if a.Name == "Cloud EHR" && (a.OwnerID != f.priyaID || a.Records != 12000 || a.AtRest != risk.EncryptionYes) {
				t.Errorf("Cloud EHR = %+v", a)
			}
		}
		webtest.FindAudit(t, db, "risk.asset.import", "imported 3 assets")
	})
}

// TestImportBadRows: a file with bad rows imports nothing and lists each
// row; an owner of another organisation is a row problem; changing the
// mapping (leaving a column out) fixes what the column broke.
func TestImportBadRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newInventoryFixture(t, db)
		const path = "/orgs/riverside/inventory/import"
		data := writeFile(t, "bad.csv", "Name,Type,Owner,Encrypted,Records\n"+
			"Cloud EHR,ehr,priya@example.org,yes,10\n"+
			"Mystery box,spaceship,,no,1\n"+
			"Their laptop,laptop,eve@example.org,no,5\n"+
			"Old drive,removable media,,maybe,-4\n")
		w := webtest.FormPost(t, f.priya, path, map[string]string{"step": "check"}, "bad.csv", data)
		webtest.WantPage(t, w, http.StatusOK, "problems stop the import", "would add 1 asset",
			`<td data-label="Row">3</td>`, "spaceship", // row 3: the type
			`<td data-label="Row">4</td>`, "no member of this organisation has the email eve@example.org",
			`<td data-label="Row">5</td>`, "maybe", "-4")
		if strings.Contains(w.Body.String(), "Import 1 asset") {
			t.Error("the page offers to import a file with bad rows")
		}

		// Asking to import anyway saves nothing, and says so.
		w = webtest.FormPost(t, f.priya, path, map[string]string{"step": "import"}, "bad.csv", data)
		webtest.WantPage(t, w, http.StatusUnprocessableEntity, "Nothing was imported")
		if n := countAssets(t, db, f.org.ID); n != 0 {
			t.Fatalf("assets after a refused import = %d, want 0", n)
		}

		// The API answers the same problems, with their rows.
		out := decodeImport(t, sendFile(t, f.priya, "/api/v1/orgs/riverside/assets/import", "text/csv", data), http.StatusUnprocessableEntity)
		rows := map[int]bool{}
		for _, p := range out.Rows {
			rows[p.Row] = true
		}
		if !rows[3] || !rows[4] || !rows[5] || rows[2] || out.Error == nil || out.WouldAdd != 1 {
			t.Errorf("API answer = %+v", out)
		}
		if n := countAssets(t, db, f.org.ID); n != 0 {
			t.Fatalf("assets after a refused API import = %d, want 0", n)
		}

		// Leaving out the Encrypted and Records columns and fixing the
		// rest by mapping: a file whose only bad column is left out.
		data = writeFile(t, "fixable.csv", "Name,Type,Encrypted\nCloud EHR,ehr,yes\nOld drive,removable media,maybe\n")
		w = webtest.FormPost(t, f.priya, path, map[string]string{"step": "check"}, "fixable.csv", data)
		webtest.WantPage(t, w, http.StatusOK, "1 problem stops the import")
		mapping := map[string]string{"header.0": "Name", "field.0": "name", "header.1": "Type", "field.1": "kind", "header.2": "Encrypted", "field.2": ""}
		mapping["step"] = "check"
		w = webtest.FormPost(t, f.priya, path, mapping, "fixable.csv", data)
		webtest.WantPage(t, w, http.StatusOK, "Every row can be imported: 2 assets", `name="field.2"`)
		mapping["step"] = "import"
		if w = webtest.FormPost(t, f.priya, path, mapping, "fixable.csv", data); w.Code != http.StatusSeeOther {
			t.Fatalf("import with the mapping = %d: %.400s", w.Code, w.Body.String())
		}
		if n := countAssets(t, db, f.org.ID); n != 2 {
			t.Fatalf("assets = %d, want 2", n)
		}

		// Two columns chosen for one field is a problem, not a guess.
		mapping = map[string]string{"step": "check", "header.0": "Name", "field.0": "name", "header.1": "Type", "field.1": "name", "header.2": "Encrypted", "field.2": ""}
		w = webtest.FormPost(t, f.priya, path, mapping, "fixable.csv", data)
		webtest.WantPage(t, w, http.StatusUnprocessableEntity, "choose one of them")

		// No file, and a file that is not a spreadsheet.
		webtest.WantPage(t, webtest.FormPost(t, f.priya, path, map[string]string{"step": "check"}, "", nil), http.StatusUnprocessableEntity, "Choose the file to import")
		w = webtest.FormPost(t, f.priya, path, map[string]string{"step": "check"}, "x.xlsx", []byte("PK\x03\x04 not really"))
		webtest.WantPage(t, w, http.StatusUnprocessableEntity, "not an XLSX workbook")
	})
}

// TestImportXLSXAndAPI imports an XLSX workbook written with excelize
// through the API, after a dry run, with a mapping given in the query.
func TestImportXLSXAndAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newInventoryFixture(t, db)
		data := writeXLSX(t, [][]any{
			{"Device", "Sort", "Who looks after it", "Records"},
			{"Dr Lee's laptop", "Laptop", "priya@example.org", 250},
			{"Server closet", "Room", "", ""},
		})
		const base = "/api/v1/orgs/riverside/assets/import"
		q := "?map=" + strings.ReplaceAll("Device=name,Sort=kind,Who looks after it=owner", " ", "%20")
		out := decodeImport(t, sendFile(t, f.priya, base+q+"&dry_run=true", xlsxType, data), http.StatusOK)
		if !out.DryRun || out.WouldAdd != 2 || len(out.Rows) != 0 || countAssets(t, db, f.org.ID) != 0 {
			t.Fatalf("dry run = %+v", out)
		}
		out = decodeImport(t, sendFile(t, f.priya, base+q, xlsxType, data), http.StatusCreated)
		if len(out.Items) != 2 || out.Items[0].ID == 0 || countAssets(t, db, f.org.ID) != 2 {
			t.Fatalf("import = %+v", out)
		}
		for _, a := range out.Items {
			if a.Kind == risk.Kind("laptop") && (a.OwnerID != f.priyaID || a.Records != 250) {
				t.Errorf("laptop = %+v", a)
			}
		}
		// Bad requests.
		if w := sendFile(t, f.priya, base+"?dry_run=perhaps", "text/csv", []byte(goodCSV)); w.Code != http.StatusBadRequest {
			t.Errorf("dry_run=perhaps = %d", w.Code)
		}
		if w := sendFile(t, f.priya, base+"?map=Device%3Dspaceship", "text/csv", []byte(goodCSV)); w.Code != http.StatusBadRequest {
			t.Errorf("a bad map = %d", w.Code)
		}
		if w := sendFile(t, f.priya, base, "application/x-www-form-urlencoded", []byte("a=b")); w.Code != http.StatusUnsupportedMediaType {
			t.Errorf("a form body = %d", w.Code)
		}
		if w := sendFile(t, f.priya, base, "text/csv", []byte("")); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("an empty body = %d", w.Code)
		}
	})
}

// TestImportTenThousandRows imports 10,000 rows through the API (a body
// over the default limit of a form) and through the page.
func TestImportTenThousandRows(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	db := storetest.SQLite(t)
	f := newInventoryFixture(t, db)
	var b strings.Builder
	b.WriteString("Asset name,Type,Owner (email),Kinds of ePHI,Approximate records,Maintains ePHI,Encrypted at rest,Notes\n")
	for i := range 10_000 {
		fmt.Fprintf(&b, "Workstation %05d,Workstation,priya@example.org,clinical notes; billing,%d,Yes,No,Imported in bulk to see that a large file runs in seconds\n", i, i%500)
	}
	data := writeFile(t, "big.csv", b.String())
	if len(data) <= 1<<20 {
		t.Fatalf("the file is %d bytes, want more than the default body limit", len(data))
	}
	out := decodeImport(t, sendFile(t, f.priya, "/api/v1/orgs/riverside/assets/import", "text/csv", data), http.StatusCreated)
	if len(out.Items) != 10_000 || countAllAssets(t, db, f.org.ID) != 10_000 {
		t.Fatalf("imported %d", len(out.Items))
	}
	w := webtest.FormPost(t, f.priya, "/orgs/riverside/inventory/import", map[string]string{"step": "check"}, "big.csv", data)
	webtest.WantPage(t, w, http.StatusOK, "Every row can be imported: 10000 assets")
}

func countAllAssets(t *testing.T, db *store.DB, orgID int64) int {
	t.Helper()
	n, after := 0, store.Key{}
	for {
		list, next, err := db.Assets(t.Context(), orgID, store.AssetFilter{}, store.Page{Limit: store.MaxPageLimit, After: after})
		if err != nil {
			t.Fatal(err)
		}
		n += len(list)
		if next == nil {
			return n
		}
		after = *next
	}
}

// TestImportAccess: a viewer cannot import; another organisation's member
// reaches neither the pages nor the downloads.
func TestImportAccess(t *testing.T) {
	db := storetest.SQLite(t)
	f := newInventoryFixture(t, db)
	data := writeFile(t, "assets.csv", goodCSV)
	for _, c := range []struct {
		who  *webtest.Client
		name string
		want int
	}{{f.lena, "viewer", http.StatusForbidden}, {f.eve, "outsider", http.StatusNotFound}} {
		if w := c.who.Get(t, "/orgs/riverside/inventory/import"); w.Code != c.want {
			t.Errorf("%s GET import = %d, want %d", c.name, w.Code, c.want)
		}
		if w := webtest.FormPost(t, c.who, "/orgs/riverside/inventory/import", map[string]string{"step": "import"}, "assets.csv", data); w.Code != c.want {
			t.Errorf("%s POST import = %d, want %d", c.name, w.Code, c.want)
		}
		if w := sendFile(t, c.who, "/api/v1/orgs/riverside/assets/import", "text/csv", data); w.Code != c.want {
			t.Errorf("%s API import = %d, want %d", c.name, w.Code, c.want)
		}
	}
	for _, p := range []string{"/orgs/riverside/inventory/export.csv", "/orgs/riverside/inventory/export.xlsx",
		"/orgs/riverside/inventory/template.csv", "/orgs/riverside/inventory/template.xlsx", "/api/v1/orgs/riverside/assets/export"} {
		if w := f.eve.Get(t, p); w.Code != http.StatusNotFound {
			t.Errorf("outsider GET %s = %d, want 404", p, w.Code)
		}
		if w := f.lena.Get(t, p); w.Code != http.StatusOK {
			t.Errorf("viewer GET %s = %d, want 200", p, w.Code)
		}
	}
	if n := countAssets(t, db, f.org.ID); n != 0 {
		t.Fatalf("assets = %d, want 0", n)
	}
	// The inventory page links the import for those who may write only.
	webtest.WantPage(t, f.priya.Get(t, "/orgs/riverside/inventory"), http.StatusOK, `href="/orgs/riverside/inventory/import"`, "export.xlsx")
	if w := f.lena.Get(t, "/orgs/riverside/inventory"); strings.Contains(w.Body.String(), "/inventory/import") || !strings.Contains(w.Body.String(), "export.csv") {
		t.Error("the viewer's inventory page: want the exports and no import link")
	}
}

// TestExportRoundTrip exports the inventory as CSV and XLSX, from the page
// and the API, and reads each back through the importer unchanged.
func TestExportRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newInventoryFixture(t, db)
		ctx := t.Context()
		in := []risk.Asset{
			{Name: "=SUM(A1)", Kind: "ehr", OwnerID: f.priyaID, EPHI: []string{"clinical notes", "billing"}, Records: 1200,
				Use: risk.Use{Creates: true, Maintains: true}, AtRest: risk.EncryptionPartial, Hosting: risk.HostingCloud, Vendor: "Acme, Inc.",
				Criticality: risk.CriticalityHigh, Lifecycle: risk.LifecycleActive, Notes: "line one\nline two"},
			{Name: "Old drive", Kind: "removable_media", AtRest: risk.EncryptionNo, Lifecycle: risk.LifecycleRetired},
		}
		if _, err := db.CreateAssets(ctx, store.Actor{Name: "test"}, f.org.ID, in); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ path, ctype, disposition string }{
			{"/orgs/riverside/inventory/export.csv", "text/csv", ".csv"},
			{"/orgs/riverside/inventory/export.xlsx", xlsxType, ".xlsx"},
			{"/api/v1/orgs/riverside/assets/export?format=csv", "text/csv", ".csv"},
			{"/api/v1/orgs/riverside/assets/export?format=xlsx", xlsxType, ".xlsx"},
		} {
			w := f.lena.Get(t, c.path)
			if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), c.ctype) ||
				!strings.Contains(w.Header().Get("Content-Disposition"), "riverside-inventory-") || !strings.Contains(w.Header().Get("Content-Disposition"), c.disposition) {
				t.Fatalf("GET %s = %d %v", c.path, w.Code, w.Header())
			}
			body, _ := io.ReadAll(w.Body)
			ctype := "text/csv"
			if c.ctype == xlsxType {
				ctype = xlsxType
			}
			out := decodeImport(t, sendFile(t, f.priya, "/api/v1/orgs/riverside/assets/import?dry_run=true", ctype, body), http.StatusOK)
			if out.WouldAdd != 2 || len(out.Ignored) != 0 {
				t.Fatalf("%s read back: %+v", c.path, out)
			}
		}
		// The export through the importer gives the same assets.
		w := f.lena.Get(t, "/orgs/riverside/inventory/export.csv")
		other := newInventoryFixtureOrg(t, db, f)
		out := decodeImport(t, sendFile(t, f.priya, "/api/v1/orgs/"+other+"/assets/import", "text/csv", w.Body.Bytes()), http.StatusCreated)
		got := map[string]risk.Asset{}
		for _, a := range out.Items {
			got[a.Name] = a
		}
		for _, want := range in {
			g := got[want.Name]
			want.Normalize()
			if g.Kind != want.Kind || g.OwnerID != want.OwnerID || strings.Join(g.EPHI, "|") != strings.Join(want.EPHI, "|") || g.Records != want.Records ||
				g.Use != want.Use || g.AtRest != want.AtRest || g.Hosting != want.Hosting || g.Vendor != want.Vendor ||
				g.Criticality != want.Criticality || g.Lifecycle != want.Lifecycle || g.Notes != want.Notes {
				t.Errorf("round trip of %q = %+v, want %+v", want.Name, g, want)
			}
		}
		if w := f.lena.Get(t, "/api/v1/orgs/riverside/assets/export?format=pdf"); w.Code != http.StatusBadRequest {
			t.Errorf("format=pdf = %d", w.Code)
		}
	})
}

// newInventoryFixtureOrg adds a second organisation priya belongs to, so
// that an export of one imports into the other with the same owner.
func newInventoryFixtureOrg(t *testing.T, db *store.DB, f inventoryFixture) string {
	t.Helper()
	o, err := db.CreateOrg(t.Context(), store.Actor{Name: "test"}, identity.Org{Slug: "eastside", Name: "Eastside", Kind: identity.KindProvider})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetMember(t.Context(), store.Actor{Name: "test"}, o.ID, f.priyaID, identity.RoleContributor); err != nil {
		t.Fatal(err)
	}
	return o.Slug
}
