package riskweb

import "strconv"

// Text helpers of the data-flow map; escaping and ids are the kernel's
// (web.SVGEscape, web.SVGID).

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
