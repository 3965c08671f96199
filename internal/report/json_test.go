package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestJSON(t *testing.T) {
	m := sampleModel()
	var b bytes.Buffer
	if err := WriteJSON(&b, m); err != nil {
		t.Fatal(err)
	}
	first := b.String()
	if !strings.HasPrefix(first, "{\n  \"generated\": \"2026-12-04T15:30:00Z\",\n") {
		t.Errorf("WriteJSON is not indented as expected:\n%.200s", first)
	}
	var back Model
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("the JSON does not read back: %v", err)
	}
	if back.Decisions[1].Rationale != longJustification {
		t.Error("the long rationale did not come back whole")
	}
	if len(back.Risks) != len(m.Risks) || len(back.Tasks) != len(m.Tasks) || len(back.Assets) != len(m.Assets) ||
		len(back.Evidence) != len(m.Evidence) || len(back.Entries) != len(m.Entries) || len(back.Flows) != len(m.Flows) {
		t.Errorf("counts differ after a round trip")
	}
	if back.Risks[1].Acceptance == nil || back.Risks[1].Acceptance.Reason != m.Risks[1].Acceptance.Reason {
		t.Errorf("acceptance = %+v", back.Risks[1].Acceptance)
	}
	if !back.Decisions[1].DecidedAt.Equal(m.Decisions[1].DecidedAt) || back.ZoneName != "America/New_York" || back.Audit.Text != m.Audit.Text {
		t.Error("a time, the zone or the checkpoint changed in the round trip")
	}
	if back.Current.Counts[1][2] != 1 || back.Current.Unrated != 1 || back.Scale.Levels[3].Colour != m.Scale.Levels[3].Colour {
		t.Error("the heat map or the scale changed in the round trip")
	}
	// Stable: the same model, and the model read back, write the same bytes.
	for _, mm := range []*Model{sampleModel(), &back} {
		var again bytes.Buffer
		if err := WriteJSON(&again, mm); err != nil {
			t.Fatal(err)
		}
		if again.String() != first {
			t.Error("WriteJSON is not stable")
		}
	}
	if strings.Contains(first, "<svg") {
		t.Error("the JSON holds the map's SVG")
	}
}
