package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// The replica tests (issue 15) run each Safeguard replica as an operating
// system process of its own, so that killing one (SIGKILL) is as abrupt as a
// crashed machine: no deferred close, no last checkpoint, connections cut.
// The process is this test binary run again (os.Args[0]) with only
// TestReplicaProcess selected, which runs Main with the arguments passed in
// the environment; that costs no second build of the binary.

// envReplicaArgs carries a replica's command line, as JSON, to the child.
const envReplicaArgs = "SAFEGUARD_TEST_REPLICA_ARGS"

// TestReplicaProcess is not a test: it is the body of a replica process
// started by startReplica, and skips when run any other way.
func TestReplicaProcess(t *testing.T) {
	raw := os.Getenv(envReplicaArgs)
	if raw == "" {
		t.Skip("runs only as a replica process started by the replica tests")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", envReplicaArgs, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	m.Hasher = identity.NewHasher(1, 64, 1, 4) // sign-ins stay cheap on a shared machine
	code := m.Run(ctx, args)
	stop()
	os.Exit(code)
}

// replica is a `safeguard serve` process started by a test.
type replica struct {
	name string
	URL  string
	args []string
	cmd  *exec.Cmd
	out  *lockedBuffer // its standard output and error
	done chan struct{} // closed when the process has exited
}

// startReplica runs `safeguard serve --addr 127.0.0.1:0 args...` as a process
// and returns once it listens. The process is stopped (SIGTERM, then SIGKILL)
// when the test ends.
func startReplica(t *testing.T, name string, args ...string) *replica {
	t.Helper()
	full := append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "warn"}, args...)
	raw, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{name: name, args: args, out: &lockedBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(os.Args[0], "-test.run=^TestReplicaProcess$", "-test.count=1")
	r.cmd.Env = append(os.Environ(), envReplicaArgs+"="+string(raw))
	r.cmd.Stderr = r.out
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start replica %s: %v", name, err)
	}
	listening := make(chan string, 1)
	// The reader ends when the process closes its standard output, which
	// it does when it exits.
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(r.out, line)
			if _, after, ok := strings.Cut(line, " is serving "); ok {
				select {
				case listening <- strings.TrimSuffix(strings.TrimSpace(after), "/"):
				default:
				}
			}
		}
		r.cmd.Wait()
		close(r.done)
	}()
	select {
	case r.URL = <-listening:
	case <-r.done:
		t.Fatalf("replica %s exited before listening:\n%s", name, r.out)
	case <-time.After(60 * time.Second):
		r.cmd.Process.Kill()
		t.Fatalf("replica %s did not listen within 60s:\n%s", name, r.out)
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// kill ends the process at once, as a crash would.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("kill replica %s: %v", r.name, err)
	}
	<-r.done
}

// stop asks the process to shut down and waits for it, killing it if it
// takes longer than the shutdown allows.
func (r *replica) stop(t *testing.T) {
	select {
	case <-r.done:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Logf("replica %s did not stop within 20s; killing it", r.name)
		r.cmd.Process.Kill()
		<-r.done
	}
}

// balancer is a small round-robin load balancer on loopback, as an operator
// would put in front of the replicas: a backend that refuses connections is
// taken out for a few seconds, and a request that never reached it goes to
// the next one (nothing was sent, so nothing can happen twice). A request
// that reached a backend that then died is answered 502, not retried.
type balancer struct {
	mu       sync.Mutex
	backends []*url.URL
	downTill []time.Time
	next     int
	served   []atomic.Int64
	proxy    *httputil.ReverseProxy
	srv      *httptest.Server
}

func startBalancer(t *testing.T, backends ...string) *balancer {
	t.Helper()
	b := &balancer{served: make([]atomic.Int64, len(backends)), downTill: make([]time.Time, len(backends))}
	for _, s := range backends {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		b.backends = append(b.backends, u)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext}
	b.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
		},
		Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) { return b.roundTrip(tr, req) }),
		ErrorLog:  nil,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "bad gateway: "+err.Error(), http.StatusBadGateway)
		},
	}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Keep the body so that a request refused at dial goes elsewhere
		// whole.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		b.proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// pick returns the next backend that is not taken out.
func (b *balancer) pick(skip []int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	for range b.backends {
		i := b.next % len(b.backends)
		b.next++
		if now.Before(b.downTill[i]) || slices.Contains(skip, i) {
			continue
		}
		return i
	}
	return -1
}

func (b *balancer) markDown(i int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.downTill[i] = time.Now().Add(3 * time.Second)
}

func (b *balancer) roundTrip(tr http.RoundTripper, req *http.Request) (*http.Response, error) {
	var tried []int
	for {
		i := b.pick(tried)
		if i < 0 {
			return nil, errors.New("no backend is up")
		}
		tried = append(tried, i)
		out := req.Clone(req.Context())
		out.URL.Scheme, out.URL.Host = b.backends[i].Scheme, b.backends[i].Host
		if req.GetBody != nil {
			body, _ := req.GetBody()
			out.Body = body
		}
		resp, err := tr.RoundTrip(out)
		var op *net.OpError
		if err != nil && errors.As(err, &op) && op.Op == "dial" {
			b.markDown(i)
			continue
		}
		if err == nil {
			b.served[i].Add(1)
		}
		return resp, err
	}
}

// clusterFixture is a deployment on one PostgreSQL database: a data folder
// made by init (the keys every replica shares), an organisation with an
// assessment, its owner and an auditor.
type clusterFixture struct {
	dsn, base string
	slug      string
	email     string // an auditor, who signs in
	password  string
	token     string // the owner's write token for the organisation
	assessID  int64
	citations []string // responses the load saves, one per client
}

// newClusterFixture initialises the deployment on dsn and prepares what the
// load needs; the assessment is made through a server on the data folder,
// stopped before the function returns.
func newClusterFixture(t *testing.T, dsn string, clients int) *clusterFixture {
	t.Helper()
	f := &clusterFixture{dsn: dsn, base: filepath.Join(t.TempDir(), "base"), slug: "riverside",
		email: "auditor@example.org", password: "a-long-enough-passphrase"}
	inst := []string{"--data", f.base, "--db", dsn}
	cli := func(stdin string, args ...string) string {
		t.Helper()
		m, out, errb := testMain(nil)
		m.Stdin = strings.NewReader(stdin)
		if code := m.Run(context.Background(), append(args, inst...)); code != 0 {
			t.Fatalf("safeguard %s = %d: %s", strings.Join(args, " "), code, errb)
		}
		return out.String()
	}
	cli("", "init")
	cli("", "org", "add", "--slug", f.slug, "--name", "Riverside Clinic")
	cli("", "user", "add", "--email", "owner@example.org", "--org", f.slug, "--role", "owner")
	f.token = strings.TrimSpace(cli("", "token", "create", "--user", "owner@example.org", "--org", f.slug, "--scope", "write", "--name", "load"))
	// An auditor signs in with a password alone (an owner would owe a
	// second factor first), and may start a verification of the log.
	cli(f.password+"\n", "user", "add", "--email", f.email, "--org", f.slug, "--role", "auditor", "--password-stdin")

	s := startServer(t, nil, append([]string{"serve", "--addr", "127.0.0.1:0"}, inst...)...)
	api := &apiClient{base: s.URL, token: f.token, c: &http.Client{Timeout: 30 * time.Second}}
	var a struct {
		ID int64 `json:"id"`
	}
	if code, body := api.do("POST", "/api/v1/orgs/"+f.slug+"/assessments", `{"name":"Replicas","due_at":"2099-06-30"}`, &a); code != 201 {
		t.Fatalf("create assessment = %d %s", code, body)
	}
	f.assessID = a.ID
	var sheet struct {
		Entries []struct {
			Citation string `json:"citation"`
		} `json:"entries"`
	}
	path := fmt.Sprintf("/api/v1/orgs/%s/assessments/%d", f.slug, f.assessID)
	if code, body := api.do("GET", path, "", &sheet); code != 200 {
		t.Fatalf("read assessment = %d %s", code, body)
	}
	for _, e := range sheet.Entries {
		if len(f.citations) == clients {
			break
		}
		code, _ := api.do("PATCH", path+"/responses/"+url.PathEscape(e.Citation), `{"status":"partial","narrative":"setup"}`, nil)
		if code == 200 {
			f.citations = append(f.citations, e.Citation)
		}
	}
	if len(f.citations) < clients {
		t.Fatalf("only %d of the assessment's %d entries take a response, want %d", len(f.citations), len(sheet.Entries), clients)
	}
	if code := s.Stop(t); code != 0 {
		t.Fatalf("setup server stopped with %d:\n%s", code, s.Stderr)
	}
	s.done <- 0
	return f
}

// replicaData copies the base data folder for one replica: each replica has
// a folder of its own, holding the same keys.
func (f *clusterFixture) replicaData(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	// Modes are kept: Safeguard refuses a key file others may read.
	err := filepath.WalkDir(f.base, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(f.base, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), info.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// apiClient calls the JSON API with a bearer token or a session.
type apiClient struct {
	base   string
	token  string
	cookie string // Cookie header of a session
	csrf   string
	c      *http.Client
}

// do sends one request and decodes a 2xx JSON answer into out (when not
// nil). It returns the status (0 when no answer came) and the body or error.
func (a *apiClient) do(method, path, body string, out any) (int, string) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return 0, err.Error()
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if a.cookie != "" {
		req.Header.Set("Cookie", a.cookie)
	}
	if a.csrf != "" {
		req.Header.Set("X-CSRF-Token", a.csrf)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			return 0, fmt.Sprintf("decode %s: %v", b, err)
		}
	}
	return resp.StatusCode, string(b)
}

// writeLoad is a set of clients writing through the API until stopped: each
// creates assets and saves its own assessment response in turn, and keeps
// what was acknowledged (2xx) and when each request failed.
type writeLoad struct {
	mu       sync.Mutex
	assets   []string        // names of the assets acknowledged
	saves    map[string]bool // narratives acknowledged
	failures []time.Time     // when each failed request was answered
	codes    map[string]int  // failures by status or error
	okTimes  []time.Time     // when each acknowledged request was answered
	requests atomic.Int64
	stop     chan struct{}
	wg       sync.WaitGroup
}

func startWriteLoad(f *clusterFixture, base string, clients int) *writeLoad {
	l := &writeLoad{saves: map[string]bool{}, codes: map[string]int{}, stop: make(chan struct{})}
	for i := range clients {
		l.wg.Add(1)
		// Each client ends when stop is closed.
		go func() {
			defer l.wg.Done()
			api := &apiClient{base: base, token: f.token, c: &http.Client{Timeout: 15 * time.Second}}
			respPath := fmt.Sprintf("/api/v1/orgs/%s/assessments/%d/responses/%s", f.slug, f.assessID, url.PathEscape(f.citations[i]))
			for n := 0; ; n++ {
				select {
				case <-l.stop:
					return
				default:
				}
				key := fmt.Sprintf("load c%02d n%05d", i, n)
				var code int
				var body string
				if n%2 == 0 {
					code, body = api.do("POST", "/api/v1/orgs/"+f.slug+"/assets", fmt.Sprintf(`{"name":%q,"kind":"ehr"}`, key), nil)
				} else {
					code, body = api.do("PATCH", respPath, fmt.Sprintf(`{"status":"partial","narrative":%q}`, key), nil)
				}
				if !l.record(n%2 == 0, key, code, body) {
					// A client that fails waits a little before trying
					// again, as a real one would.
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	return l
}

// record keeps the outcome of one request and reports whether it succeeded.
func (l *writeLoad) record(asset bool, key string, code int, body string) bool {
	l.requests.Add(1)
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if code/100 == 2 {
		l.okTimes = append(l.okTimes, now)
		if asset {
			l.assets = append(l.assets, key)
		} else {
			l.saves[key] = true
		}
		return true
	}
	l.failures = append(l.failures, now)
	why := fmt.Sprint(code)
	if code == 0 {
		why = "no answer"
	}
	if len(l.codes) < 20 || l.codes[why] > 0 {
		l.codes[why]++
	}
	if l.codes[why] == 1 {
		l.codes[why+": "+firstLine(body)] = 0 // an example, for the log
	}
	return false
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 160 {
		s = s[:160]
	}
	return s
}

// halt stops the clients and waits for their last requests.
func (l *writeLoad) halt() {
	close(l.stop)
	l.wg.Wait()
}

// acked counts the acknowledged writes.
func (l *writeLoad) acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.assets) + len(l.saves)
}

// failedBetween counts the failures answered in [from, to].
func (l *writeLoad) failedBetween(from, to time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, at := range l.failures {
		if !at.Before(from) && !at.After(to) {
			n++
		}
	}
	return n
}

// firstOKAfter is when the first write acknowledged after t was answered,
// zero if none was.
func (l *writeLoad) firstOKAfter(t time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	var first time.Time
	for _, at := range l.okTimes {
		if at.After(t) && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	return first
}

// lastFailure is when the last failed request was answered.
func (l *writeLoad) lastFailure() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	var last time.Time
	for _, at := range l.failures {
		if at.After(last) {
			last = at
		}
	}
	return last
}

// checkDurable looks in the database for every acknowledged write, and
// returns how many writes were stored although their client saw them fail
// (the answer was lost with the replica or the connection).
func (l *writeLoad) checkDurable(t *testing.T, db *sql.DB, f *clusterFixture) (unacked int) {
	t.Helper()
	stored := map[string]bool{}
	rows, err := db.Query(`SELECT a.name FROM assets a JOIN orgs o ON o.id = a.org_id WHERE o.slug = $1`, f.slug)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		stored[name] = true
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	rows, err = db.Query(`SELECT narrative FROM assess_response_versions WHERE assessment_id = $1`, f.assessID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		stored[s] = true
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var lost []string
	for _, k := range l.assets {
		if !stored[k] {
			lost = append(lost, "asset "+k)
		}
	}
	for k := range l.saves {
		if !stored[k] {
			lost = append(lost, "response "+k)
		}
	}
	if len(lost) > 0 {
		slices.Sort(lost)
		t.Errorf("%d acknowledged writes are not in the database, e.g. %v", len(lost), lost[:min(5, len(lost))])
	}
	acked := map[string]bool{}
	for _, k := range l.assets {
		acked[k] = true
	}
	for k := range stored {
		if strings.HasPrefix(k, "load ") && !acked[k] && !l.saves[k] {
			unacked++
		}
	}
	return unacked
}

// checkAuditChain checks in SQL that the log's sequence numbers run from 1
// without a gap and each entry names its predecessor's hash, then runs
// `safeguard audit verify`, which replays the whole chain and tree.
func checkAuditChain(t *testing.T, db *sql.DB, f *clusterFixture) int64 {
	t.Helper()
	var n, lo, hi, headSeq, broken int64
	if err := db.QueryRow(`SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM audit_log`).Scan(&n, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT seq FROM audit_head WHERE id = 1`).Scan(&headSeq); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM audit_log l JOIN audit_log p ON p.seq = l.seq - 1 WHERE l.prev_hash <> p.hash`).Scan(&broken); err != nil {
		t.Fatal(err)
	}
	if lo != 1 || hi != n || headSeq != n || broken != 0 {
		t.Errorf("audit log: %d entries numbered %d..%d, head at %d, %d entries not chained to their predecessor; want 1..%d, head %d, none",
			n, lo, hi, headSeq, broken, n, n)
	}
	out, errOut, code := run(t, nil, "audit", "verify", "--data", f.base, "--db", f.dsn)
	if code != 0 {
		t.Errorf("audit verify = %d, want 0:\n%s%s", code, out, errOut)
	}
	return n
}

// signInAt signs in over the JSON API at base and returns the session's
// Cookie header and CSRF token.
func (f *clusterFixture) signInAt(t *testing.T, base string) (cookie, csrf string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": f.email, "password": f.password})
	resp, err := http.Post(base+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("sign in at %s = %d %s", base, resp.StatusCode, b)
	}
	var me struct {
		CSRFToken   string `json:"csrf_token"`
		PendingStep string `json:"pending_step"`
	}
	if err := json.Unmarshal(b, &me); err != nil {
		t.Fatal(err)
	}
	if me.PendingStep != "" {
		t.Fatalf("sign in at %s left a pending step %q", base, me.PendingStep)
	}
	var parts []string
	for _, c := range resp.Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	if len(parts) == 0 {
		t.Fatalf("sign in at %s set no cookie", base)
	}
	return strings.Join(parts, "; "), me.CSRFToken
}

// openSQL opens dsn with the pgx driver for the test's own queries.
func openSQL(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestReplicas runs three replicas on one PostgreSQL database behind a
// round-robin balancer, kills one with SIGKILL in the middle of a burst of
// writes, and checks that nothing acknowledged was lost, that the audit log
// is still one chain, that a session made on one replica works on the
// others, and that a background job asked of every replica at once runs once.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three server processes")
	}
	const clients = 20
	dsn := storetest.PostgresURL(t) // skips without PostgreSQL, fails in CI
	f := newClusterFixture(t, dsn, clients)
	names := []string{"a", "b", "c"}
	var reps []*replica
	for _, n := range names {
		reps = append(reps, startReplica(t, n, "--data", f.replicaData(t, n), "--db", dsn))
	}
	lb := startBalancer(t, reps[0].URL, reps[1].URL, reps[2].URL)

	db := openSQL(t, dsn)
	auditBefore := int64(0)
	if err := db.QueryRow(`SELECT seq FROM audit_head WHERE id = 1`).Scan(&auditBefore); err != nil {
		t.Fatal(err)
	}

	// The burst: a steady state, the kill, and as long again after it.
	start := time.Now()
	load := startWriteLoad(f, lb.srv.URL, clients)
	time.Sleep(3 * time.Second)
	killAt := time.Now()
	reps[1].kill(t)
	killed := time.Now()
	time.Sleep(4 * time.Second)
	load.halt()
	elapsed := time.Since(start)

	window := killed.Add(2 * time.Second)
	recovered := load.firstOKAfter(killed)
	t.Logf("burst: %d clients for %v through the balancer: %d requests, %d acknowledged writes (%.0f/s); served by a, b, c: %d, %d, %d",
		clients, elapsed.Round(time.Millisecond), load.requests.Load(), load.acked(), float64(load.acked())/elapsed.Seconds(),
		lb.served[0].Load(), lb.served[1].Load(), lb.served[2].Load())
	t.Logf("kill of b (SIGKILL, %v to exit): %d failed requests from the kill to 2s after it, %d in all; first acknowledged write %v after the kill; failures %v",
		killed.Sub(killAt).Round(time.Millisecond), load.failedBetween(killAt, window), len(load.failures), recovered.Sub(killed).Round(time.Millisecond), load.codes)
	if load.acked() < clients {
		t.Fatalf("only %d writes were acknowledged:\n%v", load.acked(), load.codes)
	}
	// Requests that were inside b when it died may fail; none may fail
	// once the balancer has taken b out.
	if last := load.lastFailure(); last.After(window) {
		t.Errorf("a request failed %v after the kill, want none later than 2s: %v", last.Sub(killed).Round(time.Millisecond), load.codes)
	}

	unacked := load.checkDurable(t, db, f)
	entries := checkAuditChain(t, db, f)
	t.Logf("database: every acknowledged write found, %d more stored whose answer was lost; audit log: %d entries, %d written during the burst",
		unacked, entries, entries-auditBefore)

	// b comes back on its data folder, and the three serve one deployment.
	reps[1] = startReplica(t, "b2", reps[1].args...)

	t.Run("session on every replica", func(t *testing.T) {
		cookie, csrf := f.signInAt(t, reps[0].URL)
		for _, r := range reps {
			api := &apiClient{base: r.URL, cookie: cookie, c: &http.Client{Timeout: 10 * time.Second}}
			var me struct {
				Email string `json:"email"`
			}
			if code, body := api.do("GET", "/api/v1/me", "", &me); code != 200 || me.Email != f.email {
				t.Errorf("GET /api/v1/me at replica %s with a's session = %d %s, want 200 and %s", r.name, code, body, f.email)
			}
		}
		// Signing out on one replica ends the session on all of them.
		api := &apiClient{base: reps[2].URL, cookie: cookie, csrf: csrf, c: &http.Client{Timeout: 10 * time.Second}}
		if code, body := api.do("POST", "/api/v1/logout", "", nil); code/100 != 2 {
			t.Fatalf("sign out at replica %s = %d %s", reps[2].name, code, body)
		}
		for _, r := range reps {
			api := &apiClient{base: r.URL, cookie: cookie, c: &http.Client{Timeout: 10 * time.Second}}
			if code, _ := api.do("GET", "/api/v1/me", "", nil); code != 401 {
				t.Errorf("GET /api/v1/me at replica %s after signing out at %s = %d, want 401", r.name, reps[2].name, code)
			}
		}
	})

	t.Run("job runs once", func(t *testing.T) {
		cookie, csrf := f.signInAt(t, reps[1].URL)
		startsBefore, resultsBefore := countAudit(t, db, "audit.verify.start"), countAudit(t, db, "audit.verify")
		runBefore := verifyRun(t, db, f.slug)
		var ready, fire sync.WaitGroup
		ready.Add(len(reps))
		fire.Add(1)
		codes := make([]int, len(reps))
		var done sync.WaitGroup
		for i, r := range reps {
			done.Add(1)
			go func() {
				defer done.Done()
				api := &apiClient{base: r.URL, cookie: cookie, csrf: csrf, c: &http.Client{Timeout: 10 * time.Second}}
				ready.Done()
				fire.Wait()
				codes[i], _ = api.do("POST", "/orgs/"+f.slug+"/audit/verify", "", nil)
			}()
		}
		ready.Wait()
		fire.Done()
		done.Wait()
		for i, c := range codes {
			if c/100 != 2 {
				t.Errorf("POST /orgs/%s/audit/verify at replica %s = %d, want 2xx", f.slug, reps[i].name, c)
			}
		}
		// The claim is the store's: one row per kind and scope, whose run
		// counter only a successful claim moves.
		// Three replicas asked at once: a run is claimed by one replica
		// only (a verification of this small log ends in milliseconds, so a
		// request arriving after it may rightly start the next run): every
		// run moved the counter once, wrote one start entry and, below, one
		// result.
		run := verifyRun(t, db, f.slug) - runBefore
		started := countAudit(t, db, "audit.verify.start") - startsBefore
		if run < 1 || run > int64(len(reps)) || started != run {
			t.Errorf("three replicas asked at once: %d runs claimed, %d start entries in the log; want between 1 and %d, one entry a run", run, started, len(reps))
		}
		api := &apiClient{base: reps[0].URL, cookie: cookie, c: &http.Client{Timeout: 10 * time.Second}}
		var st struct {
			Running bool  `json:"running"`
			Intact  *bool `json:"intact"`
			Entries int64 `json:"entries"`
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			if code, body := api.do("GET", "/orgs/"+f.slug+"/audit/verify", "", &st); code != 200 {
				t.Fatalf("GET /orgs/%s/audit/verify = %d %s", f.slug, code, body)
			}
			if !st.Running || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if st.Running || st.Intact == nil || !*st.Intact {
			t.Errorf("the verification job = %+v, want finished and intact", st)
		}
		if n := countAudit(t, db, "audit.verify") - resultsBefore; n != run {
			t.Errorf("%d audit.verify results in the log for %d runs, want one a run", n, run)
		}
	})

	for _, r := range reps {
		if strings.Contains(r.out.String(), "panic") {
			t.Errorf("replica %s panicked:\n%s", r.name, r.out)
		}
	}
}

// countAudit counts the log's entries of one action.
func countAudit(t *testing.T, db *sql.DB, action string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM audit_log WHERE action = $1`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// verifyRun is the run counter of the organisation's audit verification job
// (0 before its first run).
func verifyRun(t *testing.T, db *sql.DB, slug string) int64 {
	t.Helper()
	var run int64
	err := db.QueryRow(`SELECT j.run FROM jobs j JOIN orgs o ON j.scope = 'org:' || o.id WHERE j.kind = 'audit.verify' AND o.slug = $1`, slug).Scan(&run)
	if errors.Is(err, sql.ErrNoRows) {
		return 0
	} else if err != nil {
		t.Fatal(err)
	}
	return run
}
