package web

// Linking a provider account to one's own Safeguard account. An account
// that signs in with a password or passkey is signed in through a provider
// only once its holder has linked it, while signed in: so a provider that
// puts someone's email address in an ID token gains nothing by it.

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

var errNoSSOToLink = &HTTPError{Code: http.StatusNotFound, Msg: "There is no such single sign-on to link to."}

// ssoLinkStart sends the signed-in user to a provider to link the account
// they sign in with there to their own.
func (s *Server) ssoLinkStart(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := PrincipalOf(ctx)
	if p.Session == nil {
		return &HTTPError{Code: http.StatusForbidden, Msg: "Link an identity provider from your browser, not with an API token."}
	}
	slug := strings.ToLower(strings.TrimSpace(r.PostFormValue("org")))
	var cfg identity.SSOConfig
	if slug == "" {
		if s.cfg.SSO == nil {
			return errNoSSOToLink
		}
		cfg = *s.cfg.SSO
	} else {
		o, err := s.db.Org(ctx, slug)
		if errors.Is(err, store.ErrNotFound) {
			return errNoSSOToLink
		} else if err != nil {
			return err
		}
		if _, err := s.db.Membership(ctx, o.ID, p.User.ID); errors.Is(err, store.ErrNotFound) {
			return errNoSSOToLink
		} else if err != nil {
			return err
		}
		if cfg, err = s.orgSSO(ctx, o.ID); errors.Is(err, store.ErrNotFound) {
			return errNoSSOToLink
		} else if err != nil {
			return err
		}
	}
	return s.ssoBegin(w, r, cfg, slug, "/account", p.User.ID, true)
}

// ssoLinkFinish links the provider account that came back to the user who
// started the link, in the same browser and still signed in.
func (s *Server) ssoLinkFinish(w http.ResponseWriter, r *http.Request, cfg identity.SSOConfig, st store.SSOState, subject string, c ssoClaims) error {
	ctx := r.Context()
	p := PrincipalOf(ctx)
	if p == nil || p.Session == nil || p.User.ID != st.LinkUserID {
		return refuse(http.StatusForbidden, fmt.Sprintf("link for user %d finished outside that user's session", st.LinkUserID),
			"Linking needs you to stay signed in to the account that started it. Sign in, then link again from Account.")
	}
	if !cfg.AllowsEmail(p.User.Email) {
		return refuse(http.StatusForbidden, fmt.Sprintf("email domain of %s is not allowed for this provider", p.User.Email),
			"This identity provider may not sign in accounts with your email address's domain.")
	}
	if !cfg.Deployment() && p.User.Admin {
		return refuse(http.StatusForbidden, fmt.Sprintf("%s is a platform administrator; an organisation's provider may not sign one in", p.User.Email),
			"Platform administrators sign in with their password, not an organisation's single sign-on.")
	}
	msgTaken := "This identity provider account is linked to another Safeguard account already."
	_, u, err := s.db.UserBySSOIdentity(ctx, cfg.Issuer, subject)
	switch {
	case err == nil && u.ID == p.User.ID:
		http.Redirect(w, r, "/account?done=sso-linked", http.StatusSeeOther)
		return nil
	case err == nil:
		return refuse(http.StatusConflict, fmt.Sprintf("provider account %s is linked to user %d already", subject, u.ID), msgTaken)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	_, err = s.db.LinkSSOIdentity(ctx, s.Actor(r), store.SSOIdentity{Issuer: cfg.Issuer, Subject: subject, UserID: p.User.ID, OrgID: cfg.OrgID,
		Email: identity.NormalizeEmail(c.Email), Origin: identity.LinkAccount})
	if errors.Is(err, store.ErrConflict) {
		return refuse(http.StatusConflict, fmt.Sprintf("provider account %s is linked already", subject), msgTaken)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/account?done=sso-linked", http.StatusSeeOther)
	return nil
}

// ssoUnlink removes one of the user's links, unless it is the only way the
// account signs in.
func (s *Server) ssoUnlink(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := PrincipalOf(ctx)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return &HTTPError{Code: http.StatusNotFound, Msg: "No such single sign-on link."}
	}
	links, err := s.db.SSOIdentities(ctx, p.User.ID)
	if err != nil {
		return err
	}
	has, err := s.db.UserHasSignInCredential(ctx, p.User.ID)
	if err != nil {
		return err
	}
	if !has && len(links) == 1 && links[0].ID == id {
		return &HTTPError{Code: http.StatusConflict, Msg: "This is the only way your account signs in. Set a password or add a passkey first."}
	}
	if err := s.db.UnlinkSSOIdentity(ctx, s.Actor(r), p.User.ID, id); errors.Is(err, store.ErrNotFound) {
		return &HTTPError{Code: http.StatusNotFound, Msg: "No such single sign-on link.", Err: err}
	} else if err != nil {
		return err
	}
	if WantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/account?done=sso-unlinked", http.StatusSeeOther)
	return nil
}
