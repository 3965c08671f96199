package riskweb

import (
	"fmt"

	"github.com/safeguard-health/safeguard/internal/assess"
)

// The measures in place beside what the assessment says of them. A risk's
// current rating leans on the safeguards chosen as in place; the
// organisation's current assessment (the gap analysis, currentSheet) says
// whether each one is. A measure claimed in place that the assessment
// answers not implemented, or does not answer, is flagged so that the
// rating is looked at again — or the assessment corrected.

// measureRow is one chosen measure with the assessment's answer for it.
type measureRow struct {
	Citation string
	Title    string
	// Status is the assessment's answer as a person reads it ("" when the
	// entry is not in the assessment).
	Status string
	// Tone is the pill's colour class: ok, warn, bad or "".
	Tone      string
	Narrative string
	// EntryURL is the assessment's page for the entry ("" when it has
	// none).
	EntryURL string
	// Missing is set when the assessment says the measure is not in place:
	// not implemented, or not answered.
	Missing bool
	// Note explains a row without an answer of its own.
	Note string
}

// measureCheck is the "Measures in place" summary of a risk's page.
type measureCheck struct {
	Rows []measureRow
	// Assessment names the assessment read ("" for none); Draft is set
	// when it is not finalised yet.
	Assessment string
	Draft      bool
	// Missing counts the rows the assessment says are not in place.
	Missing int
}

// measureCheckOf sets the risk's measures beside the current assessment's
// answers for them.
func (h *Handler) measureCheckOf(n *regNames, measures []string) (measureCheck, error) {
	var mc measureCheck
	if len(measures) == 0 {
		return mc, nil
	}
	sheet, err := h.sheetOf(n)
	if err != nil {
		return mc, err
	}
	if sheet != nil {
		mc.Assessment, mc.Draft = sheet.Assessment.Name, sheet.Assessment.Status != assess.StatusFinal
	}
	for _, c := range measures {
		row := measureRow{Citation: c}
		if e, err := n.prof.Entry(c); err == nil {
			row.Title = e.Title
		}
		if sheet != nil {
			row.fill(n.org.Slug, sheet, c)
		}
		if row.Missing {
			mc.Missing++
		}
		mc.Rows = append(mc.Rows, row)
	}
	return mc, nil
}

// fill sets the row from the sheet's answer for citation c.
func (row *measureRow) fill(slug string, sheet *assess.Sheet, c string) {
	e, ok := sheet.Assessment.Entry(c)
	if !ok {
		row.Note = "This safeguard is not part of the assessment."
		return
	}
	row.EntryURL = fmt.Sprintf("/orgs/%s/assessments/%d/entries/%s", slug, sheet.Assessment.ID, c)
	if row.Title == "" {
		row.Title = e.Title
	}
	if !e.Assessable() {
		row.Note = "The assessment answers this standard through its implementation specifications."
		return
	}
	resp, _ := sheet.Response(c)
	row.Status, row.Narrative = resp.Status.Label(), resp.Narrative
	switch resp.Status {
	case assess.Implemented:
		row.Tone = "ok"
	case assess.Partial:
		row.Tone = "warn"
	case assess.NotApplicable:
		row.Tone = ""
	default: // not implemented, or no answer
		row.Tone, row.Missing = "bad", true
	}
}
