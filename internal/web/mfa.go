package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
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

// Two-step sign-in with an authenticator app (TOTP) and recovery codes:
// the second step of signing in, enrolment (forced for those who must have a
// second factor), and managing both from the account.

func (s *Server) mfaRoutes(mux *http.ServeMux) {
	// The second step of signing in, and enrolling while enrolment is
	// forced, happen before the session is complete.
	s.PartialCredentialRoute("GET /login/mfa", s.mfaVerifyPage)
	s.PartialCredentialRoute("POST /login/mfa", s.mfaVerifySubmit)
	s.PartialCredentialRoute("GET /account/mfa", s.mfaPage)
	s.PartialCredentialRoute("POST /account/mfa/totp", s.mfaBegin)
	s.PartialCredentialRoute("POST /account/mfa/totp/confirm", s.mfaConfirm)
	// Changing an enrolled second factor needs a complete session.
	s.route(mux, "POST /account/mfa/totp/remove", identity.PermCredentials, s.mfaRemove)
	s.route(mux, "POST /account/mfa/recovery", identity.PermCredentials, s.mfaRegenerate)
}

var (
	errMFABrowserOnly = &HTTPError{Code: http.StatusForbidden, Msg: "Two-step sign-in is managed from a signed-in browser, not with an API token."}
	errCodeRefused    = &HTTPError{Code: http.StatusUnauthorized, Reason: "mfa_refused",
		Msg: "That code is not right, or it was used already. Enter the current code from your authenticator app, or an unused recovery code."}
)

// checkCode runs verify, which spends a code from the user's authenticator
// app or one of their recovery codes, throttled per user with the same
// back-off as passwords: a six-digit code is guessable without one. Every
// refusal is audited (mfa.verify_failed) and answered with errCodeRefused.
func (s *Server) checkCode(r *http.Request, userID int64, verify func() error) error {
	ctx := r.Context()
	key := identity.SecondFactorKey(userID)
	states, err := s.db.Throttles(ctx, key)
	if err != nil {
		return err
	}
	if wait := states[key].LockedUntil.Sub(s.db.Now()); wait > 0 {
		s.AuditRefusal(r, "auth.throttled", fmt.Sprintf("second factor for user %d refused while locked (%s left)", userID, wait.Round(time.Second)))
		return throttledError{wait: wait}
	}
	verr := verify()
	if errors.Is(verr, store.ErrCodeRefused) {
		after, err := s.db.RecordFailures(ctx, s.Actor(r), audit.Entry{Action: "mfa.verify_failed", Object: fmt.Sprintf("user:%d", userID),
			Summary: verr.Error()}, key)
		if err != nil {
			return err
		}
		if th := after[key]; !th.LockedUntil.IsZero() {
			s.AuditRefusal(r, "auth.locked", fmt.Sprintf("%s locked until %s after %d failures", key, th.LockedUntil.Format(time.RFC3339), th.Failures))
		}
		return errCodeRefused
	} else if verr != nil {
		return verr
	}
	return s.db.ClearThrottles(ctx, key)
}

// checkSecondFactor accepts a code from the user's authenticator app or one
// of their recovery codes (checkCode) and says which it was.
func (s *Server) checkSecondFactor(r *http.Request, userID int64, code string) (store.CodeUse, error) {
	var use store.CodeUse
	err := s.checkCode(r, userID, func() (err error) {
		use, err = s.db.VerifyCode(r.Context(), s.Actor(r), s.cfg.Keys, userID, code)
		return err
	})
	return use, err
}

// dropSetCookie removes the Set-Cookie headers already queued for the cookie
// name, so that a response that replaces a cookie sends it once.
func dropSetCookie(w http.ResponseWriter, name string) {
	h := w.Header()
	kept := h["Set-Cookie"][:0]
	for _, c := range h["Set-Cookie"] {
		if !strings.HasPrefix(c, name+"=") {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		h.Del("Set-Cookie")
	} else {
		h["Set-Cookie"] = kept
	}
}

// owesSecondFactor reports whether the session has yet to pass the second
// factor its user has. Such a session may not change second factors:
// otherwise a stolen password alone could enrol a new one.
func (s *Server) owesSecondFactor(ctx context.Context, p *Principal) (bool, error) {
	if !p.Session.MFAAt.IsZero() {
		return false, nil
	}
	return s.db.UserHasMFA(ctx, p.User.ID)
}

// mfaRequiredFor reports whether u must have a second factor: a platform
// administrator, or a member of an organisation that requires one or in a
// role that always does.
func (s *Server) mfaRequiredFor(ctx context.Context, u identity.User) (bool, error) {
	if u.Admin {
		return true, nil
	}
	_, need, err := s.db.UserOrgPolicy(ctx, u.ID)
	return need, err
}

// mfaVerifyView is the second step of signing in.
type mfaVerifyView struct {
	Page
	Next     string
	Problem  string
	Passkeys bool // the user can also use a passkey
}

func (s *Server) mfaVerifyPage(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if p.Session == nil {
		return errMFABrowserOnly
	}
	next := safeNext(r.URL.Query().Get("next"))
	if done, err := s.secondFactorDone(w, r, p, next); done || err != nil {
		return err
	}
	return s.renderVerify(w, r, http.StatusOK, &mfaVerifyView{Next: next})
}

// secondFactorDone sends a session that owes no second factor on its way
// and reports whether it did.
func (s *Server) secondFactorDone(w http.ResponseWriter, r *http.Request, p *Principal, next string) (bool, error) {
	if p.User.MustChangePassword {
		http.Redirect(w, r, "/account/password?next="+url.QueryEscape(next), http.StatusSeeOther)
		return true, nil
	}
	owes, err := s.owesSecondFactor(r.Context(), p)
	if err != nil || owes {
		return false, err
	}
	to := next
	if step := s.pendingStep(r, p); step != "" && step != "/login/mfa" {
		to = step + "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return true, nil
}

func (s *Server) renderVerify(w http.ResponseWriter, r *http.Request, status int, v *mfaVerifyView) error {
	p := PrincipalOf(r.Context())
	keys, err := s.db.Passkeys(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	v.Passkeys = len(keys) > 0
	v.Page = Page{Title: "Two-step sign-in"}
	s.render(w, r, status, "mfa_verify", v)
	return nil
}

func (s *Server) mfaVerifySubmit(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if p.Session == nil {
		return errMFABrowserOnly
	}
	if err := r.ParseForm(); err != nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "The form could not be read."}
	}
	next := safeNext(r.PostForm.Get("next"))
	if done, err := s.secondFactorDone(w, r, p, next); done || err != nil {
		return err
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	if code == "" {
		return s.renderVerify(w, r, http.StatusUnprocessableEntity, &mfaVerifyView{Next: next,
			Problem: "Enter the six-digit code from your authenticator app, or a recovery code."})
	}
	use, err := s.checkSecondFactor(r, p.User.ID, code)
	var te throttledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(te.wait.Seconds()))))
		return s.renderVerify(w, r, http.StatusTooManyRequests, &mfaVerifyView{Next: next,
			Problem: fmt.Sprintf("Too many wrong codes. Try again in %s.", humanWait(te.wait))})
	case errors.Is(err, errCodeRefused):
		return s.renderVerify(w, r, http.StatusUnauthorized, &mfaVerifyView{Next: next, Problem: errCodeRefused.Msg})
	case err != nil:
		return err
	}
	how := "second factor: authenticator app"
	if use.Recovery {
		how = "second factor: recovery code"
	}
	if err := s.RotateSession(w, r, p, s.db.Now().UTC(), how); err != nil {
		return err
	}
	if use.Recovery {
		// Say how many codes are left, where new ones can be made.
		next = "/account/mfa?done=recovery-used&next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// mfaView is the account's two-step sign-in page.
type mfaView struct {
	Page
	Status   store.MFAStatus
	Required bool // the user must keep a second factor
	Forced   bool // and has none: nothing else opens until one is enrolled
	Next     string
	// An enrolment in progress: the QR code (a data: URL of a PNG image)
	// and the secret typed out, for apps that cannot scan.
	QR       template.URL
	Secret   string
	Problems validate.Error
	Notice   string
	// RecoveryUsed says the session was just signed in with a recovery code.
	RecoveryUsed bool
}

func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if p.Session == nil {
		return errMFABrowserOnly
	}
	q := r.URL.Query()
	next := safeNext(q.Get("next"))
	if p.User.MustChangePassword {
		http.Redirect(w, r, "/account/password?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	if owes, err := s.owesSecondFactor(r.Context(), p); err != nil {
		return err
	} else if owes {
		http.Redirect(w, r, "/login/mfa?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	v := &mfaView{Next: next}
	switch q.Get("done") {
	case "recovery-used":
		v.RecoveryUsed = true
	case "removed":
		v.Notice = "The authenticator app has been removed from your account."
	}
	return s.renderMFA(w, r, http.StatusOK, v)
}

func (s *Server) renderMFA(w http.ResponseWriter, r *http.Request, status int, v *mfaView) error {
	ctx := r.Context()
	p := PrincipalOf(ctx)
	var err error
	if v.Status, err = s.db.MFAStatus(ctx, p.User.ID); err != nil {
		return err
	}
	if v.Required, err = s.mfaRequiredFor(ctx, p.User); err != nil {
		return err
	}
	has, err := s.db.UserHasMFA(ctx, p.User.ID)
	if err != nil {
		return err
	}
	v.Forced = v.Required && !has
	if v.Status.TOTPPending {
		secret, err := s.db.PendingTOTPSecret(ctx, s.cfg.Keys, p.User.ID)
		if err != nil {
			return err
		}
		uri, err := identity.TOTPURI(secret, identity.TOTPIssuer, p.User.Email)
		if err != nil {
			return err
		}
		if v.QR, err = totpQRCode(uri); err != nil {
			return err
		}
		v.Secret = groupSecret(identity.EncodeTOTPSecret(secret))
	}
	v.Page = Page{Title: "Two-step sign-in", Breadcrumbs: []Crumb{{Label: "Account", URL: "/account"}, {Label: "Two-step sign-in"}}}
	if v.Forced {
		v.Breadcrumbs = nil
	}
	s.render(w, r, status, "mfa_setup", v)
	return nil
}

// groupSecret spaces a base32 secret in groups of four, easier to type.
func groupSecret(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mayEnrol refuses a session that may not add a second factor: an API token,
// a session still owing a one-time password change or the second factor it
// already has.
func (s *Server) mayEnrol(r *http.Request, p *Principal) error {
	return s.mayChangeFactors(r, p, "mfa.enrol_refused")
}

// mayChangeFactors is the one check before any second factor is added or
// changed: a browser session, with its own password, that has passed the
// second factor it already has. Refusals are audited as action.
func (s *Server) mayChangeFactors(r *http.Request, p *Principal, action string) error {
	if p.Session == nil {
		return errMFABrowserOnly
	}
	if p.User.MustChangePassword {
		return &HTTPError{Code: http.StatusForbidden, Msg: "Choose your own password first."}
	}
	owes, err := s.owesSecondFactor(r.Context(), p)
	if err != nil {
		return err
	}
	if owes {
		s.AuditRefusal(r, action, "second factor not yet passed in this session")
		return &HTTPError{Code: http.StatusForbidden, Msg: "Confirm it is you with your second factor first."}
	}
	return nil
}

// mfaBegin starts enrolling an authenticator app: a new secret, sealed and
// stored as pending, shown on the page that follows.
func (s *Server) mfaBegin(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if err := s.mayEnrol(r, p); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "The form could not be read."}
	}
	next := safeNext(r.PostForm.Get("next"))
	secret, err := identity.NewTOTPSecret()
	if err != nil {
		return err
	}
	err = s.db.BeginTOTP(r.Context(), s.Actor(r), s.cfg.Keys, p.User.ID, secret)
	if errors.Is(err, store.ErrConflict) {
		return &HTTPError{Code: http.StatusConflict, Msg: "An authenticator app is already set up. Remove it first to set up another.", Err: err}
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/account/mfa?next="+url.QueryEscape(next)+"#totp-h", http.StatusSeeOther)
	return nil
}

// recoveryView shows a new set of recovery codes, the only time they are
// shown.
type recoveryView struct {
	Page
	Codes    []string
	Enrolled bool // right after enrolling, rather than regenerating
	Next     string
	// Email, Site and MadeAt say on the printed or downloaded sheet which
	// account, on which Safeguard, the codes belong to, and when they were
	// made (a newer set replaces them).
	Email  string
	Site   string
	MadeAt time.Time
}

// newRecoveryCodes makes a set of recovery codes and their hashes.
func newRecoveryCodes() (codes, hashes []string, err error) {
	codes, err = identity.NewRecoveryCodes(identity.RecoveryCodeCount)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range codes {
		h, err := identity.HashRecoveryCode(c)
		if err != nil {
			return nil, nil, err
		}
		hashes = append(hashes, h)
	}
	return codes, hashes, nil
}

func (s *Server) renderRecovery(w http.ResponseWriter, r *http.Request, v *recoveryView) {
	v.Email, v.Site, v.MadeAt = PrincipalOf(r.Context()).User.Email, s.SiteURL(r), s.db.Now()
	v.Page = Page{Title: "Your recovery codes", Breadcrumbs: []Crumb{{Label: "Account", URL: "/account"}, {Label: "Two-step sign-in", URL: "/account/mfa"}, {Label: "Recovery codes"}}}
	s.render(w, r, http.StatusOK, "mfa_recovery", v)
}

// mfaConfirm completes the enrolment with a first code from the app. The
// session has then passed a second factor, and the user gets recovery codes.
func (s *Server) mfaConfirm(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if err := s.mayEnrol(r, p); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "The form could not be read."}
	}
	next := safeNext(r.PostForm.Get("next"))
	code, perr := identity.ParseTOTPCode(r.PostForm.Get("code"))
	if perr != nil {
		return s.renderMFA(w, r, http.StatusUnprocessableEntity, &mfaView{Next: next,
			Problems: validate.Error{"code": "must be the six digits your app shows"}})
	}
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return err
	}
	err = s.db.ConfirmTOTP(r.Context(), s.Actor(r), s.cfg.Keys, p.User.ID, code, hashes)
	switch {
	case errors.Is(err, store.ErrCodeRefused):
		if err := s.db.Audit(r.Context(), s.Actor(r), audit.Entry{Action: "mfa.verify_failed", Object: fmt.Sprintf("user:%d", p.User.ID),
			Summary: "enrolment code refused"}); err != nil {
			return err
		}
		return s.renderMFA(w, r, http.StatusUnprocessableEntity, &mfaView{Next: next,
			Problems: validate.Error{"code": "is not the code your app shows now: check that its clock is right, and type the newest code"}})
	case errors.Is(err, store.ErrNotFound):
		return &HTTPError{Code: http.StatusConflict, Msg: "There is no enrolment to confirm. Start again from the two-step sign-in page.", Err: err}
	case errors.Is(err, store.ErrConflict):
		return &HTTPError{Code: http.StatusConflict, Msg: "The authenticator app is set up already.", Err: err}
	case err != nil:
		return err
	}
	if err := s.RotateSession(w, r, p, s.db.Now().UTC(), "second factor: authenticator app enrolled"); err != nil {
		return err
	}
	s.renderRecovery(w, r, &recoveryView{Codes: codes, Enrolled: true, Next: next})
	return nil
}

// mfaRegenerate replaces the user's recovery codes with new ones.
func (s *Server) mfaRegenerate(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if p.Session == nil {
		return errMFABrowserOnly
	}
	has, err := s.db.UserHasMFA(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	if !has {
		return &HTTPError{Code: http.StatusConflict, Msg: "Recovery codes stand in for a second factor: set one up first."}
	}
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return err
	}
	if err := s.db.ReplaceRecoveryCodes(r.Context(), s.Actor(r), p.User.ID, hashes); err != nil {
		return err
	}
	s.renderRecovery(w, r, &recoveryView{Codes: codes})
	return nil
}

// mfaRemove removes the authenticator app, on a current code (or a recovery
// code), unless it is the last second factor of a user who must have one.
func (s *Server) mfaRemove(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if p.Session == nil {
		return errMFABrowserOnly
	}
	if err := r.ParseForm(); err != nil {
		return &HTTPError{Code: http.StatusBadRequest, Msg: "The form could not be read."}
	}
	ctx := r.Context()
	required, err := s.mfaRequiredFor(ctx, p.User)
	if err != nil {
		return err
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	if code == "" {
		return s.renderMFA(w, r, http.StatusUnprocessableEntity, &mfaView{Problems: validate.Error{"remove_code": "is required: enter the current code from your app"}})
	}
	err = s.checkCode(r, p.User.ID, func() error {
		return s.db.RemoveTOTP(ctx, s.Actor(r), s.cfg.Keys, p.User.ID, code, required)
	})
	var te throttledError
	switch {
	case errors.Is(err, errCodeRefused):
		return s.renderMFA(w, r, http.StatusUnauthorized, &mfaView{Problems: validate.Error{"remove_code": "is not right, or was used already"}})
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(te.wait.Seconds()))))
		return s.renderMFA(w, r, http.StatusTooManyRequests, &mfaView{Problems: validate.Error{"remove_code": fmt.Sprintf("was refused: too many wrong codes; try again in %s", humanWait(te.wait))}})
	case errors.Is(err, identity.ErrLastSecondFactor):
		s.AuditRefusal(r, "mfa.remove_refused", "the authenticator app is the last second factor and MFA is required")
		return s.renderMFA(w, r, http.StatusConflict, &mfaView{Problems: validate.Error{"remove_code": "was right, but your account must keep a second factor: add a passkey first, then remove the app"}})
	case errors.Is(err, store.ErrNotFound):
		return &HTTPError{Code: http.StatusConflict, Msg: "There is no authenticator app to remove.", Err: err}
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/account/mfa?done=removed", http.StatusSeeOther)
	return nil
}
