package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
)

// Token is an API token as stored; its secret is shown once and kept only as
// a hash.
type Token struct {
	ID         int64
	UserID     int64
	OrgID      int64 // 0: personal, valid in every organisation of the user
	OrgSlug    string
	Name       string
	Scope      identity.Scope
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// Usable reports whether the token may authenticate at now.
func (t Token) Usable(now time.Time) bool {
	return t.RevokedAt.IsZero() && now.Before(t.ExpiresAt)
}

// CreateToken stores a new API token under the hash of its secret.
func (db *DB) CreateToken(ctx context.Context, actor Actor, tokenHash string, t Token, ttl time.Duration) (Token, error) {
	name, err := identity.NormalizeTokenName(t.Name)
	if err != nil {
		return Token{}, err
	}
	t.Name = name
	if _, err := identity.ParseScope(string(t.Scope)); err != nil {
		return Token{}, fieldError("scope", err.Error())
	}
	if err := identity.CheckTokenLifetime(ttl); err != nil {
		return Token{}, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		t.CreatedAt, t.ExpiresAt = tx.now, tx.now.Add(ttl)
		var org any
		if t.OrgID != 0 {
			org = t.OrgID
		}
		id, err := tx.insert(ctx, `INSERT INTO api_tokens (token_hash, user_id, org_id, name, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tokenHash, t.UserID, org, t.Name, string(t.Scope), t.CreatedAt, t.ExpiresAt)
		if err != nil {
			return err
		}
		t.ID = id
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: t.OrgID, Action: "token.create", Object: fmt.Sprintf("token:%d", id),
			Summary: fmt.Sprintf("%s token %q for user %d, expires %s", t.Scope, t.Name, t.UserID, t.ExpiresAt.Format(time.RFC3339))})
	})
	if err != nil {
		return Token{}, fmt.Errorf("create token: %w", err)
	}
	return t, nil
}

const tokenColumns = `t.id, t.user_id, COALESCE(t.org_id, 0), COALESCE(o.slug, ''), t.name, t.scope, t.created_at, t.expires_at, t.last_used_at, t.revoked_at`

func scanToken(row interface{ Scan(...any) error }) (Token, error) {
	var t Token
	err := row.Scan(&t.ID, &t.UserID, &t.OrgID, &t.OrgSlug, &t.Name, &t.Scope, timeValue{&t.CreatedAt}, timeValue{&t.ExpiresAt},
		timeValue{&t.LastUsedAt}, timeValue{&t.RevokedAt})
	return t, err
}

// TokenByHash returns the token stored under tokenHash and its user, or
// ErrNotFound, and records its use.
func (db *DB) TokenByHash(ctx context.Context, tokenHash string) (Token, identity.User, error) {
	var t Token
	var u identity.User
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		t, err = scanToken(tx.queryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens t LEFT JOIN orgs o ON o.id = t.org_id WHERE t.token_hash = ?`, tokenHash))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		u, err = tx.userWhere(ctx, "id = ?", t.UserID)
		return err
	})
	return t, u, err
}

// TouchToken records that a token was used, and audits the use, at most once
// a minute per token: a script calling a thousand times a minute leaves one
// entry a minute, not a thousand.
func (db *DB) TouchToken(ctx context.Context, actor Actor, t Token) error {
	if db.Now().Sub(t.LastUsedAt) < time.Minute {
		return nil
	}
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, tx.now, t.ID); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: t.OrgID, Action: "token.use", Object: fmt.Sprintf("token:%d", t.ID),
			Summary: fmt.Sprintf("%s token %q used", t.Scope, t.Name)})
	})
}

// Tokens returns the user's tokens, newest first.
func (db *DB) Tokens(ctx context.Context, userID int64) ([]Token, error) {
	var out []Token
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanToken, `SELECT `+tokenColumns+` FROM api_tokens t LEFT JOIN orgs o ON o.id = t.org_id WHERE t.user_id = ? ORDER BY t.id DESC`, userID)
		return err
	})
	return out, err
}

// TokenPage returns a page of the user's tokens, newest first: the key is
// the ID alone, read downwards on the (user_id, id) index.
func (db *DB) TokenPage(ctx context.Context, userID int64, p Page) ([]Token, *Key, error) {
	size := p.size()
	query, args := tokenPageSQL(userID, p.After, size)
	var out []Token
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanToken, query, args...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("tokens of user %d: %w", userID, err)
	}
	out, next := cut(out, size, func(t Token) Key { return Key{ID: t.ID} })
	return out, next, nil
}

// tokenPageSQL is TokenPage's query.
func tokenPageSQL(userID int64, after Key, size int) (string, []any) {
	query := `SELECT ` + tokenColumns + ` FROM api_tokens t LEFT JOIN orgs o ON o.id = t.org_id WHERE t.user_id = ?`
	args := []any{userID}
	if !after.IsZero() {
		query += ` AND t.id < ?`
		args = append(args, after.ID)
	}
	return query + ` ORDER BY t.id DESC LIMIT ?`, append(args, size+1)
}

// RevokeToken revokes one of the user's tokens.
func (db *DB) RevokeToken(ctx context.Context, actor Actor, userID, tokenID int64) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL`, tx.now, tokenID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("token %d: %w", tokenID, ErrNotFound)
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "token.revoke", Object: fmt.Sprintf("token:%d", tokenID), Summary: "revoked"})
	})
}

// Throttle is the failure state of one throttle key (an account, an
// address, a known device, a user's second-factor codes).
type Throttle = identity.Throttle

// Throttles returns the state of each key that has one.
func (db *DB) Throttles(ctx context.Context, keys ...string) (map[string]Throttle, error) {
	var out map[string]Throttle
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.throttles(ctx, keys...)
		return err
	})
	return out, err
}

func (tx *Tx) throttles(ctx context.Context, keys ...string) (map[string]Throttle, error) {
	out := map[string]Throttle{}
	for _, k := range keys {
		th := Throttle{Key: k}
		err := tx.queryRow(ctx, `SELECT failures, locked_until FROM login_throttle WHERE key = ?`, k).Scan(&th.Failures, timeValue{&th.LockedUntil})
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return nil, err
		}
		out[k] = th
	}
	return out, nil
}

// RecordFailures adds one failure to each key and locks it for as long as
// identity.Backoff says for its kind and new count. It also writes the audit
// entry e, unless e has no action: the caller counts repeated failures and
// writes them as one summary (see web's auditFailure).
func (db *DB) RecordFailures(ctx context.Context, actor Actor, e audit.Entry, keys ...string) (map[string]Throttle, error) {
	var out map[string]Throttle
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if out, err = tx.recordFailures(ctx, keys...); err != nil {
			return err
		}
		if e.Action == "" {
			return nil
		}
		return tx.appendAudit(ctx, actor, e)
	})
	return out, err
}

func (tx *Tx) recordFailures(ctx context.Context, keys ...string) (map[string]Throttle, error) {
	out := map[string]Throttle{}
	for _, k := range keys {
		th := Throttle{Key: k}
		err := tx.queryRow(ctx, `SELECT failures FROM login_throttle WHERE key = ?`, k).Scan(&th.Failures)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		th.Failures++
		var locked any
		if d := identity.KeyBackoff(k, th.Failures); d > 0 {
			th.LockedUntil = tx.now.Add(d)
			locked = th.LockedUntil
		}
		if _, err := tx.exec(ctx, `INSERT INTO login_throttle (key, failures, locked_until, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
			k, th.Failures, locked, tx.now); err != nil {
			return nil, err
		}
		out[k] = th
	}
	return out, nil
}

// ClearThrottles forgets the failures of the keys (after a success).
func (db *DB) ClearThrottles(ctx context.Context, keys ...string) error {
	return db.update(ctx, func(tx *Tx) error { return tx.clearThrottles(ctx, keys...) })
}

func (tx *Tx) clearThrottles(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if _, err := tx.exec(ctx, `DELETE FROM login_throttle WHERE key = ?`, k); err != nil {
			return err
		}
	}
	return nil
}

// AddKnownDevice remembers a browser that signed in successfully as the user,
// so that the account's lock does not shut its owner out.
func (db *DB) AddKnownDevice(ctx context.Context, userID int64, tokenHash string, ttl time.Duration) error {
	return db.update(ctx, func(tx *Tx) error { return tx.addKnownDevice(ctx, userID, tokenHash, ttl) })
}

func (tx *Tx) addKnownDevice(ctx context.Context, userID int64, tokenHash string, ttl time.Duration) error {
	_, err := tx.exec(ctx, `INSERT INTO known_devices (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET expires_at = excluded.expires_at`, tokenHash, userID, tx.now, tx.now.Add(ttl))
	return err
}

// KnownDevice reports whether tokenHash is a live known device of userID.
func (db *DB) KnownDevice(ctx context.Context, userID int64, tokenHash string) (bool, error) {
	var known bool
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		known, err = tx.knownDevice(ctx, userID, tokenHash)
		return err
	})
	return known, err
}

func (tx *Tx) knownDevice(ctx context.Context, userID int64, tokenHash string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM known_devices WHERE token_hash = ? AND user_id = ? AND expires_at > ?`,
		tokenHash, userID, tx.now).Scan(&n)
	return n > 0, err
}
