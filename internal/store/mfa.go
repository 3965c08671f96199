package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
)

// ErrCodeRefused says a one-time or recovery code was not accepted: wrong,
// out of its time window, or used already. Nothing changed; the caller
// records the failure (RecordFailures), which audits and throttles it.
var ErrCodeRefused = errors.New("code refused")

// totpPurpose labels the data keys that seal TOTP secrets.
const totpPurpose = "totp"

// totpAAD binds a sealed TOTP secret to its user, so that a sealed secret
// copied into another user's row does not open.
func totpAAD(userID int64) []byte { return fmt.Appendf(nil, "safeguard totp user:%d", userID) }

// MFAStatus is what a user's account shows of the second factors held here.
type MFAStatus struct {
	// TOTPConfirmedAt is when the authenticator app was enrolled; zero when
	// there is none.
	TOTPConfirmedAt time.Time
	// TOTPPending says an enrolment was begun and not yet confirmed.
	TOTPPending bool
	// RecoveryCodesLeft counts the unused recovery codes.
	RecoveryCodesLeft int
}

// MFAStatus returns the state of the user's authenticator app and recovery
// codes.
func (db *DB) MFAStatus(ctx context.Context, userID int64) (MFAStatus, error) {
	var st MFAStatus
	err := db.view(ctx, func(tx *Tx) error {
		var confirmed time.Time
		err := tx.queryRow(ctx, `SELECT confirmed_at FROM totp_credentials WHERE user_id = ?`, userID).Scan(timeValue{&confirmed})
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case confirmed.IsZero():
			st.TOTPPending = true
		default:
			st.TOTPConfirmedAt = confirmed
		}
		st.RecoveryCodesLeft, err = tx.recoveryCodesLeft(ctx, userID)
		return err
	})
	if err != nil {
		return MFAStatus{}, fmt.Errorf("MFA status of user %d: %w", userID, err)
	}
	return st, nil
}

// UserHasMFA reports whether the user has a second factor to sign in with.
func (db *DB) UserHasMFA(ctx context.Context, userID int64) (bool, error) {
	var has bool
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		has, err = tx.userHasMFA(ctx, userID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("second factors of user %d: %w", userID, err)
	}
	return has, nil
}

// userHasMFA is one indexed query, run on every request of a session that
// has not yet passed a second factor. Each kind of second factor is one
// EXISTS over its table, ORed together: a new kind (passkeys) adds its own
// "OR EXISTS (SELECT 1 FROM ... WHERE user_id = ?)" and one more userID
// argument. Recovery codes are not a factor of their own: they stand in for
// one.
func (tx *Tx) userHasMFA(ctx context.Context, userID int64) (bool, error) {
	var has bool
	err := tx.queryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = ? AND confirmed_at IS NOT NULL)
		OR EXISTS (SELECT 1 FROM webauthn_credentials WHERE user_id = ?)`,
		userID, userID).Scan(&has)
	return has, err
}

// secondFactors counts the user's second factors: a confirmed authenticator
// app and each passkey. Recovery codes are not counted: they stand in for one.
func (tx *Tx) secondFactors(ctx context.Context, userID int64) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM totp_credentials WHERE user_id = ? AND confirmed_at IS NOT NULL)
		+ (SELECT COUNT(*) FROM webauthn_credentials WHERE user_id = ?)`, userID, userID).Scan(&n)
	return n, err
}

// BeginTOTP starts enrolling an authenticator app for the user: it seals
// secret under a new data key and stores it as pending, replacing an earlier
// pending enrolment. A user who already has a confirmed app is ErrConflict:
// it must be removed first.
func (db *DB) BeginTOTP(ctx context.Context, actor Actor, keys *crypt.Keyring, userID int64, secret []byte) error {
	if keys == nil {
		return errors.New("begin TOTP enrolment: no keyring to seal the secret with")
	}
	dk, kekID, wrapped, err := keys.NewDataKey()
	if err != nil {
		return fmt.Errorf("begin TOTP enrolment: %w", err)
	}
	sealed, err := dk.Seal(secret, totpAAD(userID))
	if err != nil {
		return fmt.Errorf("begin TOTP enrolment: %w", err)
	}
	return db.update(ctx, func(tx *Tx) error {
		var confirmed time.Time
		var oldKey int64
		err := tx.queryRow(ctx, `SELECT confirmed_at, data_key_id FROM totp_credentials WHERE user_id = ?`, userID).
			Scan(timeValue{&confirmed}, &oldKey)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case !confirmed.IsZero():
			return conflict("An authenticator app is already enrolled; remove it first.")
		default:
			if err := tx.deleteTOTP(ctx, userID, oldKey); err != nil {
				return err
			}
		}
		keyID, err := tx.createDataKey(ctx, actor, WrappedKey{KEKID: kekID, Wrapped: wrapped, Purpose: totpPurpose})
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO totp_credentials (user_id, data_key_id, sealed, created_at, last_counter) VALUES (?, ?, ?, ?, 0)`,
			userID, keyID, sealed, tx.now); err != nil {
			return fmt.Errorf("store TOTP secret: %w", err)
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "mfa.totp_begin", Object: userObject(userID),
			Summary: "began enrolling an authenticator app"})
	})
}

// deleteTOTP removes the user's TOTP credential and the data key that
// sealed its secret, so that no copy of the key is left to open it with.
func (tx *Tx) deleteTOTP(ctx context.Context, userID, keyID int64) error {
	if _, err := tx.exec(ctx, `DELETE FROM totp_credentials WHERE user_id = ?`, userID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `DELETE FROM data_keys WHERE id = ? AND purpose = ?`, keyID, totpPurpose)
	return err
}

// PendingTOTPSecret returns the secret of the user's unconfirmed enrolment,
// for the page that shows it as a QR code, or ErrNotFound. The secret of a
// confirmed app is never returned.
func (db *DB) PendingTOTPSecret(ctx context.Context, keys *crypt.Keyring, userID int64) ([]byte, error) {
	var secret []byte
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		secret, _, err = tx.totpSecret(ctx, keys, userID, false)
		return err
	})
	return secret, err
}

// totpSecret opens the user's confirmed (or pending) TOTP secret and returns
// it with the last accepted time step.
func (tx *Tx) totpSecret(ctx context.Context, keys *crypt.Keyring, userID int64, confirmed bool) ([]byte, int64, error) {
	if keys == nil {
		return nil, 0, errors.New("TOTP secret: no keyring to open it with")
	}
	state := "IS NULL"
	if confirmed {
		state = "IS NOT NULL"
	}
	var sealed, wrapped []byte
	var kekID string
	var last int64
	err := tx.queryRow(ctx, `SELECT t.sealed, t.last_counter, d.kek_id, d.wrapped
		FROM totp_credentials t JOIN data_keys d ON d.id = t.data_key_id
		WHERE t.user_id = ? AND t.confirmed_at `+state, userID).Scan(&sealed, &last, &kekID, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("TOTP credential of user %d: %w", userID, ErrNotFound)
	} else if err != nil {
		return nil, 0, err
	}
	dk, err := keys.Unwrap(kekID, wrapped)
	if err != nil {
		return nil, 0, fmt.Errorf("TOTP secret of user %d: %w", userID, err)
	}
	secret, err := dk.Open(sealed, totpAAD(userID))
	if err != nil {
		return nil, 0, fmt.Errorf("TOTP secret of user %d: %w", userID, err)
	}
	return secret, last, nil
}

// ConfirmTOTP completes the user's pending enrolment with a valid code from
// the app, which is then used up, and gives the user a new set of recovery
// codes (their hashes; earlier codes stop working). A wrong code is
// ErrCodeRefused and changes nothing.
func (db *DB) ConfirmTOTP(ctx context.Context, actor Actor, keys *crypt.Keyring, userID int64, code string, recoveryHashes []string) error {
	return db.update(ctx, func(tx *Tx) error {
		secret, _, err := tx.totpSecret(ctx, keys, userID, false)
		if err != nil {
			return err
		}
		step, ok := identity.VerifyTOTP(secret, code, tx.now)
		if !ok {
			return fmt.Errorf("enrolment code is wrong or out of time: %w", ErrCodeRefused)
		}
		res, err := tx.exec(ctx, `UPDATE totp_credentials SET confirmed_at = ?, last_counter = ? WHERE user_id = ? AND confirmed_at IS NULL`,
			tx.now, step, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict("The enrolment was confirmed already.")
		}
		if err := tx.replaceRecoveryCodes(ctx, userID, recoveryHashes); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "mfa.enrol", Object: userObject(userID),
			Summary: fmt.Sprintf("enrolled an authenticator app; %d recovery codes issued", len(recoveryHashes))})
	})
}

// VerifyTOTP checks a code from the user's authenticator app. A code is
// accepted once: the time step it belongs to must be later than the last one
// accepted, and the update that records it re-checks that, so two requests
// racing with the same code cannot both pass. A wrong, late or replayed code
// is ErrCodeRefused; a user without a confirmed app is ErrNotFound.
func (db *DB) VerifyTOTP(ctx context.Context, actor Actor, keys *crypt.Keyring, userID int64, code string) error {
	return db.update(ctx, func(tx *Tx) error { return tx.verifyTOTP(ctx, actor, keys, userID, code) })
}

func (tx *Tx) verifyTOTP(ctx context.Context, actor Actor, keys *crypt.Keyring, userID int64, code string) error {
	secret, last, err := tx.totpSecret(ctx, keys, userID, true)
	if err != nil {
		return err
	}
	step, ok := identity.VerifyTOTP(secret, code, tx.now)
	if !ok {
		return fmt.Errorf("wrong or expired authenticator code: %w", ErrCodeRefused)
	}
	if step <= last {
		return fmt.Errorf("authenticator code already used: %w", ErrCodeRefused)
	}
	res, err := tx.exec(ctx, `UPDATE totp_credentials SET last_counter = ? WHERE user_id = ? AND confirmed_at IS NOT NULL AND last_counter < ?`,
		step, userID, step)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("authenticator code already used: %w", ErrCodeRefused)
	}
	return tx.appendAudit(ctx, actor, audit.Entry{Action: "mfa.verify", Object: userObject(userID),
		Summary: "authenticator code accepted"})
}

// UseRecoveryCode spends one of the user's recovery codes and returns how
// many are left. An unknown, malformed or used code is ErrCodeRefused.
func (db *DB) UseRecoveryCode(ctx context.Context, actor Actor, userID int64, code string) (int, error) {
	var left int
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		left, err = tx.useRecoveryCode(ctx, actor, userID, code)
		return err
	})
	return left, err
}

func (tx *Tx) useRecoveryCode(ctx context.Context, actor Actor, userID int64, code string) (int, error) {
	hash, err := identity.HashRecoveryCode(code)
	if err != nil {
		return 0, fmt.Errorf("%v: %w", err, ErrCodeRefused)
	}
	res, err := tx.exec(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
		tx.now, userID, hash)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, fmt.Errorf("unknown or used recovery code: %w", ErrCodeRefused)
	}
	left, err := tx.recoveryCodesLeft(ctx, userID)
	if err != nil {
		return 0, err
	}
	return left, tx.appendAudit(ctx, actor, audit.Entry{Action: "mfa.recovery_used", Object: userObject(userID),
		Summary: fmt.Sprintf("used a recovery code; %d left", left)})
}

// CodeUse says which kind of code a user gave.
type CodeUse struct {
	Recovery     bool // one of the recovery codes, not the app's code
	RecoveryLeft int  // after a recovery code: how many are left
}

// VerifyCode accepts either a code from the user's authenticator app (six
// digits: VerifyTOTP) or one of their recovery codes (UseRecoveryCode).
func (db *DB) VerifyCode(ctx context.Context, actor Actor, keys *crypt.Keyring, userID int64, code string) (CodeUse, error) {
	var use CodeUse
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		use, err = tx.verifyCode(ctx, actor, keys, userID, code)
		return err
	})
	return use, err
}

func (tx *Tx) verifyCode(ctx context.Context, actor Actor, keys *crypt.Keyring, userID int64, code string) (CodeUse, error) {
	if _, err := identity.ParseTOTPCode(code); err == nil {
		err := tx.verifyTOTP(ctx, actor, keys, userID, code)
		if errors.Is(err, ErrNotFound) {
			// A user with no app (only passkeys) has no code to give.
			err = fmt.Errorf("no authenticator app enrolled: %w", ErrCodeRefused)
		}
		return CodeUse{}, err
	}
	left, err := tx.useRecoveryCode(ctx, actor, userID, code)
	return CodeUse{Recovery: true, RecoveryLeft: left}, err
}

// ReplaceRecoveryCodes gives the user a new set of recovery codes (their
// hashes); every earlier code, used or not, stops working.
func (db *DB) ReplaceRecoveryCodes(ctx context.Context, actor Actor, userID int64, hashes []string) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.replaceRecoveryCodes(ctx, userID, hashes); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "mfa.recovery_regenerate", Object: userObject(userID),
			Summary: fmt.Sprintf("%d new recovery codes issued; the earlier ones no longer work", len(hashes))})
	})
}

func (tx *Tx) replaceRecoveryCodes(ctx context.Context, userID int64, hashes []string) error {
	if _, err := tx.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`, userID, h, tx.now); err != nil {
			if isUniqueViolation(err) {
				return conflict("Recovery codes repeat.")
			}
			return err
		}
	}
	return nil
}

func (tx *Tx) recoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n)
	return n, err
}

// RemoveTOTP removes the user's authenticator app, on proof that the user
// holds a second factor now: a current code from the app, or a recovery
// code (VerifyCode), spent only if the removal happens. A bad code is
// ErrCodeRefused. When mfaRequired, removing the user's last second factor
// is refused with identity.ErrLastSecondFactor. When no second factor is left, the
// recovery codes go too: there is nothing left for them to stand in for.
func (db *DB) RemoveTOTP(ctx context.Context, actor Actor, keys *crypt.Keyring, userID int64, code string, mfaRequired bool) error {
	return db.update(ctx, func(tx *Tx) error {
		var keyID int64
		err := tx.queryRow(ctx, `SELECT data_key_id FROM totp_credentials WHERE user_id = ? AND confirmed_at IS NOT NULL`, userID).Scan(&keyID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("authenticator app of user %d: %w", userID, ErrNotFound)
		} else if err != nil {
			return err
		}
		if _, err := tx.verifyCode(ctx, actor, keys, userID, code); err != nil {
			return err
		}
		if err := tx.deleteTOTP(ctx, userID, keyID); err != nil {
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
		summary := "removed the authenticator app"
		if removal.DropRecoveryCodes {
			if _, err := tx.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
				return err
			}
			summary += " and, with no second factor left, the recovery codes"
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "mfa.remove", Object: userObject(userID), Summary: summary})
	})
}

// ResetMFA removes every second factor of the user (the authenticator app,
// passkeys and recovery codes), for an administrator helping someone who lost
// them, and ends all of the user's sessions. The user must
// enrol again at the next sign-in if a second factor is required.
func (db *DB) ResetMFA(ctx context.Context, actor Actor, userID int64) error {
	return db.update(ctx, func(tx *Tx) error {
		u, err := tx.userWhere(ctx, "id = ?", userID)
		if err != nil {
			return err
		}
		var keyID int64
		err = tx.queryRow(ctx, `SELECT data_key_id FROM totp_credentials WHERE user_id = ?`, userID).Scan(&keyID)
		if err == nil {
			if err := tx.deleteTOTP(ctx, userID, keyID); err != nil {
				return err
			}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Every kind of second factor goes, or the user would still be asked
		// for one they no longer have.
		for _, q := range []string{`DELETE FROM recovery_codes WHERE user_id = ?`, `DELETE FROM webauthn_credentials WHERE user_id = ?`} {
			if _, err := tx.exec(ctx, q, userID); err != nil {
				return err
			}
		}
		if err := tx.endSessions(ctx, userID, 0, "second factor reset"); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{Action: "mfa.reset", Object: userObject(userID),
			Summary: fmt.Sprintf("reset the second factor of %s: authenticator app, passkeys and recovery codes removed, sessions ended", u.Email)})
	})
}

// Factors says which second factors one user holds, as the members page
// shows them.
type Factors struct {
	TOTP     bool // a confirmed authenticator app
	Passkeys int
}

// None reports whether the user holds no second factor.
func (f Factors) None() bool { return !f.TOTP && f.Passkeys == 0 }

// FactorsOf returns the second factors of each of the given users; a user
// without any is absent from the map. It reads two indexed lookups per
// batch of IDs, never the whole tables.
func (db *DB) FactorsOf(ctx context.Context, userIDs []int64) (map[int64]Factors, error) {
	out := map[int64]Factors{}
	err := db.view(ctx, func(tx *Tx) error {
		err := tx.byIDs(ctx, `SELECT user_id, 'totp' FROM totp_credentials WHERE confirmed_at IS NOT NULL AND user_id IN `, userIDs,
			func(id int64, _ string) {
				f := out[id]
				f.TOTP = true
				out[id] = f
			})
		if err != nil {
			return err
		}
		return tx.byIDs(ctx, `SELECT user_id, name FROM webauthn_credentials WHERE user_id IN `, userIDs,
			func(id int64, _ string) {
				f := out[id]
				f.Passkeys++
				out[id] = f
			})
	})
	if err != nil {
		return nil, fmt.Errorf("second factors of %d users: %w", len(userIDs), err)
	}
	return out, nil
}
