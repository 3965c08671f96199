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

const userColumns = `id, email, name, must_change_password, is_admin, password_set_at, disabled_at, created_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (identity.User, error) {
	var u identity.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.MustChangePassword, &u.Admin,
		timeValue{&u.PasswordSetAt}, timeValue{&u.DisabledAt}, timeValue{&u.CreatedAt}, timeValue{&u.LastLoginAt})
	return u, err
}

// NewUser is what creating a user needs besides the user: an optional
// password hash (empty for an invited user who sets one later) and an
// optional first membership.
type NewUser struct {
	User         identity.User
	PasswordHash string
	OrgID        int64
	Role         identity.Role
}

// CreateUser validates and stores a new user (and its first membership, if
// any). An email already in use is ErrConflict.
func (db *DB) CreateUser(ctx context.Context, actor Actor, n NewUser) (identity.User, error) {
	u := n.User
	u.Normalize()
	if err := u.Validate(); err != nil {
		return identity.User{}, err
	}
	err := db.update(ctx, func(tx *Tx) error {
		u.CreatedAt = tx.now
		var setAt any
		if n.PasswordHash != "" {
			u.PasswordSetAt = tx.now
			setAt = tx.now
		}
		id, err := tx.insert(ctx, `INSERT INTO users (email, name, password_hash, password_set_at, must_change_password, is_admin, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, u.Email, u.Name, n.PasswordHash, setAt, u.MustChangePassword, u.Admin, tx.now)
		if isUniqueViolation(err) {
			return conflictf("A user with email %s already exists.", u.Email)
		} else if err != nil {
			return err
		}
		u.ID = id
		summary := fmt.Sprintf("created user %s", u.Email)
		if u.Admin {
			summary += " (platform administrator)"
		}
		if err := tx.appendAudit(ctx, actor, audit.Entry{Action: "user.create", Object: userObject(id), Summary: summary}); err != nil {
			return err
		}
		if n.OrgID != 0 {
			return tx.addMember(ctx, actor, n.OrgID, id, n.Role)
		}
		return nil
	})
	if err != nil {
		return identity.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

func userObject(id int64) string { return fmt.Sprintf("user:%d", id) }

// User returns the user with the given ID, or ErrNotFound.
func (db *DB) User(ctx context.Context, id int64) (identity.User, error) {
	return db.userWhere(ctx, "id = ?", id)
}

// UserByEmail returns the user with the given email, or ErrNotFound.
func (db *DB) UserByEmail(ctx context.Context, email string) (identity.User, error) {
	return db.userWhere(ctx, "email = ?", identity.NormalizeEmail(email))
}

func (db *DB) userWhere(ctx context.Context, where string, arg any) (identity.User, error) {
	var u identity.User
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		u, err = tx.userWhere(ctx, where, arg)
		return err
	})
	return u, err
}

func (tx *Tx) userWhere(ctx context.Context, where string, arg any) (identity.User, error) {
	u, err := scanUser(tx.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return identity.User{}, fmt.Errorf("user %v: %w", arg, ErrNotFound)
	}
	return u, err
}

// PasswordHash returns the user's stored password hash ("" when none is set).
func (db *DB) PasswordHash(ctx context.Context, userID int64) (string, error) {
	var h string
	err := db.view(ctx, func(tx *Tx) error {
		err := tx.queryRow(ctx, `SELECT password_hash FROM users WHERE id = ?`, userID).Scan(&h)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	return h, err
}

// UserPage returns a page of users ordered by email. Emails are unique, so
// the email alone is the key, and its unique index keeps the order.
func (db *DB) UserPage(ctx context.Context, p Page) ([]identity.User, *Key, error) {
	size := p.size()
	var out []identity.User
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanUser, userPageSQL, p.After.Sort, size+1)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list users: %w", err)
	}
	out, next := cut(out, size, func(u identity.User) Key { return Key{Sort: u.Email, ID: u.ID} })
	return out, next, nil
}

// userPageSQL is UserPage's query.
const userPageSQL = `SELECT ` + userColumns + ` FROM users WHERE email > ? ORDER BY email LIMIT ?`

// memberPageSQL is MemberPage's query.
var memberPageSQL = `SELECT u.` + strings.ReplaceAll(userColumns, ", ", ", u.") + `, m.role, m.created_at
	FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = ? AND u.email > ? ORDER BY u.email LIMIT ?`

// UserEmails returns the emails of the users with the given IDs; IDs with
// no user are left out.
func (db *DB) UserEmails(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	err := db.view(ctx, func(tx *Tx) error {
		return tx.byIDs(ctx, `SELECT id, email FROM users WHERE id IN `, ids, func(id int64, email string) { out[id] = email })
	})
	if err != nil {
		return nil, fmt.Errorf("user emails: %w", err)
	}
	return out, nil
}

// UserNames returns the names of the users with the given IDs (empty where
// a user gave none); IDs with no user are left out.
func (db *DB) UserNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	err := db.view(ctx, func(tx *Tx) error {
		return tx.byIDs(ctx, `SELECT id, name FROM users WHERE id IN `, ids, func(id int64, name string) { out[id] = name })
	})
	if err != nil {
		return nil, fmt.Errorf("user names: %w", err)
	}
	return out, nil
}

// SetPassword stores a new password hash. mustChange marks a one-time
// password set by someone else. Every session of the user except keepSession
// (0 for none) ends, as do open invitations.
func (db *DB) SetPassword(ctx context.Context, actor Actor, userID int64, hash string, mustChange bool, keepSession int64) error {
	return db.update(ctx, func(tx *Tx) error { return tx.setPassword(ctx, actor, userID, hash, mustChange, keepSession) })
}

func (tx *Tx) setPassword(ctx context.Context, actor Actor, userID int64, hash string, mustChange bool, keepSession int64) error {
	res, err := tx.exec(ctx, `UPDATE users SET password_hash = ?, password_set_at = ?, must_change_password = ? WHERE id = ?`,
		hash, tx.now, mustChange, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %d: %w", userID, ErrNotFound)
	}
	if err := tx.endSessions(ctx, userID, keepSession, "password changed"); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE invitations SET used_at = ? WHERE user_id = ? AND used_at IS NULL`, tx.now, userID); err != nil {
		return err
	}
	summary := "changed password; other sessions ended"
	if mustChange {
		summary = "set a one-time password; all sessions ended"
	}
	return tx.appendAudit(ctx, actor, audit.Entry{Action: "user.password", Object: userObject(userID), Summary: summary})
}

// SetUserDisabled disables or re-enables a user. Disabling ends every session
// and revokes every API token of the user at once.
func (db *DB) SetUserDisabled(ctx context.Context, actor Actor, userID int64, disabled bool) error {
	return db.update(ctx, func(tx *Tx) error {
		u, err := tx.userWhere(ctx, "id = ?", userID)
		if err != nil {
			return err
		}
		if disabled {
			if !u.DisabledAt.IsZero() {
				return nil
			}
			if _, err := tx.exec(ctx, `UPDATE users SET disabled_at = ? WHERE id = ?`, tx.now, userID); err != nil {
				return err
			}
			if err := tx.endSessions(ctx, userID, 0, "user disabled"); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, tx.now, userID); err != nil {
				return err
			}
			return tx.appendAudit(ctx, actor, audit.Entry{Action: "user.disable", Object: userObject(userID),
				Summary: fmt.Sprintf("disabled %s; sessions ended and tokens revoked", u.Email)})
		}
		if u.DisabledAt.IsZero() {
			return nil
		}
		if _, err := tx.exec(ctx, `UPDATE users SET disabled_at = NULL WHERE id = ?`, userID); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "user.enable", Object: userObject(userID),
			Summary: fmt.Sprintf("re-enabled %s", u.Email)})
	})
}

// RecordLogin notes a successful sign-in and audits it.
func (db *DB) RecordLogin(ctx context.Context, actor Actor, userID int64, how string) error {
	return db.update(ctx, func(tx *Tx) error { return tx.recordLogin(ctx, actor, userID, how) })
}

func (tx *Tx) recordLogin(ctx context.Context, actor Actor, userID int64, how string) error {
	if _, err := tx.exec(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, tx.now, userID); err != nil {
		return err
	}
	return tx.appendAudit(ctx, actor, audit.Entry{Action: "auth.login", Object: userObject(userID), Summary: "signed in with " + how})
}

// Audit records an event that changes no other record: a failed sign-in, a
// refused request, a read of something sensitive.
func (db *DB) Audit(ctx context.Context, actor Actor, e audit.Entry) error {
	return db.update(ctx, func(tx *Tx) error { return tx.appendAudit(ctx, actor, e) })
}

// Membership returns userID's role in orgID, or ErrNotFound.
func (db *DB) Membership(ctx context.Context, orgID, userID int64) (identity.Membership, error) {
	var m identity.Membership
	err := db.view(ctx, func(tx *Tx) error {
		err := tx.queryRow(ctx, `SELECT m.org_id, o.slug, o.name, m.user_id, m.role, m.created_at
			FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.org_id = ? AND m.user_id = ?`, orgID, userID).
			Scan(&m.OrgID, &m.OrgSlug, &m.OrgName, &m.UserID, &m.Role, timeValue{&m.CreatedAt})
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return identity.Membership{}, fmt.Errorf("membership of user %d in org %d: %w", userID, orgID, err)
	}
	return m, nil
}

// Memberships returns the organisations the user belongs to, by name.
func (db *DB) Memberships(ctx context.Context, userID int64) ([]identity.Membership, error) {
	var out []identity.Membership
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT m.org_id, o.slug, o.name, m.user_id, m.role, m.created_at
			FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ? ORDER BY o.name`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m identity.Membership
			if err := rows.Scan(&m.OrgID, &m.OrgSlug, &m.OrgName, &m.UserID, &m.Role, timeValue{&m.CreatedAt}); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("memberships of user %d: %w", userID, err)
	}
	return out, nil
}

// Member is a user as a member of one organisation.
type Member struct {
	User identity.User
	Role identity.Role
	At   time.Time
}

// MemberPage returns a page of an organisation's members ordered by email.
// It reads the organisation's memberships (the primary key's range for
// orgID) and their users by ID; emails are unique, so the email is the key.
func (db *DB) MemberPage(ctx context.Context, orgID int64, p Page) ([]Member, *Key, error) {
	size := p.size()
	var out []Member
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanMember, memberPageSQL, orgID, p.After.Sort, size+1)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("members of org %d: %w", orgID, err)
	}
	out, next := cut(out, size, func(m Member) Key { return Key{Sort: m.User.Email, ID: m.User.ID} })
	return out, next, nil
}

// MemberCount returns how many members an organisation has.
func (db *DB) MemberCount(ctx context.Context, orgID int64) (int, error) {
	var n int
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.memberCount(ctx, orgID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("count members of org %d: %w", orgID, err)
	}
	return n, nil
}

func (tx *Tx) memberCount(ctx context.Context, orgID int64) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM memberships WHERE org_id = ?`, orgID).Scan(&n)
	return n, err
}

func scanMember(row interface{ Scan(...any) error }) (Member, error) {
	var m Member
	u := &m.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.MustChangePassword, &u.Admin,
		timeValue{&u.PasswordSetAt}, timeValue{&u.DisabledAt}, timeValue{&u.CreatedAt}, timeValue{&u.LastLoginAt},
		&m.Role, timeValue{&m.At})
	return m, err
}

// Members returns every member of an organisation, by email. Lists a person
// pages through use MemberPage; this serves choices that need every member
// at once (an assessment's assignees).
func (db *DB) Members(ctx context.Context, orgID int64) ([]Member, error) {
	var out []Member
	err := db.view(ctx, func(tx *Tx) error {
		cols := strings.ReplaceAll(userColumns, ", ", ", u.")
		var err error
		out, err = queryAll(ctx, tx, scanMember, `SELECT u.`+cols+`, m.role, m.created_at
			FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = ? ORDER BY u.email`, orgID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("members of org %d: %w", orgID, err)
	}
	return out, nil
}

// SetMember gives userID the role in orgID, adding the membership if needed.
func (db *DB) SetMember(ctx context.Context, actor Actor, orgID, userID int64, role identity.Role) error {
	if _, err := identity.ParseRole(string(role)); err != nil {
		return fieldError("role", err.Error())
	}
	return db.update(ctx, func(tx *Tx) error {
		var old string
		err := tx.queryRow(ctx, `SELECT role FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			return tx.addMember(ctx, actor, orgID, userID, role)
		} else if err != nil {
			return err
		}
		if old == string(role) {
			return nil
		}
		if old == string(identity.RoleOwner) {
			if err := tx.keepAnOwner(ctx, orgID, userID); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?`, string(role), orgID, userID); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "member.role", Object: userObject(userID),
			Summary: fmt.Sprintf("role changed from %s to %s", old, role)})
	})
}

func (tx *Tx) addMember(ctx context.Context, actor Actor, orgID, userID int64, role identity.Role) error {
	if _, err := identity.ParseRole(string(role)); err != nil {
		return fieldError("role", err.Error())
	}
	_, err := tx.exec(ctx, `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`, orgID, userID, string(role), tx.now)
	if isUniqueViolation(err) {
		return conflict("That person is already a member.")
	} else if err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "member.add", Object: userObject(userID),
		Summary: fmt.Sprintf("added as %s", role)})
}

// RemoveMember takes userID out of orgID. The last owner cannot be removed.
func (db *DB) RemoveMember(ctx context.Context, actor Actor, orgID, userID int64) error {
	return db.update(ctx, func(tx *Tx) error {
		var role string
		err := tx.queryRow(ctx, `SELECT role FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if role == string(identity.RoleOwner) {
			if err := tx.keepAnOwner(ctx, orgID, userID); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `DELETE FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "member.remove", Object: userObject(userID),
			Summary: fmt.Sprintf("removed (was %s)", role)})
	})
}

// keepAnOwner refuses a change that would leave orgID without an owner.
func (tx *Tx) keepAnOwner(ctx context.Context, orgID, leaving int64) error {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM memberships WHERE org_id = ? AND role = 'owner' AND user_id <> ?`, orgID, leaving).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return conflict("An organisation must keep at least one owner.")
	}
	return nil
}

// OrgSecurity is an organisation's security settings.
type OrgSecurity struct {
	IdleTimeout time.Duration // 0: the deployment's
	RequireMFA  bool
}

// OrgSecurity returns the organisation's security settings.
func (db *DB) OrgSecurity(ctx context.Context, orgID int64) (OrgSecurity, error) {
	var s OrgSecurity
	var secs int64
	err := db.view(ctx, func(tx *Tx) error {
		err := tx.queryRow(ctx, `SELECT idle_timeout_seconds, require_mfa FROM orgs WHERE id = ?`, orgID).Scan(&secs, &s.RequireMFA)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	s.IdleTimeout = time.Duration(secs) * time.Second
	return s, err
}

// SetOrgSecurity changes the organisation's security settings.
func (db *DB) SetOrgSecurity(ctx context.Context, actor Actor, orgID int64, s OrgSecurity) error {
	if err := identity.CheckIdleTimeout(s.IdleTimeout); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		return tx.setOrgSecurity(ctx, actor, orgID, s)
	})
}

func (tx *Tx) setOrgSecurity(ctx context.Context, actor Actor, orgID int64, s OrgSecurity) error {
	if _, err := tx.exec(ctx, `UPDATE orgs SET idle_timeout_seconds = ?, require_mfa = ? WHERE id = ?`,
		int64(s.IdleTimeout/time.Second), s.RequireMFA, orgID); err != nil {
		return err
	}
	return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "org.security", Object: fmt.Sprintf("org:%d", orgID),
		Summary: fmt.Sprintf("idle timeout %s, MFA required: %t", s.IdleTimeout, s.RequireMFA)})
}

// UserOrgPolicy is what the user's organisations ask of the user's sessions:
// the shortest idle limit set by any of them, and whether any requires MFA
// (or gives the user a role that always does).
func (db *DB) UserOrgPolicy(ctx context.Context, userID int64) (idle time.Duration, needMFA bool, err error) {
	err = db.view(ctx, func(tx *Tx) error {
		var err error
		idle, needMFA, err = tx.userOrgPolicy(ctx, userID)
		return err
	})
	return idle, needMFA, err
}

func (tx *Tx) userOrgPolicy(ctx context.Context, userID int64) (idle time.Duration, needMFA bool, err error) {
	rows, err := tx.query(ctx, `SELECT o.idle_timeout_seconds, o.require_mfa, m.role FROM memberships m
		JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ?`, userID)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var secs int64
		var req bool
		var role string
		if err := rows.Scan(&secs, &req, &role); err != nil {
			return 0, false, err
		}
		if d := time.Duration(secs) * time.Second; d > 0 && (idle == 0 || d < idle) {
			idle = d
		}
		needMFA = needMFA || req || identity.Role(role).NeedsMFA()
	}
	return idle, needMFA, rows.Err()
}
