package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
)

// Passkey is a WebAuthn credential — a passkey or a security key — that a
// user registered as a second factor (person or entity authentication,
// 45 CFR 164.312(d)). Only its public key is kept: the private key never
// leaves the authenticator.
type Passkey struct {
	ID           int64
	UserID       int64
	CredentialID []byte
	PublicKey    []byte // COSE_Key
	// SignCount is the authenticator's signature counter at its last use;
	// one that goes backwards betrays a cloned authenticator.
	SignCount uint32
	AAGUID    []byte
	// Transports are how the browser may reach the authenticator ("usb",
	// "internal", ...), as it reported them at registration.
	Transports []string
	// Flags is the authenticator data flags byte at the last ceremony; the
	// backup-eligible bit must not change over the credential's life.
	Flags             uint8
	AttestationFormat string
	Name              string
	CreatedAt         time.Time
	LastUsedAt        time.Time
}

// ErrCloneSuspected means a passkey's signature counter did not advance: the
// authenticator may have been copied, so the sign-in is refused.
var ErrCloneSuspected = errors.New("the passkey's signature counter went backwards, so the authenticator may have been copied")

func passkeyObject(id int64) string { return fmt.Sprintf("passkey:%d", id) }

// PasskeyUserHandle returns the user's WebAuthn user handle, creating a random
// one the first time it is asked for.
func (db *DB) PasskeyUserHandle(ctx context.Context, userID int64) ([]byte, error) {
	var handle []byte
	err := db.view(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT handle FROM webauthn_users WHERE user_id = ?`, userID).Scan(&handle)
	})
	if err == nil {
		return handle, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("passkey user handle of user %d: %w", userID, err)
	}
	err = db.update(ctx, func(tx *Tx) error {
		fresh := make([]byte, 32)
		if _, err := rand.Read(fresh); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO webauthn_users (user_id, handle, created_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING`,
			userID, fresh, tx.now); err != nil {
			return err
		}
		return tx.queryRow(ctx, `SELECT handle FROM webauthn_users WHERE user_id = ?`, userID).Scan(&handle)
	})
	if err != nil {
		return nil, fmt.Errorf("passkey user handle of user %d: %w", userID, err)
	}
	return handle, nil
}

const passkeyColumns = `id, user_id, credential_id, public_key, sign_count, aaguid, transports, flags, attestation_format, name, created_at, last_used_at`

func scanPasskey(row interface{ Scan(...any) error }) (Passkey, error) {
	var p Passkey
	var count int64
	var flags int
	var transports string
	err := row.Scan(&p.ID, &p.UserID, &p.CredentialID, &p.PublicKey, &count, &p.AAGUID, &transports, &flags,
		&p.AttestationFormat, &p.Name, timeValue{&p.CreatedAt}, timeValue{&p.LastUsedAt})
	p.SignCount, p.Flags = uint32(count), uint8(flags)
	if transports != "" {
		p.Transports = strings.Split(transports, ",")
	}
	return p, err
}

// Passkeys returns the user's passkeys, oldest first.
func (db *DB) Passkeys(ctx context.Context, userID int64) ([]Passkey, error) {
	var out []Passkey
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanPasskey, `SELECT `+passkeyColumns+` FROM webauthn_credentials WHERE user_id = ? ORDER BY id`, userID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys of user %d: %w", userID, err)
	}
	return out, nil
}

// AddPasskey stores a passkey whose registration the caller has verified. A
// credential ID registered already (to anyone) is ErrConflict.
func (db *DB) AddPasskey(ctx context.Context, actor Actor, p Passkey) (Passkey, error) {
	name, err := identity.NormalizePasskeyName(p.Name)
	if err != nil {
		return Passkey{}, err
	}
	p.Name = name
	if len(p.CredentialID) == 0 || len(p.CredentialID) > 1023 || len(p.PublicKey) == 0 {
		return Passkey{}, fmt.Errorf("add passkey: the credential ID or public key is missing or too long")
	}
	for _, t := range p.Transports {
		if strings.ContainsRune(t, ',') {
			return Passkey{}, fmt.Errorf("add passkey: transport %q holds a comma", t)
		}
	}
	if p.AAGUID == nil {
		p.AAGUID = []byte{}
	}
	err = db.update(ctx, func(tx *Tx) error {
		p.CreatedAt = tx.now
		id, err := tx.insert(ctx, `INSERT INTO webauthn_credentials (user_id, credential_id, public_key, sign_count, aaguid, transports, flags, attestation_format, name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.UserID, p.CredentialID, p.PublicKey, int64(p.SignCount), p.AAGUID, strings.Join(p.Transports, ","), int(p.Flags), p.AttestationFormat, p.Name, tx.now)
		if isUniqueViolation(err) {
			return conflict("This passkey is registered already.")
		} else if err != nil {
			return err
		}
		p.ID = id
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "passkey.add", Object: passkeyObject(id),
			Summary: fmt.Sprintf("registered passkey %q for user %d", p.Name, p.UserID)})
	})
	if err != nil {
		return Passkey{}, fmt.Errorf("add passkey: %w", err)
	}
	return p, nil
}

// RenamePasskey gives one of the user's passkeys a new name.
func (db *DB) RenamePasskey(ctx context.Context, actor Actor, userID, id int64, name string) error {
	name, err := identity.NormalizePasskeyName(name)
	if err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		var old string
		err := tx.queryRow(ctx, `SELECT name FROM webauthn_credentials WHERE id = ? AND user_id = ?`, id, userID).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("passkey %d: %w", id, ErrNotFound)
		} else if err != nil {
			return err
		}
		if old == name {
			return nil
		}
		if _, err := tx.exec(ctx, `UPDATE webauthn_credentials SET name = ? WHERE id = ?`, name, id); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "passkey.rename", Object: passkeyObject(id),
			Summary: fmt.Sprintf("renamed passkey %q to %q", old, name)})
	})
}

// RemovePasskey deletes one of the user's passkeys. When mfaRequired, the
// removal is refused (identity.ErrLastSecondFactor) if it would leave the user without
// any second factor (passkey or authenticator app).
func (db *DB) RemovePasskey(ctx context.Context, actor Actor, userID, id int64, mfaRequired bool) error {
	return db.update(ctx, func(tx *Tx) error {
		var name string
		err := tx.queryRow(ctx, `SELECT name FROM webauthn_credentials WHERE id = ? AND user_id = ?`, id, userID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("passkey %d: %w", id, ErrNotFound)
		} else if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM webauthn_credentials WHERE id = ?`, id); err != nil {
			return err
		}
		left, err := tx.secondFactors(ctx, userID)
		if err != nil {
			return err
		}
		removal, err := identity.RemoveSecondFactor(mfaRequired, left)
		if err != nil {
			return refused(err)
		}
		summary := fmt.Sprintf("removed passkey %q of user %d", name, userID)
		if removal.DropRecoveryCodes {
			if _, err := tx.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
				return err
			}
			summary += " and, with no second factor left, the recovery codes"
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "passkey.remove", Object: passkeyObject(id), Summary: summary})
	})
}

// RecordPasskeyUse notes a verified sign-in with the user's passkey: its new
// signature counter, flags and time of use. A counter that does not advance
// (unless the authenticator keeps none, reporting 0 every time) betrays a
// cloned authenticator: the use is then refused with ErrCloneSuspected, the
// stored counter is left as it was, and passkey.clone_suspected is audited.
func (db *DB) RecordPasskeyUse(ctx context.Context, actor Actor, userID int64, credentialID []byte, signCount uint32, flags uint8) (Passkey, error) {
	var p Passkey
	clone := false
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		p, err = scanPasskey(tx.queryRow(ctx, `SELECT `+passkeyColumns+` FROM webauthn_credentials WHERE credential_id = ? AND user_id = ?`, credentialID, userID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("passkey of user %d: %w", userID, ErrNotFound)
		} else if err != nil {
			return err
		}
		if (signCount != 0 || p.SignCount != 0) && signCount <= p.SignCount {
			clone = true
			// The entry commits; the counter does not move.
			return tx.appendAudit(ctx, actor, audit.Entry{Action: "passkey.clone_suspected", Object: passkeyObject(p.ID),
				Summary: fmt.Sprintf("sign-in with passkey %q refused: signature counter %d, stored %d", p.Name, signCount, p.SignCount)})
		}
		if _, err := tx.exec(ctx, `UPDATE webauthn_credentials SET sign_count = ?, flags = ?, last_used_at = ? WHERE id = ?`,
			int64(signCount), int(flags), tx.now, p.ID); err != nil {
			return err
		}
		p.SignCount, p.Flags, p.LastUsedAt = signCount, flags, tx.now
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "passkey.use", Object: passkeyObject(p.ID),
			Summary: fmt.Sprintf("second factor passed with passkey %q", p.Name)})
	})
	if err != nil {
		return Passkey{}, fmt.Errorf("record passkey use: %w", err)
	}
	if clone {
		return p, ErrCloneSuspected
	}
	return p, nil
}

// Ceremony is a WebAuthn registration or sign-in in progress: the challenge
// and options the server sent, kept server-side, bound to the session that
// began it, and good for one answer within its lifetime.
type Ceremony struct {
	ID        int64
	SessionID int64
	UserID    int64
	Kind      string // "register" or "login"
	Data      []byte // the web layer's own record of what it asked for
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Expired reports whether the ceremony is too old to finish at now.
func (c Ceremony) Expired(now time.Time) bool { return !now.Before(c.ExpiresAt) }

// StartCeremony stores c for its session, replacing any ceremony of the same
// kind that session had begun, and clears out expired ceremonies.
func (db *DB) StartCeremony(ctx context.Context, c Ceremony, ttl time.Duration) (Ceremony, error) {
	if c.Kind != "register" && c.Kind != "login" {
		return Ceremony{}, fmt.Errorf("start ceremony: unknown kind %q", c.Kind)
	}
	err := db.update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM webauthn_ceremonies WHERE expires_at < ? OR (session_id = ? AND kind = ?)`,
			tx.now, c.SessionID, c.Kind); err != nil {
			return err
		}
		c.CreatedAt, c.ExpiresAt = tx.now, tx.now.Add(ttl)
		id, err := tx.insert(ctx, `INSERT INTO webauthn_ceremonies (session_id, user_id, kind, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			c.SessionID, c.UserID, c.Kind, string(c.Data), c.CreatedAt, c.ExpiresAt)
		c.ID = id
		return err
	})
	if err != nil {
		return Ceremony{}, fmt.Errorf("start %s ceremony: %w", c.Kind, err)
	}
	return c, nil
}

// TakeCeremony removes and returns the session's ceremony of the given kind,
// so that it can be answered once only. It returns ErrNotFound when there is
// none (never begun, or already answered); an expired one is returned too,
// for the caller to refuse.
func (db *DB) TakeCeremony(ctx context.Context, sessionID, userID int64, kind string) (Ceremony, error) {
	c := Ceremony{SessionID: sessionID, UserID: userID, Kind: kind}
	err := db.update(ctx, func(tx *Tx) error {
		var data string
		err := tx.queryRow(ctx, `SELECT id, data, created_at, expires_at FROM webauthn_ceremonies WHERE session_id = ? AND user_id = ? AND kind = ?`,
			sessionID, userID, kind).Scan(&c.ID, &data, timeValue{&c.CreatedAt}, timeValue{&c.ExpiresAt})
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		c.Data = []byte(data)
		res, err := tx.exec(ctx, `DELETE FROM webauthn_ceremonies WHERE id = ?`, c.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// Answered by a concurrent request (PostgreSQL, read committed).
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return Ceremony{}, fmt.Errorf("%s ceremony of session %d: %w", kind, sessionID, err)
	}
	return c, nil
}
