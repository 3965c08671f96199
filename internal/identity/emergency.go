package identity

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/safeguard-health/safeguard/internal/problem"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// Emergency access ("break-glass", 45 CFR 164.312(a)(2)(ii), emergency access
// procedure): a member raises their own access in one organisation at once,
// with a written reason and for a limited time. It is announced to the
// people responsible for security, every request made with it is audited,
// it ends by itself, and afterwards someone else reviews and closes it.
const (
	MaxEmergency       = 4 * time.Hour
	MinEmergencyReason = 20
)

// EmergencyRole is the role emergency access is shown as: a security
// officer's, limited to EmergencyPermissions. It is a role that always
// needs a second factor, so raising a session to it needs one too.
const EmergencyRole = RoleSecurityOfficer

// EmergencyPermissions are all that emergency access adds to a member's own
// role: reading every record and the audit log, and changing records. Never
// anything whose effect outlasts the emergency: not the organisation's
// settings, single sign-on or members (PermOrgSettings, PermOrgManage), not
// the security official's sign-off, review or deletion of an assessment
// (PermOrgSecurity), and no API token (tokens act with their user's own
// role, and none can be made while emergency access runs).
var EmergencyPermissions = []Permission{PermOrgRead, PermOrgWrite, PermOrgAudit}

// EmergencyAllows reports whether a member whose own role is own may use p
// while emergency access runs.
func EmergencyAllows(own Role, p Permission) bool {
	return own.Allows(p) || slices.Contains(EmergencyPermissions, p)
}

// Emergency is one use of emergency access.
type Emergency struct {
	ID        int64
	OrgID     int64
	OrgSlug   string
	UserID    int64
	UserEmail string
	UserName  string
	Reason    string
	Duration  time.Duration // asked for; EndsAt is StartedAt plus this
	StartedAt time.Time
	EndsAt    time.Time
	EndedAt   time.Time // set when ended early
	EndedBy   string

	ReviewedAt    time.Time
	ReviewedBy    int64
	ReviewerEmail string
	ReviewNote    string
}

// Active reports whether the access is in force at now.
func (e Emergency) Active(now time.Time) bool {
	return e.EndedAt.IsZero() && now.Before(e.EndsAt)
}

// Finished is when the access stopped: ended early, or ran out.
func (e Emergency) Finished() time.Time {
	if !e.EndedAt.IsZero() {
		return e.EndedAt
	}
	return e.EndsAt
}

// Validate checks a request for emergency access.
func (e *Emergency) Validate() error {
	p := validate.Error{}
	e.Reason = strings.TrimSpace(e.Reason)
	switch n := utf8.RuneCountInString(e.Reason); {
	case n < MinEmergencyReason:
		p.Add("reason", "must explain the emergency in at least 20 characters")
	case n > 2000:
		p.Add("reason", "must be at most 2000 characters")
	}
	if e.Duration < 5*time.Minute || e.Duration > MaxEmergency {
		p.Add("duration", "must be between 5 minutes and 4 hours")
	}
	return p.Err()
}

// ElevatedRole is the role a member holds while emergency access runs:
// the emergency role, unless their own is stronger.
func ElevatedRole(own Role) Role {
	if own == RoleOwner {
		return own
	}
	return EmergencyRole
}

// Bounds of the note that closes the review of emergency access, in bytes.
const (
	MinReviewNote = 10
	MaxReviewNote = 4000
)

// CheckReviewNote checks the note of a review of emergency access: it must
// say what was checked.
func CheckReviewNote(note string) error {
	if len(note) < MinReviewNote {
		return validate.Error{"note": "must say what was checked (at least 10 characters)"}
	}
	if len(note) > MaxReviewNote {
		return validate.Error{"note": "must be at most 4000 characters"}
	}
	return nil
}

// Review closes the review of finished emergency access at now by
// reviewerID with note. Someone other than the person who used it reviews
// it; running access, and access reviewed already, cannot be reviewed (a
// problem of kind Conflict).
func (e *Emergency) Review(reviewerID int64, note string, now time.Time) error {
	if err := CheckReviewNote(note); err != nil {
		return err
	}
	switch {
	case e.Active(now):
		return problem.New(problem.Conflict, fmt.Sprintf("Emergency access %d is still running; end it first.", e.ID), nil)
	case !e.ReviewedAt.IsZero():
		return problem.New(problem.Conflict, fmt.Sprintf("Emergency access %d was reviewed already.", e.ID), nil)
	case e.UserID == reviewerID:
		return validate.Error{"note": "someone other than the person who used emergency access must review it"}
	}
	e.ReviewedAt, e.ReviewedBy, e.ReviewNote = now, reviewerID, note
	return nil
}
