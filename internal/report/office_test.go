package report

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/risk"
)

// officeLargeModel is a generated organisation of the size the design
// names (10,000 assets, 20,000 risks), for the XLSX and DOCX benchmarks.
func officeLargeModel(assets, risks int) *Model {
	m := sampleModel()
	sc := risk.ThreeByThree()
	rating := func(l, i int) Rating {
		lv := sc.Matrix[l-1][i-1]
		return Rating{Likelihood: l, Impact: i, LikelihoodLabel: sc.Likelihood[l-1].Label, ImpactLabel: sc.Impact[i-1].Label,
			Level: lv, LevelLabel: sc.Levels[lv].Label, Colour: sc.Levels[lv].Colour}
	}
	day := m.Generated.Add(-400 * 24 * time.Hour)
	m.Assets = make([]Asset, assets)
	for i := range m.Assets {
		m.Assets[i] = Asset{ID: int64(i + 1), Name: fmt.Sprintf("Workstation %05d", i+1), Class: "Device", Kind: "Laptop",
			Owner: "Sam Okafor", Place: "Main Street clinic", EPHI: []string{"Clinical records", "Demographics"}, Records: 100 + i,
			Use: "creates, maintains", AtRest: "Yes", Hosting: "On site", Criticality: "Medium", Lifecycle: "Active",
			Reviewed: day.Add(time.Duration(i) * time.Hour), Notes: "Encrypted with the operating system's full-disk encryption."}
	}
	m.Flows = make([]Flow, assets)
	for i := range m.Flows {
		m.Flows[i] = Flow{ID: int64(i + 1), From: m.Assets[i].Name, To: "Cloud EHR", Channel: "HTTPS", InTransit: "Yes",
			Frequency: "Continuous", Description: "Clinicians read and write the record through the browser."}
	}
	m.MapText = nil
	for i := range 50 {
		m.MapText = append(m.MapText, fmt.Sprintf("Workstation %05d sends ePHI to the Cloud EHR over HTTPS, encrypted.", i+1))
	}
	m.Risks = make([]Risk, risks)
	m.Inherent = HeatMap{Counts: [][]int{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}}}
	m.Current = HeatMap{Counts: [][]int{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}}}
	for i := range m.Risks {
		l, im := i%3+1, i/3%3+1
		r := Risk{ID: int64(i + 1), Title: fmt.Sprintf("Theft of workstation %05d", i%assets+1),
			Assets: []string{m.Assets[i%assets].Name}, Threat: "Theft or loss of a device", ThreatSource: "Human, intentional",
			Vulnerability: "Device left unattended", Measures: []string{"§164.310(d)(1) Device and media controls", "§164.312(a)(2)(iv) Encryption and decryption"},
			MeasuresNote: "Full-disk encryption, cable locks in the clinic.", Inherent: rating(3, im), Current: rating(l, im), Target: rating(1, im),
			LikelihoodWhy: "Laptops travel between the clinics and staff homes.", ImpactWhy: "The disk is encrypted; the record is in the cloud.",
			Owner: "Sam Okafor", Status: "Open", Strategy: "Mitigate", Identified: day.Add(time.Duration(i) * time.Minute)}
		m.Inherent.Counts[2][im-1]++
		m.Current.Counts[l-1][im-1]++
		m.Risks[i] = r
	}
	m.Tasks = make([]Task, risks)
	for i := range m.Tasks {
		r := m.Risks[i]
		m.Tasks[i] = Task{ID: int64(i + 1), RiskID: r.ID, Risk: r.Title, Title: fmt.Sprintf("Fit a cable lock to workstation %05d", i%assets+1),
			Owner: "Sam Okafor", Due: day.Add(time.Duration(i) * time.Hour), Status: "To do", Entries: []string{"164.310(d)(1)"}, Evidence: []int64{7}}
	}
	m.ByLevel = nil
	for _, lv := range sc.Levels {
		m.ByLevel = append(m.ByLevel, LevelCount{Label: lv.Label, Colour: lv.Colour})
	}
	for _, r := range m.Risks {
		m.ByLevel[r.Current.Level].Count++
	}
	m.Top = []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	return m
}

// longText is n characters of readable text whose end a test looks for.
func longText(n int) string {
	var b strings.Builder
	for b.Len() < n-10 {
		b.WriteString("Every word of the narrative is kept. ")
	}
	s := b.String()[:n-10]
	return s + "END-OF-IT!"
}

// officeBaseline is what the office formats are measured against: the
// same model as JSON, deflated into a zip archive. It returns the time of
// one run, the best of three.
func officeBaseline(b *testing.B, m *Model) time.Duration {
	b.Helper()
	best := time.Duration(1<<63 - 1)
	for range 3 {
		start := time.Now()
		z := zip.NewWriter(io.Discard)
		f, err := z.Create("model.json")
		if err != nil {
			b.Fatal(err)
		}
		if err := json.NewEncoder(f).Encode(m); err != nil {
			b.Fatal(err)
		}
		if err := z.Close(); err != nil {
			b.Fatal(err)
		}
		best = min(best, time.Since(start))
	}
	return best
}

// reportRatio reports the benchmark's time per run against the baseline.
func reportRatio(b *testing.B, base time.Duration) {
	b.Helper()
	if b.N > 0 && base > 0 {
		b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(base), "x-json-zip")
		b.ReportMetric(float64(base.Nanoseconds()), "baseline-ns")
	}
}
