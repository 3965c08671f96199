// Package assetfile reads and writes the ePHI inventory as a spreadsheet
// (CSV or XLSX): the import with its column mapping and dry run, the export,
// and the empty template with columns modelled on the asset list of HHS's
// Security Risk Assessment Tool (issue 13).
//
// Read never saves anything: it is the dry run. It returns every asset it
// could read beside every problem it found (row, column, message), so that
// a caller saves all the assets or none. Owners are given in the file as
// email addresses and resolved through a function the caller passes; this
// package knows nothing of members or of the store.
//
// It lives apart from package risk because it depends on an XLSX library,
// which a domain package may not.
package assetfile

import (
	"slices"
	"strings"
	"unicode"
)

// Column is one field of an asset that a column of the file fills.
type Column string

// The columns, in the template's order.
const (
	ColName        Column = "name"
	ColKind        Column = "kind"
	ColLocation    Column = "location"
	ColOwner       Column = "owner"
	ColEPHI        Column = "ephi"
	ColRecords     Column = "records"
	ColCreates     Column = "creates"
	ColReceives    Column = "receives"
	ColMaintains   Column = "maintains"
	ColTransmits   Column = "transmits"
	ColAtRest      Column = "encrypted_at_rest"
	ColHosting     Column = "hosting"
	ColVendor      Column = "vendor"
	ColCriticality Column = "criticality"
	ColLifecycle   Column = "lifecycle"
	ColReviewed    Column = "last_reviewed"
	ColNotes       Column = "notes"
	// ColUse is one column naming what happens to ePHI there ("creates,
	// maintains" or "C/M"), for files that do not split it in four. The
	// template never writes it.
	ColUse Column = "use"
)

// column is what the package knows of a column: the header the template
// and the export write, what to enter (for the template's instructions),
// and the other headers that name it in files people bring.
type column struct {
	col      Column
	header   string
	help     string
	synonyms []string
}

var columns = []column{
	{ColName, "Asset name", "Required. What the practice calls it: \"Cloud EHR\", \"Front desk PC 2\".",
		[]string{"asset", "name", "asset or system name", "system name", "system", "device name", "application"}},
	{ColKind, "Type", "Required. One of the types listed below, in words or as its code.",
		[]string{"asset type", "kind", "category", "asset category", "device type", "system type"}},
	{ColLocation, "Location", "Where it is: a site, a room, or \"cloud\".",
		[]string{"asset location", "site", "where", "physical location", "room"}},
	{ColOwner, "Owner (email)", "The email address of the member responsible for it.",
		[]string{"owner", "asset owner", "owner email", "responsible", "responsible person", "custodian", "system owner"}},
	{ColEPHI, "Kinds of ePHI", "What ePHI it holds, separated by semicolons: \"clinical notes; billing\".",
		[]string{"ephi", "ephi held", "ephi types", "types of ephi", "type of ephi", "phi", "data types", "data held", "ephi data"}},
	{ColRecords, "Approximate records", "About how many patients' records it holds: a whole number.",
		[]string{"records", "number of records", "record count", "records count", "approx records", "approximate number of records", "no of records", "patients"}},
	{ColCreates, "Creates ePHI", "Yes or No.", []string{"creates", "create", "ephi created"}},
	{ColReceives, "Receives ePHI", "Yes or No.", []string{"receives", "receive", "ephi received"}},
	{ColMaintains, "Maintains ePHI", "Yes or No: it stores ePHI.", []string{"maintains", "maintain", "stores", "stores ephi", "ephi maintained", "ephi stored"}},
	{ColTransmits, "Transmits ePHI", "Yes or No.", []string{"transmits", "transmit", "sends", "ephi transmitted"}},
	{ColAtRest, "Encrypted at rest", "Yes, Partly, No or Not known.",
		[]string{"encrypted", "encryption", "encryption at rest", "at rest encryption", "is encrypted", "ephi encrypted", "data encrypted"}},
	{ColHosting, "Hosting", "On site, Cloud, or Business associate (a vendor runs it for you).",
		[]string{"hosted", "hosting type", "where hosted", "hosted by", "deployment"}},
	{ColVendor, "Vendor", "The company that supplies or runs it.",
		[]string{"vendor name", "supplier", "business associate", "manufacturer", "provider", "hosting vendor"}},
	{ColCriticality, "Criticality", "Low, Medium or High: how much the practice depends on it.",
		[]string{"critical", "importance", "priority", "business criticality", "asset criticality"}},
	{ColLifecycle, "Status", "Active, Planned or Retired.",
		[]string{"lifecycle", "lifecycle status", "state", "asset status", "in use"}},
	{ColReviewed, "Last reviewed", "The date it was last reviewed, as 2025-03-31.",
		[]string{"reviewed", "review date", "last review", "last review date", "date reviewed"}},
	{ColNotes, "Notes", "Anything else worth knowing.",
		[]string{"note", "comments", "comment", "description", "remarks"}},
	{ColUse, "Creates/receives/maintains/transmits", "",
		[]string{"use", "ephi use", "c r m t", "crmt", "creates receives maintains transmits", "creates receives maintains or transmits"}},
}

// Columns lists the columns the template writes, in its order.
func Columns() []Column {
	out := []Column{}
	for _, c := range columns {
		if c.col != ColUse {
			out = append(out, c.col)
		}
	}
	return out
}

// Header is the header the template and the export write for c.
func (c Column) Header() string {
	for _, x := range columns {
		if x.col == c {
			return x.header
		}
	}
	return string(c)
}

func known(c Column) bool {
	return slices.ContainsFunc(columns, func(x column) bool { return x.col == c })
}

// headerKey folds a header for matching: lower case, letters and digits
// only, single spaces ("Owner (email)*" → "owner email").
func headerKey(h string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(strings.TrimPrefix(h, "\uFEFF")) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space = false
		} else {
			space = true
		}
	}
	return b.String()
}

// detect maps the headers of a file to columns: by the template's header,
// the column's code, or a synonym; the first header naming a column wins.
func detect(headers []string) map[Column]int {
	byKey := map[string]Column{}
	for _, c := range columns {
		for _, k := range append([]string{c.header, string(c.col)}, c.synonyms...) {
			byKey[headerKey(k)] = c.col
		}
	}
	found := map[Column]int{}
	for i, h := range headers {
		c, ok := byKey[headerKey(h)]
		if !ok {
			continue
		}
		if _, dup := found[c]; !dup {
			found[c] = i
		}
	}
	return found
}
