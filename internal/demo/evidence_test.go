package demo

import (
	"context"
	"testing"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

func TestDemoEvidence(t *testing.T) {
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
	list, err := db.EvidenceList(ctx, org.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("evidence = %+v, %v", list, err)
	}
	for _, e := range list {
		if e.Kind != "file" {
			continue
		}
		if _, data, err := db.OpenEvidence(ctx, Actor, keys, org.ID, e.ID, 1); err != nil || len(data) == 0 {
			t.Errorf("open %q: %v", e.Title, err)
		}
	}
	as, err := db.Assessments(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	linked := 0
	for _, a := range as {
		sheet, err := db.AssessmentSheet(ctx, org.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range sheet.Responses {
			linked += len(r.EvidenceIDs)
		}
	}
	if linked < 5 {
		t.Errorf("%d evidence links in the assessments, want at least 5", linked)
	}
}
