package riskweb

import "github.com/safeguard-health/safeguard/internal/web"

// The register and the plan: risks, their ratings and treatments, tasks.

func (h *Handler) registerRegister(s *web.Server) {}
