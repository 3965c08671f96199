package assetfile

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/xuri/excelize/v2"
)

// The export writes the template's columns, in words a person reads and
// Read reads back: an exported file imports unchanged.

// Sheet names of the XLSX files.
const (
	SheetAssets = "Assets"
	SheetHelp   = "How to fill in"
)

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func encryptionWord(e risk.Encryption) string {
	switch e {
	case risk.EncryptionYes:
		return "Yes"
	case risk.EncryptionPartial:
		return "Partly"
	case risk.EncryptionNo:
		return "No"
	}
	return "Not known"
}

func hostingWord(h risk.Hosting) string {
	switch h {
	case risk.HostingCloud:
		return "Cloud"
	case risk.HostingBusinessAssociate:
		return "Business associate"
	}
	return "On site"
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// cells is a's row, in the order of Columns, with owner(a.OwnerID) as its
// owner's email.
func cells(a risk.Asset, owner func(int64) string) []any {
	email := ""
	if a.OwnerID != 0 && owner != nil {
		email = owner(a.OwnerID)
	}
	reviewed := ""
	if !a.Reviewed.IsZero() {
		reviewed = a.Reviewed.UTC().Format("2006-01-02")
	}
	return []any{
		a.Name, a.Kind.Label(), a.Location, email, strings.Join(a.EPHI, "; "), a.Records,
		yesNo(a.Use.Creates), yesNo(a.Use.Receives), yesNo(a.Use.Maintains), yesNo(a.Use.Transmits),
		encryptionWord(a.AtRest), hostingWord(a.Hosting), a.Vendor, upperFirst(string(a.Criticality)),
		upperFirst(string(a.Lifecycle)), reviewed, a.Notes,
	}
}

func headers() []string {
	var out []string
	for _, c := range Columns() {
		out = append(out, c.Header())
	}
	return out
}

// WriteCSV writes assets as CSV with the template's header row; owner gives
// the email of a member by ID (nil leaves owners out). A value a
// spreadsheet would run as a formula is written with an apostrophe before
// it, which Read removes.
func WriteCSV(w io.Writer, assets []risk.Asset, owner func(memberID int64) string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(headers()); err != nil {
		return err
	}
	rec := make([]string, len(Columns()))
	for _, a := range assets {
		for i, v := range cells(a, owner) {
			switch v := v.(type) {
			case string:
				rec[i] = guard(v)
			case int:
				rec[i] = strconv.Itoa(v)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes assets as an XLSX workbook: one worksheet with a frozen
// bold header row, filters on every column and widths to read by; then the
// sheet of instructions. It streams the rows.
func WriteXLSX(w io.Writer, assets []risk.Asset, owner func(memberID int64) string) error {
	return writeXLSX(w, func(row func([]any) error) error {
		for _, a := range assets {
			if err := row(cells(a, owner)); err != nil {
				return err
			}
		}
		return nil
	}, len(assets))
}

// WriteTemplate writes the empty template in format f: the header row, and
// in XLSX a second sheet saying what to enter in each column.
func WriteTemplate(w io.Writer, f Format) error {
	if f == XLSX {
		return writeXLSX(w, func(func([]any) error) error { return nil }, 0)
	}
	return WriteCSV(w, nil, nil)
}

// widths are the column widths of the XLSX files, in characters.
var widths = map[Column]float64{
	ColName: 30, ColKind: 26, ColLocation: 20, ColOwner: 28, ColEPHI: 30, ColRecords: 12,
	ColCreates: 10, ColReceives: 10, ColMaintains: 11, ColTransmits: 11, ColAtRest: 12,
	ColHosting: 18, ColVendor: 20, ColCriticality: 11, ColLifecycle: 10, ColReviewed: 13, ColNotes: 40,
}

func writeXLSX(w io.Writer, rows func(row func([]any) error) error, n int) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := f.SetSheetName("Sheet1", SheetAssets); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#E8EEF4"}}})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(SheetAssets)
	if err != nil {
		return err
	}
	cols := Columns()
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, widths[c]); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	head := make([]any, len(cols))
	for i, h := range headers() {
		head[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	r := 1
	err = rows(func(v []any) error {
		r++
		for i := range v {
			v[i] = excelize.Cell{StyleID: wrap, Value: v[i]}
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		return sw.SetRow(cell, v)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(cols), max(r, 2))
	if err := f.AutoFilter(SheetAssets, "A1:"+last, nil); err != nil {
		return fmt.Errorf("filters: %w", err)
	}
	if err := helpSheet(f, bold, wrap); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// helpSheet says what to enter in each column, and lists the types.
func helpSheet(f *excelize.File, bold, wrap int) error {
	if _, err := f.NewSheet(SheetHelp); err != nil {
		return err
	}
	set := func(cell string, v any, style int) error {
		if err := f.SetCellValue(SheetHelp, cell, v); err != nil {
			return err
		}
		return f.SetCellStyle(SheetHelp, cell, cell, style)
	}
	if err := set("A1", "Column", bold); err != nil {
		return err
	}
	if err := set("B1", "What to enter", bold); err != nil {
		return err
	}
	r := 2
	for _, c := range columns {
		if c.col == ColUse {
			continue
		}
		if err := set(fmt.Sprintf("A%d", r), c.header, wrap); err != nil {
			return err
		}
		if err := set(fmt.Sprintf("B%d", r), c.help, wrap); err != nil {
			return err
		}
		r++
	}
	r++
	if err := set(fmt.Sprintf("A%d", r), "Types", bold); err != nil {
		return err
	}
	for _, k := range risk.Kinds() {
		r++
		if err := set(fmt.Sprintf("A%d", r), k.Label(), wrap); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(SheetHelp, "A", "A", 40); err != nil {
		return err
	}
	return f.SetColWidth(SheetHelp, "B", "B", 80)
}
