package report

import (
	"fmt"
	"strconv"
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
		label := d.e.enc(p.Label)
		for len(label) > 1 && d.textWidth(label) > labelW-2 {
			label = label[:len(label)-1]
		}
		f.Text(pdfMarginL, d.y+barH/2+0.3*d.fs+0.2, label)
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
	f.Text(x0, d.y+2, "Impact ->   (likelihood up the side, highest at the top)")
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

// dataFlowMap draws the data-flow map as vector shapes. The Model carries
// the map as an SVG document (Model.Map), which fpdf cannot draw, so for
// now it draws nothing and reports false, and the PDF gives the map in
// words (Model.MapText). When the Model gains the map's geometry (node
// boxes and edges in map units), draw it here, scaled to the page width
// and kept whole on one page with need().
func (d *pdfDoc) dataFlowMap() bool {
	return false
}
