package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestCatalogueCopyCache checks that decoded catalogue copies are shared but
// never stale: the cache is keyed by the stored text, so a row whose text
// differs (here changed behind the store's back, which no store method does)
// reads as what it holds, and an id reused after a deletion cannot inherit
// the old row's copy.
func TestCatalogueCopyCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
		a, err := db.CreateAssessment(ctx, cli, org.ID, newAssessment(t, "2026", now))
		if err != nil {
			t.Fatal(err)
		}
		b, err := db.CreateAssessment(ctx, cli, org.ID, newAssessment(t, "2026 bis", now))
		if err != nil {
			t.Fatal(err)
		}
		want := len(a.Entries)
		for range 2 { // the second pass reads from the cache
			as, err := db.Assessments(ctx, org.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range as {
				if len(x.Entries) != want {
					t.Fatalf("len(Assessments()[%d].Entries) = %d, want %d", x.ID, len(x.Entries), want)
				}
			}
		}
		// Appending to a copy handed out must not reach the cached one.
		got, err := db.Assessment(ctx, org.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		got.Entries = append(got.Entries, got.Entries[0])
		if again, _ := db.Assessment(ctx, org.ID, b.ID); len(again.Entries) != want {
			t.Fatalf("after an append by a caller, len(Entries) = %d, want %d", len(again.Entries), want)
		}

		short := `[{"citation":"164.308(a)(1)(i)","title":"Security management process","kind":"standard","requirement":"required","category":"administrative","standard":"164.308(a)(1)(i)"}]`
		if err := store.ExecForTest(ctx, db, `UPDATE assessments SET entries = '`+short+`' WHERE id = `+itoa(b.ID)); err != nil {
			t.Fatal(err)
		}
		got, err = db.Assessment(ctx, org.ID, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Entries) != 1 || got.Entries[0].Title != "Security management process" {
			t.Fatalf("Assessment(changed row).Entries = %v, want the one entry the row holds", got.Entries)
		}
		if got, _ := db.Assessment(ctx, org.ID, a.ID); len(got.Entries) != want {
			t.Fatalf("Assessment(unchanged row) has %d entries, want %d", len(got.Entries), want)
		}
	})
}
