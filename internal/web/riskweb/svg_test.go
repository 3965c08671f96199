package riskweb

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
)

// svgNode is a parsed SVG element, enough to check what a drawing holds.
type svgNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []svgNode  `xml:",any"`
}

func (n svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n svgNode) num(t testing.TB, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return v
}

// walk calls f on n and each element beneath it, with the element's parent.
func (n svgNode) walk(parent *svgNode, f func(n, parent *svgNode)) {
	f(&n, parent)
	for _, c := range n.Children {
		c.walk(&n, f)
	}
}

// text is the character data of n and everything beneath it.
func (n svgNode) text() string {
	var b strings.Builder
	n.walk(nil, func(m, _ *svgNode) { b.WriteString(m.Text) })
	return b.String()
}

func parseSVG(t testing.TB, s string) svgNode {
	t.Helper()
	var root svgNode
	if err := xml.Unmarshal([]byte(s), &root); err != nil {
		t.Fatalf("the drawing is not well-formed XML: %v\n%s", err, s[:min(len(s), 2000)])
	}
	if root.XMLName.Local != "svg" {
		t.Fatalf("root element = %q, want svg", root.XMLName.Local)
	}
	return root
}
