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

// A password sign-in takes two transactions, with the password checked
// between them and outside both (hashing is slow, and a transaction held
// open that long would stall every writer): SignInState reads what the
// check needs, CompleteSignIn writes its outcome, all of it or nothing.

// SignInState is what a password sign-in reads before the password is
// checked.
type SignInState struct {
	// User is the account; its ID is 0 when there is none.
	User identity.User
	// PasswordHash is the account's password hash; "" when none is set.
	PasswordHash string
	// Keys are the throttle keys of the attempt; Keys.Device says the
	// browser is the user's known device.
	Keys identity.SignInKeys
	// DeviceHash is the hash of the known-device token when the store knows
	// it as the user's, else "".
	DeviceHash string
	// Throttles is the state of the keys checked.
	Throttles map[string]Throttle
	// HasMFA says the user has a second factor.
	HasMFA bool
	// Now is the time of the read.
	Now time.Time
}

// Lock is what the throttles say of the attempt.
func (s SignInState) Lock() identity.Lock { return s.Keys.Lock(s.Throttles, s.Now) }

// SignInState reads, in one transaction, the account of email, whether
// deviceHash (the hash of the browser's known-device token, or "") is a
// known device of it, and the throttles of a sign-in from address ip.
func (db *DB) SignInState(ctx context.Context, email, ip, deviceHash string) (SignInState, error) {
	email = identity.NormalizeEmail(email)
	var st SignInState
	err := db.view(ctx, func(tx *Tx) error {
		st.Now = tx.now
		u, err := tx.userWhere(ctx, "email = ?", email)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		st.User = u
		if u.ID != 0 {
			if err := tx.queryRow(ctx, `SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&st.PasswordHash); err != nil {
				return err
			}
			if deviceHash != "" {
				known, err := tx.knownDevice(ctx, u.ID, deviceHash)
				if err != nil {
					return err
				}
				if known {
					st.DeviceHash = deviceHash
				}
			}
			if st.HasMFA, err = tx.userHasMFA(ctx, u.ID); err != nil {
				return err
			}
		}
		st.Keys = identity.NewSignInKeys(ip, email, st.DeviceHash)
		st.Throttles, err = tx.throttles(ctx, st.Keys.Check...)
		return err
	})
	if err != nil {
		return SignInState{}, fmt.Errorf("read sign-in state: %w", err)
	}
	return st, nil
}

// SignInOutcome is the result of a checked sign-in, to be written: exactly
// one of Success and Failure is set.
type SignInOutcome struct {
	Keys    identity.SignInKeys
	Success *SignInSuccess
	Failure *SignInFailure
}

// SignInSuccess is a sign-in whose password (and, when it passed a lock,
// second factor) was right.
type SignInSuccess struct {
	UserID int64
	// CheckedHash is the password hash the password was checked against;
	// the sign-in is refused (ErrSignInChanged) if it is no longer the
	// stored one, or the account was disabled, in the meantime.
	CheckedHash string
	// Rehash, when set, replaces the stored hash (made with parameters
	// stronger than those of CheckedHash); MustChangePassword is kept.
	Rehash             string
	MustChangePassword bool
	// PassedLock says the account's lock was passed with a second factor:
	// the account's failures are then kept.
	PassedLock bool
	// SessionHash is the hash of the new session's secret; Session the
	// session, whose Idle is the deployment's limit: the store shortens it
	// to the shortest of the user's organisations.
	SessionHash string
	Session     identity.Session
	Lifetime    time.Duration
	// How says how the user signed in, for the audit log.
	How string
	// DeviceHash is the hash of the known-device token the browser gets.
	DeviceHash string
}

// SignInFailure is a sign-in that failed.
type SignInFailure struct {
	// Entry is the audit entry of the failure; none when its Action is
	// empty (the caller counts repeated failures and writes a summary).
	Entry audit.Entry
	// LockEntry, when set, returns the audit entry of a key the failure
	// locked, or one with no Action to write none. It runs inside the
	// transaction and must not use the database.
	LockEntry func(Throttle) audit.Entry
}

// SignInResult is what CompleteSignIn wrote.
type SignInResult struct {
	// Session is the new session of a success.
	Session identity.Session
	// Throttles is the state of the keys a failure counted on.
	Throttles map[string]Throttle
}

// ErrSignInChanged says the account changed (its password, or disabled)
// between the check of the password and the sign-in's completion.
var ErrSignInChanged = errors.New("the account changed during sign-in")

// CompleteSignIn writes the outcome of a sign-in in one transaction. A
// success replaces the password hash when asked (as SetPassword would),
// clears the throttle keys the success clears, starts the session, records
// the sign-in and remembers the browser, each with its audit entry. A
// failure counts on the keys it records, locking them as identity.Backoff
// says, with its audit entries. actor is the request's; the session and
// sign-in are audited as the user's, the rehash as the system's.
func (db *DB) CompleteSignIn(ctx context.Context, actor Actor, o SignInOutcome) (SignInResult, error) {
	if (o.Success == nil) == (o.Failure == nil) {
		return SignInResult{}, errors.New("complete sign-in: want exactly one of success and failure")
	}
	var res SignInResult
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if o.Failure != nil {
			res.Throttles, err = tx.failSignIn(ctx, actor, o.Keys, *o.Failure)
			return err
		}
		res.Session, err = tx.succeedSignIn(ctx, actor, o.Keys, *o.Success)
		return err
	})
	if err != nil {
		return SignInResult{}, fmt.Errorf("complete sign-in: %w", err)
	}
	return res, nil
}

func (tx *Tx) failSignIn(ctx context.Context, actor Actor, keys identity.SignInKeys, f SignInFailure) (map[string]Throttle, error) {
	after, err := tx.recordFailures(ctx, keys.Record...)
	if err != nil {
		return nil, err
	}
	if f.Entry.Action != "" {
		if err := tx.appendAudit(ctx, actor, f.Entry); err != nil {
			return nil, err
		}
	}
	if f.LockEntry == nil {
		return after, nil
	}
	for _, k := range keys.Record {
		th := after[k]
		if th.LockedUntil.IsZero() {
			continue
		}
		if e := f.LockEntry(th); e.Action != "" {
			if err := tx.appendAudit(ctx, actor, e); err != nil {
				return nil, err
			}
		}
	}
	return after, nil
}

func (tx *Tx) succeedSignIn(ctx context.Context, actor Actor, keys identity.SignInKeys, s SignInSuccess) (identity.Session, error) {
	// The password was checked against a hash read before: it must still
	// be the account's, and the account still enabled.
	var hash string
	var disabled time.Time
	err := tx.queryRow(ctx, `SELECT password_hash, disabled_at FROM users WHERE id = ?`, s.UserID).Scan(&hash, timeValue{&disabled})
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (hash != s.CheckedHash || !disabled.IsZero())) {
		return identity.Session{}, ErrSignInChanged
	} else if err != nil {
		return identity.Session{}, err
	}
	user := Actor{Name: userObject(s.UserID), Source: actor.Source, RequestID: actor.RequestID}
	if s.Rehash != "" {
		// The same password under the current hashing parameters: not a
		// change of password, so the person's other sessions, open
		// invitations and "password last set" stay as they are.
		if _, err := tx.exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, s.Rehash, s.UserID); err != nil {
			return identity.Session{}, err
		}
		if err := tx.appendAudit(ctx, Actor{Name: "system", Source: actor.Source, RequestID: actor.RequestID}, audit.Entry{
			Action: "user.password_rehash", Object: userObject(s.UserID), Summary: "password hash renewed with the current parameters at sign-in"}); err != nil {
			return identity.Session{}, err
		}
	}
	if err := tx.clearThrottles(ctx, keys.ClearOnSuccess(s.PassedLock)...); err != nil {
		return identity.Session{}, err
	}
	orgIdle, _, err := tx.userOrgPolicy(ctx, s.UserID)
	if err != nil {
		return identity.Session{}, err
	}
	sess := s.Session
	sess.UserID = s.UserID
	sess.Idle = identity.EffectiveIdle(sess.Idle, orgIdle)
	if sess, err = tx.createSession(ctx, user, s.SessionHash, sess, s.Lifetime); err != nil {
		return identity.Session{}, err
	}
	if err := tx.recordLogin(ctx, user, s.UserID, s.How); err != nil {
		return identity.Session{}, err
	}
	if s.DeviceHash != "" {
		if err := tx.addKnownDevice(ctx, s.UserID, s.DeviceHash, identity.KnownDeviceLifetime); err != nil {
			return identity.Session{}, err
		}
	}
	return sess, nil
}
