package riskweb

import "github.com/safeguard-health/safeguard/internal/web"

// The inventory: assets, flows, the rating scale, the organisation's own
// threats and vulnerabilities.

func (h *Handler) registerInventory(s *web.Server) {}
