// Package auditweb serves the audit log: an organisation's to its auditors,
// the whole deployment's to platform administrators, each entry with its
// inclusion proof, and the verification of the whole log against the
// signed checkpoints, run in the background.
package auditweb

import (
	"embed"
	"io/fs"
	"net/http"

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
	s.Doc("GET /api/v1/orgs/{org}/audit", web.APIDoc{Summary: "The organisation's audit log, newest first (reading it is recorded)", Response: auditEntryJSON{}, List: true, Query: auditQuery})
	s.Route("GET /api/v1/orgs/{org}/audit/{seq}", audit, h.orgAuditEntry)
	s.Doc("GET /api/v1/orgs/{org}/audit/{seq}", web.APIDoc{Summary: "One entry of the organisation's audit log", Response: auditEntryJSON{}})
	s.Route("GET /admin/audit", admin, h.adminAuditPage)
	s.Route("GET /admin/audit/{seq}", admin, h.adminAuditEntry)
	s.Route("GET /api/v1/audit", admin, h.adminAuditPage)
	s.Doc("GET /api/v1/audit", web.APIDoc{Summary: "The whole platform's audit log, newest first", Response: auditEntryJSON{}, List: true, Query: auditQuery})
	s.Route("GET /api/v1/audit/{seq}", admin, h.adminAuditEntry)
	s.Doc("GET /api/v1/audit/{seq}", web.APIDoc{Summary: "One entry of the audit log", Response: auditEntryJSON{}})
	s.Route("POST /orgs/{org}/audit/verify", audit, h.orgAuditVerifyStart)
	s.Route("GET /orgs/{org}/audit/verify", audit, h.auditVerifyStatus)
	s.Route("POST /admin/audit/verify", admin, h.adminAuditVerifyStart)
	s.Route("GET /admin/audit/verify", admin, h.auditVerifyStatus)
	s.Route("POST /api/v1/audit/verify", admin, h.adminAuditVerifyStart)
	s.Doc("POST /api/v1/audit/verify", web.APIDoc{Summary: "Start verifying the audit log's hash chain and signed checkpoints", Response: verifyStatus{}, Status: http.StatusAccepted})
	s.Route("GET /api/v1/audit/verify", admin, h.auditVerifyStatus)
	s.Doc("GET /api/v1/audit/verify", web.APIDoc{Summary: "How the latest verification of the audit log went, or how far it is", Response: verifyStatus{}})
}

// auditQuery are the filters the audit log's API reads.
var auditQuery = []web.Param{
	{Name: "actor", Description: "who acted: a name or an email"},
	{Name: "action", Description: "what was done, such as risk.update"},
	{Name: "object", Description: "what it was done to, such as risk:12, or an email"},
	{Name: "from", Description: "from this day or time (2026-11-22)"},
	{Name: "to", Description: "up to and including this day"},
	{Name: "reads", Description: "hide: leave out the records of reading the log"},
}
