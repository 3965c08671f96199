package draw

import (
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/risk"
)

// demoPractice is the demo's practice as the map sees it: two clinics with
// rooms, cloud and business-associate systems, outside parties, and the
// flows between them — long names, crowded groups and arrows that cross.
func demoPractice() ([]risk.Asset, []risk.Flow) {
	type a struct {
		name, kind, place string
		hosting           risk.Hosting
		atRest            risk.Encryption
	}
	list := []a{
		{"Main Street clinic", "site", "", "", ""},
		{"Oak Avenue clinic", "site", "", "", ""},
		{"Server closet", "room", "Main Street clinic", "", ""},
		{"Manager's office", "room", "Main Street clinic", "", ""},
		{"Cloud EHR (ClearChart)", "ehr", "", risk.HostingCloud, risk.EncryptionYes},
		{"Practice management and billing (Harbor)", "practice_management", "", risk.HostingBusinessAssociate, risk.EncryptionYes},
		{"Patient portal", "portal", "", risk.HostingCloud, risk.EncryptionYes},
		{"Lab interface (HL7 to Valley Labs)", "interface", "", risk.HostingCloud, risk.EncryptionYes},
		{"Fax-to-email service", "fax", "", risk.HostingBusinessAssociate, risk.EncryptionYes},
		{"Email (Microsoft 365)", "email", "", risk.HostingCloud, risk.EncryptionYes},
		{"Shared drive (file server)", "file_share", "Server closet", "", risk.EncryptionYes},
		{"External backup drive (2016)", "removable_media", "Manager's office", "", risk.EncryptionNo},
		{"Firewall and Wi-Fi (Main Street)", "network_device", "Server closet", "", risk.EncryptionYes},
		{"Firewall and Wi-Fi (Oak Avenue)", "network_device", "Oak Avenue clinic", "", risk.EncryptionYes},
		{"Front desk PC (Main Street)", "workstation", "Main Street clinic", "", risk.EncryptionYes},
		{"Front desk PC (Oak Avenue)", "workstation", "Oak Avenue clinic", "", risk.EncryptionYes},
		{"Exam room PCs (Main Street, 4)", "workstation", "Main Street clinic", "", risk.EncryptionYes},
		{"Exam room PCs (Oak Avenue, 3)", "workstation", "Oak Avenue clinic", "", risk.EncryptionYes},
		{"Dr Alvarez's laptop", "laptop", "Main Street clinic", "", risk.EncryptionYes},
		{"Nurse practitioner's laptop", "laptop", "Oak Avenue clinic", "", risk.EncryptionYes},
		{"Billing laptop", "laptop", "Main Street clinic", "", risk.EncryptionYes},
		{"Practice phones (6)", "phone", "", "", risk.EncryptionYes},
		{"Tablet for patient check-in", "tablet", "Oak Avenue clinic", "", risk.EncryptionYes},
		{"Tablet for patient check-in (Main Street)", "tablet", "Main Street clinic", "", risk.EncryptionYes},
		{"Multifunction printer (Main Street)", "printer", "Main Street clinic", "", risk.EncryptionUnknown},
		{"Multifunction printer (Oak Avenue)", "printer", "Oak Avenue clinic", "", risk.EncryptionUnknown},
		{"ECG machine", "medical_device", "Main Street clinic", "", risk.EncryptionUnknown},
		{"Records room (paper, scanned since 2019)", "room", "Oak Avenue clinic", "", ""},
		{"Telehealth video service", "cloud_service", "", risk.HostingCloud, risk.EncryptionYes},
	}
	ids := map[string]int64{}
	var assets []risk.Asset
	for i, x := range list {
		ids[x.name] = int64(i + 1)
		as := risk.Asset{ID: int64(i + 1), Name: x.name, Kind: risk.Kind(x.kind), Hosting: x.hosting, AtRest: x.atRest, PlaceID: ids[x.place]}
		if x.atRest != "" && x.kind != "room" && x.kind != "site" {
			as.Records, as.Use = 100, risk.Use{Maintains: true}
		}
		as.Normalize()
		assets = append(assets, as)
	}
	end := func(s string) risk.Endpoint {
		if id, ok := ids[s]; ok {
			return risk.Endpoint{AssetID: id}
		}
		return risk.Endpoint{Party: s}
	}
	var flows []risk.Flow
	for i, f := range []struct {
		from, to, channel string
		transit           risk.Encryption
	}{
		{"Cloud EHR (ClearChart)", "Valley Labs", "hl7", risk.EncryptionYes},
		{"Valley Labs", "Lab interface (HL7 to Valley Labs)", "hl7", risk.EncryptionYes},
		{"Lab interface (HL7 to Valley Labs)", "Cloud EHR (ClearChart)", "api", risk.EncryptionYes},
		{"Cloud EHR (ClearChart)", "Practice management and billing (Harbor)", "sftp", risk.EncryptionYes},
		{"Practice management and billing (Harbor)", "Insurers and clearinghouse", "api", risk.EncryptionYes},
		{"Cloud EHR (ClearChart)", "Patient portal", "api", risk.EncryptionYes},
		{"Patient portal", "Patients", "portal", risk.EncryptionYes},
		{"Referring practices", "Fax-to-email service", "fax", risk.EncryptionPartial},
		{"Fax-to-email service", "Email (Microsoft 365)", "email", risk.EncryptionYes},
		{"Shared drive (file server)", "External backup drive (2016)", "sync", risk.EncryptionYes},
		{"ECG machine", "Cloud EHR (ClearChart)", "lan", risk.EncryptionUnknown},
	} {
		flows = append(flows, risk.Flow{ID: int64(100 + i), From: end(f.from), To: end(f.to), Channel: risk.Channel(f.channel), InTransit: f.transit})
	}
	return assets, flows
}

// labelClashes lists the labels of m whose ground overlaps a box, or
// another label.
func labelClashes(m Map) []string {
	var boxes []MapBox
	for _, g := range m.Layout.Groups {
		boxes = append(boxes, g.Boxes...)
	}
	over := func(x1, y1, w1, h1, x2, y2, w2, h2 float64) bool {
		return x1 < x2+w2 && x2 < x1+w1 && y1 < y2+h2 && y2 < y1+h1
	}
	var out []string
	as := m.Layout.Arrows
	for i, a := range as {
		if a.Label == "" {
			continue
		}
		lx, ly := a.LabelX-a.LabelW/2, a.LabelY-a.LabelH/2
		for _, b := range boxes {
			if over(lx, ly, a.LabelW, a.LabelH, b.X, b.Y, b.W, b.H) {
				out = append(out, a.Label+" over the box "+b.Name)
			}
		}
		for _, o := range as[i+1:] {
			if o.Label != "" && over(lx, ly, a.LabelW, a.LabelH, o.LabelX-o.LabelW/2, o.LabelY-o.LabelH/2, o.LabelW, o.LabelH) {
				out = append(out, a.Label+" over the label "+o.Label)
			}
		}
	}
	return out
}

// TestFlowMapLabelsClearOfBoxes draws the demo-sized practice, grouped
// both ways and on a large inventory, and checks that no arrow's label
// lies over a box or another label, that labels dropped for want of room
// are few, and that every label drawn is where the layout says.
func TestFlowMapLabelsClearOfBoxes(t *testing.T) {
	da, df := demoPractice()
	la, lf := large(500, 1000)
	for _, c := range []struct {
		name        string
		assets      []risk.Asset
		flows       []risk.Flow
		opt         MapOptions
		minLabelled float64 // the share of arrows that keep their label
	}{
		{"demo by place", da, df, MapOptions{}, 0.9},
		{"demo by hosting", da, df, MapOptions{GroupBy: GroupByHosting}, 0.9},
		{"demo exposed only", da, df, MapOptions{OnlyExposed: true}, 1},
		{"riverside", nil, nil, MapOptions{}, 1},
		{"500 assets", la, lf, MapOptions{}, 0.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.assets == nil {
				c.assets, c.flows = riverside()
			}
			m, err := FlowMap(c.assets, c.flows, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if clash := labelClashes(m); len(clash) > 0 {
				t.Errorf("%d labels overlap:\n%s", len(clash), strings.Join(clash, "\n"))
			}
			labelled := 0
			for _, a := range m.Layout.Arrows {
				if a.Label == "" {
					continue
				}
				labelled++
				if !strings.Contains(string(m.SVG), `x="`+f1(a.LabelX)+`" y="`+f1(a.LabelY+4)+`" text-anchor="middle" font-size="11"`) {
					t.Errorf("label %q is not drawn at %v, %v", a.Label, a.LabelX, a.LabelY)
				}
			}
			if n := len(m.Layout.Arrows); float64(labelled) < c.minLabelled*float64(n) {
				t.Errorf("%d of %d arrows keep their label, want at least %.0f%%", labelled, n, 100*c.minLabelled)
			}
			if got := strings.Count(string(m.SVG), `class="flow-label"`); got != labelled {
				t.Errorf("%d labels drawn, the layout has %d", got, labelled)
			}
		})
	}
}

// TestFlowMapBoxNames checks that a long name takes two lines before it is
// shortened, and that the map names the demo's boxes in full.
func TestFlowMapBoxNames(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"Cloud EHR", []string{"Cloud EHR"}},
		{"Cloud EHR (ClearChart) for the clinics", []string{"Cloud EHR (ClearChart)", "for the clinics"}},
		{"Cloud EHR (ClearChartPlusSuite)", []string{"Cloud EHR", "(ClearChartPlusSuite)"}},
		{"Tablet for patient check-in", []string{"Tablet for patient", "check-in"}},
		{"Practice management and billing (Harbor)", []string{"Practice management", "and billing (Harbor)"}},
		{"Records room (paper, scanned since 2019) and the basement archive", []string{"Records room (paper,", "scanned since 2019)…"}},
		{"Averyveryverylongwordwithoutanyspacesinit", []string{"Averyveryverylongwordw", "ithoutanyspacesinit"}},
	} {
		got := wrapW(c.in, boxW-16, 2)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrapW(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	assets, flows := demoPractice()
	m, err := FlowMap(assets, flows, MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := inspect(t, m)
	for _, name := range []string{"Practice management and billing (Harbor)", "Multifunction printer (Main Street)", "Lab interface (HL7 to Valley Labs)", "Email (Microsoft 365)"} {
		if _, ok := d.boxes[name]; !ok {
			t.Errorf("no box named %q in full (boxes %v)", name, keys(d.boxes))
		}
	}
}
