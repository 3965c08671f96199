package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A CSV register is one list of the report as a spreadsheet reads it: a
// header row, then one line per item with every field in full. Dates are
// ISO 8601: a calendar date (a due or target date) as 2026-12-04, a moment
// as 2026-12-04T10:30:00-05:00 in the organisation's zone. Lists within a
// cell are separated by "; ", and factors and other multi-part texts by
// line breaks, which CSV quotes.

type csvRegister struct {
	name   string
	header []string
	rows   func(m *Model, add func(...string))
}

// csvRegisters are the registers in the order CSVRegisters lists them.
var csvRegisters = []csvRegister{
	{"risks", []string{"id", "title", "assets", "threat", "threat_source", "vulnerability", "measures", "measures_note",
		"inherent_likelihood", "inherent_impact", "inherent_level", "current_likelihood", "current_impact", "current_level",
		"target_likelihood", "target_impact", "target_level", "likelihood_rationale", "impact_rationale", "owner", "status",
		"strategy", "party", "accepted_by", "acceptance_reason", "acceptance_approved", "acceptance_expires", "acceptance_expired",
		"treatment_note", "identified", "other_scale"},
		func(m *Model, add func(...string)) {
			for _, r := range m.Risks {
				row := []string{csvID(r.ID), r.Title, csvList(r.Assets), r.Threat, r.ThreatSource, r.Vulnerability, csvList(r.Measures), r.MeasuresNote}
				for _, rt := range []Rating{r.Inherent, r.Current, r.Target} {
					row = append(row, csvRating(rt)...)
				}
				row = append(row, r.LikelihoodWhy, r.ImpactWhy, r.Owner, r.Status, r.Strategy, r.Party)
				if a := r.Acceptance; a != nil {
					row = append(row, a.Approver, a.Reason, csvDay(a.ApprovedAt), csvDay(a.Expires), strconv.FormatBool(a.Expired))
				} else {
					row = append(row, "", "", "", "", "")
				}
				add(append(row, r.TreatmentNote, csvDay(r.Identified), r.OtherScale)...)
			}
		}},
	{"tasks", []string{"id", "risk_id", "risk", "title", "description", "owner", "due", "status", "overdue", "done", "entries", "evidence"},
		func(m *Model, add func(...string)) {
			for _, t := range m.Tasks {
				add(csvID(t.ID), csvID(t.RiskID), t.Risk, t.Title, t.Description, t.Owner, csvDay(t.Due), t.Status, strconv.FormatBool(t.Overdue),
					csvDay(t.DoneAt), csvList(t.Entries), csvIDs(t.Evidence))
			}
		}},
	{"assets", []string{"id", "name", "class", "kind", "owner", "place", "location", "ephi", "records", "use", "encrypted_at_rest",
		"hosting", "vendor", "criticality", "lifecycle", "last_reviewed", "notes", "exposed"},
		func(m *Model, add func(...string)) {
			for _, a := range m.Assets {
				add(csvID(a.ID), a.Name, a.Class, a.Kind, a.Owner, a.Place, a.Location, csvList(a.EPHI), strconv.Itoa(a.Records), a.Use, a.AtRest,
					a.Hosting, a.Vendor, a.Criticality, a.Lifecycle, csvDay(a.Reviewed), a.Notes, strconv.FormatBool(a.Exposed))
			}
		}},
	{"flows", []string{"id", "from", "to", "channel", "encrypted_in_transit", "frequency", "volume", "description", "exposed"},
		func(m *Model, add func(...string)) {
			for _, f := range m.Flows {
				add(csvID(f.ID), f.From, f.To, f.Channel, f.InTransit, f.Frequency, f.Volume, f.Description, strconv.FormatBool(f.Exposed))
			}
		}},
	{"decisions", []string{"citation", "title", "outcome", "outcome_label", "alternative", "rationale", "factors", "risk_analysis_ref", "decided_by", "decided_at"},
		func(m *Model, add func(...string)) {
			for _, d := range m.Decisions {
				fs := make([]string, len(d.Factors))
				for i, f := range d.Factors {
					fs[i] = f.Label + ": " + f.Text
				}
				add(d.Citation, d.Title, d.Outcome, d.OutcomeLabel, d.Alternative, d.Rationale, strings.Join(fs, "\n"), d.RiskRef, d.DecidedBy, m.csvTime(d.DecidedAt))
			}
		}},
	{"entries", []string{"citation", "title", "kind", "requirement", "category", "standard", "status", "status_label", "narrative",
		"na_reason", "owner", "target_date", "evidence", "decided"},
		func(m *Model, add func(...string)) {
			for _, e := range m.Entries {
				add(e.Citation, e.Title, e.Kind, e.Requirement, e.Category, e.Standard, e.Status, e.StatusLabel, e.Narrative,
					e.NAReason, e.Owner, csvDay(e.Target), csvIDs(e.Evidence), strconv.FormatBool(e.Decided))
			}
		}},
	{"evidence", []string{"id", "title", "description", "kind", "file_name", "url", "version", "sha256", "size", "added", "added_by", "entries", "audit_seq"},
		func(m *Model, add func(...string)) {
			for _, e := range m.Evidence {
				add(csvID(e.ID), e.Title, e.Description, e.Kind, e.FileName, e.URL, csvOptInt(int64(e.Version)), e.SHA256, csvOptInt(e.Size),
					m.csvTime(e.Added), e.AddedBy, csvList(e.Entries), csvOptInt(e.AuditSeq))
			}
		}},
}

// CSVRegisters names the registers WriteCSV writes.
func CSVRegisters() []string {
	names := make([]string, len(csvRegisters))
	for i, r := range csvRegisters {
		names[i] = r.name
	}
	return names
}

// WriteCSV writes one register of m as CSV: a header row, then one line
// per item, every field in full. A cell that a spreadsheet would read as a
// formula (beginning with =, +, -, @, a tab or a carriage return) is
// prefixed with a single quote.
func WriteCSV(w io.Writer, m *Model, register string) error {
	for _, r := range csvRegisters {
		if r.name != register {
			continue
		}
		cw := csv.NewWriter(w)
		var err error
		write := func(cells ...string) {
			if err != nil {
				return
			}
			for i, c := range cells {
				cells[i] = csvGuard(c)
			}
			err = cw.Write(cells)
		}
		write(slices.Clone(r.header)...)
		r.rows(m, write)
		if err != nil {
			return fmt.Errorf("csv register %s: %w", register, err)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("csv register %s: %w", register, err)
		}
		return nil
	}
	return fmt.Errorf("no csv register %q: choose one of %s", register, strings.Join(CSVRegisters(), ", "))
}

// csvGuard keeps a spreadsheet from running a cell as a formula.
func csvGuard(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvID(n int64) string { return strconv.FormatInt(n, 10) }

func csvOptInt(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func csvIDs(ns []int64) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = csvID(n)
	}
	return strings.Join(s, "; ")
}

func csvList(s []string) string { return strings.Join(s, "; ") }

// csvRating is a rating's likelihood, impact and level, by label; empty
// when not rated.
func csvRating(r Rating) []string {
	if r.Likelihood < 1 || r.Impact < 1 || r.Level < 0 {
		return []string{"", "", ""}
	}
	return []string{r.LikelihoodLabel, r.ImpactLabel, r.LevelLabel}
}

// csvDay is a calendar date, which the model holds as midnight UTC.
func csvDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// csvTime is a moment in the organisation's zone.
func (m *Model) csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(m.zone()).Format(time.RFC3339)
}
