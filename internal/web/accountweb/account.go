package accountweb

// The signed-in user's own account: the account page (sessions, API
// tokens, memberships, organisation invitations, linked single sign-on
// providers), ending other sessions, and creating and revoking tokens.
// Changing how one signs in (password, second factors, passkeys, linking a
// provider) belongs to sign-in, which is the kernel's.

import (
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/safeguard-health/safeguard/internal/web"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// Handler serves the account pages and API.
type Handler struct {
	s *web.Server
}

// New returns the account capability.
func New() *Handler { return &Handler{} }

//go:embed all:templates
var templates embed.FS

// Templates returns the account pages.
func (h *Handler) Templates() fs.FS { return web.TemplatesIn(templates) }

// Register adds the account's routes to s. What outlives a token (new
// tokens, memberships) needs a browser session; what only takes access away
// needs a write token.
func (h *Handler) Register(s *web.Server) {
	h.s = s
	accountWrite, credentials, signedIn := identity.PermAccountWrite, identity.PermCredentials, identity.PermSignedIn
	s.Route("GET /account", credentials, h.accountPage)
	s.Route("POST /account/sessions/end-others", accountWrite, h.signOutEverywhere)
	s.Route("POST /account/tokens", credentials, h.tokenSubmit)
	s.Route("POST /account/tokens/{id}/revoke", accountWrite, h.tokenRevoke)
	s.Route("POST /account/invitations/{id}/accept", credentials, h.invitationAccept)
	s.Route("POST /account/invitations/{id}/decline", accountWrite, h.invitationDecline)
	s.Route("GET /api/v1/tokens", signedIn, h.apiTokens)
	s.Doc("GET /api/v1/tokens", web.APIDoc{Summary: "Your API tokens (a token sees only itself)", Response: tokenJSON{}, List: true})
	s.Route("POST /api/v1/tokens", credentials, h.apiTokenCreate)
	s.Doc("POST /api/v1/tokens", web.APIDoc{Summary: "Make an API token; its secret is in the answer only", Request: tokenRequest{}, Response: tokenJSON{}, Status: http.StatusCreated,
		Example: tokenRequest{Name: "ci", Scope: "read", Expires: "720h"}})
	s.Route("POST /api/v1/tokens/{id}/revoke", accountWrite, h.tokenRevoke)
	s.Doc("POST /api/v1/tokens/{id}/revoke", web.APIDoc{Summary: "Revoke a token (a token may revoke only itself)"})
	s.Route("POST /api/v1/sessions/end-others", accountWrite, h.signOutEverywhere)
	s.Doc("POST /api/v1/sessions/end-others", web.APIDoc{Summary: "Sign out every other session of yours"})
	h.registerEmail(s)
}

// accountView is the signed-in user's own account page: sessions and tokens.
type accountView struct {
	web.Page
	User        identity.User
	Sessions    []identity.Session
	CurrentID   int64
	Tokens      []store.Token
	Memberships []identity.Membership
	Invitations []identity.Invitation
	NewToken    string // shown once, right after creation
	Problems    validate.Error
	Now         time.Time
	Notice      string
	// SSO is the single sign-on section (ssolink.go).
	SSO accountSSO
	// Email is the email digest section (email.go).
	Email []digestPref
}

func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderAccount(w, r, http.StatusOK, &accountView{Notice: noticeText(r.URL.Query().Get("done"))})
}

func noticeText(code string) string {
	switch code {
	case "signed-out-elsewhere":
		return "Your other sessions have been signed out."
	case "revoked":
		return "The token has been revoked."
	case "accepted":
		return "You have joined the organisation."
	case "declined":
		return "The invitation has been declined."
	case "sso-linked":
		return "The identity provider is linked: you can now sign in with it."
	case "email":
		return "Your email choices are saved."
	case "sso-unlinked":
		return "The identity provider is no longer linked to your account."
	}
	return ""
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, status int, v *accountView) error {
	p := web.PrincipalOf(r.Context())
	var err error
	if v.Sessions, err = h.s.DB().ActiveSessions(r.Context(), p.User.ID); err != nil {
		return err
	}
	if v.Tokens, err = h.s.DB().Tokens(r.Context(), p.User.ID); err != nil {
		return err
	}
	if v.Memberships, err = h.s.DB().Memberships(r.Context(), p.User.ID); err != nil {
		return err
	}
	if v.Invitations, err = h.s.DB().PendingInvitations(r.Context(), p.User.ID); err != nil {
		return err
	}
	if err := h.loadAccountSSO(r, p, v); err != nil {
		return err
	}
	prefs, err := h.s.DB().DigestPrefs(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	v.Email = prefsJSON(prefs).Digests
	v.Page = web.Page{Title: "Your account", Breadcrumbs: []web.Crumb{{Label: "Account"}}}
	v.User = p.User
	v.Now = h.s.DB().Now()
	if p.Session != nil {
		v.CurrentID = p.Session.ID
	}
	h.s.Render(w, r, status, "account", v)
	return nil
}

// signOutEverywhere ends every other session of the user.
func (h *Handler) signOutEverywhere(w http.ResponseWriter, r *http.Request) error {
	p := web.PrincipalOf(r.Context())
	var keep int64
	if p.Session != nil {
		keep = p.Session.ID
	}
	if err := h.s.DB().EndUserSessions(r.Context(), h.s.Actor(r), p.User.ID, keep, "signed out everywhere"); err != nil {
		return err
	}
	if web.WantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/account?done=signed-out-elsewhere", http.StatusSeeOther)
	return nil
}

// invitationAccept makes the membership an invitation offers. It needs the
// invited person in a browser session: joining brings the organisation's
// policies onto the account, which no API token may decide.
func (h *Handler) invitationAccept(w http.ResponseWriter, r *http.Request) error {
	return h.answerInvitation(w, r, true)
}

func (h *Handler) invitationDecline(w http.ResponseWriter, r *http.Request) error {
	return h.answerInvitation(w, r, false)
}

func (h *Handler) answerInvitation(w http.ResponseWriter, r *http.Request, accept bool) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return &web.HTTPError{Code: http.StatusNotFound, Msg: "No such invitation."}
	}
	inv, err := h.s.DB().AnswerInvitation(r.Context(), h.s.Actor(r), web.PrincipalOf(r.Context()).User.ID, id, accept)
	if errors.Is(err, store.ErrNotFound) {
		return &web.HTTPError{Code: http.StatusNotFound, Msg: "No such invitation.", Err: err}
	} else if err != nil {
		return err
	}
	if web.WantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if accept {
		http.Redirect(w, r, "/orgs/"+inv.OrgSlug, http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/account?done=declined", http.StatusSeeOther)
	return nil
}

// accountSSO is the single sign-on section of the account page: the
// provider accounts linked, and the providers that can be linked.
type accountSSO struct {
	Links     []store.SSOIdentity
	Providers []ssoChoice
}

// ssoChoice is one provider the user may link: the deployment's (Org
// empty) or that of an organisation they belong to.
type ssoChoice struct {
	Org    string
	Label  string
	Issuer string
}

func (h *Handler) loadAccountSSO(r *http.Request, p *web.Principal, v *accountView) error {
	ctx := r.Context()
	var err error
	if v.SSO.Links, err = h.s.DB().SSOIdentities(ctx, p.User.ID); err != nil {
		return err
	}
	if h.s.Config().SSO != nil {
		v.SSO.Providers = append(v.SSO.Providers, ssoChoice{Label: "this deployment's single sign-on", Issuer: h.s.Config().SSO.Issuer})
	}
	for _, m := range v.Memberships {
		pr, err := h.s.DB().SSOProvider(ctx, m.OrgID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if pr.Config.Enabled {
			v.SSO.Providers = append(v.SSO.Providers, ssoChoice{Org: m.OrgSlug, Label: m.OrgName + "'s single sign-on", Issuer: pr.Config.Issuer})
		}
	}
	return nil
}
