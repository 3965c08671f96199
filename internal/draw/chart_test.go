package draw

import (
	"strings"
	"testing"
)

func TestPosture(t *testing.T) {
	cats := []PostureCounts{
		{Label: "Administrative", Title: "Administrative safeguards", Entries: 10, Implemented: 5, Partial: 2, NotImplemented: 1, NotApplicable: 1, Unanswered: 1},
		{Label: "Physical", Title: "Physical <safeguards>", Entries: 4, Implemented: 4},
		{Label: "Empty", Title: "Nothing", Entries: 0},
	}
	c := Posture("Posture & more", cats)
	if len(c.Rows) != 3 || c.Height != 3*56+2 {
		t.Fatalf("Posture: %d rows, height %d, want 3 rows, height %d", len(c.Rows), c.Height, 3*56+2)
	}
	if got := len(c.Rows[0].Segs); got != 5 {
		t.Errorf("Rows[0].Segs = %d segments, want 5", got)
	}
	end := c.Rows[0].Segs[4].X + c.Rows[0].Segs[4].W
	if end < c.BarW-0.5 || end > c.BarW+0.5 {
		t.Errorf("the first bar ends at %v, want %v", end, c.BarW)
	}
	if len(c.Rows[2].Segs) != 0 {
		t.Errorf("a category with no entries has %d segments, want 0", len(c.Rows[2].Segs))
	}
	if c.Rows[1].Summary != "4 of 4 implemented" {
		t.Errorf("Rows[1].Summary = %q", c.Rows[1].Summary)
	}
	if !strings.Contains(c.Desc, "Administrative safeguards: 5 implemented, 2 partially implemented") {
		t.Errorf("Desc = %q", c.Desc)
	}
	svg := string(c.SVG())
	root := parseSVG(t, svg)
	if root.attr("role") != "img" {
		t.Errorf("role = %q, want img", root.attr("role"))
	}
	var title, desc string
	rects := 0
	root.walk(nil, func(n, _ *svgNode) {
		switch n.XMLName.Local {
		case "title":
			if title == "" {
				title = n.Text
			}
		case "desc":
			desc = n.Text
		case "rect":
			rects++
		}
	})
	if title != "Posture & more" || !strings.Contains(desc, "Physical <safeguards>") {
		t.Errorf("title %q, desc %q", title, desc)
	}
	if strings.Contains(svg, "class=\"seg") || strings.Contains(svg, "style=") {
		t.Error("the report's chart leans on a stylesheet")
	}
	if again := string(c.SVG()); again != svg {
		t.Error("SVG gave different output for the same chart")
	}
}
