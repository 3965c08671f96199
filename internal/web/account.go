package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// accountView is the signed-in user's own account page: sessions and tokens.
type accountView struct {
	Page
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
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, http.StatusOK, &accountView{Notice: noticeText(r.URL.Query().Get("done"))})
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
	case "sso-unlinked":
		return "The identity provider is no longer linked to your account."
	}
	return ""
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, v *accountView) error {
	p := PrincipalOf(r.Context())
	var err error
	if v.Sessions, err = s.db.ActiveSessions(r.Context(), p.User.ID); err != nil {
		return err
	}
	if v.Tokens, err = s.db.Tokens(r.Context(), p.User.ID); err != nil {
		return err
	}
	if v.Memberships, err = s.db.Memberships(r.Context(), p.User.ID); err != nil {
		return err
	}
	if v.Invitations, err = s.db.PendingInvitations(r.Context(), p.User.ID); err != nil {
		return err
	}
	if err := s.loadAccountSSO(r, p, v); err != nil {
		return err
	}
	v.Page = Page{Title: "Your account", Breadcrumbs: []Crumb{{Label: "Account"}}}
	v.User = p.User
	v.Now = s.db.Now()
	if p.Session != nil {
		v.CurrentID = p.Session.ID
	}
	s.render(w, r, status, "account", v)
	return nil
}

// signOutEverywhere ends every other session of the user.
func (s *Server) signOutEverywhere(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	var keep int64
	if p.Session != nil {
		keep = p.Session.ID
	}
	if err := s.db.EndUserSessions(r.Context(), s.Actor(r), p.User.ID, keep, "signed out everywhere"); err != nil {
		return err
	}
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/account?done=signed-out-elsewhere", http.StatusSeeOther)
	return nil
}

// tokenRequest is the body of POST /api/v1/tokens and the token form.
type tokenRequest struct {
	Name    string `json:"name"`
	Org     string `json:"org,omitempty"`
	Scope   string `json:"scope"`
	Expires string `json:"expires,omitempty"` // a Go duration, default 720h
}

// tokenJSON describes a token without its secret.
type tokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Org        string     `json:"org,omitempty"`
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Revoked    bool       `json:"revoked"`
	Token      string     `json:"token,omitempty"` // only in the creation response
}

func toTokenJSON(t store.Token) tokenJSON {
	j := tokenJSON{ID: t.ID, Name: t.Name, Org: t.OrgSlug, Scope: string(t.Scope), CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, Revoked: !t.RevokedAt.IsZero()}
	if !t.LastUsedAt.IsZero() {
		lu := t.LastUsedAt
		j.LastUsedAt = &lu
	}
	return j
}

// createToken makes a token for the caller, who is a person in a browser
// session: an API token never makes another (its route needs
// PermCredentials, which no scope allows), so a token cannot outlive or
// outrank the one that would have made it. The new token is still bounded by
// its user's role wherever it is used.
func (s *Server) createToken(r *http.Request, req tokenRequest) (store.Token, string, error) {
	p := PrincipalOf(r.Context())
	if p.Token != nil {
		return store.Token{}, "", s.refuseToken(r, p.Token, identity.PermCredentials)
	}
	problems := validate.Error{}
	scope, err := identity.ParseScope(req.Scope)
	if err != nil {
		problems.Add("scope", "must be read, write or admin")
	}
	ttl := 720 * time.Hour
	if req.Expires != "" {
		if ttl, err = time.ParseDuration(req.Expires); err != nil || ttl <= 0 {
			problems.Add("expires", "must be a duration such as 720h")
		}
	}
	t := store.Token{UserID: p.User.ID, Name: req.Name, Scope: scope}
	if req.Org != "" {
		o, err := s.db.Org(r.Context(), req.Org)
		if err == nil {
			if _, err = s.db.Membership(r.Context(), o.ID, p.User.ID); err == nil {
				t.OrgID = o.ID
			}
		}
		if err != nil {
			problems.Add("org", "is not an organisation you belong to")
		}
	}
	if len(problems) > 0 {
		return store.Token{}, "", problems
	}
	secret, err := identity.NewSecret(identity.PrefixToken)
	if err != nil {
		return store.Token{}, "", err
	}
	t, err = s.db.CreateToken(r.Context(), s.Actor(r), identity.HashSecret(secret), t, ttl)
	if err != nil {
		return store.Token{}, "", err
	}
	t.OrgSlug = req.Org
	return t, secret, nil
}

// tokensDuringEmergency refuses a new API token while the user's emergency
// access runs: a token would outlive it. (A token never carries raised
// access anyway: it acts with its user's own role.)
func (s *Server) tokensDuringEmergency(r *http.Request) error {
	p := PrincipalOf(r.Context())
	in, err := s.db.UserInEmergency(r.Context(), p.User.ID)
	if err != nil || !in {
		return err
	}
	s.AuditRefusal(r, "auth.forbidden", "no API token while emergency access runs")
	return &HTTPError{Code: http.StatusForbidden, Msg: "API tokens cannot be created while your emergency access runs: a token would outlive it."}
}

func (s *Server) tokenSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := s.tokensDuringEmergency(r); err != nil {
		return err
	}
	req := tokenRequest{Name: r.PostFormValue("name"), Org: r.PostFormValue("org"), Scope: r.PostFormValue("scope"), Expires: r.PostFormValue("expires")}
	t, secret, err := s.createToken(r, req)
	var problems validate.Error
	if errors.As(err, &problems) {
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, &accountView{Problems: problems})
	} else if err != nil {
		return err
	}
	return s.renderAccount(w, r, http.StatusCreated, &accountView{NewToken: secret, Notice: fmt.Sprintf("Token %q created. Copy it now: it is not shown again.", t.Name)})
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return &HTTPError{Code: http.StatusNotFound, Msg: "No such token."}
	}
	p := PrincipalOf(r.Context())
	// A token may revoke itself (a script cleaning up after itself), never
	// the user's other tokens: those are managed in a browser session.
	if p.Token != nil && p.Token.ID != id {
		s.AuditRefusal(r, "auth.forbidden", fmt.Sprintf("token %d may revoke only itself, not token %d", p.Token.ID, id))
		return &HTTPError{Code: http.StatusForbidden, Msg: "An API token may revoke only itself; manage other tokens on your account page."}
	}
	if err := s.db.RevokeToken(r.Context(), s.Actor(r), p.User.ID, id); err != nil {
		return err
	}
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/account?done=revoked", http.StatusSeeOther)
	return nil
}

// apiTokens lists the caller's tokens. Called with a token, it lists only
// that token: a token bound to one organisation must not learn of the
// user's tokens for others.
func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) error {
	pg, err := PageQuery(r)
	if err != nil {
		return err
	}
	p := PrincipalOf(r.Context())
	if p.Token != nil {
		WritePage(s, w, r, []tokenJSON{toTokenJSON(*p.Token)}, nil)
		return nil
	}
	ts, next, err := s.db.TokenPage(r.Context(), p.User.ID, pg)
	if err != nil {
		return err
	}
	items := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		items = append(items, toTokenJSON(t))
	}
	WritePage(s, w, r, items, next)
	return nil
}

func (s *Server) apiTokenCreate(w http.ResponseWriter, r *http.Request) error {
	if err := s.tokensDuringEmergency(r); err != nil {
		return err
	}
	var req tokenRequest
	if err := DecodeJSON(r, &req); err != nil {
		return err
	}
	t, secret, err := s.createToken(r, req)
	if err != nil {
		return err
	}
	j := toTokenJSON(t)
	j.Token = secret
	s.writeJSON(w, r, http.StatusCreated, j)
	return nil
}

// invitationView is the page an invitation link opens: choosing a password
// for a new account, or, for an existing one, answering the invitation once
// signed in as that person.
type invitationView struct {
	Page
	Email    string
	Token    string
	Problems validate.Error
	Gone     bool
	// Join is the organisation invitation behind the link, if it is one.
	Join *identity.Invitation
	// SignIn asks the visitor to sign in as the invited person to answer;
	// Answer shows the accept and decline buttons to that person.
	SignIn bool
	Answer bool
	CSRF   string // the pre-session form token (loginguard.go)
}

func (s *Server) invitation(r *http.Request) (store.Invitation, identity.User, error) {
	inv, u, err := s.db.InvitationByToken(r.Context(), identity.HashSecret(r.PathValue("token")))
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!inv.UsedAt.IsZero() || !s.db.Now().Before(inv.ExpiresAt) || !u.Active())) {
		return store.Invitation{}, identity.User{}, store.ErrNotFound
	}
	return inv, u, err
}

// joinInvitation returns the pending organisation invitation behind the
// request's link, whether its link may set up the account, or ErrNotFound.
func (s *Server) joinInvitation(r *http.Request) (identity.Invitation, bool, error) {
	inv, err := s.db.MemberInvitationByToken(r.Context(), identity.HashSecret(r.PathValue("token")))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !inv.Pending(s.db.Now())) {
		return identity.Invitation{}, false, store.ErrNotFound
	} else if err != nil {
		return identity.Invitation{}, false, err
	}
	u, err := s.db.User(r.Context(), inv.UserID)
	if err != nil {
		return identity.Invitation{}, false, err
	}
	if !u.Active() {
		return identity.Invitation{}, false, store.ErrNotFound
	}
	setUp := inv.NewAccount && u.PasswordSetAt.IsZero() && u.LastLoginAt.IsZero()
	return inv, setUp, nil
}

func (s *Server) invitationGone(w http.ResponseWriter, r *http.Request) error {
	s.AuditFailure(r, "user.invite_refused", "route:"+r.Method+" /invite/{token}", "unknown, used or expired invitation")
	s.render(w, r, http.StatusGone, "invitation", &invitationView{Page: Page{Title: "Invitation"}, Gone: true})
	return nil
}

func (s *Server) invitationPage(w http.ResponseWriter, r *http.Request) error {
	_, u, err := s.invitation(r)
	if err == nil {
		token, err := s.PreSessionToken(w, r)
		if err != nil {
			return err
		}
		s.render(w, r, http.StatusOK, "invitation", &invitationView{Page: Page{Title: "Choose your password"}, Email: u.Email, Token: r.PathValue("token"), CSRF: token})
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	join, setUp, err := s.joinInvitation(r)
	if errors.Is(err, store.ErrNotFound) {
		return s.invitationGone(w, r)
	} else if err != nil {
		return err
	}
	v := &invitationView{Page: Page{Title: "Invitation to " + join.OrgName}, Email: join.Email, Token: r.PathValue("token"), Join: &join}
	if setUp {
		v.Title = "Choose your password"
		if v.CSRF, err = s.PreSessionToken(w, r); err != nil {
			return err
		}
	} else if p := PrincipalOf(r.Context()); p != nil && p.Session != nil && p.User.ID == join.UserID {
		v.Answer = true
	} else {
		v.SignIn = true
	}
	s.render(w, r, http.StatusOK, "invitation", v)
	return nil
}

func (s *Server) invitationSubmit(w http.ResponseWriter, r *http.Request) error {
	// Accepting an invitation signs the browser in: without this check
	// another site could sign a visitor in to an account it was invited to.
	if err := s.CheckPreSessionCSRF(r); err != nil {
		return err
	}
	inv, u, err := s.invitation(r)
	var join identity.Invitation
	if errors.Is(err, store.ErrNotFound) {
		var setUp bool
		join, setUp, err = s.joinInvitation(r)
		if err == nil && !setUp {
			err = store.ErrNotFound
		}
		if err == nil {
			if u, err = s.db.User(r.Context(), join.UserID); err != nil {
				return err
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return s.invitationGone(w, r)
	} else if err != nil {
		return err
	}
	pw, confirm := r.PostFormValue("new"), r.PostFormValue("confirm")
	problems := validate.Error{}
	if err := identity.CheckPassword(pw, u.Email, u.Name); err != nil {
		problems.Add("new", strings.TrimPrefix(err.Error(), identity.ErrWeakPassword.Error()+": "))
	}
	if confirm != pw {
		problems.Add("confirm", "does not match the new password")
	}
	if len(problems) > 0 {
		token, err := s.PreSessionToken(w, r)
		if err != nil {
			return err
		}
		v := &invitationView{Page: Page{Title: "Choose your password"}, Email: u.Email, Token: r.PathValue("token"), Problems: problems, CSRF: token}
		if join.ID != 0 {
			v.Join = &join
		}
		s.render(w, r, http.StatusUnprocessableEntity, "invitation", v)
		return nil
	}
	hash, err := s.hasher.Hash(r.Context(), pw)
	if err != nil {
		return err
	}
	actor := store.Actor{Name: fmt.Sprintf("user:%d", u.ID), Source: clientOf(r.Context()).IP, RequestID: requestID(r.Context())}
	if join.ID != 0 {
		// Setting up the account the invitation made is accepting it.
		err = s.db.SetUpInvitedAccount(r.Context(), actor, join.ID, hash)
	} else {
		err = s.db.AcceptInvitation(r.Context(), actor, inv, hash)
	}
	if err != nil {
		return err
	}
	p, err := s.StartSession(w, r, u, time.Time{}, "invitation")
	if err != nil {
		return err
	}
	to := "/"
	if step := s.pendingStep(r, p); step != "" {
		to = step
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// invitationAccept makes the membership an invitation offers. It needs the
// invited person in a browser session: joining brings the organisation's
// policies onto the account, which no API token may decide.
func (s *Server) invitationAccept(w http.ResponseWriter, r *http.Request) error {
	return s.answerInvitation(w, r, true)
}

func (s *Server) invitationDecline(w http.ResponseWriter, r *http.Request) error {
	return s.answerInvitation(w, r, false)
}

func (s *Server) answerInvitation(w http.ResponseWriter, r *http.Request, accept bool) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return &HTTPError{Code: http.StatusNotFound, Msg: "No such invitation."}
	}
	inv, err := s.db.AnswerInvitation(r.Context(), s.Actor(r), PrincipalOf(r.Context()).User.ID, id, accept)
	if errors.Is(err, store.ErrNotFound) {
		return &HTTPError{Code: http.StatusNotFound, Msg: "No such invitation.", Err: err}
	} else if err != nil {
		return err
	}
	if wantsJSON(r) {
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

// sessionStatus tells the idle-logout script how long the session has left,
// without extending it.
func (s *Server) sessionStatus(w http.ResponseWriter, r *http.Request) error {
	sess := PrincipalOf(r.Context()).Session
	if sess == nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "Only browser sessions have an idle limit."}
	}
	now := s.db.Now()
	deadline := sess.IdleDeadline()
	if sess.ExpiresAt.Before(deadline) {
		deadline = sess.ExpiresAt
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, http.StatusOK, map[string]any{
		"idle_seconds":    int(sess.Idle / time.Second),
		"seconds_left":    int(math.Ceil(deadline.Sub(now).Seconds())),
		"expires_at":      sess.ExpiresAt,
		"idle_deadline":   deadline,
		"absolute_reason": sess.ExpiresAt.Equal(deadline),
	})
	return nil
}

// keepAlive is "Stay signed in": the request itself extends the session.
func (s *Server) keepAlive(w http.ResponseWriter, r *http.Request) error {
	sess := PrincipalOf(r.Context()).Session
	if sess == nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "Only browser sessions have an idle limit."}
	}
	if _, err := s.db.TouchSession(r.Context(), *sess, 0); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
