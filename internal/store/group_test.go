package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestGroupCommitConcurrent writes 100,000 entries from 64 goroutines at
// once: the log has no gaps and verifies (no false alarm), and a failing
// update in a group fails alone.
func TestGroupCommitConcurrent(t *testing.T) {
	const writers = 64
	perWriter := 1580 // about 1 in 97 fails on purpose: just over 100,000 entries stay
	if testing.Short() {
		perWriter = 50
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errc := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					e := audit.Entry{Action: "test.write", Object: fmt.Sprintf("w%d-%d", w, i)}
					if i%97 == 5 {
						// An update that fails after writing must leave nothing.
						err := store.UpdateForTest(ctx, db, store.Actor{Name: "user:1"}, e, errors.New("refused"))
						if err == nil || err.Error() != "refused" {
							errc <- fmt.Errorf("failing update = %v", err)
							return
						}
					}
					if err := db.AppendAudit(ctx, store.Actor{Name: "user:1"}, e); err != nil {
						errc <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		n, err := db.AuditSize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(writers * perWriter); n != want {
			t.Fatalf("AuditSize = %d, want %d", n, want)
		}
		signer, _ := audit.NewSigner()
		if _, _, err := db.CheckpointAudit(ctx, signer); err != nil {
			t.Fatal(err)
		}
		rep := verifyDB(t, db, audit.Keys{signer.ID(): signer.Public()})
		if rep.Problem != nil || rep.Entries != n || rep.Checkpoints != 1 {
			t.Fatalf("Verify = %+v, %v", rep, rep.Problem)
		}
		seen := map[string]bool{}
		for r, err := range db.AuditRecords(ctx, 1, 0) {
			if err != nil {
				t.Fatal(err)
			}
			if seen[r.Object] {
				t.Fatalf("entry %s written twice", r.Object)
			}
			seen[r.Object] = true
		}
	})
}

const envCrashChild = "SAFEGUARD_TEST_CRASH_DSN"

// TestGroupCommitCrash kills a process in the middle of a write burst: every
// entry it acknowledged is in the log afterwards, and the log verifies.
func TestGroupCommitCrash(t *testing.T) {
	if dsn := os.Getenv(envCrashChild); dsn != "" {
		crashChild(dsn)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		db, err := store.Open(context.Background(), dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		cmd := exec.Command(os.Args[0], "-test.run=^TestGroupCommitCrash$")
		cmd.Env = append(os.Environ(), envCrashChild+"="+dsn)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := map[string]bool{}
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if obj, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				acked[obj] = true
			}
			if len(acked) == 3000 {
				cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		// Acknowledgements already in the pipe count too.
		for sc.Scan() {
			if obj, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				acked[obj] = true
			}
		}
		cmd.Wait()
		if len(acked) < 3000 {
			t.Fatalf("the child acknowledged only %d entries", len(acked))
		}
		db, err = store.Open(context.Background(), dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		found := 0
		for r, err := range db.AuditRecords(context.Background(), 1, 0) {
			if err != nil {
				t.Fatal(err)
			}
			if acked[r.Object] {
				found++
				delete(acked, r.Object)
			}
		}
		if len(acked) > 0 {
			t.Fatalf("%d acknowledged entries are missing after SIGKILL (%d found)", len(acked), found)
		}
		if rep := verifyDB(t, db, audit.Keys{}); rep.Problem != nil {
			t.Fatalf("Verify after SIGKILL: %v", rep.Problem)
		}
		t.Logf("%d acknowledged entries survived SIGKILL; log of %d verifies", found, verifyDB(t, db, audit.Keys{}).Entries)
	})
}

// crashChild writes from 32 goroutines until it is killed, printing each
// entry once its write has returned.
func crashChild(dsn string) {
	db, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var mu sync.Mutex
	for w := range 32 {
		go func() {
			for i := 0; ; i++ {
				obj := fmt.Sprintf("w%d-%d", w, i)
				if err := db.AppendAudit(context.Background(), store.Actor{Name: "user:1"}, audit.Entry{Action: "test.write", Object: obj}); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %s\n", obj)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Minute)
	os.Exit(4)
}

// TestAuditReplicas writes through two DB handles on one PostgreSQL database,
// as two server replicas would: the head row lock keeps the chain whole.
func TestAuditReplicas(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresURL(t)
	ctx := context.Background()
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	const writers, each = 16, 100
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := dbs[w%2]
			for i := range each {
				if err := db.AppendAudit(ctx, store.Actor{Name: "user:1"}, audit.Entry{Action: "test.write", Object: fmt.Sprintf("r%d-w%d-%d", w%2, w, i)}); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	rep := verifyDB(t, dbs[0], audit.Keys{})
	if rep.Problem != nil || rep.Entries != writers*each {
		t.Fatalf("Verify = %d entries, %v; want %d and no problem", rep.Entries, rep.Problem, writers*each)
	}
}

// TestAuditWritersMixed runs many concurrent writers of every kind at once
// on each engine: bare audit appends, changes with their entry, changes that
// fail after writing (in the same groups as the others), and appends from
// outside the group committer, which move the head behind the writer's back
// as another replica would. Afterwards every entry that succeeded is in the
// log exactly once, nothing that failed left a trace, and the chain has no
// gap or fork.
func TestAuditWritersMixed(t *testing.T) {
	const writers = 48
	each := 120
	if testing.Short() {
		each = 20
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		actor := store.Actor{Name: "user:1"}
		refused := errors.New("refused")
		var wg sync.WaitGroup
		errc := make(chan error, writers)
		var mu sync.Mutex
		want := map[string]bool{}
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					obj := fmt.Sprintf("w%d-%d", w, i)
					e := audit.Entry{Action: "test.write", Object: obj}
					var err error
					ok := true
					switch (w + i) % 4 {
					case 0:
						err = db.AppendAudit(ctx, actor, e)
					case 1:
						err = store.NoteForTest(ctx, db, actor, "key-"+obj, e, nil)
					case 2:
						ok = false
						if err = store.NoteForTest(ctx, db, actor, "key-"+obj, e, refused); errors.Is(err, refused) {
							err = nil
						} else if err == nil {
							err = fmt.Errorf("failing update %s succeeded", obj)
						}
					case 3:
						err = store.AppendOutsideForTest(ctx, db, actor, e)
					}
					if err != nil {
						errc <- fmt.Errorf("%s: %w", obj, err)
						return
					}
					if ok {
						mu.Lock()
						want[obj] = true
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		rep := verifyDB(t, db, audit.Keys{})
		if rep.Problem != nil || rep.Entries != int64(len(want)) {
			t.Fatalf("Verify = %d entries, %v; want %d and no problem", rep.Entries, rep.Problem, len(want))
		}
		for r, err := range db.AuditRecords(ctx, 1, 0) {
			if err != nil {
				t.Fatal(err)
			}
			if !want[r.Object] {
				t.Fatalf("entry %s is in the log twice, or should not be there", r.Object)
			}
			delete(want, r.Object)
		}
		if len(want) != 0 {
			t.Fatalf("%d entries missing", len(want))
		}
		keys, err := store.AuditKeyIDsForTest(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		for w := range writers {
			for i := range each {
				id := fmt.Sprintf("key-w%d-%d", w, i)
				switch (w + i) % 4 {
				case 1:
					if !keys[id] {
						t.Fatalf("the change of %s is missing", id)
					}
				case 2:
					if keys[id] {
						t.Fatalf("the change of failed update %s was kept", id)
					}
				}
			}
		}
		n, err := db.AuditSize(ctx)
		if err != nil || n != rep.Entries {
			t.Fatalf("AuditSize = %d, %v; want %d", n, err, rep.Entries)
		}
	})
}
