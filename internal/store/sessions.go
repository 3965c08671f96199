package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/validate"
)

func fieldError(field, msg string) error {
	return validate.Error{field: msg}
}

const sessionColumns = `id, user_id, csrf, created_at, last_seen_at, expires_at, idle_seconds, mfa_at, ip, user_agent, ended_at, end_reason`

func scanSession(row interface{ Scan(...any) error }) (identity.Session, error) {
	var s identity.Session
	var idle int64
	err := row.Scan(&s.ID, &s.UserID, &s.CSRF, timeValue{&s.CreatedAt}, timeValue{&s.LastSeenAt}, timeValue{&s.ExpiresAt},
		&idle, timeValue{&s.MFAAt}, &s.IP, &s.UserAgent, timeValue{&s.EndedAt}, &s.EndReason)
	s.Idle = time.Duration(idle) * time.Second
	return s, err
}

// CreateSession stores a new session for s.UserID under the hash of its
// secret. CreatedAt, LastSeenAt and ExpiresAt are set from the transaction's
// time and lifetime.
func (db *DB) CreateSession(ctx context.Context, actor Actor, tokenHash string, s identity.Session, lifetime time.Duration) (identity.Session, error) {
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		s, err = tx.createSession(ctx, actor, tokenHash, s, lifetime)
		return err
	})
	if err != nil {
		return identity.Session{}, fmt.Errorf("create session: %w", err)
	}
	return s, nil
}

func (tx *Tx) createSession(ctx context.Context, actor Actor, tokenHash string, s identity.Session, lifetime time.Duration) (identity.Session, error) {
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = tx.now, tx.now, tx.now.Add(lifetime)
	var mfa any
	if !s.MFAAt.IsZero() {
		mfa = s.MFAAt
	}
	id, err := tx.insert(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen_at, expires_at, idle_seconds, mfa_at, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tokenHash, s.UserID, s.CSRF, s.CreatedAt, s.LastSeenAt, s.ExpiresAt, int64(s.Idle/time.Second), mfa, s.IP, truncate(s.UserAgent, 300))
	if err != nil {
		return identity.Session{}, err
	}
	s.ID = id
	return s, tx.appendAudit(ctx, actor, audit.Entry{Action: "session.start", Object: fmt.Sprintf("session:%d", id),
		Summary: fmt.Sprintf("session for user %d, idle limit %s", s.UserID, s.Idle)})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// SessionByToken returns the session stored under tokenHash and its user, or
// ErrNotFound. It does not check expiry: the caller decides with the time.
func (db *DB) SessionByToken(ctx context.Context, tokenHash string) (identity.Session, identity.User, error) {
	var s identity.Session
	var u identity.User
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		s, err = scanSession(tx.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = ?`, tokenHash))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		u, err = tx.userWhere(ctx, "id = ?", s.UserID)
		return err
	})
	return s, u, err
}

// TouchSession records activity on a session, which pushes back its idle
// deadline. The write is skipped when the last one is recent, so that busy
// pages do not write on every request.
func (db *DB) TouchSession(ctx context.Context, s identity.Session, granularity time.Duration) (identity.Session, error) {
	now := db.Now().UTC()
	if now.Sub(s.LastSeenAt) < granularity {
		return s, nil
	}
	err := db.update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL`, tx.now, s.ID)
		s.LastSeenAt = tx.now
		return err
	})
	return s, err
}

// RotateSession moves a session to a new secret (after a change of
// privilege: a second factor passed, emergency access begun), records
// mfaAt when given, and returns the updated session.
func (db *DB) RotateSession(ctx context.Context, actor Actor, s identity.Session, newHash string, mfaAt time.Time, why string) (identity.Session, error) {
	err := db.update(ctx, func(tx *Tx) error {
		var mfa any
		if !mfaAt.IsZero() {
			mfa = mfaAt
			s.MFAAt = mfaAt
		} else if !s.MFAAt.IsZero() {
			mfa = s.MFAAt
		}
		res, err := tx.exec(ctx, `UPDATE sessions SET token_hash = ?, mfa_at = ?, last_seen_at = ? WHERE id = ? AND ended_at IS NULL`,
			newHash, mfa, tx.now, s.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("session %d: %w", s.ID, ErrNotFound)
		}
		s.LastSeenAt = tx.now
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "session.rotate", Object: fmt.Sprintf("session:%d", s.ID), Summary: why})
	})
	return s, err
}

// EndSession ends one session (sign-out, expiry), recording why.
func (db *DB) EndSession(ctx context.Context, actor Actor, id int64, reason string) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL`, tx.now, reason, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "session.end", Object: fmt.Sprintf("session:%d", id), Summary: reason})
	})
}

// EndUserSessions ends every session of the user except keep (0: all).
func (db *DB) EndUserSessions(ctx context.Context, actor Actor, userID, keep int64, reason string) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.endSessions(ctx, userID, keep, reason); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "session.end_all", Object: userObject(userID), Summary: reason})
	})
}

func (tx *Tx) endSessions(ctx context.Context, userID, keep int64, reason string) error {
	_, err := tx.exec(ctx, `UPDATE sessions SET ended_at = ?, end_reason = ? WHERE user_id = ? AND id <> ? AND ended_at IS NULL`,
		tx.now, reason, userID, keep)
	return err
}

// ActiveSessions returns the user's sessions that have not ended, newest first.
func (db *DB) ActiveSessions(ctx context.Context, userID int64) ([]identity.Session, error) {
	var out []identity.Session
	now := db.Now().UTC()
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? AND ended_at IS NULL AND expires_at > ?
			ORDER BY last_seen_at DESC`, userID, now)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			s, err := scanSession(rows)
			if err != nil {
				return err
			}
			if gone, _ := s.Expired(now); !gone {
				out = append(out, s)
			}
		}
		return rows.Err()
	})
	return out, err
}

// Invitation is a one-time link that lets a new user choose a password.
type Invitation struct {
	ID        int64
	UserID    int64
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// CreateInvitation stores an invitation for userID under the hash of its secret.
func (db *DB) CreateInvitation(ctx context.Context, actor Actor, userID int64, tokenHash string, ttl time.Duration) (Invitation, error) {
	inv := Invitation{UserID: userID, CreatedBy: actor.Name}
	err := db.update(ctx, func(tx *Tx) error {
		inv.CreatedAt, inv.ExpiresAt = tx.now, tx.now.Add(ttl)
		id, err := tx.insert(ctx, `INSERT INTO invitations (token_hash, user_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			tokenHash, userID, actor.Name, inv.CreatedAt, inv.ExpiresAt)
		if err != nil {
			return err
		}
		inv.ID = id
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "user.invite", Object: userObject(userID),
			Summary: fmt.Sprintf("invitation valid until %s", inv.ExpiresAt.Format(time.RFC3339))})
	})
	return inv, err
}

// InvitationByToken returns the invitation stored under tokenHash and its
// user, or ErrNotFound.
func (db *DB) InvitationByToken(ctx context.Context, tokenHash string) (Invitation, identity.User, error) {
	var inv Invitation
	var u identity.User
	err := db.view(ctx, func(tx *Tx) error {
		err := tx.queryRow(ctx, `SELECT id, user_id, created_by, created_at, expires_at, used_at FROM invitations WHERE token_hash = ?`, tokenHash).
			Scan(&inv.ID, &inv.UserID, &inv.CreatedBy, timeValue{&inv.CreatedAt}, timeValue{&inv.ExpiresAt}, timeValue{&inv.UsedAt})
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		u, err = tx.userWhere(ctx, "id = ?", inv.UserID)
		return err
	})
	return inv, u, err
}

// AcceptInvitation sets the invited user's password and uses up the
// invitation; a used or expired invitation is ErrConflict.
func (db *DB) AcceptInvitation(ctx context.Context, actor Actor, inv Invitation, passwordHash string) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE invitations SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?`, tx.now, inv.ID, tx.now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict("The invitation has expired or was used already.")
		}
		if _, err := tx.exec(ctx, `UPDATE users SET password_hash = ?, password_set_at = ?, must_change_password = ? WHERE id = ?`,
			passwordHash, tx.now, false, inv.UserID); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "user.invite_accept", Object: userObject(inv.UserID), Summary: "chose a password from an invitation"})
	})
}
