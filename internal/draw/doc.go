// Package draw draws the pictures Safeguard makes on the server — the risk
// heat map, the posture bar chart, the data-flow map — so that the web
// pages and every report format show the same drawing from the same
// numbers.
//
// Each drawing is a pure function of its input: the same input gives the
// same bytes. The SVG uses presentation attributes only (the web's content
// security policy forbids inline styles). Where a renderer draws with its
// own primitives (a PDF), the drawing's geometry is exported alongside the
// SVG: the flow map's [Map.Layout], the bar chart's [BarChart] rows and
// segments.
//
// The package imports the standard library and the risk domain package
// only; it knows nothing of HTTP, storage or templates beyond the
// template.HTML type its SVG is returned as.
package draw
