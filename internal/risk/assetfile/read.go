package assetfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/xuri/excelize/v2"
)

// Limits of a file.
const (
	// MaxRows is the most assets one file may hold.
	MaxRows = 50_000
	// MaxBytes is the largest CSV file, and the largest an XLSX file may
	// unpack to.
	MaxBytes = 64 << 20
)

// Options tune a read.
type Options struct {
	// Mapping names, for some columns, the header of the file that fills
	// it, overriding the detection by name; "" leaves a column out.
	Mapping map[Column]string
	// Owner finds the member with an email address (as written in the
	// file, trimmed), and reports false when there is none in the
	// organisation. Nil refuses every owner given.
	Owner func(email string) (memberID int64, ok bool)
}

// Problem is why a row, or the file, cannot be imported.
type Problem struct {
	// Row is the row as a spreadsheet numbers it: the header is row 1, the
	// first asset row 2. Row 1 with no column is a problem of the file.
	Row int `json:"row"`
	// Column is the file's header of the column at fault ("" for the whole
	// row).
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("row %d: %s", p.Row, p.Message)
	}
	return fmt.Sprintf("row %d, %s: %s", p.Row, p.Column, p.Message)
}

// Result is what a read found: the assets of the rows without problems,
// normalised and valid, and every problem. Save the assets only when
// Problems is empty.
type Result struct {
	Assets []risk.Asset `json:"assets"`
	// Rows[k] is the row Assets[k] came from.
	Rows     []int     `json:"rows"`
	Problems []Problem `json:"problems"`
	// Columns is the header each column was read from.
	Columns map[Column]string `json:"columns"`
	// Ignored lists the headers that fill no column.
	Ignored []string `json:"ignored,omitempty"`
	// Headers is the file's header row, trimmed, in its order (for a
	// mapping to be chosen column by column).
	Headers []string `json:"headers,omitempty"`
}

// OK reports whether every row can be imported.
func (r Result) OK() bool { return len(r.Problems) == 0 }

// Format is a file format.
type Format string

// Formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// FormatOf guesses the format of a file from its name, then from its first
// bytes (an XLSX file is a ZIP archive).
func FormatOf(name string, head []byte) Format {
	switch {
	case strings.HasSuffix(strings.ToLower(name), ".xlsx"):
		return XLSX
	case strings.HasSuffix(strings.ToLower(name), ".csv"), strings.HasSuffix(strings.ToLower(name), ".txt"):
		return CSV
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return XLSX
	}
	return CSV
}

// Read reads a file of format f. See ReadCSV and ReadXLSX.
func Read(r io.Reader, f Format, opt Options) (Result, error) {
	if f == XLSX {
		return ReadXLSX(r, opt)
	}
	return ReadCSV(r, opt)
}

// ReadCSV reads assets from CSV: comma, semicolon or tab separated (the
// first line decides), with or without a byte order mark, quoted fields
// spanning lines. It streams the file, holding one row at a time besides
// the result. The error is for a file that cannot be read at all; a bad row
// is a Problem.
func ReadCSV(r io.Reader, opt Options) (Result, error) {
	br := bufio.NewReaderSize(&limited{r: r, n: MaxBytes}, 64<<10)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\uFEFF" {
		br.Discard(3) //nolint:errcheck // Peek has the bytes
	}
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return Result{}, readErr(err)
	}
	cr := csv.NewReader(br)
	cr.Comma = separator(head)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	rd := newReader(opt)
	row := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		row++
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if row == 1 {
				return Result{}, fmt.Errorf("the header row cannot be read: %v", pe.Err)
			}
			if !rd.more() {
				break
			}
			rd.rows++
			rd.res.Problems = append(rd.res.Problems, Problem{Row: row, Message: "cannot be read: " + csvMessage(pe.Err)})
			continue
		}
		if err != nil {
			return Result{}, readErr(err)
		}
		if !rd.row(row, rec) {
			break
		}
	}
	return rd.finish(), nil
}

// ReadXLSX reads assets from the first worksheet of an XLSX workbook,
// through excelize's row iterator (the worksheet's XML is not held in
// memory whole).
func ReadXLSX(r io.Reader, opt Options) (Result, error) {
	f, err := excelize.OpenReader(&limited{r: r, n: MaxBytes}, excelize.Options{RawCellValue: true, UnzipSizeLimit: MaxBytes})
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return Result{}, err
		}
		return Result{}, fmt.Errorf("the file is not an XLSX workbook Safeguard can read: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return Result{}, errors.New("the workbook has no worksheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return Result{}, fmt.Errorf("read worksheet %q: %w", sheets[0], err)
	}
	defer rows.Close()
	rd := newReader(opt)
	row := 0
	for rows.Next() {
		row++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return Result{}, fmt.Errorf("read row %d: %w", row, err)
		}
		if !rd.row(row, cells) {
			break
		}
	}
	if err := rows.Error(); err != nil {
		return Result{}, fmt.Errorf("read worksheet %q: %w", sheets[0], err)
	}
	return rd.finish(), nil
}

// reader turns rows into assets and problems.
type reader struct {
	opt    Options
	res    Result
	cols   map[Column]int
	header []string
	rows   int // asset rows read, blank rows aside
	done   bool
}

func newReader(opt Options) *reader {
	return &reader{opt: opt, res: Result{Assets: []risk.Asset{}, Rows: []int{}, Problems: []Problem{}, Columns: map[Column]string{}}}
}

// more reports whether the file may hold another row.
func (rd *reader) more() bool {
	if rd.rows >= MaxRows {
		rd.res.Problems = append(rd.res.Problems, Problem{Row: 1, Message: fmt.Sprintf("the file has more than %d rows; split it", MaxRows)})
		rd.done = true
	}
	return !rd.done
}

// row reads one row (numbered as a spreadsheet does), and reports whether
// to go on.
func (rd *reader) row(n int, cells []string) bool {
	if rd.cols == nil {
		rd.headerRow(cells)
		return !rd.done
	}
	if blank(cells) {
		return true
	}
	if !rd.more() {
		return false
	}
	rd.rows++
	a, probs := rd.asset(n, cells)
	if len(probs) > 0 {
		rd.res.Problems = append(rd.res.Problems, probs...)
		return true
	}
	rd.res.Assets = append(rd.res.Assets, a)
	rd.res.Rows = append(rd.res.Rows, n)
	return true
}

func (rd *reader) headerRow(cells []string) {
	rd.header = slices.Clone(cells)
	for _, h := range cells {
		rd.res.Headers = append(rd.res.Headers, strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
	}
	detected := detect(cells)
	for c, h := range rd.opt.Mapping {
		if !known(c) {
			rd.res.Problems = append(rd.res.Problems, Problem{Row: 1, Message: fmt.Sprintf("the mapping names %q, which is not a column Safeguard imports", c)})
			continue
		}
		if h == "" {
			delete(detected, c)
			continue
		}
		i := slices.IndexFunc(cells, func(x string) bool { return headerKey(x) == headerKey(h) })
		if i < 0 {
			rd.res.Problems = append(rd.res.Problems, Problem{Row: 1, Message: fmt.Sprintf("the mapping reads %s from the column %q, which the file does not have", c.Header(), h)})
			continue
		}
		detected[c] = i
	}
	rd.cols = detected
	used := map[int]bool{}
	for c, i := range detected {
		rd.res.Columns[c] = strings.TrimSpace(strings.TrimPrefix(cells[i], "\uFEFF"))
		used[i] = true
	}
	for i, h := range cells {
		if !used[i] && strings.TrimSpace(h) != "" {
			rd.res.Ignored = append(rd.res.Ignored, strings.TrimSpace(h))
		}
	}
	for _, c := range []Column{ColName, ColKind} {
		if _, ok := detected[c]; !ok {
			rd.res.Problems = append(rd.res.Problems, Problem{Row: 1, Message: fmt.Sprintf("no column holds the %s; name a column %q or map one to it", strings.ToLower(c.Header()), c.Header())})
		}
	}
	if len(rd.res.Problems) > 0 {
		rd.done = true
	}
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// asset reads one row into an asset, or says why it cannot.
func (rd *reader) asset(n int, cells []string) (risk.Asset, []Problem) {
	var probs []Problem
	bad := func(c Column, msg string) {
		probs = append(probs, Problem{Row: n, Column: rd.headerOf(c), Message: msg})
	}
	get := func(c Column) (string, bool) {
		i, ok := rd.cols[c]
		if !ok || i >= len(cells) {
			return "", ok
		}
		return unguard(strings.TrimSpace(cells[i])), true
	}
	var a risk.Asset
	a.Name, _ = get(ColName)
	kind, _ := get(ColKind)
	var msg string
	if a.Kind, msg = parseKind(kind); msg != "" {
		bad(ColKind, msg)
	}
	a.Location, _ = get(ColLocation)
	a.Vendor, _ = get(ColVendor)
	a.Notes, _ = get(ColNotes)
	if v, _ := get(ColEPHI); v != "" {
		a.EPHI = parseList(v)
	}
	if v, ok := get(ColOwner); ok && v != "" {
		switch id, found := rd.owner(v); {
		case !strings.Contains(v, "@"):
			bad(ColOwner, fmt.Sprintf("%q is not an email address; give the email of the member responsible", v))
		case !found:
			bad(ColOwner, fmt.Sprintf("no member of this organisation has the email %s", v))
		default:
			a.OwnerID = id
		}
	}
	if v, _ := get(ColRecords); v != "" {
		if a.Records, msg = parseRecords(v); msg != "" {
			bad(ColRecords, msg)
		}
	}
	if v, ok := get(ColUse); ok && v != "" {
		if a.Use, msg = parseUse(v); msg != "" {
			bad(ColUse, msg)
		}
	}
	for _, b := range []struct {
		col Column
		to  *bool
	}{{ColCreates, &a.Use.Creates}, {ColReceives, &a.Use.Receives}, {ColMaintains, &a.Use.Maintains}, {ColTransmits, &a.Use.Transmits}} {
		if v, ok := get(b.col); ok && v != "" {
			yes, msg := parseBool(v)
			if msg != "" {
				bad(b.col, msg)
			}
			*b.to = *b.to || yes
		}
	}
	v, _ := get(ColAtRest)
	if a.AtRest, msg = parseEncryption(v); msg != "" {
		bad(ColAtRest, msg)
	}
	v, _ = get(ColHosting)
	if a.Hosting, msg = parseHosting(v); msg != "" {
		bad(ColHosting, msg)
	}
	v, _ = get(ColCriticality)
	if a.Criticality, msg = parseCriticality(v); msg != "" {
		bad(ColCriticality, msg)
	}
	v, _ = get(ColLifecycle)
	if a.Lifecycle, msg = parseLifecycle(v); msg != "" {
		bad(ColLifecycle, msg)
	}
	v, _ = get(ColReviewed)
	if a.Reviewed, msg = parseDate(v); msg != "" {
		bad(ColReviewed, msg)
	}
	a.Normalize()
	var ve validate.Error
	if err := a.Validate(); errors.As(err, &ve) {
		fields := make([]string, 0, len(ve))
		for f := range ve {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		for _, f := range fields {
			c := fieldColumn(f)
			// A problem already said in the file's words wins.
			if slices.ContainsFunc(probs, func(p Problem) bool { return p.Column == rd.headerOf(c) }) {
				continue
			}
			bad(c, ve[f])
		}
	} else if err != nil {
		bad("", err.Error())
	}
	return a, probs
}

func (rd *reader) owner(email string) (int64, bool) {
	if rd.opt.Owner == nil || !strings.Contains(email, "@") {
		return 0, false
	}
	return rd.opt.Owner(email)
}

// headerOf is the file's header of column c, or the template's when the
// file has no such column.
func (rd *reader) headerOf(c Column) string {
	if c == "" {
		return ""
	}
	if i, ok := rd.cols[c]; ok && i < len(rd.header) {
		return strings.TrimSpace(strings.TrimPrefix(rd.header[i], "\uFEFF"))
	}
	return c.Header()
}

// fieldColumn is the column of a field risk.Asset.Validate names
// ("ephi.3" → ColEPHI).
func fieldColumn(field string) Column {
	f, _, _ := strings.Cut(field, ".")
	switch f {
	case "name", "location", "vendor", "notes", "ephi", "records", "hosting", "criticality", "lifecycle":
		return Column(f)
	case "kind":
		return ColKind
	case "encrypted_at_rest":
		return ColAtRest
	}
	return ""
}

func (rd *reader) finish() Result {
	if rd.cols == nil {
		rd.res.Problems = append(rd.res.Problems, Problem{Row: 1, Message: "the file is empty: it needs a header row and a row per asset"})
	} else if len(rd.res.Assets) == 0 && len(rd.res.Problems) == 0 {
		rd.res.Problems = append(rd.res.Problems, Problem{Row: 2, Message: "the file has a header row but no assets"})
	}
	return rd.res
}

// separator picks the CSV separator the first line uses most, outside
// quotes: a comma, a semicolon (spreadsheets in many countries write it),
// or a tab.
func separator(head []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range string(head) {
		if r == '"' {
			quoted = !quoted
		}
		if quoted {
			continue
		}
		if r == '\n' {
			break
		}
		if r == ',' || r == ';' || r == '\t' {
			counts[r]++
		}
	}
	best := ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}

func csvMessage(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return "a quotation mark inside a value that is not in quotes"
	case errors.Is(err, csv.ErrQuote):
		return "a quoted value is not closed"
	}
	return err.Error()
}

func readErr(err error) error {
	if errors.Is(err, errTooLarge) {
		return err
	}
	return fmt.Errorf("read the file: %w", err)
}

// limited reads at most n bytes of r, then fails with errTooLarge.
type limited struct {
	r io.Reader
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, fmt.Errorf("%w: the most Safeguard reads is %d MB", errTooLarge, MaxBytes>>20)
	}
	// Read one byte past the limit, to tell a file of exactly n bytes
	// from a longer one.
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return 0, fmt.Errorf("%w: the most Safeguard reads is %d MB", errTooLarge, MaxBytes>>20)
	}
	return n, err
}
