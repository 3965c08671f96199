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
	NewToken    string // shown once, right after creation
	Problems    validate.Error
	Now         time.Time
	Notice      string
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
	}
	return ""
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, v *accountView) error {
	p := principalOf(r.Context())
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
	p := principalOf(r.Context())
	var keep int64
	if p.Session != nil {
		keep = p.Session.ID
	}
	if err := s.db.EndUserSessions(r.Context(), s.actor(r), p.User.ID, keep, "signed out everywhere"); err != nil {
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

// createToken makes a token for the caller. A token may not outrank its
// maker: a token cannot create another token with a wider scope.
func (s *Server) createToken(r *http.Request, req tokenRequest) (store.Token, string, error) {
	p := principalOf(r.Context())
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
	if p.Token != nil && scope != "" && !tokenScopeWithin(scope, p.Token.Scope) {
		problems.Add("scope", "may not exceed the scope of the token making it")
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
	t, err = s.db.CreateToken(r.Context(), s.actor(r), identity.HashSecret(secret), t, ttl)
	if err != nil {
		return store.Token{}, "", err
	}
	t.OrgSlug = req.Org
	return t, secret, nil
}

func tokenScopeWithin(want, have identity.Scope) bool {
	rank := map[identity.Scope]int{identity.ScopeRead: 1, identity.ScopeWrite: 2, identity.ScopeAdmin: 3}
	return rank[want] <= rank[have]
}

func (s *Server) tokenSubmit(w http.ResponseWriter, r *http.Request) error {
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
	if err := s.db.RevokeToken(r.Context(), s.actor(r), principalOf(r.Context()).User.ID, id); err != nil {
		return err
	}
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/account?done=revoked", http.StatusSeeOther)
	return nil
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.db.Tokens(r.Context(), principalOf(r.Context()).User.ID)
	if err != nil {
		return err
	}
	items := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		items = append(items, toTokenJSON(t))
	}
	s.writeJSON(w, r, http.StatusOK, list[tokenJSON]{Items: items})
	return nil
}

func (s *Server) apiTokenCreate(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := decodeJSON(r, &req); err != nil {
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

// list is the shape of every list the API returns.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// invitationView is the page where an invited user chooses a password.
type invitationView struct {
	Page
	Email    string
	Token    string
	Problems validate.Error
	Gone     bool
	CSRF     string // the pre-session form token (loginguard.go)
}

func (s *Server) invitation(r *http.Request) (store.Invitation, identity.User, error) {
	inv, u, err := s.db.InvitationByToken(r.Context(), identity.HashSecret(r.PathValue("token")))
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!inv.UsedAt.IsZero() || !s.db.Now().Before(inv.ExpiresAt) || !u.Active())) {
		return store.Invitation{}, identity.User{}, store.ErrNotFound
	}
	return inv, u, err
}

func (s *Server) invitationPage(w http.ResponseWriter, r *http.Request) error {
	_, u, err := s.invitation(r)
	if errors.Is(err, store.ErrNotFound) {
		s.auditFailure(r, "user.invite_refused", "route:"+r.Method+" /invite/{token}", "unknown, used or expired invitation")
		s.render(w, r, http.StatusGone, "invitation", &invitationView{Page: Page{Title: "Invitation"}, Gone: true})
		return nil
	} else if err != nil {
		return err
	}
	token, err := s.preSessionToken(w, r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "invitation", &invitationView{Page: Page{Title: "Choose your password"}, Email: u.Email, Token: r.PathValue("token"), CSRF: token})
	return nil
}

func (s *Server) invitationSubmit(w http.ResponseWriter, r *http.Request) error {
	// Accepting an invitation signs the browser in: without this check
	// another site could sign a visitor in to an account it was invited to.
	if err := s.checkPreSessionCSRF(r); err != nil {
		return err
	}
	inv, u, err := s.invitation(r)
	if errors.Is(err, store.ErrNotFound) {
		s.auditFailure(r, "user.invite_refused", "route:"+r.Method+" /invite/{token}", "unknown, used or expired invitation")
		s.render(w, r, http.StatusGone, "invitation", &invitationView{Page: Page{Title: "Invitation"}, Gone: true})
		return nil
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
		token, err := s.preSessionToken(w, r)
		if err != nil {
			return err
		}
		s.render(w, r, http.StatusUnprocessableEntity, "invitation", &invitationView{Page: Page{Title: "Choose your password"},
			Email: u.Email, Token: r.PathValue("token"), Problems: problems, CSRF: token})
		return nil
	}
	hash, err := s.hasher.Hash(r.Context(), pw)
	if err != nil {
		return err
	}
	if err := s.db.AcceptInvitation(r.Context(), store.Actor{Name: fmt.Sprintf("user:%d", u.ID), Source: clientOf(r.Context()).IP, RequestID: requestID(r.Context())}, inv, hash); err != nil {
		return err
	}
	p, err := s.startSession(w, r, u, time.Time{}, "invitation")
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

// sessionStatus tells the idle-logout script how long the session has left,
// without extending it.
func (s *Server) sessionStatus(w http.ResponseWriter, r *http.Request) error {
	sess := principalOf(r.Context()).Session
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
	sess := principalOf(r.Context()).Session
	if sess == nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "Only browser sessions have an idle limit."}
	}
	if _, err := s.db.TouchSession(r.Context(), *sess, 0); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
