package draw

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/risk"
)

// riverside is a small practice: a clinic with a server closet, a cloud EHR,
// laptops, the old backup drive, and flows to a lab and a billing company.
func riverside() ([]risk.Asset, []risk.Flow) {
	assets := []risk.Asset{
		{ID: 1, Name: "Main clinic", Kind: "site"},
		{ID: 2, Name: "Server closet", Kind: "room", PlaceID: 1},
		{ID: 3, Name: "Cloud EHR", Kind: "ehr", Hosting: risk.HostingCloud, AtRest: risk.EncryptionYes, Records: 9000, Use: risk.Use{Creates: true, Maintains: true}},
		{ID: 4, Name: "Front desk PC", Kind: "workstation", PlaceID: 1, AtRest: risk.EncryptionYes, Use: risk.Use{Receives: true}},
		{ID: 5, Name: "Old backup drive", Kind: "removable_media", PlaceID: 2, AtRest: risk.EncryptionNo, Records: 6000, Use: risk.Use{Maintains: true}},
		{ID: 6, Name: "Dr Lee's laptop", Kind: "laptop", PlaceID: 1, AtRest: risk.EncryptionUnknown, Use: risk.Use{Maintains: true}},
		{ID: 7, Name: "Fax line <old>", Kind: "fax", PlaceID: 1, AtRest: risk.EncryptionNo, Use: risk.Use{Transmits: true}},
		{ID: 8, Name: "Retired server", Kind: "server", PlaceID: 2, Lifecycle: risk.LifecycleRetired, Records: 100, AtRest: risk.EncryptionNo},
		{ID: 9, Name: "Wi-Fi router", Kind: "network_device", PlaceID: 1},
	}
	for i := range assets {
		assets[i].Normalize()
	}
	flows := []risk.Flow{
		{ID: 10, From: risk.Endpoint{AssetID: 4}, To: risk.Endpoint{AssetID: 3}, Channel: "portal", InTransit: risk.EncryptionYes},
		{ID: 11, From: risk.Endpoint{AssetID: 3}, To: risk.Endpoint{Party: "Quest lab"}, Channel: "hl7", InTransit: risk.EncryptionYes},
		{ID: 12, From: risk.Endpoint{AssetID: 7}, To: risk.Endpoint{Party: "Billing & Co"}, Channel: "email", InTransit: risk.EncryptionNo},
		{ID: 13, From: risk.Endpoint{AssetID: 3}, To: risk.Endpoint{AssetID: 5}, Channel: "media", InTransit: risk.EncryptionUnknown},
		{ID: 14, From: risk.Endpoint{AssetID: 8}, To: risk.Endpoint{AssetID: 3}, Channel: "sync", InTransit: risk.EncryptionNo},
		{ID: 15, From: risk.Endpoint{Party: "quest lab"}, To: risk.Endpoint{AssetID: 3}, Channel: "hl7", InTransit: risk.EncryptionYes},
	}
	return assets, flows
}

type drawn struct {
	root                      svgNode
	boxes                     map[string]svgNode // by the box's name text
	exposedBoxes              []string
	flows, exposedFlows, aggs int
	texts                     string
}

func inspect(t *testing.T, m Map) drawn {
	t.Helper()
	d := drawn{root: parseSVG(t, string(m.SVG)), boxes: map[string]svgNode{}}
	d.root.walk(nil, func(n, _ *svgNode) {
		class := n.attr("class")
		switch {
		case n.XMLName.Local == "g" && (strings.HasPrefix(class, "asset") || strings.HasPrefix(class, "party")):
			var name string
			var box svgNode
			for _, c := range n.Children {
				if c.XMLName.Local == "text" && name == "" {
					name = c.text() // a name on two lines is its text and a <tspan>
					if len(c.Children) > 0 {
						name = c.Text + " " + c.Children[0].Text
					}
				}
				if c.XMLName.Local == "rect" {
					box = c
				}
			}
			d.boxes[name] = box
			if strings.Contains(class, "ephi-exposed") {
				d.exposedBoxes = append(d.exposedBoxes, name)
			}
		case n.XMLName.Local == "g" && strings.HasPrefix(class, "flow"):
			d.flows++
			if strings.Contains(class, "aggregate") {
				d.aggs++
			}
			if strings.Contains(class, "exposed") {
				d.exposedFlows++
				line := n.Children[len(n.Children)-1]
				if line.attr("stroke-dasharray") == "" || !strings.Contains(line.attr("marker-end"), "warn") {
					t.Errorf("exposed flow %s is not dashed with the warning arrow", n.attr("data-flow"))
				}
			}
		}
	})
	d.texts = d.root.text()
	return d
}

func TestFlowMap(t *testing.T) {
	assets, flows := riverside()
	m, err := FlowMap(assets, flows, MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := inspect(t, m)
	if d.root.attr("role") != "img" || !strings.Contains(string(m.SVG), "<title id=") || !strings.Contains(string(m.SVG), "<desc id=") {
		t.Error("the map lacks role, title or desc")
	}
	for _, name := range []string{"Cloud EHR", "Front desk PC", "Old backup drive", "Dr Lee's laptop", "Fax line <old>", "Quest lab", "Billing & Co"} {
		if _, ok := d.boxes[name]; !ok {
			t.Errorf("no box for %q (boxes: %v)", name, keys(d.boxes))
		}
	}
	if _, ok := d.boxes["Retired server"]; ok {
		t.Error("the retired server is drawn")
	}
	if _, ok := d.boxes["Main clinic"]; ok {
		t.Error("a place is drawn as a box, want it as its group's frame")
	}
	for _, g := range []string{"Main clinic", "Server closet (in Main clinic)", "Cloud services", "Outside parties"} {
		if !strings.Contains(d.texts, g) {
			t.Errorf("group %q missing", g)
		}
	}
	// Quest lab is one party however it is spelt.
	if len(m.Flows) != 5 || d.flows != 5 {
		t.Errorf("%d flows listed, %d drawn; want 5 (the retired server's left out)", len(m.Flows), d.flows)
	}
	// The laptop (not known) and the drive (not encrypted) hold ePHI
	// exposed; the fax transmits only, so holds nothing.
	slices.Sort(d.exposedBoxes)
	if want := []string{"Dr Lee's laptop", "Old backup drive"}; !slices.Equal(d.exposedBoxes, want) || !slices.Equal(m.Exposed, want) {
		t.Errorf("exposed boxes %v, Map.Exposed %v, want %v", d.exposedBoxes, m.Exposed, want)
	}
	if !strings.Contains(d.texts, "⚠ ePHI not encrypted") || !strings.Contains(d.texts, "⚠ ePHI encryption not known") {
		t.Error("exposed assets lack their words")
	}
	if d.exposedFlows != 2 || !strings.Contains(d.texts, "⚠ Email: not encrypted") || !strings.Contains(d.texts, "⚠ Media: not known") {
		t.Errorf("%d exposed flows drawn, want 2 with words", d.exposedFlows)
	}
	var lines []string
	for _, f := range m.Flows {
		lines = append(lines, f.String())
	}
	want := []string{
		"Cloud EHR → Old backup drive, by courier or removable media: not known whether encrypted in transit",
		"Cloud EHR → Quest lab, by HL7 or other interface: encrypted in transit",
		"⚠ Fax line <old> → Billing & Co, by email: not encrypted in transit",
	}
	for _, w := range want {
		w = strings.TrimPrefix(w, "⚠ ")
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, w) }) {
			t.Errorf("text alternative lacks %q:\n%s", w, strings.Join(lines, "\n"))
		}
	}
	if !strings.HasPrefix(lines[len(lines)-1], "Quest lab → Cloud EHR") || !strings.HasPrefix(lines[0], "⚠ Cloud EHR → Old backup drive") {
		t.Errorf("flows not sorted by their ends:\n%s", strings.Join(lines, "\n"))
	}

	// The same input in another order gives the same bytes.
	rev := slices.Clone(assets)
	slices.Reverse(rev)
	revF := slices.Clone(flows)
	slices.Reverse(revF)
	again, _ := FlowMap(rev, revF, MapOptions{})
	if again.SVG != m.SVG {
		t.Error("the same assets and flows in another order give another drawing")
	}
}

func TestFlowMapOptions(t *testing.T) {
	assets, flows := riverside()
	for _, c := range []struct {
		name      string
		opt       MapOptions
		want, not []string
		flows     int
	}{
		{"retired", MapOptions{IncludeRetired: true}, []string{"Retired server"}, nil, 6},
		{"hosting", MapOptions{GroupBy: GroupByHosting}, []string{"Cloud EHR", "Front desk PC"}, []string{"Main clinic"}, 5},
		{"only ePHI", MapOptions{OnlyEPHI: true}, []string{"Cloud EHR", "Fax line <old>"}, []string{"Wi-Fi router"}, 5},
		{"only exposed", MapOptions{OnlyExposed: true}, []string{"Old backup drive", "Dr Lee's laptop", "Fax line <old>", "Billing & Co", "Cloud EHR"}, []string{"Front desk PC", "Quest lab", "Wi-Fi router"}, 2},
		{"focus", MapOptions{Focus: 4}, []string{"Front desk PC", "Cloud EHR"}, []string{"Old backup drive", "Quest lab"}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := FlowMap(assets, flows, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			d := inspect(t, m)
			for _, w := range c.want {
				if _, ok := d.boxes[w]; !ok {
					t.Errorf("no box for %q (boxes %v)", w, keys(d.boxes))
				}
			}
			for _, n := range c.not {
				if _, ok := d.boxes[n]; ok {
					t.Errorf("box for %q drawn", n)
				}
			}
			if len(m.Flows) != c.flows || d.flows != c.flows {
				t.Errorf("%d flows listed, %d drawn, want %d", len(m.Flows), d.flows, c.flows)
			}
		})
	}
	if _, err := FlowMap(assets, flows, MapOptions{Focus: 8}); err == nil {
		t.Error("focus on a retired asset: no error")
	}
	if _, err := FlowMap(assets, flows, MapOptions{GroupBy: "colour"}); err == nil {
		t.Error("group by colour: no error")
	}
	m, err := FlowMap(nil, nil, MapOptions{})
	if err != nil || m.Assets != 0 {
		t.Fatalf("empty inventory: %v, %d assets", err, m.Assets)
	}
	parseSVG(t, string(m.SVG))
}

// large is a generated inventory: n assets over places and hostings, and
// f flows between random assets and a few outside parties.
func large(n, f int) ([]risk.Asset, []risk.Flow) {
	r := rand.New(rand.NewPCG(1, 2))
	kinds := risk.Kinds()
	var assets []risk.Asset
	places := 12
	for i := 1; i <= places; i++ {
		assets = append(assets, risk.Asset{ID: int64(i), Name: fmt.Sprintf("Site %02d", i), Kind: "site"})
	}
	for i := places + 1; i <= n; i++ {
		a := risk.Asset{ID: int64(i), Name: fmt.Sprintf("Asset %04d with a long name", i), Kind: kinds[r.IntN(19)],
			Records: r.IntN(3) * 100, AtRest: risk.Encryptions()[r.IntN(4)], Hosting: risk.Hostings()[r.IntN(3)]}
		// Most sit in a handful of places; one place holds a crowd.
		switch p := r.IntN(10); {
		case p < 4:
			a.PlaceID = 1
		case p < 9:
			a.PlaceID = int64(2 + r.IntN(places-1))
		}
		a.Normalize()
		assets = append(assets, a)
	}
	var flows []risk.Flow
	for i := 1; i <= f; i++ {
		fl := risk.Flow{ID: int64(i), Channel: risk.Channels()[r.IntN(12)], InTransit: risk.Encryptions()[r.IntN(4)],
			From: risk.Endpoint{AssetID: int64(places + 1 + r.IntN(n-places))}}
		switch {
		case r.IntN(8) == 0:
			fl.To = risk.Endpoint{Party: "Vendor " + strconv.Itoa(r.IntN(15))}
		default:
			// Any other asset.
			to := places + 1 + r.IntN(n-places-1)
			if int64(to) >= fl.From.AssetID {
				to++
			}
			fl.To = risk.Endpoint{AssetID: int64(to)}
		}
		flows = append(flows, fl)
	}
	return assets, flows
}

func TestFlowMapLarge(t *testing.T) {
	assets, flows := large(500, 1000)
	for _, by := range []GroupBy{GroupByPlace, GroupByHosting} {
		m, err := FlowMap(assets, flows, MapOptions{GroupBy: by})
		if err != nil {
			t.Fatal(err)
		}
		d := inspect(t, m)
		if len(d.boxes) < 488 {
			t.Fatalf("%s: %d boxes, want the 488 assets and the parties", by, len(d.boxes))
		}
		type box struct {
			name       string
			x, y, w, h float64
		}
		var bs []box
		for name, r := range d.boxes {
			bs = append(bs, box{name, r.num(t, "x"), r.num(t, "y"), r.num(t, "width"), r.num(t, "height")})
		}
		vw := d.root.num(t, "width")
		for i, a := range bs {
			if a.x < 0 || a.x+a.w > vw {
				t.Errorf("%s: box %q at x %v..%v outside the map's width %v", by, a.name, a.x, a.x+a.w, vw)
			}
			for _, b := range bs[i+1:] {
				if a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h {
					t.Fatalf("%s: boxes %q and %q overlap", by, a.name, b.name)
				}
			}
		}
		if !m.Aggregated || d.aggs == 0 {
			t.Errorf("%s: 1,000 flows not aggregated between groups", by)
		}
		if len(m.Flows) != 1000 {
			t.Errorf("%s: %d flows listed, want 1000", by, len(m.Flows))
		}
		h := d.root.num(t, "height")
		if size := len(m.SVG); size > 1_500_000 || h > 20_000 {
			t.Errorf("%s: the map is %d bytes and %v high, want at most 1.5 MB and 20,000", by, size, h)
		}
		t.Logf("%s: %d boxes, %d arrows (%d aggregated), %d KB, %v high", by, len(d.boxes), d.flows, d.aggs, len(m.SVG)>>10, h)
	}
}

func keys(m map[string]svgNode) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// BenchmarkFlowMap draws the map of 500 assets and 1,000 flows, and for a
// baseline the 9-asset practice.
func BenchmarkFlowMap(b *testing.B) {
	sa, sf := riverside()
	la, lf := large(500, 1000)
	for _, c := range []struct {
		name string
		a    []risk.Asset
		f    []risk.Flow
	}{{"practice", sa, sf}, {"500x1000", la, lf}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := FlowMap(c.a, c.f, MapOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestFlowMapLayout checks the exported geometry holds what the SVG draws,
// so that a renderer of its own draws the same picture.
func TestFlowMapLayout(t *testing.T) {
	assets, flows := riverside()
	m, err := FlowMap(assets, flows, MapOptions{IncludeRetired: true})
	if err != nil {
		t.Fatal(err)
	}
	d := inspect(t, m)
	l := m.Layout
	if len(l.Groups) != m.Groups || len(l.Arrows) != d.flows {
		t.Fatalf("Layout: %d groups, %d arrows; drawn %d groups, %d arrows", len(l.Groups), len(l.Arrows), m.Groups, d.flows)
	}
	boxes, exposed, exposedArrows := 0, 0, 0
	for _, g := range l.Groups {
		if g.X < 0 || g.X+g.W > l.Width || g.Y+g.H > l.Height {
			t.Errorf("group %q at %v,%v %vx%v is outside the map %vx%v", g.Label, g.X, g.Y, g.W, g.H, l.Width, l.Height)
		}
		for _, b := range g.Boxes {
			boxes++
			if b.X < g.X || b.Y < g.Y || b.X+b.W > g.X+g.W || b.Y+b.H > g.Y+g.H {
				t.Errorf("box %q is outside its group %q", b.Name, g.Label)
			}
			if _, ok := d.boxes[b.Name]; !ok && !strings.Contains(d.texts, b.Name) {
				t.Errorf("box %q is not drawn", b.Name)
			}
			if b.Exposed {
				exposed++
			}
		}
	}
	for _, a := range l.Arrows {
		if a.Exposed {
			exposedArrows++
		}
		if a.Label == "" || a.Title == "" || a.Width <= 0 {
			t.Errorf("arrow %+v lacks a label, title or width", a)
		}
	}
	if boxes != len(d.boxes) || exposed != len(d.exposedBoxes) || exposedArrows != d.exposedFlows {
		t.Errorf("Layout: %d boxes (%d exposed), %d exposed arrows; drawn %d boxes (%d exposed), %d exposed arrows",
			boxes, exposed, exposedArrows, len(d.boxes), len(d.exposedBoxes), d.exposedFlows)
	}
	if got := l.SVG(m.Desc); got != string(m.SVG) {
		t.Error("Layout.SVG draws other bytes than Map.SVG")
	}
}
