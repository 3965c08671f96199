package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestClaimJobOnce has replicas, each with its own connections to one
// database, claim the same job at once: exactly one gets it, and the job can
// be claimed again only once it has finished.
func TestClaimJobOnce(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		var dbs []*store.DB
		for range 3 {
			db, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			dbs = append(dbs, db)
		}
		claim := store.JobClaim{Kind: "test", Scope: "deployment", Total: 10, StartedBy: "a@example.org", StaleAfter: time.Minute,
			Audit: audit.Entry{Action: "test.start", Object: "test:1"}}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []store.Job
		for i := range 12 {
			wg.Go(func() {
				j, claimed, err := dbs[i%len(dbs)].ClaimJob(ctx, store.Actor{Name: "test"}, claim)
				if err != nil {
					t.Error(err)
					return
				}
				if claimed {
					mu.Lock()
					won = append(won, j)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(won) != 1 {
			t.Fatalf("claims won = %d, want 1", len(won))
		}
		j := won[0]
		if found, _, _ := dbs[0].AuditSearch(ctx, store.AuditFilter{Action: "test.start"}); len(found) != 1 {
			t.Errorf("start entries = %d, want 1", len(found))
		}
		if err := dbs[1].JobProgress(ctx, j.Kind, j.Scope, j.Run, 4); err != nil {
			t.Fatal(err)
		}
		if got, err := dbs[2].LatestJob(ctx, j.Kind, j.Scope, time.Minute); err != nil || got.Done != 4 || got.State != store.JobRunning {
			t.Errorf("LatestJob = %+v %v, want running at 4", got, err)
		}
		if err := dbs[0].FinishJob(ctx, store.Actor{Name: "test"}, j.Kind, j.Scope, j.Run, store.JobDone, 10, []byte(`{"ok":true}`),
			audit.Entry{Action: "test.end", Object: "test:1"}); err != nil {
			t.Fatal(err)
		}
		got, err := dbs[2].LatestJob(ctx, j.Kind, j.Scope, time.Minute)
		if err != nil || got.State != store.JobDone || string(got.Result) != `{"ok":true}` || got.FinishedAt.IsZero() {
			t.Errorf("LatestJob after finishing = %+v %v", got, err)
		}
		if err := dbs[0].JobProgress(ctx, j.Kind, j.Scope, j.Run, 5); !errors.Is(err, store.ErrConflict) {
			t.Errorf("progress after finishing = %v, want ErrConflict", err)
		}
		again, claimed, err := dbs[1].ClaimJob(ctx, store.Actor{Name: "test"}, claim)
		if err != nil || !claimed || again.Run != j.Run+1 {
			t.Errorf("claim after finishing = %+v %v %v, want the next run", again, claimed, err)
		}
		if _, err := dbs[0].LatestJob(ctx, "other", "deployment", time.Minute); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LatestJob of a job never run = %v, want ErrNotFound", err)
		}
	})
}
