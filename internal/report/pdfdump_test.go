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
	switch os.Getenv("PDF_KIND") {
	case "big":
		m = bigModel(10000, 20000)
	case "asset":
		m.Part = PartAsset
		m.Assets = m.Assets[1:]
	case "empty":
		m = &Model{}
	}
	m.Draft = os.Getenv("PDF_DRAFT") != ""
	os.WriteFile(out, renderPDF(t, m), 0o644)
}
