package report

import (
	"os"
	"testing"
)

func TestPDFDump(t *testing.T) {
	out := os.Getenv("PDF_OUT")
	if out == "" {
		t.Skip()
	}
	m := sampleModel()
	m.Draft = os.Getenv("PDF_DRAFT") != ""
	m.Risks[0].Title = "Łódź “quoted” ≥ §5 — 日本語 ✓"
	os.WriteFile(out, renderPDF(t, m), 0o644)
}
