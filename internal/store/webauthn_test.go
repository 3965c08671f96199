package store_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// passkeyUser creates a user with a session, for the passkey tests.
func passkeyUser(t *testing.T, db *store.DB, email string) (identity.User, identity.Session) {
	t.Helper()
	ctx := context.Background()
	u, err := db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: email}, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.CreateSession(ctx, cli, identity.HashSecret(email), identity.Session{UserID: u.ID, CSRF: "c", Idle: time.Hour}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return u, s
}

// passkeyAuditActions lists the actions of the newest n audit entries, oldest first.
func passkeyAuditActions(t *testing.T, db *store.DB, n int) []string {
	t.Helper()
	es, err := db.AuditEntries(context.Background(), 0, n)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(es) - 1; i >= 0; i-- {
		out = append(out, es[i].Action)
	}
	return out
}

func passkeyLastAudit(t *testing.T, db *store.DB) audit.Entry {
	t.Helper()
	es, err := db.AuditEntries(context.Background(), 0, 1)
	if err != nil || len(es) == 0 {
		t.Fatalf("AuditEntries = %v, %v", es, err)
	}
	return es[0]
}

func TestPasskeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u, _ := passkeyUser(t, db, "kim@example.org")
		other, _ := passkeyUser(t, db, "lee@example.org")
		actor := store.Actor{Name: "user:1", Source: "127.0.0.1"}

		h1, err := db.PasskeyUserHandle(ctx, u.ID)
		if err != nil || len(h1) != 32 {
			t.Fatalf("PasskeyUserHandle = %x, %v, want 32 random bytes", h1, err)
		}
		if h2, err := db.PasskeyUserHandle(ctx, u.ID); err != nil || !bytes.Equal(h1, h2) {
			t.Errorf("PasskeyUserHandle again = %x, %v, want the same %x", h2, err, h1)
		}
		if h3, _ := db.PasskeyUserHandle(ctx, other.ID); bytes.Equal(h1, h3) {
			t.Error("two users share a user handle")
		}

		if ps, err := db.Passkeys(ctx, u.ID); err != nil || len(ps) != 0 {
			t.Fatalf("Passkeys of a new user = %v, %v, want none", ps, err)
		}
		in := store.Passkey{UserID: u.ID, CredentialID: []byte{1, 2, 3}, PublicKey: []byte{0xa5, 1, 2}, SignCount: 7,
			AAGUID: bytes.Repeat([]byte{9}, 16), Transports: []string{"internal", "hybrid"}, Flags: 0x45, AttestationFormat: "none", Name: "  Laptop "}
		p, err := db.AddPasskey(ctx, actor, in)
		if err != nil {
			t.Fatalf("AddPasskey = %v", err)
		}
		if p.ID == 0 || p.Name != "Laptop" || p.CreatedAt.IsZero() {
			t.Errorf("AddPasskey = %+v, want an ID, the trimmed name and a creation time", p)
		}
		if e := passkeyLastAudit(t, db); e.Action != "passkey.add" || e.Object != "passkey:"+strconv.FormatInt(p.ID, 10) || !strings.Contains(e.Summary, "Laptop") {
			t.Errorf("audit after AddPasskey = %+v", e)
		}
		ps, err := db.Passkeys(ctx, u.ID)
		if err != nil || len(ps) != 1 {
			t.Fatalf("Passkeys = %v, %v, want one", ps, err)
		}
		got := ps[0]
		if !bytes.Equal(got.CredentialID, in.CredentialID) || !bytes.Equal(got.PublicKey, in.PublicKey) || got.SignCount != 7 ||
			!bytes.Equal(got.AAGUID, in.AAGUID) || strings.Join(got.Transports, ",") != "internal,hybrid" || got.Flags != 0x45 ||
			got.AttestationFormat != "none" || !got.LastUsedAt.IsZero() {
			t.Errorf("Passkeys()[0] = %+v, want what was added", got)
		}

		// The same credential cannot be registered twice, by anyone.
		dup := in
		dup.UserID = other.ID
		if _, err := db.AddPasskey(ctx, actor, dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("AddPasskey(duplicate credential) = %v, want ErrConflict", err)
		}
		for _, bad := range []string{"", "   ", strings.Repeat("x", 65), "two\nlines", "tab\there", "\xff"} {
			b := in
			b.CredentialID, b.Name = []byte{7}, bad
			var verr validate.Error
			if _, err := db.AddPasskey(ctx, actor, b); !errors.As(err, &verr) || verr["name"] == "" {
				t.Errorf("AddPasskey(name %q) = %v, want a name problem", bad, err)
			}
		}

		// Rename: only the owner's, and validated.
		if err := db.RenamePasskey(ctx, actor, u.ID, p.ID, "Work laptop"); err != nil {
			t.Fatalf("RenamePasskey = %v", err)
		}
		if e := passkeyLastAudit(t, db); e.Action != "passkey.rename" || !strings.Contains(e.Summary, "Work laptop") {
			t.Errorf("audit after rename = %+v", e)
		}
		if err := db.RenamePasskey(ctx, actor, other.ID, p.ID, "Mine now"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RenamePasskey(another user's) = %v, want ErrNotFound", err)
		}
		if err := db.RenamePasskey(ctx, actor, u.ID, p.ID, ""); err == nil {
			t.Error("RenamePasskey(empty) = nil, want a name problem")
		}

		// Use: the counter must advance.
		used, err := db.RecordPasskeyUse(ctx, actor, u.ID, in.CredentialID, 8, 0x05)
		if err != nil || used.SignCount != 8 || used.LastUsedAt.IsZero() || used.Flags != 0x05 {
			t.Fatalf("RecordPasskeyUse(8) = %+v, %v", used, err)
		}
		if e := passkeyLastAudit(t, db); e.Action != "passkey.use" {
			t.Errorf("audit after use = %+v", e)
		}
		for _, count := range []uint32{8, 3, 0} {
			if _, err := db.RecordPasskeyUse(ctx, actor, u.ID, in.CredentialID, count, 0x05); !errors.Is(err, store.ErrCloneSuspected) {
				t.Errorf("RecordPasskeyUse(%d after 8) = %v, want ErrCloneSuspected", count, err)
			}
			if e := passkeyLastAudit(t, db); e.Action != "passkey.clone_suspected" || e.Object != "passkey:"+strconv.FormatInt(p.ID, 10) {
				t.Errorf("audit after a counter of %d = %+v, want passkey.clone_suspected", count, e)
			}
		}
		ps, _ = db.Passkeys(ctx, u.ID)
		if ps[0].SignCount != 8 {
			t.Errorf("after refused uses the counter is %d, want 8 unchanged", ps[0].SignCount)
		}
		if _, err := db.RecordPasskeyUse(ctx, actor, other.ID, in.CredentialID, 100, 0x05); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RecordPasskeyUse(another user's credential) = %v, want ErrNotFound", err)
		}

		// An authenticator without a counter reports 0 every time.
		zero := store.Passkey{UserID: u.ID, CredentialID: []byte{4, 5}, PublicKey: []byte{1}, Name: "Key"}
		z, err := db.AddPasskey(ctx, actor, zero)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := db.RecordPasskeyUse(ctx, actor, u.ID, zero.CredentialID, 0, 0x01); err != nil {
				t.Errorf("RecordPasskeyUse(0 after 0) = %v, want nil", err)
			}
		}

		// Remove: not someone else's; not the last one while MFA is required.
		if err := db.RemovePasskey(ctx, actor, other.ID, p.ID, false); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RemovePasskey(another user's) = %v, want ErrNotFound", err)
		}
		if err := db.RemovePasskey(ctx, actor, u.ID, z.ID, true); err != nil {
			t.Errorf("RemovePasskey(one of two, MFA required) = %v", err)
		}
		if e := passkeyLastAudit(t, db); e.Action != "passkey.remove" || !strings.Contains(e.Summary, "Key") {
			t.Errorf("audit after remove = %+v", e)
		}
		if err := db.RemovePasskey(ctx, actor, u.ID, p.ID, true); !errors.Is(err, identity.ErrLastSecondFactor) || !errors.Is(err, store.ErrConflict) {
			t.Errorf("RemovePasskey(the last, MFA required) = %v, want ErrLastSecondFactor", err)
		}
		if ps, _ := db.Passkeys(ctx, u.ID); len(ps) != 1 {
			t.Errorf("after a refused removal %d passkeys are left, want 1", len(ps))
		}
		if has, err := db.UserHasMFA(ctx, u.ID); err != nil || !has {
			t.Errorf("UserHasMFA with a passkey = %t, %v, want true", has, err)
		}
		if err := db.ReplaceRecoveryCodes(ctx, actor, u.ID, []string{"hash-one", "hash-two"}); err != nil {
			t.Fatal(err)
		}
		if err := db.RemovePasskey(ctx, actor, u.ID, p.ID, false); err != nil {
			t.Errorf("RemovePasskey(the last, MFA not required) = %v", err)
		}
		if has, err := db.UserHasMFA(ctx, u.ID); err != nil || has {
			t.Errorf("UserHasMFA with no passkey left = %t, %v, want false", has, err)
		}
		if st, err := db.MFAStatus(ctx, u.ID); err != nil || st.RecoveryCodesLeft != 0 {
			t.Errorf("recovery codes after the last factor went = %d, %v, want 0", st.RecoveryCodesLeft, err)
		}
		if ps, _ := db.Passkeys(ctx, u.ID); len(ps) != 0 {
			t.Errorf("Passkeys after removing all = %v", ps)
		}
	})
}

func TestCeremonies(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u, s := passkeyUser(t, db, "kim@example.org")
		_, s2 := passkeyUser(t, db, "lee@example.org")
		now := time.Now()
		db.Now = func() time.Time { return now }

		before := len(passkeyAuditActions(t, db, 1000))
		c, err := db.StartCeremony(ctx, store.Ceremony{SessionID: s.ID, UserID: u.ID, Kind: "register", Data: []byte(`{"a":1}`)}, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !c.ExpiresAt.Equal(c.CreatedAt.Add(5 * time.Minute)) {
			t.Errorf("ceremony %v..%v, want 5 minutes", c.CreatedAt, c.ExpiresAt)
		}
		// A second begin replaces the first.
		if _, err := db.StartCeremony(ctx, store.Ceremony{SessionID: s.ID, UserID: u.ID, Kind: "register", Data: []byte(`{"a":2}`)}, 5*time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := db.StartCeremony(ctx, store.Ceremony{SessionID: s.ID, UserID: u.ID, Kind: "bogus"}, time.Minute); err == nil {
			t.Error("StartCeremony(kind bogus) = nil, want an error")
		}
		// Another session, or another kind, or another user, finds nothing.
		if _, err := db.TakeCeremony(ctx, s2.ID, u.ID, "register"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakeCeremony(other session) = %v, want ErrNotFound", err)
		}
		if _, err := db.TakeCeremony(ctx, s.ID, u.ID+1, "register"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakeCeremony(other user) = %v, want ErrNotFound", err)
		}
		if _, err := db.TakeCeremony(ctx, s.ID, u.ID, "login"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakeCeremony(login) = %v, want ErrNotFound", err)
		}
		got, err := db.TakeCeremony(ctx, s.ID, u.ID, "register")
		if err != nil || string(got.Data) != `{"a":2}` || got.Expired(now) {
			t.Fatalf("TakeCeremony = %+v, %v, want the second ceremony, live", got, err)
		}
		// Single use.
		if _, err := db.TakeCeremony(ctx, s.ID, u.ID, "register"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakeCeremony again = %v, want ErrNotFound", err)
		}
		// Expiry is the caller's to check; the row is gone either way.
		if _, err := db.StartCeremony(ctx, store.Ceremony{SessionID: s.ID, UserID: u.ID, Kind: "login", Data: []byte(`{}`)}, 5*time.Minute); err != nil {
			t.Fatal(err)
		}
		got, err = db.TakeCeremony(ctx, s.ID, u.ID, "login")
		if err != nil || !got.Expired(now.Add(5*time.Minute)) || got.Expired(now.Add(4*time.Minute)) {
			t.Errorf("TakeCeremony(login) = %+v, %v; want one that expires after 5 minutes", got, err)
		}
		// Expired ceremonies of any session are cleared when another begins.
		if _, err := db.StartCeremony(ctx, store.Ceremony{SessionID: s2.ID, UserID: u.ID, Kind: "login", Data: []byte(`{}`)}, time.Minute); err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Minute)
		if _, err := db.StartCeremony(ctx, store.Ceremony{SessionID: s.ID, UserID: u.ID, Kind: "login", Data: []byte(`{}`)}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TakeCeremony(ctx, s2.ID, u.ID, "login"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakeCeremony(expired and swept) = %v, want ErrNotFound", err)
		}
		if after := len(passkeyAuditActions(t, db, 1000)); after != before {
			t.Errorf("ceremonies wrote %d audit entries, want none (they change no record)", after-before)
		}
	})
}
