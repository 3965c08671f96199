package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
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

// errBadCredentials says no more than that sign-in failed: not whether the
// account exists, nor which part was wrong.
var errBadCredentials = &HTTPError{Code: http.StatusUnauthorized, Msg: "The email address or password is not right."}

// throttledError answers 429 with the time to wait. codeHelps says that
// only the account is locked, so that a second factor would pass it.
type throttledError struct {
	wait      time.Duration
	codeHelps bool
}

func (e throttledError) Error() string { return fmt.Sprintf("throttled for %s", e.wait) }

// signIn checks an email and password with throttling (identity.Backoff
// and identity.SignInKeys say how), and on success starts a session and sets
// its cookie. code is an optional second factor, used only to pass a lock
// of the account. The caller says how the result is shown.
//
// The store is read once (SignInState), the password is checked outside
// any transaction, and the outcome is written in one transaction
// (CompleteSignIn). Only a sign-in that passes the account's lock with a
// second factor spends its code in transactions of its own
// (checkSecondFactor), before the outcome.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, email, password, code string) (*Principal, error) {
	ctx := r.Context()
	email = identity.NormalizeEmail(email)
	ip := clientOf(ctx).IP

	var deviceHash string
	if c, err := r.Cookie(s.deviceCookieName(r)); err == nil {
		deviceHash = identity.HashSecret(c.Value)
	}
	st, err := s.db.SignInState(ctx, email, ip, deviceHash)
	if err != nil {
		return nil, err
	}
	u, keys, lock := st.User, st.Keys, st.Lock()
	passLock := lock.Wait > 0 && lock.Passes(strings.TrimSpace(code) != "")
	if !lock.Passes(strings.TrimSpace(code) != "") {
		s.AuditFailure(r, "auth.throttled", "email:"+email, fmt.Sprintf("sign-in for %s refused while locked (%s left)", email, lock.Wait.Round(time.Second)))
		return nil, throttledError{wait: lock.Wait, codeHelps: lock.OnlyAccount}
	}

	hash := st.PasswordHash
	ok, newHash := false, ""
	if hash != "" && u.Active() {
		var rehash bool
		ok, rehash, err = s.hasher.Verify(ctx, hash, password)
		if err != nil {
			return nil, err // ErrBusy included: shed, not counted as a failure
		}
		if ok && rehash {
			if h, err := s.hasher.Hash(ctx, password); err == nil {
				newHash = h
			}
		}
	} else if err := s.hasher.Burn(ctx, password); err != nil {
		return nil, err
	}
	if !ok {
		return nil, s.failSignIn(r, email, st, passLock, lock)
	}

	how, mfaAt := "password", time.Time{}
	if passLock {
		// The password was right; the account stays locked unless the
		// second factor is right too. Either way the answer is the same as
		// for a wrong password.
		if !st.HasMFA {
			s.AuditFailure(r, "auth.throttled", "email:"+email, "sign-in while the account was locked: right password, but the user has no second factor")
			return nil, throttledError{wait: lock.Wait, codeHelps: true}
		}
		use, err := s.checkSecondFactor(r, u.ID, code)
		if errors.Is(err, errCodeRefused) || errors.As(err, new(throttledError)) {
			return nil, throttledError{wait: lock.Wait, codeHelps: true}
		} else if err != nil {
			return nil, err
		}
		how, mfaAt = "password and second factor while the account was locked", st.Now.UTC()
		if use.Recovery {
			how = fmt.Sprintf("password and recovery code (%d left) while the account was locked", use.RecoveryLeft)
		}
	}

	secret, err := identity.NewSecret(identity.PrefixSession)
	if err != nil {
		return nil, err
	}
	csrf, err := identity.NewSecret("")
	if err != nil {
		return nil, err
	}
	// Remember this browser as the owner's, with the gate's tag, so that
	// its sign-ins have an allowance of their own (signingate.go).
	device, err := identity.NewSecret(identity.PrefixDevice)
	if err != nil {
		return nil, err
	}
	device = s.gate.tagDevice(device)
	res, err := s.db.CompleteSignIn(ctx, s.Actor(r), store.SignInOutcome{Keys: keys, Success: &store.SignInSuccess{
		UserID:             u.ID,
		CheckedHash:        hash,
		Rehash:             newHash,
		MustChangePassword: u.MustChangePassword,
		PassedLock:         passLock,
		SessionHash:        identity.HashSecret(secret),
		Session: identity.Session{
			CSRF:      csrf,
			Idle:      s.cfg.IdleTimeout,
			MFAAt:     mfaAt,
			IP:        ip,
			UserAgent: r.UserAgent(),
		},
		Lifetime:   s.sessionLifetime(),
		How:        how,
		DeviceHash: identity.HashSecret(device),
	}})
	if errors.Is(err, store.ErrSignInChanged) {
		// The password or the account changed while the password was
		// checked: the check no longer holds.
		return nil, errBadCredentials
	} else if err != nil {
		return nil, err
	}
	s.setCookie(w, r, s.sessionCookieName(r), secret, 0)
	s.setCookie(w, r, s.deviceCookieName(r), device, identity.KnownDeviceLifetime)
	return &Principal{User: u, Session: &res.Session}, nil
}

// failSignIn writes a failed sign-in: its failures and the locks they
// bring, with their audit entries, counted and summarised per address and
// window rather than written one by one (auditFailure).
func (s *Server) failSignIn(r *http.Request, email string, st store.SignInState, passLock bool, lock identity.Lock) error {
	ctx := r.Context()
	ip := clientOf(ctx).IP
	u := st.User
	reason := "wrong password"
	switch {
	case u.ID == 0:
		reason = "no such account"
	case !u.Active():
		reason = "account disabled"
	case st.PasswordHash == "":
		reason = "no password set"
	}
	if passLock {
		reason += ", with a second factor, while the account was locked"
	}
	object := "email:" + email
	s.startFlusher()
	var ended []audit.Entry
	note := func(action, object string) bool {
		first, e := s.guard.note(ip, action, object, time.Now())
		if e != nil {
			ended = append(ended, *e)
		}
		return first
	}
	e := audit.Entry{Action: "auth.login_failed", Object: object, Summary: reason}
	if !note(e.Action, e.Object) {
		e = audit.Entry{} // counted; written in the summary of the window
	}
	// The summary of a window this failure ends goes in first, as it would
	// have been written before the failure; those of lock windows, after.
	for _, sum := range ended {
		s.writeSummary(ctx, sum)
	}
	ended = nil
	_, err := s.db.CompleteSignIn(ctx, s.Actor(r), store.SignInOutcome{Keys: st.Keys, Failure: &store.SignInFailure{
		Entry: e,
		LockEntry: func(th store.Throttle) audit.Entry {
			if !note("auth.locked", th.Key) {
				return audit.Entry{}
			}
			return audit.Entry{Action: "auth.locked", Object: th.Key,
				Summary: fmt.Sprintf("%s locked until %s after %d failures", th.Key, th.LockedUntil.Format(time.RFC3339), th.Failures)}
		},
	}})
	for _, sum := range ended {
		s.writeSummary(ctx, sum)
	}
	if err != nil {
		return err
	}
	if passLock {
		return throttledError{wait: lock.Wait, codeHelps: true}
	}
	return errBadCredentials
}

// StartSession creates a new session for u with a fresh secret (the session ID
// changes at every sign-in) and sets its cookie.
func (s *Server) StartSession(w http.ResponseWriter, r *http.Request, u identity.User, mfaAt time.Time, how string) (*Principal, error) {
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
	return &Principal{User: u, Session: &sess}, nil
}

func (s *Server) sessionLifetime() time.Duration {
	if s.cfg.SessionLifetime > 0 {
		return s.cfg.SessionLifetime
	}
	return identity.DefaultMaxLifetime
}

// RotateSession gives the current session a new secret after a change of
// privilege, so a secret seen before it is worth nothing after.
func (s *Server) RotateSession(w http.ResponseWriter, r *http.Request, p *Principal, mfaAt time.Time, why string) error {
	secret, err := identity.NewSecret(identity.PrefixSession)
	if err != nil {
		return err
	}
	sess, err := s.db.RotateSession(r.Context(), s.Actor(r), *p.Session, identity.HashSecret(secret), mfaAt, why)
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
	// CSRF is the pre-session form token (loginguard.go).
	CSRF string
	// AskCode shows the second-factor field: the account is locked, and a
	// code would pass the lock.
	AskCode bool
}

// renderLogin shows the sign-in page with its pre-session CSRF token.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, v *loginView) error {
	token, err := s.PreSessionToken(w, r)
	if err != nil {
		return err
	}
	v.Page.Title = "Sign in"
	v.CSRF = token
	s.render(w, r, status, "login", v)
	return nil
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if PrincipalOf(r.Context()) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	v := &loginView{Next: safeNext(r.URL.Query().Get("next"))}
	switch r.URL.Query().Get("reason") {
	case "idle":
		v.Notice = "You were signed out after a period without activity."
	case "signed-out":
		v.Notice = "You have signed out."
	}
	return s.renderLogin(w, r, http.StatusOK, v)
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "The form could not be read."}
	}
	if err := s.CheckPreSessionCSRF(r); err != nil {
		return err
	}
	next := safeNext(r.PostForm.Get("next"))
	email := r.PostForm.Get("email")
	p, err := s.signIn(w, r, email, r.PostForm.Get("password"), r.PostForm.Get("code"))
	var te throttledError
	switch {
	case errors.As(err, &te):
		setRetryAfter(w, te.wait)
		problem := fmt.Sprintf("Too many failed attempts. Try again in %s.", humanWait(te.wait))
		if te.codeHelps {
			problem = fmt.Sprintf("This account is locked for %s after failed attempts. If you use two-step sign-in, enter your password and a code from your authenticator app (or a recovery code) to sign in now.", humanWait(te.wait))
		}
		return s.renderLogin(w, r, http.StatusTooManyRequests, &loginView{Next: next, Email: email, Problem: problem, AskCode: te.codeHelps})
	case errors.Is(err, errBadCredentials):
		return s.renderLogin(w, r, http.StatusUnauthorized, &loginView{Next: next, Email: email, Problem: errBadCredentials.Msg})
	case errors.Is(err, identity.ErrBusy):
		setRetryAfter(w, hashBusyWait)
		return s.renderLogin(w, r, http.StatusServiceUnavailable, &loginView{Next: next, Email: email, Problem: errHashBusy.Msg})
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
	n, unit := int(math.Ceil(d.Minutes())), "minute"
	if d < time.Minute {
		n, unit = int(math.Ceil(d.Seconds())), "second"
	}
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// safeNext keeps a post-sign-in redirect on this site. It reads next the way
// a browser's URL parser would (WHATWG URL: leading and trailing control
// characters and spaces dropped, tabs and line breaks removed anywhere, a
// backslash taken as a slash) and accepts only what is then a path on this
// origin, written in printable ASCII: "/\t/evil.example" is "//evil.example"
// to a browser, another host. Anything else becomes "/". It returns the
// normalised form, so that what is checked is what is sent.
func safeNext(next string) string {
	n := strings.TrimFunc(next, func(r rune) bool { return r <= ' ' })
	n = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, n)
	if n == "" || n[0] != '/' || strings.HasPrefix(n, "//") {
		return "/"
	}
	for i := 0; i < len(n); i++ {
		if n[i] < 0x21 || n[i] > 0x7e {
			return "/"
		}
	}
	u, err := url.Parse(n)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	return n
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if p.Session != nil {
		if err := s.db.EndSession(r.Context(), s.Actor(r), p.Session.ID, "signed out"); err != nil {
			return err
		}
	}
	s.setCookie(w, r, s.sessionCookieName(r), "", -1)
	if WantsJSON(r) {
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

// MeJSON describes the caller.
// MeJSON is the answer of GET /api/v1/me: who is signed in, their
// organisations, and what their session still owes.
type MeJSON struct {
	ID                 int64            `json:"id"`
	Email              string           `json:"email"`
	Name               string           `json:"name"`
	Admin              bool             `json:"admin"`
	MustChangePassword bool             `json:"must_change_password"`
	PendingStep        string           `json:"pending_step,omitempty"`
	CSRFToken          string           `json:"csrf_token,omitempty"`
	SessionExpiresAt   *time.Time       `json:"session_expires_at,omitempty"`
	Organisations      []MembershipJSON `json:"organisations"`
}

// MembershipJSON is one organisation of MeJSON and the role in it.
type MembershipJSON struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	Role string `json:"role"`
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) error {
	// Only a JSON body: a form on another site can send urlencoded, multipart
	// or text/plain bodies without asking, but not application/json.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return &HTTPError{Code: http.StatusUnsupportedMediaType, Msg: "Send the sign-in as a JSON body with Content-Type: application/json."}
	}
	var req apiLoginRequest
	if err := DecodeJSON(r, &req); err != nil {
		return err
	}
	p, err := s.signIn(w, r, req.Email, req.Password, req.TOTP)
	var te throttledError
	if errors.As(err, &te) {
		msg := fmt.Sprintf("Too many failed attempts. Try again in %s.", humanWait(te.wait))
		if te.codeHelps {
			msg = fmt.Sprintf("This account is locked for %s after failed attempts. An account with two-step sign-in can still sign in by sending the password with a current code (or a recovery code) in the totp field.", humanWait(te.wait))
		}
		return &retryError{HTTPError: &HTTPError{Code: http.StatusTooManyRequests, Reason: "throttled", Msg: msg}, wait: te.wait}
	} else if err != nil {
		return err
	}
	// A sign-in that passed an account lock has passed its second factor.
	if p.Session.MFAAt.IsZero() {
		if err := s.completeSecondFactor(w, r, p, req.TOTP); err != nil {
			return err
		}
	}
	me, err := s.me(r.Context(), p, r)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, me)
	return nil
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	me, err := s.me(r.Context(), PrincipalOf(r.Context()), r)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, me)
	return nil
}

func (s *Server) me(ctx context.Context, p *Principal, r *http.Request) (MeJSON, error) {
	ms, err := s.db.Memberships(ctx, p.User.ID)
	if err != nil {
		return MeJSON{}, err
	}
	out := MeJSON{ID: p.User.ID, Email: p.User.Email, Name: p.User.Name, Admin: p.User.Admin,
		MustChangePassword: p.User.MustChangePassword, Organisations: []MembershipJSON{}}
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
		out.Organisations = append(out.Organisations, MembershipJSON{ID: m.OrgID, Slug: m.OrgSlug, Name: m.OrgName, Role: string(m.Role)})
	}
	return out, nil
}

// maxJSONBody bounds request bodies of the JSON API.
const maxJSONBody = 1 << 20

// DecodeJSON reads one JSON object into v, refusing unknown fields and
// trailing data with a 400 that says what was wrong.
func DecodeJSON(r *http.Request, v any) error {
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
	p := PrincipalOf(r.Context())
	s.render(w, r, http.StatusOK, "password", &passwordView{Page: Page{Title: "Change password"},
		Forced: p.User.MustChangePassword, Next: safeNext(r.URL.Query().Get("next")), Done: r.URL.Query().Get("done") == "1"})
	return nil
}

func (s *Server) passwordSubmit(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if err := r.ParseForm(); err != nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "The form could not be read."}
	}
	current, next, confirm := r.PostForm.Get("current"), r.PostForm.Get("new"), r.PostForm.Get("confirm")
	problems := validate.Error{}
	hash, err := s.db.PasswordHash(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	if ok, _, err := s.hasher.Verify(r.Context(), hash, current); errors.Is(err, identity.ErrBusy) {
		return err
	} else if err != nil || !ok {
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
	if err := s.db.SetPassword(r.Context(), s.Actor(r), p.User.ID, newHash, false, p.Session.ID); err != nil {
		return err
	}
	p.User.MustChangePassword = false
	if err := s.RotateSession(w, r, p, time.Time{}, "password changed"); err != nil {
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
func (s *Server) completeSecondFactor(w http.ResponseWriter, r *http.Request, p *Principal, code string) error {
	// From here on the request acts as the user whose password was right.
	r = r.WithContext(context.WithValue(r.Context(), principalKey, p))
	has, err := s.db.UserHasMFA(r.Context(), p.User.ID)
	if err == nil && !has {
		return nil
	}
	// The session signIn started has only the password behind it: unless the
	// code is right it ends here, cookie and all, and is never usable.
	refuse := func(refusal error) error {
		if err := s.db.EndSession(r.Context(), s.Actor(r), p.Session.ID, "sign-in without its second factor"); err != nil {
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
	return s.RotateSession(w, r, p, s.db.Now().UTC(), how)
}
