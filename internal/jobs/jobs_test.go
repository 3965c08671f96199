package jobs

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// dialects opens two handles on one database of each dialect, as two
// replicas (or two processes after a restart) would.
func dialects(t *testing.T) map[string]func(t *testing.T) func() *store.DB {
	return map[string]func(t *testing.T) func() *store.DB{
		"sqlite": func(t *testing.T) func() *store.DB {
			url := storetest.SQLiteURL(t)
			return func() *store.DB { return storetest.Open(t, url) }
		},
		"postgres": func(t *testing.T) func() *store.DB {
			url := storetest.PostgresURL(t)
			return func() *store.DB { return storetest.Open(t, url) }
		},
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func waitFor(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOnceAcrossRunners races two runners on two store handles for a job
// due once an hour: it runs once, and restarting both runners in the same
// hour does not run it again.
func TestOnceAcrossRunners(t *testing.T) {
	for name, open := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			handle := open(t)
			var runs atomic.Int64
			start := func(id string) *Runner {
				r := New(handle(), quiet())
				r.ID, r.Poll = id, 50*time.Millisecond
				if err := r.Register("tick", time.Hour, func(context.Context) error { runs.Add(1); return nil }); err != nil {
					t.Fatal(err)
				}
				if err := r.Start(ctx); err != nil {
					t.Fatal(err)
				}
				return r
			}
			a, b := start("a"), start("b")
			waitFor(t, "the first run", 20*time.Second, func() bool { return runs.Load() > 0 })
			time.Sleep(2 * time.Second)
			for _, r := range []*Runner{a, b} {
				if err := r.Stop(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if n := runs.Load(); n != 1 {
				t.Fatalf("runs of an hourly job with two runners = %d, want 1", n)
			}
			// A restart within the hour finds the run done.
			c := start("c")
			time.Sleep(6 * time.Second)
			if err := c.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if n := runs.Load(); n != 1 && time.Now().Truncate(time.Hour).Equal(time.Now().Add(-10*time.Second).Truncate(time.Hour)) {
				t.Fatalf("runs after a restart in the same hour = %d, want 1", n)
			}
		})
	}
}

// TestInterruptedRunIsRetried stops a runner while its job runs (the job's
// context is cancelled) and starts another, as after a restart: the run is
// tried again and finishes, once.
func TestInterruptedRunIsRetried(t *testing.T) {
	for name, open := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			handle := open(t)
			started := make(chan struct{}, 1)
			var finished, attempts atomic.Int64
			work := func(ctx context.Context) error {
				attempts.Add(1)
				select {
				case started <- struct{}{}:
				default:
				}
				if attempts.Load() == 1 {
					<-ctx.Done() // the first run is cut off
					return ctx.Err()
				}
				finished.Add(1)
				return nil
			}
			start := func(id string) *Runner {
				r := New(handle(), quiet())
				r.ID, r.Poll, r.Retry = id, 50*time.Millisecond, 200*time.Millisecond
				if err := r.Register("long_job", 24*time.Hour, work); err != nil {
					t.Fatal(err)
				}
				if err := r.Start(ctx); err != nil {
					t.Fatal(err)
				}
				return r
			}
			first := start("first")
			select {
			case <-started:
			case <-time.After(20 * time.Second):
				t.Fatal("the job did not start")
			}
			if err := first.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if finished.Load() != 0 {
				t.Fatal("the interrupted run finished")
			}
			second := start("second")
			defer second.Stop(ctx)
			waitFor(t, "the retried run", 30*time.Second, func() bool { return finished.Load() == 1 })
			time.Sleep(time.Second)
			if n := finished.Load(); n != 1 {
				t.Errorf("finished runs = %d, want 1", n)
			}
		})
	}
}

func TestRegisterRefuses(t *testing.T) {
	r := New(nil, quiet())
	for _, c := range []struct {
		name  string
		every time.Duration
	}{{"Bad Name", time.Hour}, {"fast", time.Millisecond}} {
		if err := r.Register(c.name, c.every, func(context.Context) error { return nil }); err == nil {
			t.Errorf("Register(%q, %s) = nil, want an error", c.name, c.every)
		}
	}
	if err := r.Register("ok", time.Hour, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("ok", time.Hour, func(context.Context) error { return nil }); err == nil {
		t.Error("registering a name twice: no error")
	}
}
