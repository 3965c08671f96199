package identity

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// SSOLoginLifetime is how long a sign-in through an identity provider may
// take between leaving Safeguard and coming back; an older login state is
// refused.
const SSOLoginLifetime = 10 * time.Minute

// Limits on single sign-on settings.
const (
	maxSSOURL      = 2048
	maxSSOClientID = 256
	maxSSOSecret   = 1024
	maxSSOScopes   = 20
	maxSSODomains  = 50
	maxGroupLen    = 256
	maxRoleMap     = 200
)

// SSOConfig is an OpenID Connect identity provider people sign in with
// (person or entity authentication, 45 CFR 164.312(d), delegated to the
// organisation's own directory). The deployment may have one (OrgID 0, from
// its flags), and each organisation one of its own (stored, its client secret
// sealed at rest).
type SSOConfig struct {
	OrgID   int64
	Enabled bool
	// Issuer is the provider's issuer identifier: its discovery document is
	// at Issuer + "/.well-known/openid-configuration", and every ID token
	// must carry exactly this "iss".
	Issuer   string
	ClientID string
	// ClientSecret is held in memory only; the store keeps it sealed.
	ClientSecret string
	// RedirectURL is the callback registered at the provider; empty means
	// the address the browser used, with the path /login/sso/callback.
	RedirectURL string
	// Scopes are requested besides "openid"; none means "email profile".
	Scopes []string
	// GroupsClaim names the ID token claim that lists the person's groups.
	GroupsClaim string
	// RoleMap turns groups into organisation roles at every sign-in.
	RoleMap RoleMap
	// DefaultRole is given, in an organisation's own provider, to a person
	// none of whose groups is mapped; empty gives none.
	DefaultRole Role
	// JIT creates an account, just in time, for a person the provider
	// vouches for who has none yet.
	JIT bool
	// AllowedDomains, when not empty, are the only email domains whose
	// people this provider may sign in.
	AllowedDomains []string
	// TrustMFA: the platform administrator trusts the provider's "amr"
	// claim, so a sign-in it reports as multi-factor counts as Safeguard's
	// second factor. Off, the person still passes Safeguard's own.
	TrustMFA bool
	// LinkByEmail (the deployment's provider only): the platform
	// administrator lets the provider sign in an existing account with a
	// password or passkey whose address it verified, linking it at first
	// sign-in. Off, such an account signs in through the provider only once
	// its holder linked it under Account.
	LinkByEmail bool
}

// Link origins: how a provider account came to be linked to a user.
const (
	// LinkJIT: the provider created the account just in time.
	LinkJIT = "jit"
	// LinkAccount: the account holder linked it while signed in.
	LinkAccount = "account"
	// LinkEmail: matched by verified email at a sign-in, for an account with
	// no password or passkey, or by the deployment's provider trusted to
	// (LinkByEmail).
	LinkEmail = "email"
)

// SignsInLinked reports whether the provider may sign in an account with a
// password or passkey through a link of the given origin: one its holder
// (or the provider itself, at creation) made, or one the administrator's
// trust in the deployment's provider allowed.
func (c SSOConfig) SignsInLinked(origin string) bool {
	return origin == LinkJIT || origin == LinkAccount || (c.Deployment() && c.LinkByEmail)
}

// Deployment reports whether c is the deployment's provider rather than an
// organisation's.
func (c SSOConfig) Deployment() bool { return c.OrgID == 0 }

// RequestScopes are the scopes to ask the provider for.
func (c SSOConfig) RequestScopes() []string {
	out := []string{"openid"}
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = []string{"email", "profile"}
	}
	for _, s := range scopes {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// AllowsEmail reports whether the provider may sign in the owner of email.
func (c SSOConfig) AllowsEmail(email string) bool {
	if len(c.AllowedDomains) == 0 {
		return true
	}
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return false
	}
	return slices.Contains(c.AllowedDomains, strings.ToLower(email[at+1:]))
}

// ManagesRoles reports whether an organisation's provider decides its
// members' roles (through its group mapping or a default role).
func (c SSOConfig) ManagesRoles() bool { return len(c.RoleMap) > 0 || c.DefaultRole != "" }

// Normalize trims what a person typed and puts lists in a canonical form.
func (c *SSOConfig) Normalize() {
	c.Issuer = strings.TrimSpace(c.Issuer)
	c.ClientID = strings.TrimSpace(c.ClientID)
	c.RedirectURL = strings.TrimSpace(c.RedirectURL)
	c.GroupsClaim = strings.TrimSpace(c.GroupsClaim)
	var scopes []string
	for _, s := range c.Scopes {
		if s != "openid" && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	c.Scopes = scopes
	var domains []string
	for _, d := range c.AllowedDomains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d != "" && !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	c.AllowedDomains = domains
}

// Validate reports every problem with c's fields except the client secret,
// which the store never sees in the clear and its callers check.
func (c SSOConfig) Validate() error {
	p := validate.Error{}
	if msg := issuerProblem(c.Issuer); msg != "" {
		p.Add("issuer", msg)
	}
	switch {
	case c.ClientID == "":
		p.Add("client_id", "is required")
	case len(c.ClientID) > maxSSOClientID:
		p.Add("client_id", fmt.Sprintf("must be at most %d characters", maxSSOClientID))
	case !printable(c.ClientID):
		p.Add("client_id", "must be printable text without spaces")
	}
	if len(c.ClientSecret) > maxSSOSecret {
		p.Add("client_secret", fmt.Sprintf("must be at most %d characters", maxSSOSecret))
	}
	if c.RedirectURL != "" {
		if !c.Deployment() {
			p.Add("redirect_url", "is set for the whole deployment only")
		} else if msg := redirectProblem(c.RedirectURL); msg != "" {
			p.Add("redirect_url", msg)
		}
	}
	if len(c.Scopes) > maxSSOScopes {
		p.Add("scopes", fmt.Sprintf("at most %d", maxSSOScopes))
	}
	for _, s := range c.Scopes {
		if !scopeToken(s) {
			p.Add("scopes", fmt.Sprintf("%q is not a scope name", s))
		}
	}
	switch {
	case len(c.GroupsClaim) > 100:
		p.Add("groups_claim", "must be at most 100 characters")
	case c.GroupsClaim != "" && !claimName(c.GroupsClaim):
		p.Add("groups_claim", "may hold only letters, digits and . _ : / -")
	case c.GroupsClaim == "" && len(c.RoleMap) > 0:
		p.Add("groups_claim", "is required when groups are mapped to roles")
	}
	if err := c.RoleMap.check(); err != nil {
		p.Add("role_map", err.Error())
	}
	for _, m := range c.RoleMap {
		if c.Deployment() && m.Org == "" {
			p.Add("role_map", fmt.Sprintf("group %q: name the organisation, as GROUP = ORG:ROLE", m.Group))
		}
		if !c.Deployment() && m.Org != "" {
			p.Add("role_map", fmt.Sprintf("group %q: an organisation's provider maps to its own roles only, as GROUP = ROLE", m.Group))
		}
	}
	if c.DefaultRole != "" {
		if c.Deployment() {
			p.Add("default_role", "is set per organisation only")
		} else if _, err := ParseRole(string(c.DefaultRole)); err != nil {
			p.Add("default_role", err.Error())
		}
	}
	if c.LinkByEmail && !c.Deployment() {
		p.Add("link_by_email", "is set for the whole deployment only")
	}
	if c.JIT && !c.Deployment() && !c.ManagesRoles() {
		p.Add("jit", "needs a group mapping or a default role, so that new accounts get a role in the organisation")
	}
	if len(c.AllowedDomains) > maxSSODomains {
		p.Add("allowed_domains", fmt.Sprintf("at most %d", maxSSODomains))
	}
	for _, d := range c.AllowedDomains {
		if !domainName(d) {
			p.Add("allowed_domains", fmt.Sprintf("%q is not a domain name such as example.org", d))
		}
	}
	return p.Err()
}

// issuerProblem checks an issuer identifier: an https URL without query or
// fragment (OpenID Connect Discovery 1.0, section 2). Plain http is accepted
// for a loopback host only, for development and tests.
func issuerProblem(s string) string {
	if s == "" {
		return "is required"
	}
	if len(s) > maxSSOURL {
		return fmt.Sprintf("must be at most %d characters", maxSSOURL)
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "must be a URL such as https://login.example.org"
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#") {
		return "must not have a query or fragment"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopbackHost(u.Hostname()) {
			return "must use https (plain http only for a provider on this machine)"
		}
	default:
		return "must be an https URL"
	}
	return ""
}

func redirectProblem(s string) string {
	if len(s) > maxSSOURL {
		return fmt.Sprintf("must be at most %d characters", maxSSOURL)
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "must be a URL such as https://safeguard.example.org/login/sso/callback"
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return "must not have a fragment"
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return "must use https (plain http only on this machine)"
	}
	return ""
}

func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(h, "[]"))
	return err == nil && a.IsLoopback()
}

func printable(s string) bool {
	for _, r := range s {
		if r <= ' ' || r == 0x7f || !unicode.IsPrint(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// scopeToken is RFC 6749's scope-token: %x21 / %x23-5B / %x5D-7E.
func scopeToken(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
			return false
		}
	}
	return true
}

func claimName(s string) bool {
	for _, r := range s {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._:/-", r))) {
			return false
		}
	}
	return true
}

func domainName(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// SplitList splits a list typed as words separated by commas, spaces or new
// lines ("email profile", "example.org, example.com").
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// GroupRole maps one group the provider reports to a role in an organisation.
type GroupRole struct {
	Group string
	// Org is the organisation's slug in the deployment's provider, and empty
	// in an organisation's own (which maps to its own roles only).
	Org  string
	Role Role
}

// RoleMap is an ordered list of group → role mappings. Its text form, as
// typed in the settings page or given to --oidc-role-map, is one mapping a
// line:
//
//	GROUP = ROLE          (an organisation's provider)
//	GROUP = ORG:ROLE      (the deployment's provider)
//
// Blank lines and lines starting with # are ignored. The line is split at
// its last "=", so a group may itself contain "=" (an LDAP DN such as
// cn=staff,ou=groups,dc=example,dc=org).
type RoleMap []GroupRole

// ParseRoleMap reads a role map's text form, reporting the first bad line.
func ParseRoleMap(text string) (RoleMap, error) {
	if !utf8.ValidString(text) {
		return nil, errors.New("must be valid UTF-8 text")
	}
	var m RoleMap
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		eq := strings.LastIndexByte(line, '=')
		if eq < 0 {
			return nil, fmt.Errorf("line %d: want GROUP = ROLE", n+1)
		}
		g := GroupRole{Group: strings.TrimSpace(line[:eq])}
		target := strings.TrimSpace(line[eq+1:])
		if org, role, ok := strings.Cut(target, ":"); ok {
			g.Org, target = strings.TrimSpace(org), strings.TrimSpace(role)
		}
		r, err := ParseRole(target)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n+1, err)
		}
		g.Role = r
		m = append(m, g)
		if err := m.checkEntry(len(m) - 1); err != nil {
			return nil, fmt.Errorf("line %d: %v", n+1, err)
		}
	}
	return m, nil
}

// check reports the first invalid entry of m.
func (m RoleMap) check() error {
	if len(m) > maxRoleMap {
		return fmt.Errorf("at most %d mappings", maxRoleMap)
	}
	for i := range m {
		if err := m.checkEntry(i); err != nil {
			return err
		}
	}
	return nil
}

func (m RoleMap) checkEntry(i int) error {
	g := m[i]
	switch {
	case i >= maxRoleMap:
		return fmt.Errorf("at most %d mappings", maxRoleMap)
	case g.Group == "":
		return errors.New("the group name is missing")
	case len(g.Group) > maxGroupLen:
		return fmt.Errorf("a group name must be at most %d bytes", maxGroupLen)
	case g.Group != strings.TrimSpace(g.Group) || strings.HasPrefix(g.Group, "#") || !utf8.ValidString(g.Group):
		return fmt.Errorf("group %q: must not start with # or a space", g.Group)
	case strings.ContainsFunc(g.Group, unicode.IsControl):
		return fmt.Errorf("group %q: must be on one line", g.Group)
	case g.Org != "" && !(len(g.Org) >= 2 && len(g.Org) <= MaxSlugLen && slugPattern.MatchString(g.Org)):
		return fmt.Errorf("group %q: %q is not an organisation's short name", g.Group, g.Org)
	}
	if _, err := ParseRole(string(g.Role)); err != nil {
		return fmt.Errorf("group %q: %v", g.Group, err)
	}
	for _, h := range m[:i] {
		if h.Group == g.Group && h.Org == g.Org {
			return fmt.Errorf("group %q is mapped twice", g.Group)
		}
	}
	return nil
}

// String is m's text form, which ParseRoleMap reads back to m.
func (m RoleMap) String() string {
	var b strings.Builder
	for _, g := range m {
		b.WriteString(g.Group)
		b.WriteString(" = ")
		if g.Org != "" {
			b.WriteString(g.Org)
			b.WriteString(":")
		}
		b.WriteString(string(g.Role))
		b.WriteString("\n")
	}
	return b.String()
}

// Resolve returns, for each organisation the groups reach (keyed by slug;
// "" in an organisation's own provider), the most powerful role any of the
// person's groups maps to.
func (m RoleMap) Resolve(groups []string) map[string]Role {
	out := map[string]Role{}
	for _, g := range m {
		if !slices.Contains(groups, g.Group) {
			continue
		}
		if have, ok := out[g.Org]; !ok || roleRank(g.Role) < roleRank(have) {
			out[g.Org] = g.Role
		}
	}
	return out
}

// roleRank orders roles from the most powerful (0) down, as Roles lists them.
func roleRank(r Role) int {
	if i := slices.Index(Roles, r); i >= 0 {
		return i
	}
	return len(Roles)
}

// AMRShowsMFA reports whether an ID token's authentication methods (RFC
// 8176) include a second factor: "mfa", a one-time password ("otp") or a
// hardware-bound key ("hwk"). It counts as Safeguard's second factor only
// from a provider the administrator trusts for it (SSOConfig.TrustMFA).
func AMRShowsMFA(amr []string) bool {
	for _, m := range amr {
		switch m {
		case "mfa", "otp", "hwk":
			return true
		}
	}
	return false
}
