package draw

import (
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
	nl, ni := len(s.Likelihood), len(s.Impact)
	gridX := hmAxisW + hmLabelW
	width := gridX + ni*hmCellW + 8
	legendRows := legendLayout(s.Levels, width-gridX)
	height := hmTop + nl*hmCellH + hmBelow + len(legendRows)*hmLegendH + 8
	id := "heatmap-" + ID(title+"\x00"+s.Name)

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="risk-heatmap" role="group" aria-labelledby="%s-title %s-desc" viewBox="0 0 %d %d" width="%d" height="%d" font-family="system-ui, sans-serif">`, id, id, width, height, width, height)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, id, Escape(title))
	fmt.Fprintf(&b, `<desc id="%s-desc">%s</desc>`, id, Escape(heatDesc(s, counts)))

	// Likelihood runs up the left side, highest grade at the top.
	axisY := hmTop + nl*hmCellH/2
	fmt.Fprintf(&b, `<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle" font-size="13" font-weight="600" fill="#222">Likelihood</text>`, axisY, axisY)
	for l := nl; l >= 1; l-- {
		y := hmTop + (nl-l)*hmCellH
		label := s.Likelihood[l-1].Label
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" dominant-baseline="middle" font-size="12" fill="#222">%s</text>`,
			gridX-8, y+hmCellH/2, Escape(fit(label, hmLabelW-12)))
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
	for i := 1; i <= ni; i++ {
		x := gridX + (i-1)*hmCellW + hmCellW/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12" fill="#222">%s</text>`,
			x, baseY+16, Escape(fit(s.Impact[i-1].Label, hmCellW-6)))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="13" font-weight="600" fill="#222">Impact</text>`,
		gridX+ni*hmCellW/2, baseY+36)

	// The legend: one swatch per level, lowest first, wrapping.
	ly := baseY + hmBelow
	for r, row := range legendRows {
		for _, it := range row {
			y := ly + r*hmLegendH
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="14" fill="%s" stroke="#444" stroke-width="0.5"/>`, gridX+it.x, y, Escape(it.colour))
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#222">%s</text>`, gridX+it.x+20, y+12, Escape(it.label))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

type legendItem struct {
	x             int
	label, colour string
}

// legendLayout places the level swatches in rows no wider than w.
func legendLayout(levels []risk.Level, w int) [][]legendItem {
	var rows [][]legendItem
	var row []legendItem
	x := 0
	for _, lv := range levels {
		label := fit(lv.Label, w-24)
		iw := 20 + int(math.Ceil(float64(len([]rune(label)))*hmCharW)) + 16
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
func fit(s string, w int) string {
	r := []rune(s)
	max := int(float64(w) / hmCharW)
	if max < 2 {
		max = 2
	}
	if len(r) <= max {
		return s
	}
	return strings.TrimSpace(string(r[:max-1])) + "…"
}
