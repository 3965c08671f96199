package draw

import (
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/risk"
)

// svgNode is a parsed SVG element, enough to check what a drawing holds.
type svgNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []svgNode  `xml:",any"`
}

func (n svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n svgNode) num(t testing.TB, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return v
}

// walk calls f on n and each element beneath it, with the element's parent.
func (n svgNode) walk(parent *svgNode, f func(n, parent *svgNode)) {
	f(&n, parent)
	for _, c := range n.Children {
		c.walk(&n, f)
	}
}

// text is the character data of n and everything beneath it.
func (n svgNode) text() string {
	var b strings.Builder
	n.walk(nil, func(m, _ *svgNode) { b.WriteString(m.Text) })
	return b.String()
}

func parseSVG(t testing.TB, s string) svgNode {
	t.Helper()
	var root svgNode
	if err := xml.Unmarshal([]byte(s), &root); err != nil {
		t.Fatalf("the drawing is not well-formed XML: %v\n%s", err, s[:min(len(s), 2000)])
	}
	if root.XMLName.Local != "svg" {
		t.Fatalf("root element = %q, want svg", root.XMLName.Local)
	}
	return root
}

func TestHeatMap(t *testing.T) {
	custom := risk.Scale{
		Name:       "Custom <4 × 2>",
		Likelihood: []risk.Grade{{Label: "Seldom"}, {Label: "Sometimes"}, {Label: "Often"}, {Label: "All the time, every single day & night"}},
		Impact:     []risk.Grade{{Label: "Small"}, {Label: "Big"}},
		Levels:     []risk.Level{{Label: "Fine", Colour: "#ffffff"}, {Label: "Worry", Colour: "#000000"}},
		Matrix:     [][]int{{0, 0}, {0, 1}, {0, 1}, {1, 1}},
	}
	for _, s := range []risk.Scale{risk.ThreeByThree(), risk.FiveByFive(), custom} {
		t.Run(s.Name, func(t *testing.T) {
			if err := s.Validate(); err != nil {
				t.Fatalf("scale: %v", err)
			}
			nl, ni := len(s.Likelihood), len(s.Impact)
			counts := make([][]int, nl)
			for l := range counts {
				counts[l] = make([]int, ni)
				for i := range counts[l] {
					counts[l][i] = l*10 + i
				}
			}
			counts[0][0] = 1
			link := func(l, i int) string { return fmt.Sprintf("/orgs/o/risks?likelihood=%d&impact=%d", l, i) }
			out := HeatMap(s, counts, link, "Current risk")
			if again := HeatMap(s, counts, link, "Current risk"); again != out {
				t.Fatal("HeatMap gave different output for the same input")
			}
			root := parseSVG(t, string(out))
			if root.attr("role") != "group" || root.attr("aria-labelledby") == "" {
				t.Errorf("svg role=%q aria-labelledby=%q, want a labelled group", root.attr("role"), root.attr("aria-labelledby"))
			}
			var cells int
			var top, bottom float64 = math.Inf(1), math.Inf(-1)
			var topL, bottomL int
			labels := map[string]bool{}
			root.walk(nil, func(n, parent *svgNode) {
				if n.XMLName.Local == "text" {
					labels[n.Text] = true
				}
				if n.XMLName.Local != "rect" || n.attr("class") != "cell" {
					return
				}
				cells++
				l, _ := strconv.Atoi(n.attr("data-likelihood"))
				i, _ := strconv.Atoi(n.attr("data-impact"))
				if y := n.num(t, "y"); y < top {
					top, topL = y, l
				} else if y > bottom {
					bottom, bottomL = y, l
				}
				if parent.XMLName.Local != "a" {
					t.Fatalf("cell %d,%d is inside <%s>, want a link", l, i, parent.XMLName.Local)
				}
				if got, want := parent.attr("href"), link(l, i); got != want {
					t.Errorf("cell %d,%d links to %q, want %q", l, i, got, want)
				}
				lv, _ := s.Level(risk.Rating{Likelihood: l, Impact: i})
				if got := n.attr("fill"); got != s.Levels[lv].Colour {
					t.Errorf("cell %d,%d fill = %q, want %q", l, i, got, s.Levels[lv].Colour)
				}
				want0 := counts[l-1][i-1]
				want := s.Describe(risk.Rating{Likelihood: l, Impact: i}) + " — " + plural(want0, "risk", "risks")
				var title, count, fg string
				for _, c := range parent.Children {
					switch c.XMLName.Local {
					case "title":
						title = c.Text
					case "text":
						count, fg = c.Text, c.attr("fill")
					}
				}
				if title != want || parent.attr("aria-label") != want {
					t.Errorf("cell %d,%d title %q, aria-label %q, want %q", l, i, title, parent.attr("aria-label"), want)
				}
				if count != strconv.Itoa(want0) {
					t.Errorf("cell %d,%d shows %q, want %d", l, i, count, want0)
				}
				if c := contrast(fg, s.Levels[lv].Colour); c < 4.5 {
					t.Errorf("cell %d,%d text %s on %s has contrast %.1f, want at least 4.5", l, i, fg, s.Levels[lv].Colour, c)
				}
			})
			if cells != nl*ni {
				t.Errorf("%d cells, want %d", cells, nl*ni)
			}
			if topL != nl || bottomL != 1 {
				t.Errorf("top row is likelihood %d and bottom %d, want %d at the top and 1 at the bottom", topL, bottomL, nl)
			}
			for _, lv := range s.Levels {
				if !labels[lv.Label] {
					t.Errorf("legend lacks level %q", lv.Label)
				}
			}
			for _, g := range append(append([]risk.Grade{}, s.Likelihood...), s.Impact...) {
				if !labels[g.Label] && !labels[fit(g.Label, hmLabelW-12)] {
					t.Errorf("axis lacks grade %q", g.Label)
				}
			}
			if !strings.Contains(root.text(), "Likelihood") || !strings.Contains(root.text(), "Impact") {
				t.Error("axis titles missing")
			}
		})
	}
}

// TestHeatMapNoLinks checks a heat map without links (a report) draws
// plain cells, and that missing counts are zeros.
func TestHeatMapNoLinks(t *testing.T) {
	out := string(HeatMap(risk.ThreeByThree(), [][]int{{2}}, nil, "Inherent risk"))
	root := parseSVG(t, out)
	root.walk(nil, func(n, _ *svgNode) {
		if n.XMLName.Local == "a" {
			t.Fatal("a heat map without a link function has links")
		}
	})
	if !strings.Contains(out, "Likelihood Low, impact Low: Low — 2 risks") || !strings.Contains(out, "Likelihood High, impact High: Critical — 0 risks") {
		t.Errorf("cell titles missing:\n%s", out)
	}
	if !strings.Contains(out, "<desc") || !strings.Contains(out, "2 risks in all (Critical 0, High 0, Medium 0, Low 2)") {
		t.Errorf("description missing:\n%s", out)
	}
}

func TestTextOn(t *testing.T) {
	for _, lv := range append(risk.ThreeByThree().Levels, risk.Level{Colour: "#ffeb3b"}, risk.Level{Colour: "#0d47a1"}) {
		if c := contrast(TextOn(lv.Colour), lv.Colour); c < 4.5 {
			t.Errorf("TextOn(%s) = %s, contrast %.1f, want at least 4.5", lv.Colour, TextOn(lv.Colour), c)
		}
	}
}

// contrast is the WCAG contrast ratio of two colours.
func contrast(a, b string) float64 {
	la, _ := luminance(a)
	lb, _ := luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func BenchmarkHeatMap(b *testing.B) {
	s := risk.FiveByFive()
	counts := [][]int{{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}}
	link := func(l, i int) string { return fmt.Sprintf("/orgs/o/risks?likelihood=%d&impact=%d", l, i) }
	for b.Loop() {
		HeatMap(s, counts, link, "Current risk")
	}
}
