package store_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestFactorsOf: the members page learns, for a page of users at once, who
// holds an authenticator app and how many passkeys; a pending enrolment is
// no factor.
func TestFactorsOf(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newMFAFixture(t, db)
		f.enrol(t)
		keyed, _ := passkeyUser(t, db, "kim@example.org")
		pending, _ := passkeyUser(t, db, "lee@example.org")
		none, _ := passkeyUser(t, db, "max@example.org")
		for i := range 2 {
			if _, err := db.AddPasskey(ctx, cli, store.Passkey{UserID: keyed.ID, CredentialID: []byte{byte(i + 1)}, PublicKey: []byte{1},
				AAGUID: bytes.Repeat([]byte{9}, 16), Name: "Key"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.BeginTOTP(ctx, cli, f.keys, pending.ID, bytes.Repeat([]byte{7}, 20)); err != nil {
			t.Fatal(err)
		}
		got, err := db.FactorsOf(ctx, []int64{f.userID, keyed.ID, pending.ID, none.ID})
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]store.Factors{f.userID: {TOTP: true}, keyed.ID: {Passkeys: 2}}
		for _, id := range []int64{f.userID, keyed.ID, pending.ID, none.ID} {
			if got[id] != want[id] {
				t.Errorf("FactorsOf()[%d] = %+v, want %+v", id, got[id], want[id])
			}
		}
		if !got[none.ID].None() || got[f.userID].None() {
			t.Errorf("None() = %v for a user without factors, %v for one with an app", got[none.ID].None(), got[f.userID].None())
		}
	})
}
