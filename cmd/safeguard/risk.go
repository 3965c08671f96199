package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/risk/assetfile"
	"github.com/safeguard-health/safeguard/internal/store"
)

// runRisk lists, exports and imports an organisation's ePHI inventory, the
// start of the risk analysis of §164.308(a)(1)(ii)(A).
func (m *Main) runRisk(ctx context.Context, args []string) error {
	const synopsis = "risk list|export|import --org SLUG [flags] [FILE]"
	const desc = "List an organisation's ePHI inventory (its assets, or its data flows, risks or\n" +
		"the tasks of its risk management plan), export the assets as a spreadsheet,\n" +
		"or import assets from one (CSV or XLSX, the template's columns or a mapping).\n" +
		"An import checks every row first and adds every asset or none: each row it\n" +
		"cannot import is printed with its column and why. Owners are given as the\n" +
		"email address of a member of the organisation.\n\n" +
		"  risk list   --org SLUG [--what assets|flows|risks|tasks] [--format table|json|csv]\n" +
		"  risk export --org SLUG --format csv|xlsx -o FILE\n" +
		"  risk import --org SLUG FILE [--dry-run] [--map \"Header=field,...\"]"
	sub, rest := subcommand(args)
	fs := m.newFlagSet("risk "+sub, synopsis, desc)
	f := addInstanceFlags(fs, defaultDataDir)
	org := fs.String("org", "", "the organisation's slug")
	what := fs.String("what", "assets", "list: assets, flows, risks or tasks")
	format := fs.String("format", "", "list: table, json or csv (default table); export: csv or xlsx (default: from the file's name)")
	out := fs.String("o", "", "export: the file to write (- for standard output)")
	dry := fs.Bool("dry-run", false, "import: check the file and say what would be added, saving nothing")
	mapFlag := fs.String("map", "", `import: which column of the file fills which field, as "Header=field,Other=field" (fields: `+fieldNames()+`)`)
	if err := m.parseFlags(fs, rest); err != nil {
		return err
	}
	var file string
	switch sub {
	case "list":
		*format = cmpOr(*format, "table")
		if err := checkFormat(*format, "table", "json", "csv"); err != nil {
			return err
		}
		switch *what {
		case "assets", "flows", "risks", "tasks":
		default:
			return usagef("risk list: --what must be assets, flows, risks or tasks")
		}
		if err := noArgs(fs); err != nil {
			return err
		}
	case "export":
		if *out == "" {
			return usagef("risk export: -o FILE is required (- for standard output)")
		}
		if *format == "" && strings.HasSuffix(strings.ToLower(*out), ".xlsx") {
			*format = "xlsx"
		}
		*format = cmpOr(*format, "csv")
		if err := checkFormat(*format, "csv", "xlsx"); err != nil {
			return err
		}
		if err := noArgs(fs); err != nil {
			return err
		}
	case "import":
		if fs.NArg() != 1 {
			return usagef("risk import: give one file to import")
		}
		file = fs.Arg(0)
	default:
		return usagef("risk: say list, export or import (run 'safeguard risk --help')")
	}
	mapping, err := assetfile.ParseMapping(*mapFlag)
	if err != nil {
		return usagef("risk import: --map: %v", err)
	}
	if *org == "" {
		return usagef("risk %s: --org is required", sub)
	}
	return m.withInstance(ctx, f, func(in *instance) error {
		o, err := in.db.Org(ctx, *org)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no organisation %q (see 'safeguard org list')", *org)
		} else if err != nil {
			return err
		}
		ms, err := loadMembers(ctx, in.db, o.ID)
		if err != nil {
			return err
		}
		switch sub {
		case "list":
			switch *what {
			case "flows":
				return m.flowList(ctx, in.db, o, *format)
			case "risks":
				return m.riskRegisterList(ctx, in.db, o, ms, *format)
			case "tasks":
				return m.taskList(ctx, in.db, o, ms, *format)
			}
			return m.riskList(ctx, in.db, o, ms, *format)
		case "export":
			return m.riskExport(ctx, in.db, o, ms, assetfile.Format(*format), *out)
		}
		return m.riskImport(ctx, in.db, o, ms, file, mapping, *dry)
	})
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func fieldNames() string {
	var out []string
	for _, c := range append(assetfile.Columns(), assetfile.ColUse) {
		out = append(out, string(c))
	}
	return strings.Join(out, ", ")
}

// cliMembers are the organisation's members by email (lower case) and ID.
type cliMembers struct {
	byEmail map[string]int64
	email   map[int64]string
}

func loadMembers(ctx context.Context, db *store.DB, orgID int64) (cliMembers, error) {
	list, err := db.Members(ctx, orgID)
	if err != nil {
		return cliMembers{}, err
	}
	ms := cliMembers{byEmail: map[string]int64{}, email: map[int64]string{}}
	for _, x := range list {
		ms.byEmail[strings.ToLower(x.User.Email)] = x.User.ID
		ms.email[x.User.ID] = x.User.Email
	}
	return ms, nil
}

func (ms cliMembers) owner(email string) (int64, bool) {
	id, ok := ms.byEmail[strings.ToLower(strings.TrimSpace(email))]
	return id, ok
}

func (ms cliMembers) emailOf(id int64) string { return ms.email[id] }

// allAssets reads the whole inventory, a page at a time.
func allAssets(ctx context.Context, db *store.DB, orgID int64) ([]risk.Asset, error) {
	return collect(func(p store.Page) ([]risk.Asset, *store.Key, error) {
		return db.Assets(ctx, orgID, store.AssetFilter{}, p)
	})
}

// collect reads every page of a list (store.Collect, unbounded).
func collect[T any](list func(store.Page) ([]T, *store.Key, error)) ([]T, error) {
	rows, _, err := store.Collect(list, 0)
	return rows, err
}

func (m *Main) riskList(ctx context.Context, db *store.DB, o identity.Org, ms cliMembers, format string) error {
	list, err := allAssets(ctx, db, o.ID)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		if list == nil {
			list = []risk.Asset{}
		}
		return writeJSON(m.Stdout, list)
	case "csv":
		return assetfile.WriteCSV(m.Stdout, list, ms.emailOf)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tTYPE\tOWNER\tHOSTING\tRECORDS\tENCRYPTED AT REST")
	for _, a := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", a.ID, oneLine(a.Name), a.Kind.Label(), ms.emailOf(a.OwnerID), a.Hosting.Label(), a.Records, a.AtRest.Label())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintf(m.Stderr, "%s's inventory is empty.\n", o.Name)
	}
	return nil
}

func (m *Main) riskExport(ctx context.Context, db *store.DB, o identity.Org, ms cliMembers, f assetfile.Format, path string) error {
	list, err := allAssets(ctx, db, o.ID)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error {
		if f == assetfile.XLSX {
			return assetfile.WriteXLSX(w, list, ms.emailOf)
		}
		return assetfile.WriteCSV(w, list, ms.emailOf)
	}
	if path == "-" {
		return write(m.Stdout)
	}
	// Write beside the target and rename, so that a failed export leaves
	// no half-written file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("export the inventory: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "exported %d assets of %s to %s\n", len(list), o.Name, path)
	return nil
}

func (m *Main) riskImport(ctx context.Context, db *store.DB, o identity.Org, ms cliMembers, path string, mapping map[assetfile.Column]string, dry bool) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	br := bufio.NewReader(fh)
	head, _ := br.Peek(4) // a shorter file is read as CSV, and refused as empty
	var r io.Reader = br
	if isTerminal(m.Stderr) {
		p := &progressReader{r: br, total: st.Size(), w: m.Stderr, start: time.Now()}
		defer p.done()
		r = p
	}
	res, err := assetfile.Read(r, assetfile.FormatOf(path, head), assetfile.Options{Mapping: mapping, Owner: ms.owner})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !res.OK() {
		return m.importProblems(path, res.Problems, len(res.Assets))
	}
	if dry {
		fmt.Fprintf(m.Stdout, "%s: every row can be imported: %d assets into %s (dry run: nothing saved)\n", path, len(res.Assets), o.Name)
		return nil
	}
	saved, err := db.CreateAssets(ctx, store.Actor{Name: "cli:" + m.cliUser()}, o.ID, res.Assets)
	var ie *store.ImportError
	if errors.As(err, &ie) {
		var probs []assetfile.Problem
		for _, p := range ie.Rows {
			row := p.Row
			if p.Row >= 1 && p.Row <= len(res.Rows) {
				row = res.Rows[p.Row-1]
			}
			probs = append(probs, assetfile.Problem{Row: row, Column: p.Field, Message: p.Message})
		}
		return m.importProblems(path, probs, 0)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%s: imported %d assets into %s\n", path, len(saved), o.Name)
	return nil
}

// importProblems prints every problem of a refused import.
func (m *Main) importProblems(path string, probs []assetfile.Problem, good int) error {
	for _, p := range probs {
		fmt.Fprintf(m.Stdout, "%s: %s\n", path, oneLine(p.String()))
	}
	fmt.Fprintf(m.Stderr, "safeguard: %s: %s, nothing was imported (%d rows were fine)\n", path, plural(len(probs), "problem"), good)
	return errCheckFailed
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// progressReader draws how much of a file has been read, on a terminal.
type progressReader struct {
	r     io.Reader
	w     io.Writer
	total int64
	read  int64
	start time.Time
	last  time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.read += int64(n)
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond || err != nil {
		p.last = now
		p.draw()
	}
	return n, err
}

func (p *progressReader) draw() {
	pct := 100.0
	if p.total > 0 {
		pct = min(100, 100*float64(p.read)/float64(p.total))
	}
	bar := strings.Repeat("#", int(pct/5))
	fmt.Fprintf(p.w, "\rreading [%-20s] %5.1f%% %d/%d KB, %s", bar, pct, p.read>>10, p.total>>10, time.Since(p.start).Round(time.Second))
}

func (p *progressReader) done() {
	p.draw()
	fmt.Fprintln(p.w)
}
