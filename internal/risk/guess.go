package risk

import (
	"strings"
	"unicode"
)

// KindFromName guesses the kind of an asset known only by its name, such as
// a system listed in free text in the assessment profile ("Cloud EHR",
// "Patient portal", "Front desk laptop"); a name that says nothing more is
// an application. A person reviews the guess in the inventory.
func KindFromName(name string) Kind {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	has := func(ws ...string) bool {
		for _, w := range words {
			for _, x := range ws {
				if w == x {
					return true
				}
			}
		}
		return false
	}
	// The device words come first: "EHR laptop" is a laptop.
	switch {
	case has("laptop", "laptops", "notebook"):
		return "laptop"
	case has("phone", "phones", "smartphone", "iphone", "mobile"):
		return "phone"
	case has("tablet", "tablets", "ipad"):
		return "tablet"
	case has("usb", "drive", "disk", "disc", "media"):
		return "removable_media"
	case has("server", "servers", "nas"):
		return "server"
	case has("workstation", "workstations", "desktop", "pc", "pcs"):
		return "workstation"
	case has("ehr", "emr", "record", "records"):
		return "ehr"
	case has("portal"):
		return "portal"
	case has("email", "mail"):
		if has("fax") {
			return "fax"
		}
		return "email"
	case has("fax", "efax"):
		return "fax"
	case has("backup", "backups"):
		return "backup"
	case has("billing", "scheduling", "pm"):
		return "practice_management"
	case has("hl7", "interface", "lab"):
		return "interface"
	}
	return "application"
}
