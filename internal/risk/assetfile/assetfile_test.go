package assetfile

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/xuri/excelize/v2"
)

var members = map[string]int64{"ana@riverside.example": 7, "ben@riverside.example": 8}

func owner(email string) (int64, bool) {
	id, ok := members[strings.ToLower(email)]
	return id, ok
}

func ownerEmail(id int64) string {
	for e, m := range members {
		if m == id {
			return e
		}
	}
	return ""
}

// readFile writes data to a file in a temporary folder and reads it back as
// an upload would be.
func readFile(t *testing.T, name string, data []byte, opt Options) Result {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := data[:min(len(data), 8)]
	res, err := Read(f, FormatOf(name, head), opt)
	if err != nil {
		t.Fatalf("Read(%s) error: %v", name, err)
	}
	return res
}

func TestReadCSVDialects(t *testing.T) {
	// A semicolon-separated file with a byte order mark, as a European
	// spreadsheet saves it, headers as HHS's SRA Tool's asset list words
	// them, a combined use column, and a quoted note over two lines.
	file := "\uFEFFAsset Name;Asset Type;Asset Location;Asset Owner;ePHI;Number of Records;Creates/Receives/Maintains/Transmits;Encryption;Hosted;Vendor Name;Criticality;Status;Comments\r\n" +
		"Cloud EHR;EHR;Cloud;ana@riverside.example;clinical notes, billing;\"12,400\";C/R/M/T;Yes;Cloud;Acme Health;High;Active;\"Renewed in May;\nBAA on file\"\r\n" +
		";;;;;;;;;;;;\r\n" +
		"Old backup drive;USB drive;Office drawer;;clinical notes;3000;M;no;on site;;medium;retired;\r\n"
	res := readFile(t, "assets.csv", []byte(file), Options{Owner: owner})
	if !res.OK() {
		t.Fatalf("problems: %v", res.Problems)
	}
	if len(res.Assets) != 2 || !reflect.DeepEqual(res.Rows, []int{2, 4}) {
		t.Fatalf("read %d assets from rows %v, want 2 from rows [2 4]", len(res.Assets), res.Rows)
	}
	ehr, drive := res.Assets[0], res.Assets[1]
	want := risk.Asset{Name: "Cloud EHR", Kind: "ehr", Location: "Cloud", OwnerID: 7, EPHI: []string{"clinical notes", "billing"}, Records: 12400,
		Use: risk.Use{Creates: true, Receives: true, Maintains: true, Transmits: true}, AtRest: risk.EncryptionYes, Hosting: risk.HostingCloud,
		Vendor: "Acme Health", Criticality: risk.CriticalityHigh, Lifecycle: risk.LifecycleActive, Notes: "Renewed in May;\nBAA on file"}
	if !reflect.DeepEqual(ehr, want) {
		t.Errorf("row 2 = %+v\nwant %+v", ehr, want)
	}
	if drive.Kind != "removable_media" || drive.AtRest != risk.EncryptionNo || drive.Lifecycle != risk.LifecycleRetired || !drive.Use.Maintains || drive.Use.Creates {
		t.Errorf("row 4 = %+v", drive)
	}
	if res.Columns[ColUse] != "Creates/Receives/Maintains/Transmits" || res.Columns[ColName] != "Asset Name" {
		t.Errorf("columns = %v", res.Columns)
	}
}

func TestReadTabsAndMapping(t *testing.T) {
	file := "Thing\tWhat\tWho\tExtra\nFront desk PC\tWorkstation\tben@riverside.example\tx\n"
	res := readFile(t, "assets.txt", []byte(file), Options{Owner: owner, Mapping: map[Column]string{ColName: "thing", ColKind: "WHAT", ColOwner: "Who"}})
	if !res.OK() || len(res.Assets) != 1 {
		t.Fatalf("problems %v, assets %v", res.Problems, res.Assets)
	}
	if a := res.Assets[0]; a.Name != "Front desk PC" || a.Kind != "workstation" || a.OwnerID != 8 {
		t.Errorf("asset = %+v", a)
	}
	if !reflect.DeepEqual(res.Ignored, []string{"Extra"}) {
		t.Errorf("Ignored = %v, want [Extra]", res.Ignored)
	}
	// A mapping to "" leaves a detected column out.
	file = "Asset name,Type,Notes\nFax,fax,=1+2\n"
	res = readFile(t, "a.csv", []byte(file), Options{Mapping: map[Column]string{ColNotes: ""}})
	if !res.OK() || res.Assets[0].Notes != "" {
		t.Errorf("mapping notes to \"\": problems %v, notes %q", res.Problems, res.Assets[0].Notes)
	}
}

func TestReadBadRows(t *testing.T) {
	header := "Asset name,Type,Owner (email),Approximate records,Creates ePHI,Encrypted at rest,Hosting,Criticality,Status,Last reviewed,Kinds of ePHI\n"
	rows := []struct {
		row                     string
		column, messageContains string
	}{
		{",laptop,,,,,,,,,", "Asset name", "is required"},
		{"Laptop 1,spaceship,,,,,,,,,", "Type", `"spaceship" is not a type`},
		{"Laptop 2,,,,,,,,,,", "Type", "is required"},
		{"Laptop 3,laptop,nobody@elsewhere.example,,,,,,,,", "Owner (email)", "no member of this organisation has the email nobody@elsewhere.example"},
		{"Laptop 4,laptop,Ana,,,,,,,,", "Owner (email)", "is not an email address"},
		{"Laptop 5,laptop,,lots,,,,,,,", "Approximate records", `"lots" is not a whole number`},
		{"Laptop 6,laptop,,-4,,,,,,,", "Approximate records", "is not a whole number"},
		{"Laptop 7,laptop,,,maybe,,,,,,", "Creates ePHI", `"maybe" is not Yes or No`},
		{"Laptop 8,laptop,,,,sort of,,,,,", "Encrypted at rest", "is not Yes, Partly, No or Not known"},
		{"Laptop 9,laptop,,,,,the moon,,,,", "Hosting", "is not On site, Cloud or Business associate"},
		{"Laptop 10,laptop,,,,,,extreme,,,", "Criticality", "is not Low, Medium or High"},
		{"Laptop 11,laptop,,,,,,,lost,,", "Status", "is not Active, Planned or Retired"},
		{"Laptop 12,laptop,,,,,,,,yesterday,", "Last reviewed", "is not a date"},
		{strings.Repeat("n", risk.MaxName+1) + ",laptop,,,,,,,,,", "Asset name", "at most 200 characters"},
		{"Laptop 13,laptop,,,,,,,,,\"" + manyKinds() + "\"", "Kinds of ePHI", "at most 50 kinds"},
		{"Laptop \"14\",laptop,,,,,,,,,", "", "quotation mark"},
	}
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("Good laptop,laptop,ana@riverside.example,10,yes,yes,on site,high,active,2025-03-31,notes\n")
	for _, r := range rows {
		b.WriteString(r.row + "\n")
	}
	res := readFile(t, "bad.csv", []byte(b.String()), Options{Owner: owner})
	if len(res.Assets) != 1 || res.Assets[0].Name != "Good laptop" || !res.Assets[0].Reviewed.Equal(time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("assets = %+v, want only the good laptop", res.Assets)
	}
	if res.OK() {
		t.Fatal("OK() = true with bad rows")
	}
	byRow := map[int][]Problem{}
	for _, p := range res.Problems {
		byRow[p.Row] = append(byRow[p.Row], p)
	}
	for i, r := range rows {
		n := i + 3
		ps := byRow[n]
		found := false
		for _, p := range ps {
			if p.Column == r.column && strings.Contains(p.Message, r.messageContains) {
				found = true
			}
		}
		if !found {
			t.Errorf("row %d (%q): problems %v, want %s: …%s…", n, r.row, ps, r.column, r.messageContains)
		}
	}
	if len(byRow) != len(rows) {
		t.Errorf("problems on %d rows, want %d: %v", len(byRow), len(rows), res.Problems)
	}
}

func TestReadBadFiles(t *testing.T) {
	for _, c := range []struct {
		name, file, want string
	}{
		{"empty", "", "the file is empty"},
		{"header only", "Asset name,Type\n", "no assets"},
		{"no type column", "Asset name,Colour\nEHR,blue\n", "no column holds the type"},
		{"mapping to a missing column", "Asset name,Type\nEHR,ehr\n", `which the file does not have`},
	} {
		t.Run(c.name, func(t *testing.T) {
			opt := Options{}
			if c.name == "mapping to a missing column" {
				opt.Mapping = map[Column]string{ColVendor: "Supplier name"}
			}
			res := readFile(t, "f.csv", []byte(c.file), opt)
			if res.OK() || len(res.Assets) > 0 && c.name != "mapping to a missing column" || !strings.Contains(fmt.Sprint(res.Problems), c.want) {
				t.Errorf("problems = %v, want one saying %q", res.Problems, c.want)
			}
		})
	}
	if _, err := ReadXLSX(strings.NewReader("not a zip"), Options{}); err == nil || !strings.Contains(err.Error(), "not an XLSX workbook") {
		t.Errorf("ReadXLSX(not a zip) error = %v", err)
	}
	big := &repeatReader{line: []byte("a very long header ")}
	if _, err := ReadCSV(big, Options{}); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("ReadCSV(endless) error = %v, want too large", err)
	}
	rows := io.MultiReader(strings.NewReader("Asset name,Type\n"), &repeatReader{line: []byte("PC,workstation\n")})
	res, err := ReadCSV(rows, Options{})
	if err != nil || res.OK() || len(res.Assets) > MaxRows || !strings.Contains(fmt.Sprint(res.Problems), "more than 50000 rows") {
		t.Errorf("ReadCSV(endless rows) = %d assets, problems %v, error %v; want a problem of too many rows", len(res.Assets), res.Problems, err)
	}
}

// repeatReader repeats line for ever.
type repeatReader struct {
	line []byte
	at   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.line[r.at]
		r.at = (r.at + 1) % len(r.line)
	}
	return len(p), nil
}

func sampleAssets(n int) []risk.Asset {
	kinds := risk.Kinds()
	var out []risk.Asset
	for i := range n {
		a := risk.Asset{
			Name: fmt.Sprintf("Asset %05d", i), Kind: kinds[i%len(kinds)], Location: "Main clinic", EPHI: []string{"clinical notes", "billing"},
			Records: i * 3, Use: risk.Use{Creates: i%2 == 0, Receives: i%3 == 0, Maintains: true, Transmits: i%5 == 0},
			AtRest: risk.Encryptions()[i%4], Hosting: risk.Hostings()[i%3], Vendor: "Acme", Criticality: risk.CriticalityHigh,
			Lifecycle: risk.LifecycleActive, Notes: "line one\nline two", Reviewed: time.Date(2025, 1, 1+i%28, 0, 0, 0, 0, time.UTC),
		}
		if i%2 == 1 {
			a.OwnerID = 8
		}
		if i == 1 {
			a.Notes = "=cmd|' /C calc'!A0"
			a.Vendor = "@vendor"
		}
		a.Normalize()
		out = append(out, a)
	}
	return out
}

func TestExportImportRoundTrip(t *testing.T) {
	assets := sampleAssets(60)
	for _, f := range []Format{CSV, XLSX} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			write := WriteCSV
			if f == XLSX {
				write = WriteXLSX
			}
			if err := write(&buf, assets, ownerEmail); err != nil {
				t.Fatal(err)
			}
			if f == CSV && strings.Contains(buf.String(), "\n=cmd") || strings.Contains(buf.String(), ",=cmd") {
				t.Error("the CSV export carries a formula")
			}
			res := readFile(t, "export."+string(f), buf.Bytes(), Options{Owner: owner})
			if !res.OK() {
				t.Fatalf("problems: %v", res.Problems)
			}
			if !reflect.DeepEqual(res.Assets, assets) {
				for i := range assets {
					if !reflect.DeepEqual(res.Assets[i], assets[i]) {
						t.Fatalf("asset %d read back as %+v\nwant %+v", i, res.Assets[i], assets[i])
					}
				}
				t.Fatalf("read back %d assets, want %d", len(res.Assets), len(assets))
			}
		})
	}
}

func TestXLSXLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, sampleAssets(3), ownerEmail); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{SheetAssets, SheetHelp}) {
		t.Errorf("sheets = %v", got)
	}
	panes, err := f.GetPanes(SheetAssets)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes = %+v, %v; want the header row frozen", panes, err)
	}
	filtered := false
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" && strings.Contains(dn.RefersTo, "$A$1:$Q$4") {
			filtered = true
		}
	}
	if !filtered {
		t.Errorf("no filter over A1:Q4: %+v", f.GetDefinedName())
	}
	if w, err := f.GetColWidth(SheetAssets, "A"); err != nil || w != 30 {
		t.Errorf("column A width = %v, %v; want 30", w, err)
	}
	if v, _ := f.GetCellValue(SheetAssets, "A1"); v != "Asset name" {
		t.Errorf("A1 = %q", v)
	}
}

func TestTemplate(t *testing.T) {
	for _, f := range []Format{CSV, XLSX} {
		var buf bytes.Buffer
		if err := WriteTemplate(&buf, f); err != nil {
			t.Fatal(err)
		}
		res := readFile(t, "template."+string(f), buf.Bytes(), Options{})
		if len(res.Columns) != len(Columns()) || len(res.Ignored) != 0 {
			t.Errorf("%s template: columns %v, ignored %v; want every column detected", f, res.Columns, res.Ignored)
		}
		if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Message, "no assets") {
			t.Errorf("%s template: problems %v, want only that it has no assets", f, res.Problems)
		}
	}
}

// TestReadXLSXByHand reads a workbook made the way a person makes one:
// numbers and booleans as cells of their type, dates as dates, headers of
// their own words.
func TestReadXLSXByHand(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"System", "Category", "Records", "Stores ePHI", "Encrypted", "Reviewed", "Owner"},
		{"Lab interface", "HL7", 1200, true, "yes", time.Date(2024, 11, 5, 0, 0, 0, 0, time.UTC), "ana@riverside.example"},
		{"Phone", "Smartphone", 1.5, false, "no", nil, ""},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	res := readFile(t, "mine.xlsx", buf.Bytes(), Options{Owner: owner})
	if len(res.Assets) != 1 {
		t.Fatalf("assets %+v, problems %v", res.Assets, res.Problems)
	}
	a := res.Assets[0]
	if a.Kind != "interface" || a.Records != 1200 || !a.Use.Maintains || a.AtRest != risk.EncryptionYes || a.OwnerID != 7 ||
		!a.Reviewed.Equal(time.Date(2024, 11, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("row 2 = %+v", a)
	}
	if len(res.Problems) != 1 || res.Problems[0].Row != 3 || res.Problems[0].Column != "Records" {
		t.Errorf("problems = %v, want row 3's records", res.Problems)
	}
}

// TestRead10000Rows reads a file of 10,000 assets in each format.
func TestRead10000Rows(t *testing.T) {
	if testing.Short() {
		t.Skip("large file")
	}
	assets := sampleAssets(10_000)
	for _, f := range []Format{CSV, XLSX} {
		var buf bytes.Buffer
		write := WriteCSV
		if f == XLSX {
			write = WriteXLSX
		}
		if err := write(&buf, assets, ownerEmail); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res, err := Read(bytes.NewReader(buf.Bytes()), f, Options{Owner: owner})
		if err != nil || !res.OK() || len(res.Assets) != len(assets) {
			t.Fatalf("%s: %d assets, %d problems, %v", f, len(res.Assets), len(res.Problems), err)
		}
		t.Logf("%s: %d rows (%d KB) in %v", f, len(assets), buf.Len()>>10, time.Since(start).Round(time.Millisecond))
	}
}

func BenchmarkRead10000(b *testing.B) {
	assets := sampleAssets(10_000)
	for _, f := range []Format{CSV, XLSX} {
		var buf bytes.Buffer
		write := WriteCSV
		if f == XLSX {
			write = WriteXLSX
		}
		if err := write(&buf, assets, ownerEmail); err != nil {
			b.Fatal(err)
		}
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Read(bytes.NewReader(buf.Bytes()), f, Options{Owner: owner}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzReadCSV reads any bytes as CSV: it never panics, never returns an
// asset the validator refuses, and accounts for every asset by a row.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("Asset name,Type\nEHR,ehr\n"))
	f.Add([]byte("\uFEFFAsset Name;Asset Type;Records\n\"a\nb\";laptop;1,200\n"))
	f.Add([]byte("name,kind,owner,records,use,encrypted,last reviewed\nx,phone,a@b,9,CRMT,partly,45000\n"))
	f.Add([]byte("a\"b,c\n\"d"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ReadCSV(bytes.NewReader(data), Options{Owner: owner})
		if err != nil {
			return
		}
		if len(res.Assets) != len(res.Rows) {
			t.Fatalf("%d assets from %d rows", len(res.Assets), len(res.Rows))
		}
		for i, a := range res.Assets {
			if err := a.Validate(); err != nil {
				t.Fatalf("row %d accepted, but the validator refuses it: %v", res.Rows[i], err)
			}
			b := a
			b.Normalize()
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("row %d accepted unnormalised: %+v", res.Rows[i], a)
			}
			for _, p := range res.Problems {
				if p.Row == res.Rows[i] {
					t.Fatalf("row %d both accepted and refused (%v)", p.Row, p)
				}
			}
		}
	})
}

func manyKinds() string {
	var b strings.Builder
	for i := range risk.MaxItems + 1 {
		fmt.Fprintf(&b, "kind %d;", i)
	}
	return b.String()
}

func TestParseMapping(t *testing.T) {
	got, err := ParseMapping("Device=name, Sort = kind,Who=Owner (email)")
	want := map[Column]string{ColName: "Device", ColKind: "Sort", ColOwner: "Who"}
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("ParseMapping = %v, %v, want %v", got, err, want)
	}
	for _, bad := range []string{"Device", "Device=spaceship", "=name", "A=name,B=name"} {
		if _, err := ParseMapping(bad); err == nil {
			t.Errorf("ParseMapping(%q) = nil error", bad)
		}
	}
	if got, err := ParseMapping(" "); got != nil || err != nil {
		t.Errorf("ParseMapping(blank) = %v, %v", got, err)
	}
}
