package demo

import (
	"context"
	"testing"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// Riverside's inventory: about thirty assets and a dozen flows, with the
// unencrypted backup drive and the partly encrypted fax flow a newcomer
// should see on the map.
func TestDemoInventory(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	keys, err := crypt.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, db, identity.NewHasher(1, 64, 1, 4), keys); err != nil {
		t.Fatalf("Load = %v", err)
	}
	org, err := db.Org(ctx, "riverside")
	if err != nil {
		t.Fatal(err)
	}
	assets, _, err := db.Assets(ctx, org.ID, store.AssetFilter{}, store.Page{Limit: 100})
	if err != nil || len(assets) < 25 {
		t.Fatalf("assets = %d, %v", len(assets), err)
	}
	exposed, _, err := db.Assets(ctx, org.ID, store.AssetFilter{EPHIOnly: true, Unencrypted: true}, store.Page{Limit: 100})
	if err != nil || len(exposed) == 0 {
		t.Errorf("no asset holding ePHI without encryption: %v", err)
	}
	flows, _, err := db.Flows(ctx, org.ID, store.FlowFilter{}, store.Page{Limit: 100})
	if err != nil || len(flows) < 10 {
		t.Fatalf("flows = %d, %v", len(flows), err)
	}
	unencrypted, _, err := db.Flows(ctx, org.ID, store.FlowFilter{Unencrypted: true}, store.Page{Limit: 100})
	if err != nil || len(unencrypted) == 0 {
		t.Errorf("no flow marked as not encrypted: %v", err)
	}
}
