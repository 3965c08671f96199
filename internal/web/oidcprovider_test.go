package web

import (
	"crypto/rsa"
	"testing"

	"github.com/safeguard-health/safeguard/internal/oidctest"
)

// The single sign-on tests use the in-process provider of oidctest, which
// the browser tests in cmd/safeguard share.
type (
	oidcProvider = oidctest.Provider
	oidcUser     = oidctest.User
)

func newOIDCProvider(t *testing.T, clientID, clientSecret string) *oidcProvider {
	return oidctest.New(t, clientID, clientSecret)
}

func testRSAKey(t *testing.T) *rsa.PrivateKey { return oidctest.RSAKey(t) }
