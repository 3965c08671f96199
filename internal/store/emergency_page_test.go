package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestEmergencyPage walks an organisation's emergency access a few records
// at a time: every record once, newest first, whatever is added meanwhile;
// one member's only, or those awaiting review only, when asked; never
// another organisation's.
func TestEmergencyPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		actor := store.Actor{Name: "test"}
		org, err := db.CreateOrg(ctx, actor, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateOrg(ctx, actor, identity.Org{Slug: "harbor", Name: "Harbor", Kind: identity.KindBusinessAssociate})
		if err != nil {
			t.Fatal(err)
		}
		users := map[string]int64{}
		for _, email := range []string{"ana@example.org", "ben@example.org", "sam@example.org"} {
			u, err := db.CreateUser(ctx, actor, store.NewUser{User: identity.User{Email: email, Name: email}, OrgID: org.ID, Role: identity.RoleViewer})
			if err != nil {
				t.Fatal(err)
			}
			users[email] = u.ID
		}
		if err := db.SetMember(ctx, actor, other.ID, users["ana@example.org"], identity.RoleViewer); err != nil {
			t.Fatal(err)
		}
		use := func(orgID int64, email string) int64 {
			t.Helper()
			e, err := db.StartEmergency(ctx, actor, identity.Emergency{OrgID: orgID, UserID: users[email],
				Reason: "The EHR is down and the contingency contacts are needed now", Duration: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.EndEmergency(ctx, actor, orgID, e.ID); err != nil {
				t.Fatal(err)
			}
			return e.ID
		}
		var all, ana []int64
		for i := range 7 {
			email := "ben@example.org"
			if i%2 == 0 {
				email = "ana@example.org"
			}
			id := use(org.ID, email)
			all = append(all, id)
			if email == "ana@example.org" {
				ana = append(ana, id)
			}
			use(other.ID, "ana@example.org")
		}
		if err := db.ReviewEmergency(ctx, actor, org.ID, all[1], users["sam@example.org"], "Checked every record opened"); err != nil {
			t.Fatal(err)
		}
		slices.Reverse(all)
		slices.Reverse(ana)

		walk := func(q store.EmergencyQuery, limit int, between func()) []int64 {
			t.Helper()
			var got []int64
			p := store.Page{Limit: limit}
			for range 20 {
				list, next, err := db.EmergencyPage(ctx, org.ID, q, p)
				if err != nil {
					t.Fatal(err)
				}
				if len(list) > limit {
					t.Fatalf("a page of %d records, want at most %d", len(list), limit)
				}
				for _, e := range list {
					if e.OrgID != org.ID {
						t.Fatalf("record %d of org %d in org %d's list", e.ID, e.OrgID, org.ID)
					}
					got = append(got, e.ID)
				}
				if next == nil {
					return got
				}
				if between != nil {
					between()
					between = nil
				}
				p.After = *next
			}
			t.Fatal("the walk did not end")
			return nil
		}
		// A record added while paging is newer than the cursor: it belongs on
		// the first page, so the walk neither repeats nor loses anything.
		if got := walk(store.EmergencyQuery{}, 3, func() { use(org.ID, "sam@example.org") }); !slices.Equal(got, all) {
			t.Errorf("everyone's, 3 at a time = %v, want %v", got, all)
		}
		if got := walk(store.EmergencyQuery{UserID: users["ana@example.org"]}, 2, nil); !slices.Equal(got, ana) {
			t.Errorf("Ana's, 2 at a time = %v, want %v", got, ana)
		}
		got := walk(store.EmergencyQuery{Unreviewed: true}, 4, nil)
		if slices.Contains(got, all[len(all)-2]) || len(got) != len(all) {
			t.Errorf("awaiting review = %v, want all but the reviewed %d, plus the one added while paging", got, all[len(all)-2])
		}
	})
}

// TestNotificationPage walks a user's notifications a few at a time: every
// one once, newest first, and never another user's.
func TestNotificationPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		actor := store.Actor{Name: "test"}
		var ids []int64
		u, err := db.CreateUser(ctx, actor, store.NewUser{User: identity.User{Email: "ana@example.org", Name: "Ana"}})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateUser(ctx, actor, store.NewUser{User: identity.User{Email: "ben@example.org", Name: "Ben"}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			for _, to := range []int64{u.ID, other.ID} {
				if err := store.NotifyForTest(ctx, db, store.Notification{UserID: to, Kind: "test", Message: fmt.Sprintf("note %d", i)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		p := store.Page{Limit: 2}
		for range 10 {
			list, next, err := db.NotificationPage(ctx, u.ID, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range list {
				if n.UserID != u.ID {
					t.Fatalf("notification %d of user %d in user %d's list", n.ID, n.UserID, u.ID)
				}
				ids = append(ids, n.ID)
			}
			if next == nil {
				break
			}
			p.After = *next
		}
		if len(ids) != 5 || !slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) }) {
			t.Errorf("walked notifications %v, want 5, newest first", ids)
		}
	})
}
