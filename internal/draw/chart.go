package draw

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// The posture chart: how much of the rule is in place, per safeguard
// category, as a stacked bar chart. BarChart is its geometry; the web
// pages draw it with their own template and stylesheet (the classes of its
// segments), a report with SVG, which colours the same segments with
// presentation attributes and the same patterns, and a PDF with its own
// primitives.

// BarSeg is one part of a bar, or one item of the legend.
type BarSeg struct {
	Class string // implemented, partial, not-implemented, not-applicable, unanswered
	Label string
	Count int
	X, W  float64
	Y     int
}

// BarRow is one category's bar: its label and summary on one line, the
// bar below at full width (so that the chart stays legible on a phone).
type BarRow struct {
	Label    string
	Y, TextY int
	Segs     []BarSeg
	Summary  string
}

// BarChart is a stacked bar chart, in SVG user units: Rows are drawn from
// BarX across BarW, each bar BarH high; the notes end at NoteX.
type BarChart struct {
	Title             string
	Desc              string
	Rows              []BarRow
	Legend            []BarSeg
	Height            int
	BarX, BarW, NoteX float64
}

// BarH is the height of a bar.
const BarH = 24

// PostureCounts are one category's entries by answer. Label names the bar
// ("Administrative"); Title is the full name the description uses
// ("Administrative safeguards").
type PostureCounts struct {
	Label, Title   string
	Entries        int
	Implemented    int
	Partial        int
	NotImplemented int
	NotApplicable  int
	Unanswered     int
}

// SegKind is one kind of bar segment: its class and its label.
type SegKind struct{ Class, Label string }

// SegKinds are the kinds of segment, in the order a bar draws them.
func SegKinds() []SegKind {
	return []SegKind{
		{"implemented", "Implemented"}, {"partial", "Partially implemented"}, {"not-implemented", "Not implemented"},
		{"not-applicable", "Not applicable"}, {"unanswered", "Not answered"},
	}
}

// Posture lays out the posture of each category as a bar.
func Posture(title string, cats []PostureCounts) BarChart {
	const barX, barW, rowH = 0.0, 480.0, 56
	kinds := SegKinds()
	ch := BarChart{Title: title, BarX: barX, BarW: barW, NoteX: barX + barW}
	var desc []string
	for i, cp := range cats {
		row := BarRow{Label: cp.Label, Y: i*rowH + 22, TextY: i*rowH + 15}
		x := barX
		var parts []string
		for k, n := range []int{cp.Implemented, cp.Partial, cp.NotImplemented, cp.NotApplicable, cp.Unanswered} {
			if n == 0 || cp.Entries == 0 {
				continue
			}
			w := math.Round(barW*float64(n)/float64(cp.Entries)*10) / 10
			row.Segs = append(row.Segs, BarSeg{Class: kinds[k].Class, Label: kinds[k].Label, Count: n, X: x, W: w, Y: row.Y})
			x += w
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(kinds[k].Label)))
		}
		row.Summary = fmt.Sprintf("%d of %d implemented", cp.Implemented, cp.Entries)
		ch.Rows = append(ch.Rows, row)
		desc = append(desc, fmt.Sprintf("%s: %s, of %d entries.", cp.Title, strings.Join(parts, ", "), cp.Entries))
	}
	ch.Desc = strings.Join(desc, " ")
	for _, sk := range kinds {
		ch.Legend = append(ch.Legend, BarSeg{Class: sk.Class, Label: sk.Label})
	}
	ch.Height = len(cats)*rowH + 2
	return ch
}

// SegStyle is how a segment is painted where no stylesheet is: a fill, and
// a pattern drawn over it in Ink (none for Pattern ""), so that a segment
// never rests on colour alone.
type SegStyle struct {
	Fill, Ink string
	Pattern   string // "", "stripes", "cross", "dots"
	Dashed    bool   // a dashed outline (not answered)
}

// Style is the paint of a segment class, the colours of the web's light
// theme.
func Style(class string) SegStyle {
	switch class {
	case "implemented":
		return SegStyle{Fill: "#14652c"}
	case "partial":
		return SegStyle{Fill: "#fff4cc", Ink: "#5c4400", Pattern: "stripes"}
	case "not-implemented":
		return SegStyle{Fill: "#fde8e8", Ink: "#9b1c1c", Pattern: "cross"}
	case "not-applicable":
		return SegStyle{Fill: "#f5f7fa", Ink: "#4a5360", Pattern: "dots"}
	}
	return SegStyle{Fill: "#ffffff", Ink: "#4a5360", Dashed: true}
}

// SVG draws the chart as one self-contained SVG (presentation attributes,
// its own patterns, the legend inside), for a report.
func (c BarChart) SVG() template.HTML {
	id := "bars-" + ID(c.Title+"\x00"+c.Desc)
	// The legend wraps in rows under the bars.
	type item struct {
		x   float64
		row int
	}
	legendY := c.Height + 12
	items := make([]item, len(c.Legend))
	x, row := 0.0, 0
	for i, s := range c.Legend {
		w := 26 + float64(len([]rune(s.Label)))*7.2 + 18
		if x > 0 && x+w > c.BarW {
			x, row = 0, row+1
		}
		items[i] = item{x, row}
		x += w
	}
	h := legendY + (row+1)*22 + 4
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="posture-chart" role="img" aria-labelledby="%s-title %s-desc" viewBox="0 0 %s %d" width="%s" height="%d" font-family="system-ui, sans-serif">`,
		id, id, f1(c.BarW+c.BarX), h, f1(c.BarW+c.BarX), h)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc><defs>`, id, Escape(c.Title), id, Escape(c.Desc))
	fmt.Fprintf(&b, `<pattern id="%s-stripes" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="%s"/><line x1="2" y1="0" x2="2" y2="8" stroke="%s" stroke-width="3"/></pattern>`, id, Style("partial").Fill, Style("partial").Ink)
	fmt.Fprintf(&b, `<pattern id="%s-cross" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="%s"/><path d="M0,0 L8,8 M8,0 L0,8" stroke="%s" stroke-width="1.5"/></pattern>`, id, Style("not-implemented").Fill, Style("not-implemented").Ink)
	fmt.Fprintf(&b, `<pattern id="%s-dots" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="%s"/><circle cx="3" cy="3" r="1.3" fill="%s"/></pattern></defs>`, id, Style("not-applicable").Fill, Style("not-applicable").Ink)
	paint := func(class string) string {
		st := Style(class)
		fill := st.Fill
		if st.Pattern != "" {
			fill = "url(#" + id + "-" + st.Pattern + ")"
		}
		if st.Dashed {
			return fmt.Sprintf(`fill="%s" stroke="%s" stroke-width="1" stroke-dasharray="3 2"`, fill, st.Ink)
		}
		return fmt.Sprintf(`fill="%s" stroke="#ffffff" stroke-width="1"`, fill)
	}
	for _, r := range c.Rows {
		fmt.Fprintf(&b, `<g class="chart-row"><text x="%s" y="%d" font-size="15" font-weight="600" fill="#16191d">%s</text>`, f1(c.BarX), r.TextY, Escape(r.Label))
		fmt.Fprintf(&b, `<rect x="%s" y="%d" width="%s" height="%d" %s/>`, f1(c.BarX), r.Y, f1(c.BarW), BarH, paint("unanswered"))
		for _, s := range r.Segs {
			fmt.Fprintf(&b, `<rect x="%s" y="%d" width="%s" height="%d" %s><title>%s: %d</title></rect>`, f1(s.X), s.Y, f1(s.W), BarH, paint(s.Class), Escape(s.Label), s.Count)
		}
		fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="15" fill="#4a5360" text-anchor="end">%s</text></g>`, f1(c.NoteX), r.TextY, Escape(r.Summary))
	}
	for i, s := range c.Legend {
		y := legendY + items[i].row*22
		fmt.Fprintf(&b, `<rect x="%s" y="%d" width="16" height="16" %s/><text x="%s" y="%d" font-size="13" fill="#16191d">%s</text>`,
			f1(c.BarX+items[i].x+1), y, paint(s.Class), f1(c.BarX+items[i].x+24), y+13, Escape(s.Label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func f1(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }
