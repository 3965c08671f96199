package report

import (
	"fmt"
	"io"
	"slices"
)

// Format is a file format a report is written in.
type Format struct {
	Key         string // pdf, html, docx, xlsx, csv, json, oscal, oscal-poam
	Label       string
	Extension   string
	ContentType string
	// Register is true for CSV, which writes one register at a time.
	Register bool
}

var formats = []Format{
	{Key: "pdf", Label: "PDF (to print or send)", Extension: ".pdf", ContentType: "application/pdf"},
	{Key: "docx", Label: "Word document (to edit)", Extension: ".docx", ContentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	{Key: "xlsx", Label: "Excel risk workbook", Extension: ".xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	{Key: "html", Label: "Web page (HTML, self-contained)", Extension: ".html", ContentType: "text/html; charset=utf-8"},
	{Key: "csv", Label: "CSV, one register", Extension: ".csv", ContentType: "text/csv; charset=utf-8", Register: true},
	{Key: "json", Label: "JSON (the whole report's data)", Extension: ".json", ContentType: "application/json"},
	{Key: "oscal", Label: "OSCAL assessment results", Extension: ".oscal-ar.json", ContentType: "application/json"},
	{Key: "oscal-poam", Label: "OSCAL plan of action and milestones", Extension: ".oscal-poam.json", ContentType: "application/json"},
}

// Formats returns the formats a report can be written in, the recommended
// one first.
func Formats() []Format { return slices.Clone(formats) }

// FormatOf returns the format named key.
func FormatOf(key string) (Format, bool) {
	i := slices.IndexFunc(formats, func(f Format) bool { return f.Key == key })
	if i < 0 {
		return Format{}, false
	}
	return formats[i], true
}

// Write writes m to w in format key; register names the register of a CSV.
func Write(w io.Writer, m *Model, key, register string) error {
	switch key {
	case "pdf":
		return WritePDF(w, m)
	case "docx":
		return WriteDOCX(w, m)
	case "xlsx":
		return WriteWorkbook(w, m)
	case "html":
		return WriteHTML(w, m)
	case "csv":
		return WriteCSV(w, m, register)
	case "json":
		return WriteJSON(w, m)
	case "oscal":
		return WriteAssessmentResults(w, m)
	case "oscal-poam":
		return WritePOAM(w, m)
	}
	return fmt.Errorf("unknown report format %q", key)
}
