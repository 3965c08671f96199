package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/report"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/web/reportweb"
)

// runReport writes an organisation's Security Rule report, or (report
// binder, report verify-binder) its evidence binder.
func (m *Main) runReport(ctx context.Context, args []string) error {
	if ok, err := m.runBinderCommand(ctx, args, binderPDF); ok {
		return err
	}
	const synopsis = "report --org SLUG --format FORMAT -o FILE [flags]\n       safeguard report binder --org SLUG -o FILE.zip\n       safeguard report verify-binder FILE.zip"
	var keys []string
	for _, f := range report.Formats() {
		keys = append(keys, f.Key)
	}
	desc := "Write the organisation's HIPAA Security Rule report: scope, method, executive\n" +
		"summary, the ePHI inventory and data flows, every assessment entry, the\n" +
		"addressable decision log, the risk register with its heat maps, the plan, the\n" +
		"evidence index and the audit log's latest signed checkpoint. Made from the\n" +
		"assessment and risk analysis chosen, or from the current state (marked DRAFT).\n\n" +
		"Formats: " + strings.Join(keys, ", ") + ". CSV writes one register (--register).\n" +
		"The generation is recorded in the audit log with the file's SHA-256; --keep also\n" +
		"keeps the report in the organisation's reports list (six years).\n\n" +
		"  report binder --org SLUG -o FILE.zip [--passphrase-stdin | --recipient AGE_KEY]\n" +
		"      the report with every evidence file, a manifest and audit proofs\n" +
		"  report verify-binder FILE.zip   checks a binder offline"
	fs := m.newFlagSet("report", synopsis, desc)
	f := addInstanceFlags(fs, defaultDataDir)
	org := fs.String("org", "", "the organisation's slug")
	format := fs.String("format", "", "the format: "+strings.Join(keys, ", ")+" (default: from the file's name)")
	out := fs.String("o", "", "the file to write (- for standard output)")
	assessmentID := fs.Int64("assessment", 0, "the assessment's ID (default: the current one)")
	analysisID := fs.Int64("analysis", 0, "a signed-off risk analysis's ID (default: the register as it stands, marked DRAFT)")
	part := fs.String("part", "full", "full, summary (one page) or asset")
	assetID := fs.Int64("asset", 0, "the asset of --part asset")
	register := fs.String("register", "risks", "csv: the register ("+strings.Join(report.CSVRegisters(), ", ")+")")
	keep := fs.Bool("keep", false, "also keep the report in the organisation's reports list")
	preparedBy := fs.String("prepared-by", "", "who prepared the report, as its cover names them (default: the user running the command)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *org == "" {
		return usagef("report: --org is required")
	}
	if *out == "" {
		return usagef("report: -o FILE is required (- for standard output)")
	}
	if *format == "" {
		*format = formatFromName(*out)
	}
	ft, ok := report.FormatOf(*format)
	if !ok {
		return usagef("report: --format %q: want one of %s", *format, strings.Join(keys, ", "))
	}
	switch report.Part(*part) {
	case report.PartFull, report.PartSummary:
	case report.PartAsset:
		if *assetID <= 0 {
			return usagef("report: --part asset needs --asset ID")
		}
	default:
		return usagef("report: --part %q: want full, summary or asset", *part)
	}
	if ft.Register && !slices.Contains(report.CSVRegisters(), *register) {
		return usagef("report: --register %q: want one of %s", *register, strings.Join(report.CSVRegisters(), ", "))
	}
	return m.withInstance(ctx, f, func(in *instance) error {
		o, err := in.db.Org(ctx, *org)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no organisation %q (see 'safeguard org list')", *org)
		} else if err != nil {
			return err
		}
		cat, err := catalog.Default()
		if err != nil {
			return err
		}
		p := m.newSteps()
		p.step("reading " + o.Name)
		model, err := reportweb.Collect(ctx, in.db, cat, o, reportweb.Choice{AssessmentID: *assessmentID, AnalysisID: *analysisID,
			Part: report.Part(*part), AssetID: *assetID, PreparedBy: cmpOr(*preparedBy, strings.TrimPrefix(cliActor().Name, "cli:"))})
		if err != nil {
			return err
		}
		p.step(fmt.Sprintf("writing %s (%d assets, %d risks)", ft.Key, len(model.Assets), len(model.Risks)))
		sum, size, err := m.writeFileAtomically(*out, p, func(w io.Writer) error { return report.Write(w, model, ft.Key, *register) })
		if err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
		p.done()
		actor := cliActor()
		if *keep {
			data, err := os.ReadFile(*out)
			if err != nil || *out == "-" {
				return fmt.Errorf("--keep needs a file to read back: %v", err)
			}
			rec := store.ReportFile{Name: filepath.Base(*out), Format: ft.Key, Part: *part, Draft: model.Draft, ContentType: ft.ContentType, Data: data}
			if model.Assessment != nil {
				rec.AssessmentID = model.Assessment.ID
			}
			if model.Analysis != nil {
				rec.AnalysisID = model.Analysis.ID
			}
			if _, err := in.db.SaveReport(ctx, actor, in.keys, o.ID, rec); err != nil {
				return err
			}
		} else if err := in.db.AppendAudit(ctx, actor, audit.Entry{OrgID: o.ID, Action: "report.generate", Object: "report",
			Summary: fmt.Sprintf("wrote the %s report to a file (%d bytes, SHA-256 %s)", ft.Key, size, sum)}); err != nil {
			return err
		}
		draft := ""
		if model.Draft {
			draft = ", marked DRAFT"
		}
		fmt.Fprintf(m.Stderr, "wrote the %s report of %s to %s (%d bytes%s)\nSHA-256 %s\n", ft.Key, o.Name, *out, size, draft, sum)
		return nil
	})
}

// binderPDF is the report an evidence binder carries: the whole report as
// PDF, from the current assessment and the last signed-off risk analysis
// (the register as it stands when there is none).
func binderPDF(ctx context.Context, in *instance, o identity.Org) (report.Document, error) {
	cat, err := catalog.Default()
	if err != nil {
		return report.Document{}, err
	}
	c := reportweb.Choice{Part: report.PartFull, PreparedBy: cliActor().Name}
	if last, ok, err := in.db.LastAnalysis(ctx, o.ID); err != nil {
		return report.Document{}, err
	} else if ok && last.Status == risk.AnalysisFinal {
		c.AnalysisID = last.ID
	}
	model, err := reportweb.Collect(ctx, in.db, cat, o, c)
	if err != nil {
		return report.Document{}, err
	}
	var buf bytes.Buffer
	if err := report.WritePDF(&buf, model); err != nil {
		return report.Document{}, err
	}
	return report.NewDocument(buf.Bytes()), nil
}

// formatFromName guesses a report format from a file name.
func formatFromName(name string) string {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".oscal-poam.json"), strings.HasSuffix(lower, "-poam.json"):
		return "oscal-poam"
	case strings.HasSuffix(lower, ".oscal.json"), strings.HasSuffix(lower, ".oscal-ar.json"):
		return "oscal"
	}
	switch strings.TrimPrefix(filepath.Ext(lower), ".") {
	case "pdf":
		return "pdf"
	case "docx":
		return "docx"
	case "xlsx":
		return "xlsx"
	case "html", "htm":
		return "html"
	case "csv":
		return "csv"
	case "json":
		return "json"
	}
	return ""
}

// writeFileAtomically writes path through write, beside it first and then
// renamed, so that a failure leaves nothing half-written; "-" is standard
// output. It returns the SHA-256 and size written.
func (m *Main) writeFileAtomically(path string, p *steps, write func(io.Writer) error) (string, int64, error) {
	h := sha256.New()
	if path == "-" {
		cw := &countingWriter{w: io.MultiWriter(m.Stdout, h), p: p}
		err := write(cw)
		return hex.EncodeToString(h.Sum(nil)), cw.n, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 1<<20)
	cw := &countingWriter{w: io.MultiWriter(bw, h), p: p}
	if err := write(cw); err != nil {
		tmp.Close()
		return "", 0, err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return "", 0, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), cw.n, nil
}

// countingWriter counts bytes for the progress line.
type countingWriter struct {
	w io.Writer
	n int64
	p *steps
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.p.bytes(c.n)
	return n, err
}

// steps shows, on a terminal, which step of a long command is running,
// how many bytes it has written and for how long.
type steps struct {
	w     io.Writer
	on    bool
	name  string
	start time.Time
	last  time.Time
}

func (m *Main) newSteps() *steps {
	return &steps{w: m.Stderr, on: isTerminal(m.Stderr), start: time.Now()}
}

func (s *steps) step(name string) {
	if !s.on {
		return
	}
	if s.name != "" {
		fmt.Fprintln(s.w)
	}
	s.name = name
	fmt.Fprintf(s.w, "\r%s… %s", name, time.Since(s.start).Round(100*time.Millisecond))
}

func (s *steps) bytes(n int64) {
	if !s.on {
		return
	}
	if now := time.Now(); now.Sub(s.last) >= 100*time.Millisecond {
		s.last = now
		fmt.Fprintf(s.w, "\r%s… %.1f MB, %s   ", s.name, float64(n)/(1<<20), time.Since(s.start).Round(100*time.Millisecond))
	}
}

func (s *steps) done() {
	if s.on && s.name != "" {
		fmt.Fprintf(s.w, "\r%s… done in %s   \n", s.name, time.Since(s.start).Round(100*time.Millisecond))
		s.name = ""
	}
}
