package report

import (
	"strings"
	"testing"
)

func TestSampleModelIsWhole(t *testing.T) {
	m := sampleModel()
	if n := len(longJustification); n < 5000 {
		t.Fatalf("len(longJustification) = %d, want at least 5000", n)
	}
	if !strings.HasSuffix(m.Decisions[1].Rationale, "END-OF-RATIONALE") {
		t.Fatal("the sample's long rationale lost its end")
	}
	if got := m.Date(m.Generated); got != "4 Dec 2026" {
		t.Errorf("Date(%v) = %q, want 4 Dec 2026", m.Generated, got)
	}
	if got := m.DateTime(m.Generated); got != "4 Dec 2026 10:30 EST" {
		t.Errorf("DateTime(%v) = %q, want 4 Dec 2026 10:30 EST", m.Generated, got)
	}
}
