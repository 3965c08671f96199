package web

import (
	"fmt"
	"math"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
)

// The posture chart: how much of the rule is in place, per safeguard
// category, as a stacked bar chart drawn on the server as SVG with the
// numbers in a table beside it. The organisation's start page, the
// assessment overview and the reports show it (template "posture-chart").

// ChartSeg is one part of a bar, or one item of the legend.
type ChartSeg struct {
	Class string // implemented, partial, not-implemented, not-applicable, unanswered
	Label string
	Count int
	X, W  float64
	Y     int
}

// ChartRow is one category's bar.
type ChartRow struct {
	Label    string
	Y, TextY int
	Segs     []ChartSeg
	Summary  string
}

// PostureChartView is the stacked bar chart of a posture, drawn by the server.
type PostureChartView struct {
	Title             string
	Desc              string
	Rows              []ChartRow
	Legend            []ChartSeg
	Height            int
	BarX, BarW, NoteX float64
	Table             []PostureRow
}

// PostureRow is a category's numbers, for the table beside the chart.
type PostureRow struct {
	Label string
	assess.Counts
}

var segKinds = []struct{ class, label string }{
	{"implemented", "Implemented"}, {"partial", "Partially implemented"}, {"not-implemented", "Not implemented"},
	{"not-applicable", "Not applicable"}, {"unanswered", "Not answered"},
}

func segCounts(c assess.Counts) []int {
	return []int{c.Implemented, c.Partial, c.NotImplemented, c.NotApplicable, c.Unanswered}
}

func (s *Server) PostureChart(title string, p assess.Posture) PostureChartView {
	// Each row: the category's name and its summary on one line, the bar
	// below at full width, so that the chart stays legible on a phone.
	const barX, barW, rowH = 0.0, 480.0, 56
	ch := PostureChartView{Title: title, BarX: barX, BarW: barW, NoteX: barX + barW}
	var desc []string
	for i, cp := range p.Categories {
		// The bars carry the short name; the description and the table the full title.
		title := s.CategoryTitle(cp.Category)
		row := ChartRow{Label: UpperFirst(string(cp.Category)), Y: i*rowH + 22, TextY: i*rowH + 15}
		x := barX
		var parts []string
		for k, n := range segCounts(cp.Counts) {
			if n == 0 || cp.Entries == 0 {
				continue
			}
			w := math.Round(barW*float64(n)/float64(cp.Entries)*10) / 10
			row.Segs = append(row.Segs, ChartSeg{Class: segKinds[k].class, Label: segKinds[k].label, Count: n, X: x, W: w, Y: row.Y})
			x += w
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(segKinds[k].label)))
		}
		row.Summary = fmt.Sprintf("%d of %d implemented", cp.Implemented, cp.Entries)
		ch.Rows = append(ch.Rows, row)
		ch.Table = append(ch.Table, PostureRow{Label: title, Counts: cp.Counts})
		desc = append(desc, fmt.Sprintf("%s: %s, of %d entries.", title, strings.Join(parts, ", "), cp.Entries))
	}
	ch.Table = append(ch.Table, PostureRow{Label: "All categories", Counts: p.Overall})
	ch.Desc = strings.Join(desc, " ")
	for _, sk := range segKinds {
		ch.Legend = append(ch.Legend, ChartSeg{Class: sk.class, Label: sk.label})
	}
	ch.Height = len(p.Categories)*rowH + 2
	return ch
}

// CategoryTitle is the title of a safeguard category in the served catalogue.
func (s *Server) CategoryTitle(c catalog.Category) string {
	if cat, err := s.catalog(); err == nil {
		if info, ok := cat.Category(c); ok {
			return info.Title
		}
	}
	return UpperFirst(string(c))
}

// OutcomeCount is how many addressable decisions reached one outcome.
type OutcomeCount struct {
	Label string
	Count int
}

// DecisionCounts are the addressable decisions of c by outcome, with those
// still undecided last.
func DecisionCounts(c assess.Counts) []OutcomeCount {
	out := []OutcomeCount{}
	labels := map[catalog.Outcome]string{
		catalog.OutcomeImplemented:    "Implemented as specified",
		catalog.OutcomeAlternative:    "Equivalent alternative measure",
		catalog.OutcomeNotImplemented: "Not implemented, reason documented",
	}
	for _, o := range catalog.Outcomes() {
		out = append(out, OutcomeCount{Label: labels[o], Count: c.Decisions[o]})
	}
	return append(out, OutcomeCount{Label: "No decision yet", Count: c.Undecided})
}
