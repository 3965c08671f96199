package demo

import (
	"context"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// Riverside has last year's analysis signed off, this year's in progress
// from it, and a new analysis due.
func TestDemoAnalyses(t *testing.T) {
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
	list, _, err := db.Analyses(ctx, org.ID, store.Page{})
	if err != nil || len(list) != 2 {
		t.Fatalf("analyses = %+v, %v, want two", list, err)
	}
	this, last := list[0], list[1]
	if this.Status != risk.AnalysisDraft || this.CopiedFrom != last.ID || this.Scope != last.Scope {
		t.Errorf("this year's = %+v, want a draft from last year's", this.Analysis)
	}
	full, err := db.Analysis(ctx, org.ID, last.ID)
	if err != nil || full.Status != risk.AnalysisFinal || full.Snapshot == nil || len(full.Snapshot.Assets) < 25 {
		t.Fatalf("last year's = %+v, %v, want signed off with the inventory", full.Analysis, err)
	}
	if time.Since(full.FinalisedAt) < 365*24*time.Hour || full.FinalisedBy != sam {
		t.Errorf("last year's was signed off on %v by %q, want over a year ago by Sam", full.FinalisedAt, full.FinalisedBy)
	}
	due, err := db.AnalysisDue(ctx, org.ID, time.Now(), false)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, tr := range due.Triggers {
		kinds[tr.Kind] = true
	}
	if !kinds["annual"] || !kinds["new_system"] {
		t.Errorf("due = %+v, want the year passed and the new tablet", due.Triggers)
	}
}
