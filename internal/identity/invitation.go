package identity

import "time"

// Invitation asks a person to join an organisation in a role. Adding someone
// to an organisation never creates the membership directly: the person
// accepts (or declines) while signed in as themselves, because joining
// brings the organisation's policies (second factor, idle logoff, single
// sign-on) onto their account (45 CFR 164.308(a)(4)(ii)(B), access granted
// by a documented, consented step).
type Invitation struct {
	ID      int64
	OrgID   int64
	OrgSlug string
	OrgName string
	UserID  int64
	Email   string
	Role    Role
	// NewAccount says the account was made by this invitation and has never
	// been set up: only then may the invitation link choose its password.
	NewAccount bool
	InvitedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AnsweredAt time.Time
	Answer     InvitationAnswer
}

// InvitationAnswer is how an invitation ended.
type InvitationAnswer string

// The ways an invitation ends.
const (
	InvitationAccepted  InvitationAnswer = "accepted"
	InvitationDeclined  InvitationAnswer = "declined"
	InvitationCancelled InvitationAnswer = "cancelled"
	// InvitationReplaced: a newer invitation to the same organisation
	// took its place.
	InvitationReplaced InvitationAnswer = "replaced"
)

// InvitationLifetime is how long an invitation may be answered.
const InvitationLifetime = 72 * time.Hour

// Pending reports whether the invitation may still be answered at now.
func (i Invitation) Pending(now time.Time) bool {
	return i.AnsweredAt.IsZero() && now.Before(i.ExpiresAt)
}

// MayGrant reports whether a member in role r may invite someone as role:
// only an owner makes another owner.
func (r Role) MayGrant(role Role) bool {
	return role != RoleOwner || r == RoleOwner
}
