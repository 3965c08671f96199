package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// refuseInserts makes every insert into table fail from now on, with a
// trigger, as a broken disk or a lost connection would in the middle of a
// transaction.
func refuseInserts(t *testing.T, db *store.DB, table string) {
	t.Helper()
	ctx := context.Background()
	stmts := []string{`CREATE TRIGGER refuse_` + table + ` BEFORE INSERT ON ` + table + ` BEGIN SELECT RAISE(ABORT, 'injected failure'); END`}
	if db.Dialect() == store.Postgres {
		stmts = []string{
			`CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`,
			`CREATE TRIGGER refuse_` + table + ` BEFORE INSERT ON ` + table + ` FOR EACH ROW EXECUTE FUNCTION refuse_insert()`,
		}
	}
	for _, q := range stmts {
		if err := store.ExecForTest(ctx, db, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

type signInFixture struct {
	db   *store.DB
	user identity.User
	st   store.SignInState
}

// newSignIn creates a user who has failed to sign in twice from the
// address, and reads the state of a new sign-in.
func newSignIn(t *testing.T, db *store.DB) signInFixture {
	t.Helper()
	ctx := context.Background()
	u, err := db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: "nadia@example.org", Name: "Nadia"}, PasswordHash: "hash-1"})
	if err != nil {
		t.Fatal(err)
	}
	keys := identity.NewSignInKeys("10.0.0.9", u.Email, "")
	for range 2 {
		if _, err := db.RecordFailures(ctx, cli, audit.Entry{}, keys.Record...); err != nil {
			t.Fatal(err)
		}
	}
	st, err := db.SignInState(ctx, "  NADIA@example.org ", "10.0.0.9", "")
	if err != nil {
		t.Fatal(err)
	}
	if st.User.ID != u.ID || st.PasswordHash != "hash-1" || st.DeviceHash != "" || st.Throttles[keys.Account].Failures != 2 {
		t.Fatalf("SignInState = %+v, want the user, hash-1, no known device, 2 failures on the account", st)
	}
	return signInFixture{db: db, user: u, st: st}
}

func (f signInFixture) success(sessionHash string) store.SignInOutcome {
	return store.SignInOutcome{Keys: f.st.Keys, Success: &store.SignInSuccess{
		UserID: f.user.ID, CheckedHash: f.st.PasswordHash,
		SessionHash: sessionHash, Session: identity.Session{CSRF: "csrf", IP: "10.0.0.9"}, Lifetime: time.Hour,
		How: "password", DeviceHash: "device-1",
	}}
}

func auditCount(t *testing.T, db *store.DB) int {
	t.Helper()
	es, err := db.AuditEntries(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func TestCompleteSignInSuccess(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSignIn(t, db)
		before := auditCount(t, db)
		res, err := db.CompleteSignIn(ctx, store.Actor{Name: "anonymous", Source: "10.0.0.9"}, f.success("session-1"))
		if err != nil {
			t.Fatalf("CompleteSignIn = %v", err)
		}
		s, u, err := db.SessionByToken(ctx, "session-1")
		if err != nil || s.ID != res.Session.ID || s.Idle != identity.DefaultIdleTimeout || u.LastLoginAt.IsZero() {
			t.Errorf("SessionByToken = %+v, %+v, %v; want the new session with the default idle limit, and the sign-in recorded", s, u, err)
		}
		if known, err := db.KnownDevice(ctx, f.user.ID, "device-1"); err != nil || !known {
			t.Errorf("KnownDevice = %v, %v, want true", known, err)
		}
		th, err := db.Throttles(ctx, f.st.Keys.Check...)
		if err != nil || len(th) != 1 || th[f.st.Keys.Address].Failures != 2 {
			t.Errorf("Throttles after success = %v, %v, want only the address's failures left", th, err)
		}
		es, err := db.AuditEntries(ctx, 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range es {
			actions = append(actions, e.Action)
		}
		slices.Sort(actions)
		if got := auditCount(t, db) - before; got != 2 || !slices.Equal(actions, []string{"auth.login", "session.start"}) {
			t.Errorf("audit after success: %d new entries %v, want auth.login and session.start", got, actions)
		}
	})
}

// TestCompleteSignInAllOrNothing breaks a sign-in's transaction after the
// session was inserted (remembering the browser fails): nothing of it may
// remain, neither the session, nor its audit entries, nor the sign-in, nor
// the cleared throttles.
func TestCompleteSignInAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSignIn(t, db)
		before := auditCount(t, db)
		refuseInserts(t, db, "known_devices")
		if _, err := db.CompleteSignIn(ctx, store.Actor{Name: "anonymous", Source: "10.0.0.9"}, f.success("session-1")); err == nil {
			t.Fatal("CompleteSignIn with a failing known-device insert = nil, want an error")
		}
		if _, _, err := db.SessionByToken(ctx, "session-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SessionByToken after a failed sign-in = %v, want ErrNotFound", err)
		}
		if n := auditCount(t, db); n != before {
			t.Errorf("audit entries after a failed sign-in = %d, want %d", n, before)
		}
		if u, err := db.User(ctx, f.user.ID); err != nil || !u.LastLoginAt.IsZero() {
			t.Errorf("user after a failed sign-in = %+v, %v, want no sign-in recorded", u, err)
		}
		if th, err := db.Throttles(ctx, f.st.Keys.Check...); err != nil || th[f.st.Keys.Account].Failures != 2 || th[f.st.Keys.Pair].Failures != 2 {
			t.Errorf("Throttles after a failed sign-in = %v, %v, want the failures kept", th, err)
		}
	})
}

// TestCompleteSignInFailureAllOrNothing: the failures of a sign-in and their
// audit entries commit together, or neither does.
func TestCompleteSignInFailureAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSignIn(t, db)
		fail := store.SignInOutcome{Keys: f.st.Keys, Failure: &store.SignInFailure{
			Entry: audit.Entry{Action: "auth.login_failed", Object: "email:" + f.user.Email, Summary: "wrong password"},
			LockEntry: func(th store.Throttle) audit.Entry {
				return audit.Entry{Action: "auth.locked", Object: th.Key, Summary: "locked"}
			},
		}}
		// Two more failures: the third leaves no lock, the fifth locks the
		// account and the pair (not the address, with its larger allowance).
		for range 2 {
			if _, err := db.CompleteSignIn(ctx, cli, fail); err != nil {
				t.Fatal(err)
			}
		}
		before := auditCount(t, db)
		res, err := db.CompleteSignIn(ctx, cli, fail)
		if err != nil {
			t.Fatal(err)
		}
		if th := res.Throttles[f.st.Keys.Account]; th.Failures != 5 || th.LockedUntil.IsZero() || !res.Throttles[f.st.Keys.Address].LockedUntil.IsZero() {
			t.Errorf("Throttles after 5 failures = %v, want the account locked, the address not", res.Throttles)
		}
		es, err := db.AuditEntries(ctx, 0, 3)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range es {
			actions = append(actions, e.Action)
		}
		slices.Sort(actions)
		if n := auditCount(t, db) - before; n != 3 || !slices.Equal(actions, []string{"auth.locked", "auth.locked", "auth.login_failed"}) {
			t.Errorf("audit of the fifth failure: %d entries %v, want the failure and two locks", n, actions)
		}

		before = auditCount(t, db)
		refuseInserts(t, db, "audit_log")
		if _, err := db.CompleteSignIn(ctx, cli, fail); err == nil {
			t.Fatal("CompleteSignIn(failure) with a failing audit insert = nil, want an error")
		}
		th, err := db.Throttles(ctx, f.st.Keys.Check...)
		if err != nil || th[f.st.Keys.Account].Failures != 5 || th[f.st.Keys.Address].Failures != 5 {
			t.Errorf("Throttles after an unaudited failure = %v, %v, want 5 failures each: none counted without its audit entry", th, err)
		}
		if n := auditCount(t, db); n != before {
			t.Errorf("audit entries = %d, want %d", n, before)
		}
	})
}

// TestCompleteSignInRefusesChangedAccount: a password changed, or an account
// disabled, while the password was being checked ends the sign-in without a
// session.
func TestCompleteSignInRefusesChangedAccount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSignIn(t, db)
		if err := db.SetPassword(ctx, cli, f.user.ID, "hash-2", false, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CompleteSignIn(ctx, cli, f.success("session-1")); !errors.Is(err, store.ErrSignInChanged) {
			t.Errorf("CompleteSignIn after a password change = %v, want ErrSignInChanged", err)
		}
		st, err := db.SignInState(ctx, f.user.Email, "10.0.0.9", "")
		if err != nil {
			t.Fatal(err)
		}
		f.st = st
		if err := db.SetUserDisabled(ctx, cli, f.user.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CompleteSignIn(ctx, cli, f.success("session-2")); !errors.Is(err, store.ErrSignInChanged) {
			t.Errorf("CompleteSignIn after disabling = %v, want ErrSignInChanged", err)
		}
		for _, h := range []string{"session-1", "session-2"} {
			if _, _, err := db.SessionByToken(ctx, h); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("SessionByToken(%s) = %v, want ErrNotFound", h, err)
			}
		}
	})
}

// TestSignInStateKnownDevice: a known device's token counts only for its
// own user, and only while it lives.
func TestSignInStateKnownDevice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSignIn(t, db)
		other, err := db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: "omar@example.org"}, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AddKnownDevice(ctx, f.user.ID, "device-1", time.Hour); err != nil {
			t.Fatal(err)
		}
		st, err := db.SignInState(ctx, f.user.Email, "10.0.0.9", "device-1")
		if err != nil || st.DeviceHash != "device-1" || !st.Keys.Device || !slices.Equal(st.Keys.Check, []string{"dev:device-1"}) {
			t.Errorf("SignInState(own device) = %+v, %v, want the device's keys", st, err)
		}
		st, err = db.SignInState(ctx, other.Email, "10.0.0.9", "device-1")
		if err != nil || st.DeviceHash != "" || st.Keys.Device {
			t.Errorf("SignInState(another's device) = %+v, %v, want no known device", st, err)
		}
		now := time.Now().Add(2 * time.Hour)
		db.Now = func() time.Time { return now }
		st, err = db.SignInState(ctx, f.user.Email, "10.0.0.9", "device-1")
		if err != nil || st.DeviceHash != "" {
			t.Errorf("SignInState(expired device) = %+v, %v, want no known device", st, err)
		}
	})
}

// TestCompleteSignInRehash renews the stored hash at sign-in without
// treating it as a change of password: the person's other sessions go on,
// and "password last set" stays.
func TestCompleteSignInRehash(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSignIn(t, db)
		if _, err := db.CompleteSignIn(ctx, store.Actor{Name: "anonymous", Source: "10.0.0.9"}, f.success("session-1")); err != nil {
			t.Fatal(err)
		}
		before, _, err := db.SessionByToken(ctx, "session-1")
		if err != nil {
			t.Fatal(err)
		}
		setAt := f.user.PasswordSetAt
		st, err := db.SignInState(ctx, f.user.Email, "10.0.0.9", "")
		if err != nil {
			t.Fatal(err)
		}
		f.st = st
		out := f.success("session-2")
		out.Success.Rehash = "hash-2"
		if _, err := db.CompleteSignIn(ctx, store.Actor{Name: "anonymous", Source: "10.0.0.9"}, out); err != nil {
			t.Fatalf("CompleteSignIn with a rehash = %v", err)
		}
		if s, _, err := db.SessionByToken(ctx, "session-1"); err != nil || !s.EndedAt.IsZero() || s.ID != before.ID {
			t.Errorf("the other session after a rehash = %+v, %v; want it still running", s, err)
		}
		st, err = db.SignInState(ctx, f.user.Email, "10.0.0.9", "")
		if err != nil || st.PasswordHash != "hash-2" {
			t.Errorf("stored hash after the rehash = %q, %v, want hash-2", st.PasswordHash, err)
		}
		if u, err := db.User(ctx, f.user.ID); err != nil || !u.PasswordSetAt.Equal(setAt) {
			t.Errorf("password last set after a rehash = %v, %v, want %v (unchanged)", u.PasswordSetAt, err, setAt)
		}
		es, err := db.AuditEntries(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		rehashed := 0
		for _, e := range es {
			if e.Action == "user.password" {
				t.Errorf("a rehash was audited as a password change: %+v", e)
			}
			if e.Action == "user.password_rehash" {
				rehashed++
			}
		}
		if rehashed != 1 {
			t.Errorf("user.password_rehash entries = %d, want 1", rehashed)
		}
	})
}
