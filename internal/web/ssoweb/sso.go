package ssoweb

// Single sign-on settings: an organisation's OpenID Connect provider, as its
// owner or the platform administrator configures it. Signing in through a
// provider, and linking one to an account, are the kernel's (sign-in).

import (
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Handler serves the single sign-on settings pages.
type Handler struct {
	s *web.Server
}

// New returns the single sign-on settings capability.
func New() *Handler { return &Handler{} }

//go:embed all:templates
var templates embed.FS

// Templates returns the settings page.
func (h *Handler) Templates() fs.FS { return web.TemplatesIn(templates) }

// Register adds the settings routes to s: an owner's (organisation
// management) and the platform administrator's, who alone may trust the
// provider's second factor.
func (h *Handler) Register(s *web.Server) {
	h.s = s
	s.Route("GET /orgs/{org}/settings/sso", identity.PermOrgManage, h.ssoSettingsPage)
	s.Route("POST /orgs/{org}/settings/sso", identity.PermOrgManage, h.ssoSettingsSubmit)
	s.Route("GET /admin/orgs/{org}/sso", identity.PermAdmin, h.adminSSOSettingsPage)
	s.Route("POST /admin/orgs/{org}/sso", identity.PermAdmin, h.adminSSOSettingsSubmit)
}

// ssoSettingsView is an organisation's single sign-on settings page, as an
// owner or the platform administrator sees it.
type ssoSettingsView struct {
	web.Page
	Org         identity.Org
	Form        ssoForm
	Configured  bool
	UpdatedAt   time.Time
	UpdatedBy   string
	CallbackURL string
	SignInURL   string
	Roles       []identity.Role
	Problems    validate.Error
	Saved       bool
	// Admin: the platform administrator's page, which alone sets TrustMFA.
	Admin  bool
	Action string
}

// ssoForm is the settings form as typed.
type ssoForm struct {
	Enabled        bool
	Issuer         string
	ClientID       string
	Scopes         string
	GroupsClaim    string
	RoleMap        string
	DefaultRole    string
	JIT            bool
	AllowedDomains string
	TrustMFA       bool
}

func (h *Handler) ssoSettingsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderSSOSettings(w, r, web.OrgOf(r.Context()).Org, false)
}

func (h *Handler) ssoSettingsSubmit(w http.ResponseWriter, r *http.Request) error {
	return h.saveSSOSettings(w, r, web.OrgOf(r.Context()).Org, false)
}

// adminOrg is the organisation an administrator's page names, who need
// not be a member of it.
func (h *Handler) adminOrg(r *http.Request) (identity.Org, error) {
	org, err := h.s.DB().Org(r.Context(), r.PathValue("org"))
	if errors.Is(err, store.ErrNotFound) {
		return identity.Org{}, &web.HTTPError{Code: http.StatusNotFound, Msg: "There is no such organisation.", Err: err}
	}
	return org, err
}

func (h *Handler) adminSSOSettingsPage(w http.ResponseWriter, r *http.Request) error {
	org, err := h.adminOrg(r)
	if err != nil {
		return err
	}
	return h.renderSSOSettings(w, r, org, true)
}

func (h *Handler) adminSSOSettingsSubmit(w http.ResponseWriter, r *http.Request) error {
	org, err := h.adminOrg(r)
	if err != nil {
		return err
	}
	return h.saveSSOSettings(w, r, org, true)
}

func (h *Handler) renderSSOSettings(w http.ResponseWriter, r *http.Request, org identity.Org, admin bool) error {
	v := h.settingsView(r, org, admin)
	v.Saved = r.URL.Query().Get("saved") == "1"
	p, err := h.s.DB().SSOProvider(r.Context(), org.ID)
	switch {
	case err == nil:
		c := p.Config
		v.Configured, v.UpdatedAt = true, p.UpdatedAt
		if v.UpdatedBy, err = h.personName(r, p.UpdatedBy); err != nil {
			return err
		}
		v.Form = ssoForm{Enabled: c.Enabled, Issuer: c.Issuer, ClientID: c.ClientID, Scopes: strings.Join(c.Scopes, " "),
			GroupsClaim: c.GroupsClaim, RoleMap: c.RoleMap.String(), DefaultRole: string(c.DefaultRole), JIT: c.JIT,
			AllowedDomains: strings.Join(c.AllowedDomains, " "), TrustMFA: c.TrustMFA}
	case errors.Is(err, store.ErrNotFound):
		v.Form = ssoForm{Enabled: true, GroupsClaim: "groups"}
	default:
		return err
	}
	h.s.Render(w, r, http.StatusOK, "sso", v)
	return nil
}

// saveSSOSettings saves an organisation's provider from the settings form.
// Trust in the provider's second factor is the administrator's alone to
// give: an owner's save keeps it only while the issuer stays the same.
func (h *Handler) saveSSOSettings(w http.ResponseWriter, r *http.Request, org identity.Org, admin bool) error {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		return &web.HTTPError{Code: http.StatusBadRequest, Msg: "The form could not be read."}
	}
	f := r.PostForm
	form := ssoForm{
		Enabled: f.Get("enabled") == "on", Issuer: f.Get("issuer"), ClientID: f.Get("client_id"), Scopes: f.Get("scopes"),
		GroupsClaim: f.Get("groups_claim"), RoleMap: f.Get("role_map"), DefaultRole: f.Get("default_role"),
		JIT: f.Get("jit") == "on", AllowedDomains: f.Get("allowed_domains"), TrustMFA: admin && f.Get("trust_mfa") == "on",
	}
	secret := f.Get("client_secret")
	v := h.settingsView(r, org, admin)
	v.Form = form
	existing, err := h.s.DB().SSOProvider(ctx, org.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	v.Configured = err == nil
	v.UpdatedAt = existing.UpdatedAt
	if v.UpdatedBy, err = h.personName(r, existing.UpdatedBy); err != nil {
		return err
	}

	problems := validate.Error{}
	cfg := identity.SSOConfig{OrgID: org.ID, Enabled: form.Enabled, Issuer: form.Issuer, ClientID: form.ClientID,
		Scopes: identity.SplitList(form.Scopes), GroupsClaim: form.GroupsClaim, DefaultRole: identity.Role(strings.TrimSpace(form.DefaultRole)),
		JIT: form.JIT, AllowedDomains: identity.SplitList(form.AllowedDomains), ClientSecret: secret, TrustMFA: form.TrustMFA}
	if m, err := identity.ParseRoleMap(form.RoleMap); err != nil {
		problems.Add("role_map", err.Error())
	} else {
		cfg.RoleMap = m
	}
	cfg.Normalize()
	if !admin {
		cfg.TrustMFA = v.Configured && existing.Config.TrustMFA && existing.Config.Issuer == cfg.Issuer
		v.Form.TrustMFA = cfg.TrustMFA
	}
	var verr validate.Error
	if err := cfg.Validate(); errors.As(err, &verr) {
		for k, m := range verr {
			problems.Add(k, m)
		}
	} else if err != nil {
		return err
	}
	if problems["role_map"] != "" {
		// Said of the mapping already; "needs a mapping" would confuse.
		delete(problems, "jit")
	}
	if secret == "" && !v.Configured {
		problems.Add("client_secret", "is required")
	}
	if len(problems) == 0 && cfg.Enabled {
		// Check that the provider answers before people depend on it.
		if err := h.s.CheckSSOProvider(ctx, r, cfg); err != nil {
			h.s.Log().InfoContext(ctx, "single sign-on settings: discovery failed", slog.String("issuer", cfg.Issuer), slog.Any("err", err))
			problems.Add("issuer", "did not answer with a usable discovery document at "+strings.TrimSuffix(cfg.Issuer, "/")+"/.well-known/openid-configuration")
		}
	}
	if len(problems) > 0 {
		v.Problems = problems
		h.s.Render(w, r, http.StatusUnprocessableEntity, "sso", v)
		return nil
	}
	var sealed *store.SealedSecret
	if secret != "" {
		var err error
		if sealed, err = h.s.SealSSOSecret(org.ID, secret); err != nil {
			return err
		}
	}
	cfg.ClientSecret = ""
	if err := h.s.DB().SaveSSOProvider(ctx, h.s.Actor(r), cfg, sealed); err != nil {
		if errors.As(err, &verr) {
			v.Problems = verr
			h.s.Render(w, r, http.StatusUnprocessableEntity, "sso", v)
			return nil
		}
		return err
	}
	http.Redirect(w, r, v.Action+"?saved=1", http.StatusSeeOther)
	return nil
}

func (h *Handler) settingsView(r *http.Request, org identity.Org, admin bool) *ssoSettingsView {
	callback := h.s.SSORedirectURL(r, identity.SSOConfig{})
	v := &ssoSettingsView{
		Page: web.Page{Title: "Single sign-on · " + org.Name, Breadcrumbs: []web.Crumb{
			{Label: "Organisations", URL: "/"}, {Label: org.Name, URL: "/orgs/" + org.Slug}, {Label: "Single sign-on"}}},
		Org:         org,
		CallbackURL: callback,
		SignInURL:   strings.TrimSuffix(callback, web.SSOCallbackPath) + "/login/sso?org=" + url.QueryEscape(org.Slug),
		Roles:       identity.Roles,
		Admin:       admin,
		Action:      "/orgs/" + org.Slug + "/settings/sso",
	}
	if admin {
		v.Page.Breadcrumbs = []web.Crumb{{Label: "Organisations", URL: "/admin/orgs"}, {Label: org.Name}, {Label: "Single sign-on"}}
		v.Action = "/admin/orgs/" + org.Slug + "/sso"
	}
	return v
}

// personName is who changed the settings as the page shows them: recorded
// as "user:12", shown by name.
func (h *Handler) personName(r *http.Request, actor string) (string, error) {
	people, err := h.s.People(r.Context(), actor)
	if err != nil {
		return "", err
	}
	return people.Name(actor), nil
}
