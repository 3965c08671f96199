package identity

import "time"

// UserJSON is a user as the API and "safeguard users list --format json"
// give it: never a password hash or a secret.
type UserJSON struct {
	ID          int64      `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Admin       bool       `json:"admin"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
	// InvitationURL is given once, to whoever created the account.
	InvitationURL string `json:"invitation_url,omitempty"`
}

// JSON returns u's wire form.
func (u User) JSON() UserJSON {
	j := UserJSON{ID: u.ID, Email: u.Email, Name: u.Name, Admin: u.Admin, Disabled: !u.Active(), CreatedAt: u.CreatedAt}
	if !u.LastLoginAt.IsZero() {
		t := u.LastLoginAt
		j.LastLoginAt = &t
	}
	return j
}

// OrgJSON is an organisation as the API and "safeguard orgs list --format
// json" give it; Role is the caller's role in it, where there is a caller.
type OrgJSON struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// TimeZone is the zone the organisation's pages show times in; the API
	// gives every time in UTC.
	TimeZone string `json:"time_zone"`
	Role     string `json:"role,omitempty"`
}

// JSON returns o's wire form with the caller's role (empty for none).
func (o Org) JSON(role Role) OrgJSON {
	return OrgJSON{ID: o.ID, Slug: o.Slug, Name: o.Name, Kind: string(o.Kind), TimeZone: o.TimeZone, Role: string(role)}
}
