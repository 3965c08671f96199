package jobs

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestVerifyAuditNotifiesAdmins runs the scheduled verification without
// trusted keys, which fails it: the result is recorded where the verify
// page reads it, and each administrator is told.
func TestVerifyAuditNotifiesAdmins(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	admin, err := db.CreateUser(ctx, store.Actor{Name: "test"}, store.NewUser{User: identity.User{Email: "admin@example.org", Admin: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyAudit(ctx, db, nil, quiet()); err != nil {
		t.Fatal(err)
	}
	j, err := db.LatestJob(ctx, verifyKind, verifyScope, 0)
	if err != nil {
		t.Fatal(err)
	}
	var res verifyResult
	if err := json.Unmarshal(j.Result, &res); err != nil || res.Intact || res.Problem == "" {
		t.Errorf("recorded result = %s, %v, want not intact with the problem", j.Result, err)
	}
	page, _, err := db.NotificationPage(ctx, admin.ID, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].Kind != "audit_verify_failed" {
		t.Errorf("admin's notifications = %+v, want one audit_verify_failed", page)
	}
}
