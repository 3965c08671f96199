package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Planning a single sign-on: from the provider's verified claims to the
// account it signs in (linked, matched, or made just in time) and its role,
// decided before anything is written, then applied in one step.

// ssoClaims are the ID token claims Safeguard reads besides the registered
// ones go-oidc checks.
type ssoClaims struct {
	Email             string          `json:"email"`
	EmailVerified     json.RawMessage `json:"email_verified"`
	Name              string          `json:"name"`
	GivenName         string          `json:"given_name"`
	FamilyName        string          `json:"family_name"`
	PreferredUsername string          `json:"preferred_username"`
	AMR               []string        `json:"amr"`
	AZP               string          `json:"azp"`
}

// verified reads email_verified, which some providers send as a string.
func (c ssoClaims) verified() bool {
	var b bool
	if json.Unmarshal(c.EmailVerified, &b) == nil {
		return b
	}
	var str string
	return json.Unmarshal(c.EmailVerified, &str) == nil && strings.EqualFold(str, "true")
}

// tokenProblem names what was wrong with an ID token, for the audit log.
func tokenProblem(err error) string {
	var exp *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &exp):
		return "expired at " + exp.Expiry.UTC().Format(time.RFC3339)
	case strings.Contains(msg, "different provider"):
		return "wrong issuer: " + clip(msg, 200)
	case strings.Contains(msg, "expected audience"):
		return "wrong audience: " + clip(msg, 200)
	case strings.Contains(msg, "signature"):
		return "bad signature"
	}
	return clip(msg, 200)
}

// groupsClaim reads the person's groups from the named claim: a list of
// strings, or one string.
func groupsClaim(idt *oidc.IDToken, name string) ([]string, error) {
	if name == "" {
		return nil, nil
	}
	var all map[string]json.RawMessage
	if err := idt.Claims(&all); err != nil {
		return nil, errors.New("claims unreadable")
	}
	v, ok := all[name]
	if !ok || string(v) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err == nil {
		if len(list) > 1000 {
			return nil, fmt.Errorf("claim %q lists more than 1000 groups", name)
		}
		return list, nil
	}
	var one string
	if err := json.Unmarshal(v, &one); err == nil {
		return []string{one}, nil
	}
	return nil, fmt.Errorf("claim %q is neither a list of names nor a name", name)
}

// ssoPlan is what a sign-in will do, decided before anything changes.
type ssoPlan struct {
	user identity.User // zero when one is to be created
	link store.SSOIdentity
	// linked: the provider account is linked already; otherwise link it.
	linked bool
	// create is the account to make just in time.
	create *store.NewUser
	// roles to set, by organisation ID.
	roles map[int64]identity.Role
}

// refuseUnlinked refuses to sign u in through a provider u never linked,
// when u can sign in otherwise (a password or a passkey).
func (s *Server) refuseUnlinked(ctx context.Context, u identity.User) error {
	has, err := s.db.UserHasSignInCredential(ctx, u.ID)
	if err != nil {
		return err
	}
	if has {
		return refuse(http.StatusForbidden, fmt.Sprintf("account %s has a password or passkey and its holder has not linked this provider", u.Email), msgLinkFirst)
	}
	return nil
}

// ssoApply carries out a sign-in's plan: the account made or linked, and
// the roles its groups give.
func (s *Server) ssoApply(r *http.Request, plan *ssoPlan) (identity.User, error) {
	ctx := r.Context()
	actor := store.Actor{Name: "system:sso", Source: clientOf(ctx).IP, RequestID: requestID(ctx)}
	u := plan.user
	switch {
	case plan.create != nil:
		var err error
		if u, err = s.db.CreateSSOUser(ctx, actor, *plan.create, plan.link); err != nil {
			return identity.User{}, err
		}
	case plan.linked:
		if err := s.db.TouchSSOIdentity(ctx, plan.link.ID); err != nil {
			return identity.User{}, err
		}
	default:
		plan.link.UserID = u.ID
		if _, err := s.db.LinkSSOIdentity(ctx, actor, plan.link); err != nil {
			return identity.User{}, err
		}
	}
	for orgID, role := range plan.roles {
		err := s.db.SetMember(ctx, actor, orgID, u.ID, role)
		if errors.Is(err, store.ErrConflict) {
			// The organisation's last owner keeps the role.
			s.log.WarnContext(ctx, "single sign-on: role not changed", slog.Int64("org_id", orgID), slog.Int64("user_id", u.ID), slog.Any("err", err))
			continue
		} else if err != nil {
			return identity.User{}, err
		}
	}
	return u, nil
}

// displayName is the person's name as the provider gives it.
func displayName(c ssoClaims) string {
	name := c.Name
	if name == "" {
		name = strings.TrimSpace(c.GivenName + " " + c.FamilyName)
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	return clip(strings.TrimSpace(name), identity.MaxUserName)
}

// clip shortens s to at most n runes.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// ssoPlan decides who signs in and what changes, or refuses.
func (s *Server) ssoPlan(ctx context.Context, cfg identity.SSOConfig, issuer, subject string, c ssoClaims, groups []string) (*ssoPlan, error) {
	plan := &ssoPlan{roles: map[int64]identity.Role{}}
	// unlinked: an existing account the provider did not create and its
	// holder did not link, which may sign in this way only if it has no
	// password or passkey; checked last, after the more specific refusals.
	var unlinked bool
	email := identity.NormalizeEmail(c.Email)
	link, u, err := s.db.UserBySSOIdentity(ctx, issuer, subject)
	switch {
	case err == nil:
		plan.user, plan.link, plan.linked = u, link, true
		if !u.Active() {
			return nil, refuse(http.StatusForbidden, fmt.Sprintf("account %s is disabled", u.Email), msgDisabled)
		}
		if !cfg.AllowsEmail(u.Email) {
			return nil, refuse(http.StatusForbidden, fmt.Sprintf("email domain of %s is not allowed for this provider", u.Email), msgNoAccount)
		}
		// A link matched by email (before links recorded how they were
		// made) stands only for an account with nothing else.
		unlinked = !cfg.SignsInLinked(link.Origin)
	case errors.Is(err, store.ErrNotFound):
		if email == "" {
			return nil, refuse(http.StatusForbidden, "the provider gave no email address", "Your identity provider did not share your email address, so Safeguard cannot find your account.")
		}
		if !c.verified() {
			return nil, refuse(http.StatusForbidden, fmt.Sprintf("email %s is not verified by the provider", email), msgNotVerified)
		}
		if !cfg.AllowsEmail(email) {
			return nil, refuse(http.StatusForbidden, fmt.Sprintf("email domain of %s is not allowed for this provider", email), msgNoAccount)
		}
		plan.link = store.SSOIdentity{Issuer: issuer, Subject: subject, OrgID: cfg.OrgID, Email: email, Origin: identity.LinkEmail}
		u, err := s.db.UserByEmail(ctx, email)
		switch {
		case err == nil:
			if !u.Active() {
				return nil, refuse(http.StatusForbidden, fmt.Sprintf("account %s is disabled", u.Email), msgDisabled)
			}
			unlinked = !cfg.SignsInLinked(identity.LinkEmail)
			plan.user = u
		case errors.Is(err, store.ErrNotFound):
			if !cfg.JIT {
				return nil, refuse(http.StatusForbidden, fmt.Sprintf("no account for %s and just-in-time accounts are off", email), msgNoAccount)
			}
			plan.create = &store.NewUser{User: identity.User{Email: email, Name: displayName(c)}}
			if err := plan.create.User.Validate(); err != nil {
				return nil, refuse(http.StatusForbidden, fmt.Sprintf("the provider's email or name cannot make an account: %v", err), msgNoAccount)
			}
		default:
			return nil, err
		}
	default:
		return nil, err
	}

	who := email
	if plan.user.ID != 0 {
		who = plan.user.Email
	}
	resolved := cfg.RoleMap.Resolve(groups)
	if cfg.Deployment() {
		for slug, role := range resolved {
			o, err := s.db.Org(ctx, slug)
			if errors.Is(err, store.ErrNotFound) {
				s.log.WarnContext(ctx, "single sign-on: group mapping names an unknown organisation", slog.String("org", slug))
				continue
			} else if err != nil {
				return nil, err
			}
			plan.roles[o.ID] = role
		}
		if unlinked {
			if err := s.refuseUnlinked(ctx, plan.user); err != nil {
				return nil, err
			}
		}
		return plan, nil
	}

	// An organisation's provider: only for that organisation's own people.
	if plan.user.Admin {
		return nil, refuse(http.StatusForbidden, fmt.Sprintf("%s is a platform administrator; an organisation's provider may not sign one in", plan.user.Email),
			"Platform administrators sign in with their password, not an organisation's single sign-on.")
	}
	member := false
	if plan.create == nil {
		ms, err := s.db.Memberships(ctx, plan.user.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.OrgID != cfg.OrgID {
				return nil, refuse(http.StatusForbidden, fmt.Sprintf("%s also belongs to organisation %s; an organisation's provider signs in its own members only", plan.user.Email, m.OrgSlug),
					"You belong to more than one organisation, so sign in with your password instead.")
			}
			member = true
		}
	}
	role, ok := resolved[""]
	if !ok {
		role = cfg.DefaultRole
	}
	switch {
	case role != "":
		plan.roles[cfg.OrgID] = role
	case cfg.ManagesRoles():
		return nil, refuse(http.StatusForbidden, fmt.Sprintf("none of the groups of %s maps to a role", who),
			"Your groups at the identity provider give you no role in this organisation. Ask its administrator.")
	case !member:
		return nil, refuse(http.StatusForbidden, fmt.Sprintf("%s is not a member of the organisation", who), msgNoAccount)
	}
	if plan.create != nil {
		plan.create.OrgID, plan.create.Role = cfg.OrgID, role
		delete(plan.roles, cfg.OrgID)
	}
	if unlinked {
		if err := s.refuseUnlinked(ctx, plan.user); err != nil {
			return nil, err
		}
	}
	return plan, nil
}
