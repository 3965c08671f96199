package riskweb

import (
	"hash/fnv"
	"html/template"
	"strconv"
	"strings"
)

// Text helpers of the SVG drawings drawn in this package (the data-flow map).

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// esc escapes s for SVG text and attributes, dropping the control
// characters XML does not allow.
func esc(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)
	return template.HTMLEscapeString(s) // strings.Map turned invalid UTF-8 into U+FFFD
}

// shortHash names an SVG's ids after its content, so that two drawings on
// one page do not share ids and the same drawing keeps its ids.
func shortHash(s string) string {
	h := fnv.New32a()
	h.Write([]byte(s))
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}
