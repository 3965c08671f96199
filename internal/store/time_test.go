package store

import (
	"testing"
	"time"
)

// TestParseSQLTime holds the quick parser to time.Parse on the layouts it
// takes, and to refusing what it does not.
func TestParseSQLTime(t *testing.T) {
	const layout = "2006-01-02 15:04:05.999999999-07:00"
	for _, s := range []string{
		"2026-12-04 18:33:34.123456+00:00",
		"2026-12-04 18:33:34+00:00",
		"2026-12-04 18:33:34.1-05:30",
		"2024-02-29 23:59:59.999999999+14:00",
		"1970-01-01 00:00:00+00:00",
	} {
		want, err := time.Parse(layout, s)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := parseSQLTime(s)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseSQLTime(%q) = %v, %v; want %v", s, got, ok, want.UTC())
		}
	}
	for _, s := range []string{
		"", "2026-12-04", "2026-13-04 18:33:34+00:00", "2026-02-30 18:33:34+00:00", "2026-12-04 24:00:00+00:00",
		"2026-12-04 18:33:34.+00:00", "2026-12-04 18:33:34.1234567890+00:00", "2026-12-04 18:33:34+0000",
		"2026-12-04 18:33:3x+00:00", "2026-12-04 18:33:34 UTC",
	} {
		if got, ok := parseSQLTime(s); ok {
			t.Errorf("parseSQLTime(%q) = %v, true; want false", s, got)
		}
	}
	for _, s := range []string{"2026-12-04 18:33:34Z", "2026-12-04T18:33:34.5Z"} {
		got, ok := parseSQLTime(s)
		want, _ := time.Parse(time.RFC3339Nano, s[:10]+"T"+s[11:])
		if !ok || !got.Equal(want) {
			t.Errorf("parseSQLTime(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
}
