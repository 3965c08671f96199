package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The failover test's clusters, made by .ci/pg-standby.sh: a primary with a
// synchronous streaming standby.
const (
	failoverPrimary = "127.0.0.1:5441"
	failoverStandby = "127.0.0.1:5442"
	// failoverRecovery is how soon after the promotion writes must succeed
	// again, the replica reconnecting on its own: a hung primary holds the
	// write in flight until the store's write timeout (15s), and each new
	// connection tries it for connect_timeout (2s) first.
	failoverRecovery = 30 * time.Second
)

// standbyScript runs .ci/pg-standby.sh with one command.
func standbyScript(t *testing.T, cmd string) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "..", ".ci", "pg-standby.sh"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", script, cmd).CombinedOutput()
	if err != nil {
		t.Fatalf("pg-standby.sh %s: %v\n%s", cmd, err, out)
	}
}

// needStandbyTools skips the test where the clusters cannot be made (no
// Debian PostgreSQL tools, or not root), except in CI, where it fails.
func needStandbyTools(t *testing.T) {
	t.Helper()
	why := ""
	if _, err := exec.LookPath("pg_createcluster"); err != nil {
		why = "pg_createcluster is not installed"
	} else if os.Geteuid() != 0 {
		why = "making PostgreSQL clusters needs root"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s, and CI requires the failover test to run", why)
	}
	t.Skip(why)
}

// TestFailover points a replica at a primary and its synchronous standby
// with a multi-host URL, loses the primary in the middle of a burst of
// writes and promotes the standby. No acknowledged write may be lost, the
// audit log must stay whole, and the replica must take writes again on its
// own, without a restart. The primary is lost two ways: it crashes (an
// immediate stop: its connections are cut), or it hangs (its processes are
// stopped: connections stay open and nothing answers, as when a machine
// drops off the network).
func TestFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("makes two PostgreSQL clusters")
	}
	needStandbyTools(t)
	t.Run("crash", func(t *testing.T) { failover(t, "kill-primary") })
	// A hung primary leaves the replica's connections open with nothing
	// answering on them: the writer's statements must give up on their own
	// (the write timeout), not wait for the connection to fail.
	t.Run("hang", func(t *testing.T) { failover(t, "freeze-primary") })
}

func failover(t *testing.T, lose string) {
	const clients = 10
	standbyScript(t, "up") // nothing to do when .ci/run has made them
	// A promoted standby leaves no pair behind to use again: the next run
	// makes a new one.
	t.Cleanup(func() { standbyScript(t, "down") })

	buf := make([]byte, 4)
	rand.Read(buf)
	name := "sgfailover_" + hex.EncodeToString(buf)
	admin := openSQL(t, "postgres://postgres@"+failoverPrimary+"/postgres?sslmode=disable")
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	// The URL names both servers; pgx tries them in order and keeps the one
	// that takes writes, so the promoted standby is found without a change
	// of configuration.
	dsn := "postgres://postgres@" + failoverPrimary + "," + failoverStandby + "/" + name +
		"?sslmode=disable&target_session_attrs=read-write&connect_timeout=2"
	f := newClusterFixture(t, dsn, clients)
	r := startReplica(t, "a", "--data", f.replicaData(t, "a"), "--db", dsn)

	start := time.Now()
	load := startWriteLoad(f, r.URL, clients)
	time.Sleep(3 * time.Second)
	killAt := time.Now()
	standbyScript(t, lose)
	stopped := time.Now()
	standbyScript(t, "promote")
	promoted := time.Now()
	// Writes go on until they have succeeded again for a while, or until
	// the replica has had its time to recover.
	deadline := promoted.Add(failoverRecovery)
	for time.Now().Before(deadline) {
		if ok := load.firstOKAfter(promoted); !ok.IsZero() && time.Since(ok) > 3*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	load.halt()
	elapsed := time.Since(start)

	recovered := load.firstOKAfter(promoted)
	t.Logf("burst: %d clients for %v: %d requests, %d acknowledged writes", clients, elapsed.Round(time.Millisecond), load.requests.Load(), load.acked())
	t.Logf("primary lost (%s) in %v, standby promoted in %v; %d failed requests in all; failures %v",
		lose, stopped.Sub(killAt).Round(time.Millisecond), promoted.Sub(stopped).Round(time.Millisecond), len(load.failures), load.codes)
	if recovered.IsZero() {
		r.cmd.Process.Signal(syscall.SIGQUIT) // DEBUG
		<-r.done
		t.Fatalf("no write succeeded within %v of the promotion:\n%s", failoverRecovery, r.out)
	}
	t.Logf("recovery: first acknowledged write %v after the primary stopped, %v after the promotion; last failure %v after the promotion",
		recovered.Sub(killAt).Round(time.Millisecond), recovered.Sub(promoted).Round(time.Millisecond), load.lastFailure().Sub(promoted).Round(time.Millisecond))
	// Once the replica is back, it stays back: requests that failed
	// afterwards would mean connections that never heal.
	if last := load.lastFailure(); last.After(recovered.Add(2 * time.Second)) {
		t.Errorf("a request failed %v after writes had recovered: %v", last.Sub(recovered).Round(time.Millisecond), load.codes)
	}
	if code, body := httpGet(t, &http.Client{Timeout: 10 * time.Second}, r.URL+"/readyz"); code != 200 {
		t.Errorf("GET /readyz after the failover = %d %s", code, body)
	}

	db := openSQL(t, dsn) // reaches the promoted standby
	unacked := load.checkDurable(t, db, f)
	entries := checkAuditChain(t, db, f)
	t.Logf("database after the failover: every acknowledged write found, %d more stored whose answer was lost; audit log %d entries", unacked, entries)
	if strings.Contains(r.out.String(), "panic") {
		t.Errorf("the replica panicked:\n%s", r.out)
	}
}
