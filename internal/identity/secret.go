package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// Secret kinds, visible in the first characters of each secret so a leaked one
// is recognisable (and can be found by secret scanners).
const (
	PrefixSession    = "sgs_"
	PrefixToken      = "sgt_"
	PrefixInvitation = "sgi_"
	PrefixDevice     = "sgd_"
)

var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a random secret of 160 bits behind the given prefix.
func NewSecret(prefix string) (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + strings.ToLower(secretEncoding.EncodeToString(b)), nil
}

// HashSecret is how secrets are stored and looked up: a SHA-256 digest, so a
// copy of the database does not hold usable sessions, tokens or invitations.
// The secrets are random, so a fast hash is enough.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
