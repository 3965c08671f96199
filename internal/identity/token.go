package identity

import (
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// API tokens: a name the person recognises, and a lifetime of at most about
// a year, so that no token outlives the reviews of access (45 CFR
// 164.308(a)(4)(ii)(C)).
const (
	DefaultTokenName = "API token"
	MaxTokenName     = 100
	MaxTokenLifetime = 366 * 24 * time.Hour
)

// NormalizeTokenName trims a token's name, names an unnamed token
// DefaultTokenName, and checks its length.
func NormalizeTokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = DefaultTokenName
	}
	if len(name) > MaxTokenName {
		return "", validate.Error{"name": "must be at most 100 characters"}
	}
	return name, nil
}

// CheckTokenLifetime checks how long a new token lives.
func CheckTokenLifetime(ttl time.Duration) error {
	if ttl <= 0 || ttl > MaxTokenLifetime {
		return validate.Error{"expires": "must be between 1 second and 366 days"}
	}
	return nil
}
