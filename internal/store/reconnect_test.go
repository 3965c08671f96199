package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// stallProxy forwards TCP connections to a server until stall is called;
// from then on every connection, open or new, stays open and carries
// nothing, as to a database server that hung or whose machine dropped off
// the network (the kernel still accepts, nobody answers).
type stallProxy struct {
	ln      net.Listener
	target  string
	stalled atomic.Bool
	closed  chan struct{}
	mu      sync.Mutex
	conns   []net.Conn
	wg      sync.WaitGroup
	opened  atomic.Int64
}

func startStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target, closed: make(chan struct{})}
	p.wg.Add(1)
	// The accept loop ends when close closes the listener.
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.serve(c)
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *stallProxy) Addr() string { return p.ln.Addr().String() }

func (p *stallProxy) stall() { p.stalled.Store(true) }

// serve forwards c to the target in both directions; each direction's
// goroutine ends when either side closes (close closes both).
func (p *stallProxy) serve(c net.Conn) {
	p.track(c)
	if p.stalled.Load() {
		return // held open by track until close
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.track(up)
	p.opened.Add(1)
	for _, pair := range [][2]net.Conn{{c, up}, {up, c}} {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.pipe(pair[1], pair[0])
		}()
	}
}

func (p *stallProxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, c)
}

// pipe copies src to dst until either fails, dropping what it reads once the
// proxy is stalled.
func (p *stallProxy) pipe(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.stalled.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *stallProxy) close() {
	select {
	case <-p.closed:
		return
	default:
		close(p.closed)
	}
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// openBesideHungServer opens PostgreSQL through a two-host URL, each host a
// stall proxy in front of the test server: the first (hung) one is stalled
// by the tests, the second (good) one answers. The store closes with the
// test.
func openBesideHungServer(t *testing.T, writeTimeout time.Duration) (db *store.DB, hung, good *stallProxy) {
	t.Helper()
	u, err := url.Parse(storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	hung, good = startStallProxy(t, u.Host), startStallProxy(t, u.Host)
	u.Host = hung.Addr() + "," + good.Addr()
	q := u.Query()
	q.Set("connect_timeout", "1")
	u.RawQuery = q.Encode()
	db, err = store.Open(context.Background(), u.String(), store.Options{WriteTimeout: writeTimeout, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, hung, good
}

// warmPool reads and writes from 16 goroutines at once, so that the pool
// holds several connections, and returns how many writes succeeded.
func warmPool(t *testing.T, db *store.DB, actor store.Actor) int64 {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	var wrote atomic.Int64
	for i := range 16 {
		wg.Go(func() {
			if _, err := db.AuditSize(ctx); err != nil {
				t.Error(err)
			}
			if err := db.AppendAudit(ctx, actor, audit.Entry{Action: "test.write", Object: fmt.Sprintf("before:%d", i)}); err != nil {
				t.Error(err)
				return
			}
			wrote.Add(1)
		})
	}
	wg.Wait()
	return wrote.Load()
}

// TestWriterSurvivesHungServer opens PostgreSQL through a multi-host URL
// whose first server then hangs with the pool's connections open. The
// writer must not wait on it forever: the write in flight fails at the
// write timeout, the pool's other connections to the hung server are
// dropped, and the next writes go to the server that answers, each at the
// first try.
func TestWriterSurvivesHungServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Long enough for a new connection to try both servers.
	const writeTimeout = 3 * time.Second
	db, hung, good := openBesideHungServer(t, writeTimeout)
	actor := store.Actor{Name: "user:1"}
	// Readers beside the writer leave the pool holding several connections,
	// all to the first server.
	var wrote atomic.Int64
	wrote.Add(warmPool(t, db, actor))
	if good.opened.Load() != 0 || hung.opened.Load() < 2 {
		t.Fatalf("before the hang: %d connections to the first server and %d to the second, want several and none", hung.opened.Load(), good.opened.Load())
	}

	hung.stall()
	t0 := time.Now()
	err := db.AppendAudit(ctx, actor, audit.Entry{Action: "test.write", Object: "during"})
	if took := time.Since(t0); err == nil || took > writeTimeout+2*time.Second {
		t.Fatalf("a write on a hung connection = %v after %v, want an error at the write timeout (%v)", err, took.Round(time.Millisecond), writeTimeout)
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Logf("the write on the hung connection failed with %v", err)
	}
	for i := range 5 {
		t0 := time.Now()
		if err := db.AppendAudit(ctx, actor, audit.Entry{Action: "test.write", Object: fmt.Sprintf("after:%d", i)}); err != nil {
			t.Fatalf("write %d after the hang = %v, want it to reach the second server", i, err)
		}
		wrote.Add(1)
		// A new connection costs the first server's connect timeout (1s)
		// before the second is tried.
		if took := time.Since(t0); took > 3*time.Second {
			t.Errorf("write %d after the hang took %v", i, took.Round(time.Millisecond))
		}
	}
	if good.opened.Load() == 0 {
		t.Error("no connection reached the second server")
	}
	// The write that timed out may have committed or not; everything
	// acknowledged is there, and the chain is whole.
	rep := verifyDB(t, db, audit.Keys{})
	if rep.Problem != nil || rep.Entries < wrote.Load() || rep.Entries > wrote.Load()+1 {
		t.Errorf("Verify = %d entries, %v; want %d (or one more) and no problem", rep.Entries, rep.Problem, wrote.Load())
	}
}

// TestWriterStatementsHonourWriteTimeout hangs the server in the middle of
// updates' transactions, between their own statements: those statements,
// not only the ones the writer issues itself (begin, audit append, commit),
// must give up at the write timeout, whether an update runs alone or shares
// its transaction with others, so that the writer is free again for the
// writes queued behind it.
func TestWriterStatementsHonourWriteTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const writeTimeout = 2 * time.Second
	db, hung, _ := openBesideHungServer(t, writeTimeout)
	user, err := db.CreateUser(ctx, store.Actor{Name: "test"}, store.NewUser{User: identity.User{Email: "hung@example.org", Name: "Hung"}})
	if err != nil {
		t.Fatal(err)
	}
	// Updates started together run as one group, or as a group of one
	// followed by a group of the rest; the first group's transaction is
	// under way on the first server when it hangs.
	const writers = 6
	took := make(chan time.Duration, writers)
	t0 := time.Now()
	for i := range writers {
		// Each goroutine ends when its update returns.
		go func() {
			n := store.Notification{UserID: user.ID, Kind: "test", Message: fmt.Sprintf("hung %d", i)}
			store.NotifyTwiceForTest(ctx, db, n, hung.stall)
			took <- time.Since(t0)
		}()
	}
	// The group on the hung server fails at the write timeout; the next
	// ones find the second server after one connect timeout.
	limit := 2*writeTimeout + 3*time.Second
	for range writers {
		select {
		case d := <-took:
			if d > limit {
				t.Errorf("an update on a hung server returned after %v, want within %v", d.Round(time.Millisecond), limit)
			}
		case <-time.After(3 * limit):
			// Closing the connections frees the writer, which db.Close
			// waits for.
			hung.close()
			t.Fatalf("updates on a hung server still waiting after %v: their statements ignore the write timeout", 3*limit)
		}
	}
}

// TestHungServerFreesReaders leaves a read waiting on a server that hung,
// with no deadline of its own (as a scheduled job's, or a request's whose
// client has gone): once the writer's transaction runs out of time there,
// the read fails too, instead of holding its connection and goroutine for
// as long as the connection stays open.
func TestHungServerFreesReaders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const writeTimeout = 2 * time.Second
	db, hung, _ := openBesideHungServer(t, writeTimeout)
	actor := store.Actor{Name: "user:1"}
	// Readers beside the writer leave the pool several idle connections to
	// the first server.
	warmPool(t, db, actor)

	hung.stall()
	read := make(chan error, 1)
	// The reader ends when its read returns.
	go func() {
		_, err := db.AuditSize(ctx)
		read <- err
	}()
	time.Sleep(200 * time.Millisecond) // the read waits on the hung server
	t0 := time.Now()
	if err := db.AppendAudit(ctx, actor, audit.Entry{Action: "test.write", Object: "during"}); err == nil {
		t.Fatal("a write on the hung server succeeded")
	}
	select {
	case err := <-read:
		if took := time.Since(t0); took > writeTimeout+2*time.Second {
			t.Errorf("the read on the hung server returned %v after %v, want soon after the write timeout (%v)", err, took.Round(time.Millisecond), writeTimeout)
		}
	case <-time.After(writeTimeout + 10*time.Second):
		hung.close() // frees the reader, which db.Close waits for
		t.Fatalf("a read on the hung server still waits %v after the writer's transaction there ran out of time", time.Since(t0).Round(time.Millisecond))
	}
	// Writes go on, on the second server.
	if err := db.AppendAudit(ctx, actor, audit.Entry{Action: "test.write", Object: "after"}); err != nil {
		t.Fatalf("write after the hang = %v", err)
	}
}
