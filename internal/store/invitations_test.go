package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestMemberInvitations checks that an invitation makes no membership until
// its person accepts, and that its link can set up only the account that
// invitation (or an earlier one of the same organisation) made and nobody
// has used: never an account someone already has, and never one another
// organisation invited.
func TestMemberInvitations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		db.Now = func() time.Time { return now }
		a, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		b, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "harbor", Name: "Harbor", Kind: identity.KindBusinessAssociate})
		if err != nil {
			t.Fatal(err)
		}
		alice, err := db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: "alice@example.org", Name: "Alice"}, PasswordHash: "x", OrgID: a.ID, Role: identity.RoleOwner})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		invite := func(orgID int64, email string, role identity.Role) (identity.Invitation, error) {
			n++
			return db.InviteMember(ctx, cli, store.InviteMember{OrgID: orgID, Email: email, Name: "Given by inviter", Role: role,
				TokenHash: identity.HashSecret("secret-" + email + string(rune('a'+n))), TTL: time.Hour})
		}

		// An existing account: pending, not a member, cannot be set up.
		inv, err := invite(b.ID, "Alice@Example.org", identity.RoleViewer)
		if err != nil || inv.NewAccount || inv.UserID != alice.ID || inv.Email != "alice@example.org" {
			t.Fatalf("invite existing = %+v, %v", inv, err)
		}
		if _, err := db.Membership(ctx, b.ID, alice.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("membership before acceptance = %v, want ErrNotFound", err)
		}
		if err := db.SetUpInvitedAccount(ctx, cli, inv.ID, "new-hash"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("SetUpInvitedAccount(existing account) = %v, want ErrConflict", err)
		}
		if h, _ := db.PasswordHash(ctx, alice.ID); h != "x" {
			t.Errorf("Alice's password hash = %q, want it untouched", h)
		}
		if u, _ := db.User(ctx, alice.ID); u.Name != "Alice" {
			t.Errorf("Alice's name = %q, want it untouched by the inviter", u.Name)
		}
		// Someone else cannot answer it; Alice can, once.
		if _, err := db.AnswerInvitation(ctx, cli, alice.ID+1000, inv.ID, true); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AnswerInvitation(another user) = %v, want ErrNotFound", err)
		}
		if _, err := db.AnswerInvitation(ctx, cli, alice.ID, inv.ID, true); err != nil {
			t.Fatal(err)
		}
		if m, err := db.Membership(ctx, b.ID, alice.ID); err != nil || m.Role != identity.RoleViewer {
			t.Errorf("membership after acceptance = %+v, %v", m, err)
		}
		if _, err := db.AnswerInvitation(ctx, cli, alice.ID, inv.ID, true); !errors.Is(err, store.ErrConflict) {
			t.Errorf("answering twice = %v, want ErrConflict", err)
		}
		if _, err := invite(b.ID, "alice@example.org", identity.RoleOwner); !errors.Is(err, store.ErrConflict) {
			t.Errorf("inviting a member = %v, want ErrConflict", err)
		}

		// A new email: an account without a password, set up by the link.
		first, err := invite(a.ID, "new@example.org", identity.RoleContributor)
		if err != nil || !first.NewAccount {
			t.Fatalf("invite new = %+v, %v", first, err)
		}
		// Re-inviting replaces the first, still able to set up the account.
		again, err := invite(a.ID, "new@example.org", identity.RoleAuditor)
		if err != nil || !again.NewAccount {
			t.Fatalf("re-invite new = %+v, %v", again, err)
		}
		if _, err := db.AnswerInvitation(ctx, cli, first.UserID, first.ID, true); !errors.Is(err, store.ErrConflict) {
			t.Errorf("answering a replaced invitation = %v, want ErrConflict", err)
		}
		// Another organisation's invitation cannot set up the account Riverside made.
		other, err := invite(b.ID, "new@example.org", identity.RoleOwner)
		if err != nil || other.NewAccount {
			t.Fatalf("invite by another org = %+v, %v", other, err)
		}
		if err := db.SetUpInvitedAccount(ctx, cli, other.ID, "hijack"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("SetUpInvitedAccount(another org's invitation) = %v, want ErrConflict", err)
		}
		if err := db.SetUpInvitedAccount(ctx, cli, again.ID, "chosen"); err != nil {
			t.Fatalf("SetUpInvitedAccount = %v", err)
		}
		if m, err := db.Membership(ctx, a.ID, again.UserID); err != nil || m.Role != identity.RoleAuditor {
			t.Errorf("membership after set-up = %+v, %v", m, err)
		}
		if pending, _ := db.PendingInvitations(ctx, again.UserID); len(pending) != 1 || pending[0].OrgID != b.ID {
			t.Errorf("pending after set-up = %+v, want Harbor's only", pending)
		}
		// An expired invitation cannot be answered.
		now = now.Add(2 * time.Hour)
		if _, err := db.AnswerInvitation(ctx, cli, other.UserID, other.ID, true); !errors.Is(err, store.ErrConflict) {
			t.Errorf("answering an expired invitation = %v, want ErrConflict", err)
		}
		if pending, _ := db.OrgInvitations(ctx, b.ID); len(pending) != 0 {
			t.Errorf("Harbor's pending invitations after expiry = %+v", pending)
		}
		// Bad input changes nothing.
		if _, err := invite(a.ID, "not-an-email", identity.RoleViewer); err == nil {
			t.Error("inviting not-an-email succeeded")
		}
		if _, err := invite(a.ID, "x@example.org", "boss"); err == nil {
			t.Error("inviting with an unknown role succeeded")
		}
		if _, err := db.UserByEmail(ctx, "x@example.org"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused invitation made an account: %v", err)
		}
	})
}
