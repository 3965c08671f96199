package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// envOIDCSecret gives the deployment provider's client secret itself, for
// platforms that hand secrets over in the environment. A flag would show
// it in the process list, so there is none.
const envOIDCSecret = "SAFEGUARD_OIDC_CLIENT_SECRET"

// ssoFlags configure the deployment's OpenID Connect provider.
type ssoFlags struct {
	issuer         string
	clientID       string
	secretFile     string
	redirectURL    string
	scopes         string
	groupsClaim    string
	roleMap        []string
	allowedDomains string
	jit            bool
	trustMFA       bool
	linkByEmail    bool
}

func addSSOFlags(fs *flag.FlagSet) *ssoFlags {
	f := &ssoFlags{}
	fs.StringVar(&f.issuer, "oidc-issuer", "", "single sign-on: the OpenID Connect provider's issuer URL (https); empty turns the deployment's provider off")
	fs.StringVar(&f.clientID, "oidc-client-id", "", "single sign-on: Safeguard's client ID at the provider")
	fs.StringVar(&f.secretFile, "oidc-client-secret-file", "", "single sign-on: a file holding the client secret ("+envOIDCSecret+" may give it instead)")
	fs.StringVar(&f.redirectURL, "oidc-redirect-url", "", "single sign-on: the callback registered at the provider (default: --public-url, or else the address people use, followed by /login/sso/callback)")
	fs.StringVar(&f.scopes, "oidc-scopes", "", `single sign-on: scopes to ask for besides openid (default "email profile")`)
	fs.StringVar(&f.groupsClaim, "oidc-groups-claim", "", `single sign-on: the ID token claim listing a person's groups, e.g. "groups"`)
	fs.Func("oidc-role-map", "single sign-on: GROUP=ORG:ROLE, a group's role in an organisation; repeat the flag (or put one a line in the variable) for more", func(s string) error {
		f.roleMap = append(f.roleMap, s)
		return nil
	})
	fs.StringVar(&f.allowedDomains, "oidc-allowed-domains", "", "single sign-on: email domains the provider may sign in, separated by commas (default any)")
	fs.BoolVar(&f.jit, "oidc-jit", false, "single sign-on: create an account at first sign-in for a person the provider vouches for")
	fs.BoolVar(&f.trustMFA, "oidc-trust-mfa", false, `single sign-on: count a sign-in whose ID token's "amr" claim names a second factor (mfa, otp, hwk) as Safeguard's own second factor`)
	fs.BoolVar(&f.linkByEmail, "oidc-link-by-email", false, "single sign-on: let the provider sign in an existing account that has a password or passkey by the email address it verified (off: the account's holder links the provider under Account first)")
	return f
}

// config returns the deployment's provider, nil when none is configured,
// or a usage error naming the flag at fault.
func (f *ssoFlags) config(lookupEnv func(string) (string, bool)) (*identity.SSOConfig, error) {
	envSecret, hasEnvSecret := lookupEnv(envOIDCSecret)
	if f.issuer == "" {
		if f.clientID != "" || f.secretFile != "" || hasEnvSecret || f.redirectURL != "" || len(f.roleMap) > 0 || f.jit || f.trustMFA || f.linkByEmail {
			return nil, usagef("--oidc-issuer is required with the other --oidc-* settings")
		}
		return nil, nil
	}
	var secret string
	switch {
	case f.secretFile != "" && hasEnvSecret:
		return nil, usagef("--oidc-client-secret-file and %s exclude each other: give one", envOIDCSecret)
	case f.secretFile != "":
		b, err := os.ReadFile(f.secretFile)
		if err != nil {
			return nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
		}
		secret = strings.TrimRight(string(b), "\r\n")
	default:
		secret = envSecret
	}
	if secret == "" {
		return nil, usagef("--oidc-issuer needs a client secret: --oidc-client-secret-file or %s", envOIDCSecret)
	}
	c := &identity.SSOConfig{
		Enabled:        true,
		Issuer:         f.issuer,
		ClientID:       f.clientID,
		ClientSecret:   secret,
		RedirectURL:    f.redirectURL,
		Scopes:         identity.SplitList(f.scopes),
		GroupsClaim:    f.groupsClaim,
		JIT:            f.jit,
		AllowedDomains: identity.SplitList(f.allowedDomains),
		TrustMFA:       f.trustMFA,
		LinkByEmail:    f.linkByEmail,
	}
	m, err := identity.ParseRoleMap(strings.Join(f.roleMap, "\n"))
	if err != nil {
		return nil, usagef("--oidc-role-map: %v", err)
	}
	c.RoleMap = m
	c.Normalize()
	if err := c.Validate(); err != nil {
		var verr validate.Error
		if errors.As(err, &verr) {
			var parts []string
			for _, field := range []string{"issuer", "client_id", "client_secret", "redirect_url", "scopes", "groups_claim", "role_map", "allowed_domains"} {
				if msg, ok := verr[field]; ok {
					name := strings.ReplaceAll(field, "_", "-")
					if field == "client_secret" {
						name = "client-secret-file"
					}
					parts = append(parts, "--oidc-"+name+" "+msg)
				}
			}
			if len(parts) == 0 {
				return nil, usagef("single sign-on: %v", err)
			}
			return nil, usagef("%s", strings.Join(parts, "; "))
		}
		return nil, err
	}
	return c, nil
}
