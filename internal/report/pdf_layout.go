package report

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
)

// This file holds the PDF's page furniture and layout primitives: text
// encoding for the core fonts, line breaking, paragraphs, headings and a
// table that breaks cleanly across pages. The sections themselves are in
// pdf_sections.go, the drawings in pdf_draw.go.

// Page geometry in millimetres (US Letter, portrait).
const (
	pdfPageW   = 215.9
	pdfPageH   = 279.4
	pdfMarginL = 16.0
	pdfMarginR = 16.0
	pdfTop     = 20.0 // first line of content; the running header sits above
	pdfBottom  = 262.0
	pdfWidth   = pdfPageW - pdfMarginL - pdfMarginR
	ptPerMM    = 72 / 25.4
)

// rgb is a colour; colours in the Model are "#rrggbb".
type rgb struct{ r, g, b int }

func hexColour(s string, fallback rgb) rgb {
	s = strings.TrimPrefix(s, "#")
	if len(s) != 6 {
		return fallback
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return fallback
	}
	return rgb{int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)}
}

// dark reports whether white text reads better than black on c.
func (c rgb) dark() bool {
	return 299*c.r+587*c.g+114*c.b < 150000
}

var (
	colInk     = rgb{25, 25, 25}
	colMuted   = rgb{95, 95, 95}
	colHeading = rgb{22, 52, 92}
	colRule    = rgb{190, 196, 204}
	colHeadBg  = rgb{226, 232, 240}
	colMark    = rgb{183, 28, 28}
	colMarkBg  = rgb{253, 236, 234}
	colWhite   = rgb{255, 255, 255}
	colDraftWm = rgb{250, 222, 222}
)

// encoder turns UTF-8 into the cp1252 bytes the core fonts print.
// Characters cp1252 lacks become a near equivalent or "?", never nothing,
// so no text disappears silently.
type encoder struct {
	tr    func(string) string
	cache map[rune]string
}

func newEncoder(f *fpdf.Fpdf) *encoder {
	return &encoder{tr: f.UnicodeTranslatorFromDescriptor(""), cache: map[rune]string{}}
}

func (e *encoder) enc(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7f || (c < 0x20 && c != '\n') {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteByte('\n')
		case r == '\r':
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		case r < 0x7f:
			b.WriteByte(byte(r))
		default:
			b.WriteString(e.char(r))
		}
	}
	return b.String()
}

func (e *encoder) char(r rune) string {
	if s, ok := e.cache[r]; ok {
		return s
	}
	s := e.tr(string(r))
	if r == utf8.RuneError || s == "." || s == "" {
		s = cp1252Fallback(r)
	}
	e.cache[r] = s
	return s
}

// latinExtA gives the base letter of U+0100–U+017F.
const latinExtA = "AaAaAaCcCcCcCcDd" + "DdEeEeEeEeEeGgGg" + "GgGgHhHhIiIiIiIi" + "IiIiJjKkkLlLlLlL" +
	"lLlNnNnNnnNnOoOo" + "OoOoRrRrRrSsSsSs" + "SsTtTtTtUuUuUuUu" + "UuUuWwYyYZzZzZzs"

func cp1252Fallback(r rune) string {
	if r >= 0x100 && r < 0x180 {
		return latinExtA[r-0x100 : r-0x100+1]
	}
	switch r {
	case '≤':
		return "<="
	case '≥':
		return ">="
	case '≠':
		return "!="
	case '≈':
		return "~"
	case '→', '⇒':
		return "->"
	case '←', '⇐':
		return "<-"
	case '↔':
		return "<->"
	case '−', '‐', '‑', '‒', '―':
		return "-"
	case '′':
		return "'"
	case '″':
		return "\""
	case '⚠':
		return "!"
	case '✓', '✔':
		return "(yes)"
	case '✗', '✘':
		return "(no)"
	case 'ﬁ':
		return "fi"
	case 'ﬂ':
		return "fl"
	case '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a', '\u202f', '\u205f', '\u3000':
		return " "
	case '\u200b', '\u200c', '\u200d', '\ufeff', '\u00ad':
		return ""
	}
	return "?"
}

// fontKey names one of the core fonts in one style.
type fontKey struct{ family, style string }

// fontState is a font in one style and size.
type fontState struct {
	fontKey
	size float64
}

// setFont selects a font for drawing and for measuring. fpdf writes a
// font change into the page each time it is asked, so a change to the
// font already in use is skipped.
func (d *pdfDoc) setFont(family, style string, size float64) {
	d.measureFont(family, style, size)
	st := fontState{fontKey{family, style}, size}
	if st == d.cur {
		return
	}
	d.cur = st
	d.f.SetFont(family, style, size)
}

// measureFont selects a font for measuring text only.
func (d *pdfDoc) measureFont(family, style string, size float64) {
	k := fontKey{family, style}
	cw, ok := d.widths[k]
	if !ok {
		cw = new([256]int)
		cur := d.cur
		d.f.SetFont(family, style, size)
		for c := 1; c < 256; c++ {
			cw[c] = d.f.GetStringSymbolWidth(string([]byte{byte(c)}))
		}
		if cur.family != "" {
			d.f.SetFont(cur.family, cur.style, cur.size)
		}
		d.widths[k] = cw
	}
	d.cw = cw
	d.fs = size / ptPerMM
}

// textWidth is the width in mm of encoded text in the current font.
func (d *pdfDoc) textWidth(s string) float64 {
	w := 0
	for i := 0; i < len(s); i++ {
		w += d.cw[s[i]]
	}
	return float64(w) * d.fs / 1000
}

// split breaks encoded text into lines no wider than w in the current
// font: at spaces where it can, inside a word only when the word alone is
// wider than w. Nothing is dropped but the spaces lines break at.
func (d *pdfDoc) split(s string, w float64) []string {
	if s == "" {
		return nil
	}
	limit := int(w * 1000 / d.fs)
	var lines []string
	for para := range strings.SplitSeq(s, "\n") {
		start, space, width := 0, -1, 0
		for i := 0; i < len(para); i++ {
			c := para[i]
			if c == ' ' {
				space = i
			}
			width += d.cw[c]
			if width <= limit || i == start {
				continue
			}
			if space > start {
				lines = append(lines, para[start:space])
				start = space + 1
			} else {
				lines = append(lines, para[start:i])
				start = i
			}
			space = -1
			width = 0
			for j := start; j <= i; j++ {
				width += d.cw[para[j]]
			}
		}
		lines = append(lines, para[start:])
	}
	return lines
}

// textColour sets the text colour; fpdf writes nothing for it until text
// is drawn, so setting the colour in use again is skipped.
func (d *pdfDoc) textColour(c rgb) {
	if d.text != nil && *d.text == c {
		return
	}
	d.text = &c
	d.f.SetTextColor(c.r, c.g, c.b)
}
func (d *pdfDoc) fillColour(c rgb) { d.f.SetFillColor(c.r, c.g, c.b) }
func (d *pdfDoc) drawColour(c rgb) { d.f.SetDrawColor(c.r, c.g, c.b) }

// lineH is the line height for the current font.
func (d *pdfDoc) lineH() float64 { return d.fs * 1.3 }

// baseline is where text sits in a line of height lh whose top is y.
func (d *pdfDoc) baseline(y, lh float64) float64 { return y + 0.5*lh + 0.3*d.fs }

// newPage starts a page; the running header is drawn by fpdf's header hook.
func (d *pdfDoc) newPage() {
	d.f.AddPage()
	d.y = pdfTop
}

// need starts a new page unless h millimetres remain on this one.
func (d *pdfDoc) need(h float64) {
	if d.y+h > pdfBottom {
		d.newPage()
	}
}

// gap adds vertical space, never past the bottom of the page.
func (d *pdfDoc) gap(h float64) {
	d.y += h
	if d.y > pdfBottom {
		d.y = pdfBottom
	}
}

// para prints text as a paragraph of the full width, breaking pages
// between lines.
func (d *pdfDoc) para(text string, style string, size float64) {
	d.paraAt(pdfMarginL, pdfWidth, text, style, size, colInk)
}

func (d *pdfDoc) paraAt(x, w float64, text, style string, size float64, c rgb) {
	d.setFont("Helvetica", style, size)
	d.textColour(c)
	lh := d.lineH()
	for _, ln := range d.split(d.e.enc(text), w) {
		d.need(lh)
		d.f.Text(x, d.baseline(d.y, lh), ln)
		d.y += lh
	}
	d.gap(lh * 0.4)
}

// bullet prints an item of a list with a hanging indent.
func (d *pdfDoc) bullet(text string, size float64) {
	d.bulletIn(text, size, colInk)
}

// bulletIn prints an item of a list in colour c (red for what is exposed).
func (d *pdfDoc) bulletIn(text string, size float64, c rgb) {
	d.setFont("Helvetica", "", size)
	d.textColour(c)
	lh := d.lineH()
	for i, ln := range d.split(d.e.enc(text), pdfWidth-5) {
		d.need(lh)
		if i == 0 {
			d.f.Text(pdfMarginL+1, d.baseline(d.y, lh), "\x95")
		}
		d.f.Text(pdfMarginL+5, d.baseline(d.y, lh), ln)
		d.y += lh
	}
	d.gap(lh * 0.2)
}

// tocEntry is one line of the table of contents.
type tocEntry struct {
	title string
	level int
	page  int
	link  int
}

// section starts a top-level section on a new page and records it for the
// contents, the PDF outline and the links. When the section before ended
// in the top half of a page it ran on to, the new one starts below it
// instead, so that a few rows carried over do not leave a page nearly
// empty.
func (d *pdfDoc) section(title string) {
	switch {
	case d.compact && d.f.PageNo() > 1:
		d.gap(6)
	case d.f.PageNo() == 0:
		d.newPage()
	case d.y <= pdfTop+0.01:
	case d.f.PageNo() != d.sectionPage && d.y < pdfTop+(pdfBottom-pdfTop)/2:
		d.gap(8)
	default:
		d.newPage()
	}
	d.sectionPage = d.f.PageNo()
	d.heading(title, 0)
}

// keep starts a new page unless a block h millimetres tall fits on this
// one, for a block no taller than 40% of a page: a short record (one
// safeguard, one decision, one risk) is read whole, and a heading is not
// left at the foot of a page with its first rows over the page.
//
// A block right under a heading is not moved: the heading would be left
// alone at the foot of the page. It starts there, and its rows break
// across the page as a table's do.
func (d *pdfDoc) keep(h float64) {
	if d.f.PageNo() == d.headingPage && d.y == d.headingEnd {
		return
	}
	if h <= 0.4*(pdfBottom-pdfTop) {
		d.need(h)
	}
}

// headingH is the height heading(title, level) takes.
func (d *pdfDoc) headingH(title string, level int) float64 {
	size := [...]float64{16, 12, 10}[level]
	d.measureFont("Helvetica", "B", size)
	lh := d.lineH()
	h := float64(len(d.split(d.e.enc(title), pdfWidth)))*lh + lh*0.25
	if level > 0 {
		h += lh * 0.3
	}
	return h
}

// heading prints a heading of level 0 (section), 1 or 2, kept with at
// least a few lines of what follows. Levels 0 and 1 go in the contents.
func (d *pdfDoc) heading(title string, level int) {
	size := [...]float64{16, 12, 10}[level]
	lines := func() []string {
		d.setFont("Helvetica", "B", size)
		return d.split(d.e.enc(title), pdfWidth)
	}()
	lh := d.lineH()
	if level > 0 {
		d.gap(lh * 0.3)
	}
	// Room for what follows: a section or part heading is often followed
	// by a smaller heading, and each needs a few lines under it.
	d.need(float64(len(lines))*lh + [...]float64{42, 30, 18}[level])
	if level < 2 {
		link := d.f.AddLink()
		d.f.SetLink(link, d.y, d.f.PageNo())
		d.f.Bookmark(d.e.enc(title), level, d.y)
		d.toc = append(d.toc, tocEntry{title: title, level: level, page: d.f.PageNo(), link: link})
	}
	d.setFont("Helvetica", "B", size)
	d.textColour(colHeading)
	for _, ln := range lines {
		d.f.Text(pdfMarginL, d.baseline(d.y, lh), ln)
		d.y += lh
	}
	if level == 0 {
		d.drawColour(colHeading)
		d.f.SetLineWidth(0.4)
		d.f.Line(pdfMarginL, d.y+0.5, pdfMarginL+pdfWidth, d.y+0.5)
		d.f.SetLineWidth(0.2)
		d.y += 3
	}
	d.gap(lh * 0.25)
	d.headingEnd, d.headingPage = d.y, d.f.PageNo()
}

// column is one column of a table.
type column struct {
	title string
	width float64 // mm
	align string  // "L" (default) or "R"
	mono  bool    // Courier, for hashes and signatures
	bold  bool
}

// cell is one cell of a table row.
type cell struct {
	text string
	fill string // "#rrggbb" background, "" none
	mark bool   // printed red and bold: exposed, overdue, expired
	bold bool
	mono bool
	span int // columns covered; 0 or 1 is one
}

func c(s string) cell { return cell{text: s} }

// table draws rows that break across pages: a row that does not fit moves
// to the next page under a repeated header row; a row taller than a page
// is cut between lines, its cells kept side by side, and continued on the
// next page, so no text is lost.
type table struct {
	d      *pdfDoc
	cols   []column
	size   float64 // font size, pt
	header bool
	// fill, when set, is the background of the next rows (marked rows).
	fill *rgb
	// held, while holding, are rows kept back to be measured before they
	// are drawn (see hold and flush).
	held    [][]cell
	holding bool
}

// hold keeps the rows added from now on until flush, so that the block's
// height is known before it is drawn.
func (t *table) hold() *table {
	t.holding = true
	return t
}

// height is the height of the rows held.
func (t *table) height() float64 {
	h := 0.0
	for _, cells := range t.held {
		h += t.rowH(cells)
	}
	return h
}

// flush draws the rows held and stops holding.
func (t *table) flush() {
	rows := t.held
	t.held, t.holding = nil, false
	for _, cells := range rows {
		t.row(cells...)
	}
}

// rowH is the height one row of cells takes.
func (t *table) rowH(cells []cell) float64 {
	d := t.d
	cols := t.spans(cells)
	n := 1
	for i := range cols {
		family, style := t.cellFont(cols[i], cells[i])
		d.measureFont(family, style, t.size)
		n = max(n, len(d.split(d.e.enc(cells[i].text), cols[i].width-2*cellPadX)))
	}
	return float64(n)*t.lineH() + 2*cellPadY
}

const (
	cellPadX = 1.2
	cellPadY = 0.75
)

func (d *pdfDoc) table(size float64, header bool, cols ...column) *table {
	t := &table{d: d, cols: cols, size: size, header: header}
	// Scale the columns to the full width, so callers give proportions.
	sum := 0.0
	for _, col := range cols {
		sum += col.width
	}
	for i := range t.cols {
		t.cols[i].width *= pdfWidth / sum
	}
	if header {
		d.need(t.headerH() + 3*t.lineH() + 2*cellPadY)
		t.drawHeader()
	}
	return t
}

func (t *table) lineH() float64 { return t.size / ptPerMM * 1.3 }

func (t *table) headerLines() [][]string {
	d := t.d
	d.measureFont("Helvetica", "B", t.size)
	out := make([][]string, len(t.cols))
	for i, col := range t.cols {
		out[i] = d.split(d.e.enc(col.title), col.width-2*cellPadX)
	}
	return out
}

func (t *table) headerH() float64 {
	if !t.header {
		return 0
	}
	n := 1
	for _, l := range t.headerLines() {
		n = max(n, len(l))
	}
	return float64(n)*t.lineH() + 2*cellPadY
}

func (t *table) drawHeader() {
	if !t.header {
		return
	}
	d := t.d
	lines := t.headerLines()
	h := t.headerH()
	d.fillColour(colHeadBg)
	d.f.Rect(pdfMarginL, d.y, pdfWidth, h, "F")
	d.setFont("Helvetica", "B", t.size)
	d.textColour(colInk)
	lh := t.lineH()
	x := pdfMarginL
	for i, col := range t.cols {
		for j, ln := range lines[i] {
			d.f.Text(t.alignX(x, col, ln), d.baseline(d.y+cellPadY+float64(j)*lh, lh), ln)
		}
		x += col.width
	}
	d.y += h
}

func (t *table) alignX(x float64, col column, ln string) float64 {
	if col.align == "R" {
		return x + col.width - cellPadX - t.d.textWidth(ln)
	}
	return x + cellPadX
}

func (t *table) cellFont(col column, cl cell) (string, string) {
	switch {
	case col.mono || cl.mono:
		return "Courier", ""
	case col.bold || cl.bold || cl.mark:
		return "Helvetica", "B"
	}
	return "Helvetica", ""
}

// spans gives the columns the cells of a row cover: a cell covers span
// columns (one by default), and a lone cell covers the whole width.
func (t *table) spans(cells []cell) []column {
	cols := make([]column, 0, len(cells))
	ci := 0
	for _, cl := range cells {
		if ci >= len(t.cols) {
			break
		}
		span := max(cl.span, 1)
		if len(cells) == 1 {
			span = len(t.cols)
		}
		col := t.cols[ci]
		if span > 1 {
			col = column{width: col.width}
			for k := 1; k < span && ci+k < len(t.cols); k++ {
				col.width += t.cols[ci+k].width
			}
		}
		cols = append(cols, col)
		ci += span
	}
	return cols
}

// row draws one row; a single cell spans the whole width.
func (t *table) row(cells ...cell) {
	if t.holding {
		t.held = append(t.held, cells)
		return
	}
	t.rowIn(pdfBottom, true, cells...)
}

// rowWithin draws the row only if it fits above limit on this page, and
// reports whether it did; it never breaks the page (the one-page summary).
func (t *table) rowWithin(limit float64, cells ...cell) bool {
	return t.rowIn(limit, false, cells...)
}

func (t *table) rowIn(limit float64, breaks bool, cells ...cell) bool {
	d := t.d
	cols := t.spans(cells)
	cells = cells[:len(cols)]
	lines := make([][]string, len(cols))
	n := 1
	for i := range cells {
		family, style := t.cellFont(cols[i], cells[i])
		d.measureFont(family, style, t.size)
		lines[i] = d.split(d.e.enc(cells[i].text), cols[i].width-2*cellPadX)
		n = max(n, len(lines[i]))
	}
	lh := t.lineH()
	h := float64(n)*lh + 2*cellPadY
	if !breaks {
		if d.y+h > limit {
			return false
		}
	} else if d.y+h > limit {
		// A row up to a third of a page moves whole to the next page; a
		// taller one starts here and continues there, so a long rationale
		// does not leave most of a page empty.
		whole := (limit - pdfTop - t.headerH()) / 3
		if h <= whole || limit-d.y < 3*lh+2*cellPadY {
			d.newPage()
			t.drawHeader()
		}
	}
	for k := 0; k < n; {
		fit := int((limit - d.y - 2*cellPadY) / lh)
		if fit < 1 {
			d.newPage()
			t.drawHeader()
			continue
		}
		take := min(fit, n-k)
		t.drawChunk(cols, cells, lines, k, take)
		k += take
		if k < n {
			d.newPage()
			t.drawHeader()
		}
	}
	return true
}

// drawChunk draws lines [k, k+take) of every cell of a row.
func (t *table) drawChunk(cols []column, cells []cell, lines [][]string, k, take int) {
	d := t.d
	lh := t.lineH()
	h := float64(take)*lh + 2*cellPadY
	if t.fill != nil {
		d.fillColour(*t.fill)
		d.f.Rect(pdfMarginL, d.y, pdfWidth, h, "F")
	}
	x := pdfMarginL
	for i, col := range cols {
		if i >= len(cells) {
			break
		}
		cl := cells[i]
		if cl.fill != "" {
			bg := hexColour(cl.fill, colWhite)
			d.fillColour(bg)
			d.f.Rect(x+0.3, d.y+0.3, col.width-0.6, h-0.6, "F")
			if bg.dark() {
				d.textColour(colWhite)
			} else {
				d.textColour(colInk)
			}
		} else if cl.mark {
			d.textColour(colMark)
		} else {
			d.textColour(colInk)
		}
		family, style := t.cellFont(col, cl)
		d.setFont(family, style, t.size)
		end := min(k+take, len(lines[i]))
		for j := k; j < end; j++ {
			ln := lines[i][j]
			d.f.Text(t.alignX(x, col, ln), d.baseline(d.y+cellPadY+float64(j-k)*lh, lh), ln)
		}
		x += col.width
	}
	d.y += h
	d.drawColour(colRule)
	d.f.Line(pdfMarginL, d.y, pdfMarginL+pdfWidth, d.y)
}

// kv is a two-column table of labels and values without a header row.
func (d *pdfDoc) kv(size float64) *table {
	return d.table(size, false, column{width: 26, bold: true}, column{width: 74})
}

// pair adds a label and value, skipping empty values.
func (t *table) pair(label, value string) {
	if strings.TrimSpace(value) == "" {
		return
	}
	t.row(c(label), c(value))
}

// pairs adds two labels and values side by side on a four-column table.
func (t *table) pairs(l1, v1, l2, v2 string) {
	if strings.TrimSpace(v1) == "" && strings.TrimSpace(v2) == "" {
		return
	}
	t.row(c(l1), c(v1), c(l2), c(v2))
}

// wide adds a label and a value that covers the rest of the row.
func (t *table) wide(label, value string) {
	if strings.TrimSpace(value) == "" {
		return
	}
	t.row(c(label), cell{text: value, span: len(t.cols) - 1})
}
