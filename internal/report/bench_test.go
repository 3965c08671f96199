package report

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// htmlLargeModel is a generated large organisation at DESIGN.md's scale
// target: assets with as many flows, risks with a task each.
func htmlLargeModel(assets, risks int) *Model {
	m := sampleModel()
	base := m.Generated
	m.Assets = make([]Asset, 0, assets)
	for i := range assets {
		m.Assets = append(m.Assets, Asset{ID: int64(i + 1), Name: fmt.Sprintf("Asset %05d", i+1), Class: "Device", Kind: "Laptop",
			Owner: "Owner " + fmt.Sprint(i%40), Place: "Site " + fmt.Sprint(i%12), EPHI: []string{"Clinical records"}, Records: i * 3,
			Use: "maintains", AtRest: "Yes", Hosting: "On site", Criticality: "Medium", Lifecycle: "Active", Reviewed: base.AddDate(0, -i%12, 0),
			Notes: strings.Repeat("note ", i%20)})
	}
	m.Flows = make([]Flow, 0, assets)
	for i := range assets {
		m.Flows = append(m.Flows, Flow{ID: int64(i + 1), From: m.Assets[i].Name, To: m.Assets[(i*7+1)%assets].Name, Channel: "SFTP", InTransit: "Yes", Frequency: "Daily"})
	}
	proto := m.Risks
	m.Risks = make([]Risk, 0, risks)
	m.Tasks = make([]Task, 0, risks)
	for i := range risks {
		r := proto[i%len(proto)]
		r.ID = int64(i + 1)
		r.Title = fmt.Sprintf("Risk number %d to %s", i+1, m.Assets[i%assets].Name)
		r.Assets = []string{m.Assets[i%assets].Name}
		m.Risks = append(m.Risks, r)
		m.Tasks = append(m.Tasks, Task{ID: int64(i + 1), RiskID: r.ID, Risk: r.Title, Title: "Treat " + r.Title, Owner: r.Owner,
			Due: base.AddDate(0, 0, i%90-30), Status: "To do", Overdue: i%90 < 30, Entries: []string{"164.312(a)(2)(iv)"}})
	}
	m.Top = []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	m.Generated = base.Add(time.Hour)
	return m
}

// BenchmarkHTML writes the HTML report of a large organisation (10,000
// assets and flows, 20,000 risks and tasks), and reports its size and its
// time against the JSON of the same model written in the same run (the
// cost of the page over a plain encoding of the same data).
func BenchmarkHTML(b *testing.B) {
	m := htmlLargeModel(10000, 20000)
	var size int64
	var htmlTime, jsonTime time.Duration
	b.ReportAllocs()
	for b.Loop() {
		var w countingWriter
		start := time.Now()
		if err := WriteHTML(&w, m); err != nil {
			b.Fatal(err)
		}
		htmlTime += time.Since(start)
		size = int64(w)
		b.StopTimer()
		start = time.Now()
		if err := WriteJSON(io.Discard, m); err != nil {
			b.Fatal(err)
		}
		jsonTime += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(float64(size)/1e6, "MB/report")
	b.ReportMetric(float64(htmlTime)/float64(jsonTime), "x-json")
}

// BenchmarkCSV writes the risk register of the same organisation.
func BenchmarkCSV(b *testing.B) {
	m := htmlLargeModel(10000, 20000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteCSV(io.Discard, m, "risks"); err != nil {
			b.Fatal(err)
		}
	}
}
