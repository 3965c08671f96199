package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// Throttling: after a few failures a key is locked for a time that doubles
// with each further failure, up to a ceiling, so an account under attack is
// never locked for good. Addresses get more room than accounts because many
// people can share one address.
const (
	accountFreeFailures = 4
	addressFreeFailures = 20
	maxLock             = 15 * time.Minute
	knownDeviceLifetime = 90 * 24 * time.Hour
)

// backoff is the lock after the given number of consecutive failures on key.
func backoff(key string, failures int) time.Duration {
	free := accountFreeFailures
	if strings.HasPrefix(key, "ip:") {
		free = addressFreeFailures
	}
	over := failures - free
	if over <= 0 {
		return 0
	}
	d := time.Duration(math.Pow(2, float64(min(over-1, 20)))) * time.Second
	return min(d, maxLock)
}

// errBadCredentials says no more than that sign-in failed: not whether the
// account exists, nor which part was wrong.
var errBadCredentials = &HTTPError{Code: http.StatusUnauthorized, Msg: "The email address or password is not right."}

// throttledError answers 429 with the time to wait.
type throttledError struct{ wait time.Duration }

func (e throttledError) Error() string { return fmt.Sprintf("throttled for %s", e.wait) }

// signIn checks an email and password with throttling, and on success starts
// a session and sets its cookie. The caller says how the result is shown.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, email, password string) (*principal, error) {
	ctx := r.Context()
	email = identity.NormalizeEmail(email)
	ip := clientOf(ctx).IP
	acctKey := "acct:" + email
	keys := []string{acctKey, "ip:" + ip}

	u, err := s.db.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	known := false
	var deviceHash string
	if c, cerr := r.Cookie(s.deviceCookieName(r)); cerr == nil && u.ID != 0 {
		deviceHash = identity.HashSecret(c.Value)
		if known, err = s.db.KnownDevice(ctx, u.ID, deviceHash); err != nil {
			return nil, err
		}
	}
	if known {
		// The owner's own browser: its failures count on their own, so an
		// attacker elsewhere cannot lock the owner out.
		keys[0] = "dev:" + deviceHash
	}
	states, err := s.db.Throttles(ctx, keys...)
	if err != nil {
		return nil, err
	}
	now := s.db.Now()
	var wait time.Duration
	for _, th := range states {
		if d := th.LockedUntil.Sub(now); d > wait {
			wait = d
		}
	}
	if wait > 0 {
		s.auditRefusal(r, "auth.throttled", fmt.Sprintf("sign-in for %s refused while locked (%s left)", email, wait.Round(time.Second)))
		return nil, throttledError{wait}
	}

	var hash string
	if u.ID != 0 {
		if hash, err = s.db.PasswordHash(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	ok := false
	if hash != "" && u.Active() {
		var rehash bool
		ok, rehash, err = s.hasher.Verify(ctx, hash, password)
		if err != nil {
			return nil, err
		}
		if ok && rehash {
			if newHash, err := s.hasher.Hash(ctx, password); err == nil {
				if err := s.db.SetPassword(ctx, store.Actor{Name: "system", Source: ip}, u.ID, newHash, u.MustChangePassword, -1); err != nil {
					return nil, err
				}
			}
		}
	} else {
		s.hasher.Burn(ctx, password)
	}
	if !ok {
		reason := "wrong password"
		switch {
		case u.ID == 0:
			reason = "no such account"
		case !u.Active():
			reason = "account disabled"
		case hash == "":
			reason = "no password set"
		}
		after, err := s.db.RecordFailures(ctx, s.actor(r), audit.Entry{Action: "auth.login_failed", Object: "email:" + email, Summary: reason}, backoff, keys...)
		if err != nil {
			return nil, err
		}
		for k, th := range after {
			if !th.LockedUntil.IsZero() {
				s.auditRefusal(r, "auth.locked", fmt.Sprintf("%s locked until %s after %d failures", k, th.LockedUntil.Format(time.RFC3339), th.Failures))
			}
		}
		return nil, errBadCredentials
	}
	if err := s.db.ClearThrottles(ctx, keys[0]); err != nil {
		return nil, err
	}
	p, err := s.startSession(w, r, u, time.Time{}, "password")
	if err != nil {
		return nil, err
	}
	// Remember this browser as the owner's.
	device, err := identity.NewSecret(identity.PrefixDevice)
	if err != nil {
		return nil, err
	}
	if err := s.db.AddKnownDevice(ctx, u.ID, identity.HashSecret(device), knownDeviceLifetime); err != nil {
		return nil, err
	}
	s.setCookie(w, r, s.deviceCookieName(r), device, knownDeviceLifetime)
	return p, nil
}

// startSession creates a new session for u with a fresh secret (the session ID
// changes at every sign-in) and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u identity.User, mfaAt time.Time, how string) (*principal, error) {
	ctx := r.Context()
	orgIdle, _, err := s.db.UserOrgPolicy(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	secret, err := identity.NewSecret(identity.PrefixSession)
	if err != nil {
		return nil, err
	}
	csrf, err := identity.NewSecret("")
	if err != nil {
		return nil, err
	}
	sess, err := s.db.CreateSession(ctx, store.Actor{Name: fmt.Sprintf("user:%d", u.ID), Source: clientOf(ctx).IP, RequestID: requestID(ctx)},
		identity.HashSecret(secret), identity.Session{
			UserID:    u.ID,
			CSRF:      csrf,
			Idle:      identity.EffectiveIdle(s.cfg.IdleTimeout, orgIdle),
			MFAAt:     mfaAt,
			IP:        clientOf(ctx).IP,
			UserAgent: r.UserAgent(),
		}, s.sessionLifetime())
	if err != nil {
		return nil, err
	}
	if err := s.db.RecordLogin(ctx, store.Actor{Name: fmt.Sprintf("user:%d", u.ID), Source: clientOf(ctx).IP, RequestID: requestID(ctx)}, u.ID, how); err != nil {
		return nil, err
	}
	s.setCookie(w, r, s.sessionCookieName(r), secret, 0)
	return &principal{User: u, Session: &sess}, nil
}

func (s *Server) sessionLifetime() time.Duration {
	if s.cfg.SessionLifetime > 0 {
		return s.cfg.SessionLifetime
	}
	return identity.DefaultMaxLifetime
}

// rotateSession gives the current session a new secret after a change of
// privilege, so a secret seen before it is worth nothing after.
func (s *Server) rotateSession(w http.ResponseWriter, r *http.Request, p *principal, mfaAt time.Time, why string) error {
	secret, err := identity.NewSecret(identity.PrefixSession)
	if err != nil {
		return err
	}
	sess, err := s.db.RotateSession(r.Context(), s.actor(r), *p.Session, identity.HashSecret(secret), mfaAt, why)
	if err != nil {
		return err
	}
	*p.Session = sess
	s.setCookie(w, r, s.sessionCookieName(r), secret, 0)
	return nil
}

// loginView is the sign-in page.
type loginView struct {
	Page
	Next    string
	Email   string
	Problem string
	Notice  string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if principalOf(r.Context()) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	v := &loginView{Page: Page{Title: "Sign in"}, Next: safeNext(r.URL.Query().Get("next"))}
	switch r.URL.Query().Get("reason") {
	case "idle":
		v.Notice = "You were signed out after a period without activity."
	case "signed-out":
		v.Notice = "You have signed out."
	}
	s.render(w, r, http.StatusOK, "login", v)
	return nil
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "The form could not be read."}
	}
	next := safeNext(r.PostForm.Get("next"))
	email := r.PostForm.Get("email")
	p, err := s.signIn(w, r, email, r.PostForm.Get("password"))
	var te throttledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(te.wait.Seconds()))))
		s.render(w, r, http.StatusTooManyRequests, "login", &loginView{Page: Page{Title: "Sign in"}, Next: next, Email: email,
			Problem: fmt.Sprintf("Too many failed attempts. Try again in %s.", humanWait(te.wait))})
		return nil
	case errors.Is(err, errBadCredentials):
		s.render(w, r, http.StatusUnauthorized, "login", &loginView{Page: Page{Title: "Sign in"}, Next: next, Email: email, Problem: errBadCredentials.Msg})
		return nil
	case err != nil:
		return err
	}
	if to := s.pendingStep(r, p); to != "" {
		next = to + "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func humanWait(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(math.Ceil(d.Seconds())))
	}
	return fmt.Sprintf("%d minutes", int(math.Ceil(d.Minutes())))
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r.Context())
	if p.Session != nil {
		if err := s.db.EndSession(r.Context(), s.actor(r), p.Session.ID, "signed out"); err != nil {
			return err
		}
	}
	s.setCookie(w, r, s.sessionCookieName(r), "", -1)
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/login?reason=signed-out", http.StatusSeeOther)
	return nil
}

// apiLoginRequest is the body of POST /api/v1/login.
type apiLoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TOTP     string `json:"totp,omitempty"`
}

// meResponse describes the caller.
type meResponse struct {
	ID                 int64            `json:"id"`
	Email              string           `json:"email"`
	Name               string           `json:"name"`
	Admin              bool             `json:"admin"`
	MustChangePassword bool             `json:"must_change_password"`
	PendingStep        string           `json:"pending_step,omitempty"`
	CSRFToken          string           `json:"csrf_token,omitempty"`
	SessionExpiresAt   *time.Time       `json:"session_expires_at,omitempty"`
	Organisations      []membershipJSON `json:"organisations"`
}

type membershipJSON struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	Role string `json:"role"`
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) error {
	var req apiLoginRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, err := s.signIn(w, r, req.Email, req.Password)
	var te throttledError
	if errors.As(err, &te) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(te.wait.Seconds()))))
		return &HTTPError{Code: http.StatusTooManyRequests, Msg: fmt.Sprintf("Too many failed attempts. Try again in %s.", humanWait(te.wait))}
	} else if err != nil {
		return err
	}
	if err := s.completeSecondFactor(w, r, p, req.TOTP); err != nil {
		return err
	}
	me, err := s.me(r.Context(), p, r)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, me)
	return nil
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	me, err := s.me(r.Context(), principalOf(r.Context()), r)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, me)
	return nil
}

func (s *Server) me(ctx context.Context, p *principal, r *http.Request) (meResponse, error) {
	ms, err := s.db.Memberships(ctx, p.User.ID)
	if err != nil {
		return meResponse{}, err
	}
	out := meResponse{ID: p.User.ID, Email: p.User.Email, Name: p.User.Name, Admin: p.User.Admin,
		MustChangePassword: p.User.MustChangePassword, Organisations: []membershipJSON{}}
	if p.Session != nil {
		out.CSRFToken = p.Session.CSRF
		exp := p.Session.ExpiresAt
		out.SessionExpiresAt = &exp
		out.PendingStep = s.pendingStep(r, p)
	}
	for _, m := range ms {
		// A token bound to one organisation sees only that one, as in
		// GET /api/v1/orgs.
		if p.Token != nil && p.Token.OrgID != 0 && p.Token.OrgID != m.OrgID {
			continue
		}
		out.Organisations = append(out.Organisations, membershipJSON{ID: m.OrgID, Slug: m.OrgSlug, Name: m.OrgName, Role: string(m.Role)})
	}
	return out, nil
}

// maxJSONBody bounds request bodies of the JSON API.
const maxJSONBody = 1 << 20

// decodeJSON reads one JSON object into v, refusing unknown fields and
// trailing data with a 400 that says what was wrong.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &HTTPError{Code: http.StatusUnsupportedMediaType, Msg: "Send the body as application/json."}
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxJSONBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return tooLargeBody(mbe.Limit)
		}
		return &HTTPError{Code: http.StatusBadRequest, Msg: "The request body is not valid JSON for this call: " + jsonProblem(err)}
	}
	if dec.More() {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "The request body holds more than one JSON value."}
	}
	return nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "it could not be read"
}

// passwordView is the page for choosing a new password.
type passwordView struct {
	Page
	Forced   bool // a one-time password must be replaced
	Next     string
	Problems validate.Error
	Done     bool
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r.Context())
	s.render(w, r, http.StatusOK, "password", &passwordView{Page: Page{Title: "Change password"},
		Forced: p.User.MustChangePassword, Next: safeNext(r.URL.Query().Get("next")), Done: r.URL.Query().Get("done") == "1"})
	return nil
}

func (s *Server) passwordSubmit(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r.Context())
	if err := r.ParseForm(); err != nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "The form could not be read."}
	}
	current, next, confirm := r.PostForm.Get("current"), r.PostForm.Get("new"), r.PostForm.Get("confirm")
	problems := validate.Error{}
	hash, err := s.db.PasswordHash(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	if ok, _, err := s.hasher.Verify(r.Context(), hash, current); err != nil || !ok {
		problems.Add("current", "is not your current password")
	}
	if err := identity.CheckPassword(next, p.User.Email, p.User.Name); err != nil {
		problems.Add("new", strings.TrimPrefix(err.Error(), identity.ErrWeakPassword.Error()+": "))
	} else if next == current {
		problems.Add("new", "must differ from the current password")
	}
	if confirm != next {
		problems.Add("confirm", "does not match the new password")
	}
	if len(problems) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "password", &passwordView{Page: Page{Title: "Change password"},
			Forced: p.User.MustChangePassword, Next: safeNext(r.PostForm.Get("next")), Problems: problems})
		return nil
	}
	newHash, err := s.hasher.Hash(r.Context(), next)
	if err != nil {
		return err
	}
	if err := s.db.SetPassword(r.Context(), s.actor(r), p.User.ID, newHash, false, p.Session.ID); err != nil {
		return err
	}
	p.User.MustChangePassword = false
	if err := s.rotateSession(w, r, p, time.Time{}, "password changed"); err != nil {
		return err
	}
	to := safeNext(r.PostForm.Get("next"))
	if step := s.pendingStep(r, p); step != "" {
		to = step + "?next=" + url.QueryEscape(to)
	} else if to == "/" {
		to = "/account/password?done=1"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// completeSecondFactor finishes an API sign-in for a user with a second
// factor: the totp field must carry a code. Users without one pass through.
func (s *Server) completeSecondFactor(w http.ResponseWriter, r *http.Request, p *principal, code string) error {
	// From here on the request acts as the user whose password was right.
	r = r.WithContext(context.WithValue(r.Context(), principalKey, p))
	has, err := s.db.UserHasMFA(r.Context(), p.User.ID)
	if err == nil && !has {
		return nil
	}
	// The session signIn started has only the password behind it: unless the
	// code is right it ends here, cookie and all, and is never usable.
	refuse := func(refusal error) error {
		if err := s.db.EndSession(r.Context(), s.actor(r), p.Session.ID, "sign-in without its second factor"); err != nil {
			return err
		}
		dropSetCookie(w, s.sessionCookieName(r))
		s.setCookie(w, r, s.sessionCookieName(r), "", -1)
		return refusal
	}
	if err != nil {
		return refuse(err)
	}
	if strings.TrimSpace(code) == "" {
		return refuse(&HTTPError{Code: http.StatusUnauthorized, Reason: "mfa_required",
			Msg: "This account uses two-step sign-in: send the current code from your authenticator app, or a recovery code, in the totp field."})
	}
	use, err := s.checkSecondFactor(r, p.User.ID, code)
	var te throttledError
	if errors.As(err, &te) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(te.wait.Seconds()))))
		return refuse(&HTTPError{Code: http.StatusTooManyRequests, Msg: fmt.Sprintf("Too many wrong codes. Try again in %s.", humanWait(te.wait))})
	} else if err != nil {
		return refuse(err)
	}
	how := "second factor: authenticator app"
	if use.Recovery {
		how = fmt.Sprintf("second factor: recovery code (%d left)", use.RecoveryLeft)
	}
	// The cookie of the password-only session is replaced, not sent twice.
	dropSetCookie(w, s.sessionCookieName(r))
	return s.rotateSession(w, r, p, s.db.Now().UTC(), how)
}
