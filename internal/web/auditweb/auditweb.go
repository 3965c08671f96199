// Package auditweb serves the audit log: an organisation's to its auditors,
// the whole deployment's to platform administrators, each entry with its
// inclusion proof, and the verification of the whole log against the
// signed checkpoints, run in the background.
package auditweb

import (
	"embed"
	"io/fs"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Handler serves the audit log's pages and API.
type Handler struct {
	s *web.Server
}

// New returns the audit log capability.
func New() *Handler { return &Handler{} }

//go:embed all:templates
var templates embed.FS

// Templates returns the audit log's pages.
func (h *Handler) Templates() fs.FS { return web.TemplatesIn(templates) }

// Register adds the audit log's routes to s.
func (h *Handler) Register(s *web.Server) {
	h.s = s
	audit, admin := identity.PermOrgAudit, identity.PermAdmin
	s.Route("GET /orgs/{org}/audit", audit, h.orgAuditPage)
	s.Route("GET /orgs/{org}/audit/{seq}", audit, h.orgAuditEntry)
	s.Route("GET /api/v1/orgs/{org}/audit", audit, h.orgAuditPage)
	s.Route("GET /api/v1/orgs/{org}/audit/{seq}", audit, h.orgAuditEntry)
	s.Route("GET /admin/audit", admin, h.adminAuditPage)
	s.Route("GET /admin/audit/{seq}", admin, h.adminAuditEntry)
	s.Route("GET /api/v1/audit", admin, h.adminAuditPage)
	s.Route("GET /api/v1/audit/{seq}", admin, h.adminAuditEntry)
	s.Route("POST /orgs/{org}/audit/verify", audit, h.orgAuditVerifyStart)
	s.Route("GET /orgs/{org}/audit/verify", audit, h.auditVerifyStatus)
	s.Route("POST /admin/audit/verify", admin, h.adminAuditVerifyStart)
	s.Route("GET /admin/audit/verify", admin, h.auditVerifyStatus)
	s.Route("POST /api/v1/audit/verify", admin, h.adminAuditVerifyStart)
	s.Route("GET /api/v1/audit/verify", admin, h.auditVerifyStatus)
}
