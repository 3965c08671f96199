package draw

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/risk"
)

// The heat map: the organisation's likelihood × impact matrix drawn as SVG,
// each cell in its level's colour with the number of risks rated there, and
// a link to the register filtered by the cell. It is a pure function of the
// scale and the counts (which the store aggregates in SQL), so a page, the
// dashboard and a report draw it the same way.

// Heat map geometry, in SVG user units.
const (
	hmCellW   = 96
	hmCellH   = 60
	hmLabelW  = 128 // the likelihood grade labels, left of the cells
	hmAxisW   = 22  // the rotated "Likelihood" axis title
	hmTop     = 8
	hmBelow   = 44 // the impact grade labels and the "Impact" axis title
	hmLegendH = 26
	hmCharW   = 6.6 // average width of a 12-unit character, to shorten labels
)

// HeatMap draws scale s as a likelihood × impact matrix: likelihood on
// the vertical axis with the highest grade at the top, impact along the
// bottom, each cell filled with the colour of its level, showing
// counts[l-1][i-1] (the number of risks rated likelihood l, impact i; a
// missing row or cell counts as 0) and linking to link(l, i) — the register
// filtered by that cell. A nil link, or an empty URL, leaves the cell
// unlinked. title names the map ("Current risk"); a legend of the levels
// follows the matrix.
//
// The SVG has role="group" rather than "img" so that its cell links stay
// reachable by keyboard and screen reader; each cell carries its own
// <title> and aria-label ("Likelihood High, impact Medium: High — 4
// risks"). It uses presentation attributes only (the content security
// policy forbids inline styles); the page's stylesheet should scale it with
// `.risk-heatmap { max-width: 100%; height: auto; }`.
func HeatMap(s risk.Scale, counts [][]int, link func(likelihood, impact int) string, title string) template.HTML {
	return HeatMapStyled(s, counts, link, title, HeatStyle{})
}

// HeatStyle is the type of a heat map's words: the grade labels, the axis
// titles and the legend.
type HeatStyle struct {
	// Text is their size in user units; 0 is 12, right for print and a
	// wide screen.
	Text int
}

// ScreenHeat is the style for a page that may be read on a phone, where
// the map is scaled down to the screen's width: words about a third larger
// (about 12 px at 390 px wide on a 3 × 3 scale), long grade labels on two
// lines. A 5 × 5 map is wider and its words smaller on a phone; the table
// beside the map is then the readable form.
var ScreenHeat = HeatStyle{Text: 16}

// HeatMapStyled draws the heat map as HeatMap does, with the words in
// style st.
func HeatMapStyled(s risk.Scale, counts [][]int, link func(likelihood, impact int) string, title string, st HeatStyle) template.HTML {
	fs := cmp.Or(st.Text, 12)
	big := fs != 12
	cw := hmCharW * float64(fs) / 12 // average width of a character at fs
	nl, ni := len(s.Likelihood), len(s.Impact)
	gridX := hmAxisW + hmLabelW
	width := gridX + ni*hmCellW + 8
	legendRows := legendLayoutW(s.Levels, width-gridX, cw, fs)
	below := hmBelow
	// Large words take up to two lines under a cell.
	impactLines := make([][]string, ni)
	for i := range ni {
		impactLines[i] = []string{fit(s.Impact[i].Label, hmCellW-6)}
		if big {
			impactLines[i] = wrapChars(s.Impact[i].Label, int((hmCellW-6)/cw), 2)
			if len(impactLines[i]) > 1 {
				below = max(below, 16+2*(fs+2)+fs+4)
			}
		}
		below = max(below, fs+4+fs+14)
	}
	height := hmTop + nl*hmCellH + below + len(legendRows)*max(hmLegendH, fs+14) + 8
	id := "heatmap-" + ID(title+"\x00"+s.Name)

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="risk-heatmap" role="group" aria-labelledby="%s-title %s-desc" viewBox="0 0 %d %d" width="%d" height="%d" font-family="system-ui, sans-serif">`, id, id, width, height, width, height)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, id, Escape(title))
	fmt.Fprintf(&b, `<desc id="%s-desc">%s</desc>`, id, Escape(heatDesc(s, counts)))

	// Likelihood runs up the left side, highest grade at the top.
	axisY := hmTop + nl*hmCellH/2
	fmt.Fprintf(&b, `<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle" font-size="%d" font-weight="600" fill="#222">Likelihood</text>`, axisY, axisY, fs+1)
	for l := nl; l >= 1; l-- {
		y := hmTop + (nl-l)*hmCellH
		label := s.Likelihood[l-1].Label
		if lines := wrapChars(label, int((hmLabelW-12)/cw), 2); big && len(lines) > 1 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="%d" fill="#222">%s<tspan x="%d" dy="%d">%s</tspan></text>`,
				gridX-8, y+hmCellH/2-2, fs, Escape(lines[0]), gridX-8, fs+2, Escape(lines[1]))
		} else {
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" dominant-baseline="middle" font-size="%d" fill="#222">%s</text>`,
				gridX-8, y+hmCellH/2, fs, Escape(fitChars(label, int((hmLabelW-12)/cw))))
		}
		for i := 1; i <= ni; i++ {
			x := gridX + (i-1)*hmCellW
			n := cellCount(counts, l, i)
			colour := "#9e9e9e"
			if lv, ok := s.Level(risk.Rating{Likelihood: l, Impact: i}); ok && lv < len(s.Levels) {
				colour = s.Levels[lv].Colour
			}
			cellTitle := s.Describe(risk.Rating{Likelihood: l, Impact: i}) + " — " + plural(n, "risk", "risks")
			href := ""
			if link != nil {
				href = link(l, i)
			}
			if href != "" {
				fmt.Fprintf(&b, `<a href="%s" aria-label="%s">`, Escape(href), Escape(cellTitle))
			} else {
				fmt.Fprintf(&b, `<g role="img" aria-label="%s">`, Escape(cellTitle))
			}
			fmt.Fprintf(&b, `<title>%s</title>`, Escape(cellTitle))
			fmt.Fprintf(&b, `<rect class="cell" x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#ffffff" stroke-width="2" data-likelihood="%d" data-impact="%d"/>`,
				x, y, hmCellW, hmCellH, Escape(colour), l, i)
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" dominant-baseline="middle" font-size="20" font-weight="700" fill="%s">%d</text>`,
				x+hmCellW/2, y+hmCellH/2, TextOn(colour), n)
			if href != "" {
				b.WriteString(`</a>`)
			} else {
				b.WriteString(`</g>`)
			}
		}
	}

	// Impact runs along the bottom.
	baseY := hmTop + nl*hmCellH
	lines := 1
	for i := 1; i <= ni; i++ {
		x := gridX + (i-1)*hmCellW + hmCellW/2
		ls := impactLines[i-1]
		lines = max(lines, len(ls))
		if len(ls) > 1 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="%d" fill="#222">%s<tspan x="%d" dy="%d">%s</tspan></text>`,
				x, baseY+fs+4, fs, Escape(ls[0]), x, fs+2, Escape(ls[1]))
			continue
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="%d" fill="#222">%s</text>`,
			x, baseY+fs+4, fs, Escape(ls[0]))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="%d" font-weight="600" fill="#222">Impact</text>`,
		gridX+ni*hmCellW/2, baseY+fs+4+(lines-1)*(fs+2)+fs+8, fs+1)

	// The legend: one swatch per level, lowest first, wrapping.
	ly := baseY + below
	for r, row := range legendRows {
		for _, it := range row {
			y := ly + r*max(hmLegendH, fs+14)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#444" stroke-width="0.5"/>`, gridX+it.x, y, fs+2, fs+2, Escape(it.colour))
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" fill="#222">%s</text>`, gridX+it.x+fs+8, y+fs, fs, Escape(it.label))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

type legendItem struct {
	x             int
	label, colour string
}

// legendLayoutW places the level swatches in rows no wider than w, for
// words of size fs whose characters are cw wide on average.
func legendLayoutW(levels []risk.Level, w int, cw float64, fs int) [][]legendItem {
	var rows [][]legendItem
	var row []legendItem
	x := 0
	for _, lv := range levels {
		label := fitChars(lv.Label, int(float64(w-24)/cw))
		iw := fs + 8 + int(math.Ceil(float64(len([]rune(label)))*cw)) + 16
		if x > 0 && x+iw > w {
			rows, row, x = append(rows, row), nil, 0
		}
		row = append(row, legendItem{x: x, label: label, colour: lv.Colour})
		x += iw
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

func cellCount(counts [][]int, l, i int) int {
	if l-1 < len(counts) && i-1 < len(counts[l-1]) {
		return counts[l-1][i-1]
	}
	return 0
}

// heatDesc sums the map up in words: the total, and the risks per level.
func heatDesc(s risk.Scale, counts [][]int) string {
	perLevel := make([]int, len(s.Levels))
	total := 0
	for l := 1; l <= len(s.Likelihood); l++ {
		for i := 1; i <= len(s.Impact); i++ {
			n := cellCount(counts, l, i)
			total += n
			if lv, ok := s.Level(risk.Rating{Likelihood: l, Impact: i}); ok && lv < len(perLevel) {
				perLevel[lv] += n
			}
		}
	}
	parts := []string{}
	for k := len(s.Levels) - 1; k >= 0; k-- {
		parts = append(parts, fmt.Sprintf("%s %d", s.Levels[k].Label, perLevel[k]))
	}
	return fmt.Sprintf("Likelihood against impact on the scale %q: %s in all (%s).", s.Name, plural(total, "risk", "risks"), strings.Join(parts, ", "))
}

// TextOn is the text colour, black or white, that contrasts most with the
// background colour bg ("#rrggbb"), by WCAG's relative luminance.
func TextOn(bg string) string {
	l, ok := luminance(bg)
	if !ok {
		return "#000000"
	}
	// Contrast with black is (l+0.05)/0.05, with white 1.05/(l+0.05).
	if (l+0.05)/0.05 >= 1.05/(l+0.05) {
		return "#000000"
	}
	return "#ffffff"
}

func luminance(hex string) (float64, bool) {
	if len(hex) != 7 || hex[0] != '#' {
		return 0, false
	}
	v, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil {
		return 0, false
	}
	ch := func(c uint64) float64 {
		x := float64(c) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(v>>16&0xff) + 0.7152*ch(v>>8&0xff) + 0.0722*ch(v&0xff), true
}

// fit shortens s with an ellipsis so that it takes at most w units at a
// 12-unit font (an estimate: the SVG has no text metrics on the server).
func fit(s string, w int) string { return fitChars(s, int(float64(w)/hmCharW)) }

// wrapChars breaks s between words into at most n lines of about per
// characters, the last shortened with an ellipsis if s is longer still.
func wrapChars(s string, per, n int) []string {
	var lines []string
	words := strings.Fields(s)
	line := ""
	for i, w := range words {
		switch {
		case line == "":
			line = w
		case len([]rune(line))+1+len([]rune(w)) <= per:
			line += " " + w
		case len(lines) < n-1:
			lines, line = append(lines, line), w
		default:
			line += " " + strings.Join(words[i:], " ")
			return append(lines, fitChars(line, per))
		}
	}
	return append(lines, fitChars(line, per))
}

// fitChars shortens s with an ellipsis to at most max characters.
func fitChars(s string, max int) string {
	r := []rune(s)
	if max < 2 {
		max = 2
	}
	if len(r) <= max {
		return s
	}
	return strings.TrimSpace(string(r[:max-1])) + "…"
}
