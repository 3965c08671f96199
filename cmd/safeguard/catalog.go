package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/safeguard-health/safeguard/internal/catalog"
)

// catalogSubcommands are the subcommands of "safeguard catalog", in the order
// help lists them.
var catalogSubcommands = []struct{ name, synopsis, summary string }{
	{"list", "catalog list [--profile P] [--category C] [--requirement R] [--format table|json|csv]", "list the standards and implementation specifications"},
	{"show", "catalog show CITATION [--profile P] [--format text|json]", "show everything about one entry"},
	{"diff", "catalog diff PROFILE_A PROFILE_B [--format table|json]", "show what changes between two versions of the rule"},
	{"faq", "catalog faq [QUERY] [--format text|table|json]", "list or search the Security Rule FAQ"},
	{"search", "catalog search QUERY [--profile P] [--format table|json]", "search titles, guidance and the FAQ"},
	{"export", "catalog export --format oscal [--profile P] [-o FILE]", "write the catalogue as an OSCAL 1.1.3 catalog"},
	{"import", "catalog import FILE [--profile P] [--format table|json]", "report how an OSCAL catalog maps onto the catalogue"},
}

func (m *Main) runCatalog(ctx context.Context, args []string) error {
	names := make([]string, len(catalogSubcommands))
	for i, s := range catalogSubcommands {
		names[i] = s.name
	}
	if len(args) == 0 {
		return usagef("catalog: missing subcommand (want one of %s; run 'safeguard catalog --help')", strings.Join(names, ", "))
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		m.printCatalogUsage(m.Stdout)
		return flag.ErrHelp
	}
	cat, err := catalog.Default()
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	c := catalogCmd{m: m, cat: cat}
	switch args[0] {
	case "list":
		return c.list(args[1:])
	case "show":
		return c.show(args[1:])
	case "diff":
		return c.diff(args[1:])
	case "faq":
		return c.faq(args[1:])
	case "search":
		return c.search(args[1:])
	case "export":
		return c.export(args[1:])
	case "import":
		return c.importOSCAL(args[1:])
	}
	return usagef("catalog: unknown subcommand %q (want one of %s)", args[0], strings.Join(names, ", "))
}

func (m *Main) printCatalogUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: safeguard catalog <subcommand> [flags]")
	fmt.Fprintln(w, "\nBrowse the HIPAA Security Rule catalogue: every standard and implementation")
	fmt.Fprintln(w, "specification of 45 CFR 164.308-164.316 with guidance, questions, crosswalks,")
	fmt.Fprintln(w, "the Security Rule FAQ, and the January 2025 proposed rule (profile nprm-2025).")
	fmt.Fprintln(w, "\nSubcommands:")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, s := range catalogSubcommands {
		fmt.Fprintf(tw, "  %s\t%s\n", s.name, s.summary)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRun 'safeguard catalog <subcommand> --help' for its flags.")
}

// catalogCmd runs one catalog subcommand against the loaded catalogue.
type catalogCmd struct {
	m   *Main
	cat *catalog.Catalog
}

// catalogChoice is a flag whose value must be one of a fixed set.
type catalogChoice struct {
	value   string
	allowed []string
}

func (c *catalogChoice) String() string {
	if c == nil {
		return ""
	}
	return c.value
}

func (c *catalogChoice) Set(s string) error {
	for _, a := range c.allowed {
		if s == a {
			c.value = s
			return nil
		}
	}
	return fmt.Errorf("want one of %s", strings.Join(c.allowed, ", "))
}

func (c catalogCmd) choiceFlag(fs *flag.FlagSet, name, def, usage string, allowed ...string) *catalogChoice {
	ch := &catalogChoice{value: def, allowed: allowed}
	fs.Var(ch, name, fmt.Sprintf("%s: %s", usage, strings.Join(allowed, ", ")))
	return ch
}

func (c catalogCmd) profileFlag(fs *flag.FlagSet) *catalogChoice {
	return c.choiceFlag(fs, "profile", catalog.ProfileCurrent, "version of the rule", c.cat.ProfileIDs()...)
}

func (c catalogCmd) flagSet(name string) *flag.FlagSet {
	synopsis, summary := "catalog "+name, name
	for _, s := range catalogSubcommands {
		if s.name == name {
			synopsis, summary = s.synopsis, s.summary
		}
	}
	return c.m.newFlagSet("catalog "+name, synopsis, strings.ToUpper(summary[:1])+summary[1:]+".")
}

// parse parses flags that may come before, between or after positional
// arguments, and returns the positional arguments.
func (c catalogCmd) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	rest := args
	for {
		if err := c.m.parseFlags(fs, rest); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		if used := len(rest) - fs.NArg(); used > 0 && rest[used-1] == "--" {
			return append(pos, fs.Args()...), nil
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
}

func (c catalogCmd) profile(ch *catalogChoice) (*catalog.Profile, error) {
	p, err := c.cat.Profile(ch.value)
	if err != nil {
		return nil, usagef("catalog: %v", err)
	}
	return p, nil
}

func catalogTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 8, 2, ' ', 0) }

func catalogJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// catalogProposedBanner warns that a profile is not law.
func catalogProposedBanner(w io.Writer, p *catalog.Profile) {
	if p.Proposed() {
		fmt.Fprintf(w, "PROPOSED RULE, NOT IN FORCE: profile %s is %s (%s).\n\n", p.ID, p.Title, p.Source)
	}
}

func catalogRequirement(r catalog.Requirement) string {
	if r == "" {
		return "-"
	}
	return string(r)
}

func (c catalogCmd) list(args []string) error {
	fs := c.flagSet("list")
	prof := c.profileFlag(fs)
	var cats []string
	for _, ci := range c.cat.Categories() {
		cats = append(cats, string(ci.ID))
	}
	category := c.choiceFlag(fs, "category", "", "only this safeguard category", cats...)
	requirement := c.choiceFlag(fs, "requirement", "", "only entries with this requirement", "required", "addressable")
	format := c.choiceFlag(fs, "format", "table", "output format", "table", "json", "csv")
	if err := c.m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	p, err := c.profile(prof)
	if err != nil {
		return err
	}
	rows := []catalog.Summary{}
	for _, e := range p.Entries() {
		if category.value != "" && string(e.Category) != category.value {
			continue
		}
		if requirement.value != "" && string(e.Requirement) != requirement.value {
			continue
		}
		rows = append(rows, p.Summarize(e))
	}
	w := c.m.Stdout
	switch format.value {
	case "json":
		return catalogJSON(w, rows)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"citation", "title", "kind", "requirement", "category", "standard", "section", "profile", "status", "proposed_citation", "citation_approximate"})
		for _, r := range rows {
			cw.Write([]string{r.Citation, r.Title, string(r.Kind), string(r.Requirement), string(r.Category), r.Standard, r.Section, r.Profile, r.Status, r.ProposedCitation, strconv.FormatBool(r.CitationApproximate)})
		}
		cw.Flush()
		return cw.Error()
	}
	catalogProposedBanner(w, p)
	tw := catalogTable(w)
	if p.Proposed() {
		fmt.Fprintln(tw, "CITATION\tPROPOSED AT\tKIND\tREQUIREMENT\tCATEGORY\tTITLE")
	} else {
		fmt.Fprintln(tw, "CITATION\tKIND\tREQUIREMENT\tCATEGORY\tTITLE")
	}
	for _, r := range rows {
		cite := r.Citation
		if r.Kind == catalog.KindSpecification {
			cite = "  " + cite
		}
		if p.Proposed() {
			at := r.ProposedCitation
			if at != "" && r.CitationApproximate {
				at += " (approx.)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cite, catalogDash(at), r.Kind, catalogRequirement(r.Requirement), r.Category, r.Title)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cite, r.Kind, catalogRequirement(r.Requirement), r.Category, r.Title)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d entries in profile %s (%s).\n", len(rows), p.ID, p.Title)
	return nil
}

func catalogDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (c catalogCmd) show(args []string) error {
	fs := c.flagSet("show")
	prof := c.profileFlag(fs)
	format := c.choiceFlag(fs, "format", "text", "output format", "text", "json")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("catalog show: missing CITATION, e.g. 164.312(a)(2)(iv)")
	}
	ref := strings.Join(pos, " ")
	p, err := c.profile(prof)
	if err != nil {
		return err
	}
	out, err := c.cat.Detail(p, ref)
	var nf *catalog.NotFoundError
	if errors.As(err, &nf) {
		fmt.Fprintf(c.m.Stderr, "safeguard: catalog show: no entry %q in profile %s\n", ref, p.ID)
		if len(nf.Suggestions) > 0 {
			fmt.Fprintln(c.m.Stderr, "Nearest entries:")
			tw := catalogTable(c.m.Stderr)
			for _, s := range nf.Suggestions {
				fmt.Fprintf(tw, "  %s\t%s\n", s.Citation, s.Title)
			}
			tw.Flush()
		}
		return errCheckFailed
	}
	if err != nil {
		return fmt.Errorf("catalog show: %w", err)
	}
	if format.value == "json" {
		return catalogJSON(c.m.Stdout, out)
	}
	return writeCatalogEntry(c.m.Stdout, p, out)
}

func writeCatalogEntry(w io.Writer, p *catalog.Profile, s catalog.EntryDetail) error {
	var b bytes.Buffer
	catalogProposedBanner(&b, p)
	e := s.Entry
	fmt.Fprintf(&b, "%s  %s\n", e.Citation, e.Title)
	kind := "Standard"
	if e.Kind == catalog.KindSpecification {
		kind = "Implementation specification"
	}
	facts := []string{kind}
	switch {
	case e.Requirement != "":
		facts = append(facts, string(e.Requirement))
	case e.Kind == catalog.KindStandard:
		facts = append(facts, "requirements in its specifications")
	}
	facts = append(facts, string(e.Category)+" ("+e.Section+")")
	fmt.Fprintln(&b, strings.Join(facts, " · "))
	if e.Standard != e.Citation {
		fmt.Fprintf(&b, "Standard: %s %s\n", e.Standard, s.StandardTitle)
	}
	if e.ProposedCitation != "" {
		approx := ""
		if e.CitationApproximate {
			approx = " (approximate; not checked against the proposal's text)"
		}
		fmt.Fprintf(&b, "Proposed at: %s%s\n", e.ProposedCitation, approx)
	}
	fmt.Fprintf(&b, "Profile: %s (%s)\n", p.ID, p.Title)
	if s.ResolvedFrom != "" {
		fmt.Fprintf(&b, "Found as %s: %s\n", s.ResolvedFrom, s.ResolvedHow)
	}
	section := func(title string) { fmt.Fprintf(&b, "\n%s\n", title) }
	para := func(text string) { catalogWrap(&b, text, "  ", "  ") }
	bullet := func(text string) { catalogWrap(&b, text, "  - ", "    ") }

	if e.Note != "" {
		section("Note")
		para(e.Note)
	}
	if len(e.Parameters) > 0 {
		section("Proposed numbers")
		for _, prm := range e.Parameters {
			approx := ""
			if prm.Approximate {
				approx = " (approximate: not checked against the proposal's text)"
			}
			bullet(prm.String() + ": " + prm.Text + approx)
		}
	}
	g := e.Guidance
	section("What it asks")
	para(g.Summary)
	section("A two-person practice")
	para(g.SmallPractice)
	section("A hospital")
	para(g.Hospital)
	section("Typical evidence")
	for _, ev := range g.Evidence {
		bullet(ev)
	}
	if len(e.Questions) > 0 {
		section("Questions")
		for _, q := range e.Questions {
			bullet(q)
		}
	}
	if len(e.KeyActivities) > 0 {
		section("Key activities (titles from NIST SP 800-66r2; questions are Safeguard's)")
		for i, ka := range e.KeyActivities {
			head := fmt.Sprintf("%d. %s", i+1, ka.Title)
			if len(ka.Specs) > 0 {
				head += " [" + strings.Join(ka.Specs, ", ") + "]"
			}
			catalogWrap(&b, head, "  ", "     ")
			for _, q := range ka.Questions {
				catalogWrap(&b, q, "     - ", "       ")
			}
		}
	}
	if len(s.Specifications) > 0 {
		section("Implementation specifications")
		tw := catalogTable(&b)
		for _, k := range s.Specifications {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", k.Citation, catalogRequirement(k.Requirement), k.Title)
		}
		tw.Flush()
	}
	cw, from := e.Crosswalk, ""
	if s.InheritedCrosswalk != nil {
		cw, from = s.InheritedCrosswalk.Crosswalk, " (of standard "+s.InheritedCrosswalk.From+")"
	}
	for _, m := range []struct {
		title string
		p     catalog.Pairings
		src   catalog.CrosswalkSource
	}{
		{"NIST's mapping", cw.NIST, s.CrosswalkSources.NIST},
		{"Safeguard's own pairings", cw.Safeguard, s.CrosswalkSources.Safeguard},
	} {
		if m.p.IsZero() {
			continue
		}
		section("Crosswalk" + from + ": " + m.title)
		if len(m.p.CSF) > 0 {
			catalogWrap(&b, m.src.CSFVersion+": "+strings.Join(m.p.CSF, ", "), "  ", "    ")
		}
		if len(m.p.SP80053) > 0 {
			catalogWrap(&b, m.src.SP80053Version+": "+strings.Join(m.p.SP80053, ", "), "  ", "    ")
		}
		catalogWrap(&b, "Source: "+m.src.Source, "  ", "    ")
	}
	if len(s.FAQs) > 0 {
		section("FAQ")
		for _, f := range s.FAQs {
			bullet(f.ID + ": " + f.Question)
		}
	}
	if len(e.Aliases) > 0 {
		section("Also cited as")
		para(strings.Join(e.Aliases, ", "))
	}
	if len(e.History) > 0 {
		section("History")
		for _, h := range e.History {
			head := h.Date + " " + h.Action
			if h.From != "" {
				head += " (formerly " + h.From + ")"
			}
			bullet(head + ", " + h.Source + ": " + h.Note)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// catalogWrap writes text as lines of at most 80 columns, the first prefixed with
// first and the rest with rest.
func catalogWrap(w io.Writer, text, first, rest string) {
	const width = 80
	line, prefix := "", first
	for _, word := range strings.Fields(text) {
		if line != "" && len([]rune(prefix+line+" "+word)) > width {
			fmt.Fprintln(w, prefix+line)
			line, prefix = "", rest
		}
		if line == "" {
			line = word
		} else {
			line += " " + word
		}
	}
	fmt.Fprintln(w, prefix+line)
}

func (c catalogCmd) diff(args []string) error {
	fs := c.flagSet("diff")
	format := c.choiceFlag(fs, "format", "table", "output format", "table", "json")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("catalog diff: want two profiles, e.g. 'catalog diff current nprm-2025' (profiles: %s)", strings.Join(c.cat.ProfileIDs(), ", "))
	}
	var profiles [2]*catalog.Profile
	for i, id := range pos {
		p, err := c.cat.Profile(id)
		if err != nil {
			return usagef("catalog diff: %s: %v", []string{"PROFILE_A", "PROFILE_B"}[i], err)
		}
		profiles[i] = p
	}
	diffs, err := c.cat.Diff(pos[0], pos[1])
	if err != nil {
		return fmt.Errorf("catalog diff: %w", err)
	}
	w := c.m.Stdout
	if format.value == "json" {
		if diffs == nil {
			diffs = []catalog.Difference{}
		}
		return catalogJSON(w, diffs)
	}
	for _, p := range profiles {
		catalogProposedBanner(w, p)
	}
	tw := catalogTable(w)
	fmt.Fprintln(tw, "CHANGE\tCITATION\tTITLE\tWHAT CHANGES")
	counts := map[string]int{}
	for _, d := range diffs {
		counts[d.Change]++
		var what []string
		for _, f := range d.Fields {
			if f.Field == "proposed_citation" && f.From == "" {
				continue // said below, with its precision
			}
			what = append(what, f.String())
		}
		if d.ProposedCitation != "" && (d.Change == catalog.ChangeAdded || slices.ContainsFunc(d.Fields, func(f catalog.FieldChange) bool { return f.Field == "proposed_citation" })) {
			at := "proposed at " + d.ProposedCitation
			if d.CitationApproximate {
				at += " (approx.)"
			}
			what = append(what, at)
		}
		for _, prm := range d.Parameters {
			p := prm.Name + " " + prm.String()
			if prm.Approximate {
				p += " (approx.)"
			}
			what = append(what, p)
		}
		if len(what) == 0 && d.Note != "" {
			what = append(what, "see note")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Change, d.Citation, d.Title, catalogDash(strings.Join(what, "; ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d added, %d removed, %d changed (from %s to %s). 'catalog show CITATION --profile %s' explains each.\n",
		counts[catalog.ChangeAdded], counts[catalog.ChangeRemoved], counts[catalog.ChangeChanged], pos[0], pos[1], pos[1])
	return nil
}

func (c catalogCmd) faq(args []string) error {
	fs := c.flagSet("faq")
	format := c.choiceFlag(fs, "format", "text", "output format", "text", "table", "json")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	query := strings.Join(pos, " ")
	var faqs []catalog.FAQ
	if query == "" {
		faqs = c.cat.FAQs()
	} else if f, ok := c.cat.FAQ(query); ok {
		faqs = []catalog.FAQ{f}
	} else {
		for _, h := range c.cat.SearchFAQ(query) {
			if f, ok := c.cat.FAQ(h.ID); ok {
				faqs = append(faqs, f)
			}
		}
	}
	w := c.m.Stdout
	switch format.value {
	case "json":
		if faqs == nil {
			faqs = []catalog.FAQ{}
		}
		return catalogJSON(w, faqs)
	case "table":
		tw := catalogTable(w)
		fmt.Fprintln(tw, "ID\tQUESTION\tENTRIES")
		for _, f := range faqs {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", f.ID, f.Question, strings.Join(f.Entries, ", "))
		}
		return tw.Flush()
	}
	if len(faqs) == 0 {
		fmt.Fprintf(w, "No FAQ matches %q.\n", query)
		return nil
	}
	for i, f := range faqs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		catalogWrap(w, f.Question, "Q: ", "   ")
		catalogWrap(w, f.Answer, "A: ", "   ")
		catalogWrap(w, strings.Join(f.Entries, ", "), "See: ", "     ")
		fmt.Fprintf(w, "(%s)\n", f.ID)
	}
	return nil
}

func (c catalogCmd) search(args []string) error {
	fs := c.flagSet("search")
	prof := c.profileFlag(fs)
	format := c.choiceFlag(fs, "format", "table", "output format", "table", "json")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	query := strings.Join(pos, " ")
	if strings.TrimSpace(query) == "" {
		return usagef("catalog search: missing QUERY, e.g. 'catalog search encryption'")
	}
	p, err := c.profile(prof)
	if err != nil {
		return err
	}
	hits := p.Search(query)
	w := c.m.Stdout
	if format.value == "json" {
		if hits == nil {
			hits = []catalog.Hit{}
		}
		return catalogJSON(w, hits)
	}
	catalogProposedBanner(w, p)
	if len(hits) == 0 {
		fmt.Fprintf(w, "Nothing in profile %s matches %q.\n", p.ID, query)
		return nil
	}
	tw := catalogTable(w)
	fmt.Fprintln(tw, "TYPE\tREFERENCE\tTITLE")
	for _, h := range hits {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", h.Kind, h.ID, h.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n'catalog show REFERENCE' shows an entry; 'catalog faq ID' an FAQ answer.")
	return nil
}

func (c catalogCmd) export(args []string) error {
	fs := c.flagSet("export")
	prof := c.profileFlag(fs)
	format := c.choiceFlag(fs, "format", "oscal", "output format", "oscal")
	var out string
	fs.StringVar(&out, "o", "", "write to `FILE` instead of standard output")
	fs.StringVar(&out, "output", "", "write to `FILE` instead of standard output")
	if err := c.m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	var buf bytes.Buffer
	switch format.value {
	case "oscal":
		if err := c.cat.ExportOSCAL(&buf, prof.value); err != nil {
			return fmt.Errorf("catalog export: %w", err)
		}
	}
	if out == "" || out == "-" {
		_, err := c.m.Stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("catalog export: %w", err)
	}
	fmt.Fprintf(c.m.Stderr, "wrote OSCAL catalog of profile %s to %s\n", prof.value, out)
	return nil
}

func (c catalogCmd) importOSCAL(args []string) error {
	fs := c.flagSet("import")
	prof := c.profileFlag(fs)
	format := c.choiceFlag(fs, "format", "table", "output format", "table", "json")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("catalog import: want exactly one FILE (an OSCAL catalog in JSON, or - for standard input)")
	}
	var r io.Reader
	if pos[0] == "-" {
		if c.m.Stdin == nil {
			return errors.New("catalog import: no standard input")
		}
		r = c.m.Stdin
	} else {
		f, err := os.Open(pos[0])
		if err != nil {
			return fmt.Errorf("catalog import: %w", err)
		}
		defer f.Close()
		r = f
	}
	rep, err := c.cat.ImportOSCAL(r, prof.value)
	if err != nil {
		return fmt.Errorf("catalog import: %s: %w", pos[0], err)
	}
	w := c.m.Stdout
	if format.value == "json" {
		return catalogJSON(w, rep)
	}
	p, err := c.profile(prof)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Catalog: %s (version %s, OSCAL %s)\n", rep.Title, catalogDash(rep.Version), catalogDash(rep.OSCALVersion))
	fmt.Fprintf(w, "Mapped onto profile %s: %d of %d standards matched; %d groups, %d controls, %d unmatched.\n\n",
		p.ID, len(rep.Standards), len(p.Standards()), len(rep.Groups), len(rep.Controls), len(rep.Unmatched))
	tw := catalogTable(w)
	fmt.Fprintln(tw, "ITEM\tID\tMAPS TO\tHOW\tTITLE")
	row := func(kind string, m catalog.Mapping) {
		to := m.Citation
		if to == "" {
			to = string(m.Category)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", kind, catalogDash(m.ID), catalogDash(to), m.Method, m.Title)
	}
	for _, g := range rep.Groups {
		row("group", g)
	}
	for _, ctl := range rep.Controls {
		row("control", ctl)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Unmatched) == 0 {
		fmt.Fprintln(w, "\nEvery group and control maps onto the catalogue. Nothing in the catalogue was changed.")
	} else {
		fmt.Fprintf(w, "\n%d items map to nothing (HOW = none). Nothing in the catalogue was changed.\n", len(rep.Unmatched))
	}
	return nil
}
