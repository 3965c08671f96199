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
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

const (
	ssoCookie       = "sg_sso"
	secureSSOCookie = "__Host-sg_sso"
	// SSOCallbackPath is where providers send the browser back to.
	SSOCallbackPath = "/login/sso/callback"
	// ssoHTTPTimeout bounds each request to a provider, and
	// maxProviderResponse the size of its answer.
	ssoHTTPTimeout      = 10 * time.Second
	maxProviderResponse = 1 << 20
)

// ssoRoutes registers single sign-on's routes.
func (s *Server) ssoRoutes(mux *http.ServeMux) {
	s.route(mux, "GET /login/sso", identity.PermPublic, s.ssoStart)
	s.route(mux, "GET "+SSOCallbackPath, identity.PermPublic, s.ssoCallback)
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
		return strings.TrimRight(s.cfg.PublicURL, "/") + SSOCallbackPath
	}
	scheme := "http"
	if clientOf(r.Context()).Secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host + SSOCallbackPath
}

// SSORedirectURL is the callback address a provider sends the browser back
// to after signing in (see ssoRedirectURL).
func (s *Server) SSORedirectURL(r *http.Request, cfg identity.SSOConfig) string {
	return s.ssoRedirectURL(r, cfg)
}

// CheckSSOProvider checks that cfg's provider answers with a usable
// discovery document, before people depend on it.
func (s *Server) CheckSSOProvider(ctx context.Context, r *http.Request, cfg identity.SSOConfig) error {
	ctx, cancel := context.WithTimeout(ctx, ssoHTTPTimeout)
	defer cancel()
	_, _, _, err := s.ssoClient(ctx, r, cfg)
	return err
}

// SealSSOSecret seals an organisation's client secret under a new data key
// for the store; sign-in opens it with openSSOSecret.
func (s *Server) SealSSOSecret(orgID int64, secret string) (*store.SealedSecret, error) {
	if s.cfg.Keys == nil {
		return nil, &HTTPError{Code: http.StatusServiceUnavailable, Msg: "This server has no encryption key to protect the client secret with."}
	}
	dk, kekID, wrapped, err := s.cfg.Keys.NewDataKey()
	if err != nil {
		return nil, err
	}
	box, err := dk.Seal([]byte(secret), ssoSecretAAD(orgID))
	if err != nil {
		return nil, err
	}
	return &store.SealedSecret{KEKID: kekID, Wrapped: wrapped, Sealed: box}, nil
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
