package draw

import (
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/risk"
)

// TestHeatMapScreenStyle checks the heat map drawn for screens: its words
// stay readable when the map is scaled to a phone's width, long grades
// take two lines rather than an ellipsis, and the default style draws the
// same bytes as HeatMap (reports keep their drawing).
func TestHeatMapScreenStyle(t *testing.T) {
	const phone = 350.0 // the width a 390-px screen leaves the map, in px
	for _, c := range []struct {
		s     risk.Scale
		minPx float64 // the smallest label size on the phone, in px
	}{
		{risk.ThreeByThree(), 12},
		{risk.FiveByFive(), 8.5}, // wider: the table beside it is the phone's readable form
	} {
		t.Run(c.s.Name, func(t *testing.T) {
			counts := [][]int{{1}}
			if HeatMapStyled(c.s, counts, nil, "Current", HeatStyle{}) != HeatMap(c.s, counts, nil, "Current") {
				t.Error("HeatMapStyled with the default style differs from HeatMap")
			}
			out := string(HeatMapStyled(c.s, counts, nil, "Current", ScreenHeat))
			root := parseSVG(t, out)
			width := root.num(t, "width")
			shown := min(width, phone)
			var texts []string
			root.walk(nil, func(n, _ *svgNode) {
				if n.XMLName.Local != "text" || n.attr("font-weight") == "700" { // the counts in the cells
					return
				}
				size := n.num(t, "font-size")
				if px := size * shown / width; px < c.minPx {
					t.Errorf("%q is %.1f px on a phone, want at least %v", n.Text, px, c.minPx)
				}
				s := n.Text
				for _, k := range n.Children {
					s += " " + k.Text
				}
				texts = append(texts, s)
			})
			all := strings.Join(texts, "|")
			if strings.Contains(all, "…") {
				t.Errorf("a label is shortened: %s", all)
			}
			for _, g := range append(c.s.Likelihood, c.s.Impact...) {
				if !strings.Contains(all, g.Label) {
					t.Errorf("grade %q is not drawn whole: %s", g.Label, all)
				}
			}
		})
	}
}

func TestWrapChars(t *testing.T) {
	for _, c := range []struct {
		in   string
		per  int
		want string
	}{
		{"Almost certain", 10, "Almost|certain"},
		{"Low", 10, "Low"},
		{"All the time, every single day & night", 10, "All the|time, eve…"},
	} {
		if got := strings.Join(wrapChars(c.in, c.per, 2), "|"); got != c.want {
			t.Errorf("wrapChars(%q, %d) = %q, want %q", c.in, c.per, got, c.want)
		}
	}
}
