package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestRemindersOncePerPeriod computes the reminders of an organisation with
// overdue tasks, no finalised assessment and unreviewed emergency access,
// records them as notifications, and records nothing more when run again.
// Reminders never reach the mail outbox one by one.
func TestRemindersOncePerPeriod(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		actor := store.Actor{Name: "test"}
		o, err := db.CreateOrg(ctx, actor, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		user := func(email string, role identity.Role) identity.User {
			u, err := db.CreateUser(ctx, actor, store.NewUser{User: identity.User{Email: email}, OrgID: o.ID, Role: role})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		so := user("so@example.org", identity.RoleSecurityOfficer)
		owner := user("owner@example.org", identity.RoleOwner)
		viewer := user("viewer@example.org", identity.RoleViewer)
		if err := storetest.RiskOrg(ctx, db, actor, o.ID, []int64{so.ID, owner.ID}, storetest.RiskSize{Assets: 3, Risks: 2, Tasks: 2}, nil); err != nil {
			t.Fatal(err)
		}
		e, err := db.StartEmergency(ctx, actor, identity.Emergency{OrgID: o.ID, OrgSlug: "riverside", UserID: viewer.ID, UserEmail: viewer.Email, Reason: "Restoring the EHR after an outage", Duration: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.EndEmergency(ctx, actor, o.ID, e.ID); err != nil {
			t.Fatal(err)
		}
		outboxBefore, err := db.Outbox(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		rs, err := db.Reminders(ctx, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[int64]map[store.ReminderKind]int{}
		for _, r := range rs {
			if kinds[r.UserID] == nil {
				kinds[r.UserID] = map[store.ReminderKind]int{}
			}
			kinds[r.UserID][r.Kind]++
		}
		if got := kinds[so.ID]; got[store.ReminderTaskOverdue] != 1 || got[store.ReminderEmergencyUnreviewed] != 1 || got[store.ReminderAssessmentDue] != 1 || got[store.ReminderAnalysisDue] != 1 {
			t.Errorf("security officer's reminders = %v, want an overdue task, the emergency, the assessment and the analysis", got)
		}
		if got := kinds[owner.ID]; got[store.ReminderTaskOverdue] != 1 || got[store.ReminderEmergencyUnreviewed] != 0 || got[store.ReminderAssessmentDue] != 1 {
			t.Errorf("owner's reminders = %v, want an overdue task and the assessment, no emergency (officers only)", got)
		}
		if got := kinds[viewer.ID]; len(got) != 0 {
			t.Errorf("viewer's reminders = %v, want none", got)
		}
		n, err := db.SendReminders(ctx, rs)
		if err != nil || n != len(rs) {
			t.Fatalf("SendReminders() = %d, %v, want %d", n, err, len(rs))
		}
		again, err := db.Reminders(ctx, now.Add(time.Hour), nil)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := db.SendReminders(ctx, again); err != nil || n != 0 {
			t.Errorf("SendReminders() an hour later = %d, %v, want 0", n, err)
		}
		page, _, err := db.NotificationPage(ctx, so.ID, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var reminders int
		for _, p := range page {
			if store.ReminderKind(p.Kind).Valid() {
				reminders++
			}
		}
		if reminders != kinds[so.ID][store.ReminderTaskOverdue]+3 {
			t.Errorf("security officer's reminder notifications = %d, want 4", reminders)
		}
		outbox, err := db.Outbox(ctx, 100)
		if err != nil || len(outbox) != len(outboxBefore) {
			t.Errorf("outbox after reminders = %d items, %v, want %d: reminders go by digest only", len(outbox), err, len(outboxBefore))
		}
	})
}

// TestRemindersInTheOrganisationsDay: a task due on 5 December is due
// today, not overdue, where it is still 5 December, and overdue where the
// 6th has begun.
func TestRemindersInTheOrganisationsDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		actor := store.Actor{Name: "test"}
		// 20:00 UTC on 5 December: 12:00 on the 5th in Los Angeles, 09:00
		// on the 6th in Auckland.
		now := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
		due := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
		kinds := map[string]map[store.ReminderKind]int{}
		for _, zone := range []string{"America/Los_Angeles", "UTC", "Pacific/Auckland"} {
			slug := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(zone))
			o, err := db.CreateOrg(ctx, actor, identity.Org{Slug: slug, Name: zone, Kind: identity.KindProvider})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.SetOrgTimeZone(ctx, actor, o.ID, zone); err != nil {
				t.Fatal(err)
			}
			u, err := db.CreateUser(ctx, actor, store.NewUser{User: identity.User{Email: "so@" + slug + ".example"}, OrgID: o.ID, Role: identity.RoleSecurityOfficer})
			if err != nil {
				t.Fatal(err)
			}
			if err := storetest.RiskOrg(ctx, db, actor, o.ID, []int64{u.ID}, storetest.RiskSize{Assets: 1, Risks: 1}, nil); err != nil {
				t.Fatal(err)
			}
			risks, _, err := db.Risks(ctx, o.ID, store.RiskFilter{}, store.Page{})
			if err != nil || len(risks) == 0 {
				t.Fatalf("risks: %v %v", risks, err)
			}
			if _, err := db.CreateTask(ctx, actor, o.ID, risk.Task{RiskID: risks[0].ID, Title: "Rotate the backup keys", OwnerID: u.ID, Due: due}); err != nil {
				t.Fatal(err)
			}
			kinds[zone] = map[store.ReminderKind]int{}
		}
		rs, err := db.Reminders(ctx, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Kind == store.ReminderTaskDueSoon || r.Kind == store.ReminderTaskOverdue {
				kinds[r.OrgName][r.Kind]++
			}
		}
		want := map[string]store.ReminderKind{"America/Los_Angeles": store.ReminderTaskDueSoon, "UTC": store.ReminderTaskDueSoon, "Pacific/Auckland": store.ReminderTaskOverdue}
		for zone, k := range want {
			if kinds[zone][k] != 1 || len(kinds[zone]) != 1 {
				t.Errorf("%s: task reminders %v, want one %s", zone, kinds[zone], k)
			}
		}
	})
}
