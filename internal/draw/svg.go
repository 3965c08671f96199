package draw

import (
	"hash/fnv"
	"html/template"
	"strconv"
	"strings"
)

// Escape escapes s for SVG text and attributes, dropping the control
// characters XML does not allow.
func Escape(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)
	return template.HTMLEscapeString(s) // strings.Map turned invalid UTF-8 into U+FFFD
}

// ID names a drawing's ids after its content, so that two drawings on one
// page do not share ids and the same drawing keeps its ids.
func ID(s string) string {
	h := fnv.New32a()
	h.Write([]byte(s))
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
