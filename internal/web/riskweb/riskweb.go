// Package riskweb serves the risk analysis and risk management of
// §164.308(a)(1)(ii)(A)-(B): the ePHI inventory and its data-flow map, the
// organisation's rating scale, threats and vulnerabilities, the risk
// register and its heat map, and the risk management plan — pages and the
// JSON API side by side (issue 13).
//
// The capability is built in parts, each in files of its own: the inventory
// (assets, flows, scales, the organisation's own threats and
// vulnerabilities: inventory*.go) and the register and plan (risks, tasks:
// register*.go). Its SVG drawings (the data-flow map, the heat map) come
// from internal/draw, which the reports share.
package riskweb

import (
	"embed"
	"io/fs"

	"github.com/safeguard-health/safeguard/internal/web"
)

// Handler serves the risk analysis's pages and API.
type Handler struct {
	s *web.Server
}

// New returns the risk analysis capability.
func New() *Handler { return &Handler{} }

//go:embed all:templates
var templates embed.FS

// Templates returns the risk analysis's pages.
func (h *Handler) Templates() fs.FS { return web.TemplatesIn(templates) }

// Register adds the risk analysis's routes to s.
func (h *Handler) Register(s *web.Server) {
	h.s = s
	h.registerInventory(s)
	h.registerImport(s)
	h.registerRegister(s)
	h.registerRerate(s)
	h.registerTaskEvidence(s)
	h.registerAnalyses(s)
}
