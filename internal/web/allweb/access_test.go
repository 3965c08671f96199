package allweb_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// routePermissions is the expected permission of every route the server
// serves: the kernel's and every capability's (allweb.Capabilities). A route
// registered without a row here fails TestEveryRouteChecksAccess, so that no
// route reaches production without its access being decided and tested.
var routePermissions = map[string]identity.Permission{
	"GET /healthz":              identity.PermPublic,
	"GET /readyz":               identity.PermPublic,
	"GET /metrics":              identity.PermPublic,
	"GET /static/{hash}/{name}": identity.PermPublic,
	"GET /login":                identity.PermPublic,
	"POST /login":               identity.PermPublic,
	"POST /api/v1/login":        identity.PermPublic,
	"GET /invite/{token}":       identity.PermPublic,
	"POST /invite/{token}":      identity.PermPublic,
	"/api/":                     identity.PermPublic,
	"/":                         identity.PermPublic,

	"GET /{$}":                                     identity.PermSignedIn,
	"POST /logout":                                 identity.PermSignedIn,
	"GET /account/password":                        identity.PermCredentials,
	"POST /account/password":                       identity.PermCredentials,
	"POST /api/v1/logout":                          identity.PermSignedIn,
	"GET /api/v1/me":                               identity.PermSignedIn,
	"GET /api/v1/openapi.json":                     identity.PermSignedIn,
	"GET /api-docs":                                identity.PermSignedIn,
	"GET /session/status":                          identity.PermSignedIn,
	"POST /session/keepalive":                      identity.PermSignedIn,
	"GET /account":                                 identity.PermCredentials,
	"POST /account/sessions/end-others":            identity.PermAccountWrite,
	"POST /account/tokens":                         identity.PermCredentials,
	"POST /account/tokens/{id}/revoke":             identity.PermAccountWrite,
	"POST /account/invitations/{id}/accept":        identity.PermCredentials,
	"POST /account/invitations/{id}/decline":       identity.PermAccountWrite,
	"GET /notifications":                           identity.PermSignedIn,
	"POST /notifications/read":                     identity.PermAccountWrite,
	"POST /account/email":                          identity.PermAccountWrite,
	"GET /api/v1/account/email":                    identity.PermSignedIn,
	"PUT /api/v1/account/email":                    identity.PermAccountWrite,
	"GET /api/v1/tokens":                           identity.PermSignedIn,
	"POST /api/v1/tokens":                          identity.PermCredentials,
	"POST /api/v1/tokens/{id}/revoke":              identity.PermAccountWrite,
	"POST /api/v1/sessions/end-others":             identity.PermAccountWrite,
	"GET /api/v1/orgs":                             identity.PermSignedIn,
	"GET /account/passkeys":                        identity.PermCredentials,
	"POST /account/passkeys/register/begin":        identity.PermCredentials,
	"POST /account/passkeys/register/finish":       identity.PermCredentials,
	"POST /account/passkeys/{id}/rename":           identity.PermCredentials,
	"POST /account/passkeys/{id}/delete":           identity.PermCredentials,
	"POST /login/passkey/begin":                    identity.PermCredentials,
	"POST /login/passkey/finish":                   identity.PermCredentials,
	"GET /login/sso":                               identity.PermPublic,
	"GET /login/sso/callback":                      identity.PermPublic,
	"GET /orgs/{org}/settings/sso":                 identity.PermOrgManage,
	"POST /orgs/{org}/settings/sso":                identity.PermOrgManage,
	"GET /admin/orgs/{org}/sso":                    identity.PermAdmin,
	"POST /admin/orgs/{org}/sso":                   identity.PermAdmin,
	"POST /account/sso/link":                       identity.PermCredentials,
	"POST /account/sso/{id}/unlink":                identity.PermCredentials,
	"GET /login/mfa":                               identity.PermCredentials,
	"POST /login/mfa":                              identity.PermCredentials,
	"GET /account/mfa":                             identity.PermCredentials,
	"POST /account/mfa/totp":                       identity.PermCredentials,
	"POST /account/mfa/totp/confirm":               identity.PermCredentials,
	"POST /account/mfa/totp/remove":                identity.PermCredentials,
	"POST /account/mfa/recovery":                   identity.PermCredentials,
	"POST /admin/users/{id}/reset-password":        identity.PermAdmin,
	"POST /api/v1/admin/users/{id}/reset-password": identity.PermAdmin,
	"GET /orgs/{org}/audit":                        identity.PermOrgAudit,
	"GET /orgs/{org}/audit/{seq}":                  identity.PermOrgAudit,
	"GET /api/v1/orgs/{org}/audit":                 identity.PermOrgAudit,
	"GET /api/v1/orgs/{org}/audit/{seq}":           identity.PermOrgAudit,
	"GET /admin/audit":                             identity.PermAdmin,
	"GET /admin/audit/{seq}":                       identity.PermAdmin,
	"GET /api/v1/audit":                            identity.PermAdmin,
	"GET /api/v1/audit/{seq}":                      identity.PermAdmin,
	"POST /orgs/{org}/audit/verify":                identity.PermOrgAudit,
	"GET /orgs/{org}/audit/verify":                 identity.PermOrgAudit,
	"POST /admin/audit/verify":                     identity.PermAdmin,
	"GET /admin/audit/verify":                      identity.PermAdmin,
	"POST /api/v1/audit/verify":                    identity.PermAdmin,
	"GET /api/v1/audit/verify":                     identity.PermAdmin,
	"GET /status":                                  identity.PermAdmin,
	"GET /admin/users":                             identity.PermAdmin,
	"POST /admin/users":                            identity.PermAdmin,
	"POST /admin/users/{id}/disable":               identity.PermAdmin,
	"POST /admin/users/{id}/enable":                identity.PermAdmin,
	"GET /admin/orgs":                              identity.PermAdmin,
	"POST /admin/orgs":                             identity.PermAdmin,
	"GET /api/v1/admin/users":                      identity.PermAdmin,
	"POST /api/v1/admin/users":                     identity.PermAdmin,
	"POST /api/v1/admin/users/{id}/disable":        identity.PermAdmin,
	"POST /api/v1/admin/users/{id}/enable":         identity.PermAdmin,
	"POST /api/v1/admin/orgs":                      identity.PermAdmin,

	// Invitations to join (internal/web/org.go).
	"POST /orgs/{org}/invitations/{id}/cancel": identity.PermOrgManage,

	"GET /orgs/{org}":                        identity.PermOrgRead,
	"GET /orgs/{org}/members":                identity.PermOrgRead,
	"POST /orgs/{org}/members":               identity.PermOrgManage,
	"POST /orgs/{org}/members/{user}/role":   identity.PermOrgManage,
	"POST /orgs/{org}/members/{user}/remove": identity.PermOrgManage,
	"GET /orgs/{org}/settings/security":      identity.PermOrgSettings,
	"PATCH /api/v1/orgs/{org}":               identity.PermOrgSettings,
	"POST /orgs/{org}/settings/security":     identity.PermOrgSettings,
	"POST /orgs/{org}/emergency":             identity.PermOrgRead,
	"GET /orgs/{org}/emergency":              identity.PermOrgRead,
	"GET /orgs/{org}/emergency/{id}":         identity.PermOrgRead,
	"POST /orgs/{org}/emergency/{id}/end":    identity.PermOrgRead,
	"POST /orgs/{org}/emergency/{id}/review": identity.PermOrgSecurity,
	"GET /api/v1/orgs/{org}":                 identity.PermOrgRead,
	"GET /api/v1/orgs/{org}/members":         identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/members":        identity.PermOrgManage,

	"GET /api/v1/orgs/{org}/profile":                                        identity.PermOrgRead,
	"PATCH /api/v1/orgs/{org}/profile":                                      identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/assessments":                                    identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/assessments":                                   identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/assessments/compare":                            identity.PermOrgRead,
	"GET /api/v1/orgs/{org}/assessments/{id}":                               identity.PermOrgRead,
	"DELETE /api/v1/orgs/{org}/assessments/{id}":                            identity.PermOrgSecurity,
	"PATCH /api/v1/orgs/{org}/assessments/{id}/responses/{citation}":        identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/assessments/{id}/responses/{citation}/versions": identity.PermOrgRead,
	"PUT /api/v1/orgs/{org}/assessments/{id}/decisions/{citation}":          identity.PermOrgWrite,
	"POST /api/v1/orgs/{org}/assessments/{id}/reviews/{category}":           identity.PermOrgSecurity,
	"POST /api/v1/orgs/{org}/assessments/{id}/submit":                       identity.PermOrgWrite,
	"POST /api/v1/orgs/{org}/assessments/{id}/finalise":                     identity.PermOrgSecurity,
	"POST /api/v1/orgs/{org}/assessments/{id}/copy":                         identity.PermOrgWrite,

	"GET /orgs/{org}/profile":                                       identity.PermOrgRead,
	"POST /orgs/{org}/profile":                                      identity.PermOrgWrite,
	"POST /orgs/{org}/profile/systems":                              identity.PermOrgWrite,
	"GET /orgs/{org}/assessments":                                   identity.PermOrgRead,
	"POST /orgs/{org}/assessments":                                  identity.PermOrgWrite,
	"GET /orgs/{org}/assessments/compare":                           identity.PermOrgRead,
	"GET /orgs/{org}/assessments/{id}":                              identity.PermOrgRead,
	"GET /orgs/{org}/assessments/{id}/table":                        identity.PermOrgRead,
	"POST /orgs/{org}/assessments/{id}/table":                       identity.PermOrgWrite,
	"GET /orgs/{org}/assessments/{id}/guided":                       identity.PermOrgRead,
	"POST /orgs/{org}/assessments/{id}/guided":                      identity.PermOrgWrite,
	"GET /orgs/{org}/assessments/{id}/entries/{citation}":           identity.PermOrgRead,
	"POST /orgs/{org}/assessments/{id}/entries/{citation}":          identity.PermOrgWrite,
	"POST /orgs/{org}/assessments/{id}/entries/{citation}/decision": identity.PermOrgWrite,
	"POST /orgs/{org}/assessments/{id}/reviews/{category}":          identity.PermOrgSecurity,
	"POST /orgs/{org}/assessments/{id}/submit":                      identity.PermOrgWrite,
	"POST /orgs/{org}/assessments/{id}/finalise":                    identity.PermOrgSecurity,
	"POST /orgs/{org}/assessments/{id}/delete":                      identity.PermOrgSecurity,
	// Evidence (internal/web/evidence.go).
	"GET /orgs/{org}/risks":                                            identity.PermOrgRead,
	"GET /orgs/{org}/risks/new":                                        identity.PermOrgWrite,
	"GET /orgs/{org}/risks/suggested":                                  identity.PermOrgRead,
	"POST /orgs/{org}/risks":                                           identity.PermOrgWrite,
	"GET /orgs/{org}/risks/{id}":                                       identity.PermOrgRead,
	"POST /orgs/{org}/risks/{id}":                                      identity.PermOrgWrite,
	"POST /orgs/{org}/risks/{id}/tasks":                                identity.PermOrgWrite,
	"POST /orgs/{org}/tasks/{id}":                                      identity.PermOrgWrite,
	"GET /orgs/{org}/plan":                                             identity.PermOrgRead,
	"GET /orgs/{org}/risk-scale":                                       identity.PermOrgRead,
	"POST /orgs/{org}/risk-scale":                                      identity.PermOrgSecurity,
	"GET /orgs/{org}/risk-scale/rerate":                                identity.PermOrgRead,
	"POST /orgs/{org}/risk-scale/rerate":                               identity.PermOrgSecurity,
	"GET /orgs/{org}/tasks/{id}/done":                                  identity.PermOrgWrite,
	"GET /tasks":                                                       identity.PermSignedIn,
	"GET /api/v1/orgs/{org}/risks":                                     identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/risks":                                    identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/risks/heatmap":                             identity.PermOrgRead,
	"GET /api/v1/orgs/{org}/risks/{id}":                                identity.PermOrgRead,
	"PATCH /api/v1/orgs/{org}/risks/{id}":                              identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/risks/{id}/history":                        identity.PermOrgRead,
	"GET /api/v1/orgs/{org}/tasks":                                     identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/tasks":                                    identity.PermOrgWrite,
	"PATCH /api/v1/orgs/{org}/tasks/{id}":                              identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/risk-scale":                                identity.PermOrgRead,
	"PUT /api/v1/orgs/{org}/risk-scale":                                identity.PermOrgSecurity,
	"GET /api/v1/orgs/{org}/risk-scale/rerate":                         identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/risk-scale/rerate":                        identity.PermOrgSecurity,
	"GET /api/v1/me/tasks":                                             identity.PermSignedIn,
	"GET /orgs/{org}/analyses":                                         identity.PermOrgRead,
	"POST /orgs/{org}/analyses":                                        identity.PermOrgWrite,
	"GET /orgs/{org}/analyses/compare":                                 identity.PermOrgRead,
	"GET /orgs/{org}/analyses/{id}":                                    identity.PermOrgRead,
	"POST /orgs/{org}/analyses/{id}/finalise":                          identity.PermOrgSecurity,
	"POST /orgs/{org}/analyses/{id}/delete":                            identity.PermOrgSecurity,
	"GET /orgs/{org}/reports":                                          identity.PermOrgRead,
	"POST /orgs/{org}/reports":                                         identity.PermOrgRead,
	"GET /orgs/{org}/reports/{id}/download":                            identity.PermOrgRead,
	"GET /api/v1/orgs/{org}/reports":                                   identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/reports":                                  identity.PermOrgRead,
	"GET /api/v1/orgs/{org}/reports/{id}/file":                         identity.PermOrgRead,
	"GET /api/v1/orgs/{org}/analyses":                                  identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/analyses":                                 identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/analyses/compare":                          identity.PermOrgRead,
	"GET /api/v1/orgs/{org}/analyses/{id}":                             identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/analyses/{id}/finalise":                   identity.PermOrgSecurity,
	"DELETE /api/v1/orgs/{org}/analyses/{id}":                          identity.PermOrgSecurity,
	"GET /orgs/{org}/evidence":                                         identity.PermOrgRead,
	"POST /orgs/{org}/evidence":                                        identity.PermOrgWrite,
	"GET /orgs/{org}/evidence/{id}":                                    identity.PermOrgRead,
	"POST /orgs/{org}/evidence/{id}/versions":                          identity.PermOrgWrite,
	"GET /orgs/{org}/evidence/{id}/versions/{version}/download":        identity.PermOrgRead,
	"POST /orgs/{org}/evidence/{id}/retire":                            identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/evidence":                                  identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/evidence":                                 identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/evidence/{id}":                             identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/evidence/{id}/versions":                   identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/evidence/{id}/versions/{version}/download": identity.PermOrgRead,
	// The catalogue (catalogweb): the rule as data, for every signed-in user.
	"GET /catalog":                       identity.PermSignedIn,
	"GET /catalog/general":               identity.PermSignedIn,
	"GET /catalog/categories/{category}": identity.PermSignedIn,
	"GET /catalog/entries/{citation}":    identity.PermSignedIn,
	"GET /catalog/faq":                   identity.PermSignedIn,
	"GET /catalog/diff":                  identity.PermSignedIn,
	"GET /catalog/search":                identity.PermSignedIn,
	"GET /api/v1/catalog":                identity.PermSignedIn,
	"GET /api/v1/catalog/faq":            identity.PermSignedIn,
	"GET /api/v1/catalog/diff":           identity.PermSignedIn,
	"GET /api/v1/catalog/search":         identity.PermSignedIn,
	"GET /api/v1/catalog/{citation}":     identity.PermSignedIn,
	// The risk analysis's inventory (riskweb: inventory*.go, flows.go, threats.go).
	"GET /orgs/{org}/inventory":                  identity.PermOrgRead,
	"GET /orgs/{org}/map":                        identity.PermOrgRead,
	"POST /orgs/{org}/inventory":                 identity.PermOrgWrite,
	"GET /orgs/{org}/inventory/{id}":             identity.PermOrgRead,
	"POST /orgs/{org}/inventory/{id}":            identity.PermOrgWrite,
	"POST /orgs/{org}/inventory/{id}/delete":     identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/assets":              identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/assets":             identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/assets/{id}":         identity.PermOrgRead,
	"PATCH /api/v1/orgs/{org}/assets/{id}":       identity.PermOrgWrite,
	"DELETE /api/v1/orgs/{org}/assets/{id}":      identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/assets/{id}/history": identity.PermOrgRead,
	"GET /orgs/{org}/flows":                      identity.PermOrgRead,
	"POST /orgs/{org}/flows":                     identity.PermOrgWrite,
	"POST /orgs/{org}/flows/{id}/delete":         identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/flows":               identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/flows":              identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/flows/{id}":          identity.PermOrgRead,
	"PATCH /api/v1/orgs/{org}/flows/{id}":        identity.PermOrgWrite,
	"DELETE /api/v1/orgs/{org}/flows/{id}":       identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/flows/{id}/history":  identity.PermOrgRead,
	"GET /orgs/{org}/threats":                    identity.PermOrgRead,
	"POST /orgs/{org}/threats":                   identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/threats":             identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/threats":            identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/vulnerabilities":     identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/vulnerabilities":    identity.PermOrgWrite,
	// Importing and exporting the inventory (riskweb: import*.go).
	"GET /orgs/{org}/inventory/import":        identity.PermOrgWrite,
	"POST /orgs/{org}/inventory/import":       identity.PermOrgWrite,
	"GET /orgs/{org}/inventory/export.csv":    identity.PermOrgRead,
	"GET /orgs/{org}/inventory/export.xlsx":   identity.PermOrgRead,
	"GET /orgs/{org}/inventory/template.csv":  identity.PermOrgRead,
	"GET /orgs/{org}/inventory/template.xlsx": identity.PermOrgRead,
	"POST /api/v1/orgs/{org}/assets/import":   identity.PermOrgWrite,
	"GET /api/v1/orgs/{org}/assets/export":    identity.PermOrgRead,
}

// endsSession marks routes that sign the caller out, which get a fresh
// session of their own.
var endsSession = map[string]bool{"POST /logout": true, "POST /api/v1/logout": true}

// needsSecondFactor marks routes that also need a session that passed a
// second factor, whatever the role: starting emergency access, which
// raises the session to a role that needs one.
var needsSecondFactor = map[string]bool{"POST /orgs/{org}/emergency": true}

// concretePath fills a route pattern's wildcards with values that name
// nothing (so that allowed requests change nothing) and the organisation.
func concretePath(pattern, org string) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	r := strings.NewReplacer("{org}", org, "{id}", "999999", "{user}", "999999", "{token}", "sgi_nothing", "{seq}", "999999",
		"{hash}", "0", "{name}", "style.css", "{citation}", "164.312(b)", "{category}", "technical", "{$}", "")
	path = r.Replace(path)
	if path == "/api/" {
		path = "/api/v1/nothing-here"
	}
	if pattern == "/" {
		path = "/nothing-here"
	}
	return method, path
}

// caller is one principal of the access test.
type caller struct {
	name  string
	email string
	admin bool
	org   string // the organisation they belong to, "" for none
	role  identity.Role
}

// allowed says whether c may use a route needing perm in organisation "a".
func (c caller) allowed(perm identity.Permission) bool {
	switch {
	case perm == identity.PermPublic:
		return true
	case c.email == "":
		return false
	case perm == identity.PermSignedIn || perm.OwnAccount():
		// Every session caller has their own account.
		return true
	case perm == identity.PermAdmin:
		return c.admin
	}
	return c.org == "a" && c.role.Allows(perm)
}

// denied reads a response as a refusal: sign-in needed, forbidden, or the
// organisation hidden.
func denied(w *httptest.ResponseRecorder) bool {
	switch w.Code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	case http.StatusNotFound:
		var body web.ErrorBody
		return json.Unmarshal(w.Body.Bytes(), &body) == nil && body.Error.Message == web.ErrNoOrg.Msg
	case http.StatusSeeOther, http.StatusFound:
		return strings.HasPrefix(w.Header().Get("Location"), "/login")
	}
	return false
}

// TestEveryRouteChecksAccess calls every route as every role, in its own and
// in another organisation, as a platform administrator and anonymously, and
// checks each answer is allowed or refused as the route's permission says.
func TestEveryRouteChecksAccess(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newServer(t, db, web.Config{})
		orgs := map[string]int64{}
		for _, slug := range []string{"a", "b"} {
			o, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "org-" + slug, Name: "Org " + slug, Kind: identity.KindProvider})
			if err != nil {
				t.Fatal(err)
			}
			orgs[slug] = o.ID
		}
		callers := []caller{{name: "anonymous"}, {name: "admin", email: "admin@example.org", admin: true}}
		for _, org := range []string{"a", "b"} {
			for _, role := range identity.Roles {
				callers = append(callers, caller{name: string(role) + "@" + org, email: string(role) + "@" + org + ".example.org", org: org, role: role})
			}
		}
		sessions := map[string]*webtest.Client{}
		for _, c := range callers {
			if c.email == "" {
				continue
			}
			webtest.CreateUser(t, db, c.email, c.admin, orgs[c.org], c.role)
			sessions[c.name] = webtest.LoginFull(t, s, db, c.email, webtest.Password)
		}

		seen := map[string]bool{}
		for _, rt := range s.Routes() {
			seen[rt.Pattern] = true
			want, ok := routePermissions[rt.Pattern]
			if !ok {
				t.Errorf("route %q has no row in routePermissions: decide who may use it and add one", rt.Pattern)
				continue
			}
			if rt.Perm != want {
				t.Errorf("route %q is registered with %s, the table says %s", rt.Pattern, rt.Perm, want)
			}
			method, path := concretePath(rt.Pattern, "org-a")
			for _, c := range callers {
				client := sessions[c.name]
				if client != nil && endsSession[rt.Pattern] {
					client = webtest.LoginFull(t, s, db, c.email, webtest.Password)
				}
				if client != nil && needsSecondFactor[rt.Pattern] {
					client = webtest.LoginFull(t, s, db, c.email, webtest.Password)
					webtest.MarkSecondFactor(t, db, client)
				}
				var w *httptest.ResponseRecorder
				if client == nil {
					r := httptest.NewRequest(method, path, strings.NewReader("{}"))
					r.Header.Set("Accept", "application/json")
					w = httptest.NewRecorder()
					s.ServeHTTP(w, r)
				} else {
					w = client.Do(t, method, path, "application/json", strings.NewReader("{}"))
				}
				if want == identity.PermPublic {
					// A public route may still refuse bad credentials with
					// 401; it must never ask for a sign-in or a role.
					// Pre-session forms refuse a post without their form
					// token, as forms after signing in do (loginguard.go).
					expired := w.Code == http.StatusForbidden && strings.Contains(w.Body.String(), web.ErrPreSessionCSRF.Msg)
					if (w.Code == http.StatusForbidden && !expired) || strings.HasPrefix(w.Header().Get("Location"), "/login") {
						t.Errorf("%s %s (public) as %s = %d %s", method, path, c.name, w.Code, w.Header().Get("Location"))
					}
					continue
				}
				if got, wantAllowed := !denied(w), c.allowed(want); got != wantAllowed {
					t.Errorf("%s %s as %s = %d (allowed %t), want allowed %t; body: %.200s", method, path, c.name, w.Code, got, wantAllowed, w.Body)
				}
			}
		}
		for pattern := range routePermissions {
			if !seen[pattern] {
				t.Errorf("routePermissions lists %q, which is not registered", pattern)
			}
		}
	})
}

// TestTokenScopes checks that an API token can do no more than its scope and
// its organisation allow, whatever its user's role.
func TestTokenScopes(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	ctx := context.Background()
	s, _ := newServer(t, db, web.Config{})
	a, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "org-a", Name: "A", Kind: identity.KindProvider})
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "org-b", Name: "B", Kind: identity.KindProvider})
	if err != nil {
		t.Fatal(err)
	}
	webtest.CreateUser(t, db, "owner@example.org", false, a.ID, identity.RoleOwner)
	u, err := db.UserByEmail(ctx, "owner@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetMember(ctx, store.Actor{Name: "test"}, b.ID, u.ID, identity.RoleOwner); err != nil {
		t.Fatal(err)
	}
	token := func(scope identity.Scope, orgID int64) string {
		secret, err := identity.NewSecret(identity.PrefixToken)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateToken(ctx, store.Actor{Name: "test"}, identity.HashSecret(secret), store.Token{UserID: u.ID, OrgID: orgID, Scope: scope}, 24*60*60*1e9); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	call := func(secret, method, path, body string) int {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+secret)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code
	}
	read, admin, scopedToA := token(identity.ScopeRead, 0), token(identity.ScopeAdmin, 0), token(identity.ScopeAdmin, a.ID)
	tests := []struct {
		name, secret, method, path, body string
		want                             int
	}{
		{"read token reads", read, "GET", "/api/v1/orgs/org-a/members", "", 200},
		{"read token cannot add members", read, "POST", "/api/v1/orgs/org-a/members", `{"email":"x@example.org","role":"viewer"}`, 403},
		{"admin token invites members", admin, "POST", "/api/v1/orgs/org-a/members", `{"email":"x@example.org","role":"viewer"}`, 201},
		{"org token stays in its org", scopedToA, "GET", "/api/v1/orgs/org-b", "", 404},
		{"org token works in its org", scopedToA, "GET", "/api/v1/orgs/org-a", "", 200},
		{"read token cannot mint an admin token", read, "POST", "/api/v1/tokens", `{"scope":"admin"}`, 403},
		{"admin token cannot mint a token either", admin, "POST", "/api/v1/tokens", `{"scope":"read","name":"ci"}`, 403},
		{"unknown token", "sgt_nothing", "GET", "/api/v1/me", "", 401},
		{"no CSRF needed with a token", admin, "POST", "/api/v1/orgs/org-a/members", `{"email":"y@example.org","role":"viewer"}`, 201},
	}
	for _, tt := range tests {
		if got := call(tt.secret, tt.method, tt.path, tt.body); got != tt.want {
			t.Errorf("%s: %s %s = %d, want %d", tt.name, tt.method, tt.path, got, tt.want)
		}
	}
	// The org-scoped token lists only its organisation.
	r := httptest.NewRequest("GET", "/api/v1/orgs", nil)
	r.Header.Set("Authorization", "Bearer "+scopedToA)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var got web.List[identity.OrgJSON]
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Items) != 1 || got.Items[0].Slug != "org-a" {
		t.Errorf("GET /api/v1/orgs with an org-a token = %s, want org-a only", w.Body)
	}
	// Token use is audited, once a minute per token.
	uses, _, err := db.AuditSearch(ctx, store.AuditFilter{Action: "token.use"})
	if err != nil || len(uses) != 3 {
		t.Errorf("token.use entries = %d, %v; want one for each of the 3 tokens", len(uses), err)
	}
}
