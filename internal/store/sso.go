package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
)

// SealedSecret is a secret as the database keeps it: sealed under a data
// key, which is itself wrapped under the deployment's key-encryption key.
// To store a new one, give KEKID and Wrapped (the new data key) and Sealed;
// DataKeyID is filled in when read back.
type SealedSecret struct {
	DataKeyID int64
	KEKID     string
	Wrapped   []byte
	Sealed    []byte
}

// SSOProvider is an organisation's stored identity provider.
type SSOProvider struct {
	// Config has no ClientSecret: it is in Secret, sealed.
	Config    identity.SSOConfig
	Secret    SealedSecret
	OrgSlug   string
	OrgName   string
	UpdatedAt time.Time
	UpdatedBy string
}

// SSOProvider returns the identity provider of orgID, or ErrNotFound.
func (db *DB) SSOProvider(ctx context.Context, orgID int64) (SSOProvider, error) {
	var p SSOProvider
	err := db.view(ctx, func(tx *Tx) error {
		var scopes, roleMap, role, domains string
		c := &p.Config
		err := tx.queryRow(ctx, `SELECT s.org_id, s.enabled, s.issuer, s.client_id, s.data_key_id, k.kek_id, k.wrapped, s.secret_sealed,
				s.scopes, s.groups_claim, s.role_map, s.default_role, s.jit, s.allowed_domains, s.trust_mfa, s.updated_at, s.updated_by, o.slug, o.name
			FROM sso_providers s JOIN data_keys k ON k.id = s.data_key_id JOIN orgs o ON o.id = s.org_id WHERE s.org_id = ?`, orgID).
			Scan(&c.OrgID, &c.Enabled, &c.Issuer, &c.ClientID, &p.Secret.DataKeyID, &p.Secret.KEKID, &p.Secret.Wrapped, &p.Secret.Sealed,
				&scopes, &c.GroupsClaim, &roleMap, &role, &c.JIT, &domains, &c.TrustMFA, timeValue{&p.UpdatedAt}, &p.UpdatedBy, &p.OrgSlug, &p.OrgName)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		c.Scopes = identity.SplitList(scopes)
		c.AllowedDomains = identity.SplitList(domains)
		c.DefaultRole = identity.Role(role)
		if c.RoleMap, err = identity.ParseRoleMap(roleMap); err != nil {
			return fmt.Errorf("stored role map: %w", err)
		}
		return nil
	})
	if err != nil {
		return SSOProvider{}, fmt.Errorf("identity provider of org %d: %w", orgID, err)
	}
	return p, nil
}

// SaveSSOProvider stores the identity provider of c.OrgID, replacing any it
// had. secret is the client secret sealed under a new data key, or nil to
// keep the stored one. c.ClientSecret is never written. The audit entry
// (sso.configure) describes the settings, never the secret, and every owner
// of the organisation is notified (in the app, and by email through the
// outbox), since whoever controls the provider decides who signs in.
func (db *DB) SaveSSOProvider(ctx context.Context, actor Actor, c identity.SSOConfig, secret *SealedSecret) error {
	c.Normalize()
	if c.OrgID == 0 {
		return errors.New("save identity provider: an organisation is required")
	}
	if err := c.Validate(); err != nil {
		return err
	}
	err := db.update(ctx, func(tx *Tx) error {
		var old string
		err := tx.queryRow(ctx, `SELECT issuer FROM sso_providers WHERE org_id = ?`, c.OrgID).Scan(&old)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if !exists && secret == nil {
			return fieldError("client_secret", "is required")
		}
		var keyID int64
		if secret != nil {
			if len(secret.Sealed) == 0 {
				return errors.New("sealed client secret is empty")
			}
			if keyID, err = tx.createDataKey(ctx, actor, WrappedKey{KEKID: secret.KEKID, Wrapped: secret.Wrapped, Purpose: "sso-client-secret"}); err != nil {
				return err
			}
		}
		args := []any{c.Enabled, c.Issuer, c.ClientID, strings.Join(c.Scopes, " "), c.GroupsClaim, c.RoleMap.String(),
			string(c.DefaultRole), c.JIT, strings.Join(c.AllowedDomains, " "), c.TrustMFA, tx.now, actor.Name}
		switch {
		case !exists:
			_, err = tx.exec(ctx, `INSERT INTO sso_providers (enabled, issuer, client_id, scopes, groups_claim, role_map, default_role, jit,
				allowed_domains, trust_mfa, updated_at, updated_by, org_id, data_key_id, secret_sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				append(args, c.OrgID, keyID, secret.Sealed)...)
		case secret != nil:
			_, err = tx.exec(ctx, `UPDATE sso_providers SET enabled = ?, issuer = ?, client_id = ?, scopes = ?, groups_claim = ?, role_map = ?,
				default_role = ?, jit = ?, allowed_domains = ?, trust_mfa = ?, updated_at = ?, updated_by = ?, data_key_id = ?, secret_sealed = ? WHERE org_id = ?`,
				append(args, keyID, secret.Sealed, c.OrgID)...)
		default:
			_, err = tx.exec(ctx, `UPDATE sso_providers SET enabled = ?, issuer = ?, client_id = ?, scopes = ?, groups_claim = ?, role_map = ?,
				default_role = ?, jit = ?, allowed_domains = ?, trust_mfa = ?, updated_at = ?, updated_by = ? WHERE org_id = ?`,
				append(args, c.OrgID)...)
		}
		if err != nil {
			return err
		}
		summary := ssoSummary(c, secret != nil)
		if err := tx.appendAudit(ctx, actor, audit.Entry{OrgID: c.OrgID, Action: "sso.configure", Object: fmt.Sprintf("org:%d", c.OrgID),
			Summary: summary}); err != nil {
			return err
		}
		return tx.notifyOwners(ctx, c.OrgID, "sso", fmt.Sprintf("The single sign-on settings were changed by %s: %s", actor.Name, summary), "/orgs/%s/settings/sso")
	})
	if err != nil {
		return fmt.Errorf("save identity provider: %w", err)
	}
	return nil
}

// ssoSummary describes a provider's settings for the audit log, without its
// secret.
func ssoSummary(c identity.SSOConfig, newSecret bool) string {
	state := "enabled"
	if !c.Enabled {
		state = "disabled"
	}
	jit := "off"
	if c.JIT {
		jit = "on"
	}
	secret := "kept"
	if newSecret {
		secret = "replaced"
	}
	domains := "any"
	if len(c.AllowedDomains) > 0 {
		domains = strings.Join(c.AllowedDomains, " ")
	}
	role := "none"
	if c.DefaultRole != "" {
		role = string(c.DefaultRole)
	}
	mfa := "not trusted"
	if c.TrustMFA {
		mfa = "trusted"
	}
	return fmt.Sprintf("single sign-on %s: issuer %s, client ID %s, %d group mappings (claim %q), default role %s, JIT accounts %s, email domains %s, provider's second factor %s; client secret %s",
		state, c.Issuer, c.ClientID, len(c.RoleMap), c.GroupsClaim, role, jit, domains, mfa, secret)
}

// SSOState is one sign-in under way at an identity provider, kept between
// sending the browser there and its coming back.
type SSOState struct {
	ID int64
	// StateHash and BrowserHash are hashes of the state parameter and of
	// the cookie that binds the sign-in to the browser that started it.
	StateHash   string
	BrowserHash string
	Nonce       string
	// Verifier is the PKCE code verifier (RFC 7636).
	Verifier string
	OrgID    int64 // 0: the deployment's provider
	// LinkUserID, when set, is the signed-in user who started this to link
	// the provider account to their own, not to sign in.
	LinkUserID  int64
	RedirectURL string
	Next        string
	CreatedAt   time.Time
	UsedAt      time.Time
}

// CreateSSOState stores a new sign-in under way and clears out old ones.
func (db *DB) CreateSSOState(ctx context.Context, st SSOState) (SSOState, error) {
	err := db.update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM sso_logins WHERE created_at < ?`, tx.now.Add(-24*time.Hour)); err != nil {
			return err
		}
		st.CreatedAt = tx.now
		var org, linker any
		if st.OrgID != 0 {
			org = st.OrgID
		}
		if st.LinkUserID != 0 {
			linker = st.LinkUserID
		}
		id, err := tx.insert(ctx, `INSERT INTO sso_logins (state_hash, browser_hash, nonce, verifier, org_id, link_user_id, redirect_url, next_url, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, st.StateHash, st.BrowserHash, st.Nonce, st.Verifier, org, linker, st.RedirectURL, st.Next, tx.now)
		st.ID = id
		return err
	})
	if err != nil {
		return SSOState{}, fmt.Errorf("create sign-in state: %w", err)
	}
	return st, nil
}

// ConsumeSSOState uses up the sign-in stored under stateHash and returns
// it. It may be used once, within identity.SSOLoginLifetime: an unknown
// state is ErrNotFound, a used or expired one ErrConflict (with the state,
// so the caller can say which).
func (db *DB) ConsumeSSOState(ctx context.Context, stateHash string) (SSOState, error) {
	var st SSOState
	var expired bool
	err := db.update(ctx, func(tx *Tx) error {
		var org, linker sql.NullInt64
		err := tx.queryRow(ctx, `SELECT id, state_hash, browser_hash, nonce, verifier, org_id, link_user_id, redirect_url, next_url, created_at, used_at
			FROM sso_logins WHERE state_hash = ?`, stateHash).
			Scan(&st.ID, &st.StateHash, &st.BrowserHash, &st.Nonce, &st.Verifier, &org, &linker, &st.RedirectURL, &st.Next,
				timeValue{&st.CreatedAt}, timeValue{&st.UsedAt})
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no sign-in under way with this state: %w", ErrNotFound)
		} else if err != nil {
			return err
		}
		st.OrgID, st.LinkUserID = org.Int64, linker.Int64
		if !st.UsedAt.IsZero() {
			return conflict("The sign-in state was used already.")
		}
		res, err := tx.exec(ctx, `UPDATE sso_logins SET used_at = ? WHERE id = ? AND used_at IS NULL`, tx.now, st.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict("The sign-in state was used already.")
		}
		st.UsedAt = tx.now
		// An expired state is used up all the same (committed), then refused.
		expired = !tx.now.Before(st.CreatedAt.Add(identity.SSOLoginLifetime))
		return nil
	})
	if err == nil && expired {
		err = errSSOStateExpired
	}
	return st, err
}

var errSSOStateExpired = conflictf("The sign-in took longer than %s.", identity.SSOLoginLifetime)

// SSOIdentity links a person's account at an identity provider (issuer and
// subject, unique together) to a Safeguard user.
type SSOIdentity struct {
	ID      int64
	Issuer  string
	Subject string
	UserID  int64
	OrgID   int64 // the organisation whose provider linked it; 0: the deployment's
	Email   string
	// Origin is how the link was made: identity.LinkJIT, LinkAccount or
	// LinkEmail.
	Origin      string
	CreatedAt   time.Time
	LastLoginAt time.Time
}

const ssoIdentityColumns = `id, issuer, subject, user_id, COALESCE(org_id, 0), email, origin, created_at, last_login_at`

func scanSSOIdentity(row interface{ Scan(...any) error }) (SSOIdentity, error) {
	var l SSOIdentity
	err := row.Scan(&l.ID, &l.Issuer, &l.Subject, &l.UserID, &l.OrgID, &l.Email, &l.Origin, timeValue{&l.CreatedAt}, timeValue{&l.LastLoginAt})
	return l, err
}

// UserBySSOIdentity returns the link for (issuer, subject) and its user, or
// ErrNotFound.
func (db *DB) UserBySSOIdentity(ctx context.Context, issuer, subject string) (SSOIdentity, identity.User, error) {
	var l SSOIdentity
	var u identity.User
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		l, err = scanSSOIdentity(tx.queryRow(ctx, `SELECT `+ssoIdentityColumns+` FROM sso_identities WHERE issuer = ? AND subject = ?`, issuer, subject))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		u, err = tx.userWhere(ctx, "id = ?", l.UserID)
		return err
	})
	if err != nil {
		return SSOIdentity{}, identity.User{}, fmt.Errorf("identity %s at %s: %w", subject, issuer, err)
	}
	return l, u, nil
}

// SSOIdentities returns the provider accounts linked to the user.
func (db *DB) SSOIdentities(ctx context.Context, userID int64) ([]SSOIdentity, error) {
	var out []SSOIdentity
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanSSOIdentity, `SELECT `+ssoIdentityColumns+` FROM sso_identities WHERE user_id = ? ORDER BY id`, userID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("identities of user %d: %w", userID, err)
	}
	return out, nil
}

// LinkSSOIdentity links a provider account to an existing user (audited
// sso.link). An account already linked is ErrConflict.
func (db *DB) LinkSSOIdentity(ctx context.Context, actor Actor, l SSOIdentity) (SSOIdentity, error) {
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		l, err = tx.linkSSOIdentity(ctx, actor, l)
		return err
	})
	if err != nil {
		return SSOIdentity{}, fmt.Errorf("link identity: %w", err)
	}
	return l, nil
}

func (tx *Tx) linkSSOIdentity(ctx context.Context, actor Actor, l SSOIdentity) (SSOIdentity, error) {
	if l.Issuer == "" || l.Subject == "" || l.UserID == 0 {
		return SSOIdentity{}, errors.New("issuer, subject and user are required")
	}
	switch l.Origin {
	case identity.LinkJIT, identity.LinkAccount, identity.LinkEmail:
	default:
		return SSOIdentity{}, fmt.Errorf("unknown link origin %q", l.Origin)
	}
	var org any
	if l.OrgID != 0 {
		org = l.OrgID
	}
	l.CreatedAt, l.LastLoginAt = tx.now, tx.now
	id, err := tx.insert(ctx, `INSERT INTO sso_identities (issuer, subject, user_id, org_id, email, origin, created_at, last_login_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		l.Issuer, l.Subject, l.UserID, org, l.Email, l.Origin, tx.now, tx.now)
	if isUniqueViolation(err) {
		return SSOIdentity{}, conflict("This provider account is linked already.")
	} else if err != nil {
		return SSOIdentity{}, err
	}
	l.ID = id
	return l, tx.appendAudit(ctx, actor, audit.Entry{OrgID: l.OrgID, Action: "sso.link", Object: userObject(l.UserID),
		Summary: fmt.Sprintf("linked single sign-on account %s at %s (email %s) %s", l.Subject, l.Issuer, l.Email, linkHow[l.Origin])})
}

var linkHow = map[string]string{
	identity.LinkJIT:     "to the account it created",
	identity.LinkAccount: "by the account holder while signed in",
	identity.LinkEmail:   "by its verified email address",
}

// UnlinkSSOIdentity removes one of the user's provider links (audited
// sso.unlink). Another user's link is ErrNotFound.
func (db *DB) UnlinkSSOIdentity(ctx context.Context, actor Actor, userID, id int64) error {
	return db.update(ctx, func(tx *Tx) error {
		l, err := scanSSOIdentity(tx.queryRow(ctx, `SELECT `+ssoIdentityColumns+` FROM sso_identities WHERE id = ? AND user_id = ?`, id, userID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("single sign-on link %d: %w", id, ErrNotFound)
		} else if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM sso_identities WHERE id = ?`, id); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: l.OrgID, Action: "sso.unlink", Object: userObject(userID),
			Summary: fmt.Sprintf("unlinked single sign-on account %s at %s", l.Subject, l.Issuer)})
	})
}

// UserHasSignInCredential reports whether the user can sign in without a
// provider: a password or a passkey.
func (db *DB) UserHasSignInCredential(ctx context.Context, userID int64) (bool, error) {
	var has bool
	err := db.view(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = ? AND password_hash <> '')
			OR EXISTS (SELECT 1 FROM webauthn_credentials WHERE user_id = ?)`, userID, userID).Scan(&has)
	})
	if err != nil {
		return false, fmt.Errorf("sign-in credentials of user %d: %w", userID, err)
	}
	return has, nil
}

// notifyOwners notifies every owner of orgID; link is a format with the
// organisation's slug for its one %s.
func (tx *Tx) notifyOwners(ctx context.Context, orgID int64, kind, message, link string) error {
	var slug string
	if err := tx.queryRow(ctx, `SELECT slug FROM orgs WHERE id = ?`, orgID).Scan(&slug); err != nil {
		return err
	}
	rows, err := tx.query(ctx, `SELECT user_id FROM memberships WHERE org_id = ? AND role = 'owner'`, orgID)
	if err != nil {
		return err
	}
	var owners []int64
	for rows.Next() {
		var uid int64
		if err := rows.Scan(&uid); err != nil {
			rows.Close()
			return err
		}
		owners = append(owners, uid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, uid := range owners {
		if err := tx.notify(ctx, Notification{UserID: uid, OrgID: orgID, Kind: kind, Message: message, Link: fmt.Sprintf(link, slug)}); err != nil {
			return err
		}
	}
	return nil
}

// TouchSSOIdentity records a sign-in through the link.
func (db *DB) TouchSSOIdentity(ctx context.Context, id int64) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE sso_identities SET last_login_at = ? WHERE id = ?`, tx.now, id)
		return err
	})
}

// CreateSSOUser creates, just in time, the account of a person an identity
// provider vouches for: the user (without a password), its first
// membership (when n.OrgID is set) and its link, in one transaction.
func (db *DB) CreateSSOUser(ctx context.Context, actor Actor, n NewUser, l SSOIdentity) (identity.User, error) {
	u := n.User
	u.Normalize()
	u.MustChangePassword = false
	if err := u.Validate(); err != nil {
		return identity.User{}, err
	}
	err := db.update(ctx, func(tx *Tx) error {
		u.CreatedAt = tx.now
		id, err := tx.insert(ctx, `INSERT INTO users (email, name, password_hash, must_change_password, is_admin, created_at)
			VALUES (?, ?, '', ?, ?, ?)`, u.Email, u.Name, false, u.Admin, tx.now)
		if isUniqueViolation(err) {
			return conflictf("A user with email %s already exists.", u.Email)
		} else if err != nil {
			return err
		}
		u.ID = id
		if err := tx.appendAudit(ctx, actor, audit.Entry{OrgID: l.OrgID, Action: "user.create", Object: userObject(id),
			Summary: fmt.Sprintf("created user %s just in time at a single sign-on through %s", u.Email, l.Issuer)}); err != nil {
			return err
		}
		if n.OrgID != 0 {
			if err := tx.addMember(ctx, actor, n.OrgID, id, n.Role); err != nil {
				return err
			}
		}
		l.UserID, l.Origin = id, identity.LinkJIT
		_, err = tx.linkSSOIdentity(ctx, actor, l)
		return err
	})
	if err != nil {
		return identity.User{}, fmt.Errorf("create user at single sign-on: %w", err)
	}
	return u, nil
}
