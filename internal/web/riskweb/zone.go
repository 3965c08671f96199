package riskweb

import (
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
)

// Times and dates on the risk pages. An instant (when a task was done, an
// analysis signed off) shows in the time zone of the organisation it
// belongs to, the way the kernel's date template function shows it on an
// organisation's pages; a calendar date (a task's due date, kept as
// midnight UTC) shows as that day whatever the zone (web.Day).

// zoneOf is org's time zone, UTC when it has none or one this system does
// not know.
func zoneOf(org identity.Org) *time.Location {
	if org.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// dateIn is instant t to the minute in loc, as the pages' date function
// writes it: "4 Nov 2025 16:24 EST"; empty for none.
func dateIn(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2 Jan 2006 15:04 MST")
}

// dayIn is the day on which instant t fell in loc: "4 November 2025";
// empty for none.
func dayIn(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2 January 2006")
}
