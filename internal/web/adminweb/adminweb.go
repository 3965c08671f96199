// Package adminweb serves platform administration: the deployment's users
// (creation with an invitation link, disabling, password resets) and its
// organisations. Every route needs a platform administrator.
package adminweb

import (
	"embed"
	"io/fs"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Handler serves the administration pages and API.
type Handler struct {
	s *web.Server
}

// New returns the platform administration capability.
func New() *Handler { return &Handler{} }

//go:embed all:templates
var templates embed.FS

// Templates returns the administration pages.
func (h *Handler) Templates() fs.FS { return web.TemplatesIn(templates) }

// Register adds the administration routes to s.
func (h *Handler) Register(s *web.Server) {
	h.s = s
	admin := identity.PermAdmin
	s.Route("GET /admin/users", admin, h.adminUsersPage)
	s.Route("POST /admin/users", admin, h.adminUserCreate)
	s.Route("POST /admin/users/{id}/disable", admin, h.adminUserDisable)
	s.Route("POST /admin/users/{id}/enable", admin, h.adminUserEnable)
	s.Route("POST /admin/users/{id}/reset-password", admin, h.adminUserReset)
	s.Route("POST /api/v1/admin/users/{id}/reset-password", admin, h.adminUserReset)
	s.Route("GET /admin/orgs", admin, h.adminOrgsPage)
	s.Route("POST /admin/orgs", admin, h.adminOrgCreate)
	s.Route("GET /api/v1/admin/users", admin, h.apiAdminUsers)
	s.Route("POST /api/v1/admin/users", admin, h.apiAdminUserCreate)
	s.Route("POST /api/v1/admin/users/{id}/disable", admin, h.adminUserDisable)
	s.Route("POST /api/v1/admin/users/{id}/enable", admin, h.adminUserEnable)
	s.Route("POST /api/v1/admin/orgs", admin, h.apiAdminOrgCreate)
}
