package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"github.com/safeguard-health/safeguard/internal/draw"
)

// Drawings of the PDF, in vector shapes: the posture chart, the level
// tiles, the level matrix and the heat maps. Each is kept whole on a page.

var (
	colImplemented    = rgb{46, 125, 50}
	colPartial        = rgb{249, 168, 37}
	colNotImplemented = rgb{198, 40, 40}
	colNotApplicable  = rgb{120, 144, 156}
	colUnanswered     = rgb{214, 214, 214}
)

// postureChart draws one horizontal bar per safeguard category, split by
// answer, with a legend. It returns the height used.
func (d *pdfDoc) postureChart() {
	ps := d.m.Posture
	const labelW, totalW, barH, step = 50.0, 16.0, 6.0, 8.5
	h := float64(len(ps))*step + 10
	d.need(h)
	barW := pdfWidth - labelW - totalW
	f := d.f
	for _, p := range ps {
		d.setFont("Helvetica", "", 8.5)
		d.textColour(colInk)
		// A long category name takes two lines in a smaller size rather
		// than losing its end.
		label := d.e.enc(p.Label)
		if d.textWidth(label) <= labelW-2 {
			f.Text(pdfMarginL, d.y+barH/2+0.3*d.fs+0.2, label)
		} else {
			d.setFont("Helvetica", "", 7)
			lines := f.SplitText(label, labelW-2)
			if len(lines) > 2 {
				lines = []string{lines[0], strings.Join(lines[1:], " ")}
			}
			for i, ln := range lines {
				f.Text(pdfMarginL, d.y+2.4+float64(i)*2.9, ln)
			}
			d.setFont("Helvetica", "", 8.5)
		}
		total := p.Total()
		x := pdfMarginL + labelW
		if total == 0 {
			d.drawColour(colRule)
			f.Rect(x, d.y, barW, barH, "D")
		}
		for _, seg := range []struct {
			n int
			c rgb
		}{{p.Implemented, colImplemented}, {p.Partial, colPartial}, {p.NotImplemented, colNotImplemented}, {p.NotApplicable, colNotApplicable}, {p.Unanswered, colUnanswered}} {
			if seg.n == 0 || total == 0 {
				continue
			}
			w := barW * float64(seg.n) / float64(total)
			d.fillColour(seg.c)
			f.Rect(x, d.y, w, barH, "F")
			s := strconv.Itoa(seg.n)
			d.setFont("Helvetica", "B", 7.5)
			if d.textWidth(s)+1.5 < w {
				if seg.c.dark() {
					d.textColour(colWhite)
				} else {
					d.textColour(colInk)
				}
				f.Text(x+w/2-d.textWidth(s)/2, d.y+barH/2+0.3*d.fs+0.2, s)
			}
			x += w
		}
		d.setFont("Helvetica", "", 8.5)
		d.textColour(colInk)
		s := fmt.Sprintf("%d", total)
		f.Text(pdfMarginL+pdfWidth-d.textWidth(s), d.y+barH/2+0.3*d.fs+0.2, s)
		d.y += step
	}
	// Legend.
	x := pdfMarginL + labelW
	d.setFont("Helvetica", "", 7.5)
	for _, lg := range []struct {
		label string
		c     rgb
	}{{"Implemented", colImplemented}, {"Partially implemented", colPartial}, {"Not implemented", colNotImplemented}, {"Not applicable", colNotApplicable}, {"Not answered", colUnanswered}} {
		d.fillColour(lg.c)
		f.Rect(x, d.y+0.6, 3, 3, "F")
		d.textColour(colInk)
		f.Text(x+4, d.y+3.3, lg.label)
		x += d.textWidth(lg.label) + 9
	}
	d.y += 7
}

// levelTiles draws one coloured tile per risk level with its count.
func (d *pdfDoc) levelTiles() {
	lv := d.m.ByLevel
	if len(lv) == 0 {
		return
	}
	const h = 13.0
	d.need(h + 3)
	f := d.f
	w := (pdfWidth - float64(len(lv)-1)*2) / float64(len(lv))
	x := pdfMarginL
	for _, l := range lv {
		bg := hexColour(l.Colour, colNotApplicable)
		d.fillColour(bg)
		f.Rect(x, d.y, w, h, "F")
		if bg.dark() {
			d.textColour(colWhite)
		} else {
			d.textColour(colInk)
		}
		d.setFont("Helvetica", "B", 13)
		n := strconv.Itoa(l.Count)
		f.Text(x+w/2-d.textWidth(n)/2, d.y+6, n)
		d.setFont("Helvetica", "", 8)
		label := d.e.enc(l.Label)
		for len(label) > 1 && d.textWidth(label) > w-2 {
			label = label[:len(label)-1]
		}
		f.Text(x+w/2-d.textWidth(label)/2, d.y+10.8, label)
		x += w + 2
	}
	d.y += h + 3
}

// gridHeight is the height of a likelihood × impact grid with its title.
func (d *pdfDoc) gridHeight() float64 {
	return 9 + float64(len(d.m.Scale.Likelihood))*gridCellH + 16
}

const gridCellH = 11.0

// grid draws the scale's likelihood × impact grid, each cell coloured by
// its level and holding text(l, i) (1-based grades), under a title; the
// grid is never split across pages.
func (d *pdfDoc) grid(title string, text func(l, i int) string, note string) {
	sc := d.m.Scale
	nl, ni := len(sc.Likelihood), len(sc.Impact)
	if nl == 0 || ni == 0 {
		d.para(title+": the scale has no grades.", "", 9)
		return
	}
	h := d.gridHeight()
	if note != "" {
		h += 6
	}
	d.need(h)
	f := d.f
	d.setFont("Helvetica", "B", 10)
	d.textColour(colHeading)
	f.Text(pdfMarginL, d.y+4, d.e.enc(title))
	d.y += 7
	const axisW = 34.0
	cellW := min(28, (pdfWidth-axisW-8)/float64(ni))
	x0 := pdfMarginL + axisW
	// Likelihood runs up the side, highest at the top, as readers expect.
	for row := range nl {
		l := nl - row
		y := d.y + float64(row)*gridCellH
		d.setFont("Helvetica", "", 7.5)
		d.textColour(colInk)
		lines := d.split(d.e.enc(sc.Likelihood[l-1].Label), axisW-3)
		lh := d.lineH()
		top := y + gridCellH/2 - float64(len(lines))*lh/2
		for j, ln := range lines {
			f.Text(x0-2-d.textWidth(ln), d.baseline(top+float64(j)*lh, lh), ln)
		}
		for i := 1; i <= ni; i++ {
			bg := colUnanswered
			if l-1 < len(sc.Matrix) && i-1 < len(sc.Matrix[l-1]) {
				if k := sc.Matrix[l-1][i-1]; k >= 0 && k < len(sc.Levels) {
					bg = hexColour(sc.Levels[k].Colour, colUnanswered)
				}
			}
			x := x0 + float64(i-1)*cellW
			d.fillColour(bg)
			d.drawColour(colWhite)
			f.SetLineWidth(0.6)
			f.Rect(x, y, cellW, gridCellH, "FD")
			f.SetLineWidth(0.2)
			if bg.dark() {
				d.textColour(colWhite)
			} else {
				d.textColour(colInk)
			}
			d.setFont("Helvetica", "B", 9)
			s := d.e.enc(text(l, i))
			cl := d.split(s, cellW-2)
			lh := d.lineH()
			top := y + gridCellH/2 - float64(len(cl))*lh/2
			for j, ln := range cl {
				f.Text(x+cellW/2-d.textWidth(ln)/2, d.baseline(top+float64(j)*lh, lh), ln)
			}
		}
	}
	d.y += float64(nl)*gridCellH + 1
	// Impact along the bottom.
	d.setFont("Helvetica", "", 7.5)
	d.textColour(colInk)
	for i := 1; i <= ni; i++ {
		x := x0 + float64(i-1)*cellW
		lines := d.split(d.e.enc(sc.Impact[i-1].Label), cellW-1)
		lh := d.lineH()
		for j, ln := range lines {
			if j > 1 {
				break
			}
			f.Text(x+cellW/2-d.textWidth(ln)/2, d.baseline(d.y+float64(j)*lh, lh), ln)
		}
	}
	d.y += 7
	d.setFont("Helvetica", "I", 7.5)
	d.textColour(colMuted)
	f.Text(x0, d.y+2, "Across: impact, from low to high. Up: likelihood, the highest at the top.")
	d.y += 6
	if note != "" {
		d.setFont("Helvetica", "", 8)
		d.textColour(colInk)
		f.Text(pdfMarginL, d.y+2, d.e.enc(note))
		d.y += 6
	}
	d.y += 3
}

// heatMap draws a heat map's counts on the scale's grid.
func (d *pdfDoc) heatMap(title string, hm HeatMap) {
	note := ""
	if hm.Unrated > 0 || hm.OtherScale > 0 {
		note = fmt.Sprintf("Not counted above: %d risk(s) not rated, %d rated on an earlier scale.", hm.Unrated, hm.OtherScale)
	}
	d.grid(title, func(l, i int) string {
		if l-1 < len(hm.Counts) && i-1 < len(hm.Counts[l-1]) {
			return strconv.Itoa(hm.Counts[l-1][i-1])
		}
		return "0"
	}, note)
}

// levelMatrix draws the scale's level of every likelihood × impact pair.
func (d *pdfDoc) levelMatrix() {
	sc := d.m.Scale
	d.grid("Risk level matrix", func(l, i int) string {
		if l-1 < len(sc.Matrix) && i-1 < len(sc.Matrix[l-1]) {
			if k := sc.Matrix[l-1][i-1]; k >= 0 && k < len(sc.Levels) {
				return sc.Levels[k].Label
			}
		}
		return "?"
	}, "")
}

// dataFlowMap draws the data-flow map from its geometry (Model.MapLayout,
// in SVG units) with vector shapes, scaled to the page width, and reports
// whether it drew one. A map that fits on a page is kept whole on one; a
// taller one is cut into page-high bands, each drawing what crosses it.
func (d *pdfDoc) dataFlowMap() bool {
	l := d.m.MapLayout
	if l == nil || l.Width <= 0 || l.Height <= 0 || len(l.Groups) == 0 {
		return false
	}
	k := pdfWidth / l.Width // mm per map unit
	h := l.Height * k
	band := pdfBottom - pdfTop
	if h+16 <= band {
		// The heading and its caption go with the map, not alone above a
		// page's empty foot.
		d.need(h + 16)
	}
	d.heading("The data-flow map", 1)
	if l.Title != "" {
		d.para(l.Title, "I", 9)
	}
	if h <= band {
		d.need(h)
		d.mapBand(l, k, d.y, 0, l.Height)
		d.y += h + 3
		return true
	}
	// Taller than a page: bands of one page each, starting on a new page.
	d.newPage()
	perBand := band / k
	for top := 0.0; top < l.Height; top += perBand {
		if top > 0 {
			d.newPage()
		}
		d.mapBand(l, k, d.y, top, min(top+perBand, l.Height))
		d.y += (min(top+perBand, l.Height) - top) * k
	}
	d.y += 3
	return true
}

// mapBand draws the part of the map between map heights top and bottom at
// page height y0, clipped to the band.
func (d *pdfDoc) mapBand(l *draw.MapLayout, k, y0, top, bottom float64) {
	f := d.f
	x := func(u float64) float64 { return pdfMarginL + u*k }
	y := func(u float64) float64 { return y0 + (u-top)*k }
	crosses := func(y1, y2 float64) bool { return y2 >= top && y1 <= bottom }
	f.ClipRect(pdfMarginL, y0, pdfWidth, (bottom-top)*k, false)
	defer func() {
		f.ClipEnd()
		d.forget()
	}()

	line, warn, warnBg := hexColour(draw.ColourLine, colInk), hexColour(draw.ColourWarn, colMark), hexColour(draw.ColourWarnBg, colMarkBg)
	frame, party, text, sub := hexColour(draw.ColourFrame, colRule), hexColour(draw.ColourParty, colHeadBg), hexColour(draw.ColourText, colInk), hexColour(draw.ColourSubText, colMuted)
	if top == 0 {
		// The legend, along the top as on the screen.
		d.setFont("Helvetica", "", 6.5)
		lx, ly := x(8), y(18)
		d.drawColour(line)
		f.SetLineWidth(0.3)
		f.Line(lx, ly, lx+8, ly)
		d.arrowHead(lx, ly, lx+8, ly, line)
		d.textColour(text)
		f.Text(lx+10, ly+0.8, "Flow, encrypted in transit")
		lx += 14 + d.textWidth("Flow, encrypted in transit")
		d.drawColour(warn)
		f.SetDashPattern([]float64{1, 0.7}, 0)
		f.Line(lx, ly, lx+8, ly)
		f.SetDashPattern(nil, 0)
		d.arrowHead(lx, ly, lx+8, ly, warn)
		f.Text(lx+10, ly+0.8, "Not encrypted, partly, or not known")
		lx += 14 + d.textWidth("Not encrypted, partly, or not known")
		d.fillColour(warnBg)
		f.SetLineWidth(0.5)
		f.Rect(lx, ly-1.5, 4.5, 3, "FD")
		f.Text(lx+6, ly+0.8, "Holds ePHI not known to be encrypted at rest")
	}
	for _, g := range l.Groups {
		if !crosses(g.Y, g.Y+g.H) {
			continue
		}
		d.fillColour(rgb{247, 249, 250})
		d.drawColour(frame)
		if g.Exposed {
			d.drawColour(warn)
		}
		f.SetLineWidth(0.25)
		if g.Party {
			f.SetDashPattern([]float64{0.8, 0.6}, 0)
		}
		f.RoundedRect(x(g.X), y(g.Y), g.W*k, g.H*k, 1, "1234", "FD")
		f.SetDashPattern(nil, 0)
		d.setFont("Helvetica", "B", 6.5)
		d.textColour(text)
		f.Text(x(g.X)+1.8, y(g.Y)+2.9, d.fit(g.Label, g.W*k-3.6))
		for _, b := range g.Boxes {
			if !crosses(b.Y, b.Y+b.H) {
				continue
			}
			fill, stroke, width, r, subC := colWhite, line, 0.2, 0.6, sub
			if b.Party {
				fill, r = party, 2
			}
			if b.Exposed {
				fill, stroke, width, subC = warnBg, warn, 0.55, warn
			}
			d.fillColour(fill)
			d.drawColour(stroke)
			f.SetLineWidth(width)
			f.RoundedRect(x(b.X), y(b.Y), b.W*k, b.H*k, r, "1234", "FD")
			d.setFont("Helvetica", "B", 6)
			d.textColour(text)
			// The name takes two lines before it is shortened, as on screen.
			name := d.e.enc(b.Name)
			lines := []string{name}
			if d.textWidth(name) > b.W*k-2.4 {
				lines = f.SplitText(name, b.W*k-2.4)
				if len(lines) > 2 {
					lines = []string{lines[0], d.fitEncoded(strings.Join(lines[1:], " "), b.W*k-2.4)}
				}
			}
			for i, ln := range lines {
				f.Text(x(b.X)+1.2, y(b.Y)+2.9+float64(i)*2.4, ln)
			}
			d.setFont("Helvetica", "", 5.5)
			d.textColour(subC)
			f.Text(x(b.X)+1.2, y(b.Y)+2.9+float64(len(lines))*2.4+0.3, d.fit(b.Sub, b.W*k-2.4))
		}
	}
	f.SetLineWidth(0.2)
	type label struct {
		x, y float64
		s    string
		c    rgb
	}
	var labels []label
	for _, a := range l.Arrows {
		if !crosses(min(a.Y1, a.Y2), max(a.Y1, a.Y2)) {
			continue
		}
		c := line
		if a.Exposed {
			c = warn
			f.SetDashPattern([]float64{1, 0.7}, 0)
		}
		d.drawColour(c)
		f.SetLineWidth(max(0.2, a.Width*k))
		f.Line(x(a.X1), y(a.Y1), x(a.X2), y(a.Y2))
		f.SetDashPattern(nil, 0)
		d.arrowHead(x(a.X1), y(a.Y1), x(a.X2), y(a.Y2), c)
		if a.Label != "" {
			// Where the layout found room for it, clear of every box.
			labels = append(labels, label{x(a.LabelX), y(a.LabelY + 4), a.Label, c})
		}
	}
	f.SetLineWidth(0.2)
	// Labels last, on a white ground, above every line.
	d.setFont("Helvetica", "", 5.5)
	for _, lb := range labels {
		s := d.e.enc(lb.s)
		w := d.textWidth(s)
		d.fillColour(colWhite)
		f.Rect(lb.x-w/2-0.4, lb.y-2, w+0.8, 2.5, "F")
		d.textColour(lb.c)
		f.Text(lb.x-w/2, lb.y, s)
	}
}

// arrowHead draws a filled head at (x2, y2) of the line from (x1, y1).
func (d *pdfDoc) arrowHead(x1, y1, x2, y2 float64, c rgb) {
	dx, dy := x2-x1, y2-y1
	n := math.Hypot(dx, dy)
	if n == 0 {
		return
	}
	dx, dy = dx/n, dy/n
	const length, half = 1.6, 0.7
	bx, by := x2-dx*length, y2-dy*length
	d.fillColour(c)
	d.f.Polygon([]fpdf.PointType{{X: x2, Y: y2}, {X: bx - dy*half, Y: by + dx*half}, {X: bx + dy*half, Y: by - dx*half}}, "F")
}

// fit encodes s and shortens it with "..." to width w in the current font
// (a label on the map; the map's words are in full in the text beside it).
func (d *pdfDoc) fit(s string, w float64) string {
	return d.fitEncoded(d.e.enc(s), w)
}

// fitEncoded is fit for text already in the PDF's encoding.
func (d *pdfDoc) fitEncoded(s string, w float64) string {
	if d.textWidth(s) <= w {
		return s
	}
	for len(s) > 0 && d.textWidth(s+"...") > w {
		s = s[:len(s)-1]
	}
	return s + "..."
}
