package web

import (
	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/draw"
)

// The posture chart: how much of the rule is in place, per safeguard
// category, as a stacked bar chart laid out by draw.Posture (the reports
// draw the same one) with the numbers in a table beside it. The
// organisation's start page and the assessment overview show it (template
// "posture-chart", which paints the segments by their classes).

// PostureChartView is the stacked bar chart of a posture, with its numbers.
type PostureChartView struct {
	draw.BarChart
	Table []PostureRow
}

// PostureRow is a category's numbers, for the table beside the chart.
type PostureRow struct {
	Label string
	assess.Counts
}

// PostureChart lays out posture p as a bar per category.
func (s *Server) PostureChart(title string, p assess.Posture) PostureChartView {
	var ch PostureChartView
	cats := make([]draw.PostureCounts, 0, len(p.Categories))
	for _, cp := range p.Categories {
		// The bars carry the short name; the description and the table the full title.
		title := s.CategoryTitle(cp.Category)
		cats = append(cats, draw.PostureCounts{Label: UpperFirst(string(cp.Category)), Title: title, Entries: cp.Entries,
			Implemented: cp.Implemented, Partial: cp.Partial, NotImplemented: cp.NotImplemented, NotApplicable: cp.NotApplicable, Unanswered: cp.Unanswered})
		ch.Table = append(ch.Table, PostureRow{Label: title, Counts: cp.Counts})
	}
	ch.Table = append(ch.Table, PostureRow{Label: "All categories", Counts: p.Overall})
	ch.BarChart = draw.Posture(title, cats)
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
