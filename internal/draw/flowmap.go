package draw

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/risk"
)

// The data-flow map: where ePHI lives and how it moves, drawn on the server
// as SVG from the inventory's assets and flows. Assets sit in boxes grouped
// by place (or by hosting), outside parties in a group of their own; flows
// are arrows labelled with their channel. What leaves ePHI readable is
// marked three ways — colour, a dashed line or heavy border, and words — so
// that it never rests on colour alone. A page shows the map, and beside it
// the list of flows (Map.Flows) as its text alternative.

// GroupBy is how the map groups assets.
type GroupBy string

// Groupings.
const (
	// GroupByPlace groups assets by the place they are in (Asset.PlaceID);
	// a place is the frame of its group.
	GroupByPlace GroupBy = "place"
	// GroupByHosting groups assets on site, in the cloud, and run by
	// business associates.
	GroupByHosting GroupBy = "hosting"
)

// DefaultAggregateAbove is the number of flows above which the map draws
// the flows between two groups as one arrow per direction, with their count.
const DefaultAggregateAbove = 80

// MapOptions choose what the map shows.
type MapOptions struct {
	Title   string  // "" draws "Where ePHI lives and moves"
	GroupBy GroupBy // "" groups by place
	// OnlyEPHI leaves out assets that neither hold nor handle ePHI
	// (nothing created, received, maintained or transmitted, no records,
	// no kinds of ePHI listed).
	OnlyEPHI bool
	// OnlyExposed keeps the flows not known to be encrypted in transit, the
	// assets holding ePHI not known to be encrypted at rest, and the ends
	// of those flows.
	OnlyExposed bool
	// Focus, when not 0, keeps that asset, its flows and the other end of
	// each.
	Focus int64
	// IncludeRetired draws retired assets too (and their flows).
	IncludeRetired bool
	// AggregateAbove is the number of flows above which the flows between
	// groups are drawn as one arrow per direction with their count; 0 is
	// DefaultAggregateAbove, and a negative number never aggregates.
	AggregateAbove int
}

// MapFlow is one flow on the map, in words: the text alternative of an
// arrow.
type MapFlow struct {
	ID         int64
	From, To   string
	Channel    string // the channel's label
	Encryption string // "Encrypted", "Not encrypted", "Partly encrypted", "Not known"
	Exposed    bool   // not known to be encrypted in transit
	Frequency  string
	Volume     string
}

// String is f in a sentence, for a list.
func (f MapFlow) String() string {
	s := fmt.Sprintf("%s → %s, by %s: %s in transit", f.From, f.To, LowerFirst(f.Channel), strings.ToLower(f.Encryption))
	if f.Encryption == risk.EncryptionUnknown.Label() {
		s = fmt.Sprintf("%s → %s, by %s: not known whether encrypted in transit", f.From, f.To, LowerFirst(f.Channel))
	}
	if f.Exposed {
		s = "⚠ " + s
	}
	return s
}

// LowerFirst lowers a label's first letter for use inside a sentence,
// unless it begins an acronym ("HL7 or other interface", "SFTP or …").
func LowerFirst(s string) string {
	if len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z' {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// Map is a drawn data-flow map and its text alternative.
type Map struct {
	SVG template.HTML
	// Desc sums the map up in a sentence or two (also the SVG's <desc>).
	Desc string
	// Flows lists every flow the map shows, one by one even where arrows
	// are aggregated, sorted by where they start and end.
	Flows []MapFlow
	// Exposed names the assets shown that hold ePHI not known to be
	// encrypted at rest, sorted.
	Exposed []string
	// Assets, Groups and Arrows count what was drawn; Aggregated says
	// whether flows between groups were drawn as one arrow per direction.
	Assets, Groups, Arrows int
	Aggregated             bool
	// Layout is the drawing's geometry, for a renderer that draws the same
	// map with its own primitives (a PDF).
	Layout MapLayout
}

// MapLayout is the geometry of a drawn map in SVG user units (origin at
// the top left, y downward): the groups with their boxes, then the arrows,
// in the order they are drawn. Texts are whole; the SVG shortens those too
// long for their box with an ellipsis, and a renderer with real text
// metrics may do better.
type MapLayout struct {
	ID            string // the prefix of the SVG's element ids
	Title         string
	Width, Height float64
	Groups        []MapGroup
	Arrows        []MapArrow
}

// MapGroup is the frame of a group of boxes, with its heading along the top.
type MapGroup struct {
	Label      string // as drawn, with "⚠ … holds ePHI not known to be encrypted" for an exposed place
	X, Y, W, H float64
	// Party marks the group of outside parties (drawn with a dashed frame);
	// Exposed a place that holds ePHI not known to be encrypted at rest
	// (drawn in the warning colour).
	Party, Exposed bool
	Boxes          []MapBox
}

// MapBox is one asset or outside party: its name, and below it its kind
// (or "⚠ ePHI not encrypted"), in a box.
type MapBox struct {
	Name, Sub  string
	X, Y, W, H float64
	// Party marks an outside party (drawn with rounder corners and a tint);
	// Exposed an asset holding ePHI not known to be encrypted at rest
	// (heavy border in the warning colour).
	Party, Exposed bool
}

// MapArrow is one arrow, from (X1, Y1) on the edge of one box or group to
// its head at (X2, Y2) on the edge of the other. Title says it in words.
// Label is the short text drawn beside the arrow, centred on (LabelX,
// LabelY) — a point on or near the arrow where the label's ground
// (LabelW × LabelH) covers no box, no group heading and no other label; it
// is "" when there was no such place, and then the arrow's Title and the
// list of flows still say what it carries. (LabelX, LabelY) is near, not
// always at, the arrow's midpoint.
type MapArrow struct {
	X1, Y1, X2, Y2 float64
	Label, Title   string
	// LabelX, LabelY is the centre of the label's ground, and LabelW,
	// LabelH its size; the text's baseline is 4 units below the centre.
	LabelX, LabelY, LabelW, LabelH float64
	// FlowID is the flow drawn, or 0 for an arrow standing for Count flows
	// between two groups.
	FlowID int64
	Count  int
	// Exposed marks an arrow with a flow not known to be encrypted in
	// transit (drawn dashed in the warning colour); ExposedCount is how many.
	Exposed      bool
	ExposedCount int
	Width        float64 // the stroke's width
}

// Map geometry, in SVG user units.
const (
	mapWidth    = 1200
	mapMargin   = 8
	mapLegendH  = 56
	boxW        = 168
	boxH        = 60
	boxGapX     = 16
	boxGapY     = 30
	groupPad    = 12
	groupHeadH  = 26
	groupGap    = 24
	mapCharW    = 6.4 // average width of a 12-unit character
	nameCharW   = 6.8 // average width of a 12-unit bold character, in a box's name
	labelCharW  = 6.0 // average width of an 11-unit character in a label
	labelH      = 14  // the height of a label's ground
	parallelGap = 10
)

// node is one box on the map, or the frame of a place in whose header
// flows to the place end.
type node struct {
	key       string // "a:<id>" for an asset, "x:<party>" for an outside party
	id        int64
	name, sub string
	exposed   bool // holds ePHI not known to be encrypted at rest
	party     bool
	group     int
	x, y      float64
	w, h      float64
	frame     bool // a place drawn as its group's frame, not as a box
}

type group struct {
	key, label string
	order      int    // places first by name, then the rest
	sort       string // name within order
	nodes      []*node
	place      *node // the place in place mode
	x, y, w, h float64
	cols, rows int
}

// FlowMap draws the data-flow map of assets and flows. Retired assets are
// left out unless opt.IncludeRetired; flows to assets not shown are left
// out. The drawing depends only on its input: the same assets and flows in
// any order give the same bytes.
//
// Layout: groups are laid out in rows across a fixed width, without
// overlap; within a group, boxes sit in a grid that wraps at the width, so
// the map grows downward with the number of assets. Above
// opt.AggregateAbove flows, the flows between two groups are drawn as one
// arrow per direction labelled with their number (and how many are not
// encrypted), while flows within a group stay one arrow each; the list of
// flows (Map.Flows) still names every one.
//
// The SVG has role="img" with a <title> and a <desc>; each box and arrow
// has its own <title>. It uses presentation attributes only (the content
// security policy forbids inline styles); the page's stylesheet should
// scale it with `.risk-map { max-width: 100%; height: auto; }` and show
// Map.Flows beside it.
func FlowMap(assets []risk.Asset, flows []risk.Flow, opt MapOptions) (Map, error) {
	if opt.GroupBy == "" {
		opt.GroupBy = GroupByPlace
	}
	if opt.GroupBy != GroupByPlace && opt.GroupBy != GroupByHosting {
		return Map{}, fmt.Errorf("group the map by place or hosting, not %q", opt.GroupBy)
	}
	if opt.Title == "" {
		opt.Title = "Where ePHI lives and moves"
	}
	byID := make(map[int64]risk.Asset, len(assets))
	for _, a := range assets {
		byID[a.ID] = a
	}

	// Which assets and flows to show.
	shown := map[int64]bool{}
	for _, a := range assets {
		if a.Lifecycle == risk.LifecycleRetired && !opt.IncludeRetired {
			continue
		}
		if opt.OnlyEPHI && !handlesEPHI(a) && a.Kind.Class() != risk.ClassPlace {
			continue
		}
		shown[a.ID] = true
	}
	if opt.Focus != 0 && !shown[opt.Focus] {
		return Map{}, errors.New("the asset to focus on is not in the inventory shown")
	}
	endOK := func(e risk.Endpoint) bool {
		return e.AssetID == 0 && e.Party != "" || e.AssetID != 0 && shown[e.AssetID]
	}
	var fs []risk.Flow
	for _, f := range flows {
		if !endOK(f.From) || !endOK(f.To) || f.From == f.To {
			continue
		}
		if opt.OnlyExposed && !f.InTransit.Exposed() {
			continue
		}
		if opt.Focus != 0 && f.From.AssetID != opt.Focus && f.To.AssetID != opt.Focus {
			continue
		}
		fs = append(fs, f)
	}
	slices.SortFunc(fs, func(a, b risk.Flow) int { return cmp.Compare(a.ID, b.ID) })
	onFlow := map[int64]bool{}
	for _, f := range fs {
		onFlow[f.From.AssetID], onFlow[f.To.AssetID] = true, true
	}
	keep := func(a risk.Asset) bool {
		if !shown[a.ID] {
			return false
		}
		if opt.Focus != 0 {
			return a.ID == opt.Focus || onFlow[a.ID]
		}
		if opt.OnlyExposed {
			return onFlow[a.ID] || exposedEPHI(a)
		}
		if a.Kind.Class() == risk.ClassPlace && opt.GroupBy == GroupByHosting {
			return onFlow[a.ID] // a place is not hosted: it shows only as a flow's end
		}
		return true
	}
	var kept []risk.Asset
	for _, a := range assets {
		if keep(a) {
			kept = append(kept, a)
		}
	}
	slices.SortFunc(kept, func(a, b risk.Asset) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})

	// Groups and their nodes.
	groups := map[string]*group{}
	groupOf := func(key, label string, order int, sortKey string) *group {
		g, ok := groups[key]
		if !ok {
			g = &group{key: key, label: label, order: order, sort: sortKey}
			groups[key] = g
		}
		return g
	}
	nodes := map[string]*node{}
	placeGroup := func(p risk.Asset) *group {
		label := p.Name
		if parent, ok := byID[p.PlaceID]; ok && p.PlaceID != 0 && parent.Kind.Class() == risk.ClassPlace {
			label = p.Name + " (in " + parent.Name + ")"
		}
		g := groupOf("p:"+strconv.FormatInt(p.ID, 10), label, 0, strings.ToLower(label)+"\x00"+fmt.Sprintf("%020d", p.ID))
		if g.place == nil {
			g.place = &node{key: assetKey(p.ID), id: p.ID, name: p.Name, frame: true, exposed: exposedEPHI(p)}
			nodes[g.place.key] = g.place
		}
		return g
	}
	for _, a := range kept {
		n := &node{key: assetKey(a.ID), id: a.ID, name: a.Name, sub: a.Kind.Label(), exposed: exposedEPHI(a)}
		if n.exposed {
			n.sub = "⚠ ePHI " + strings.ToLower(atRestWords(a.AtRest))
		}
		var g *group
		switch {
		case opt.GroupBy == GroupByPlace && a.Kind.Class() == risk.ClassPlace:
			placeGroup(a)
			continue
		case opt.GroupBy == GroupByPlace:
			if p, ok := byID[a.PlaceID]; ok && a.PlaceID != 0 && p.Kind.Class() == risk.ClassPlace {
				g = placeGroup(p)
			} else if a.Hosting == risk.HostingCloud || a.Hosting == risk.HostingBusinessAssociate {
				// A hosted system has no room of its own: it groups with the
				// others hosted the same way.
				label := map[risk.Hosting]string{risk.HostingCloud: "Cloud services", risk.HostingBusinessAssociate: "Run by business associates"}[a.Hosting]
				g = groupOf("h:"+string(a.Hosting), label, 1, "")
			} else {
				g = groupOf("none", "No place recorded", 1, "")
			}
		default:
			h := a.Hosting
			if !slices.Contains(risk.Hostings(), h) {
				h = risk.HostingOnSite
			}
			g = groupOf("h:"+string(h), h.Label(), slices.Index(risk.Hostings(), h), "")
		}
		g.nodes = append(g.nodes, n)
		nodes[n.key] = n
	}
	parties := groupOf("party", "Outside parties", 2, "")
	for _, f := range fs {
		for _, e := range []risk.Endpoint{f.From, f.To} {
			if e.AssetID != 0 {
				continue
			}
			k := partyKey(e.Party)
			if _, ok := nodes[k]; !ok {
				n := &node{key: k, name: e.Party, sub: "Outside party", party: true}
				parties.nodes = append(parties.nodes, n)
				nodes[k] = n
			}
		}
	}
	slices.SortFunc(parties.nodes, func(a, b *node) int { return cmp.Compare(a.key, b.key) })
	var gs []*group
	for _, g := range groups {
		if len(g.nodes) > 0 || g.place != nil && (onFlow[g.place.id] || opt.Focus == 0 && !opt.OnlyExposed && !opt.OnlyEPHI) {
			gs = append(gs, g)
		}
	}
	slices.SortFunc(gs, func(a, b *group) int {
		return cmp.Or(cmp.Compare(a.order, b.order), cmp.Compare(a.sort, b.sort), cmp.Compare(a.key, b.key))
	})
	for i, g := range gs {
		for _, n := range g.nodes {
			n.group = i
		}
		if g.place != nil {
			g.place.group = i
		}
	}
	layout(gs)

	// Arrows.
	total := len(fs)
	threshold := opt.AggregateAbove
	if threshold == 0 {
		threshold = DefaultAggregateAbove
	}
	aggregate := threshold > 0 && total > threshold
	var arrows []arrow
	type pair struct{ from, to int }
	agg := map[pair]*arrow{}
	var pairs []pair
	for _, f := range fs {
		from, to := nodes[endKey(f.From)], nodes[endKey(f.To)]
		if from == nil || to == nil {
			continue // an end filtered out (a place not shown)
		}
		fromG, toG := from.group, to.group
		if aggregate && fromG != toG {
			p := pair{fromG, toG}
			a, ok := agg[p]
			if !ok {
				a = &arrow{fromRect: gs[fromG].rect(), toRect: gs[toG].rect(), pairKey: "g" + strconv.Itoa(min(fromG, toG)) + "-" + strconv.Itoa(max(fromG, toG))}
				agg[p] = a
				pairs = append(pairs, p)
			}
			a.count++
			if f.InTransit.Exposed() {
				a.exposed++
			}
			continue
		}
		ar := arrow{fromRect: from.rect(), toRect: to.rect(), count: 1, flowID: f.ID, channel: f.Channel, transit: f.InTransit,
			title: fmt.Sprintf("%s → %s: %s", from.name, to.name, DescribeTransit(f))}
		if f.InTransit.Exposed() {
			ar.exposed = 1
		}
		ar.pairKey = pairKeyOf(from.key, to.key)
		arrows = append(arrows, ar)
	}
	slices.SortFunc(pairs, func(a, b pair) int { return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to)) })
	for _, p := range pairs {
		a := agg[p]
		a.title = fmt.Sprintf("%s → %s: %s", gs[p.from].label, gs[p.to].label, plural(a.count, "flow", "flows"))
		if a.exposed > 0 {
			a.title += fmt.Sprintf(", %d not known to be encrypted", a.exposed)
		}
		arrows = append(arrows, *a)
	}
	offsetParallel(arrows)

	// Words.
	m := Map{Aggregated: aggregate, Arrows: len(arrows), Groups: len(gs), Exposed: []string{}, Flows: []MapFlow{}}
	name := func(e risk.Endpoint) string {
		if e.AssetID != 0 {
			return byID[e.AssetID].Name
		}
		return nodes[partyKey(e.Party)].name // one spelling for one party
	}
	for _, f := range fs {
		m.Flows = append(m.Flows, MapFlow{ID: f.ID, From: name(f.From), To: name(f.To), Channel: f.Channel.Label(),
			Encryption: f.InTransit.Label(), Exposed: f.InTransit.Exposed(), Frequency: f.Frequency, Volume: f.Volume})
	}
	slices.SortStableFunc(m.Flows, func(a, b MapFlow) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.From), strings.ToLower(b.From)), cmp.Compare(strings.ToLower(a.To), strings.ToLower(b.To)))
	})
	exposedFlows := 0
	for _, f := range m.Flows {
		if f.Exposed {
			exposedFlows++
		}
	}
	for _, g := range gs {
		m.Assets += len(g.nodes)
		for _, n := range g.nodes {
			if n.exposed {
				m.Exposed = append(m.Exposed, n.name)
			}
		}
		if g.place != nil {
			m.Assets++
		}
	}
	m.Assets -= len(parties.nodes)
	slices.Sort(m.Exposed)
	m.Desc = fmt.Sprintf("%s in %s, %s between them, %d not known to be encrypted in transit; %s ePHI not known to be encrypted at rest.",
		plural(m.Assets, "asset", "assets"), plural(len(gs), "group", "groups"), plural(len(fs), "flow", "flows"), exposedFlows,
		plural(len(m.Exposed), "asset holds", "assets hold"))
	if aggregate {
		m.Desc += " Flows between groups are drawn as one arrow per direction with their number; the list of flows names each one."
	}
	m.Layout = mapLayout(opt, gs, arrows)
	m.SVG = template.HTML(m.Layout.SVG(m.Desc))
	return m, nil
}

func assetKey(id int64) string { return "a:" + strconv.FormatInt(id, 10) }

func partyKey(p string) string { return "x:" + strings.ToLower(strings.TrimSpace(p)) }

func endKey(e risk.Endpoint) string {
	if e.AssetID != 0 {
		return assetKey(e.AssetID)
	}
	return partyKey(e.Party)
}

func pairKeyOf(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "|" + b
}

// handlesEPHI reports whether a holds or handles ePHI in any way.
func handlesEPHI(a risk.Asset) bool { return a.HoldsEPHI() || a.Use.Any() || len(a.EPHI) > 0 }

// exposedEPHI reports whether a holds ePHI not known to be encrypted at
// rest.
func exposedEPHI(a risk.Asset) bool { return a.HoldsEPHI() && a.AtRest.Exposed() }

func atRestWords(e risk.Encryption) string {
	switch e {
	case risk.EncryptionNo:
		return "Not encrypted"
	case risk.EncryptionPartial:
		return "Partly encrypted"
	}
	return "Encryption not known"
}

// DescribeTransit says how flow f moves ePHI and whether it is encrypted
// in transit: "Email, not encrypted in transit".
func DescribeTransit(f risk.Flow) string {
	s := f.Channel.Label() + ", "
	switch f.InTransit {
	case risk.EncryptionYes:
		return s + "encrypted in transit"
	case risk.EncryptionNo:
		return s + "not encrypted in transit"
	case risk.EncryptionPartial:
		return s + "partly encrypted in transit"
	}
	return s + "not known whether encrypted in transit"
}

// shortChannel names a channel on an arrow, where space is short.
var shortChannel = map[risk.Channel]string{
	"hl7": "HL7", "api": "API", "sftp": "SFTP", "email": "Email", "portal": "Portal", "fax": "Fax",
	"vpn": "VPN", "lan": "Local network", "sync": "Sync", "media": "Media", "paper": "Paper", "other": "Other",
}

type rect struct{ x, y, w, h float64 }

func (n *node) rect() rect {
	if n.frame {
		return rect{n.x, n.y, n.w, groupHeadH}
	}
	return rect{n.x, n.y, n.w, n.h}
}

func (g *group) rect() rect { return rect{g.x, g.y, g.w, g.h} }

type arrow struct {
	fromRect, toRect rect
	count, exposed   int
	flowID           int64
	channel          risk.Channel
	transit          risk.Encryption
	title            string
	pairKey          string
	offset           float64
}

// offsetParallel spreads arrows between the same two boxes (either way) so
// that they do not lie on one another.
func offsetParallel(arrows []arrow) {
	idx := map[string][]int{}
	var keys []string
	for i, a := range arrows {
		if _, ok := idx[a.pairKey]; !ok {
			keys = append(keys, a.pairKey)
		}
		idx[a.pairKey] = append(idx[a.pairKey], i)
	}
	for _, k := range keys {
		is := idx[k]
		for j, i := range is {
			arrows[i].offset = (float64(j) - float64(len(is)-1)/2) * parallelGap
		}
	}
}

// layout places the groups in rows across the map's width, and the boxes of
// each group in a grid within it.
func layout(gs []*group) {
	inner := float64(mapWidth - 2*mapMargin)
	maxCols := int((inner - 2*groupPad + boxGapX) / (boxW + boxGapX))
	x, y, shelfH := float64(mapMargin), float64(mapLegendH), 0.0
	for _, g := range gs {
		n := len(g.nodes)
		g.cols = min(max(n, 1), maxCols, max(1, int(math.Ceil(math.Sqrt(float64(n)*1.5)))))
		g.rows = (n + g.cols - 1) / g.cols
		g.w = 2*groupPad + float64(g.cols)*boxW + float64(g.cols-1)*boxGapX
		g.w = min(inner, max(g.w, float64(len([]rune(g.label)))*mapCharW+2*groupPad))
		g.h = groupHeadH + groupPad
		if g.rows > 0 {
			g.h += float64(g.rows)*boxH + float64(g.rows-1)*boxGapY + groupPad
		}
		if x > mapMargin && x+g.w > mapMargin+inner {
			x, y, shelfH = mapMargin, y+shelfH+groupGap, 0
		}
		g.x, g.y = x, y
		x += g.w + groupGap
		shelfH = max(shelfH, g.h)
		for i, nd := range g.nodes {
			c, r := i%g.cols, i/g.cols
			nd.x = g.x + groupPad + float64(c)*(boxW+boxGapX)
			nd.y = g.y + groupHeadH + groupPad + float64(r)*(boxH+boxGapY)
			nd.w, nd.h = boxW, boxH
		}
		if g.place != nil {
			g.place.x, g.place.y, g.place.w, g.place.h = g.x, g.y, g.w, groupHeadH
		}
	}
}

// mapHeight is the height the groups take, with the margin below.
func mapHeight(gs []*group) float64 {
	h := float64(mapLegendH)
	for _, g := range gs {
		h = max(h, g.y+g.h)
	}
	return h + mapMargin
}

// edge is where the line from the centre of r towards (dx, dy) leaves r.
func edge(r rect, cx, cy, dx, dy float64) (float64, float64) {
	t := math.Inf(1)
	if dx != 0 {
		t = min(t, r.w/2/math.Abs(dx))
	}
	if dy != 0 {
		t = min(t, r.h/2/math.Abs(dy))
	}
	if math.IsInf(t, 1) {
		return cx, cy
	}
	return cx + dx*t, cy + dy*t
}

// mapLayout turns the placed groups and arrows into the exported geometry.
func mapLayout(opt MapOptions, gs []*group, arrows []arrow) MapLayout {
	l := MapLayout{
		ID:     "flowmap-" + ID(fmt.Sprintf("%s\x00%s\x00%d\x00%d", opt.Title, opt.GroupBy, len(gs), len(arrows))),
		Title:  opt.Title,
		Width:  mapWidth,
		Height: mapHeight(gs),
		Groups: make([]MapGroup, 0, len(gs)),
		Arrows: make([]MapArrow, 0, len(arrows)),
	}
	for _, g := range gs {
		mg := MapGroup{Label: g.label, X: g.x, Y: g.y, W: g.w, H: g.h, Party: g.key == "party", Boxes: make([]MapBox, 0, len(g.nodes))}
		if g.place != nil && g.place.exposed {
			mg.Exposed, mg.Label = true, "⚠ "+g.label+" — holds ePHI not known to be encrypted"
		}
		for _, n := range g.nodes {
			mg.Boxes = append(mg.Boxes, MapBox{Name: n.name, Sub: n.sub, X: n.x, Y: n.y, W: n.w, H: n.h, Party: n.party, Exposed: n.exposed})
		}
		l.Groups = append(l.Groups, mg)
	}
	for _, a := range arrows {
		if ma, ok := placeArrow(a); ok {
			l.Arrows = append(l.Arrows, ma)
		}
	}
	placeLabels(&l)
	return l
}

// placeLabels finds each arrow's label a place clear of the boxes, the
// groups' headings, the legend and the labels placed before it: along the
// arrow from its midpoint outwards, on the line or beside it. A label that
// finds none is dropped (Label ""), and the arrow's title says it instead.
func placeLabels(l *MapLayout) {
	var taken rectGrid
	for _, g := range l.Groups {
		taken.add(rect{g.X, g.Y, min(g.W, float64(len([]rune(g.Label)))*mapCharW+2*groupPad), groupHeadH - 2})
		for _, b := range g.Boxes {
			taken.add(rect{b.X, b.Y, b.W, b.H})
		}
	}
	clear := func(r rect) bool {
		if r.x < 0 || r.x+r.w > l.Width || r.y < mapLegendH-8 || r.y+r.h > l.Height {
			return false
		}
		return !taken.hits(r)
	}
	// Labels of flows that leave ePHI readable choose first.
	order := make([]int, 0, len(l.Arrows))
	for pass := range 2 {
		for i, a := range l.Arrows {
			if a.Exposed == (pass == 0) {
				order = append(order, i)
			}
		}
	}
	for _, i := range order {
		a := &l.Arrows[i]
		if a.Label == "" {
			continue
		}
		texts := []string{a.Label}
		if k := strings.IndexAny(a.Label, ":,"); k > 0 {
			texts = append(texts, a.Label[:k]) // "⚠ Email: not encrypted" → "⚠ Email"
		}
		a.Label = ""
	search:
		for _, text := range texts {
			if r, ok := labelPlace(a, text, clear); ok {
				a.Label, a.LabelX, a.LabelY, a.LabelW, a.LabelH = text, r.x+r.w/2, r.y+r.h/2, r.w, r.h
				taken.add(r)
				break search
			}
		}
	}
}

// rectGrid holds rectangles in square cells of the map, so that a label
// is checked against what lies near it only.
type rectGrid struct {
	rects []rect
	cells map[[2]int][]int
}

const gridCell = 128

func (g *rectGrid) span(r rect) (x0, y0, x1, y1 int) {
	return int(math.Floor(r.x / gridCell)), int(math.Floor(r.y / gridCell)), int(math.Floor((r.x + r.w) / gridCell)), int(math.Floor((r.y + r.h) / gridCell))
}

func (g *rectGrid) add(r rect) {
	if g.cells == nil {
		g.cells = map[[2]int][]int{}
	}
	g.rects = append(g.rects, r)
	x0, y0, x1, y1 := g.span(r)
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			g.cells[[2]int{x, y}] = append(g.cells[[2]int{x, y}], len(g.rects)-1)
		}
	}
}

// hits reports whether r overlaps a rectangle of g.
func (g *rectGrid) hits(r rect) bool {
	x0, y0, x1, y1 := g.span(r)
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			for _, i := range g.cells[[2]int{x, y}] {
				t := g.rects[i]
				if r.x < t.x+t.w && t.x < r.x+r.w && r.y < t.y+t.h && t.y < r.y+r.h {
					return true
				}
			}
		}
	}
	return false
}

// labelPlace looks for a place for text beside arrow a that clear accepts:
// at points along the arrow from its midpoint outwards, centred just
// above the line, on it, below it, beside it, then a little further off.
func labelPlace(a *MapArrow, text string, clear func(rect) bool) (rect, bool) {
	w, h := float64(len([]rune(text)))*labelCharW+6, float64(labelH)
	dx, dy := a.X2-a.X1, a.Y2-a.Y1
	d := math.Hypot(dx, dy)
	if d == 0 {
		return rect{}, false
	}
	// The normal that points up (or left on a vertical line).
	nx, ny := -dy/d, dx/d
	if ny > 0 || ny == 0 && nx > 0 {
		nx, ny = -nx, -ny
	}
	offs := []float64{h/2 + 1, 0, -h/2 - 1}
	for k := 1; k <= 5; k++ {
		o := h/2 + 1 + 6*float64(k)
		offs = append(offs, o, -o)
	}
	for _, t := range []float64{0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82} {
		px, py := a.X1+dx*t, a.Y1+dy*t
		cs := make([][2]float64, 0, len(offs)+2)
		for j, o := range offs {
			// The normal of a steep line is nearly level: a label beside it
			// must clear the line by half its width, not half its height.
			ext := o
			if j < 3 && math.Abs(ny) < 0.5 && o != 0 {
				ext = math.Copysign(w/2+4, o)
			}
			cs = append(cs, [2]float64{px + nx*ext, py + ny*ext})
		}
		cs = append(cs, [2]float64{px + w/2 + 4, py}, [2]float64{px - w/2 - 4, py})
		for _, c := range cs {
			if r := (rect{c[0] - w/2, c[1] - h/2, w, h}); clear(r) {
				return r, true
			}
		}
	}
	return rect{}, false
}

// placeArrow draws a from the edge of one rectangle to the edge of the
// other; false when the two share a centre.
func placeArrow(a arrow) (MapArrow, bool) {
	fc := [2]float64{a.fromRect.x + a.fromRect.w/2, a.fromRect.y + a.fromRect.h/2}
	tc := [2]float64{a.toRect.x + a.toRect.w/2, a.toRect.y + a.toRect.h/2}
	dx, dy := tc[0]-fc[0], tc[1]-fc[1]
	d := math.Hypot(dx, dy)
	if d == 0 {
		return MapArrow{}, false
	}
	dx, dy = dx/d, dy/d
	// Shift parallel arrows sideways, keeping each side's shift the same
	// whichever way the arrow runs.
	nx, ny := -dy, dx
	if dx < 0 || dx == 0 && dy < 0 {
		nx, ny = -nx, -ny
	}
	fc[0], fc[1], tc[0], tc[1] = fc[0]+nx*a.offset, fc[1]+ny*a.offset, tc[0]+nx*a.offset, tc[1]+ny*a.offset
	ma := MapArrow{Title: a.title, FlowID: a.flowID, Count: a.count, ExposedCount: a.exposed, Exposed: a.exposed > 0, Width: 1.5}
	ma.X1, ma.Y1 = edge(a.fromRect, fc[0], fc[1], dx, dy)
	ma.X2, ma.Y2 = edge(a.toRect, tc[0], tc[1], -dx, -dy)
	if ma.Exposed {
		ma.Width = 2
	}
	if a.flowID != 0 {
		ma.Label = cmp.Or(shortChannel[a.channel], a.channel.Label())
		if ma.Exposed {
			ma.Label = "⚠ " + ma.Label + ": " + strings.ToLower(transitShort(a.transit))
		}
	} else {
		ma.Label = plural(a.count, "flow", "flows")
		if ma.Exposed {
			ma.Label = fmt.Sprintf("⚠ %s, %d not encrypted", ma.Label, a.exposed)
		}
		ma.Width = min(2+math.Log2(float64(a.count)), 7)
	}
	return ma, true
}

// The map's colours, for a renderer that draws the layout itself: lines and
// boxes, the warning colour of what leaves ePHI readable and its tint, the
// groups' frames, outside parties' boxes, and the texts.
const (
	ColourLine    = "#455a64"
	ColourWarn    = "#b71c1c"
	ColourWarnBg  = "#fdecea"
	ColourFrame   = "#90a4ae"
	ColourParty   = "#f3f1ec"
	ColourBox     = "#ffffff"
	ColourText    = "#1f2a30"
	ColourSubText = "#4a5a63"
)

// SVG draws the layout, with desc as the drawing's description.
func (l MapLayout) SVG(desc string) string {
	id, h := l.ID, l.Height
	var b strings.Builder
	b.Grow(4096 + 700*len(l.Arrows) + 600*len(l.Groups))
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="risk-map" role="img" aria-labelledby="%s-title %s-desc" viewBox="0 0 %s %s" width="%s" height="%s" font-family="system-ui, sans-serif" font-size="12">`,
		id, id, f1(l.Width), f1(h), f1(l.Width), f1(h))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, Escape(l.Title), id, Escape(desc))
	fmt.Fprintf(&b, `<defs><marker id="%s-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="%s"/></marker>`, id, ColourLine)
	fmt.Fprintf(&b, `<marker id="%s-arrow-warn" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="%s"/></marker></defs>`, id, ColourWarn)

	// The legend, along the top.
	fmt.Fprintf(&b, `<g class="legend"><line x1="%d" y1="18" x2="%d" y2="18" stroke="%s" stroke-width="1.5" marker-end="url(#%s-arrow)"/><text x="%d" y="22" fill="%s">Flow, encrypted in transit</text>`,
		mapMargin, mapMargin+40, ColourLine, id, mapMargin+48, ColourText)
	fmt.Fprintf(&b, `<line x1="%d" y1="18" x2="%d" y2="18" stroke="%s" stroke-width="2" stroke-dasharray="6 4" marker-end="url(#%s-arrow-warn)"/><text x="%d" y="22" fill="%s">⚠ Not encrypted, partly, or not known</text>`,
		mapMargin+240, mapMargin+280, ColourWarn, id, mapMargin+288, ColourWarn)
	fmt.Fprintf(&b, `<rect x="%d" y="8" width="28" height="18" rx="3" fill="%s" stroke="%s" stroke-width="3"/><text x="%d" y="22" fill="%s">⚠ Holds ePHI not known to be encrypted at rest</text></g>`,
		mapMargin+530, ColourWarnBg, ColourWarn, mapMargin+566, ColourWarn)

	// Groups, then boxes, then arrows above them, then the arrows' labels
	// above everything.
	for _, g := range l.Groups {
		stroke, dash, fill := ColourFrame, "", "#f7f9fa"
		if g.Party {
			dash = ` stroke-dasharray="4 3"`
		}
		if g.Exposed {
			stroke = ColourWarn
		}
		fmt.Fprintf(&b, `<g class="group"><rect x="%s" y="%s" width="%s" height="%s" rx="6" fill="%s" stroke="%s"%s/>`,
			f1(g.X), f1(g.Y), f1(g.W), f1(g.H), fill, stroke, dash)
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-weight="600" fill="%s">%s</text></g>`,
			f1(g.X+groupPad), f1(g.Y+17), ColourText, Escape(fitW(g.Label, g.W-2*groupPad)))
		for _, n := range g.Boxes {
			drawBox(&b, n)
		}
	}
	var labels strings.Builder
	for _, a := range l.Arrows {
		drawArrow(&b, &labels, id, a)
	}
	b.WriteString(labels.String())
	b.WriteString(`</svg>`)
	return b.String()
}

func drawBox(b *strings.Builder, n MapBox) {
	class, fill, stroke, width, rx, subFill := "asset", ColourBox, ColourLine, "1", "4", ColourSubText
	if n.Party {
		class, fill, rx = "party", ColourParty, "14"
	}
	if n.Exposed {
		class += " ephi-exposed"
		fill, stroke, width, subFill = ColourWarnBg, ColourWarn, "3", ColourWarn
	}
	title := n.Name + " — " + n.Sub
	fmt.Fprintf(b, `<g class="%s"><title>%s</title><rect class="asset-box" x="%s" y="%s" width="%s" height="%s" rx="%s" fill="%s" stroke="%s" stroke-width="%s"/>`,
		class, Escape(title), f1(n.X), f1(n.Y), f1(n.W), f1(n.H), rx, fill, stroke, width)
	lines := wrapW(n.Name, n.W-16, 2)
	if len(lines) == 1 {
		fmt.Fprintf(b, `<text x="%s" y="%s" font-weight="600" fill="%s">%s</text>`, f1(n.X+8), f1(n.Y+24), ColourText, Escape(lines[0]))
		fmt.Fprintf(b, `<text x="%s" y="%s" font-size="11" fill="%s">%s</text></g>`, f1(n.X+8), f1(n.Y+42), subFill, Escape(fitW(n.Sub, n.W-16)))
		return
	}
	fmt.Fprintf(b, `<text x="%s" y="%s" font-weight="600" fill="%s">%s<tspan x="%s" dy="14">%s</tspan></text>`,
		f1(n.X+8), f1(n.Y+17), ColourText, Escape(lines[0]), f1(n.X+8), Escape(lines[1]))
	fmt.Fprintf(b, `<text x="%s" y="%s" font-size="11" fill="%s">%s</text></g>`, f1(n.X+8), f1(n.Y+50), subFill, Escape(fitW(n.Sub, n.W-16)))
}

func drawArrow(b, labels *strings.Builder, id string, a MapArrow) {
	class, stroke, dash, marker := "flow", ColourLine, "", id+"-arrow"
	if a.Exposed {
		class, stroke, dash, marker = "flow exposed", ColourWarn, ` stroke-dasharray="6 4"`, id+"-arrow-warn"
	}
	if a.FlowID != 0 {
		fmt.Fprintf(b, `<g class="%s" data-flow="%d">`, class, a.FlowID)
	} else {
		fmt.Fprintf(b, `<g class="%s aggregate" data-count="%d">`, class, a.Count)
	}
	fmt.Fprintf(b, `<title>%s</title><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"%s marker-end="url(#%s)"/></g>`,
		Escape(a.Title), f1(a.X1), f1(a.Y1), f1(a.X2), f1(a.Y2), stroke, f1(a.Width), dash, marker)
	if a.Label == "" {
		return
	}
	fill := ColourText
	if a.Exposed {
		fill = ColourWarn
	}
	fmt.Fprintf(labels, `<text class="flow-label" x="%s" y="%s" text-anchor="middle" font-size="11" fill="%s" stroke="#ffffff" stroke-width="3" paint-order="stroke">%s</text>`,
		f1(a.LabelX), f1(a.LabelY+4), fill, Escape(a.Label))
}

func transitShort(e risk.Encryption) string {
	switch e {
	case risk.EncryptionNo:
		return "Not encrypted"
	case risk.EncryptionPartial:
		return "Partly encrypted"
	}
	return "Not known"
}

// fitW shortens s to about w units at the map's font size.
func fitW(s string, w float64) string {
	r := []rune(s)
	n := max(2, int(w/mapCharW))
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// wrapW breaks s into at most n lines of about w units in the bold type of
// a box's name, between words where it can, and shortens the last line with an
// ellipsis if s is longer still.
func wrapW(s string, w float64, n int) []string {
	per := max(2, int(w/nameCharW))
	var lines []string
	rest := strings.TrimSpace(s)
	for len(lines) < n-1 && len([]rune(rest)) > per {
		r := []rune(rest)
		cut := per
		// Break after the last space or hyphen that fits, if any.
		for i := per; i > 0; i-- {
			if r[i] == ' ' {
				cut = i
				break
			}
			if r[i-1] == '-' || r[i-1] == '/' {
				cut = i
				break
			}
		}
		lines = append(lines, strings.TrimSpace(string(r[:cut])))
		rest = strings.TrimSpace(string(r[cut:]))
	}
	if r := []rune(rest); len(r) > per {
		// Shorten the last line after a whole word where one fits.
		cut := per - 1
		for i := per - 1; i > per/2; i-- {
			if r[i] == ' ' {
				cut = i
				break
			}
		}
		rest = strings.TrimSpace(string(r[:cut])) + "…"
	}
	return append(lines, rest)
}
