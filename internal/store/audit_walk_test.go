package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// A dense date range at the newest end of the log is read by walking the
// log newest first instead of sorting the whole range from the at index:
// the same entries, page after page; a sparse or old range keeps the index.
func TestAuditDateRangeWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := store.BulkAuditForTest(ctx, db, 6000); err != nil {
			t.Fatal(err)
		}
		now := db.Now()
		dense := store.AuditFilter{From: now.Add(-time.Hour), Limit: 50}
		if walk, err := store.WalksDateRangeForTest(ctx, db, dense); err != nil || !walk {
			t.Fatalf("a dense recent range walks = %v, %v; want true", walk, err)
		}
		for _, f := range []store.AuditFilter{
			{From: now.Add(-time.Hour), Actor: "user:1", Limit: 50},             // served by the actor index
			{From: now.Add(-2 * time.Hour), To: now.Add(-time.Hour), Limit: 50}, // nothing in it
		} {
			if walk, err := store.WalksDateRangeForTest(ctx, db, f); err != nil || walk {
				t.Errorf("WalksDateRange(%+v) = %v, %v; want false", f, walk, err)
			}
		}
		// Entries written back-dated after the recent ones (as an import of
		// old records, or the demo, does) put the newest by seq outside the
		// range: the walk would pass them all, so the index is read.
		realNow := db.Now
		db.Now = func() time.Time { return now.AddDate(-1, 0, 0) }
		if err := store.BulkAuditForTest(ctx, db, 300); err != nil {
			t.Fatal(err)
		}
		db.Now = realNow
		if walk, err := store.WalksDateRangeForTest(ctx, db, dense); err != nil || walk {
			t.Errorf("a range behind back-dated entries walks = %v, %v; want false", walk, err)
		}
		// Page through both plans: the same entries in the same order.
		got, _, err := db.AuditSearch(ctx, dense)
		if err != nil || len(got) != 50 || got[0].At.Before(now.Add(-time.Hour)) {
			t.Fatalf("search behind back-dated entries = %d entries, %v", len(got), err)
		}
		if err := store.BulkAuditForTest(ctx, db, 300); err != nil {
			t.Fatal(err)
		}
		if walk, err := store.WalksDateRangeForTest(ctx, db, dense); err != nil || !walk {
			t.Fatalf("a dense recent range walks = %v, %v; want true again", walk, err)
		}
		// Page through both plans: the same entries in the same order.
		f := dense
		for page := 0; page < 4; page++ {
			got, more, err := db.AuditSearch(ctx, f)
			if err != nil || !more || len(got) != 50 {
				t.Fatalf("page %d: %d entries, more %v, %v", page, len(got), more, err)
			}
			var seqs []int64
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			want, err := store.AuditSearchAtIndexForTest(ctx, db, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) > 50 {
				want = want[:50]
			}
			if !slices.Equal(seqs, want) {
				t.Fatalf("page %d: walk %v, at index %v", page, seqs[:3], want[:3])
			}
			f.Before = seqs[len(seqs)-1]
		}
	})
}
