package store_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// mfaFixture is a user with a keyring and a clock the test moves.
type mfaFixture struct {
	db     *store.DB
	keys   *crypt.Keyring
	userID int64
	now    time.Time
}

func newMFAFixture(t *testing.T, db *store.DB) *mfaFixture {
	t.Helper()
	keys, err := crypt.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(context.Background(), cli, store.NewUser{User: identity.User{Email: "pat@example.org", Name: "Pat"}, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	f := &mfaFixture{db: db, keys: keys, userID: u.ID, now: time.Date(2025, 3, 4, 10, 0, 10, 0, time.UTC)}
	db.Now = func() time.Time { return f.now }
	return f
}

// enrol begins and confirms an authenticator app and returns its secret and
// recovery codes.
func (f *mfaFixture) enrol(t *testing.T) ([]byte, []string) {
	t.Helper()
	ctx := context.Background()
	secret, err := identity.NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.BeginTOTP(ctx, cli, f.keys, f.userID, secret); err != nil {
		t.Fatalf("BeginTOTP() = %v", err)
	}
	codes, hashes := recoveryCodes(t)
	if err := f.db.ConfirmTOTP(ctx, cli, f.keys, f.userID, f.code(secret, 0), hashes); err != nil {
		t.Fatalf("ConfirmTOTP() = %v", err)
	}
	return secret, codes
}

// code is the authenticator's code d steps from the fixture's clock.
func (f *mfaFixture) code(secret []byte, d int64) string {
	return identity.TOTPCode(secret, identity.TOTPStep(f.now)+d)
}

func recoveryCodes(t *testing.T) ([]string, []string) {
	t.Helper()
	codes, err := identity.NewRecoveryCodes(identity.RecoveryCodeCount)
	if err != nil {
		t.Fatal(err)
	}
	var hashes []string
	for _, c := range codes {
		h, err := identity.HashRecoveryCode(c)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	return codes, hashes
}

func TestTOTPEnrolment(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newMFAFixture(t, db)
		secret, err := identity.NewTOTPSecret()
		if err != nil {
			t.Fatal(err)
		}
		if err := db.BeginTOTP(ctx, cli, f.keys, f.userID, secret); err != nil {
			t.Fatal(err)
		}
		if has, err := db.UserHasMFA(ctx, f.userID); err != nil || has {
			t.Errorf("UserHasMFA(pending) = %t, %v, want false", has, err)
		}
		if got, err := db.PendingTOTPSecret(ctx, f.keys, f.userID); err != nil || !bytes.Equal(got, secret) {
			t.Errorf("PendingTOTPSecret() = %x, %v, want %x", got, err, secret)
		}
		if st, _ := db.MFAStatus(ctx, f.userID); !st.TOTPPending || !st.TOTPConfirmedAt.IsZero() {
			t.Errorf("MFAStatus(pending) = %+v", st)
		}

		// The secret is not in the table in any form a reader could use.
		raw, err := store.DumpTableForTest(ctx, db, "totp_credentials")
		if err != nil {
			t.Fatal(err)
		}
		enc := identity.EncodeTOTPSecret(secret)
		for name, form := range map[string][]byte{"raw": secret, "base32": []byte(enc), "base32 lower": []byte(strings.ToLower(enc)), "hex": []byte(hex.EncodeToString(secret))} {
			if bytes.Contains(raw, form) {
				t.Errorf("totp_credentials holds the secret in %s form", name)
			}
		}
		if len(raw) < len(secret)+28 {
			t.Errorf("totp_credentials dump is %d bytes: the sealed secret is missing", len(raw))
		}
		// Another keyring cannot open it.
		other, _ := crypt.NewKeyring()
		if _, err := db.PendingTOTPSecret(ctx, other, f.userID); err == nil {
			t.Error("PendingTOTPSecret() with another keyring = nil error")
		}

		// A wrong code does not confirm; the right one does, once.
		_, hashes := recoveryCodes(t)
		wrong := f.code(secret, 5)
		if err := db.ConfirmTOTP(ctx, cli, f.keys, f.userID, wrong, hashes); !errors.Is(err, store.ErrCodeRefused) {
			t.Fatalf("ConfirmTOTP(wrong code) = %v, want ErrCodeRefused", err)
		}
		if err := db.ConfirmTOTP(ctx, cli, f.keys, f.userID, f.code(secret, 0), hashes); err != nil {
			t.Fatalf("ConfirmTOTP() = %v", err)
		}
		if has, err := db.UserHasMFA(ctx, f.userID); err != nil || !has {
			t.Errorf("UserHasMFA(confirmed) = %t, %v, want true", has, err)
		}
		st, err := db.MFAStatus(ctx, f.userID)
		if err != nil || st.TOTPPending || !st.TOTPConfirmedAt.Equal(f.now) || st.RecoveryCodesLeft != 10 {
			t.Errorf("MFAStatus(confirmed) = %+v, %v, want confirmed now with 10 recovery codes", st, err)
		}
		// The confirmed secret is never handed out again, and a second app
		// cannot replace it without removing it first.
		if _, err := db.PendingTOTPSecret(ctx, f.keys, f.userID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("PendingTOTPSecret(confirmed) = %v, want ErrNotFound", err)
		}
		if err := db.BeginTOTP(ctx, cli, f.keys, f.userID, secret); !errors.Is(err, store.ErrConflict) {
			t.Errorf("BeginTOTP(already enrolled) = %v, want ErrConflict", err)
		}
		assertAudited(t, db, "mfa.totp_begin", "mfa.enrol")
		assertNoSecretInAudit(t, db, enc)
	})
}

func TestTOTPReplayRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newMFAFixture(t, db)
		secret, _ := f.enrol(t)
		verify := func(code string) error { return db.VerifyTOTP(ctx, cli, f.keys, f.userID, code) }

		// The code that confirmed the enrolment is spent.
		if err := verify(f.code(secret, 0)); !errors.Is(err, store.ErrCodeRefused) {
			t.Errorf("VerifyTOTP(enrolment code again) = %v, want ErrCodeRefused", err)
		}
		// The next step's code (clock drift) works once; then it, and every
		// earlier step's code, is refused.
		if err := verify(f.code(secret, 1)); err != nil {
			t.Fatalf("VerifyTOTP(next step) = %v", err)
		}
		for _, d := range []int64{1, 0, -1} {
			if err := verify(f.code(secret, d)); !errors.Is(err, store.ErrCodeRefused) {
				t.Errorf("VerifyTOTP(step %+d after step +1 was used) = %v, want ErrCodeRefused", d, err)
			}
		}
		if err := verify("000000x"); !errors.Is(err, store.ErrCodeRefused) {
			t.Errorf("VerifyTOTP(junk) = %v, want ErrCodeRefused", err)
		}
		// A minute later a fresh code works, once.
		f.now = f.now.Add(time.Minute)
		if err := verify(f.code(secret, 0)); err != nil {
			t.Fatalf("VerifyTOTP(a minute later) = %v", err)
		}
		if err := verify(f.code(secret, 0)); !errors.Is(err, store.ErrCodeRefused) {
			t.Errorf("VerifyTOTP(same code twice) = %v, want ErrCodeRefused", err)
		}
		// Codes far from the clock are refused.
		f.now = f.now.Add(5 * time.Minute)
		if err := verify(f.code(secret, 3)); !errors.Is(err, store.ErrCodeRefused) {
			t.Errorf("VerifyTOTP(three steps ahead) = %v, want ErrCodeRefused", err)
		}

		// Requests racing with one code: exactly one passes.
		f.now = f.now.Add(time.Minute)
		code := f.code(secret, 0)
		var wg sync.WaitGroup
		var mu sync.Mutex
		passed, refused := 0, 0
		for range 8 {
			wg.Go(func() {
				err := verify(code)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					passed++
				case errors.Is(err, store.ErrCodeRefused):
					refused++
				default:
					t.Errorf("VerifyTOTP(concurrent) = %v", err)
				}
			})
		}
		wg.Wait()
		if passed != 1 || refused != 7 {
			t.Errorf("8 concurrent uses of one code: %d passed, %d refused, want 1 and 7", passed, refused)
		}
		assertAudited(t, db, "mfa.verify")

		// A user without an app has nothing to verify against.
		u, _ := db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: "no-mfa@example.org"}})
		if err := db.VerifyTOTP(ctx, cli, f.keys, u.ID, code); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("VerifyTOTP(no app) = %v, want ErrNotFound", err)
		}
	})
}

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newMFAFixture(t, db)
		secret, codes := f.enrol(t)
		left, err := db.UseRecoveryCode(ctx, cli, f.userID, codes[0])
		if err != nil || left != 9 {
			t.Fatalf("UseRecoveryCode() = %d, %v, want 9 left", left, err)
		}
		if _, err := db.UseRecoveryCode(ctx, cli, f.userID, codes[0]); !errors.Is(err, store.ErrCodeRefused) {
			t.Errorf("UseRecoveryCode(used) = %v, want ErrCodeRefused", err)
		}
		// Typed in capitals, with spaces for dashes, it is the same code.
		typed := strings.ToUpper(strings.ReplaceAll(codes[1], "-", " "))
		if left, err := db.UseRecoveryCode(ctx, cli, f.userID, typed); err != nil || left != 8 {
			t.Errorf("UseRecoveryCode(%q) = %d, %v, want 8 left", typed, left, err)
		}
		for _, bad := range []string{"", "nope", "0000-0000-0000"} {
			if _, err := db.UseRecoveryCode(ctx, cli, f.userID, bad); !errors.Is(err, store.ErrCodeRefused) {
				t.Errorf("UseRecoveryCode(%q) = %v, want ErrCodeRefused", bad, err)
			}
		}
		// Another user's code does not work for this one.
		other, _ := db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: "other@example.org"}})
		if _, err := db.UseRecoveryCode(ctx, cli, other.ID, codes[2]); !errors.Is(err, store.ErrCodeRefused) {
			t.Errorf("UseRecoveryCode(another user's code) = %v, want ErrCodeRefused", err)
		}
		// Regenerating invalidates every earlier code.
		fresh, hashes := recoveryCodes(t)
		if err := db.ReplaceRecoveryCodes(ctx, cli, f.userID, hashes); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UseRecoveryCode(ctx, cli, f.userID, codes[2]); !errors.Is(err, store.ErrCodeRefused) {
			t.Errorf("UseRecoveryCode(code from before regenerating) = %v, want ErrCodeRefused", err)
		}
		if left, err := db.UseRecoveryCode(ctx, cli, f.userID, fresh[9]); err != nil || left != 9 {
			t.Errorf("UseRecoveryCode(new code) = %d, %v, want 9 left", left, err)
		}
		raw, err := store.DumpTableForTest(ctx, db, "recovery_codes")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range fresh {
			n, _ := identity.NormalizeRecoveryCode(c)
			if bytes.Contains(raw, []byte(c)) || bytes.Contains(raw, []byte(n)) {
				t.Errorf("recovery_codes holds code %s in the clear", c)
			}
		}
		// VerifyCode takes either kind.
		if use, err := db.VerifyCode(ctx, cli, f.keys, f.userID, fresh[8]); err != nil || !use.Recovery || use.RecoveryLeft != 8 {
			t.Errorf("VerifyCode(recovery code) = %+v, %v, want a recovery code with 8 left", use, err)
		}
		if use, err := db.VerifyCode(ctx, cli, f.keys, f.userID, f.code(secret, 1)); err != nil || use.Recovery {
			t.Errorf("VerifyCode(app code) = %+v, %v, want the app's code accepted", use, err)
		}
		if _, err := db.VerifyCode(ctx, cli, f.keys, other.ID, f.code(secret, 1)); !errors.Is(err, store.ErrCodeRefused) {
			t.Errorf("VerifyCode(user without an app) = %v, want ErrCodeRefused", err)
		}
		assertAudited(t, db, "mfa.recovery_used", "mfa.recovery_regenerate")
	})
}

func TestRemoveAndResetMFA(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newMFAFixture(t, db)
		secret, codes := f.enrol(t)
		keysBefore, _ := db.DataKeyCounts(ctx)

		// Removal needs a good code.
		if err := db.RemoveTOTP(ctx, cli, f.keys, f.userID, "123", false); !errors.Is(err, store.ErrCodeRefused) {
			t.Fatalf("RemoveTOTP(bad code) = %v, want ErrCodeRefused", err)
		}
		// While MFA is required, the last second factor stays, and the
		// recovery code offered as proof is not spent.
		if err := db.RemoveTOTP(ctx, cli, f.keys, f.userID, codes[0], true); !errors.Is(err, identity.ErrLastSecondFactor) || !errors.Is(err, store.ErrConflict) {
			t.Fatalf("RemoveTOTP(required, last factor) = %v, want ErrLastSecondFactor", err)
		}
		if has, _ := db.UserHasMFA(ctx, f.userID); !has {
			t.Fatal("a refused RemoveTOTP removed the app")
		}
		if st, _ := db.MFAStatus(ctx, f.userID); st.RecoveryCodesLeft != 10 {
			t.Errorf("a refused RemoveTOTP spent a recovery code: %d left", st.RecoveryCodesLeft)
		}
		if err := db.RemoveTOTP(ctx, cli, f.keys, f.userID, f.code(secret, 1), false); err != nil {
			t.Fatalf("RemoveTOTP() = %v", err)
		}
		st, _ := db.MFAStatus(ctx, f.userID)
		if has, _ := db.UserHasMFA(ctx, f.userID); has || st.RecoveryCodesLeft != 0 || !st.TOTPConfirmedAt.IsZero() {
			t.Errorf("after RemoveTOTP: has MFA %t, status %+v, want nothing left", has, st)
		}
		// The data key that sealed the secret is gone with it.
		keysAfter, _ := db.DataKeyCounts(ctx)
		if keysAfter[f.keys.PrimaryID()] != keysBefore[f.keys.PrimaryID()]-1 {
			t.Errorf("data keys %v -> %v, want one fewer", keysBefore, keysAfter)
		}
		if err := db.RemoveTOTP(ctx, cli, f.keys, f.userID, f.code(secret, 1), false); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RemoveTOTP(none) = %v, want ErrNotFound", err)
		}

		// A reset clears everything and ends the user's sessions.
		f.enrol(t)
		if _, err := db.CreateSession(ctx, cli, "hash-of-a-session", identity.Session{UserID: f.userID, CSRF: "c", Idle: time.Hour}, time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := db.ResetMFA(ctx, cli, f.userID); err != nil {
			t.Fatalf("ResetMFA() = %v", err)
		}
		st, _ = db.MFAStatus(ctx, f.userID)
		if has, _ := db.UserHasMFA(ctx, f.userID); has || st.RecoveryCodesLeft != 0 || st.TOTPPending {
			t.Errorf("after ResetMFA: has MFA %t, status %+v", has, st)
		}
		if live, _ := db.ActiveSessions(ctx, f.userID); len(live) != 0 {
			t.Errorf("after ResetMFA %d sessions are live, want 0", len(live))
		}
		if err := db.ResetMFA(ctx, cli, 99999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ResetMFA(no such user) = %v, want ErrNotFound", err)
		}
		assertAudited(t, db, "mfa.remove", "mfa.reset")
		// Enrolling again after a reset works.
		f.now = f.now.Add(time.Minute)
		f.enrol(t)
	})
}

func assertAudited(t *testing.T, db *store.DB, actions ...string) {
	t.Helper()
	entries, err := db.AuditEntries(context.Background(), 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Action] = true
	}
	for _, a := range actions {
		if !seen[a] {
			t.Errorf("no %s entry in the audit log", a)
		}
	}
}

func assertNoSecretInAudit(t *testing.T, db *store.DB, secret string) {
	t.Helper()
	raw, err := store.DumpTableForTest(context.Background(), db, "audit_log")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bytes.ToUpper(raw), []byte(secret)) {
		t.Error("the audit log holds the TOTP secret")
	}
}
