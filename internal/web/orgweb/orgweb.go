// Package orgweb serves an organisation: its start page with the compliance
// dashboard, its members and invitations, its security settings, emergency
// access and the notifications it sends, and the organisation API.
package orgweb

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Handler serves the organisation's pages and API.
type Handler struct {
	s *web.Server
}

// New returns the organisation capability.
func New() *Handler { return &Handler{} }

//go:embed all:templates
var templates embed.FS

// Templates returns the organisation's pages.
func (h *Handler) Templates() fs.FS { return web.TemplatesIn(templates) }

// Register adds the organisation's routes to s.
func (h *Handler) Register(s *web.Server) {
	h.s = s
	signedIn, accountWrite := identity.PermSignedIn, identity.PermAccountWrite
	s.Route("GET /notifications", signedIn, h.notificationsPage)
	s.Route("POST /notifications/read", accountWrite, h.notificationsRead)

	read, manage, security, settings := identity.PermOrgRead, identity.PermOrgManage, identity.PermOrgSecurity, identity.PermOrgSettings
	s.Route("GET /orgs/{org}", read, h.orgPage)
	s.Route("GET /orgs/{org}/members", read, h.membersPage)
	s.Route("POST /orgs/{org}/members", manage, h.memberAdd)
	s.Route("POST /orgs/{org}/members/{user}/role", manage, h.memberRole)
	s.Route("POST /orgs/{org}/members/{user}/remove", manage, h.memberRemove)
	s.Route("POST /orgs/{org}/invitations/{id}/cancel", manage, h.invitationCancel)
	s.Route("GET /orgs/{org}/settings/security", settings, h.securityPage)
	s.Route("POST /orgs/{org}/settings/security", settings, h.securitySubmit)
	s.Route("POST /orgs/{org}/emergency", read, h.emergencyStart)
	s.Route("GET /orgs/{org}/emergency", read, h.emergencyList)
	s.Route("GET /orgs/{org}/emergency/{id}", read, h.emergencyShow)
	s.Route("POST /orgs/{org}/emergency/{id}/end", read, h.emergencyEnd)
	s.Route("POST /orgs/{org}/emergency/{id}/review", security, h.emergencyReview)
	s.Route("GET /api/v1/orgs", signedIn, h.apiOrgs)
	s.Doc("GET /api/v1/orgs", web.APIDoc{Summary: "The organisations you belong to (every one, for a platform administrator)", Response: identity.OrgJSON{}, List: true})
	s.Route("GET /api/v1/orgs/{org}", read, h.apiOrg)
	s.Doc("GET /api/v1/orgs/{org}", web.APIDoc{Summary: "One organisation, with your role in it", Response: identity.OrgJSON{}})
	s.Route("PATCH /api/v1/orgs/{org}", settings, h.apiOrgUpdate)
	s.Doc("PATCH /api/v1/orgs/{org}", web.APIDoc{Summary: "Change the organisation's settings (its time zone)", Request: orgSettingsJSON{}, Response: identity.OrgJSON{},
		Example: map[string]any{"time_zone": "America/Chicago"}})
	s.Route("GET /api/v1/orgs/{org}/members", read, h.apiMembers)
	s.Doc("GET /api/v1/orgs/{org}/members", web.APIDoc{Summary: "The organisation's members, their roles and second factors", Response: memberJSON{}, List: true})
	s.Route("POST /api/v1/orgs/{org}/members", manage, h.apiMemberAdd)
	s.Doc("POST /api/v1/orgs/{org}/members", web.APIDoc{Summary: "Invite someone to join with a role; they become a member when they accept", Request: memberRequest{}, Response: invitationJSON{}, Status: http.StatusCreated,
		Example: memberRequest{Email: "new.member@example.org", Role: "viewer"}})
}
