package report

import (
	"errors"
	"fmt"
	"io"

	"codeberg.org/go-pdf/fpdf"
)

// The PDF report is what a compliance officer hands an investigator: the
// scope and sign-off, the method, a one-page summary, then every record
// the rule asks to be documented, ending with the audit log checkpoint
// that lets a reader prove later that nothing was rewritten. It is drawn
// with the core PDF fonts (cp1252), so it needs no font files and no
// browser.

// Section titles of the PDF, in order.
const (
	pdfSecScope      = "Scope and sign-off"
	pdfSecContents   = "Contents"
	pdfSecMethod     = "Method and risk scale"
	pdfSecSummary    = "Executive summary"
	pdfSecInventory  = "ePHI inventory"
	pdfSecFlows      = "Data flows"
	pdfSecEntries    = "Safeguards: every catalogue entry"
	pdfSecDecisions  = "Addressable decision log"
	pdfSecRegister   = "Risk register"
	pdfSecRiskDetail = "Risk details"
	pdfSecPlan       = "Risk management plan"
	pdfSecEvidence   = "Evidence index"
	pdfSecOpen       = "Open items"
	pdfSecAudit      = "Audit log checkpoint"
)

// pdfDoc is one PDF being written.
type pdfDoc struct {
	f *fpdf.Fpdf
	m *Model
	e *encoder

	y      float64 // top of the next line, mm
	widths map[fontKey]*[256]int
	cur    fontState // the font fpdf draws with
	text   *rgb      // the text colour fpdf draws with, nil unknown
	cw     *[256]int // glyph widths of the font measured with
	fs     float64   // current font size, mm

	risks      map[int64]int // Model.Risks index by id, built on first use
	evidenceIx map[int64]int

	compact     bool // sections follow on without a new page
	sectionPage int  // the page the last section started on
	// headingEnd is where the last heading ended, on headingPage: what
	// comes right under a heading is not moved away from it.
	headingEnd  float64
	headingPage int
	toc         []tocEntry
	tocPages    []int // pages kept for the contents, filled at the end
	header      string
	dateLine    string
}

// WritePDF writes the report as a PDF document.
func WritePDF(w io.Writer, m *Model) error {
	if m == nil {
		return errors.New("write pdf: no report model")
	}
	d := newPDFDoc(m)
	f := d.f
	f.SetCreationDate(m.Generated)
	f.SetModificationDate(m.Generated)
	f.SetCatalogSort(true)
	f.SetCreator("Safeguard", true)
	f.SetAuthor(m.PreparedBy, true)
	f.SetTitle(m.Title, true)
	f.SetSubject(m.Org.Name, true)

	d.cover()
	switch m.Part {
	case PartSummary:
		d.summary()
	case PartAsset:
		d.assetPart()
	default:
		d.keepContents()
		d.summary()
		d.method()
		d.inventory(m.Assets)
		d.flows(m.Flows, m.MapText)
		d.entries()
		d.decisions()
		d.register(m.Risks, true)
		d.riskDetails(m.Risks)
		d.plan(m.Tasks)
		d.evidence()
		d.openItems()
		d.checkpoint()
		d.contents()
	}
	d.footers()
	if err := f.Error(); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	if err := f.Output(w); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	return nil
}

// newPDFDoc starts an empty document for m.
func newPDFDoc(m *Model) *pdfDoc {
	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "Letter"})
	f.SetMargins(pdfMarginL, pdfTop, pdfMarginR)
	// Every page break is ours: tables repeat their header row and keep
	// the cells of a row together, which fpdf's automatic break cannot.
	f.SetAutoPageBreak(false, 0)
	d := &pdfDoc{f: f, m: m, e: newEncoder(f), widths: map[fontKey]*[256]int{}}
	d.header = m.Org.Name
	if m.Title != "" {
		d.header += " — " + m.Title
	}
	d.dateLine = "Generated " + m.DateTime(m.Generated)
	f.SetHeaderFunc(d.drawHeader)
	return d
}

// drawHeader is fpdf's header hook: the running header on every page and,
// for a draft, the DRAFT mark — drawn first, so it lies under the page's
// content.
func (d *pdfDoc) drawHeader() {
	f := d.f
	// fpdf restores its font after the hook; keep ours in step with it.
	cw, fs, cur, text := d.cw, d.fs, d.cur, d.text
	defer func() { d.cw, d.fs, d.cur, d.text = cw, fs, cur, text }()
	if d.m.Draft {
		d.draftMark()
	}
	d.setFont("Helvetica", "", 7.5)
	d.textColour(colMuted)
	right := d.e.enc(d.dateLine)
	rw := d.textWidth(right)
	left := d.e.enc(d.header)
	room := pdfWidth - rw - 4
	if d.m.Draft {
		room -= 18
	}
	// The header is one line; a very long organisation name is shortened
	// here only (it is printed whole on the cover).
	if d.textWidth(left) > room {
		for len(left) > 0 && d.textWidth(left+"...") > room {
			left = left[:len(left)-1]
		}
		left += "..."
	}
	f.Text(pdfMarginL, 11, left)
	f.Text(pdfMarginL+pdfWidth-rw, 11, right)
	if d.m.Draft {
		d.setFont("Helvetica", "B", 9)
		d.textColour(colMark)
		f.Text(pdfMarginL+pdfWidth-rw-4-d.textWidth("DRAFT"), 11.2, "DRAFT")
	}
	d.drawColour(colRule)
	f.SetLineWidth(0.2)
	f.Line(pdfMarginL, 13, pdfMarginL+pdfWidth, 13)
}

// draftLetters are the strokes of D, R, A, F and T on a grid 4 wide and 6
// high (y down), each stroke a polyline.
var draftLetters = [][][]float64{
	{{0, 0, 0, 6, 2.4, 6, 4, 4.4, 4, 1.6, 2.4, 0, 0, 0}},
	{{0, 6, 0, 0, 3, 0, 4, 1, 4, 2, 3, 3, 0, 3}, {2, 3, 4, 6}},
	{{0, 6, 2, 0, 4, 6}, {0.7, 4, 3.3, 4}},
	{{4, 0, 0, 0, 0, 6}, {0, 3, 3, 3}},
	{{0, 0, 4, 0}, {2, 0, 2, 6}},
}

// draftMark draws DRAFT across the page in light strokes. It is a drawing,
// not text, so copying or searching the page's text is not disturbed by it.
func (d *pdfDoc) draftMark() {
	f := d.f
	const unit, gap = 4.6, 1.6 // mm per grid step; grid steps between letters
	w := (5*4 + 4*gap) * unit
	x0, y0 := pdfPageW/2-w/2, pdfPageH/2-3*unit
	f.TransformBegin()
	f.TransformRotate(50, pdfPageW/2, pdfPageH/2)
	d.drawColour(colDraftWm)
	f.SetLineWidth(3.2)
	f.SetLineCapStyle("round")
	f.SetLineJoinStyle("round")
	for i, letter := range draftLetters {
		lx := x0 + float64(i)*(4+gap)*unit
		for _, stroke := range letter {
			f.MoveTo(lx+stroke[0]*unit, y0+stroke[1]*unit)
			for j := 2; j+1 < len(stroke); j += 2 {
				f.LineTo(lx+stroke[j]*unit, y0+stroke[j+1]*unit)
			}
			f.DrawPath("D")
		}
	}
	f.TransformEnd()
	f.SetLineCapStyle("butt")
	f.SetLineJoinStyle("miter")
	f.SetLineWidth(0.2)
}

// footers writes "Page N of M" on every page once the count is known.
func (d *pdfDoc) footers() {
	f := d.f
	n := f.PageCount()
	for p := 1; p <= n; p++ {
		d.revisit(p)
		d.setFont("Helvetica", "", 8)
		d.fillColour(colWhite)
		d.textColour(colMuted)
		d.drawColour(colRule)
		f.SetLineWidth(0.2)
		f.Line(pdfMarginL, pdfBottom+4, pdfMarginL+pdfWidth, pdfBottom+4)
		s := fmt.Sprintf("Page %d of %d", p, n)
		f.Text(pdfMarginL+pdfWidth/2-d.textWidth(s)/2, pdfBottom+9, s)
		if d.m.Draft {
			d.setFont("Helvetica", "B", 8)
			d.textColour(colMark)
			f.Text(pdfMarginL, pdfBottom+9, "DRAFT - not signed off")
		}
	}
	f.SetPage(n)
}

// revisit makes page p current again to draw on it. fpdf's idea of the
// current font and colours belongs to whatever page was written last, so
// the font is forgotten (and set again by the next setFont) and the
// colours must be set before use.
func (d *pdfDoc) revisit(p int) {
	d.f.SetPage(p)
	d.forget()
}

// forget drops what we know of the page's font and colours, after a
// graphics state was restored (the end of a clip) or on a page revisited:
// the next setFont writes the font again, and the fill colour, which text
// of the fill's own colour is drawn in, is set.
func (d *pdfDoc) forget() {
	d.cur = fontState{}
	d.text = nil
	d.fillColour(colWhite)
}

// keepContents keeps the pages for the table of contents, written at the
// end when every section's page is known.
func (d *pdfDoc) keepContents() {
	cats := map[string]bool{}
	for _, p := range d.m.Posture {
		cats[p.Category] = true
	}
	for _, e := range d.m.Entries {
		cats[e.Category] = true
	}
	lines := 18 + len(cats) // sections, their parts, catalogue categories
	perPage := 31           // lines of 7 mm between the title and the bottom margin
	for i := 0; i*perPage < lines; i++ {
		d.newPage()
		if i == 0 {
			d.f.Bookmark(pdfSecContents, 0, pdfTop)
		}
		d.tocPages = append(d.tocPages, d.f.PageNo())
	}
	d.y = pdfBottom + 1 // the next section starts on a new page
}

// contents fills the pages kept by keepContents.
func (d *pdfDoc) contents() {
	if len(d.tocPages) == 0 {
		return
	}
	f := d.f
	idx := 0
	d.revisit(d.tocPages[idx])
	d.y = pdfTop
	d.setFont("Helvetica", "B", 16)
	d.textColour(colHeading)
	f.Text(pdfMarginL, d.baseline(d.y, d.lineH()), pdfSecContents)
	d.y += d.lineH() + 4
	const lh = 7.0
	for _, e := range d.toc {
		if d.y+lh > pdfBottom {
			idx++
			if idx >= len(d.tocPages) {
				break
			}
			d.revisit(d.tocPages[idx])
			d.y = pdfTop
		}
		indent, style, size := 0.0, "B", 10.5
		if e.level > 0 {
			indent, style, size = 7, "", 9.5
		}
		d.setFont("Helvetica", style, size)
		d.fillColour(colWhite)
		d.textColour(colInk)
		title := d.e.enc(e.title)
		page := fmt.Sprint(e.page)
		pw := d.textWidth(page)
		room := pdfWidth - indent - pw - 8
		for d.textWidth(title) > room && len(title) > 1 {
			title = title[:len(title)-1]
		}
		base := d.baseline(d.y, lh)
		f.Text(pdfMarginL+indent, base, title)
		f.Text(pdfMarginL+pdfWidth-pw, base, page)
		d.drawColour(colRule)
		f.SetDashPattern([]float64{0.4, 1.2}, 0)
		f.Line(pdfMarginL+indent+d.textWidth(title)+2, base, pdfMarginL+pdfWidth-pw-2, base)
		f.SetDashPattern(nil, 0)
		f.Link(pdfMarginL, d.y, pdfWidth, lh, e.link)
		d.y += lh
	}
}
