package orgweb

import "github.com/safeguard-health/safeguard/internal/identity"

// permissionDuties says, in a practice manager's words, what each
// organisation permission lets a member do. The members page explains the
// roles from this and from identity's role table, so the explanation
// follows the rules that routes enforce; a test keeps every organisation
// permission described.
var permissionDuties = map[identity.Permission]string{
	identity.PermOrgRead:     "see the organisation's assessments, evidence and members",
	identity.PermOrgWrite:    "answer assessments, record decisions and attach evidence",
	identity.PermOrgAudit:    "read the audit log of who did what",
	identity.PermOrgSecurity: "review and sign off assessments, and review uses of emergency access",
	identity.PermOrgSettings: "change the security settings: two-step sign-in and automatic sign-out",
	identity.PermOrgManage:   "invite and remove members, change their roles, and set up single sign-on",
}

// roleExplained is one role on the members page: what it may and may not do.
type roleExplained struct {
	Role   identity.Role
	May    []string
	MayNot []string
	// NeedsMFA: holders must use a second factor whatever the
	// organisation's policy.
	NeedsMFA bool
	// GrantsOwner: the role may make someone an owner.
	GrantsOwner bool
}

// explainRoles describes every role from the permissions it holds.
func explainRoles() []roleExplained {
	out := make([]roleExplained, 0, len(identity.Roles))
	for _, r := range identity.Roles {
		e := roleExplained{Role: r, NeedsMFA: r.NeedsMFA(),
			GrantsOwner: r.Allows(identity.PermOrgManage) && r.MayGrant(identity.RoleOwner)}
		for p := identity.PermOrgRead; p.OrgScoped(); p++ {
			if r.Allows(p) {
				e.May = append(e.May, permissionDuties[p])
			} else {
				e.MayNot = append(e.MayNot, permissionDuties[p])
			}
		}
		out = append(out, e)
	}
	return out
}
