package identity

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// User is one person: Safeguard has no shared accounts (unique user
// identification, 45 CFR 164.312(a)(2)(i)). Users are disabled, never
// deleted, because the audit log refers to them.
type User struct {
	ID    int64
	Email string // unique, lower-case
	Name  string
	// Admin is a platform administrator: manages users and organisations.
	Admin bool
	// MustChangePassword is set for a one-time password: the next sign-in
	// must choose a new one before doing anything else.
	MustChangePassword bool
	PasswordSetAt      time.Time
	DisabledAt         time.Time // zero while active
	CreatedAt          time.Time
	LastLoginAt        time.Time
}

// Active reports whether the user may sign in.
func (u User) Active() bool { return u.DisabledAt.IsZero() }

// Limits on user fields.
const (
	MaxEmailLen = 254
	MaxUserName = 200
)

// NormalizeEmail lower-cases and trims an address so one person has one
// account whatever the capitals they type.
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// Normalize trims the fields a person types.
func (u *User) Normalize() {
	u.Email = NormalizeEmail(u.Email)
	u.Name = strings.TrimSpace(u.Name)
}

// Validate reports every problem with u's fields.
func (u User) Validate() error {
	p := validate.Error{}
	if msg := emailProblem(u.Email); msg != "" {
		p.Add("email", msg)
	}
	switch {
	case !utf8.ValidString(u.Name):
		p.Add("name", "must be valid UTF-8 text")
	case utf8.RuneCountInString(u.Name) > MaxUserName:
		p.Add("name", "must be at most 200 characters")
	case strings.ContainsAny(u.Name, "\x00\r\n"):
		p.Add("name", "must be on one line")
	}
	return p.Err()
}

func emailProblem(email string) string {
	switch {
	case email == "":
		return "is required"
	case len(email) > MaxEmailLen:
		return "must be at most 254 characters"
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "must be an address such as name@example.org"
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || !strings.Contains(email[at+1:], ".") || strings.HasSuffix(email, ".") {
		return "must be an address such as name@example.org"
	}
	return ""
}

// Membership gives a user a role in an organisation.
type Membership struct {
	OrgID     int64
	OrgSlug   string
	OrgName   string
	UserID    int64
	Role      Role
	CreatedAt time.Time
}
