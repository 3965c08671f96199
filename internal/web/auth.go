package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Cookie names. Under TLS the session cookie takes the __Host- prefix, which
// browsers accept only with Secure, Path=/ and no Domain.
const (
	// SessionCookie is the session cookie's name without TLS.
	SessionCookie       = "sg_session"
	secureSessionCookie = "__Host-sg_session"
	deviceCookie        = "sg_device"
	secureDeviceCookie  = "__Host-sg_device"
)

// Principal is who is making a request, once authenticated.
type Principal struct {
	User    identity.User
	Session *identity.Session // a browser session, or nil
	Token   *store.Token      // an API token, or nil
}

// Actor names the principal in the audit log.
func (p *Principal) actorName() string {
	if p == nil {
		return "anonymous"
	}
	if p.Token != nil {
		return fmt.Sprintf("user:%d/token:%d", p.User.ID, p.Token.ID)
	}
	return fmt.Sprintf("user:%d", p.User.ID)
}

// OrgAccess is the organisation a request concerns and the caller's role in
// it: their own, or the raised one while emergency access runs.
type OrgAccess struct {
	Org       identity.Org
	Role      identity.Role
	OwnRole   identity.Role
	Emergency *identity.Emergency
}

const (
	principalKey ctxKey = iota + 100
	orgKey
)

func PrincipalOf(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey).(*Principal)
	return p
}

func OrgOf(ctx context.Context) *OrgAccess {
	a, _ := ctx.Value(orgKey).(*OrgAccess)
	return a
}

// Actor is the audit Actor for a request: who, from where, which request.
func (s *Server) Actor(r *http.Request) store.Actor {
	return store.Actor{
		Name:      PrincipalOf(r.Context()).actorName(),
		Source:    clientOf(r.Context()).IP,
		RequestID: requestID(r.Context()),
	}
}

func (s *Server) sessionCookieName(r *http.Request) string {
	if clientOf(r.Context()).Secure {
		return secureSessionCookie
	}
	return SessionCookie
}

func (s *Server) deviceCookieName(r *http.Request) string {
	if clientOf(r.Context()).Secure {
		return secureDeviceCookie
	}
	return deviceCookie
}

// setCookie writes an HttpOnly, SameSite=Lax cookie, Secure under TLS.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   clientOf(r.Context()).Secure,
	}
	if maxAge < 0 {
		c.MaxAge = -1
	} else if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}

// authenticate finds the principal of a request from its bearer token or its
// session cookie. A request with neither is anonymous; one with a bad token
// is refused outright, so that a script never silently runs as nobody.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get("Authorization"); h != "" {
			p, err := s.tokenPrincipal(r, h)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
			return
		}
		if c, err := r.Cookie(s.sessionCookieName(r)); err == nil && c.Value != "" {
			p, err := s.sessionPrincipal(w, r, c.Value)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if p != nil {
				r = r.WithContext(context.WithValue(r.Context(), principalKey, p))
			}
		}
		next.ServeHTTP(w, r)
	})
}

var errBadToken = &HTTPError{Code: http.StatusUnauthorized, Msg: "The API token is not valid, has expired or was revoked."}

func (s *Server) tokenPrincipal(r *http.Request, header string) (*Principal, error) {
	scheme, secret, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(secret, identity.PrefixToken) {
		return nil, &HTTPError{Code: http.StatusUnauthorized, Msg: "Use 'Authorization: Bearer <token>' with a Safeguard API token."}
	}
	t, u, err := s.db.TokenByHash(r.Context(), identity.HashSecret(strings.TrimSpace(secret)))
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.refuseBadToken(r, "unknown API token")
	} else if err != nil {
		return nil, err
	}
	if !t.Usable(s.db.Now()) || !u.Active() {
		return nil, s.refuseBadToken(r, fmt.Sprintf("token %d expired, revoked or its user disabled", t.ID))
	}
	actor := store.Actor{Name: fmt.Sprintf("user:%d/token:%d", u.ID, t.ID), Source: clientOf(r.Context()).IP, RequestID: requestID(r.Context())}
	if err := s.db.TouchToken(r.Context(), actor, t); err != nil {
		return nil, err
	}
	return &Principal{User: u, Token: &t}, nil
}

// sessionPrincipal resolves a session cookie. An ended or expired session
// clears the cookie and leaves the request anonymous.
func (s *Server) sessionPrincipal(w http.ResponseWriter, r *http.Request, secret string) (*Principal, error) {
	sess, u, err := s.db.SessionByToken(r.Context(), identity.HashSecret(secret))
	if errors.Is(err, store.ErrNotFound) {
		s.setCookie(w, r, s.sessionCookieName(r), "", -1)
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	now := s.db.Now().UTC()
	if gone, why := sess.Expired(now); gone || !u.Active() {
		if !gone {
			why = "user disabled"
		}
		if sess.EndedAt.IsZero() {
			if err := s.db.EndSession(r.Context(), store.Actor{Name: "system", Source: clientOf(r.Context()).IP, RequestID: requestID(r.Context())},
				sess.ID, "automatic logoff: "+why); err != nil {
				return nil, err
			}
		}
		s.setCookie(w, r, s.sessionCookieName(r), "", -1)
		return nil, nil
	}
	// A request that only asks how long the session has left must not
	// extend it.
	if r.URL.Path != "/session/status" {
		granularity := min(sess.Idle/10, 30*time.Second)
		if sess, err = s.db.TouchSession(r.Context(), sess, granularity); err != nil {
			return nil, err
		}
	}
	return &Principal{User: u, Session: &sess}, nil
}

// AuditRefusal records a refused authentication or authorisation.
func (s *Server) AuditRefusal(r *http.Request, action, summary string) {
	if err := s.db.Audit(r.Context(), s.Actor(r), audit.Entry{Action: action, Object: "route:" + r.Method + " " + r.URL.Path, Summary: summary}); err != nil {
		s.log.ErrorContext(r.Context(), "audit refusal", slog.Any("err", err))
	}
}

// RefuseToken audits and answers a request an API token's scope does not
// allow, naming the token, its scope and organisation, and what it lacked.
func (s *Server) RefuseToken(r *http.Request, t *store.Token, perm identity.Permission) error {
	org := "every organisation of its user"
	if t.OrgID != 0 {
		org = fmt.Sprintf("org %d", t.OrgID)
	}
	s.AuditRefusal(r, "auth.forbidden", fmt.Sprintf("token %d (%s scope, %s, expires %s) lacks %s",
		t.ID, t.Scope, org, t.ExpiresAt.UTC().Format(time.RFC3339), perm))
	if perm == identity.PermCredentials {
		return &HTTPError{Code: http.StatusForbidden, Msg: "API tokens cannot do this: sign in with a browser, or use the safeguard CLI."}
	}
	return &HTTPError{Code: http.StatusForbidden, Msg: fmt.Sprintf("A %s token does not allow this.", t.Scope)}
}

// RouteSpec is one registered RouteSpec and the permission it needs.
type RouteSpec struct {
	Pattern string
	Perm    identity.Permission
	// Partial routes are reachable while a session still owes a password
	// change or a second factor.
	Partial bool
	// MaxBody is the largest request body the route accepts, in bytes;
	// 0 means defaultMaxBody. Upload routes take a multipart body up to
	// MaxBody and anything else up to defaultMaxBody.
	MaxBody int64
	// Upload routes stream a multipart body themselves (see uploadRoute):
	// its CSRF token is read as the stream arrives, not by authorize.
	Upload bool
	// File routes take a file as the body itself up to MaxBody (see
	// FileRoute); a form body only up to defaultMaxBody.
	File bool
	// Capability names the capability that registered the route
	// ("risk" for riskweb), or "session" for the kernel's own.
	Capability string
}

// handle registers h at pattern behind the one authorisation check every
// route goes through.
func (s *Server) route(mux *http.ServeMux, pattern string, perm identity.Permission, h func(http.ResponseWriter, *http.Request) error) {
	s.addRoute(mux, RouteSpec{Pattern: pattern, Perm: perm}, h)
}

// PartialRoute registers a route a half-signed-in session may use.
func (s *Server) PartialRoute(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	s.addRoute(s.mux, RouteSpec{Pattern: pattern, Perm: identity.PermSignedIn, Partial: true}, h)
}

// PartialCredentialRoute registers a route that signs in or changes how the
// user signs in: a half-signed-in session may use it (to finish signing in
// or enrolling a second factor), an API token never.
func (s *Server) PartialCredentialRoute(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	s.addRoute(s.mux, RouteSpec{Pattern: pattern, Perm: identity.PermCredentials, Partial: true}, h)
}

func (s *Server) addRoute(mux *http.ServeMux, rt RouteSpec, h func(http.ResponseWriter, *http.Request) error) {
	rt.Capability = s.registering
	s.routeTable = append(s.routeTable, rt)
	mux.Handle(rt.Pattern, s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if label, ok := r.Context().Value(routeKey).(*routeLabel); ok {
			label.pattern = rt.Pattern
		}
		if err := s.limitBody(w, r, rt); err != nil {
			return err
		}
		r, err := s.authorize(w, r, rt)
		if err != nil || r == nil {
			return err
		}
		if err := readForm(r, rt); err != nil {
			return err
		}
		return h(w, r)
	}))
}

// Routes lists every registered route with its permission, for the test that
// proves each one is checked.
func (s *Server) Routes() []RouteSpec { return append([]RouteSpec(nil), s.routeTable...) }

var (
	errSignIn    = &HTTPError{Code: http.StatusUnauthorized, Msg: "Sign in first."}
	errForbidden = &HTTPError{Code: http.StatusForbidden, Msg: "Your role does not allow this."}
	ErrNoOrg     = &HTTPError{Code: http.StatusNotFound, Msg: "There is no such organisation, or you are not a member of it."}
)

// authorize is the one check every route passes: who is asking, whether the
// session is complete, the CSRF token, the organisation and the role. It
// returns the request to serve (carrying the organisation), nil after it has
// answered itself (a redirect), or an error.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, rt RouteSpec) (*http.Request, error) {
	if !safeMethod(r.Method) {
		if err := s.checkOrigin(r); err != nil {
			return nil, err
		}
	}
	if rt.Perm == identity.PermPublic {
		return r, nil
	}
	p := PrincipalOf(r.Context())
	if p == nil {
		if WantsJSON(r) || !safeMethod(r.Method) {
			return nil, errSignIn
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil, nil
	}
	if p.Session != nil && !rt.Partial {
		if to := s.pendingStep(r, p); to != "" {
			if WantsJSON(r) {
				return nil, &HTTPError{Code: http.StatusForbidden, Msg: "Finish signing in first: " + to}
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return nil, nil
		}
	}
	if p.Token != nil && !p.Token.Scope.Allows(rt.Perm) {
		return nil, s.RefuseToken(r, p.Token, rt.Perm)
	}
	switch {
	case rt.Perm == identity.PermSignedIn || rt.Perm.OwnAccount():
	case rt.Perm == identity.PermAdmin:
		if !p.User.Admin {
			s.AuditRefusal(r, "auth.forbidden", "needs a platform administrator")
			return nil, errForbidden
		}
	case rt.Perm.OrgScoped():
		var err error
		if r, err = s.authorizeOrg(r, p, rt.Perm); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("route %s: unknown permission %d", rt.Pattern, rt.Perm)
	}
	// The CSRF token comes last: it may have to be read from the body,
	// and no body is read before the caller is known to be allowed.
	if p.Session != nil && !safeMethod(r.Method) && !streamsCSRF(r, rt) {
		if err := checkCSRF(r, p.Session.CSRF); err != nil {
			s.AuditRefusal(r, "auth.csrf_refused", "missing or wrong CSRF token")
			return nil, err
		}
	}
	return r, nil
}

func (s *Server) authorizeOrg(r *http.Request, p *Principal, perm identity.Permission) (*http.Request, error) {
	slug := r.PathValue("org")
	org, err := s.db.Org(r.Context(), slug)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoOrg
	} else if err != nil {
		return nil, err
	}
	if p.Token != nil && p.Token.OrgID != 0 && p.Token.OrgID != org.ID {
		s.AuditRefusal(r, "auth.forbidden", "token belongs to another organisation")
		return nil, ErrNoOrg
	}
	m, err := s.db.Membership(r.Context(), org.ID, p.User.ID)
	if errors.Is(err, store.ErrNotFound) {
		s.AuditRefusal(r, "auth.forbidden", "not a member of "+slug)
		return nil, ErrNoOrg
	} else if err != nil {
		return nil, err
	}
	access := &OrgAccess{Org: org, Role: m.Role, OwnRole: m.Role}
	if p.Session != nil {
		e, err := s.db.ActiveEmergency(r.Context(), org.ID, p.User.ID)
		switch {
		case err == nil:
			e.OrgSlug = org.Slug
			access.Emergency = &e
			access.Role = identity.ElevatedRole(m.Role)
			// Every request made under emergency access is recorded.
			if err := s.db.Audit(r.Context(), s.Actor(r), audit.Entry{OrgID: org.ID, Action: "emergency.access",
				Object: fmt.Sprintf("emergency:%d", e.ID), Summary: r.Method + " " + r.URL.Path}); err != nil {
				return nil, err
			}
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	if !access.Allows(perm) {
		s.AuditRefusal(r, "auth.forbidden", fmt.Sprintf("role %s lacks %s in %s", access.Role, perm, slug))
		return nil, errForbidden
	}
	if err := s.emergencyStepUp(r, p, access, perm); err != nil {
		return nil, err
	}
	return r.WithContext(context.WithValue(r.Context(), orgKey, access)), nil
}

// pendingStep returns where a signed-in session must go before anything
// else: a password change for a one-time password; the second factor, for a
// user who has one; or enrolling one, for a user who must have one (platform
// administrators, and members of an organisation that requires it or in a
// role that always does). It runs on every request: a session that has
// passed its second factor costs nothing, one that has not costs one or two
// indexed queries. When those fail, the session is sent to the second
// factor: the check fails closed.
func (s *Server) pendingStep(r *http.Request, p *Principal) string {
	if p.User.MustChangePassword {
		return "/account/password"
	}
	if p.Session == nil || !p.Session.MFAAt.IsZero() {
		return ""
	}
	ctx := r.Context()
	has, err := s.db.UserHasMFA(ctx, p.User.ID)
	if err != nil {
		s.log.ErrorContext(ctx, "pending step: second factors", slog.String("request_id", requestID(ctx)), slog.Any("err", err))
		return "/login/mfa"
	}
	if has {
		return "/login/mfa"
	}
	if p.User.Admin {
		return "/account/mfa"
	}
	_, need, err := s.db.UserOrgPolicy(ctx, p.User.ID)
	if err != nil {
		s.log.ErrorContext(ctx, "pending step: organisation policy", slog.String("request_id", requestID(ctx)), slog.Any("err", err))
		return "/account/mfa"
	}
	if need {
		return "/account/mfa"
	}
	return ""
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF compares the request's token (form field csrf, or header
// X-CSRF-Token) with the session's in constant time.
func checkCSRF(r *http.Request, want string) error {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && isForm(r) {
		if err := parseForm(r); err != nil {
			return err
		}
		got = r.PostFormValue("csrf")
	}
	return compareCSRF(got, want)
}

var errCSRF = &HTTPError{Code: http.StatusForbidden, Msg: "The form has expired or did not come from Safeguard. Reload the page and try again."}

// compareCSRF compares a request's CSRF token with the session's in
// constant time.
func compareCSRF(got, want string) error {
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF
	}
	return nil
}

// checkOrigin refuses a state-changing request sent by another site: the
// browser's Sec-Fetch-Site or Origin header must name this one.
func (s *Server) checkOrigin(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return &HTTPError{Code: http.StatusForbidden, Msg: "Cross-site requests are refused."}
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return &HTTPError{Code: http.StatusForbidden, Msg: "Cross-site requests are refused."}
		}
	}
	return nil
}

// Allows reports whether the caller may use p in the organisation: by their
// role, or, while emergency access runs, by their own role and what
// emergency access adds to it (identity.EmergencyPermissions), which is
// never the settings, single sign-on or members.
func (a *OrgAccess) Allows(p identity.Permission) bool {
	if a.Emergency != nil {
		return identity.EmergencyAllows(a.OwnRole, p)
	}
	return a.Role.Allows(p)
}

// errEmergencyNeedsMFA refuses emergency access to a session that has not
// passed a second factor: the raised role is one that always needs one.
var errEmergencyNeedsMFA = &HTTPError{Code: http.StatusForbidden,
	Msg: "Raising your access in an emergency needs a second factor. Set one up under Account, Two-step sign-in (/account/mfa), then try again."}

// emergencyStepUp refuses a request that only emergency access allows
// when the session has not passed a second factor: raising a session to a
// role that needs one needs one too. What the member's own role allows is
// not affected.
func (s *Server) emergencyStepUp(r *http.Request, p *Principal, a *OrgAccess, perm identity.Permission) error {
	if a.Emergency == nil || p.Session == nil || !p.Session.MFAAt.IsZero() || a.OwnRole.Allows(perm) || !a.Role.NeedsMFA() {
		return nil
	}
	if err := s.db.Audit(r.Context(), s.Actor(r), audit.Entry{OrgID: a.Org.ID, Action: "emergency.refused",
		Object: fmt.Sprintf("emergency:%d", a.Emergency.ID), Summary: fmt.Sprintf("%s %s needs a second factor: the session has passed none", r.Method, r.URL.Path)}); err != nil {
		return err
	}
	return errEmergencyNeedsMFA
}
