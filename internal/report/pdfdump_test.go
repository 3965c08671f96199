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
	if os.Getenv("PDF_BIG") != "" {
		m = bigModel(10000, 20000)
	}
	m.Draft = os.Getenv("PDF_DRAFT") != ""
	os.WriteFile(out, renderPDF(t, m), 0o644)
}
