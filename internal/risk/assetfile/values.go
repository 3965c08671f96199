package assetfile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/risk"
)

// The words people write in each column, folded by headerKey, and what
// they mean. Each parser returns a message for the person who wrote the
// file when it cannot read a value.

var kindWords = map[string]risk.Kind{
	"emr": "ehr", "ehr": "ehr", "electronic medical record": "ehr", "electronic health record": "ehr", "health record": "ehr",
	"billing": "practice_management", "practice management": "practice_management", "pm": "practice_management", "billing system": "practice_management",
	"email": "email", "e mail": "email", "mail": "email",
	"portal": "portal", "patient portal": "portal",
	"interface": "interface", "hl7": "interface", "lab interface": "interface",
	"backup": "backup", "backups": "backup",
	"file share": "file_share", "file server": "file_share", "document store": "file_share", "shared drive": "file_share",
	"fax": "fax", "fax to email": "fax", "efax": "fax",
	"cloud": "cloud_service", "cloud service": "cloud_service", "saas": "cloud_service",
	"application": "application", "software": "application", "app": "application", "system": "application",
	"server":      "server",
	"workstation": "workstation", "desktop": "workstation", "pc": "workstation", "computer": "workstation",
	"laptop": "laptop", "notebook": "laptop",
	"phone": "phone", "smartphone": "phone", "mobile": "phone", "mobile phone": "phone", "cell phone": "phone",
	"tablet": "tablet", "ipad": "tablet",
	"removable media": "removable_media", "usb": "removable_media", "usb drive": "removable_media", "usb stick": "removable_media",
	"external drive": "removable_media", "external hard drive": "removable_media", "disc": "removable_media", "cd": "removable_media", "dvd": "removable_media",
	"medical device": "medical_device", "medical equipment": "medical_device", "biomedical device": "medical_device",
	"network device": "network_device", "router": "network_device", "firewall": "network_device", "switch": "network_device", "wi fi": "network_device", "wifi": "network_device",
	"printer": "printer", "scanner": "printer", "copier": "printer", "multifunction printer": "printer",
	"site": "site", "building": "site", "clinic": "site", "office": "site",
	"room": "room", "server room": "room", "server closet": "room", "records room": "room",
}

func parseKind(s string) (risk.Kind, string) {
	k := headerKey(s)
	for _, kind := range risk.Kinds() {
		if k == headerKey(string(kind)) || k == headerKey(kind.Label()) {
			return kind, ""
		}
	}
	if kind, ok := kindWords[k]; ok {
		return kind, ""
	}
	if k == "" {
		return "", "is required: say what sort of asset it is (for example Laptop, Server, Electronic health record)"
	}
	return "", fmt.Sprintf("%q is not a type Safeguard knows; use one of: %s", s, kindList())
}

func kindList() string {
	var out []string
	for _, k := range risk.Kinds() {
		out = append(out, k.Label())
	}
	return strings.Join(out, "; ")
}

func parseBool(s string) (bool, string) {
	switch headerKey(s) {
	case "", "no", "n", "false", "0", "none", "not":
		return false, ""
	case "yes", "y", "true", "1", "x":
		return true, ""
	}
	if strings.TrimSpace(s) == "✓" || strings.TrimSpace(s) == "✔" {
		return true, ""
	}
	return false, fmt.Sprintf("%q is not Yes or No", s)
}

func parseEncryption(s string) (risk.Encryption, string) {
	switch headerKey(s) {
	case "", "unknown", "not known", "don t know", "dont know", "unsure", "n a", "na":
		return risk.EncryptionUnknown, ""
	case "yes", "y", "true", "1", "encrypted", "full", "fully", "fully encrypted":
		return risk.EncryptionYes, ""
	case "no", "n", "false", "0", "not encrypted", "none", "unencrypted":
		return risk.EncryptionNo, ""
	case "partial", "partly", "partially", "some", "partly encrypted", "partially encrypted":
		return risk.EncryptionPartial, ""
	}
	if strings.TrimSpace(s) == "?" {
		return risk.EncryptionUnknown, ""
	}
	return "", fmt.Sprintf("%q is not Yes, Partly, No or Not known", s)
}

func parseHosting(s string) (risk.Hosting, string) {
	switch headerKey(s) {
	case "":
		return "", ""
	case "on site", "onsite", "on premises", "on premise", "on prem", "onprem", "local", "in house", "in office", "office":
		return risk.HostingOnSite, ""
	case "cloud", "cloud service", "saas", "hosted", "internet", "online":
		return risk.HostingCloud, ""
	case "business associate", "run by a business associate", "ba", "vendor", "third party", "outsourced", "vendor hosted":
		return risk.HostingBusinessAssociate, ""
	}
	for _, h := range risk.Hostings() {
		if headerKey(string(h)) == headerKey(s) {
			return h, ""
		}
	}
	return "", fmt.Sprintf("%q is not On site, Cloud or Business associate", s)
}

func parseCriticality(s string) (risk.Criticality, string) {
	switch headerKey(s) {
	case "":
		return "", ""
	case "low", "l", "1", "minor":
		return risk.CriticalityLow, ""
	case "medium", "med", "m", "2", "moderate", "normal":
		return risk.CriticalityMedium, ""
	case "high", "h", "3", "critical", "essential", "very high":
		return risk.CriticalityHigh, ""
	}
	return "", fmt.Sprintf("%q is not Low, Medium or High", s)
}

func parseLifecycle(s string) (risk.Lifecycle, string) {
	switch headerKey(s) {
	case "":
		return "", ""
	case "active", "in use", "live", "current", "yes", "in service", "production":
		return risk.LifecycleActive, ""
	case "planned", "plan", "future", "being set up", "not yet in use", "proposed":
		return risk.LifecyclePlanned, ""
	case "retired", "disposed", "decommissioned", "inactive", "no longer used", "out of service", "destroyed":
		return risk.LifecycleRetired, ""
	}
	return "", fmt.Sprintf("%q is not Active, Planned or Retired", s)
}

// parseRecords reads a whole number as people write it: "1,200",
// "1 200", "~1200".
func parseRecords(s string) (int, string) {
	t := strings.TrimSpace(s)
	t = strings.TrimLeft(t, "~≈")
	t = strings.NewReplacer(",", "", " ", "", "_", "", "\u00a0", "").Replace(t)
	if t == "" {
		return 0, ""
	}
	// A spreadsheet may store a whole number as "1200.0" or "1.2E+3".
	if f, err := strconv.ParseFloat(t, 64); err == nil && strings.ContainsAny(t, ".eE") {
		if f == float64(int64(f)) && f >= 0 && f <= 1_000_000_000 {
			return int(f), ""
		}
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > 1_000_000_000 {
		return 0, fmt.Sprintf("%q is not a whole number from 0 to 1,000,000,000", s)
	}
	return n, ""
}

// parseList splits the kinds of ePHI on semicolons, commas and line breaks.
func parseList(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == '\n' || r == '\r' })
	out := []string{}
	for _, x := range f {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// parseUse reads a combined column: "creates, maintains", "C/R/M/T",
// "CM".
func parseUse(s string) (risk.Use, string) {
	var u risk.Use
	words := strings.Fields(headerKey(s))
	if len(words) == 1 && len(words[0]) <= 4 && strings.Trim(words[0], "crmt") == "" {
		words = strings.Split(words[0], "")
	}
	for _, w := range words {
		switch w {
		case "c", "create", "creates", "created":
			u.Creates = true
		case "r", "receive", "receives", "received":
			u.Receives = true
		case "m", "maintain", "maintains", "maintained", "store", "stores", "stored":
			u.Maintains = true
		case "t", "transmit", "transmits", "transmitted", "send", "sends":
			u.Transmits = true
		case "and", "or", "none", "no":
		default:
			return u, fmt.Sprintf("%q is not a list of creates, receives, maintains, transmits", s)
		}
	}
	return u, ""
}

var dateLayouts = []string{"2006-01-02", "1/2/2006", "01/02/2006", "2006/01/02", "2 Jan 2006", "Jan 2, 2006", "January 2, 2006", "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05"}

// parseDate reads a date as people and spreadsheets write it; a plain
// number is a spreadsheet's serial date (days since 30 December 1899).
func parseDate(s string) (time.Time, string) {
	t := strings.TrimSpace(s)
	if t == "" {
		return time.Time{}, ""
	}
	for _, l := range dateLayouts {
		if d, err := time.Parse(l, t); err == nil {
			return d.UTC(), ""
		}
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && f >= 1 && f < 2958466 {
		d := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(f))
		return d, ""
	}
	return time.Time{}, fmt.Sprintf("%q is not a date; write it as 2025-03-31", s)
}

// unguard removes the apostrophe the export puts before a value a
// spreadsheet would read as a formula ("'=1+2").
func unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		return s[1:]
	}
	return s
}

// guard puts an apostrophe before a value a spreadsheet would run as a
// formula, so that an exported file cannot carry one.
func guard(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

var errTooLarge = errors.New("the file is too large")
