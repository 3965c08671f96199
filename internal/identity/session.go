package identity

import (
	"time"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// Session defaults: automatic logoff (45 CFR 164.312(a)(2)(iii)) after a
// quarter of an hour without activity, and a hard limit of one working day.
const (
	DefaultIdleTimeout = 15 * time.Minute
	DefaultMaxLifetime = 12 * time.Hour
	MinIdleTimeout     = time.Minute
	MaxIdleTimeout     = 8 * time.Hour
)

// Session is a signed-in browser. Its secret is held only by the browser; the
// store keeps a hash of it.
type Session struct {
	ID         int64
	UserID     int64
	CSRF       string // the synchroniser token forms and scripts send back
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time     // the absolute end
	Idle       time.Duration // the idle limit in force for this session
	// MFAAt is when the user passed a second factor in this session; zero
	// while only the password has been checked.
	MFAAt     time.Time
	IP        string
	UserAgent string
	EndedAt   time.Time
	EndReason string
}

// IdleDeadline is when the session ends unless it is used again.
func (s Session) IdleDeadline() time.Time { return s.LastSeenAt.Add(s.Idle) }

// Expired reports whether the session has ended by time at now, and why.
func (s Session) Expired(now time.Time) (bool, string) {
	switch {
	case !s.EndedAt.IsZero():
		return true, s.EndReason
	case !now.Before(s.ExpiresAt):
		return true, "lifetime"
	case !now.Before(s.IdleDeadline()):
		return true, "idle"
	}
	return false, ""
}

// EffectiveIdle is the idle limit for a user: the deployment's, or a shorter
// one set by any organisation the user belongs to.
func EffectiveIdle(deployment time.Duration, orgLimits ...time.Duration) time.Duration {
	d := deployment
	if d <= 0 {
		d = DefaultIdleTimeout
	}
	for _, l := range orgLimits {
		if l > 0 && l < d {
			d = l
		}
	}
	return d
}

// CheckIdleTimeout checks an organisation's idle limit: 0 (the
// deployment's), or between MinIdleTimeout and MaxIdleTimeout.
func CheckIdleTimeout(d time.Duration) error {
	if d != 0 && (d < MinIdleTimeout || d > MaxIdleTimeout) {
		return validate.Error{"idle_timeout": "must be between 1 minute and 8 hours"}
	}
	return nil
}
