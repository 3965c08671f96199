package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func readCSV(t *testing.T, m *Model, register string) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteCSV(&b, m, register); err != nil {
		t.Fatalf("WriteCSV(%s): %v", register, err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("the %s register is not CSV: %v", register, err)
	}
	return rows
}

func TestCSV(t *testing.T) {
	m := sampleModel()
	m.Risks[0].Title = "=cmd|' /C calc'!A0"
	m.Assets[0].Notes = "+1 more"
	m.Flows[0].Description = "@SUM(A1)"
	m.Tasks[0].Description = "-2+3"
	counts := map[string]int{"risks": len(m.Risks), "tasks": len(m.Tasks), "assets": len(m.Assets), "flows": len(m.Flows),
		"decisions": len(m.Decisions), "entries": len(m.Entries), "evidence": len(m.Evidence)}
	if got := len(CSVRegisters()); got != len(counts) {
		t.Fatalf("CSVRegisters() = %v, want %d registers", CSVRegisters(), len(counts))
	}
	cell := func(rows [][]string, col string, line int) string {
		t.Helper()
		for i, h := range rows[0] {
			if h == col {
				return rows[line][i]
			}
		}
		t.Fatalf("no column %q in %v", col, rows[0])
		return ""
	}
	for _, reg := range CSVRegisters() {
		t.Run(reg, func(t *testing.T) {
			rows := readCSV(t, m, reg)
			if len(rows) != counts[reg]+1 {
				t.Fatalf("%d lines, want a header and %d", len(rows), counts[reg])
			}
			for i, r := range rows {
				if len(r) != len(rows[0]) {
					t.Errorf("line %d has %d cells, the header %d", i, len(r), len(rows[0]))
				}
			}
			for _, h := range rows[0] {
				if h == "" || strings.ToLower(h) != h {
					t.Errorf("header %q", h)
				}
			}
		})
	}

	risks := readCSV(t, m, "risks")
	if got := cell(risks, "title", 1); got != "'=cmd|' /C calc'!A0" {
		t.Errorf("risk title = %q, want the formula guarded", got)
	}
	if got := cell(risks, "current_level", 1); got != "High" {
		t.Errorf("current_level = %q, want High", got)
	}
	if got := cell(risks, "current_level", 3); got != "" {
		t.Errorf("an unrated risk's current_level = %q, want empty", got)
	}
	if got := cell(risks, "acceptance_expires", 2); got != "2027-06-30" {
		t.Errorf("acceptance_expires = %q, want 2027-06-30", got)
	}
	if got := cell(readCSV(t, m, "assets"), "notes", 1); got != "'+1 more" {
		t.Errorf("asset notes = %q", got)
	}
	if got := cell(readCSV(t, m, "flows"), "description", 1); got != "'@SUM(A1)" {
		t.Errorf("flow description = %q", got)
	}
	tasks := readCSV(t, m, "tasks")
	if got := cell(tasks, "description", 1); got != "'-2+3" {
		t.Errorf("task description = %q", got)
	}
	if got := cell(tasks, "due", 2); got != "2026-11-01" {
		t.Errorf("due = %q, want 2026-11-01", got)
	}
	dec := readCSV(t, m, "decisions")
	if got := cell(dec, "rationale", 2); got != longJustification {
		t.Errorf("the long rationale came back with %d characters, want %d", len(got), len(longJustification))
	}
	if got := cell(dec, "decided_at", 2); got != "2026-10-03T10:00:00-04:00" {
		t.Errorf("decided_at = %q", got)
	}
	if got := cell(dec, "factors", 2); !strings.Contains(got, "Costs of security measures: A new encrypted drive") || !strings.Contains(got, "\nProbability") {
		t.Errorf("factors = %q", got)
	}
	if got := cell(readCSV(t, m, "evidence"), "sha256", 1); got != m.Evidence[0].SHA256 {
		t.Errorf("sha256 = %q", got)
	}
	if got := cell(readCSV(t, m, "entries"), "citation", 5); got != "164.312(c)(1)" {
		t.Errorf("citation = %q", got)
	}

	var b bytes.Buffer
	if err := WriteCSV(&b, m, "incidents"); err == nil || !strings.Contains(err.Error(), `"incidents"`) {
		t.Errorf("WriteCSV(incidents) = %v, want an error naming the register", err)
	}
	if b.Len() != 0 {
		t.Errorf("WriteCSV of an unknown register wrote %q", b.String())
	}
}

func TestCSVEmpty(t *testing.T) {
	for _, reg := range CSVRegisters() {
		if rows := readCSV(t, &Model{}, reg); len(rows) != 1 {
			t.Errorf("the empty %s register has %d lines, want the header alone", reg, len(rows))
		}
	}
}
