package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/store"
)

// runAssess lists, shows and exports an organisation's compliance
// assessments. It reads only; assessments are edited in the web UI or API.
func (m *Main) runAssess(ctx context.Context, args []string) error {
	const synopsis = "assess list|show|export --org SLUG [--id N] [--format table|json|csv]"
	const desc = "List an organisation's compliance assessments, show one (the latest unless --id\n" +
		"is given) with its posture and what blocks sign-off, or export one in full:\n" +
		"every entry with its response, addressable decision and category review.\n" +
		"An assessment is a gap analysis of the rule's standards and specifications,\n" +
		"not the risk analysis of §164.308(a)(1)(ii)(A)."
	sub, rest := subcommand(args)
	fs := m.newFlagSet("assess "+sub, synopsis, desc)
	f := addInstanceFlags(fs, defaultDataDir)
	org := fs.String("org", "", "the organisation's slug")
	id := fs.Int64("id", 0, "the assessment's id (default: the latest)")
	format := fs.String("format", "", "output format: table, json or csv (export: json or csv, default json)")
	if err := m.parseFlags(fs, rest); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	switch sub {
	case "list", "show":
		if *format == "" {
			*format = "table"
		}
		if err := checkFormat(*format, "table", "json", "csv"); err != nil {
			return err
		}
	case "export":
		if *format == "" {
			*format = "json"
		}
		if err := checkFormat(*format, "json", "csv"); err != nil {
			return err
		}
	default:
		return usagef("assess: say list, show or export (run 'safeguard assess --help')")
	}
	if *org == "" {
		return usagef("assess %s: --org is required", sub)
	}
	return m.withInstance(ctx, f, func(in *instance) error {
		o, err := in.db.Org(ctx, *org)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no organisation %q (see 'safeguard org list')", *org)
		} else if err != nil {
			return err
		}
		list, err := in.db.Assessments(ctx, o.ID)
		if err != nil {
			return err
		}
		if sub == "list" {
			return writeAssessments(m.Stdout, *format, list)
		}
		if *id == 0 {
			if len(list) == 0 {
				return fmt.Errorf("organisation %q has no assessments", *org)
			}
			*id = list[0].ID
		}
		sh, err := in.db.AssessmentSheet(ctx, o.ID, *id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("organisation %q has no assessment %d (see 'safeguard assess list --org %s')", *org, *id, *org)
		} else if err != nil {
			return err
		}
		now := in.db.Now().UTC()
		switch {
		case *format == "json":
			return writeJSON(m.Stdout, exportOf(sh, now))
		case *format == "csv":
			return writeSheetCSV(m.Stdout, sh)
		}
		return writeSheetTable(m.Stdout, sh, now)
	})
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

func writeAssessments(w io.Writer, format string, list []assess.Assessment) error {
	switch format {
	case "json":
		out := []assess.AssessmentJSON{}
		for _, a := range list {
			out = append(out, a.JSON())
		}
		return writeJSON(w, out)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"id", "name", "status", "catalog_profile", "catalog_version", "started_at", "finalised_at", "finalised_by", "in_effect", "retain_until"})
		for _, a := range list {
			j := a.JSON()
			cw.Write([]string{strconv.FormatInt(a.ID, 10), a.Name, string(a.Status), a.CatalogProfile, a.CatalogVersion,
				day(a.StartedAt), day(a.FinalisedAt), a.FinalisedBy, strconv.FormatBool(j.InEffect), day(j.RetainUntil)})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tCATALOGUE\tSTARTED\tFINALISED\tKEPT")
	for _, a := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s %s\t%s\t%s\t%s\n", a.ID, a.Name, a.Status, a.CatalogProfile, a.CatalogVersion,
			day(a.StartedAt), day(a.FinalisedAt), a.JSON().RetentionLabel())
	}
	return tw.Flush()
}

// assessmentExport is one assessment in full, as `assess show|export
// --format json` prints it.
type assessmentExport struct {
	assess.Sheet
	Blockers []assess.Blocker `json:"blockers"`
	Posture  assess.Posture   `json:"posture"`
}

func exportOf(sh assess.Sheet, now time.Time) assessmentExport {
	return assessmentExport{Sheet: sh, Blockers: assess.Blockers(sh.Assessment, sh.Responses, sh.Decisions, sh.Reviews), Posture: assess.PostureOf(sh, now)}
}

func writeSheetCSV(w io.Writer, sh assess.Sheet) error {
	cw := csv.NewWriter(w)
	head := []string{"citation", "title", "kind", "requirement", "category", "status", "na_reason", "narrative", "owner", "target_date",
		"outcome", "alternative", "rationale"}
	for _, f := range catalog.Factors() {
		head = append(head, "factor_"+string(f))
	}
	head = append(head, "risk_analysis_ref", "decided_by", "decided_at", "reviewed_by", "reviewed_at")
	cw.Write(head)
	reviews := map[catalog.Category]assess.CategoryReview{}
	for _, r := range sh.Reviews {
		reviews[r.Category] = r
	}
	for _, e := range sh.Assessment.Entries {
		r, _ := sh.Response(e.Citation)
		d, _ := sh.Decision(e.Citation)
		rev := reviews[e.Category]
		row := []string{e.Citation, e.Title, string(e.Kind), string(e.Requirement), string(e.Category), string(r.Status), r.NAReason,
			r.Narrative, r.Owner, day(r.TargetDate), string(d.Outcome), d.Alternative, d.Rationale}
		for _, f := range catalog.Factors() {
			row = append(row, d.Factors[f])
		}
		row = append(row, d.RiskAnalysisRef, d.DecidedBy, day(d.DecidedAt), rev.ReviewedBy, day(rev.ReviewedAt))
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func writeSheetTable(w io.Writer, sh assess.Sheet, now time.Time) error {
	a := sh.Assessment
	fmt.Fprintf(w, "%s (id %d): %s\n", a.Name, a.ID, a.Status)
	fmt.Fprintf(w, "Catalogue: %s, version %s\n", a.CatalogProfile, a.CatalogVersion)
	fmt.Fprintf(w, "Started %s", day(a.StartedAt))
	if !a.DueAt.IsZero() {
		fmt.Fprintf(w, ", due %s", day(a.DueAt))
	}
	if a.Status == assess.StatusFinal {
		fmt.Fprintf(w, "; signed off %s by %s; kept %s", day(a.FinalisedAt), a.FinalisedBy, a.JSON().RetentionLabel())
	}
	fmt.Fprintln(w)

	p := assess.PostureOf(sh, now)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CATEGORY\tENTRIES\tIMPLEMENTED\tPARTIAL\tMISSING\tN/A\tUNANSWERED\tUNDECIDED\tOVERDUE")
	for _, c := range append(p.Categories, assess.CategoryPosture{Category: "overall", Counts: p.Overall}) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", c.Category, c.Entries, c.Implemented, c.Partial, c.NotImplemented,
			c.NotApplicable, c.Unanswered, c.Undecided, c.Overdue)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CITATION\tTITLE\tREQUIREMENT\tSTATUS\tDECISION")
	for _, e := range a.Entries {
		if !e.Assessable() {
			continue
		}
		r, _ := sh.Response(e.Citation)
		d, _ := sh.Decision(e.Citation)
		status := string(r.Status)
		if status == "" {
			status = "-"
		}
		decision := string(d.Outcome)
		if e.Requirement == catalog.Addressable && decision == "" {
			decision = "MISSING"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Citation, e.Title, e.Requirement, status, decision)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if a.Status == assess.StatusFinal {
		return nil
	}
	b := assess.Blockers(a, sh.Responses, sh.Decisions, sh.Reviews)
	fmt.Fprintln(w)
	if len(b) == 0 {
		fmt.Fprintln(w, "Nothing blocks sign-off.")
		return nil
	}
	fmt.Fprintf(w, "Sign-off is blocked by %d items:\n", len(b))
	for _, x := range b {
		fmt.Fprintf(w, "  - %s\n", strings.TrimSpace(x.Reason))
	}
	return nil
}
