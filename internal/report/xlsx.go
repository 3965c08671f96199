package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/xuri/excelize/v2"
)

// The workbook's sheets, in the order they appear.
const (
	SheetMethod    = "Method"
	SheetInherent  = "Inherent matrix"
	SheetCurrent   = "Current matrix"
	SheetRegister  = "Register"
	SheetPlan      = "Plan"
	SheetDecisions = "Decisions"
	SheetResponses = "Responses"
	SheetInventory = "Inventory"
	SheetFlows     = "Flows"
)

// xlCellMax is the most UTF-16 code units Excel keeps in one cell. excelize
// cuts longer text without a word, so the workbook splits it first.
const xlCellMax = excelize.TotalCellChars

// xlNoteRoom is what a cell keeps free for the words that say where its
// text continues or where it came from.
const xlNoteRoom = 64

// WriteWorkbook writes m as an XLSX risk workbook: the method and scale,
// both heat maps, the register, the plan, the decision log, every response,
// the inventory and the data flows, each table sheet ready to filter, sort
// and print. Table sheets are streamed, so a register of tens of thousands
// of risks is written in bounded memory. No text is cut: a value longer
// than a cell holds carries on in extra columns at the end of its row, and
// both cells say so.
func WriteWorkbook(w io.Writer, m *Model) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	x, err := newXLWriter(f, m)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", SheetMethod); err != nil {
		return err
	}
	if err := x.method(); err != nil {
		return fmt.Errorf("sheet %s: %w", SheetMethod, err)
	}
	if err := x.matrix(SheetInherent, "Inherent risk", "before the measures in place", m.Inherent); err != nil {
		return fmt.Errorf("sheet %s: %w", SheetInherent, err)
	}
	if err := x.matrix(SheetCurrent, "Current risk", "with the measures in place", m.Current); err != nil {
		return fmt.Errorf("sheet %s: %w", SheetCurrent, err)
	}
	for _, t := range []xlTable{x.register(), x.plan(), x.decisions(), x.responses(), x.inventory(), x.flows()} {
		if err := x.table(t); err != nil {
			return fmt.Errorf("sheet %s: %w", t.name, err)
		}
	}
	// The Method sheet is the active one from the start. Setting it now
	// would make excelize read every streamed sheet back into memory.
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:       xlClean(m.Title),
		Subject:     xlClean(m.Org.Name),
		Creator:     xlClean(m.PreparedBy),
		Created:     m.Generated.UTC().Format(time.RFC3339),
		Description: xlClean(m.CatalogName),
	}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// xlWriter holds the styles and print settings every sheet shares.
type xlWriter struct {
	f *excelize.File
	m *Model

	head, title, draft, label, text, wrap, date, dateTime, number int
	fills                                                         map[string]int
	header, footer                                                string
	evidence                                                      map[int64]string // id → title
}

func newXLWriter(f *excelize.File, m *Model) (*xlWriter, error) {
	x := &xlWriter{f: f, m: m, fills: map[string]int{}, evidence: make(map[int64]string, len(m.Evidence))}
	for _, e := range m.Evidence {
		x.evidence[e.ID] = e.Title
	}
	top := func(wrap bool) *excelize.Alignment {
		return &excelize.Alignment{Vertical: "top", WrapText: wrap}
	}
	dateFmt, dateTimeFmt := "d mmm yyyy", "d mmm yyyy hh:mm"
	styles := []struct {
		id *int
		s  excelize.Style
	}{
		{&x.head, excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: top(true),
			Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#E8EEF4"}},
			Border: []excelize.Border{{Type: "bottom", Color: "#7F8C99", Style: 1}}}},
		{&x.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&x.draft, excelize.Style{Font: &excelize.Font{Bold: true, Size: 14, Color: "#B71C1C"}}},
		{&x.label, excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: top(true)}},
		{&x.text, excelize.Style{Alignment: top(false)}},
		{&x.wrap, excelize.Style{Alignment: top(true)}},
		{&x.date, excelize.Style{CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "left"}}},
		{&x.dateTime, excelize.Style{CustomNumFmt: &dateTimeFmt, Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "left"}}},
		{&x.number, excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "right"}}},
	}
	for _, s := range styles {
		id, err := f.NewStyle(&s.s)
		if err != nil {
			return nil, err
		}
		*s.id = id
	}
	// Excel's header and footer sections hold 255 characters each; the
	// organisation's name is whole on the Method sheet.
	org := xlHF(xlShorten(m.Org.Name, 80))
	x.header = "&L&\"-,Bold\"" + org
	if m.Draft {
		x.header += "&C&\"-,Bold\"&KB71C1CDRAFT"
	}
	x.header += "&R" + xlHF(m.Date(m.Generated))
	x.footer = "&L" + xlHF(xlShorten(m.Title, 100)) + "&RPage &P of &N"
	return x, nil
}

// fill is the style of a cell coloured #rrggbb, with text dark or light
// enough to read on it.
func (x *xlWriter) fill(colour string, bold bool) (int, error) {
	key := colour + strconv.FormatBool(bold)
	if id, ok := x.fills[key]; ok {
		return id, nil
	}
	font := &excelize.Font{Bold: bold, Color: "#000000"}
	if xlDark(colour) {
		font.Color = "#FFFFFF"
	}
	st := &excelize.Style{Font: font, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}
	if colour != "" {
		st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colour}}
		st.Alignment.Horizontal = "center"
	}
	id, err := x.f.NewStyle(st)
	if err != nil {
		return 0, err
	}
	x.fills[key] = id
	return id, nil
}

// xlDark reports whether white text reads better than black on #rrggbb.
func xlDark(colour string) bool {
	c := strings.TrimPrefix(colour, "#")
	if len(c) != 6 {
		return false
	}
	v, err := strconv.ParseUint(c, 16, 32)
	if err != nil {
		return false
	}
	r, g, b := float64(v>>16&0xff), float64(v>>8&0xff), float64(v&0xff)
	return 0.299*r+0.587*g+0.114*b < 150
}

// printSetup makes sheet print landscape, one page wide, with the header
// and footer, and with rows 1..titleRows repeated on every page.
func (x *xlWriter) printSetup(sheet string, titleRows int) error {
	landscape, wide, tall := "landscape", 1, 0
	if err := x.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall}); err != nil {
		return err
	}
	fit := true
	if err := x.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := x.f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddHeader: x.header, OddFooter: x.footer}); err != nil {
		return err
	}
	if titleRows > 0 {
		return x.f.SetDefinedName(&excelize.DefinedName{
			Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$1:$%d", sheet, titleRows), Scope: sheet,
		})
	}
	return nil
}

// xlKind is how a column's cells are shown.
type xlKind int

const (
	xlText   xlKind = iota // one line, left
	xlWrap                 // long text, wrapped
	xlNumber               // a count or an id
	xlDate                 // a day in the organisation's zone
)

type xlCol struct {
	head  string
	width float64
	kind  xlKind
}

// xlLevel is a risk level, shown on its colour.
type xlLevel struct{ label, colour string }

// xlTable is one table sheet: its columns and a function giving row i's
// values (string, int, int64, time.Time, xlLevel or nil), appended to dst.
type xlTable struct {
	name string
	cols []xlCol
	n    int
	row  func(i int, dst []any) []any
}

// table writes t as a streamed sheet with a bold, frozen, filtered header
// row.
func (x *xlWriter) table(t xlTable) error {
	// Extra columns hold the rest of text longer than a cell; the header
	// row comes first in the stream, so count them before writing.
	extra := 0
	vals := make([]any, 0, len(t.cols))
	for i := range t.n {
		vals = t.row(i, vals[:0])
		e := 0
		for _, v := range vals {
			if s, ok := v.(string); ok && len(s) > xlCellMax-2*xlNoteRoom {
				e += len(xlChunks(s)) - 1
			}
		}
		extra = max(extra, e)
	}
	ncols := len(t.cols) + extra
	if _, err := x.f.NewSheet(t.name); err != nil {
		return err
	}
	lastCol, err := excelize.ColumnNumberToName(ncols)
	if err != nil {
		return err
	}
	// The filter and the print settings go on the empty sheet: the stream
	// writer carries them into the sheet it writes.
	if err := x.f.AutoFilter(t.name, fmt.Sprintf("A1:%s%d", lastCol, t.n+1), nil); err != nil {
		return err
	}
	if err := x.printSetup(t.name, 1); err != nil {
		return err
	}
	sw, err := x.f.NewStreamWriter(t.name)
	if err != nil {
		return err
	}
	for i, c := range t.cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return err
		}
	}
	if extra > 0 {
		if err := sw.SetColWidth(len(t.cols)+1, ncols, 60); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	cells := make([]any, 0, ncols)
	for _, c := range t.cols {
		cells = append(cells, excelize.Cell{StyleID: x.head, Value: c.head})
	}
	for i := range extra {
		cells = append(cells, excelize.Cell{StyleID: x.head, Value: fmt.Sprintf("Continued text %d", i+1)})
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	for i := range t.n {
		vals = t.row(i, vals[:0])
		cells, err = x.cells(cells[:0], vals, t.cols)
		if err != nil {
			return err
		}
		if err := sw.SetRow("A"+strconv.Itoa(i+2), cells); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// cells turns one row's values into styled cells, moving the rest of any
// text too long for its cell to columns after the last one.
func (x *xlWriter) cells(dst, vals []any, cols []xlCol) ([]any, error) {
	var more []string // continuation cells
	for i, v := range vals {
		kind := xlText
		if i < len(cols) {
			kind = cols[i].kind
		}
		switch v := v.(type) {
		case nil:
			dst = append(dst, nil)
		case string:
			if v == "" {
				dst = append(dst, nil)
				continue
			}
			style := x.text
			if kind == xlWrap {
				style = x.wrap
			}
			if len(v) > xlCellMax-2*xlNoteRoom {
				if parts := xlChunks(v); len(parts) > 1 {
					at := len(cols) + len(more) + 1 // the first continuation column
					from := xlColName(i + 1)
					for k, p := range parts[1:] {
						p = "[continued from column " + from + "] " + p
						if k < len(parts)-2 {
							p += " [continued in column " + xlColName(at+k+1) + "]"
						}
						more = append(more, p)
						from = xlColName(at + k)
					}
					v = parts[0] + " [continued in column " + xlColName(at) + "]"
					style = x.wrap
				}
			}
			// A string cell is stored as text, so a value such as
			// "=HYPERLINK(...)" is shown and never run as a formula.
			dst = append(dst, excelize.Cell{StyleID: style, Value: v})
		case time.Time:
			if v.IsZero() {
				dst = append(dst, nil)
				continue
			}
			dst = append(dst, excelize.Cell{StyleID: x.date, Value: x.m.Local(v)})
		case int, int64:
			dst = append(dst, excelize.Cell{StyleID: x.number, Value: v})
		case xlLevel:
			if v.label == "" {
				dst = append(dst, nil)
				continue
			}
			style, err := x.fill(v.colour, false)
			if err != nil {
				return nil, err
			}
			dst = append(dst, excelize.Cell{StyleID: style, Value: xlClean(v.label)})
		default:
			return nil, fmt.Errorf("cell value of type %T", v)
		}
	}
	for len(dst) < len(cols) {
		dst = append(dst, nil)
	}
	for _, p := range more {
		dst = append(dst, excelize.Cell{StyleID: x.wrap, Value: p})
	}
	return dst, nil
}

// xlColName is the letters of column n (1-based).
func xlColName(n int) string {
	name, err := excelize.ColumnNumberToName(n)
	if err != nil {
		return strconv.Itoa(n)
	}
	return name
}

// xlChunks splits s into pieces that fit a cell with room for a note,
// never inside a character.
func xlChunks(s string) []string {
	limit := xlCellMax - 2*xlNoteRoom
	var out []string
	units, start := 0, 0
	for i, r := range s {
		n := 1
		if r >= 0x10000 {
			n = 2
		}
		if units+n > limit {
			out = append(out, s[start:i])
			start, units = i, 0
		}
		units += n
	}
	return append(out, s[start:])
}

// xlClean replaces characters XML 1.0 cannot hold, and bytes that are not
// UTF-8, with U+FFFD, so a reader sees where they were.
func xlClean(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !xlXMLChar(r) }) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if !xlXMLChar(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

// xlXMLChar reports whether XML 1.0 allows r in a document.
func xlXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// xlHF escapes s for a header or footer, where & starts a code.
func xlHF(s string) string { return strings.ReplaceAll(xlClean(s), "&", "&&") }

// xlShorten cuts s to n characters with an ellipsis, for headers only:
// the whole text is in the sheets.
func xlShorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func xlYes(b bool) string {
	if b {
		return "Yes"
	}
	return ""
}

func xlYesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// xlPair is a labelled value of the Method sheet.
type xlPair struct {
	label string
	v     any
}

// method writes the Method sheet: who, when, on what, and the scale.
func (x *xlWriter) method() error {
	f, m, s := x.f, x.m, SheetMethod
	row := 1
	put := func(col int, v any, style int) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if str, ok := v.(string); ok {
			v = xlClean(str)
		}
		if err := f.SetCellValue(s, cell, v); err != nil {
			return err
		}
		return f.SetCellStyle(s, cell, cell, style)
	}
	// pair writes a label and its value; text too long for a cell goes on
	// in the next columns, each saying so.
	pair := func(label string, v any) error {
		if err := put(1, label, x.label); err != nil {
			return err
		}
		switch v := v.(type) {
		case string:
			parts := xlChunks(xlClean(v))
			for k, p := range parts {
				if k > 0 {
					p = "[continued from column " + xlColName(k+1) + "] " + p
				}
				if k < len(parts)-1 {
					p += " [continued in column " + xlColName(k+3) + "]"
				}
				if err := put(k+2, p, x.wrap); err != nil {
					return err
				}
			}
		case time.Time:
			if !v.IsZero() {
				if err := put(2, v.In(m.zone()), x.dateTime); err != nil {
					return err
				}
			}
		default:
			if err := put(2, v, x.text); err != nil {
				return err
			}
		}
		row++
		return nil
	}
	heading := func(t string) error {
		row++
		if err := put(1, t, x.title); err != nil {
			return err
		}
		row++
		return nil
	}
	if err := put(1, m.Title, x.title); err != nil {
		return err
	}
	row++
	if m.Draft {
		if err := put(1, "DRAFT — this report shows work that is not signed off.", x.draft); err != nil {
			return err
		}
		row++
	}
	row++
	org := m.Org.Name
	if m.Org.LegalName != "" && m.Org.LegalName != m.Org.Name {
		org += " (" + m.Org.LegalName + ")"
	}
	rows := []xlPair{
		{"Organisation", org},
		{"Kind", m.Org.Kind},
		{"Period", x.period()},
		{"Prepared by", m.PreparedBy},
		{"Generated", m.Generated},
		{"Time zone", m.ZoneName},
		{"Catalogue", m.CatalogName},
		{"Security official", m.Org.Official},
		{"Sites", strings.Join(m.Org.Sites, "; ")},
		{"Systems", strings.Join(m.Org.Systems, "; ")},
	}
	if m.Org.Workforce > 0 {
		rows = append(rows, xlPair{"Workforce", m.Org.Workforce})
	}
	if m.Org.Patients > 0 {
		rows = append(rows, xlPair{"Patients", m.Org.Patients})
	}
	for _, r := range rows {
		if err := pair(r.label, r.v); err != nil {
			return err
		}
	}
	if a := m.Assessment; a != nil {
		if err := heading("Assessment"); err != nil {
			return err
		}
		for _, r := range []xlPair{{"Name", a.Name}, {"Status", a.Status}, {"Started", a.Started}, {"Signed off", a.Finalised},
			{"Signed off by", a.FinalisedBy}, {"Attestation", a.Attestation}} {
			if err := pair(r.label, r.v); err != nil {
				return err
			}
		}
		for _, rv := range a.Reviews {
			text := rv.Category + " — reviewed by " + rv.By + " on " + m.DateTime(rv.At)
			if rv.Note != "" {
				text += ": " + rv.Note
			}
			if err := pair("Review", text); err != nil {
				return err
			}
		}
	}
	if a := m.Analysis; a != nil {
		if err := heading("Risk analysis"); err != nil {
			return err
		}
		for _, r := range []xlPair{{"Name", a.Name}, {"Scope", a.Scope}, {"Status", a.Status}, {"Started", a.Started},
			{"Signed off", a.Finalised}, {"Signed off by", a.FinalisedBy}} {
			if err := pair(r.label, r.v); err != nil {
				return err
			}
		}
	}
	if err := heading("Scale: " + m.Scale.Name); err != nil {
		return err
	}
	grades := func(name string, gs []risk.Grade) error {
		for _, c := range []struct {
			col int
			v   string
		}{{1, name + " grade"}, {2, "Label"}, {3, "Meaning"}} {
			if err := put(c.col, c.v, x.head); err != nil {
				return err
			}
		}
		row++
		for i, g := range gs {
			if err := put(1, i+1, x.number); err != nil {
				return err
			}
			if err := put(2, g.Label, x.text); err != nil {
				return err
			}
			if err := put(3, g.Meaning, x.wrap); err != nil {
				return err
			}
			row++
		}
		row++
		return nil
	}
	if err := grades("Likelihood", m.Scale.Likelihood); err != nil {
		return err
	}
	if err := grades("Impact", m.Scale.Impact); err != nil {
		return err
	}
	for col, h := range []string{"Level", "Label", "Colour"} {
		if err := put(col+1, h, x.head); err != nil {
			return err
		}
	}
	row++
	for i, lv := range m.Scale.Levels {
		style, err := x.fill(lv.Colour, true)
		if err != nil {
			return err
		}
		if err := put(1, i+1, x.number); err != nil {
			return err
		}
		if err := put(2, lv.Label, style); err != nil {
			return err
		}
		if err := put(3, lv.Colour, x.text); err != nil {
			return err
		}
		row++
	}
	if c := m.Audit; c != nil {
		if err := heading("Audit log checkpoint"); err != nil {
			return err
		}
		for _, r := range []xlPair{{"Tree size", c.TreeSize}, {"Root hash", c.Root}, {"Key", c.KeyID}, {"Signature", c.Signature}, {"Signed", c.At}, {"Checkpoint", c.Text}} {
			if err := pair(r.label, r.v); err != nil {
				return err
			}
		}
	}
	if err := f.SetColWidth(s, "A", "A", 22); err != nil {
		return err
	}
	if err := f.SetColWidth(s, "B", "B", 45); err != nil {
		return err
	}
	if err := f.SetColWidth(s, "C", "C", 90); err != nil {
		return err
	}
	return x.printSetup(s, 0)
}

// period is the time the report covers: from the start of the assessment
// or analysis to its sign-off, or to the report's date while unsigned.
func (x *xlWriter) period() string {
	m := x.m
	var from, to time.Time
	for _, p := range []struct{ s, f time.Time }{
		{xlAssessmentStart(m.Assessment), xlAssessmentEnd(m.Assessment)},
		{xlAnalysisStart(m.Analysis), xlAnalysisEnd(m.Analysis)},
	} {
		if !p.s.IsZero() && (from.IsZero() || p.s.Before(from)) {
			from = p.s
		}
		if !p.f.IsZero() && p.f.After(to) {
			to = p.f
		}
	}
	if to.IsZero() {
		to = m.Generated
	}
	if from.IsZero() {
		return m.Date(to)
	}
	return m.Date(from) + " – " + m.Date(to)
}

func xlAssessmentStart(a *Assessment) time.Time {
	if a == nil {
		return time.Time{}
	}
	return a.Started
}

func xlAssessmentEnd(a *Assessment) time.Time {
	if a == nil {
		return time.Time{}
	}
	return a.Finalised
}

func xlAnalysisStart(a *Analysis) time.Time {
	if a == nil {
		return time.Time{}
	}
	return a.Started
}

func xlAnalysisEnd(a *Analysis) time.Time {
	if a == nil {
		return time.Time{}
	}
	return a.Finalised
}

// matrix writes a heat map: likelihood rows, highest first, by impact
// columns, each cell on its level's colour with the number of risks.
func (x *xlWriter) matrix(sheet, title, sub string, h HeatMap) error {
	f, sc := x.f, x.m.Scale
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	set := func(col, row int, v any, style int) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if s, ok := v.(string); ok {
			v = xlClean(s)
		}
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			return err
		}
		return f.SetCellStyle(sheet, cell, cell, style)
	}
	if err := set(1, 1, title+": number of risks per likelihood and impact, "+sub, x.title); err != nil {
		return err
	}
	if err := set(1, 3, "Likelihood ↓  Impact →", x.head); err != nil {
		return err
	}
	for i, g := range sc.Impact {
		if err := set(i+2, 3, g.Label, x.head); err != nil {
			return err
		}
	}
	nl := len(sc.Likelihood)
	for k := range nl {
		l := nl - 1 - k // highest likelihood at the top
		r := 4 + k
		if err := set(1, r, sc.Likelihood[l].Label, x.head); err != nil {
			return err
		}
		for i := range sc.Impact {
			colour := ""
			if l < len(sc.Matrix) && i < len(sc.Matrix[l]) {
				if lv := sc.Matrix[l][i]; lv >= 0 && lv < len(sc.Levels) {
					colour = sc.Levels[lv].Colour
				}
			}
			style, err := x.fill(colour, true)
			if err != nil {
				return err
			}
			n := 0
			if l < len(h.Counts) && i < len(h.Counts[l]) {
				n = h.Counts[l][i]
			}
			if err := set(i+2, r, n, style); err != nil {
				return err
			}
		}
	}
	r := 4 + nl + 1
	if err := set(1, r, "Not rated", x.label); err != nil {
		return err
	}
	if err := set(2, r, h.Unrated, x.number); err != nil {
		return err
	}
	r++
	if err := set(1, r, "Rated on an earlier scale", x.label); err != nil {
		return err
	}
	if err := set(2, r, h.OtherScale, x.number); err != nil {
		return err
	}
	r += 2
	if err := set(1, r, "Levels", x.head); err != nil {
		return err
	}
	for i, lv := range sc.Levels {
		style, err := x.fill(lv.Colour, true)
		if err != nil {
			return err
		}
		if err := set(i+2, r, lv.Label, style); err != nil {
			return err
		}
	}
	last, _ := excelize.ColumnNumberToName(max(len(sc.Impact), len(sc.Levels)) + 1)
	if err := f.SetColWidth(sheet, "A", "A", 26); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "B", last, 16); err != nil {
		return err
	}
	return x.printSetup(sheet, 0)
}

// xlRating is a rating's likelihood, impact and coloured level.
func xlRating(dst []any, r Rating) []any {
	if r.Likelihood == 0 || r.Level < 0 {
		return append(dst, "Not rated", "Not rated", nil)
	}
	return append(dst, r.LikelihoodLabel, r.ImpactLabel, xlLevel{r.LevelLabel, r.Colour})
}

func (x *xlWriter) register() xlTable {
	m := x.m
	cols := []xlCol{
		{"ID", 7, xlNumber}, {"Risk", 40, xlWrap}, {"Assets", 30, xlWrap}, {"Threat", 28, xlWrap},
		{"Threat source", 18, xlText}, {"Vulnerability", 28, xlWrap}, {"Measures in place", 40, xlWrap},
		{"How the measures work", 40, xlWrap},
		{"Inherent likelihood", 12, xlText}, {"Inherent impact", 12, xlText}, {"Inherent level", 12, xlText},
		{"Current likelihood", 12, xlText}, {"Current impact", 12, xlText}, {"Current level", 12, xlText},
		{"Target likelihood", 12, xlText}, {"Target impact", 12, xlText}, {"Target level", 12, xlText},
		{"Likelihood rationale", 50, xlWrap}, {"Impact rationale", 50, xlWrap},
		{"Owner", 20, xlText}, {"Status", 10, xlText}, {"Strategy", 11, xlText}, {"Party", 24, xlWrap},
		{"Acceptance approver", 20, xlText}, {"Acceptance reason", 40, xlWrap},
		{"Acceptance approved", 13, xlDate}, {"Acceptance expires", 13, xlDate}, {"Acceptance expired", 11, xlText},
		{"Treatment note", 40, xlWrap}, {"Identified", 13, xlDate}, {"Scale", 24, xlWrap},
	}
	return xlTable{name: SheetRegister, cols: cols, n: len(m.Risks), row: func(i int, d []any) []any {
		r := &m.Risks[i]
		d = append(d, r.ID, r.Title, strings.Join(r.Assets, "; "), r.Threat, r.ThreatSource, r.Vulnerability,
			strings.Join(r.Measures, "; "), r.MeasuresNote)
		d = xlRating(d, r.Inherent)
		d = xlRating(d, r.Current)
		d = xlRating(d, r.Target)
		d = append(d, r.LikelihoodWhy, r.ImpactWhy, r.Owner, r.Status, r.Strategy, r.Party)
		if a := r.Acceptance; a != nil {
			d = append(d, a.Approver, a.Reason, a.ApprovedAt, a.Expires, xlYes(a.Expired))
		} else {
			d = append(d, nil, nil, nil, nil, nil)
		}
		scale := r.OtherScale
		if scale == "" {
			scale = m.Scale.Name
		}
		return append(d, r.TreatmentNote, r.Identified, scale)
	}}
}

func (x *xlWriter) plan() xlTable {
	m := x.m
	cols := []xlCol{
		{"Task", 7, xlNumber}, {"Title", 40, xlWrap}, {"Risk ID", 8, xlNumber}, {"Risk", 36, xlWrap},
		{"Description", 50, xlWrap}, {"Owner", 20, xlText}, {"Due", 13, xlDate}, {"Status", 12, xlText},
		{"Overdue", 9, xlText}, {"Entries", 24, xlWrap}, {"Evidence", 30, xlWrap}, {"Done", 13, xlDate},
	}
	return xlTable{name: SheetPlan, cols: cols, n: len(m.Tasks), row: func(i int, d []any) []any {
		t := &m.Tasks[i]
		return append(d, t.ID, t.Title, t.RiskID, t.Risk, t.Description, t.Owner, t.Due, t.Status,
			xlYes(t.Overdue), strings.Join(t.Entries, "; "), x.evidenceNames(t.Evidence), t.DoneAt)
	}}
}

// evidenceNames names evidence items by id and title.
func (x *xlWriter) evidenceNames(ids []int64) string {
	if len(ids) == 0 {
		return ""
	}
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		n := "Evidence " + strconv.FormatInt(id, 10)
		if title, ok := x.evidence[id]; ok {
			n += ": " + title
		}
		names = append(names, n)
	}
	return strings.Join(names, "; ")
}

// xlFactorLabels are the flexibility factors weighed in any decision, in
// the order first met: one column each.
func xlFactorLabels(ds []Decision) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range ds {
		for _, f := range d.Factors {
			if !seen[f.Label] {
				seen[f.Label] = true
				out = append(out, f.Label)
			}
		}
	}
	return out
}

func (x *xlWriter) decisions() xlTable {
	m := x.m
	labels := xlFactorLabels(m.Decisions)
	cols := []xlCol{{"Citation", 20, xlText}, {"Specification", 32, xlWrap}, {"Outcome", 24, xlWrap},
		{"Alternative", 40, xlWrap}, {"Rationale", 60, xlWrap}}
	for _, l := range labels {
		cols = append(cols, xlCol{l, 40, xlWrap})
	}
	cols = append(cols, xlCol{"Risk analysis reference", 28, xlWrap}, xlCol{"Decided by", 20, xlText}, xlCol{"Decided", 13, xlDate})
	return xlTable{name: SheetDecisions, cols: cols, n: len(m.Decisions), row: func(i int, d []any) []any {
		dc := &m.Decisions[i]
		d = append(d, dc.Citation, dc.Title, dc.OutcomeLabel, dc.Alternative, dc.Rationale)
		for _, l := range labels {
			var texts []string
			for _, f := range dc.Factors {
				if f.Label == l {
					texts = append(texts, f.Text)
				}
			}
			d = append(d, strings.Join(texts, "\n"))
		}
		return append(d, dc.RiskRef, dc.DecidedBy, dc.DecidedAt)
	}}
}

func (x *xlWriter) responses() xlTable {
	m := x.m
	cols := []xlCol{
		{"Citation", 20, xlText}, {"Title", 32, xlWrap}, {"Kind", 13, xlText}, {"Requirement", 12, xlText},
		{"Category", 15, xlText}, {"Standard", 16, xlText}, {"Status", 20, xlText}, {"Narrative", 60, xlWrap},
		{"Why not applicable", 40, xlWrap}, {"Owner", 20, xlText}, {"Target date", 13, xlDate},
		{"Evidence", 34, xlWrap}, {"Decision recorded", 10, xlText},
	}
	return xlTable{name: SheetResponses, cols: cols, n: len(m.Entries), row: func(i int, d []any) []any {
		e := &m.Entries[i]
		decided := ""
		if e.Requirement == "addressable" {
			decided = xlYesNo(e.Decided)
		}
		return append(d, e.Citation, e.Title, e.Kind, e.Requirement, e.Category, e.Standard, e.StatusLabel,
			e.Narrative, e.NAReason, e.Owner, e.Target, x.evidenceNames(e.Evidence), decided)
	}}
}

func (x *xlWriter) inventory() xlTable {
	m := x.m
	cols := []xlCol{
		{"ID", 7, xlNumber}, {"Asset", 30, xlWrap}, {"Class", 9, xlText}, {"Kind", 22, xlText},
		{"Owner", 20, xlText}, {"Place", 20, xlText}, {"Location", 20, xlWrap}, {"ePHI", 30, xlWrap},
		{"Records", 10, xlNumber}, {"Use of ePHI", 28, xlWrap}, {"Encrypted at rest", 10, xlText},
		{"Hosting", 16, xlText}, {"Vendor", 18, xlText}, {"Criticality", 11, xlText}, {"Lifecycle", 11, xlText},
		{"Last reviewed", 13, xlDate}, {"Notes", 40, xlWrap}, {"ePHI unencrypted", 11, xlText},
	}
	return xlTable{name: SheetInventory, cols: cols, n: len(m.Assets), row: func(i int, d []any) []any {
		a := &m.Assets[i]
		return append(d, a.ID, a.Name, a.Class, a.Kind, a.Owner, a.Place, a.Location, strings.Join(a.EPHI, "; "),
			a.Records, a.Use, a.AtRest, a.Hosting, a.Vendor, a.Criticality, a.Lifecycle, a.Reviewed, a.Notes, xlYes(a.Exposed))
	}}
}

func (x *xlWriter) flows() xlTable {
	m := x.m
	cols := []xlCol{
		{"ID", 7, xlNumber}, {"From", 30, xlWrap}, {"To", 30, xlWrap}, {"Channel", 18, xlText},
		{"Encrypted in transit", 11, xlText}, {"Frequency", 14, xlText}, {"Volume", 18, xlText},
		{"Description", 50, xlWrap}, {"Unencrypted", 11, xlText},
	}
	return xlTable{name: SheetFlows, cols: cols, n: len(m.Flows), row: func(i int, d []any) []any {
		fl := &m.Flows[i]
		return append(d, fl.ID, fl.From, fl.To, fl.Channel, fl.InTransit, fl.Frequency, fl.Volume, fl.Description, xlYes(fl.Exposed))
	}}
}
