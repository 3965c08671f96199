package report

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"path"
	"slices"
	"strings"
	"testing"
)

// docxPackage writes m as DOCX and returns its parts by name.
func docxPackage(t testing.TB, m *Model) map[string][]byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteDOCX(&buf, m); err != nil {
		t.Fatalf("WriteDOCX: %v", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("the DOCX is not a zip archive: %v", err)
	}
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := parts[f.Name]; dup {
			t.Errorf("part %s appears twice", f.Name)
		}
		parts[f.Name] = b
	}
	return parts
}

// docxPara is one paragraph of document.xml: its style and its text.
type docxPara struct {
	style, text string
}

// docxCellOut is one table cell as read back.
type docxCellOut struct {
	text, fill string
}

// docxTable is a table with the heading that came before it.
type docxTable struct {
	after  string
	rows   [][]docxCellOut
	header []bool
}

// readDocument reads document.xml back into paragraphs (outside tables
// and inside them) and tables.
func readDocument(t *testing.T, doc []byte) ([]docxPara, []docxTable) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var (
		paras     []docxPara
		tables    []docxTable
		cur       *docxPara
		inText    bool
		inRun     bool
		heading   string
		tblDepth  int
		tbl       *docxTable
		cellText  strings.Builder
		cellFill  string
		rowHeader bool
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("document.xml: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch tok.Name.Local {
			case "p":
				cur = &docxPara{}
			case "pStyle":
				if cur != nil {
					cur.style = attr(tok, "val")
				}
			case "t":
				inText = true
			case "r":
				inRun = true
			case "br":
				if cur != nil && attr(tok, "type") != "page" {
					cur.text += "\n"
				}
			case "tab":
				if cur != nil && inRun { // not a tab stop of the paragraph's properties
					cur.text += "\t"
				}
			case "tbl":
				tblDepth++
				tables = append(tables, docxTable{after: heading})
				tbl = &tables[len(tables)-1]
			case "tr":
				tbl.rows = append(tbl.rows, nil)
				rowHeader = false
			case "tblHeader":
				rowHeader = true
			case "tc":
				cellText.Reset()
				cellFill = ""
			case "shd":
				cellFill = attr(tok, "fill")
			}
		case xml.EndElement:
			switch tok.Name.Local {
			case "t":
				inText = false
			case "r":
				inRun = false
			case "p":
				if cur != nil {
					paras = append(paras, *cur)
					if strings.HasPrefix(cur.style, "Heading") {
						heading = cur.text
					}
					if tblDepth > 0 {
						if cellText.Len() > 0 {
							cellText.WriteString("\n")
						}
						cellText.WriteString(cur.text)
					}
				}
				cur = nil
			case "tc":
				r := &tbl.rows[len(tbl.rows)-1]
				*r = append(*r, docxCellOut{cellText.String(), cellFill})
			case "tr":
				tbl.header = append(tbl.header, rowHeader)
			case "tbl":
				tblDepth--
			}
		case xml.CharData:
			if inText && cur != nil {
				cur.text += string(tok)
			}
		}
	}
	return paras, tables
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func documentText(t *testing.T, paras []docxPara) string {
	t.Helper()
	var b strings.Builder
	for _, p := range paras {
		b.WriteString(p.text)
		b.WriteString("\n")
	}
	return b.String()
}

func headings(paras []docxPara, level string) []string {
	var out []string
	for _, p := range paras {
		if p.style == "Heading"+level {
			out = append(out, p.text)
		}
	}
	return out
}

func TestDOCXPackageIsValid(t *testing.T) {
	m := sampleModel()
	m.Draft = true
	parts := docxPackage(t, m)
	for name, b := range parts {
		if !strings.HasSuffix(name, ".xml") && !strings.HasSuffix(name, ".rels") {
			continue
		}
		dec := xml.NewDecoder(bytes.NewReader(b))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%s is not well-formed XML: %v", name, err)
				break
			}
		}
	}
	// Content types declare every part, and declare no part that is missing.
	var ct struct {
		Defaults []struct {
			Extension string `xml:"Extension,attr"`
		} `xml:"Default"`
		Overrides []struct {
			PartName    string `xml:"PartName,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Override"`
	}
	if err := xml.Unmarshal(parts["[Content_Types].xml"], &ct); err != nil {
		t.Fatalf("[Content_Types].xml: %v", err)
	}
	declared := map[string]string{}
	for _, o := range ct.Overrides {
		declared[o.PartName] = o.ContentType
		if _, ok := parts[strings.TrimPrefix(o.PartName, "/")]; !ok {
			t.Errorf("content types name %s, which the package lacks", o.PartName)
		}
	}
	var exts []string
	for _, d := range ct.Defaults {
		exts = append(exts, d.Extension)
	}
	for name := range parts {
		if name == "[Content_Types].xml" {
			continue
		}
		if _, ok := declared["/"+name]; !ok && !slices.Contains(exts, strings.TrimPrefix(path.Ext(name), ".")) {
			t.Errorf("part %s has no content type", name)
		}
	}
	if !strings.HasSuffix(declared["/word/document.xml"], "document.main+xml") {
		t.Errorf("word/document.xml content type = %q", declared["/word/document.xml"])
	}
	// Every relationship points at a part of the package.
	for rels, base := range map[string]string{"_rels/.rels": "", "word/_rels/document.xml.rels": "word/"} {
		var r struct {
			Rel []struct {
				ID     string `xml:"Id,attr"`
				Target string `xml:"Target,attr"`
			} `xml:"Relationship"`
		}
		if err := xml.Unmarshal(parts[rels], &r); err != nil {
			t.Fatalf("%s: %v", rels, err)
		}
		for _, rel := range r.Rel {
			if _, ok := parts[base+rel.Target]; !ok {
				t.Errorf("%s: %s points at %s, which the package lacks", rels, rel.ID, base+rel.Target)
			}
		}
	}
	doc := string(parts["word/document.xml"])
	for _, want := range []string{`r:id="rIdHeader"`, `r:id="rIdFooter"`, `TOC \o "1-2"`, "<w:tblHeader/>", "<w:cantSplit/>"} {
		if !strings.Contains(doc, want) {
			t.Errorf("document.xml lacks %s", want)
		}
	}
	styles := string(parts["word/styles.xml"])
	for i, id := range []string{"Heading1", "Heading2", "Heading3"} {
		want := `w:styleId="` + id + `"><w:name w:val="heading ` + itoa(i+1) + `"/>`
		if !strings.Contains(styles, want) || !strings.Contains(styles, `<w:outlineLvl w:val="`+itoa(i)+`"/>`) {
			t.Errorf("styles.xml lacks the built-in %s with outline level %d", id, i)
		}
	}
	if !strings.Contains(string(parts["word/settings.xml"]), `<w:updateFields w:val="true"/>`) {
		t.Error("settings.xml does not ask Word to update the contents on opening")
	}
	hdr := string(parts["word/header1.xml"])
	for _, want := range []string{"Riverside Family Practice", "DRAFT", "4 Dec 2026"} {
		if !strings.Contains(hdr, want) {
			t.Errorf("the header lacks %q", want)
		}
	}
	if ftr := string(parts["word/footer1.xml"]); !strings.Contains(ftr, `w:instr=" PAGE "`) {
		t.Error("the footer has no PAGE field")
	}
	if core := string(parts["docProps/core.xml"]); !strings.Contains(core, "<dc:title>"+m.Title+"</dc:title>") {
		t.Errorf("core.xml lacks the title: %s", core)
	}
}

func TestDOCXContents(t *testing.T) {
	m := sampleModel()
	parts := docxPackage(t, m)
	paras, tables := readDocument(t, parts["word/document.xml"])
	text := documentText(t, paras)
	want := []string{"Scope", "Method and risk scale", "Executive summary", "Asset inventory", "Data flows",
		"Assessment responses", "Addressable decisions", "Risk register and heat maps", "Risk details",
		"Risk management plan", "Evidence index", "Open items", "Audit log checkpoint"}
	if got := headings(paras, "1"); !slices.Equal(got, want) {
		t.Errorf("Heading 1s = %q, want %q", got, want)
	}
	var musts []string
	for _, e := range m.Entries {
		musts = append(musts, e.Citation+" "+e.Title, e.Narrative)
	}
	for _, d := range m.Decisions {
		musts = append(musts, d.Citation+" "+d.Title, d.Alternative)
		for _, f := range d.Factors {
			musts = append(musts, f.Label, f.Text)
		}
	}
	for _, r := range m.Risks {
		musts = append(musts, r.Title, r.LikelihoodWhy, r.ImpactWhy)
	}
	for _, tk := range m.Tasks {
		musts = append(musts, tk.Title)
	}
	for _, a := range m.Assets {
		musts = append(musts, a.Name)
	}
	for _, e := range m.Evidence {
		musts = append(musts, e.Title, e.SHA256)
	}
	for _, o := range m.OpenItems {
		musts = append(musts, o.Ref, o.Text)
	}
	for _, e := range m.Evidence {
		musts = append(musts, e.Entries...)
	}
	for _, tk := range m.Tasks {
		musts = append(musts, tk.Entries...)
	}
	musts = append(musts, m.MapText...)
	musts = append(musts, m.Audit.Root, m.Audit.Signature, m.Assessment.Attestation, m.Analysis.Scope,
		m.Risks[1].Acceptance.Reason, m.Risks[2].Party, "Rationale: "+longJustification)
	for _, s := range musts {
		if s != "" && !strings.Contains(text, s) {
			t.Errorf("the document lacks %.80q", s)
		}
	}
	// The checkpoint is kept line for line, to verify it again later.
	if !strings.Contains(text, strings.TrimRight(m.Audit.Text, "\n")) {
		t.Error("the document lacks the exported checkpoint text")
	}

	// Heat maps: the counts on their levels' colours.
	for _, c := range []struct {
		title string
		h     HeatMap
	}{{"Inherent risk", m.Inherent}, {"Current risk", m.Current}} {
		i := slices.IndexFunc(tables, func(tb docxTable) bool { return tb.after == c.title })
		if i < 0 {
			t.Fatalf("no table follows the heading %q", c.title)
		}
		tb := tables[i]
		nl := len(m.Scale.Likelihood)
		if len(tb.rows) != nl+1 || !tb.header[0] {
			t.Fatalf("%s: %d rows (header %v), want a header and %d", c.title, len(tb.rows), tb.header[0], nl)
		}
		for k := 1; k <= nl; k++ {
			l := nl - k
			row := tb.rows[k]
			if row[0].text != m.Scale.Likelihood[l].Label {
				t.Errorf("%s row %d is %q, want %q", c.title, k, row[0].text, m.Scale.Likelihood[l].Label)
			}
			for i := range m.Scale.Impact {
				got := row[i+1]
				wantFill := strings.ToUpper(strings.TrimPrefix(m.Scale.Levels[m.Scale.Matrix[l][i]].Colour, "#"))
				if got.text != itoa(c.h.Counts[l][i]) || got.fill != wantFill {
					t.Errorf("%s likelihood %d impact %d = %q on %s, want %d on %s", c.title, l+1, i+1, got.text, got.fill, c.h.Counts[l][i], wantFill)
				}
			}
		}
	}
	// Posture as a table.
	i := slices.IndexFunc(tables, func(tb docxTable) bool { return tb.after == "Compliance posture" })
	if i < 0 || len(tables[i].rows) != len(m.Posture)+1 {
		t.Fatalf("no posture table of %d rows", len(m.Posture)+1)
	}
	if row := tables[i].rows[2]; row[0].text != "Technical safeguards" || row[3].text != "1" || row[6].text != "3" {
		t.Errorf("posture row = %+v", row)
	}
	// Every table repeats its header row.
	for _, tb := range tables {
		if len(tb.rows) > 1 && !tb.header[0] && tb.after != "Heat maps" {
			t.Errorf("the table after %q has no repeated header row", tb.after)
		}
	}
}

func TestDOCXReplacesInvalidCharacters(t *testing.T) {
	m := sampleModel()
	m.Entries[0].Narrative = "before\x01mid\uFFFEafter\x00end"
	m.Risks[0].Title = "bad \xff byte & <tag>"
	parts := docxPackage(t, m)
	paras, _ := readDocument(t, parts["word/document.xml"])
	text := documentText(t, paras)
	for _, want := range []string{"before\uFFFDmid\uFFFDafter\uFFFDend", "bad \uFFFD byte & <tag>"} {
		if !strings.Contains(text, want) {
			t.Errorf("the document lacks %q", want)
		}
	}
}

func TestDOCXParts(t *testing.T) {
	m := sampleModel()
	m.Part = PartSummary
	paras, _ := readDocument(t, docxPackage(t, m)["word/document.xml"])
	if got := headings(paras, "1"); !slices.Equal(got, []string{"Executive summary"}) {
		t.Errorf("summary: Heading 1s = %q, want only the executive summary", got)
	}
	text := documentText(t, paras)
	if !strings.Contains(text, m.Title) || strings.Contains(text, longJustification) {
		t.Error("summary: want the cover and not the decision log")
	}

	m = sampleModel()
	m.Part = PartAsset
	m.Assets = []Asset{m.Assets[1]} // the backup drive
	paras, _ = readDocument(t, docxPackage(t, m)["word/document.xml"])
	text = documentText(t, paras)
	if got, want := headings(paras, "1"), []string{"Asset inventory", "Data flows", "Risks", "Risk details", "Risk management plan"}; !slices.Equal(got, want) {
		t.Errorf("asset: Heading 1s = %q, want %q", got, want)
	}
	for _, s := range []string{"Backup drive in the drawer", "Theft of the unencrypted backup drive", "Wipe and destroy the old drive", "Removable media"} {
		if !strings.Contains(text, s) {
			t.Errorf("asset: lacks %q", s)
		}
	}
	for _, s := range []string{"Ransomware on the clinic workstations", "Turn on automatic updates", "SFTP"} {
		if strings.Contains(text, s) {
			t.Errorf("asset: holds %q, which belongs to another asset", s)
		}
	}
}

func BenchmarkDOCX(b *testing.B) {
	m := officeLargeModel(10000, 20000)
	base := officeBaseline(b, m)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteDOCX(&buf, m); err != nil {
			b.Fatal(err)
		}
		n = buf.Len()
	}
	b.ReportMetric(float64(n), "bytes/file")
	reportRatio(b, base)
}
