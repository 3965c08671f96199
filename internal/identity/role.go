package identity

import "fmt"

// Role is what a member may do in one organisation (45 CFR 164.308(a)(4),
// information access management: access granted by role, no more than needed).
type Role string

// The organisation roles, from most to least powerful.
const (
	RoleOwner           Role = "owner"
	RoleSecurityOfficer Role = "security_officer"
	RoleContributor     Role = "contributor"
	RoleAuditor         Role = "auditor"
	RoleViewer          Role = "viewer"
)

// Roles lists every role in the order forms offer them.
var Roles = []Role{RoleOwner, RoleSecurityOfficer, RoleContributor, RoleAuditor, RoleViewer}

// ParseRole returns the role named s, or an error listing the valid ones.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q: want owner, security_officer, contributor, auditor or viewer", s)
}

// Label is the role as a person reads it.
func (r Role) Label() string {
	switch r {
	case RoleOwner:
		return "Owner"
	case RoleSecurityOfficer:
		return "Security officer"
	case RoleContributor:
		return "Contributor"
	case RoleAuditor:
		return "Auditor (read-only, with audit log)"
	case RoleViewer:
		return "Viewer (read-only)"
	}
	return string(r)
}

// Permission is one kind of thing a route lets its caller do. Every route
// names the permission it needs, and one check decides.
type Permission int

// The permissions, from the public ones to the platform administrator's.
const (
	// PermPublic needs no sign-in (health checks, the sign-in page).
	PermPublic Permission = iota
	// PermSignedIn needs a signed-in user, in no particular organisation
	// (the catalogue, the user's own account).
	PermSignedIn
	// PermOrgRead reads an organisation's records.
	PermOrgRead
	// PermOrgWrite adds and edits an organisation's records.
	PermOrgWrite
	// PermOrgAudit reads the organisation's audit log.
	PermOrgAudit
	// PermOrgSecurity does what the rule gives the security official over
	// the organisation's records: review and sign off assessments, review
	// emergency access.
	PermOrgSecurity
	// PermOrgSettings changes the organisation's security settings (second
	// factor policy, automatic logoff): changes that outlast whoever makes
	// them, so emergency access never grants it.
	PermOrgSettings
	// PermOrgManage manages members and their roles, and the organisation's
	// single sign-on (which decides who signs in and with what role).
	PermOrgManage
	// PermAdmin manages the deployment: users and organisations.
	PermAdmin
	// PermAccountWrite changes the caller's own account in ways that only
	// take access away: revoking an API token, ending sessions, declining an
	// invitation, marking notifications read. Read-scope tokens lack it.
	PermAccountWrite
	// PermCredentials signs in, or makes or changes what lets the account
	// in and what it may reach: API tokens, the password, second factors,
	// passkeys, accepting a membership. Only a person in a browser session
	// holds it; no token scope allows it, so that a token can never mint a
	// credential wider or longer-lived than itself (45 CFR 164.312(d)).
	PermCredentials
)

var permissionNames = map[Permission]string{
	PermPublic: "public", PermSignedIn: "signed-in", PermOrgRead: "org:read", PermOrgWrite: "org:write",
	PermOrgAudit: "org:audit", PermOrgSecurity: "org:security", PermOrgSettings: "org:settings", PermOrgManage: "org:manage", PermAdmin: "admin",
	PermAccountWrite: "account:write", PermCredentials: "credentials",
}

func (p Permission) String() string { return permissionNames[p] }

// OrgScoped reports whether the permission is about one organisation.
func (p Permission) OrgScoped() bool {
	return p >= PermOrgRead && p <= PermOrgManage
}

// OwnAccount reports whether the permission is about the caller's own
// account, which every signed-in user holds for themselves.
func (p Permission) OwnAccount() bool {
	return p == PermAccountWrite || p == PermCredentials
}

// rolePermissions says which organisation permissions each role holds.
var rolePermissions = map[Role][]Permission{
	RoleOwner:           {PermOrgRead, PermOrgWrite, PermOrgAudit, PermOrgSecurity, PermOrgSettings, PermOrgManage},
	RoleSecurityOfficer: {PermOrgRead, PermOrgWrite, PermOrgAudit, PermOrgSecurity, PermOrgSettings},
	RoleContributor:     {PermOrgRead, PermOrgWrite},
	RoleAuditor:         {PermOrgRead, PermOrgAudit},
	RoleViewer:          {PermOrgRead},
}

// Allows reports whether the role holds the organisation permission p.
func (r Role) Allows(p Permission) bool {
	for _, q := range rolePermissions[r] {
		if q == p {
			return true
		}
	}
	return false
}

// NeedsMFA reports whether holders of the role must use a second factor
// whatever their organisation's policy: those who can change security
// settings or members.
func (r Role) NeedsMFA() bool {
	return r == RoleOwner || r == RoleSecurityOfficer
}

// Scope limits what an API token may do, whatever its user's role.
type Scope string

// The token scopes.
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
	ScopeAdmin Scope = "admin"
)

// ParseScope returns the scope named s.
func ParseScope(s string) (Scope, error) {
	switch Scope(s) {
	case ScopeRead, ScopeWrite, ScopeAdmin:
		return Scope(s), nil
	}
	return "", fmt.Errorf("unknown scope %q: want read, write or admin", s)
}

// scopePermissions says what each token scope allows. PermCredentials is in
// none of them: tokens are made in a browser session or with the CLI, never
// by another token.
var scopePermissions = map[Scope][]Permission{
	ScopeRead:  {PermPublic, PermSignedIn, PermOrgRead, PermOrgAudit},
	ScopeWrite: {PermPublic, PermSignedIn, PermOrgRead, PermOrgAudit, PermOrgWrite, PermAccountWrite},
	ScopeAdmin: {PermPublic, PermSignedIn, PermOrgRead, PermOrgAudit, PermOrgWrite, PermAccountWrite,
		PermOrgSecurity, PermOrgSettings, PermOrgManage, PermAdmin},
}

// Allows reports whether a token of this scope may be used for p. Read
// tokens read (including the audit log); write tokens also change records
// and may revoke tokens and end sessions; admin tokens may do whatever their
// user may, except make or change credentials.
func (s Scope) Allows(p Permission) bool {
	for _, q := range scopePermissions[s] {
		if q == p {
			return true
		}
	}
	return false
}
