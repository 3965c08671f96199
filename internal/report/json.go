package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes m as indented JSON. The output is stable: the same
// model gives the same bytes (fields in declaration order, lists in the
// model's order, no maps). The data-flow map's SVG and the time zone value
// are left out; the zone's name is kept, and every time carries its offset.
func WriteJSON(w io.Writer, m *Model) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	return nil
}
