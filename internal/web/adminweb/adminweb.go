// Package adminweb serves platform administration: the deployment's users
// (creation with an invitation link, disabling, password resets) and its
// organisations. Every route needs a platform administrator.
package adminweb

import (
	"embed"
	"io/fs"
	"net/http"

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
	s.Doc("POST /api/v1/admin/users/{id}/reset-password", web.APIDoc{Summary: "Clear a user's password and end their sessions; answers the link to choose a new one", Response: userJSON{}})
	s.Route("GET /admin/orgs", admin, h.adminOrgsPage)
	s.Route("POST /admin/orgs", admin, h.adminOrgCreate)
	s.Route("GET /api/v1/admin/users", admin, h.apiAdminUsers)
	s.Doc("GET /api/v1/admin/users", web.APIDoc{Summary: "Every user of the platform", Response: userJSON{}, List: true})
	s.Route("POST /api/v1/admin/users", admin, h.apiAdminUserCreate)
	s.Doc("POST /api/v1/admin/users", web.APIDoc{Summary: "Add a user, optionally to an organisation; answers their invitation link", Request: adminUserRequest{}, Response: userJSON{}, Status: http.StatusCreated,
		Example: adminUserRequest{Email: "new.user@example.org", Name: "New User", Org: "riverside", Role: "viewer"}})
	s.Route("POST /api/v1/admin/users/{id}/disable", admin, h.adminUserDisable)
	s.Doc("POST /api/v1/admin/users/{id}/disable", web.APIDoc{Summary: "Disable a user: they can no longer sign in, and their sessions and tokens stop working", Response: userJSON{}})
	s.Route("POST /api/v1/admin/users/{id}/enable", admin, h.adminUserEnable)
	s.Doc("POST /api/v1/admin/users/{id}/enable", web.APIDoc{Summary: "Enable a disabled user again", Response: userJSON{}})
	s.Route("POST /api/v1/admin/orgs", admin, h.apiAdminOrgCreate)
	s.Doc("POST /api/v1/admin/orgs", web.APIDoc{Summary: "Add an organisation, optionally with an existing user as its owner", Request: adminOrgRequest{}, Response: identity.OrgJSON{}, Status: http.StatusCreated,
		Example: adminOrgRequest{Slug: "lakeside-dental", Name: "Lakeside Dental", Kind: "provider"}})
}
