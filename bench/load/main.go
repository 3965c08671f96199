// Command load runs the load and soak test of issue 15: many signed-in
// people working at once on the generated large organisation (bench/scale's
// instance: 100 organisations, riverside with 10,000 assets, 40,000 flows
// and 20,000 risks at -risks 1), with a mixed read/write workload, while a
// second pool of clients floods the sign-in with bad passwords.
//
//	cd bench && go run ./load -keep /tmp/load-instance                     # 200 sessions, 10 minutes
//	cd bench && go run ./load -keep DIR -sessions 20 -duration 30s -risks 0.1
//
// The real binary serves the instance as a separate process (SQLite in the
// instance's folder). Its members are made once, through the store, with
// passwords hashed at the production cost, and sign in through
// POST /api/v1/login. Each session then reads pages and API lists and
// writes through the JSON API with its session's CSRF token, one request at
// a time with think time between. A third of the way in, the flood starts.
// The server's memory is read from /proc every second and its goroutines
// from /metrics (served on a separate address).
//
// It exits 1 when any session request fails, when the server's own
// resident memory (RssAnon) passes the ceiling the server sets itself
// (--memory-limit's default: 256 MiB plus 64 MiB per concurrent password
// hash), or when the flood slows the sessions' p95 by more than
// -flood-factor.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/safeguard-health/safeguard/bench/internal/fixture"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

type options struct {
	keep         string
	db           string
	sessions     int
	duration     time.Duration
	think        time.Duration
	writes       float64
	scale        float64
	risks        float64
	flood        int
	floodFor     time.Duration
	floodFactor  float64
	floodSources int
	hashConc     int
}

func main() {
	var o options
	flag.StringVar(&o.keep, "keep", "", "folder to keep the instance in and reuse on later runs (default: a temporary folder, removed)")
	flag.StringVar(&o.db, "db", "", "serve from this PostgreSQL database (postgres://...) instead of the instance's SQLite file; the instance is copied into it with 'safeguard migrate-db' first")
	flag.IntVar(&o.sessions, "sessions", 200, "signed-in people working at once")
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "how long the sessions work")
	flag.DurationVar(&o.think, "think", 3*time.Second, "mean think time between one session's requests (each wait is drawn from half to one and a half times it)")
	flag.Float64Var(&o.writes, "writes", 0.10, "share of all session requests that write")
	flag.Float64Var(&o.scale, "scale", 1, "size of the generated instance (as bench/scale's -scale)")
	flag.Float64Var(&o.risks, "risks", 1, "size of riverside's risk analysis (as bench/scale's -risks): 1 is 10,000 assets, 40,000 flows, 20,000 risks")
	flag.IntVar(&o.flood, "flood", 500, "concurrent clients of the sign-in flood (0: none)")
	flag.DurationVar(&o.floodFor, "flood-for", time.Minute, "how long the flood lasts (at most a third of -duration)")
	flag.Float64Var(&o.floodFactor, "flood-factor", 3, "the most the flood may multiply the sessions' p95 by")
	flag.IntVar(&o.floodSources, "flood-sources", 1, "how many addresses the flood comes from")
	flag.IntVar(&o.hashConc, "hash-concurrency", runtime.GOMAXPROCS(0), "the server's --hash-concurrency (the memory ceiling follows from it)")
	flag.Parse()
	ok, err := run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) (bool, error) {
	if o.sessions < 1 || o.duration <= 0 || o.think <= 0 || o.writes < 0 || o.writes > 1 {
		return false, errors.New("want -sessions ≥ 1, -duration and -think > 0, -writes in [0, 1]")
	}
	root := o.keep
	if root == "" {
		tmp, err := os.MkdirTemp("", "safeguard-load-")
		if err != nil {
			return false, err
		}
		defer os.RemoveAll(tmp)
		root = tmp
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return false, err
	}
	bin, err := fixture.Binary(root)
	if err != nil {
		return false, err
	}
	dir := fixture.GeneratedDir(root, o.scale, o.risks)
	t0 := time.Now()
	if _, err := fixture.Prepare(ctx, bin, dir, fixture.Generator(o.scale, o.risks)); err != nil {
		return false, err
	}
	people, err := members(ctx, dir, "load-members.json", "load-%04d@riverside.example", o.sessions)
	if err != nil {
		return false, err
	}
	// The flood tries real accounts too: members of their own, so that the
	// locks it earns do not shut the sessions out.
	targets, err := members(ctx, dir, "load-targets.json", "load-target-%02d@riverside.example", 10)
	if err != nil {
		return false, err
	}
	if err := clearThrottles(ctx, dir, append(slices.Clone(people), targets...), o.floodSources); err != nil {
		return false, err
	}
	fmt.Fprintf(os.Stderr, "instance ready in %v: %s, %d members\n", time.Since(t0).Round(time.Second), dir, len(people))
	if o.db != "" {
		if err := copyToPostgres(bin, dir, o.db); err != nil {
			return false, err
		}
	}

	srv, err := start(ctx, bin, dir, o)
	if err != nil {
		return false, err
	}
	defer srv.stop()
	ceiling := int64(256+64*o.hashConc) << 20

	mem := &sampler{pid: srv.cmd.Process.Pid, metrics: srv.metrics}
	samplerDone := make(chan struct{})
	stopSampling := make(chan struct{})
	go func() { // ends when stopSampling is closed
		defer close(samplerDone)
		mem.run(stopSampling)
	}()
	defer func() {
		select {
		case <-stopSampling:
		default:
			close(stopSampling)
		}
		<-samplerDone
	}()
	time.Sleep(1100 * time.Millisecond)
	idle := mem.last()

	// Sign in: a few at a time (the server hashes at most hashConc at
	// once and sheds the rest with 503), each retried after Retry-After.
	tr := &http.Transport{MaxIdleConns: o.sessions + 16, MaxIdleConnsPerHost: o.sessions + 16, IdleConnTimeout: time.Minute}
	sessions := make([]*session, len(people))
	var signLat []time.Duration
	var signMu sync.Mutex
	t0 = time.Now()
	err = fixture.Parallel(2*o.hashConc, len(people), func(i int) error {
		s, d, err := signIn(ctx, srv.base, from{tr, workstation(i)}, people[i])
		if err != nil {
			return err
		}
		sessions[i] = s
		signMu.Lock()
		signLat = append(signLat, d)
		signMu.Unlock()
		return nil
	})
	if err != nil {
		return false, err
	}
	signTotal := time.Since(t0)
	fmt.Fprintf(os.Stderr, "%d sign-ins in %v (p50 %.0f ms, p95 %.0f ms each, %d at a time)\n", len(sessions), signTotal.Round(time.Millisecond),
		ms(pct(signLat, 50)), ms(pct(signLat, 95)), 2*o.hashConc)

	w, err := discover(ctx, sessions[0], len(sessions))
	if err != nil {
		return false, err
	}
	writers := 0
	for _, p := range people {
		if p.Role.Allows(identity.PermOrgWrite) {
			writers++
		}
	}
	w.writeShare = 0
	if writers > 0 {
		w.writeShare = min(1, o.writes*float64(len(people))/float64(writers))
	}

	// The workload, and the flood a third of the way in.
	rec := &recorder{byOp: map[string][]sample{}}
	begin := time.Now()
	end := begin.Add(o.duration)
	floodFor := min(o.floodFor, o.duration/3)
	floodStart := begin.Add(o.duration / 3)
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() { w.work(ctx, s, i, rec, end, o.think) })
	}
	var fl *floodResult
	if o.flood > 0 {
		time.Sleep(time.Until(floodStart))
		fmt.Fprintf(os.Stderr, "flood: %d clients for %v\n", o.flood, floodFor)
		cpu0, self0 := mem.last().cpu, selfCPU()
		fl = flood(ctx, srv.base, o.flood, o.floodSources, floodFor, targets)
		time.Sleep(1100 * time.Millisecond) // one more sample
		fl.serverCPU, fl.clientCPU = mem.last().cpu-cpu0, selfCPU()-self0
		fmt.Fprintf(os.Stderr, "flood over\n")
	}
	wg.Wait()
	close(stopSampling)
	<-samplerDone

	// The report.
	ok := true
	fmt.Printf("\nLoad: %d sessions for %v on %s (SQLite%s), think %v; server --hash-concurrency %d\n", len(sessions), o.duration, filepath.Base(dir), map[bool]string{true: " copied to PostgreSQL", false: ""}[o.db != ""], o.think, o.hashConc)
	fmt.Printf("Sign-in of %d members through POST /api/v1/login at the production argon2id cost: %v in all, p50 %.0f ms, p95 %.0f ms\n\n",
		len(sessions), signTotal.Round(time.Millisecond), ms(pct(signLat, 50)), ms(pct(signLat, 95)))
	// Requests started during the flood or in the 5 s after it are left out
	// of the last column.
	inFlood := func(at time.Time) bool {
		return fl != nil && !at.Before(floodStart) && at.Before(floodStart.Add(floodFor+5*time.Second))
	}
	fmt.Printf("%-28s %7s %6s %8s %8s %8s %12s\n", "operation (client-side, ms)", "count", "errors", "p50", "p95", "p99", "p95 no flood")
	var all, allCalm []time.Duration
	var before, during []time.Duration
	errs, writesDone, total := 0, 0, 0
	for _, op := range rec.ops() {
		ss := rec.byOp[op]
		var ds, calm []time.Duration
		n := 0
		for _, s := range ss {
			ds = append(ds, s.d)
			if !inFlood(s.at) {
				calm = append(calm, s.d)
			}
			if s.err {
				n++
			}
			if fl != nil && s.at.Before(floodStart) && s.at.After(begin.Add(o.think)) {
				before = append(before, s.d)
			} else if fl != nil && !s.at.Before(floodStart) && s.at.Before(floodStart.Add(floodFor)) {
				during = append(during, s.d)
			}
		}
		all, allCalm = append(all, ds...), append(allCalm, calm...)
		errs += n
		total += len(ss)
		if isWrite(op) {
			writesDone += len(ss)
		}
		fmt.Printf("%-28s %7d %6d %8.1f %8.1f %8.1f %12.1f\n", op, len(ss), n, ms(pct(ds, 50)), ms(pct(ds, 95)), ms(pct(ds, 99)), ms(pct(calm, 95)))
	}
	fmt.Printf("%-28s %7d %6d %8.1f %8.1f %8.1f %12.1f\n", "all", total, errs, ms(pct(all, 50)), ms(pct(all, 95)), ms(pct(all, 99)), ms(pct(allCalm, 95)))
	fmt.Printf("\n%d requests, %.1f/s, %.1f%% writes; %d errors\n", total, float64(total)/o.duration.Seconds(), 100*float64(writesDone)/float64(max(1, total)), errs)
	for _, e := range rec.firstErrors {
		fmt.Printf("  error: %s\n", e)
	}
	if errs > 0 {
		ok = false
	}

	samples := mem.all()
	var peak, hwm, anon, goSys, limit int64
	gmin, gmax := -1, 0
	for _, s := range samples {
		peak = max(peak, s.rss)
		hwm = max(hwm, s.hwm)
		anon = max(anon, s.anon)
		goSys = max(goSys, s.goSys)
		limit = max(limit, s.limit)
		if s.goroutines >= 0 {
			gmax = max(gmax, s.goroutines)
			if gmin < 0 || s.goroutines < gmin {
				gmin = s.goroutines
			}
		}
	}
	fmt.Printf("\nServer memory, sampled every second: VmRSS idle %d MiB after start (RssAnon %d MiB), peak %d MiB, VmHWM %d MiB; peak RssAnon %d MiB\n",
		idle.rss>>20, idle.anon>>20, peak>>20, hwm>>20, anon>>20)
	fmt.Printf("Ceiling: %d MiB (256 + 64 × %d hashes, the server's default --memory-limit; go_gc_gomemlimit_bytes says %d MiB); the runtime obtained at most %d MiB from the OS (go_memstats_sys_bytes, not all resident)\n",
		ceiling>>20, o.hashConc, limit>>20, goSys>>20)
	if gmax > 0 {
		fmt.Printf("Goroutines (go_goroutines): %d to %d\n", gmin, gmax)
	}
	fmt.Printf("Over time (s: VmRSS MiB / RssAnon MiB / goroutines):")
	step := max(1, len(samples)/20)
	for i := 0; i < len(samples); i += step {
		fmt.Printf(" %d:%d/%d/%d", int(samples[i].at.Sub(begin).Seconds()), samples[i].rss>>20, samples[i].anon>>20, samples[i].goroutines)
	}
	fmt.Println()
	// The limit governs the process's own memory; the pages of its
	// executable (some 40 MiB of VmRSS) come on top.
	if anon > ceiling {
		fmt.Printf("FAIL: the server's own resident memory (RssAnon) reached %d MiB, above the %d MiB ceiling\n", anon>>20, ceiling>>20)
		ok = false
	}

	if fl != nil {
		var fpeak, fanon int64
		for _, s := range samples {
			if !s.at.Before(floodStart) && s.at.Before(floodStart.Add(floodFor+2*time.Second)) {
				fpeak, fanon = max(fpeak, s.rss), max(fanon, s.anon)
			}
		}
		codes := make([]string, 0, len(fl.codes))
		for c, n := range fl.codes {
			codes = append(codes, fmt.Sprintf("%d×%d", n, c))
		}
		slices.Sort(codes)
		b95, d95 := pct(before, 95), pct(during, 95)
		factor := float64(d95) / float64(max(1, b95))
		fmt.Printf("\nSign-in flood: %d clients for %v, bad passwords for real and unknown emails: %d attempts (%s), p95 answer %.0f ms\n",
			o.flood, floodFor, fl.n, strings.Join(codes, ", "), ms(pct(fl.lat, 95)))
		fmt.Printf("  server memory peak during the flood: VmRSS %d MiB, RssAnon %d MiB (ceiling %d MiB)\n", fpeak>>20, fanon>>20, ceiling>>20)
		fmt.Printf("  CPU used during the flood (%v on %d cores): server %.0f s, this program (sessions and flood clients) %.0f s\n",
			floodFor, runtime.NumCPU(), fl.serverCPU, fl.clientCPU)
		fmt.Printf("  sessions' p95 before the flood %.1f ms (%d requests), during it %.1f ms (%d requests): ×%.2f (limit ×%g)\n",
			ms(b95), len(before), ms(d95), len(during), factor, o.floodFactor)
		if fl.unexpected > 0 {
			fmt.Printf("FAIL: %d flood answers were neither 401, 429 nor 503\n", fl.unexpected)
			ok = false
		}
		if factor > o.floodFactor {
			fmt.Printf("FAIL: the flood slowed the sessions' p95 by ×%.2f, more than ×%g\n", factor, o.floodFactor)
			ok = false
		}
	}
	if ok {
		fmt.Println("\nPASS")
	}
	return ok, nil
}

// selfCPU is the CPU time this process has used, in seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, (len(s)*p+99)/100-1)]
}

// --- members ---------------------------------------------------------------

// member is one person of riverside the load signs in as.
type member struct {
	Email    string
	Password string
	Role     identity.Role
}

// roleOf spreads the roles that sign in with a password alone: owners and
// security officers must also give a second factor, which the load does not
// enrol. Six in ten are contributors (who write), two auditors, two viewers.
func roleOf(i int) identity.Role {
	switch i % 10 {
	case 6, 7:
		return identity.RoleAuditor
	case 8, 9:
		return identity.RoleViewer
	}
	return identity.RoleContributor
}

// members returns n members of riverside made for the load, with emails
// from pattern, making those that earlier runs did not (their passwords are
// kept in dir, in file). Passwords are hashed at the production cost, so
// that signing in costs what it does.
func members(ctx context.Context, dir, file, pattern string, n int) ([]member, error) {
	file = filepath.Join(dir, file)
	var have []member
	if b, err := os.ReadFile(file); err == nil {
		if err := json.Unmarshal(b, &have); err != nil {
			return nil, err
		}
	}
	if len(have) >= n {
		return have[:n], nil
	}
	db, err := store.Open(ctx, filepath.Join(dir, "safeguard.db"), store.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	org, err := db.Org(ctx, "riverside")
	if err != nil {
		return nil, err
	}
	hasher := identity.DefaultHasher()
	t0 := time.Now()
	more := make([]member, n-len(have))
	err = fixture.Parallel(runtime.GOMAXPROCS(0), len(more), func(j int) error {
		i := len(have) + j
		pw, err := identity.NewSecret("")
		if err != nil {
			return err
		}
		m := member{Email: fmt.Sprintf(pattern, i), Password: pw, Role: roleOf(i)}
		hash, err := hasher.Hash(ctx, pw)
		if err != nil {
			return err
		}
		if _, err := db.CreateUser(ctx, store.Actor{Name: "bench:load"}, store.NewUser{
			User: identity.User{Email: m.Email, Name: fmt.Sprintf("Load Tester %d", i)}, PasswordHash: hash, OrgID: org.ID, Role: m.Role}); err != nil {
			return fmt.Errorf("member %s: %w", m.Email, err)
		}
		more[j] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "  %d members made in %v\n", len(more), time.Since(t0).Round(time.Millisecond))
	have = append(have, more...)
	b, err := json.Marshal(have)
	if err != nil {
		return nil, err
	}
	return have, os.WriteFile(file, b, 0o600)
}

// clearThrottles forgets the failed sign-ins an earlier run's flood left on
// the loopback address and on the members' accounts, which would otherwise
// keep them locked for up to identity.MaxLock.
func clearThrottles(ctx context.Context, dir string, people []member, sources int) error {
	db, err := store.Open(ctx, filepath.Join(dir, "safeguard.db"), store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	var keys []string
	for i, p := range people {
		k := identity.NewSignInKeys(workstation(i), p.Email, "")
		keys = append(keys, k.Account, k.Pair, k.Address)
	}
	for k := range max(sources, 1) {
		keys = append(keys, identity.NewSignInKeys(floodSource(k), "", "").Address)
	}
	return db.ClearThrottles(ctx, keys...)
}

// copyToPostgres copies the instance into the PostgreSQL database at url
// with the binary's own migrate-db, once (a mark in dir says it was done).
func copyToPostgres(bin, dir, url string) error {
	mark := filepath.Join(dir, "load-copied-to-postgres")
	if b, err := os.ReadFile(mark); err == nil && string(b) == url {
		return nil
	}
	cmd := exec.Command(bin, "migrate-db", "--from", dir, "--to", url)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("safeguard migrate-db: %w", err)
	}
	return os.WriteFile(mark, []byte(url), 0o600)
}

// --- the server --------------------------------------------------------------

type server struct {
	cmd     *exec.Cmd
	base    string
	metrics string
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Wait()
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start serves dir with the real binary, its log in dir/load-server.log.
func start(ctx context.Context, bin, dir string, o options) (_ *server, err error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	maddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	// Behind a proxy (this program, on loopback, which serve trusts by
	// default): each session comes from a workstation of its own and the
	// flood from -flood-sources addresses, in X-Forwarded-For.
	args := []string{"serve", "--addr", addr, "--data", dir, "--log-format", "json", "--log-level", "warn", "--behind-proxy",
		"--metrics-addr", maddr, "--hash-concurrency", strconv.Itoa(o.hashConc)}
	if o.db != "" {
		args = append(args, "--db", o.db)
	}
	log, err := os.Create(filepath.Join(dir, "load-server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	log.Close()
	s := &server{cmd: cmd, base: "http://" + addr, metrics: "http://" + maddr + "/metrics"}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("server not ready after 60s (see %s)", filepath.Join(dir, "load-server.log"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// --- memory --------------------------------------------------------------------

type memSample struct {
	at       time.Time
	rss, hwm int64
	// anon is RssAnon: the resident memory that is the process's own, not
	// pages of its executable and libraries mapped from files (RssFile),
	// which the kernel shares and may drop. Go's memory limit governs it.
	anon       int64
	goroutines int
	// From /metrics: memory the Go runtime holds (go_memstats_sys_bytes),
	// its soft limit (go_gc_gomemlimit_bytes) and CPU seconds used.
	goSys, limit int64
	cpu          float64
}

// sampler reads the server's VmRSS and VmHWM from /proc and go_goroutines
// from /metrics every second.
type sampler struct {
	pid     int
	metrics string
	mu      sync.Mutex
	samples []memSample
}

func (m *sampler) run(stop <-chan struct{}) {
	client := &http.Client{Timeout: 2 * time.Second}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		s := memSample{at: time.Now(), goroutines: -1}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.pid)); err == nil {
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) < 2 {
					continue
				}
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				switch f[0] {
				case "VmRSS:":
					s.rss = kb << 10
				case "VmHWM:":
					s.hwm = kb << 10
				case "RssAnon:":
					s.anon = kb << 10
				}
			}
		}
		if resp, err := client.Get(m.metrics); err == nil {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				name, v, ok := strings.Cut(sc.Text(), " ")
				if !ok {
					continue
				}
				f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
				switch name {
				case "go_goroutines":
					s.goroutines = int(f)
				case "go_memstats_sys_bytes":
					s.goSys = int64(f)
				case "go_gc_gomemlimit_bytes":
					s.limit = int64(f)
				case "process_cpu_seconds_total":
					s.cpu = f
				}
			}
			resp.Body.Close()
		}
		m.mu.Lock()
		m.samples = append(m.samples, s)
		m.mu.Unlock()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

func (m *sampler) last() memSample {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.samples) == 0 {
		return memSample{}
	}
	return m.samples[len(m.samples)-1]
}

func (m *sampler) all() []memSample {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.samples)
}

// --- sessions ------------------------------------------------------------------

// session is one signed-in member: a client with its cookie jar, the
// session's CSRF token and the member's user ID.
type session struct {
	base   string
	client *http.Client
	csrf   string
	userID int64
	role   identity.Role
}

// from sends each request as coming from ip, as the proxy in front of the
// server would say it does.
type from struct {
	rt http.RoundTripper
	ip string
}

func (f from) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	return f.rt.RoundTrip(r)
}

// workstation is the address of the i-th session's computer.
func workstation(i int) string { return fmt.Sprintf("10.20.%d.%d", i/250, i%250+1) }

// floodSource is the k-th address of the flood, in the benchmarking range.
func floodSource(k int) string { return fmt.Sprintf("198.18.%d.%d", k/250, k%250+1) }

// signIn signs m in through the JSON API, waiting out 503s and 429s as a
// client told Retry-After would; the duration is the successful call's.
func signIn(ctx context.Context, base string, tr http.RoundTripper, m member) (*session, time.Duration, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, 0, err
	}
	s := &session{base: base, role: m.Role, client: &http.Client{Transport: tr, Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	body, _ := json.Marshal(map[string]string{"email": m.Email, "password": m.Password})
	for try := 0; ; try++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/login", bytes.NewReader(body))
		if err != nil {
			return nil, 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		resp, err := s.client.Do(req)
		if err != nil {
			return nil, 0, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		switch {
		case resp.StatusCode == http.StatusOK:
			var me struct {
				ID   int64  `json:"id"`
				CSRF string `json:"csrf_token"`
			}
			if err := json.Unmarshal(b, &me); err != nil || me.CSRF == "" {
				return nil, 0, fmt.Errorf("sign-in of %s: no CSRF token in %.200s", m.Email, b)
			}
			s.csrf, s.userID = me.CSRF, me.ID
			return s, d, nil
		case (resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests) && try < 100:
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(1, wait)) * time.Second)
		default:
			return nil, 0, fmt.Errorf("sign-in of %s: %s: %.200s", m.Email, resp.Status, b)
		}
	}
}

// do sends one request of the session; JSON bodies carry the CSRF token in
// X-CSRF-Token. Anything but 200 or 201 is an error.
func (s *session) do(ctx context.Context, method, path string, body any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("%s %s: %s: %.300s", method, path, resp.Status, b)
	}
	return nil
}

// getJSON reads a JSON answer into v.
func (s *session) getJSON(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %.300s", path, resp.Status, b)
	}
	return json.Unmarshal(b, v)
}

// --- the workload --------------------------------------------------------------

type sample struct {
	at  time.Time
	d   time.Duration
	err bool
}

type recorder struct {
	mu          sync.Mutex
	byOp        map[string][]sample
	firstErrors []string
}

func (r *recorder) add(op string, at time.Time, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byOp[op] = append(r.byOp[op], sample{at, d, err != nil})
	if err != nil && len(r.firstErrors) < 10 {
		r.firstErrors = append(r.firstErrors, op+": "+err.Error())
	}
}

func (r *recorder) ops() []string {
	var out []string
	for _, op := range reads {
		if _, ok := r.byOp[op.name]; ok {
			out = append(out, op.name)
		}
	}
	for _, op := range writeOps {
		if _, ok := r.byOp[op]; ok {
			out = append(out, op)
		}
	}
	return out
}

var writeOps = []string{"write: risk rating", "write: add task", "write: save response", "write: add asset"}

func isWrite(op string) bool { return strings.HasPrefix(op, "write: ") }

// world is what the sessions work on: riverside's current assessment and
// its assessable entries, and risk and asset IDs.
type world struct {
	assessment int64
	citations  []string
	citeLock   []sync.Mutex
	risks      []int64
	assets     []int64
	levels     int
	sessions   int
	writeShare float64
	assetSeq   atomic.Int64
}

// discover finds the current assessment, its entries, and enough risks and
// assets that each session has its own risks to rate.
func discover(ctx context.Context, s *session, sessions int) (*world, error) {
	w := &world{sessions: sessions}
	var list struct {
		Items []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	if err := s.getJSON(ctx, "/api/v1/orgs/riverside/assessments", &list); err != nil {
		return nil, err
	}
	for _, a := range list.Items {
		if a.Status == "draft" {
			w.assessment = a.ID
			break
		}
	}
	if w.assessment == 0 {
		return nil, errors.New("riverside has no draft assessment to write responses in")
	}
	var sheet struct {
		Responses []struct {
			Citation string `json:"citation"`
		} `json:"responses"`
	}
	if err := s.getJSON(ctx, fmt.Sprintf("/api/v1/orgs/riverside/assessments/%d", w.assessment), &sheet); err != nil {
		return nil, err
	}
	for _, r := range sheet.Responses {
		w.citations = append(w.citations, r.Citation)
	}
	if len(w.citations) == 0 {
		return nil, fmt.Errorf("assessment %d has no responses", w.assessment)
	}
	w.citeLock = make([]sync.Mutex, len(w.citations))
	type idList struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
		Next *string `json:"next_cursor"`
	}
	page := func(path string, want int) ([]int64, error) {
		var out []int64
		cursor := ""
		for len(out) < want {
			var l idList
			p := path + "?limit=500"
			if cursor != "" {
				p += "&cursor=" + url.QueryEscape(cursor)
			}
			if err := s.getJSON(ctx, p, &l); err != nil {
				return nil, err
			}
			for _, it := range l.Items {
				out = append(out, it.ID)
			}
			if l.Next == nil || *l.Next == "" {
				break
			}
			cursor = *l.Next
		}
		return out, nil
	}
	var err error
	if w.risks, err = page("/api/v1/orgs/riverside/risks", 4*sessions); err != nil {
		return nil, err
	}
	if w.assets, err = page("/api/v1/orgs/riverside/assets", 500); err != nil {
		return nil, err
	}
	if len(w.risks) == 0 || len(w.assets) == 0 {
		return nil, errors.New("riverside has no risks or no assets")
	}
	var scale struct {
		Scale struct {
			Likelihood []json.RawMessage `json:"likelihood"`
			Impact     []json.RawMessage `json:"impact"`
		} `json:"scale"`
	}
	if err := s.getJSON(ctx, "/api/v1/orgs/riverside/risk-scale", &scale); err != nil {
		return nil, err
	}
	w.levels = min(len(scale.Scale.Likelihood), len(scale.Scale.Impact))
	if w.levels < 2 {
		w.levels = 3
	}
	return w, nil
}

type readOp struct {
	name string
	path func(w *world, rng *rand.Rand) string
}

var reads = []readOp{
	{"dashboard", func(w *world, _ *rand.Rand) string { return "/orgs/riverside" }},
	{"register page", func(w *world, _ *rand.Rand) string { return "/orgs/riverside/risks" }},
	{"register page level", func(w *world, rng *rand.Rand) string {
		return fmt.Sprintf("/orgs/riverside/risks?level=%d", 1+rng.IntN(3))
	}},
	{"register page cell", func(w *world, rng *rand.Rand) string {
		return fmt.Sprintf("/orgs/riverside/risks?likelihood=%d&impact=%d", 1+rng.IntN(w.levels), 1+rng.IntN(w.levels))
	}},
	{"register page by title", func(w *world, _ *rand.Rand) string { return "/orgs/riverside/risks?sort=title" }},
	{"risk page", func(w *world, rng *rand.Rand) string {
		return fmt.Sprintf("/orgs/riverside/risks/%d", w.risks[rng.IntN(len(w.risks))])
	}},
	{"inventory page", func(w *world, _ *rand.Rand) string { return "/orgs/riverside/inventory" }},
	{"inventory page devices", func(w *world, _ *rand.Rand) string { return "/orgs/riverside/inventory?class=device" }},
	{"asset page", func(w *world, rng *rand.Rand) string {
		return fmt.Sprintf("/orgs/riverside/inventory/%d", w.assets[rng.IntN(len(w.assets))])
	}},
	{"heat map API", func(w *world, _ *rand.Rand) string { return "/api/v1/orgs/riverside/risks/heatmap" }},
	{"plan page", func(w *world, _ *rand.Rand) string { return "/orgs/riverside/plan" }},
	{"my tasks page", func(w *world, _ *rand.Rand) string { return "/tasks" }},
	{"assessment entry page", func(w *world, rng *rand.Rand) string {
		return fmt.Sprintf("/orgs/riverside/assessments/%d/entries/%s", w.assessment, url.PathEscape(w.citations[rng.IntN(len(w.citations))]))
	}},
}

// work runs session i until end: a request, then think time drawn from
// [think/2, 3·think/2), starting at a random point of the first wait.
func (w *world) work(ctx context.Context, s *session, i int, rec *recorder, end time.Time, think time.Duration) {
	rng := rand.New(rand.NewPCG(uint64(i), 15))
	pause := func() time.Duration { return think/2 + time.Duration(rng.Int64N(int64(think))) }
	time.Sleep(time.Duration(rng.Int64N(int64(think))))
	canWrite := s.role.Allows(identity.PermOrgWrite)
	for n := 0; time.Now().Before(end); n++ {
		at := time.Now()
		var op string
		var err error
		if canWrite && rng.Float64() < w.writeShare {
			op, err = w.write(ctx, s, i, n, rng)
		} else {
			op, err = w.readOne(ctx, s, rng)
		}
		rec.add(op, at, time.Since(at), err)
		time.Sleep(min(pause(), time.Until(end)))
	}
}

// readOne reads a page or API picked at random.
func (w *world) readOne(ctx context.Context, s *session, rng *rand.Rand) (string, error) {
	r := reads[rng.IntN(len(reads))]
	return r.name, s.do(ctx, http.MethodGet, r.path(w, rng), nil)
}

// write makes one change as session i. Each session rates its own risks,
// and two sessions never save the same response at once, so that no
// answer is a conflict two people would have had to resolve.
func (w *world) write(ctx context.Context, s *session, i, n int, rng *rand.Rand) (string, error) {
	op := writeOps[rng.IntN(len(writeOps))]
	switch op {
	case "write: risk rating":
		// Session i rates the risks at i, i+sessions, i+2·sessions, ...
		id := w.risks[i%len(w.risks)]
		if per := len(w.risks) / w.sessions; per > 0 {
			id = w.risks[i+w.sessions*rng.IntN(per)]
		}
		l, m := 1+rng.IntN(w.levels), 1+rng.IntN(w.levels)
		return op, s.do(ctx, http.MethodPatch, fmt.Sprintf("/api/v1/orgs/riverside/risks/%d", id), map[string]any{
			"inherent": map[string]int{"likelihood": w.levels, "impact": w.levels},
			"current":  map[string]int{"likelihood": l, "impact": m}})
	case "write: add task":
		return op, s.do(ctx, http.MethodPost, "/api/v1/orgs/riverside/tasks", map[string]any{
			"risk_id": w.risks[rng.IntN(len(w.risks))], "title": fmt.Sprintf("Load task %d.%d", i, n),
			"owner_id": s.userID, "due": time.Now().AddDate(0, 1, rng.IntN(60)).Format("2006-01-02"), "status": "todo"})
	case "write: save response":
		// A response another session is saving is left for another.
		c := rng.IntN(len(w.citations))
		for k := 0; !w.citeLock[c].TryLock(); k++ {
			c = rng.IntN(len(w.citations))
			if k == 4*len(w.citations) {
				return w.readOne(ctx, s, rng)
			}
		}
		defer w.citeLock[c].Unlock()
		return op, s.do(ctx, http.MethodPatch, fmt.Sprintf("/api/v1/orgs/riverside/assessments/%d/responses/%s", w.assessment, url.PathEscape(w.citations[c])),
			map[string]any{"narrative": fmt.Sprintf("Reviewed under load by session %d, change %d.", i, n)})
	default:
		k := w.assetSeq.Add(1)
		return op, s.do(ctx, http.MethodPost, "/api/v1/orgs/riverside/assets", map[string]any{
			"name": fmt.Sprintf("Load laptop %d-%d", i, k), "kind": "laptop"})
	}
}

// --- the flood -----------------------------------------------------------------

type floodResult struct {
	serverCPU  float64
	clientCPU  float64
	n          int
	codes      map[int]int
	lat        []time.Duration
	unexpected int
}

// flood signs in with bad passwords from clients goroutines for d, half for
// the emails of real members (targets) and half for unknown ones. A client pauses 50 ms
// after a 429 or 503 only so as not to take the machine's CPU from the
// server it shares it with; it does not honour Retry-After.
func flood(ctx context.Context, base string, clients, sources int, d time.Duration, targets []member) *floodResult {
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	res := &floodResult{codes: map[int]int{}}
	var mu sync.Mutex
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for k := range clients {
		wg.Go(func() { // ends at stop
			rng := rand.New(rand.NewPCG(uint64(k), 500))
			c := &http.Client{Transport: from{tr, floodSource(k % max(sources, 1))}, Timeout: time.Minute}
			for time.Now().Before(stop) {
				email := fmt.Sprintf("nobody-%d@example.org", rng.IntN(1_000_000))
				if rng.IntN(2) == 0 {
					email = targets[rng.IntN(len(targets))].Email
				}
				body, _ := json.Marshal(map[string]string{"email": email, "password": "wrong-" + strconv.Itoa(rng.Int())})
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/login", bytes.NewReader(body))
				if err != nil {
					return
				}
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := c.Do(req)
				code := 0
				if err == nil {
					code = resp.StatusCode
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat := time.Since(t0)
				mu.Lock()
				res.n++
				res.codes[code]++
				res.lat = append(res.lat, lat)
				if code != http.StatusUnauthorized && code != http.StatusTooManyRequests && code != http.StatusServiceUnavailable {
					res.unexpected++
				}
				mu.Unlock()
				if code != http.StatusUnauthorized {
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	return res
}
