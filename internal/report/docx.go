package report

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/safeguard-health/safeguard/internal/risk"
)

// The DOCX is WordprocessingML written by hand: no maintained Go library
// writes it, and the report needs only paragraphs, styles, tables, fields,
// one header and one footer. document.xml is streamed into the archive, so
// a register of tens of thousands of risks is never held as a tree.

// Page geometry in twentieths of a point: US Letter, 0.75-inch margins.
const (
	docxPageW   = 12240
	docxPageH   = 15840
	docxMargin  = 1080
	docxTextW   = docxPageW - 2*docxMargin
	docxNSMain  = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	docxNSRel   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	docxNSPkRel = "http://schemas.openxmlformats.org/package/2006/relationships"
)

// docxParts are the package's parts with their content types, in the
// order they are written; [Content_Types].xml declares every one.
var docxParts = []struct{ name, contentType string }{
	{"word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"},
	{"word/styles.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"},
	{"word/settings.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"},
	{"word/numbering.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"},
	{"word/header1.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"},
	{"word/footer1.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"},
	{"docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"},
	{"docProps/app.xml", "application/vnd.openxmlformats-officedocument.extended-properties+xml"},
}

// WriteDOCX writes m as a Word document people can edit and finish: real
// heading styles (so the navigation pane and the table of contents work),
// a contents field Word fills in on opening, tables whose header row
// repeats on every page, heat maps as coloured tables, and a header with
// the organisation, the date and DRAFT when the report is one. It holds
// the same sections in the same order as the report, for the part m.Part
// names. Every text is written whole; characters XML cannot hold become
// U+FFFD.
func WriteDOCX(w io.Writer, m *Model) error {
	z := zip.NewWriter(w)
	part := func(name string, body func(*docxWriter)) error {
		f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: m.Generated})
		if err != nil {
			return err
		}
		d := &docxWriter{w: bufio.NewWriterSize(f, 64<<10), m: m}
		d.s(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
		body(d)
		if d.err != nil {
			return fmt.Errorf("%s: %w", name, d.err)
		}
		if err := d.w.Flush(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	parts := []struct {
		name string
		body func(*docxWriter)
	}{
		{"[Content_Types].xml", (*docxWriter).contentTypes},
		{"_rels/.rels", (*docxWriter).packageRels},
		{"word/_rels/document.xml.rels", (*docxWriter).documentRels},
		{"word/document.xml", (*docxWriter).document},
		{"word/styles.xml", func(d *docxWriter) { d.s(docxStyles) }},
		{"word/settings.xml", func(d *docxWriter) { d.s(docxSettings) }},
		{"word/numbering.xml", func(d *docxWriter) { d.s(docxNumbering) }},
		{"word/header1.xml", (*docxWriter).header},
		{"word/footer1.xml", (*docxWriter).footer},
		{"docProps/core.xml", (*docxWriter).core},
		{"docProps/app.xml", func(d *docxWriter) {
			d.s(`<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Safeguard</Application></Properties>`)
		}},
	}
	for _, p := range parts {
		if err := part(p.name, p.body); err != nil {
			return err
		}
	}
	return z.Close()
}

// docxWriter writes one part; the first write error is kept and the rest
// of the writes are skipped.
type docxWriter struct {
	w   *bufio.Writer
	m   *Model
	err error

	tasksOf  map[int64][]int // risk id → indexes into m.Tasks
	evidence map[int64]int   // evidence id → index into m.Evidence
	cols     []int           // widths of the open table's columns
}

func (d *docxWriter) s(str string) {
	if d.err == nil {
		_, d.err = d.w.WriteString(str)
	}
}

// esc writes s as XML character data: markup characters escaped, and
// characters XML 1.0 cannot hold (and bytes that are not UTF-8) replaced
// with U+FFFD. With breaks, a line break and a tab become Word's own.
func (d *docxWriter) esc(s string, breaks bool) {
	if d.err != nil {
		return
	}
	start := 0
	flush := func(i int, repl string) {
		if start < i {
			d.s(s[start:i])
		}
		d.s(repl)
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		var repl string
		switch {
		case r == utf8.RuneError && n == 1:
			repl = "\uFFFD"
		case r == '&':
			repl = "&amp;"
		case r == '<':
			repl = "&lt;"
		case r == '>':
			repl = "&gt;"
		case r == '"':
			repl = "&quot;"
		case breaks && r == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				flush(i, "")
				i++
				start = i
				continue
			}
			repl = `</w:t><w:br/><w:t xml:space="preserve">`
		case breaks && r == '\n':
			repl = `</w:t><w:br/><w:t xml:space="preserve">`
		case breaks && r == '\t':
			repl = `</w:t><w:tab/><w:t xml:space="preserve">`
		case !xlXMLChar(r):
			repl = "\uFFFD"
		default:
			i += n
			continue
		}
		flush(i, repl)
		i += n
		start = i
	}
	if start < len(s) {
		d.s(s[start:])
	}
}

// docxRun is a piece of text with its look.
type docxRun struct {
	text   string
	bold   bool
	italic bool
	mono   bool
	colour string // rrggbb
	size   int    // half-points; 0 the style's
}

func (d *docxWriter) run(r docxRun) {
	if r.text == "" {
		return
	}
	d.s("<w:r>")
	if r.bold || r.italic || r.mono || r.colour != "" || r.size > 0 {
		d.s("<w:rPr>")
		if r.mono {
			d.s(`<w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/>`)
		}
		if r.bold {
			d.s("<w:b/>")
		}
		if r.italic {
			d.s("<w:i/>")
		}
		if r.colour != "" {
			d.s(`<w:color w:val="` + r.colour + `"/>`)
		}
		if r.size > 0 {
			d.s(`<w:sz w:val="` + strconv.Itoa(r.size) + `"/>`)
		}
		d.s("</w:rPr>")
	}
	d.s(`<w:t xml:space="preserve">`)
	d.esc(r.text, true)
	d.s("</w:t></w:r>")
}

// p writes a paragraph of style (Normal when empty).
func (d *docxWriter) p(style string, runs ...docxRun) {
	d.s("<w:p>")
	if style != "" {
		d.s(`<w:pPr><w:pStyle w:val="` + style + `"/></w:pPr>`)
	}
	for _, r := range runs {
		d.run(r)
	}
	d.s("</w:p>")
}

func (d *docxWriter) text(s string) {
	if s != "" {
		d.p("", docxRun{text: s})
	}
}

func (d *docxWriter) heading(level int, s string) {
	d.p("Heading"+strconv.Itoa(level), docxRun{text: s})
}

// kv is a labelled line; nothing when the value is empty.
func (d *docxWriter) kv(label, value string) {
	if value != "" {
		d.p("", docxRun{text: label + ": ", bold: true}, docxRun{text: value})
	}
}

func (d *docxWriter) bullet(s string) { d.p("ListBullet", docxRun{text: s}) }

// docxCell is one table cell.
type docxCell struct {
	runs   []docxRun
	fill   string // rrggbb
	center bool
}

func docxText(s string) docxCell { return docxCell{runs: []docxRun{{text: s}}} }

// docxLevel is a risk level on its colour.
func docxLevel(label, colour string) docxCell {
	c := docxCell{runs: []docxRun{{text: label, bold: true}}, fill: docxHex(colour), center: true}
	if c.fill != "" && xlDark(colour) {
		c.runs[0].colour = "FFFFFF"
	}
	return c
}

// table opens a table whose columns share the text width in the given
// proportions, and writes its header row, repeated on every page.
func (d *docxWriter) table(heads []string, weights []int) {
	total := 0
	for _, w := range weights {
		total += w
	}
	d.cols = d.cols[:0]
	for _, w := range weights {
		d.cols = append(d.cols, docxTextW*w/total)
	}
	d.s(`<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="` + strconv.Itoa(docxTextW) + `" w:type="dxa"/>` +
		`<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/></w:tblPr><w:tblGrid>`)
	for _, w := range d.cols {
		d.s(`<w:gridCol w:w="` + strconv.Itoa(w) + `"/>`)
	}
	d.s("</w:tblGrid>")
	if heads != nil {
		cells := make([]docxCell, len(heads))
		for i, h := range heads {
			cells[i] = docxCell{runs: []docxRun{{text: h, bold: true}}, fill: "E8EEF4"}
		}
		d.tr(true, cells...)
	}
}

// tr writes a row that is never split across pages.
func (d *docxWriter) tr(header bool, cells ...docxCell) {
	d.s("<w:tr><w:trPr><w:cantSplit/>")
	if header {
		d.s("<w:tblHeader/>")
	}
	d.s("</w:trPr>")
	for i, c := range cells {
		w := docxTextW / max(len(cells), 1)
		if i < len(d.cols) {
			w = d.cols[i]
		}
		d.s(`<w:tc><w:tcPr><w:tcW w:w="` + strconv.Itoa(w) + `" w:type="dxa"/>`)
		if c.fill != "" {
			d.s(`<w:shd w:val="clear" w:color="auto" w:fill="` + c.fill + `"/>`)
		}
		d.s(`</w:tcPr><w:p><w:pPr><w:pStyle w:val="TableText"/>`)
		if c.center {
			d.s(`<w:jc w:val="center"/>`)
		}
		d.s("</w:pPr>")
		for _, r := range c.runs {
			d.run(r)
		}
		d.s("</w:p></w:tc>")
	}
	d.s("</w:tr>")
}

func (d *docxWriter) row(cells ...string) {
	cs := make([]docxCell, len(cells))
	for i, c := range cells {
		cs[i] = docxText(c)
	}
	d.tr(false, cs...)
}

// endTable closes the table; a paragraph keeps the next table apart.
func (d *docxWriter) endTable() { d.s("</w:tbl><w:p/>") }

// docxHex is #rrggbb as Word's RRGGBB, or "" when it is not a colour.
func docxHex(colour string) string {
	c := strings.TrimPrefix(colour, "#")
	if len(c) != 6 {
		return ""
	}
	if _, err := strconv.ParseUint(c, 16, 32); err != nil {
		return ""
	}
	return strings.ToUpper(c)
}

func (d *docxWriter) date(t time.Time) string { return d.m.Date(t) }

// document writes word/document.xml: the sections of m.Part in the
// report's order, then the page settings.
func (d *docxWriter) document() {
	m := d.m
	d.tasksOf = map[int64][]int{}
	for i, t := range m.Tasks {
		d.tasksOf[t.RiskID] = append(d.tasksOf[t.RiskID], i)
	}
	d.evidence = map[int64]int{}
	for i, e := range m.Evidence {
		d.evidence[e.ID] = i
	}
	d.s(`<w:document xmlns:w="` + docxNSMain + `" xmlns:r="` + docxNSRel + `"><w:body>`)
	d.cover()
	switch m.Part {
	case PartSummary:
		d.summary()
	case PartAsset:
		d.contents()
		d.asset()
	default:
		d.contents()
		d.scope()
		d.method()
		d.summary()
		d.inventory(m.Assets)
		d.flows(m.Flows, true)
		d.responses()
		d.decisions()
		d.register(m.Risks, true)
		d.details(m.Risks)
		d.plan(m.Tasks)
		d.evidenceIndex()
		d.openItems()
		d.checkpoint()
	}
	d.s(`<w:sectPr><w:headerReference w:type="default" r:id="rIdHeader"/><w:footerReference w:type="default" r:id="rIdFooter"/>` +
		`<w:pgSz w:w="` + strconv.Itoa(docxPageW) + `" w:h="` + strconv.Itoa(docxPageH) + `"/>` +
		`<w:pgMar w:top="1080" w:right="1080" w:bottom="1080" w:left="1080" w:header="540" w:footer="540" w:gutter="0"/>` +
		`<w:cols w:space="720"/></w:sectPr></w:body></w:document>`)
}

func (d *docxWriter) cover() {
	m := d.m
	d.p("Title", docxRun{text: m.Title})
	d.p("Subtitle", docxRun{text: m.Org.Name})
	if m.Draft {
		d.p("", docxRun{text: "DRAFT — this report shows work that is not signed off.", bold: true, colour: "B71C1C", size: 32})
	}
	switch m.Part {
	case PartSummary:
		d.p("", docxRun{text: "Cover and executive summary", italic: true})
	case PartAsset:
		if len(m.Assets) > 0 {
			d.p("", docxRun{text: "One asset: " + m.Assets[0].Name + ", with its data flows, risks and tasks", italic: true})
		}
	}
	if m.Org.LegalName != "" && m.Org.LegalName != m.Org.Name {
		d.kv("Legal name", m.Org.LegalName)
	}
	d.kv("Organisation", m.Org.Kind)
	d.kv("Prepared by", m.PreparedBy)
	d.kv("Generated", m.DateTime(m.Generated))
	d.kv("Time zone", m.ZoneName)
	d.kv("Rule", m.CatalogName)
	if a := m.Assessment; a != nil {
		d.kv("Assessment", a.Name+" ("+a.Status+")")
	}
	if a := m.Analysis; a != nil {
		d.kv("Risk analysis", a.Name+" ("+a.Status+")")
	}
}

// contents writes a table of contents field; Word fills it in when the
// document opens (settings.xml asks it to update fields).
func (d *docxWriter) contents() {
	d.p("TOCHeading", docxRun{text: "Contents"})
	d.s(`<w:p><w:pPr><w:pStyle w:val="TOC1"/><w:tabs><w:tab w:val="right" w:leader="dot" w:pos="` + strconv.Itoa(docxTextW) + `"/></w:tabs></w:pPr>` +
		`<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>` +
		`<w:r><w:instrText xml:space="preserve"> TOC \o "1-2" \h \z \u </w:instrText></w:r>` +
		`<w:r><w:fldChar w:fldCharType="separate"/></w:r>` +
		`<w:r><w:t>Word fills in the contents when the document is opened; if it does not, right-click here and choose Update Field.</w:t></w:r>` +
		`<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`)
}

func (d *docxWriter) scope() {
	m, o := d.m, d.m.Org
	d.heading(1, "Scope")
	d.kv("Organisation", o.Name)
	d.kv("Legal name", o.LegalName)
	d.kv("Kind", o.Kind)
	if o.Workforce > 0 {
		d.kv("Workforce", grouped(o.Workforce))
	}
	if o.Patients > 0 {
		d.kv("Patients", grouped(o.Patients))
	}
	d.kv("Sites", strings.Join(o.Sites, "; "))
	d.kv("Systems", strings.Join(o.Systems, "; "))
	d.kv("Security official (§164.308(a)(2))", o.Official)
	if a := m.Assessment; a != nil {
		d.heading(2, "Assessment: "+a.Name)
		d.kv("Status", a.Status)
		d.kv("Started", d.date(a.Started))
		if !a.Finalised.IsZero() {
			d.kv("Signed off", d.date(a.Finalised)+" by "+a.FinalisedBy)
		}
		d.kv("Attestation", a.Attestation)
		if len(a.Reviews) > 0 {
			d.table([]string{"Category", "Reviewed by", "On", "Note"}, []int{3, 2, 2, 4})
			for _, r := range a.Reviews {
				d.row(r.Category, r.By, m.DateTime(r.At), r.Note)
			}
			d.endTable()
		}
	}
	if a := m.Analysis; a != nil {
		d.heading(2, "Risk analysis: "+a.Name)
		d.kv("Scope", a.Scope)
		d.kv("Status", a.Status)
		d.kv("Started", d.date(a.Started))
		if !a.Finalised.IsZero() {
			d.kv("Signed off", d.date(a.Finalised)+" by "+a.FinalisedBy)
		}
	}
}

func (d *docxWriter) method() {
	sc := d.m.Scale
	d.heading(1, "Method and risk scale")
	d.text("Each risk pairs a threat with a vulnerability of one or more assets that hold ePHI. It is rated for likelihood and for impact on the scale below, and the matrix gives its level: inherent (before the measures in place), current (with them) and target (once the plan is done).")
	d.kv("Scale", sc.Name)
	for _, g := range []struct {
		name   string
		grades []risk.Grade
	}{{"Likelihood", sc.Likelihood}, {"Impact", sc.Impact}} {
		d.heading(2, g.name)
		d.table([]string{"Grade", g.name, "Meaning"}, []int{1, 2, 7})
		for i, gr := range g.grades {
			d.row(strconv.Itoa(i+1), gr.Label, gr.Meaning)
		}
		d.endTable()
	}
	d.heading(2, "Levels")
	heads := []string{"Likelihood ↓  Impact →"}
	for _, g := range sc.Impact {
		heads = append(heads, g.Label)
	}
	d.table(heads, docxWeights(len(sc.Impact)))
	for k := range sc.Likelihood {
		l := len(sc.Likelihood) - 1 - k
		cells := []docxCell{{runs: []docxRun{{text: sc.Likelihood[l].Label, bold: true}}}}
		for i := range sc.Impact {
			label, colour := d.level(l, i)
			cells = append(cells, docxLevel(label, colour))
		}
		d.tr(false, cells...)
	}
	d.endTable()
}

// docxWeights are the column weights of a matrix: a wider first column.
func docxWeights(n int) []int {
	w := []int{3}
	for range n {
		w = append(w, 2)
	}
	return w
}

// level is the label and colour of matrix cell (l, i), 0-based.
func (d *docxWriter) level(l, i int) (string, string) {
	sc := d.m.Scale
	if l < len(sc.Matrix) && i < len(sc.Matrix[l]) {
		if lv := sc.Matrix[l][i]; lv >= 0 && lv < len(sc.Levels) {
			return sc.Levels[lv].Label, sc.Levels[lv].Colour
		}
	}
	return "", ""
}

func (d *docxWriter) summary() {
	m := d.m
	d.heading(1, "Executive summary")
	if len(m.Posture) > 0 {
		d.heading(2, "Compliance posture")
		d.table([]string{"Safeguards", "Implemented", "Partially", "Not implemented", "Not applicable", "Not answered", "Total"}, []int{4, 2, 2, 2, 2, 2, 2})
		for _, p := range m.Posture {
			d.tr(false, docxText(p.Label), docxNum(p.Implemented), docxNum(p.Partial), docxNum(p.NotImplemented),
				docxNum(p.NotApplicable), docxNum(p.Unanswered), docxNum(p.Total()))
		}
		d.endTable()
	}
	if len(m.ByLevel) > 0 {
		d.heading(2, "Risks by current level")
		d.table([]string{"Level", "Risks"}, []int{3, 2})
		for i := len(m.ByLevel) - 1; i >= 0; i-- {
			lc := m.ByLevel[i]
			d.tr(false, docxLevel(lc.Label, lc.Colour), docxNum(lc.Count))
		}
		d.endTable()
		d.kv("Not rated", strconv.Itoa(m.Current.Unrated))
	}
	if len(m.Top) > 0 {
		d.heading(2, "Highest current risks")
		d.table([]string{"Risk", "Title", "Current level", "Owner", "Strategy"}, []int{1, 6, 2, 2, 2})
		for _, id := range m.Top {
			r, ok := m.Risk(id)
			if !ok {
				continue
			}
			d.tr(false, docxText(strconv.FormatInt(r.ID, 10)), docxText(r.Title), d.ratingLevel(r.Current), docxText(r.Owner), docxText(r.Strategy))
		}
		d.endTable()
	}
	overdue := 0
	for _, t := range m.Tasks {
		if t.Overdue {
			overdue++
		}
	}
	d.heading(2, "In numbers")
	d.kv("Assets holding ePHI", strconv.Itoa(len(m.Assets)))
	d.kv("Data flows", strconv.Itoa(len(m.Flows)))
	d.kv("Risks", strconv.Itoa(len(m.Risks)))
	d.kv("Addressable decisions documented", strconv.Itoa(len(m.Decisions)))
	d.kv("Plan tasks", fmt.Sprintf("%d, of which %d overdue", len(m.Tasks), overdue))
	d.kv("Open items", strconv.Itoa(len(m.OpenItems)))
}

func docxNum(n int) docxCell {
	return docxCell{runs: []docxRun{{text: strconv.Itoa(n)}}, center: true}
}

// ratingLevel is a rating's level on its colour, or "Not rated".
func (d *docxWriter) ratingLevel(r Rating) docxCell {
	if r.Likelihood == 0 || r.Level < 0 {
		return docxText("Not rated")
	}
	return docxLevel(r.LevelLabel, r.Colour)
}

func (d *docxWriter) inventory(assets []Asset) {
	d.heading(1, "Asset inventory")
	if len(assets) == 0 {
		d.text("No assets are recorded.")
		return
	}
	d.table([]string{"Asset", "Owner and place", "ePHI", "Protection", "Status", "Notes"}, []int{3, 3, 3, 3, 2, 3})
	for _, a := range assets {
		name := []docxRun{{text: a.Name, bold: true}, {text: "\n" + docxJoin(" · ", a.Class, a.Kind)}}
		if a.Exposed {
			name = append(name, docxRun{text: "\nePHI not encrypted at rest", bold: true, colour: "B71C1C"})
		}
		ephi := strings.Join(a.EPHI, "; ")
		if a.Records > 0 {
			ephi = docxJoin("\n", ephi, strconv.Itoa(a.Records)+" records")
		}
		d.tr(false, docxCell{runs: name},
			docxText(docxJoin("\n", a.Owner, a.Place, a.Location)),
			docxText(docxJoin("\n", ephi, a.Use)),
			docxText(docxJoin("\n", docxLabel("Encrypted at rest", a.AtRest), a.Hosting, docxLabel("Vendor", a.Vendor))),
			docxText(docxJoin("\n", docxLabel("Criticality", a.Criticality), a.Lifecycle, docxLabel("Reviewed", d.date(a.Reviewed)))),
			docxText(a.Notes))
	}
	d.endTable()
}

// docxJoin joins the parts that are not empty.
func docxJoin(sep string, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p)
	}
	return b.String()
}

func docxLabel(label, v string) string {
	if v == "" {
		return ""
	}
	return label + ": " + v
}

func (d *docxWriter) flows(flows []Flow, words bool) {
	d.heading(1, "Data flows")
	if len(flows) == 0 {
		d.text("No data flows are recorded.")
	} else {
		d.table([]string{"From", "To", "Channel", "Encrypted in transit", "How often, how much", "Description"}, []int{3, 3, 2, 2, 2, 4})
		for _, f := range flows {
			enc := docxText(f.InTransit)
			if f.Exposed {
				enc = docxCell{runs: []docxRun{{text: f.InTransit, bold: true, colour: "B71C1C"}}}
			}
			d.tr(false, docxText(f.From), docxText(f.To), docxText(f.Channel), enc, docxText(docxJoin("\n", f.Frequency, f.Volume)), docxText(f.Description))
		}
		d.endTable()
	}
	if words && len(d.m.MapText) > 0 {
		d.heading(2, "The data-flow map in words")
		for _, t := range d.m.MapText {
			d.bullet(t)
		}
	}
}

func (d *docxWriter) responses() {
	m := d.m
	d.heading(1, "Assessment responses")
	labels := map[string]string{}
	for _, p := range m.Posture {
		labels[p.Category] = p.Label
	}
	cat := "\x00"
	for _, e := range m.Entries {
		if e.Category != cat {
			cat = e.Category
			label := labels[cat]
			if label == "" {
				label = cat
			}
			d.heading(2, label)
		}
		d.heading(3, e.Citation+" "+e.Title)
		kind := e.Kind
		if e.Requirement != "" {
			kind = e.Requirement + " " + kind
		}
		d.p("", docxRun{text: e.StatusLabel, bold: true}, docxRun{text: " · " + docxJoin(" · ", kind, docxLabel("standard", e.Standard))})
		d.text(e.Narrative)
		d.kv("Why not applicable", e.NAReason)
		d.kv("Owner", e.Owner)
		d.kv("Target date", d.date(e.Target))
		d.kv("Evidence", d.evidenceNames(e.Evidence))
		if e.Decided {
			d.kv("Decision", "documented under Addressable decisions")
		}
	}
}

func (d *docxWriter) evidenceNames(ids []int64) string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		n := "Evidence " + strconv.FormatInt(id, 10)
		if i, ok := d.evidence[id]; ok {
			n += ": " + d.m.Evidence[i].Title
		}
		names = append(names, n)
	}
	return strings.Join(names, "; ")
}

func (d *docxWriter) decisions() {
	m := d.m
	d.heading(1, "Addressable decisions")
	d.text("For each addressable implementation specification the organisation implemented it, adopted an equivalent alternative, or documented why neither is reasonable and appropriate (§164.306(d)(3)), weighing the factors of §164.306(b)(2).")
	if len(m.Decisions) == 0 {
		d.text("No addressable decisions are recorded.")
	}
	for _, dc := range m.Decisions {
		d.heading(2, dc.Citation+" "+dc.Title)
		d.kv("Outcome", dc.OutcomeLabel)
		d.kv("Alternative", dc.Alternative)
		d.kv("Rationale", dc.Rationale)
		if len(dc.Factors) > 0 {
			d.table([]string{"Factor", "As weighed"}, []int{3, 7})
			for _, f := range dc.Factors {
				d.row(f.Label, f.Text)
			}
			d.endTable()
		}
		d.kv("Risk analysis", dc.RiskRef)
		d.kv("Decided", docxJoin(" by ", d.date(dc.DecidedAt), dc.DecidedBy))
	}
}

func (d *docxWriter) heatMap(title string, h HeatMap) {
	sc := d.m.Scale
	d.heading(3, title)
	heads := []string{"Likelihood ↓  Impact →"}
	for _, g := range sc.Impact {
		heads = append(heads, g.Label)
	}
	d.table(heads, docxWeights(len(sc.Impact)))
	for k := range sc.Likelihood {
		l := len(sc.Likelihood) - 1 - k
		cells := []docxCell{{runs: []docxRun{{text: sc.Likelihood[l].Label, bold: true}}}}
		for i := range sc.Impact {
			n := 0
			if l < len(h.Counts) && i < len(h.Counts[l]) {
				n = h.Counts[l][i]
			}
			_, colour := d.level(l, i)
			cells = append(cells, docxLevel(strconv.Itoa(n), colour))
		}
		d.tr(false, cells...)
	}
	d.endTable()
	if h.Unrated > 0 {
		d.kv("Not rated", strconv.Itoa(h.Unrated))
	}
	if h.OtherScale > 0 {
		d.kv("Rated on an earlier scale", strconv.Itoa(h.OtherScale))
	}
}

// register writes the register table, after the heat maps when maps is
// true.
func (d *docxWriter) register(risks []Risk, maps bool) {
	m := d.m
	if !maps {
		d.heading(1, "Risks")
	} else {
		d.heading(1, "Risk register and heat maps")
		d.heading(2, "Heat maps")
		d.heatMap("Inherent risk", m.Inherent)
		d.heatMap("Current risk", m.Current)
		cells := make([]docxCell, 0, len(m.Scale.Levels))
		for _, lv := range m.Scale.Levels {
			cells = append(cells, docxLevel(lv.Label, lv.Colour))
		}
		if len(cells) > 0 {
			d.p("", docxRun{text: "Levels, lowest first", italic: true})
			d.table(nil, slices.Repeat([]int{1}, len(cells)))
			d.tr(false, cells...)
			d.endTable()
		}
	}
	d.heading(2, "Register")
	if len(risks) == 0 {
		d.text("No risks are recorded.")
		return
	}
	d.table([]string{"ID", "Risk", "Threat and vulnerability", "Inherent", "Current", "Target", "Owner, status, strategy"}, []int{1, 5, 5, 2, 2, 2, 3})
	for _, r := range risks {
		d.tr(false, docxText(strconv.FormatInt(r.ID, 10)),
			docxCell{runs: []docxRun{{text: r.Title, bold: true}, {text: docxPrefix("\n", strings.Join(r.Assets, "; "))}}},
			docxText(docxJoin("\n", docxJoin(" — ", r.Threat, r.ThreatSource), r.Vulnerability)),
			d.ratingLevel(r.Inherent), d.ratingLevel(r.Current), d.ratingLevel(r.Target),
			docxText(docxJoin("\n", r.Owner, r.Status, r.Strategy)))
	}
	d.endTable()
}

func docxPrefix(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// details writes every risk in full.
func (d *docxWriter) details(risks []Risk) {
	m := d.m
	d.heading(1, "Risk details")
	for _, r := range risks {
		d.heading(3, "Risk "+strconv.FormatInt(r.ID, 10)+": "+r.Title)
		d.kv("Assets", strings.Join(r.Assets, "; "))
		d.kv("Threat", docxJoin(" — ", r.Threat, r.ThreatSource))
		d.kv("Vulnerability", r.Vulnerability)
		if len(r.Measures) > 0 {
			d.p("", docxRun{text: "Measures in place:", bold: true})
			for _, ms := range r.Measures {
				d.bullet(ms)
			}
		}
		d.kv("How the measures work", r.MeasuresNote)
		d.table([]string{"Rating", "Likelihood", "Impact", "Level"}, []int{2, 2, 2, 2})
		for _, rt := range []struct {
			name string
			r    Rating
		}{{"Inherent", r.Inherent}, {"Current", r.Current}, {"Target", r.Target}} {
			if rt.r.Likelihood == 0 || rt.r.Level < 0 {
				d.row(rt.name, "", "", "Not rated")
				continue
			}
			d.tr(false, docxText(rt.name), docxText(rt.r.LikelihoodLabel), docxText(rt.r.ImpactLabel), docxLevel(rt.r.LevelLabel, rt.r.Colour))
		}
		d.endTable()
		d.kv("Why this likelihood", r.LikelihoodWhy)
		d.kv("Why this impact", r.ImpactWhy)
		d.kv("Rated on", r.OtherScale)
		d.kv("Owner", r.Owner)
		d.kv("Status", r.Status)
		d.kv("Strategy", r.Strategy)
		d.kv("Transferred to", r.Party)
		if a := r.Acceptance; a != nil {
			acc := "approved by " + a.Approver
			if !a.ApprovedAt.IsZero() {
				acc += " on " + d.date(a.ApprovedAt)
			}
			acc += ", expires " + d.date(a.Expires)
			if a.Expired {
				acc += " (expired)"
			}
			d.kv("Acceptance", acc)
			d.kv("Reason for acceptance", a.Reason)
		}
		d.kv("Treatment", r.TreatmentNote)
		d.kv("Identified", d.date(r.Identified))
		if idx := d.tasksOf[r.ID]; len(idx) > 0 {
			d.p("", docxRun{text: "Tasks:", bold: true})
			for _, i := range idx {
				t := m.Tasks[i]
				d.bullet("Task " + strconv.FormatInt(t.ID, 10) + ": " + t.Title + " (" + t.Status + ", due " + d.date(t.Due) + ")")
			}
		}
	}
}

func (d *docxWriter) plan(tasks []Task) {
	d.heading(1, "Risk management plan")
	if len(tasks) == 0 {
		d.text("No tasks are planned.")
		return
	}
	d.table([]string{"Task", "Risk", "Owner", "Due", "Status", "Entries and evidence"}, []int{5, 4, 2, 2, 2, 3})
	for _, t := range tasks {
		status := []docxRun{{text: t.Status}}
		if t.Overdue {
			status = append(status, docxRun{text: "\nOverdue", bold: true, colour: "B71C1C"})
		}
		if !t.DoneAt.IsZero() {
			status = append(status, docxRun{text: "\ndone " + d.date(t.DoneAt)})
		}
		d.tr(false,
			docxCell{runs: []docxRun{{text: strconv.FormatInt(t.ID, 10) + ". " + t.Title, bold: true}, {text: docxPrefix("\n", t.Description)}}},
			docxText(strconv.FormatInt(t.RiskID, 10)+". "+t.Risk), docxText(t.Owner), docxText(d.date(t.Due)), docxCell{runs: status},
			docxText(docxJoin("\n", strings.Join(t.Entries, "; "), d.evidenceNames(t.Evidence))))
	}
	d.endTable()
}

func (d *docxWriter) evidenceIndex() {
	m := d.m
	d.heading(1, "Evidence index")
	if len(m.Evidence) == 0 {
		d.text("No evidence is recorded.")
		return
	}
	d.table([]string{"ID", "Evidence", "Version", "SHA-256", "Added", "Supports"}, []int{1, 4, 3, 4, 2, 3})
	for _, e := range m.Evidence {
		ver := e.FileName
		if e.Kind == "link" {
			ver = e.URL
		}
		if e.Version > 0 {
			ver = docxJoin("\n", ver, "version "+strconv.Itoa(e.Version))
		}
		if e.Size > 0 {
			ver = docxJoin("\n", ver, strconv.FormatInt(e.Size, 10)+" bytes")
		}
		if e.AuditSeq > 0 {
			ver = docxJoin("\n", ver, "audit entry "+strconv.FormatInt(e.AuditSeq, 10))
		}
		d.tr(false, docxText(strconv.FormatInt(e.ID, 10)),
			docxCell{runs: []docxRun{{text: e.Title, bold: true}, {text: docxPrefix("\n", e.Description)}}},
			docxText(ver), docxCell{runs: []docxRun{{text: e.SHA256, mono: true, size: 16}}},
			docxText(docxJoin("\n", d.date(e.Added), e.AddedBy)), docxText(strings.Join(e.Entries, "; ")))
	}
	d.endTable()
}

func (d *docxWriter) openItems() {
	m := d.m
	d.heading(1, "Open items")
	if len(m.OpenItems) == 0 {
		d.text("Nothing is open.")
		return
	}
	d.table([]string{"Kind", "Reference", "What is open"}, []int{2, 2, 6})
	for _, o := range m.OpenItems {
		d.row(docxOpenKind(o.Kind), o.Ref, o.Text)
	}
	d.endTable()
}

func docxOpenKind(k string) string {
	switch k {
	case "gap":
		return "Gap"
	case "unanswered":
		return "Not answered"
	case "overdue_task":
		return "Overdue task"
	case "expiring_acceptance":
		return "Acceptance expiring"
	case "unrated_risk":
		return "Risk not rated"
	case "undecided_risk":
		return "Risk without a decision"
	}
	return k
}

func (d *docxWriter) checkpoint() {
	c := d.m.Audit
	d.heading(1, "Audit log checkpoint")
	if c == nil {
		d.text("No signed checkpoint of the audit log was available when the report was made.")
		return
	}
	d.text("The audit log's latest signed checkpoint when this report was made. Keep it: safeguard audit verify --checkpoint FILE later proves the log was not rewritten since.")
	d.kv("Tree size", strconv.FormatInt(c.TreeSize, 10))
	d.p("", docxRun{text: "Root hash: ", bold: true}, docxRun{text: c.Root, mono: true})
	d.kv("Key", c.KeyID)
	d.p("", docxRun{text: "Signature: ", bold: true}, docxRun{text: c.Signature, mono: true})
	d.kv("Signed", d.m.DateTime(c.At))
	if c.Text != "" {
		d.p("Checkpoint", docxRun{text: strings.TrimRight(c.Text, "\n")})
	}
}

// asset writes PartAsset: the first asset with its flows, risks and tasks.
func (d *docxWriter) asset() {
	m := d.m
	if len(m.Assets) == 0 {
		d.heading(1, "Asset")
		d.text("No asset is selected.")
		return
	}
	a := m.Assets[0]
	d.inventory(m.Assets[:1])
	var flows []Flow
	for _, f := range m.Flows {
		if f.From == a.Name || f.To == a.Name {
			flows = append(flows, f)
		}
	}
	d.flows(flows, false)
	var risks []Risk
	ids := map[int64]bool{}
	for _, r := range m.Risks {
		if slices.Contains(r.Assets, a.Name) {
			risks = append(risks, r)
			ids[r.ID] = true
		}
	}
	d.register(risks, false)
	d.details(risks)
	var tasks []Task
	for _, t := range m.Tasks {
		if ids[t.RiskID] {
			tasks = append(tasks, t)
		}
	}
	d.plan(tasks)
}

func (d *docxWriter) header() {
	m := d.m
	d.s(`<w:hdr xmlns:w="` + docxNSMain + `" xmlns:r="` + docxNSRel + `"><w:p><w:pPr><w:pStyle w:val="Header"/></w:pPr>`)
	d.run(docxRun{text: m.Org.Name})
	d.s(`<w:r><w:tab/></w:r>`)
	if m.Draft {
		d.run(docxRun{text: "DRAFT", bold: true, colour: "B71C1C"})
	}
	d.s(`<w:r><w:tab/></w:r>`)
	d.run(docxRun{text: m.Date(m.Generated)})
	d.s(`</w:p></w:hdr>`)
}

func (d *docxWriter) footer() {
	d.s(`<w:ftr xmlns:w="` + docxNSMain + `" xmlns:r="` + docxNSRel + `"><w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr>`)
	d.run(docxRun{text: d.m.Title})
	d.s(`<w:r><w:tab/></w:r><w:r><w:tab/></w:r><w:r><w:t xml:space="preserve">Page </w:t></w:r>` +
		`<w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>` +
		`<w:r><w:t xml:space="preserve"> of </w:t></w:r>` +
		`<w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p></w:ftr>`)
}

func (d *docxWriter) core() {
	m := d.m
	el := func(name, v string) {
		if v == "" {
			return
		}
		d.s("<" + name + ">")
		d.esc(v, false)
		d.s("</" + name + ">")
	}
	d.s(`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
	el("dc:title", m.Title)
	el("dc:subject", m.Org.Name)
	el("dc:creator", m.PreparedBy)
	el("cp:keywords", "HIPAA Security Rule; risk analysis")
	at := m.Generated.UTC().Format(time.RFC3339)
	d.s(`<dcterms:created xsi:type="dcterms:W3CDTF">` + at + `</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">` + at + `</dcterms:modified></cp:coreProperties>`)
}

func (d *docxWriter) contentTypes() {
	d.s(`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>`)
	for _, p := range docxParts {
		d.s(`<Override PartName="/` + p.name + `" ContentType="` + p.contentType + `"/>`)
	}
	d.s(`</Types>`)
}

func (d *docxWriter) packageRels() {
	d.s(`<Relationships xmlns="` + docxNSPkRel + `">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
		`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>` +
		`</Relationships>`)
}

func (d *docxWriter) documentRels() {
	rel := func(id, kind, target string) {
		d.s(`<Relationship Id="` + id + `" Type="` + docxNSRel + `/` + kind + `" Target="` + target + `"/>`)
	}
	d.s(`<Relationships xmlns="` + docxNSPkRel + `">`)
	rel("rIdStyles", "styles", "styles.xml")
	rel("rIdSettings", "settings", "settings.xml")
	rel("rIdNumbering", "numbering", "numbering.xml")
	rel("rIdHeader", "header", "header1.xml")
	rel("rIdFooter", "footer", "footer1.xml")
	d.s(`</Relationships>`)
}

// docxSettings asks Word to update fields (the contents) on opening.
const docxSettings = `<w:settings xmlns:w="` + docxNSMain + `"><w:defaultTabStop w:val="720"/><w:characterSpacingControl w:val="doNotCompress"/><w:updateFields w:val="true"/><w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat></w:settings>`

// docxNumbering is the one bullet list the report uses.
const docxNumbering = `<w:numbering xmlns:w="` + docxNSMain + `"><w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="singleLevel"/><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="360" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>`

// docxStyles are the document's styles. Headings carry the built-in
// names and outline levels, which Word's navigation pane and contents use.
const docxStyles = `<w:styles xmlns:w="` + docxNSMain + `">` +
	`<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:eastAsia="Calibri" w:cs="Calibri"/><w:sz w:val="21"/><w:szCs w:val="21"/><w:lang w:val="en-US"/></w:rPr></w:rPrDefault>` +
	`<w:pPrDefault><w:pPr><w:spacing w:after="100" w:line="264" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>` +
	`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>` +
	`<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>` +
	`<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>` +
	`<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:before="2400" w:after="240"/></w:pPr><w:rPr><w:b/><w:color w:val="1F3A5F"/><w:sz w:val="48"/><w:szCs w:val="48"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Subtitle"><w:name w:val="Subtitle"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:after="480"/></w:pPr><w:rPr><w:color w:val="44546A"/><w:sz w:val="32"/><w:szCs w:val="32"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:pageBreakBefore/><w:spacing w:before="240" w:after="160"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:color w:val="1F3A5F"/><w:sz w:val="34"/><w:szCs w:val="34"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:unhideWhenUsed/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="280" w:after="100"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:color w:val="1F3A5F"/><w:sz w:val="27"/><w:szCs w:val="27"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Heading3"><w:name w:val="heading 3"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:unhideWhenUsed/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="220" w:after="60"/><w:outlineLvl w:val="2"/></w:pPr><w:rPr><w:b/><w:color w:val="2F4F6F"/><w:sz w:val="23"/><w:szCs w:val="23"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="TOCHeading"><w:name w:val="TOC Heading"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="39"/><w:unhideWhenUsed/><w:qFormat/><w:pPr><w:keepNext/><w:pageBreakBefore/><w:spacing w:before="240" w:after="160"/></w:pPr><w:rPr><w:b/><w:color w:val="1F3A5F"/><w:sz w:val="34"/><w:szCs w:val="34"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="TOC1"><w:name w:val="toc 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="39"/><w:unhideWhenUsed/><w:pPr><w:spacing w:before="120" w:after="40"/></w:pPr><w:rPr><w:b/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="TOC2"><w:name w:val="toc 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="39"/><w:unhideWhenUsed/><w:pPr><w:spacing w:after="40"/><w:ind w:left="240"/></w:pPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="ListBullet"><w:name w:val="List Bullet"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr><w:spacing w:after="40"/><w:ind w:left="360" w:hanging="360"/></w:pPr></w:style>` +
	`<w:style w:type="paragraph" w:customStyle="1" w:styleId="TableText"><w:name w:val="Table Text"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/></w:pPr><w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:customStyle="1" w:styleId="Checkpoint"><w:name w:val="Checkpoint"/><w:basedOn w:val="Normal"/><w:pPr><w:pBdr><w:top w:val="single" w:sz="4" w:space="4" w:color="7F8C99"/><w:left w:val="single" w:sz="4" w:space="4" w:color="7F8C99"/><w:bottom w:val="single" w:sz="4" w:space="4" w:color="7F8C99"/><w:right w:val="single" w:sz="4" w:space="4" w:color="7F8C99"/></w:pBdr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:rPr><w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/><w:sz w:val="17"/><w:szCs w:val="17"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Header"><w:name w:val="header"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:pPr><w:tabs><w:tab w:val="center" w:pos="5040"/><w:tab w:val="right" w:pos="10080"/></w:tabs><w:spacing w:after="0"/></w:pPr><w:rPr><w:color w:val="44546A"/><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:pPr><w:tabs><w:tab w:val="center" w:pos="5040"/><w:tab w:val="right" w:pos="10080"/></w:tabs><w:spacing w:after="0"/></w:pPr><w:rPr><w:color w:val="44546A"/><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>` +
	`<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:basedOn w:val="TableNormal"/><w:uiPriority w:val="39"/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="A6B0BB"/><w:left w:val="single" w:sz="4" w:space="0" w:color="A6B0BB"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="A6B0BB"/><w:right w:val="single" w:sz="4" w:space="0" w:color="A6B0BB"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="A6B0BB"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="A6B0BB"/></w:tblBorders></w:tblPr></w:style>` +
	`</w:styles>`
