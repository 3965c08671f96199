package web

// Single sign-on with OpenID Connect: the authorization code flow with PKCE
// (S256), a state that is random, single use, ten minutes long and bound to
// the browser that started the sign-in, and a nonce. The ID token is
// verified against the provider's published keys (JWKS) and must carry the
// provider's issuer, our client ID as audience (and as authorised party when
// there are several audiences), an expiry in the future and our nonce.
//
// Who signs in: the user already linked to the provider account (issuer +
// subject); else an active user whose address the provider says it verified
// and who has no password or passkey, who is then linked; else, when the
// provider allows it, a new account made just in time. Groups map to roles
// at every sign-in. An account with a password or passkey signs in through
// a provider only by a link its holder made while signed in (Account, single
// sign-on, link), or, for the deployment's provider, when the administrator
// trusts it to match accounts by verified email (--oidc-link-by-email):
// otherwise whoever controls a provider could sign in as anyone whose email
// address they can put in an ID token.
//
// An organisation's own provider is trusted for that organisation only: it
// cannot sign in platform administrators, nor anyone who belongs to another
// organisation, so that whoever controls it cannot reach beyond it.
//
// A sign-in through a provider is not a Safeguard second factor, unless the
// platform administrator trusts the provider for it (--oidc-trust-mfa, or
// the administrator's setting of an organisation's provider) and the ID
// token's "amr" claim says the provider used one ("mfa", "otp" or "hwk",
// RFC 8176); then the session records it as passed, like a TOTP code.
//
// Only owners and the platform administrator configure an organisation's
// provider; each change is audited and announced to every owner.

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

const (
	ssoCookie       = "sg_sso"
	secureSSOCookie = "__Host-sg_sso"
	ssoCallbackPath = "/login/sso/callback"
	// ssoHTTPTimeout bounds each request to a provider, and
	// maxProviderResponse the size of its answer.
	ssoHTTPTimeout      = 10 * time.Second
	maxProviderResponse = 1 << 20
)

// ssoRoutes registers single sign-on's routes.
func (s *Server) ssoRoutes(mux *http.ServeMux) {
	s.route(mux, "GET /login/sso", identity.PermPublic, s.ssoStart)
	s.route(mux, "GET "+ssoCallbackPath, identity.PermPublic, s.ssoCallback)
	s.route(mux, "GET /orgs/{org}/settings/sso", identity.PermOrgManage, s.ssoSettingsPage)
	s.route(mux, "POST /orgs/{org}/settings/sso", identity.PermOrgManage, s.ssoSettingsSubmit)
	s.route(mux, "GET /admin/orgs/{org}/sso", identity.PermAdmin, s.adminSSOSettingsPage)
	s.route(mux, "POST /admin/orgs/{org}/sso", identity.PermAdmin, s.adminSSOSettingsSubmit)
	s.route(mux, "POST /account/sso/link", identity.PermCredentials, s.ssoLinkStart)
	s.route(mux, "POST /account/sso/{id}/unlink", identity.PermCredentials, s.ssoUnlink)
}

func (s *Server) ssoCookieName(r *http.Request) string {
	if clientOf(r.Context()).Secure {
		return secureSSOCookie
	}
	return ssoCookie
}

// ssoSignInView is the page that starts a single sign-on, and the one that
// says why a sign-in was refused.
type ssoSignInView struct {
	Page
	Next    string
	Org     string
	Problem string
}

func (s *Server) renderSSOSignIn(w http.ResponseWriter, r *http.Request, status int, v *ssoSignInView) {
	v.Page.Title = "Sign in with single sign-on"
	v.Page.Breadcrumbs = []Crumb{{Label: "Sign in", URL: "/login"}, {Label: "Single sign-on"}}
	s.render(w, r, status, "sso_signin", v)
}

// ssoStart sends the browser to the identity provider: the organisation's
// (?org=SLUG) or the deployment's. Without either it asks for the
// organisation.
func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	next := safeNext(q.Get("next"))
	if PrincipalOf(ctx) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	slug := strings.ToLower(strings.TrimSpace(q.Get("org")))
	var cfg identity.SSOConfig
	switch {
	case slug != "":
		c, err := s.orgSSOBySlug(ctx, slug)
		if errors.Is(err, store.ErrNotFound) {
			s.renderSSOSignIn(w, r, http.StatusNotFound, &ssoSignInView{Next: next, Org: slug,
				Problem: "No single sign-on is set up for an organisation with that short name. Check the name, or sign in with your password."})
			return nil
		} else if err != nil {
			return err
		}
		cfg = c
	case s.cfg.SSO != nil:
		cfg = *s.cfg.SSO
	default:
		s.renderSSOSignIn(w, r, http.StatusOK, &ssoSignInView{Next: next})
		return nil
	}
	// The sign-in page's form says so (via=form): the pages' CSP
	// (form-action 'self') stops a form's redirect to another site, so the
	// browser is sent on by a link instead. A plain link to this address (the
	// one the settings page gives members) is redirected at once.
	return s.ssoBegin(w, r, cfg, slug, next, 0, q.Get("via") == "form")
}

// ssoBegin sends the browser to cfg's provider, to sign in or, when
// linkUserID is set, to link the provider account to that signed-in user.
//
// A browser that came from a form gets a page that sends it on by a link
// (followed at once when scripts run), since the CSP's form-action 'self'
// refuses a form's redirect to another site.
func (s *Server) ssoBegin(w http.ResponseWriter, r *http.Request, cfg identity.SSOConfig, slug, next string, linkUserID int64, fromForm bool) error {
	ctx, _, oc, err := s.ssoClient(r.Context(), r, cfg)
	if err != nil {
		s.log.WarnContext(ctx, "single sign-on: provider discovery failed", slog.String("issuer", cfg.Issuer), slog.Any("err", err))
		s.renderSSOSignIn(w, r, http.StatusBadGateway, &ssoSignInView{Next: next, Org: slug,
			Problem: "Safeguard could not reach your identity provider. Try again in a moment, or sign in with your password."})
		return nil
	}
	state, err := identity.NewSecret("")
	if err != nil {
		return err
	}
	nonce, err := identity.NewSecret("")
	if err != nil {
		return err
	}
	browser, err := identity.NewSecret("")
	if err != nil {
		return err
	}
	verifier := oauth2.GenerateVerifier()
	if _, err := s.db.CreateSSOState(ctx, store.SSOState{
		StateHash:   identity.HashSecret(state),
		BrowserHash: identity.HashSecret(browser),
		Nonce:       nonce,
		Verifier:    verifier,
		OrgID:       cfg.OrgID,
		LinkUserID:  linkUserID,
		RedirectURL: oc.RedirectURL,
		Next:        next,
	}); err != nil {
		return err
	}
	s.setCookie(w, r, s.ssoCookieName(r), browser, identity.SSOLoginLifetime)
	w.Header().Set("Cache-Control", "no-store")
	to := oc.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	if linkUserID != 0 {
		s.render(w, r, http.StatusOK, "sso_continue", &ssoContinueView{
			Page: Page{Title: "Link an identity provider", Breadcrumbs: []Crumb{{Label: "Account", URL: "/account"}, {Label: "Single sign-on"}}},
			URL:  to, Issuer: cfg.Issuer, Linking: true})
		return nil
	}
	if fromForm {
		s.render(w, r, http.StatusOK, "sso_continue", &ssoContinueView{
			Page: Page{Title: "Sign in with single sign-on", Breadcrumbs: []Crumb{{Label: "Sign in", URL: "/login"}, {Label: "Single sign-on"}}},
			URL:  to, Issuer: cfg.Issuer})
		return nil
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// ssoContinueView sends a person on to their identity provider by a link:
// to link it to their account, or to sign in.
type ssoContinueView struct {
	Page
	URL     string
	Issuer  string
	Linking bool
}

// ssoRefusal is a sign-in refused: why, for the audit log, and what the
// person is told.
type ssoRefusal struct {
	status int
	reason string
	msg    string
}

func (e *ssoRefusal) Error() string { return "single sign-on refused: " + e.reason }

func refuse(status int, reason, msg string) error {
	return &ssoRefusal{status: status, reason: reason, msg: msg}
}

const (
	msgStartAgain  = "This sign-in link is not valid any more. Start again from the sign-in page."
	msgTokenBad    = "Your identity provider's answer could not be trusted, so you were not signed in. Try again, and tell your administrator if it keeps happening."
	msgNoAccount   = "There is no Safeguard account for you. Ask your organisation's administrator to invite you."
	msgNotVerified = "Your identity provider has not verified your email address, so Safeguard cannot match it to an account."
	msgDisabled    = "Your Safeguard account is disabled. Ask an administrator to re-enable it."
	msgLinkFirst   = "A Safeguard account with your email address already exists, and it signs in with a password or passkey. Sign in with those, then link this identity provider under Account, Single sign-on; after that you can sign in here."
)

// ssoCallback finishes a sign-in when the provider sends the browser back.
// Every refusal is audited with its reason, shown plainly, and changes
// nothing beyond using up the state.
func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request) error {
	// The browser binding is for this one sign-in, whatever its outcome.
	s.setCookie(w, r, s.ssoCookieName(r), "", -1)
	w.Header().Set("Cache-Control", "no-store")
	var cfg identity.SSOConfig
	err := s.ssoFinish(w, r, &cfg)
	var ref *ssoRefusal
	if !errors.As(err, &ref) {
		return err
	}
	// Before the state is read, which provider is unknown.
	object := "sso"
	switch {
	case cfg.OrgID != 0:
		object = fmt.Sprintf("sso:org:%d", cfg.OrgID)
	case cfg.Issuer != "":
		object = "sso:deployment"
	}
	summary := ref.reason
	if cfg.Issuer != "" {
		summary += " (issuer " + cfg.Issuer + ")"
	}
	if err := s.db.Audit(r.Context(), s.Actor(r), audit.Entry{OrgID: cfg.OrgID, Action: "sso.refused", Object: object, Summary: summary}); err != nil {
		return err
	}
	s.renderSSOSignIn(w, r, ref.status, &ssoSignInView{Problem: ref.msg})
	return nil
}

// ssoClaims are the ID token claims Safeguard reads besides the registered
// ones go-oidc checks.
type ssoClaims struct {
	Email             string          `json:"email"`
	EmailVerified     json.RawMessage `json:"email_verified"`
	Name              string          `json:"name"`
	GivenName         string          `json:"given_name"`
	FamilyName        string          `json:"family_name"`
	PreferredUsername string          `json:"preferred_username"`
	AMR               []string        `json:"amr"`
	AZP               string          `json:"azp"`
}

// verified reads email_verified, which some providers send as a string.
func (c ssoClaims) verified() bool {
	var b bool
	if json.Unmarshal(c.EmailVerified, &b) == nil {
		return b
	}
	var str string
	return json.Unmarshal(c.EmailVerified, &str) == nil && strings.EqualFold(str, "true")
}

func (s *Server) ssoFinish(w http.ResponseWriter, r *http.Request, cfg *identity.SSOConfig) error {
	ctx := r.Context()
	q := r.URL.Query()
	stateParam := q.Get("state")
	if stateParam == "" {
		return refuse(http.StatusBadRequest, "no state in the provider's answer", msgStartAgain)
	}
	st, err := s.db.ConsumeSSOState(ctx, identity.HashSecret(stateParam))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return refuse(http.StatusBadRequest, "unknown state", msgStartAgain)
	case errors.Is(err, store.ErrConflict):
		return refuse(http.StatusBadRequest, "state refused: "+err.Error(), msgStartAgain)
	case err != nil:
		return err
	}
	c, err := r.Cookie(s.ssoCookieName(r))
	if err != nil || subtle.ConstantTimeCompare([]byte(identity.HashSecret(c.Value)), []byte(st.BrowserHash)) != 1 {
		return refuse(http.StatusBadRequest, "state was issued to another browser", msgStartAgain)
	}
	cfg.OrgID = st.OrgID
	if st.OrgID != 0 {
		c, err := s.orgSSO(ctx, st.OrgID)
		if errors.Is(err, store.ErrNotFound) {
			return refuse(http.StatusForbidden, "the organisation's single sign-on was turned off", "Single sign-on is no longer set up for this organisation.")
		} else if err != nil {
			return err
		}
		*cfg = c
	} else if s.cfg.SSO != nil {
		*cfg = *s.cfg.SSO
	} else {
		return refuse(http.StatusForbidden, "the deployment has no single sign-on", "Single sign-on is not set up.")
	}
	if e := q.Get("error"); e != "" {
		return refuse(http.StatusUnauthorized, "the provider answered "+clip(e+": "+q.Get("error_description"), 200),
			"Your identity provider did not sign you in. Try again, or sign in with your password.")
	}
	code := q.Get("code")
	if code == "" {
		return refuse(http.StatusBadRequest, "no code in the provider's answer", msgStartAgain)
	}
	if cfg.ClientSecret == "" {
		return errors.New("single sign-on: the provider's client secret is not available")
	}

	ctx, prov, oc, err := s.ssoClient(ctx, r, *cfg)
	if err != nil {
		s.log.WarnContext(ctx, "single sign-on: provider discovery failed", slog.String("issuer", cfg.Issuer), slog.Any("err", err))
		return refuse(http.StatusBadGateway, "provider discovery failed", "Safeguard could not reach your identity provider. Try again in a moment.")
	}
	oc.RedirectURL = st.RedirectURL
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return refuse(http.StatusUnauthorized, "the provider refused the code: "+clip(re.ErrorCode+" "+re.ErrorDescription, 200),
				"Your identity provider did not confirm the sign-in. Start again from the sign-in page.")
		}
		s.log.WarnContext(ctx, "single sign-on: code exchange failed", slog.String("issuer", cfg.Issuer), slog.Any("err", err))
		return refuse(http.StatusBadGateway, "code exchange failed", "Safeguard could not reach your identity provider. Try again in a moment.")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return refuse(http.StatusUnauthorized, "the provider sent no ID token", msgTokenBad)
	}
	idt, err := prov.VerifierContext(ctx, &oidc.Config{ClientID: cfg.ClientID, Now: s.db.Now}).Verify(ctx, raw)
	if err != nil {
		return refuse(http.StatusUnauthorized, "ID token refused: "+tokenProblem(err), msgTokenBad)
	}
	var claims ssoClaims
	if err := idt.Claims(&claims); err != nil {
		return refuse(http.StatusUnauthorized, "ID token claims unreadable", msgTokenBad)
	}
	if len(idt.Audience) > 1 && claims.AZP != cfg.ClientID {
		return refuse(http.StatusUnauthorized, "ID token refused: several audiences and the authorised party is not this client", msgTokenBad)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return refuse(http.StatusUnauthorized, "ID token refused: wrong nonce", msgTokenBad)
	}
	if idt.Subject == "" || len(idt.Subject) > 255 || !utf8.ValidString(idt.Subject) {
		return refuse(http.StatusUnauthorized, "ID token refused: missing or malformed subject", msgTokenBad)
	}
	groups, err := groupsClaim(idt, cfg.GroupsClaim)
	if err != nil {
		return refuse(http.StatusUnauthorized, "ID token refused: "+err.Error(), msgTokenBad)
	}
	if st.LinkUserID != 0 {
		return s.ssoLinkFinish(w, r, *cfg, st, idt.Subject, claims)
	}

	plan, err := s.ssoPlan(ctx, *cfg, cfg.Issuer, idt.Subject, claims, groups)
	if err != nil {
		return err
	}
	u, err := s.ssoApply(r, plan)
	if err != nil {
		return err
	}
	var mfaAt time.Time
	if cfg.TrustMFA && identity.AMRShowsMFA(claims.AMR) {
		mfaAt = s.db.Now().UTC()
	}
	p, err := s.StartSession(w, r, u, mfaAt, "single sign-on through "+cfg.Issuer)
	if err != nil {
		return err
	}
	next := safeNext(st.Next)
	if to := s.pendingStep(r, p); to != "" {
		next = to + "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// tokenProblem names what was wrong with an ID token, for the audit log.
func tokenProblem(err error) string {
	var exp *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &exp):
		return "expired at " + exp.Expiry.UTC().Format(time.RFC3339)
	case strings.Contains(msg, "different provider"):
		return "wrong issuer: " + clip(msg, 200)
	case strings.Contains(msg, "expected audience"):
		return "wrong audience: " + clip(msg, 200)
	case strings.Contains(msg, "signature"):
		return "bad signature"
	}
	return clip(msg, 200)
}

// groupsClaim reads the person's groups from the named claim: a list of
// strings, or one string.
func groupsClaim(idt *oidc.IDToken, name string) ([]string, error) {
	if name == "" {
		return nil, nil
	}
	var all map[string]json.RawMessage
	if err := idt.Claims(&all); err != nil {
		return nil, errors.New("claims unreadable")
	}
	v, ok := all[name]
	if !ok || string(v) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err == nil {
		if len(list) > 1000 {
			return nil, fmt.Errorf("claim %q lists more than 1000 groups", name)
		}
		return list, nil
	}
	var one string
	if err := json.Unmarshal(v, &one); err == nil {
		return []string{one}, nil
	}
	return nil, fmt.Errorf("claim %q is neither a list of names nor a name", name)
}

// ssoPlan is what a sign-in will do, decided before anything changes.
type ssoPlan struct {
	user identity.User // zero when one is to be created
	link store.SSOIdentity
	// linked: the provider account is linked already; otherwise link it.
	linked bool
	// create is the account to make just in time.
	create *store.NewUser
	// roles to set, by organisation ID.
	roles map[int64]identity.Role
}

// ssoPlan decides who signs in and what changes, or refuses.
func (s *Server) ssoPlan(ctx context.Context, cfg identity.SSOConfig, issuer, subject string, c ssoClaims, groups []string) (*ssoPlan, error) {
	plan := &ssoPlan{roles: map[int64]identity.Role{}}
	// unlinked: an existing account the provider did not create and its
	// holder did not link, which may sign in this way only if it has no
	// password or passkey; checked last, after the more specific refusals.
	var unlinked bool
	email := identity.NormalizeEmail(c.Email)
	link, u, err := s.db.UserBySSOIdentity(ctx, issuer, subject)
	switch {
	case err == nil:
		plan.user, plan.link, plan.linked = u, link, true
		if !u.Active() {
			return nil, refuse(http.StatusForbidden, fmt.Sprintf("account %s is disabled", u.Email), msgDisabled)
		}
		if !cfg.AllowsEmail(u.Email) {
			return nil, refuse(http.StatusForbidden, fmt.Sprintf("email domain of %s is not allowed for this provider", u.Email), msgNoAccount)
		}
		// A link matched by email (before links recorded how they were
		// made) stands only for an account with nothing else.
		unlinked = !cfg.SignsInLinked(link.Origin)
	case errors.Is(err, store.ErrNotFound):
		if email == "" {
			return nil, refuse(http.StatusForbidden, "the provider gave no email address", "Your identity provider did not share your email address, so Safeguard cannot find your account.")
		}
		if !c.verified() {
			return nil, refuse(http.StatusForbidden, fmt.Sprintf("email %s is not verified by the provider", email), msgNotVerified)
		}
		if !cfg.AllowsEmail(email) {
			return nil, refuse(http.StatusForbidden, fmt.Sprintf("email domain of %s is not allowed for this provider", email), msgNoAccount)
		}
		plan.link = store.SSOIdentity{Issuer: issuer, Subject: subject, OrgID: cfg.OrgID, Email: email, Origin: identity.LinkEmail}
		u, err := s.db.UserByEmail(ctx, email)
		switch {
		case err == nil:
			if !u.Active() {
				return nil, refuse(http.StatusForbidden, fmt.Sprintf("account %s is disabled", u.Email), msgDisabled)
			}
			unlinked = !cfg.SignsInLinked(identity.LinkEmail)
			plan.user = u
		case errors.Is(err, store.ErrNotFound):
			if !cfg.JIT {
				return nil, refuse(http.StatusForbidden, fmt.Sprintf("no account for %s and just-in-time accounts are off", email), msgNoAccount)
			}
			plan.create = &store.NewUser{User: identity.User{Email: email, Name: displayName(c)}}
			if err := plan.create.User.Validate(); err != nil {
				return nil, refuse(http.StatusForbidden, fmt.Sprintf("the provider's email or name cannot make an account: %v", err), msgNoAccount)
			}
		default:
			return nil, err
		}
	default:
		return nil, err
	}

	who := email
	if plan.user.ID != 0 {
		who = plan.user.Email
	}
	resolved := cfg.RoleMap.Resolve(groups)
	if cfg.Deployment() {
		for slug, role := range resolved {
			o, err := s.db.Org(ctx, slug)
			if errors.Is(err, store.ErrNotFound) {
				s.log.WarnContext(ctx, "single sign-on: group mapping names an unknown organisation", slog.String("org", slug))
				continue
			} else if err != nil {
				return nil, err
			}
			plan.roles[o.ID] = role
		}
		if unlinked {
			if err := s.refuseUnlinked(ctx, plan.user); err != nil {
				return nil, err
			}
		}
		return plan, nil
	}

	// An organisation's provider: only for that organisation's own people.
	if plan.user.Admin {
		return nil, refuse(http.StatusForbidden, fmt.Sprintf("%s is a platform administrator; an organisation's provider may not sign one in", plan.user.Email),
			"Platform administrators sign in with their password, not an organisation's single sign-on.")
	}
	member := false
	if plan.create == nil {
		ms, err := s.db.Memberships(ctx, plan.user.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.OrgID != cfg.OrgID {
				return nil, refuse(http.StatusForbidden, fmt.Sprintf("%s also belongs to organisation %s; an organisation's provider signs in its own members only", plan.user.Email, m.OrgSlug),
					"You belong to more than one organisation, so sign in with your password instead.")
			}
			member = true
		}
	}
	role, ok := resolved[""]
	if !ok {
		role = cfg.DefaultRole
	}
	switch {
	case role != "":
		plan.roles[cfg.OrgID] = role
	case cfg.ManagesRoles():
		return nil, refuse(http.StatusForbidden, fmt.Sprintf("none of the groups of %s maps to a role", who),
			"Your groups at the identity provider give you no role in this organisation. Ask its administrator.")
	case !member:
		return nil, refuse(http.StatusForbidden, fmt.Sprintf("%s is not a member of the organisation", who), msgNoAccount)
	}
	if plan.create != nil {
		plan.create.OrgID, plan.create.Role = cfg.OrgID, role
		delete(plan.roles, cfg.OrgID)
	}
	if unlinked {
		if err := s.refuseUnlinked(ctx, plan.user); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// refuseUnlinked refuses to sign u in through a provider u never linked,
// when u can sign in otherwise (a password or a passkey).
func (s *Server) refuseUnlinked(ctx context.Context, u identity.User) error {
	has, err := s.db.UserHasSignInCredential(ctx, u.ID)
	if err != nil {
		return err
	}
	if has {
		return refuse(http.StatusForbidden, fmt.Sprintf("account %s has a password or passkey and its holder has not linked this provider", u.Email), msgLinkFirst)
	}
	return nil
}

// ssoApply carries out a sign-in's plan: the account made or linked, and
// the roles its groups give.
func (s *Server) ssoApply(r *http.Request, plan *ssoPlan) (identity.User, error) {
	ctx := r.Context()
	actor := store.Actor{Name: "system:sso", Source: clientOf(ctx).IP, RequestID: requestID(ctx)}
	u := plan.user
	switch {
	case plan.create != nil:
		var err error
		if u, err = s.db.CreateSSOUser(ctx, actor, *plan.create, plan.link); err != nil {
			return identity.User{}, err
		}
	case plan.linked:
		if err := s.db.TouchSSOIdentity(ctx, plan.link.ID); err != nil {
			return identity.User{}, err
		}
	default:
		plan.link.UserID = u.ID
		if _, err := s.db.LinkSSOIdentity(ctx, actor, plan.link); err != nil {
			return identity.User{}, err
		}
	}
	for orgID, role := range plan.roles {
		err := s.db.SetMember(ctx, actor, orgID, u.ID, role)
		if errors.Is(err, store.ErrConflict) {
			// The organisation's last owner keeps the role.
			s.log.WarnContext(ctx, "single sign-on: role not changed", slog.Int64("org_id", orgID), slog.Int64("user_id", u.ID), slog.Any("err", err))
			continue
		} else if err != nil {
			return identity.User{}, err
		}
	}
	return u, nil
}

// displayName is the person's name as the provider gives it.
func displayName(c ssoClaims) string {
	name := c.Name
	if name == "" {
		name = strings.TrimSpace(c.GivenName + " " + c.FamilyName)
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	return clip(strings.TrimSpace(name), identity.MaxUserName)
}

// clip shortens s to at most n runes.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// ssoHTTPClient talks to identity providers: bounded in time and size, and
// following no redirects, so a provider's settings cannot send Safeguard
// elsewhere.
func ssoHTTPClient() *http.Client {
	return &http.Client{
		Timeout:       ssoHTTPTimeout,
		Transport:     limitedTransport{http.DefaultTransport},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type limitedTransport struct{ rt http.RoundTripper }

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, maxProviderResponse), resp.Body}
	return resp, nil
}

// providerMeta is what Safeguard reads from the discovery document besides
// what go-oidc does.
type providerMeta struct {
	AuthURL     string   `json:"authorization_endpoint"`
	TokenURL    string   `json:"token_endpoint"`
	JWKSURL     string   `json:"jwks_uri"`
	AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
}

// ssoClient discovers the provider and returns a context carrying the HTTP
// client to use with it, the provider, and the OAuth 2.0 client settings.
func (s *Server) ssoClient(ctx context.Context, r *http.Request, cfg identity.SSOConfig) (context.Context, *oidc.Provider, *oauth2.Config, error) {
	ctx = oidc.ClientContext(ctx, ssoHTTPClient())
	prov, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return ctx, nil, nil, err
	}
	var meta providerMeta
	if err := prov.Claims(&meta); err != nil {
		return ctx, nil, nil, err
	}
	for _, u := range []string{meta.AuthURL, meta.TokenURL, meta.JWKSURL} {
		if !providerURLOK(u) {
			return ctx, nil, nil, fmt.Errorf("discovery document names endpoint %q: want https (or http on this machine)", u)
		}
	}
	ep := prov.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	if len(meta.AuthMethods) > 0 && !slices.Contains(meta.AuthMethods, "client_secret_basic") && slices.Contains(meta.AuthMethods, "client_secret_post") {
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	return ctx, prov, &oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		Endpoint:     ep,
		RedirectURL:  s.ssoRedirectURL(r, cfg),
		Scopes:       cfg.RequestScopes(),
	}, nil
}

// providerURLOK accepts an https URL, or http to a loopback address.
func providerURLOK(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		a, err := netip.ParseAddr(h)
		return strings.EqualFold(h, "localhost") || (err == nil && a.IsLoopback())
	}
	return false
}

// ssoRedirectURL is the callback address the provider sends the browser
// back to: the configured one, else under the deployment's public address,
// else under the address this browser used.
func (s *Server) ssoRedirectURL(r *http.Request, cfg identity.SSOConfig) string {
	if cfg.RedirectURL != "" {
		return cfg.RedirectURL
	}
	if s.cfg.SSO != nil && s.cfg.SSO.RedirectURL != "" {
		return s.cfg.SSO.RedirectURL
	}
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/") + ssoCallbackPath
	}
	scheme := "http"
	if clientOf(r.Context()).Secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host + ssoCallbackPath
}

// ssoSecretAAD binds a sealed client secret to its organisation, so that a
// sealed value copied to another row does not open.
func ssoSecretAAD(orgID int64) []byte {
	return fmt.Appendf(nil, "safeguard:sso_providers:client_secret:org:%d", orgID)
}

// orgSSO returns an organisation's enabled provider with its client secret
// opened, or ErrNotFound.
func (s *Server) orgSSO(ctx context.Context, orgID int64) (identity.SSOConfig, error) {
	p, err := s.db.SSOProvider(ctx, orgID)
	if err != nil {
		return identity.SSOConfig{}, err
	}
	if !p.Config.Enabled {
		return identity.SSOConfig{}, fmt.Errorf("identity provider of org %d is disabled: %w", orgID, store.ErrNotFound)
	}
	secret, err := s.openSSOSecret(p)
	if err != nil {
		return identity.SSOConfig{}, err
	}
	p.Config.ClientSecret = secret
	return p.Config, nil
}

func (s *Server) orgSSOBySlug(ctx context.Context, slug string) (identity.SSOConfig, error) {
	o, err := s.db.Org(ctx, slug)
	if err != nil {
		return identity.SSOConfig{}, err
	}
	return s.orgSSO(ctx, o.ID)
}

func (s *Server) openSSOSecret(p store.SSOProvider) (string, error) {
	if s.cfg.Keys == nil {
		return "", errors.New("single sign-on: no keyring to open the client secret with")
	}
	dk, err := s.cfg.Keys.Unwrap(p.Secret.KEKID, p.Secret.Wrapped)
	if err != nil {
		return "", fmt.Errorf("single sign-on client secret of org %d: %w", p.Config.OrgID, err)
	}
	pt, err := dk.Open(p.Secret.Sealed, ssoSecretAAD(p.Config.OrgID))
	if err != nil {
		return "", fmt.Errorf("single sign-on client secret of org %d: %w", p.Config.OrgID, err)
	}
	return string(pt), nil
}

// ssoSettingsView is an organisation's single sign-on settings page, as an
// owner or the platform administrator sees it.
type ssoSettingsView struct {
	Page
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

func (s *Server) ssoSettingsView(r *http.Request, org identity.Org, admin bool) *ssoSettingsView {
	callback := s.ssoRedirectURL(r, identity.SSOConfig{})
	v := &ssoSettingsView{
		Page: Page{Title: "Single sign-on · " + org.Name, Breadcrumbs: []Crumb{
			{Label: "Organisations", URL: "/"}, {Label: org.Name, URL: "/orgs/" + org.Slug}, {Label: "Single sign-on"}}},
		Org:         org,
		CallbackURL: callback,
		SignInURL:   strings.TrimSuffix(callback, ssoCallbackPath) + "/login/sso?org=" + url.QueryEscape(org.Slug),
		Roles:       identity.Roles,
		Admin:       admin,
		Action:      "/orgs/" + org.Slug + "/settings/sso",
	}
	if admin {
		v.Page.Breadcrumbs = []Crumb{{Label: "Organisations", URL: "/admin/orgs"}, {Label: org.Name}, {Label: "Single sign-on"}}
		v.Action = "/admin/orgs/" + org.Slug + "/sso"
	}
	return v
}

func (s *Server) ssoSettingsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSSOSettings(w, r, OrgOf(r.Context()).Org, false)
}

func (s *Server) ssoSettingsSubmit(w http.ResponseWriter, r *http.Request) error {
	return s.saveSSOSettings(w, r, OrgOf(r.Context()).Org, false)
}

// adminOrg is the organisation an administrator's page names, who need
// not be a member of it.
func (s *Server) adminOrg(r *http.Request) (identity.Org, error) {
	org, err := s.db.Org(r.Context(), r.PathValue("org"))
	if errors.Is(err, store.ErrNotFound) {
		return identity.Org{}, &HTTPError{Code: http.StatusNotFound, Msg: "There is no such organisation.", Err: err}
	}
	return org, err
}

func (s *Server) adminSSOSettingsPage(w http.ResponseWriter, r *http.Request) error {
	org, err := s.adminOrg(r)
	if err != nil {
		return err
	}
	return s.renderSSOSettings(w, r, org, true)
}

func (s *Server) adminSSOSettingsSubmit(w http.ResponseWriter, r *http.Request) error {
	org, err := s.adminOrg(r)
	if err != nil {
		return err
	}
	return s.saveSSOSettings(w, r, org, true)
}

func (s *Server) renderSSOSettings(w http.ResponseWriter, r *http.Request, org identity.Org, admin bool) error {
	v := s.ssoSettingsView(r, org, admin)
	v.Saved = r.URL.Query().Get("saved") == "1"
	p, err := s.db.SSOProvider(r.Context(), org.ID)
	switch {
	case err == nil:
		c := p.Config
		v.Configured, v.UpdatedAt, v.UpdatedBy = true, p.UpdatedAt, p.UpdatedBy
		v.Form = ssoForm{Enabled: c.Enabled, Issuer: c.Issuer, ClientID: c.ClientID, Scopes: strings.Join(c.Scopes, " "),
			GroupsClaim: c.GroupsClaim, RoleMap: c.RoleMap.String(), DefaultRole: string(c.DefaultRole), JIT: c.JIT,
			AllowedDomains: strings.Join(c.AllowedDomains, " "), TrustMFA: c.TrustMFA}
	case errors.Is(err, store.ErrNotFound):
		v.Form = ssoForm{Enabled: true, GroupsClaim: "groups"}
	default:
		return err
	}
	s.render(w, r, http.StatusOK, "sso", v)
	return nil
}

// saveSSOSettings saves an organisation's provider from the settings form.
// Trust in the provider's second factor is the administrator's alone to
// give: an owner's save keeps it only while the issuer stays the same.
func (s *Server) saveSSOSettings(w http.ResponseWriter, r *http.Request, org identity.Org, admin bool) error {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "The form could not be read."}
	}
	f := r.PostForm
	form := ssoForm{
		Enabled: f.Get("enabled") == "on", Issuer: f.Get("issuer"), ClientID: f.Get("client_id"), Scopes: f.Get("scopes"),
		GroupsClaim: f.Get("groups_claim"), RoleMap: f.Get("role_map"), DefaultRole: f.Get("default_role"),
		JIT: f.Get("jit") == "on", AllowedDomains: f.Get("allowed_domains"), TrustMFA: admin && f.Get("trust_mfa") == "on",
	}
	secret := f.Get("client_secret")
	v := s.ssoSettingsView(r, org, admin)
	v.Form = form
	existing, err := s.db.SSOProvider(ctx, org.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	v.Configured = err == nil
	v.UpdatedAt, v.UpdatedBy = existing.UpdatedAt, existing.UpdatedBy

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
		dctx, cancel := context.WithTimeout(ctx, ssoHTTPTimeout)
		_, _, _, err := s.ssoClient(dctx, r, cfg)
		cancel()
		if err != nil {
			s.log.InfoContext(ctx, "single sign-on settings: discovery failed", slog.String("issuer", cfg.Issuer), slog.Any("err", err))
			problems.Add("issuer", "did not answer with a usable discovery document at "+strings.TrimSuffix(cfg.Issuer, "/")+"/.well-known/openid-configuration")
		}
	}
	if len(problems) > 0 {
		v.Problems = problems
		s.render(w, r, http.StatusUnprocessableEntity, "sso", v)
		return nil
	}
	var sealed *store.SealedSecret
	if secret != "" {
		if s.cfg.Keys == nil {
			return &HTTPError{Code: http.StatusServiceUnavailable, Msg: "This server has no encryption key to protect the client secret with."}
		}
		dk, kekID, wrapped, err := s.cfg.Keys.NewDataKey()
		if err != nil {
			return err
		}
		box, err := dk.Seal([]byte(secret), ssoSecretAAD(org.ID))
		if err != nil {
			return err
		}
		sealed = &store.SealedSecret{KEKID: kekID, Wrapped: wrapped, Sealed: box}
	}
	cfg.ClientSecret = ""
	if err := s.db.SaveSSOProvider(ctx, s.Actor(r), cfg, sealed); err != nil {
		if errors.As(err, &verr) {
			v.Problems = verr
			s.render(w, r, http.StatusUnprocessableEntity, "sso", v)
			return nil
		}
		return err
	}
	http.Redirect(w, r, v.Action+"?saved=1", http.StatusSeeOther)
	return nil
}
