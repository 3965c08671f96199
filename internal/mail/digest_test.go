package mail

import (
	"context"
	"crypto/tls"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestDigests sends digests through the loopback SMTP server, over
// STARTTLS: each member gets the kinds they chose at the frequency they
// chose, once per period, with names and links but no reason typed about an
// emergency.
func TestDigests(t *testing.T) {
	srv, pool := newSMTPServer(t, true)
	s, err := New(Config{URL: "smtp://" + srv.ln.Addr().String(), From: "Safeguard <sg@riverside.example>", BaseURL: "https://sg.riverside.example"})
	if err != nil {
		t.Fatal(err)
	}
	s.TLSConfig = &tls.Config{RootCAs: pool}
	db := storetest.SQLite(t)
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
	so := user("so@riverside.example", identity.RoleSecurityOfficer)
	contrib := user("priya@riverside.example", identity.RoleContributor)
	viewer := user("viewer@riverside.example", identity.RoleViewer)
	// Two tasks 120 and 119 days overdue, one owned by each of so and
	// contrib.
	if err := storetest.RiskOrg(ctx, db, actor, o.ID, []int64{so.ID, contrib.ID}, storetest.RiskSize{Assets: 3, Risks: 2, Tasks: 2}, nil); err != nil {
		t.Fatal(err)
	}
	// Emergency access used and ended, awaiting review.
	const reason = "Patient Jane Roe coding in room 4"
	e, err := db.StartEmergency(ctx, actor, identity.Emergency{OrgID: o.ID, OrgSlug: "riverside", UserID: viewer.ID, UserEmail: viewer.Email, Reason: reason, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EndEmergency(ctx, actor, o.ID, e.ID); err != nil {
		t.Fatal(err)
	}
	// priya wants her overdue tasks daily; so keeps the defaults (overdue
	// tasks weekly, emergency access daily).
	if err := db.SetDigestPrefs(ctx, actor, contrib.ID, store.DigestPrefs{store.ReminderTaskOverdue: store.Daily}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	now := time.Now().UTC()
	n, err := s.SendDigests(ctx, db, now, log)
	if err != nil || n != 3 {
		t.Fatalf("SendDigests() = %d, %v, want 3 (priya daily; so daily and weekly)", n, err)
	}
	msgs, rcpts := srv.received()
	got := append([]string(nil), rcpts...)
	sort.Strings(got)
	if want := "<priya@riverside.example> <so@riverside.example> <so@riverside.example>"; strings.Join(got, " ") != want {
		t.Errorf("recipients = %v, want %s", got, want)
	}
	var all strings.Builder
	for _, m := range msgs {
		all.WriteString(m)
		if strings.Contains(m, reason) || strings.Contains(m, "Jane Roe") {
			t.Errorf("a digest repeats the emergency's reason:\n%s", m)
		}
	}
	for _, want := range []string{"Subject: Safeguard: your daily summary (1 reminder)", "Subject: Safeguard: your weekly summary (1 reminder)",
		"“Task 00000”", "“Task 00001”", "https://sg.riverside.example/orgs/riverside/tasks/",
		"Emergency access used by viewer@riverside.example", "https://sg.riverside.example/orgs/riverside/emergency/",
		"https://sg.riverside.example/account#email"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("digests lack %q:\n%s", want, all.String())
		}
	}
	// Once per period.
	if n, err := s.SendDigests(ctx, db, now, log); err != nil || n != 0 {
		t.Errorf("SendDigests() again in the same period = %d, %v, want 0", n, err)
	}
	// The next day brings the daily digests again; priya has turned hers
	// off, so only so's daily (and a weekly one if a new week began).
	if err := db.SetDigestPrefs(ctx, actor, contrib.ID, store.DigestPrefs{store.ReminderTaskOverdue: store.Never}); err != nil {
		t.Fatal(err)
	}
	next := now.AddDate(0, 0, 1)
	want := 1
	if _, w1 := now.ISOWeek(); func() bool { _, w2 := next.ISOWeek(); return w1 != w2 }() {
		want = 2
	}
	if n, err := s.SendDigests(ctx, db, next, log); err != nil || n != want {
		t.Errorf("SendDigests() the next day = %d, %v, want %d", n, err, want)
	}
	_, rcpts = srv.received()
	for _, r := range rcpts[3:] {
		if r != "<so@riverside.example>" {
			t.Errorf("the next day mailed %s", r)
		}
	}
}

// TestDigestRetriedAfterFailure: a digest the server did not take is sent
// on the next run.
func TestDigestRetriedAfterFailure(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	actor := store.Actor{Name: "test"}
	o, _ := db.CreateOrg(ctx, actor, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
	u, err := db.CreateUser(ctx, actor, store.NewUser{User: identity.User{Email: "so@riverside.example"}, OrgID: o.ID, Role: identity.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	if err := storetest.RiskOrg(ctx, db, actor, o.ID, []int64{u.ID}, storetest.RiskSize{Assets: 2, Risks: 1, Tasks: 1}, nil); err != nil {
		t.Fatal(err)
	}
	srv, pool := newSMTPServer(t, true)
	s, err := New(Config{URL: "smtp://" + srv.ln.Addr().String(), From: "sg@riverside.example"})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	// Without trusting the test CA, STARTTLS fails and nothing is sent.
	if n, err := s.SendDigests(ctx, db, time.Now(), log); err == nil || n != 0 {
		t.Fatalf("SendDigests() with TLS failing = %d, %v, want an error", n, err)
	}
	s.TLSConfig = &tls.Config{RootCAs: pool}
	if n, err := s.SendDigests(ctx, db, time.Now(), log); err != nil || n != 1 {
		t.Fatalf("SendDigests() after the failure = %d, %v, want 1", n, err)
	}
}
