// Command scale serves two instances with the real server over real HTTP and
// compares the latency of every list page and API list: the demo
// (internal/demo, as `safeguard demo` makes it) and a generated instance of
// a hospital network's size, made of the same demo plus 98 more
// organisations, 300+ assessments, 100k+ response versions and a million
// audit entries (with -scale 1). Both are measured at one client; the table
// gives p50 and p95 of each and the ratios generated/demo.
//
//	cd bench && go run ./scale               # full size (generation takes minutes)
//	cd bench && go run ./scale -scale 0.1    # a tenth of it
//	cd bench && go run ./scale -keep DIR     # keep (and on later runs reuse) the instances in DIR
//
// Every entry is written through the store's own methods (the audit log
// through AppendAudit, so its hash chain is the real one), with a clock that
// spreads the generated history over three years.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/demo"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

type options struct {
	scale    float64
	risks    float64
	requests int
	keep     string
	only     string
}

func main() {
	var o options
	flag.Float64Var(&o.scale, "scale", 1, "size of the generated instance: 1 is 100 organisations, 300 assessments, 100k response versions, 1M audit entries")
	flag.Float64Var(&o.risks, "risks", 1, "size of the generated riverside's risk analysis: 1 is 10,000 assets, 40,000 flows, 20,000 risks and 20,000 tasks")
	flag.IntVar(&o.requests, "n", 100, "requests per page and instance (after 5 to warm up)")
	flag.StringVar(&o.keep, "keep", "", "folder to keep the two instances in and reuse on later runs (default: a temporary folder, removed)")
	flag.StringVar(&o.only, "only", "", "measure only pages whose name contains this")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// hasher is cheap: passwords are checked once per run, with the parameters
// stored in their hash.
var hasher = identity.NewHasher(1, 64, 1, 4)

func run(ctx context.Context, o options) error {
	root := o.keep
	if root == "" {
		tmp, err := os.MkdirTemp("", "safeguard-scale-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		root = tmp
	}
	// The binary is built in Safeguard's own module (bench's go.mod replaces
	// it with ../), with its own go.sum.
	src, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/safeguard-health/safeguard").Output()
	if err != nil {
		return fmt.Errorf("find the safeguard module: %w", err)
	}
	bin, err := filepath.Abs(filepath.Join(root, "safeguard"))
	if err != nil {
		return err
	}
	build := exec.Command("go", "build", "-o", bin, "./cmd/safeguard")
	build.Dir = strings.TrimSpace(string(src))
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}

	type instance struct {
		name   string
		dir    string
		make   func(ctx context.Context, db *store.DB, dir string) error
		result map[string][]time.Duration
		sizes  map[string]int
	}
	instances := []*instance{
		{name: "demo", dir: filepath.Join(root, "demo")},
		{name: "generated", dir: filepath.Join(root, fmt.Sprintf("generated-%g-risks-%g", o.scale, o.risks)), make: func(ctx context.Context, db *store.DB, dir string) error {
			return generate(ctx, db, dir, o.scale, o.risks)
		}},
	}
	var sites []*site
	for _, in := range instances {
		cred, err := prepare(ctx, bin, in.dir, in.make)
		if err != nil {
			return fmt.Errorf("%s: %w", in.name, err)
		}
		st, err := serve(ctx, bin, in.dir, cred)
		if err != nil {
			return fmt.Errorf("%s: %w", in.name, err)
		}
		defer st.stop()
		sites = append(sites, st)
	}
	results, sizes, err := measure(sites, o)
	if err != nil {
		return err
	}
	for i, in := range instances {
		in.result, in.sizes = results[i], sizes[i]
	}

	fmt.Printf("\n%-28s %8s %8s %8s %8s %6s %6s %8s %8s\n", "page (1 client, ms)", "demo p50", "demo p95", "gen p50", "gen p95", "×p50", "×p95", "demo KB", "gen KB")
	for _, p := range pagesOf(instances[1].result) {
		d, g := instances[0].result[p], instances[1].result[p]
		d50, d95, g50, g95 := pct(d, 50), pct(d, 95), pct(g, 50), pct(g, 95)
		mark := ""
		if g95 > 50*time.Millisecond || len(d) > 0 && float64(g95) > 1.5*float64(d95) {
			mark = "  ← misses"
		}
		fmt.Printf("%-28s %8.2f %8.2f %8.2f %8.2f %6.2f %6.2f %8.1f %8.1f%s\n", p, ms(d50), ms(d95), ms(g50), ms(g95),
			float64(g50)/float64(d50), float64(g95)/float64(d95), float64(instances[0].sizes[p])/1024, float64(instances[1].sizes[p])/1024, mark)
	}
	return nil
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

func pagesOf(m map[string][]time.Duration) []string {
	var out []string
	for _, p := range pages {
		if _, ok := m[p.name]; ok {
			out = append(out, p.name)
		}
	}
	return out
}

// credential is the user the pages are read as: the demo's auditor, who may
// read the organisation's records and its audit log and needs no second
// factor.
type credential struct{ email, password string }

// prepare makes the instance in dir unless a previous run finished it
// there; a run stopped while generating goes on where it stopped (the
// generator's stages leave marks in dir).
func prepare(ctx context.Context, bin, dir string, more func(ctx context.Context, db *store.DB, dir string) error) (credential, error) {
	credFile, doneFile := filepath.Join(dir, "bench-credential.json"), filepath.Join(dir, "bench-done")
	var cred credential
	if b, err := os.ReadFile(credFile); err == nil {
		var c struct{ Email, Password string }
		if err := json.Unmarshal(b, &c); err != nil {
			return cred, err
		}
		cred = credential{c.Email, c.Password}
		if _, err := os.Stat(doneFile); err == nil {
			fmt.Fprintf(os.Stderr, "reusing %s\n", dir)
			return cred, nil
		}
		fmt.Fprintf(os.Stderr, "resuming %s\n", dir)
	} else {
		if err := os.RemoveAll(dir); err != nil {
			return cred, err
		}
		initCmd := exec.Command(bin, "init", "--data", dir)
		initCmd.Stdout, initCmd.Stderr = io.Discard, os.Stderr
		if err := initCmd.Run(); err != nil {
			return cred, fmt.Errorf("safeguard init: %w", err)
		}
	}
	db, err := store.Open(ctx, filepath.Join(dir, "safeguard.db"), store.Options{})
	if err != nil {
		return cred, err
	}
	defer db.Close()
	start := time.Now()
	if cred.email == "" {
		keys, err := crypt.LoadKeyFile(filepath.Join(dir, "master.key"))
		if err != nil {
			return cred, err
		}
		creds, err := demo.Load(ctx, db, hasher, keys)
		if err != nil {
			return cred, err
		}
		for _, c := range creds {
			if c.Role == identity.RoleAuditor && c.OrgSlug == "riverside" {
				cred = credential{c.Email, c.Password}
			}
		}
		b, _ := json.Marshal(map[string]string{"Email": cred.email, "Password": cred.password})
		if err := os.WriteFile(credFile, b, 0o600); err != nil {
			return cred, err
		}
	}
	if more != nil {
		if err := more(ctx, db, dir); err != nil {
			return cred, err
		}
	}
	// The server extends the audit log's Merkle tree to its last entry in
	// the background; done here, so that the pages are not measured beside
	// a million leaves being hashed.
	t0 := time.Now()
	if _, err := db.ExtendAuditTree(ctx); err != nil {
		return cred, err
	}
	fmt.Fprintf(os.Stderr, "  audit tree extended in %v\n", time.Since(t0).Round(time.Millisecond))
	n, err := db.AuditSize(ctx)
	if err != nil {
		return cred, err
	}
	fmt.Fprintf(os.Stderr, "%s: made in %v, %d audit entries\n", dir, time.Since(start).Round(time.Second), n)
	return cred, os.WriteFile(doneFile, nil, 0o600)
}

// generate adds a hospital network's history to the demo: organisations,
// assessments with many saved versions of their responses, and audit
// entries, spread over three years.
func generate(ctx context.Context, db *store.DB, dir string, scale, risks float64) error {
	orgs, assessments := int(100*scale), int(300*scale)
	versions, entries := int(100_000*scale), int(1_000_000*scale)
	actor := store.Actor{Name: "bench:scale"}
	realNow := db.Now
	defer func() { db.Now = realNow }()
	end := realNow().UTC().AddDate(0, 0, -2)
	begin := end.AddDate(-3, 0, 0)

	riverside, err := db.Org(ctx, "riverside")
	if err != nil {
		return err
	}
	versionsDone := filepath.Join(dir, "bench-versions-done")
	if _, err := os.Stat(versionsDone); err == nil {
		return generateRisks(ctx, db, dir, riverside.ID, risks, func() error { return fillAudit(ctx, db, riverside.ID, orgs, entries, begin, end) })
	}
	ids := []int64{riverside.ID}
	t0 := time.Now()
	for i := len(demo.Orgs); i < orgs; i++ {
		o, err := db.CreateOrg(ctx, actor, identity.Org{Slug: fmt.Sprintf("hospital-%03d", i), Name: fmt.Sprintf("Hospital %03d", i), Kind: identity.KindProvider})
		if err != nil {
			return err
		}
		ids = append(ids, o.ID)
	}
	fmt.Fprintf(os.Stderr, "  %d organisations in %v\n", len(ids)+1, time.Since(t0).Round(time.Millisecond))

	// Assessments: riverside gets a history of one a year; the rest are
	// shared among the organisations.
	cat, err := catalog.Default()
	if err != nil {
		return err
	}
	t0 = time.Now()
	type made struct {
		org int64
		a   assess.Assessment
	}
	var all []made
	for i := range assessments {
		org := ids[i%len(ids)]
		if i < 6 {
			org = riverside.ID
		}
		start := begin.Add(time.Duration(i) * end.Sub(begin) / time.Duration(assessments))
		db.Now = func() time.Time { return start }
		a, err := assess.New(cat, catalog.ProfileCurrent, fmt.Sprintf("Assessment %d", i), start, start.AddDate(0, 2, 0))
		if err != nil {
			return err
		}
		if a, err = db.CreateAssessment(ctx, actor, org, a); err != nil {
			return err
		}
		all = append(all, made{org, a})
	}
	var assessable []string
	for _, e := range all[0].a.Entries {
		if e.Assessable() {
			assessable = append(assessable, e.Citation)
		}
	}
	rounds := max(1, (versions+len(all)*len(assessable)-1)/(len(all)*len(assessable)))
	fmt.Fprintf(os.Stderr, "  %d assessments in %v; %d rounds of %d responses each\n", len(all), time.Since(t0).Round(time.Millisecond), rounds, len(assessable))

	// Response versions: each round saves every entry of an assessment in
	// one change, as the assessment table does; eight writers at once.
	t0 = time.Now()
	var clock atomic.Int64
	step := end.Sub(begin) / time.Duration(max(1, rounds*len(all)+entries/50))
	db.Now = func() time.Time { return begin.Add(time.Duration(clock.Add(1)) * step) }
	statuses := []assess.ResponseStatus{assess.Implemented, assess.Partial, assess.NotImplemented, assess.Implemented}
	err = parallel(8, len(all), func(i int) error {
		m := all[i]
		for r := range rounds {
			edits := make([]assess.Edit, len(assessable))
			for j, c := range assessable {
				resp := assess.Response{Citation: c, Status: statuses[(r+j)%len(statuses)], Narrative: fmt.Sprintf("Round %d: reviewed with the team.", r+1)}
				if resp.Status != assess.Implemented {
					resp.Owner, resp.TargetDate = "Security officer", end.AddDate(0, 3, 0)
				}
				edits[j] = assess.Edit{Citation: c, Response: &resp, ResponseBase: r}
			}
			if _, err := db.SaveEntries(ctx, actor, m.org, m.a.ID, edits); err != nil {
				return fmt.Errorf("round %d of assessment %d: %w", r, m.a.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "  %d response versions in %v\n", rounds*len(all)*len(assessable), time.Since(t0).Round(time.Millisecond))
	if err := os.WriteFile(versionsDone, nil, 0o600); err != nil {
		return err
	}
	db.Now = realNow
	return generateRisks(ctx, db, dir, riverside.ID, risks, func() error { return fillAudit(ctx, db, riverside.ID, orgs, entries, begin, end) })
}

// generateRisks gives riverside a large organisation's risk analysis
// (storetest.LargeRiskOrg times size), unless an earlier run did, then runs
// next. Every row is written through the store's own methods: the audit log
// holds two entries for the asset imports and one per flow, risk and task.
func generateRisks(ctx context.Context, db *store.DB, dir string, riverside int64, size float64, next func() error) error {
	done := filepath.Join(dir, "bench-risks-done")
	if _, err := os.Stat(done); err != nil && size > 0 {
		members, err := db.Members(ctx, riverside)
		if err != nil {
			return err
		}
		var owners []int64
		for _, m := range members {
			owners = append(owners, m.User.ID)
		}
		n := storetest.LargeRiskOrg
		n = storetest.RiskSize{Assets: int(float64(n.Assets) * size), Flows: int(float64(n.Flows) * size),
			Risks: int(float64(n.Risks) * size), Tasks: int(float64(n.Tasks) * size)}
		if err := storetest.RiskOrg(ctx, db, store.Actor{Name: "bench:scale"}, riverside, owners, n, os.Stderr); err != nil {
			return fmt.Errorf("risk analysis: %w", err)
		}
		if err := os.WriteFile(done, nil, 0o600); err != nil {
			return err
		}
	}
	return next()
}

// fillAudit appends audit entries until the log holds entries, spread over
// [begin, end): a quarter in riverside, the rest over every organisation,
// each organisation with its own few people and assessments; 64 writers at
// once, grouped into transactions by the store's group commit.
func fillAudit(ctx context.Context, db *store.DB, riverside int64, orgs, entries int, begin, end time.Time) error {
	size, err := db.AuditSize(ctx)
	if err != nil {
		return err
	}
	missing := entries - int(size)
	t0 := time.Now()
	realNow := db.Now
	defer func() { db.Now = realNow }()
	var clock atomic.Int64
	step := end.Sub(begin) / time.Duration(max(1, missing/50))
	from := end.Add(-time.Duration(max(1, missing/50)) * step)
	// The clock moves one step per call of db.Now, which a write makes
	// more than once: it stops at end, so that no entry is dated in the
	// future (the entries past that point share end's time).
	db.Now = func() time.Time {
		t := from.Add(time.Duration(clock.Add(1)) * step)
		if t.After(end) {
			return end
		}
		return t
	}
	actions := []string{"assess.response", "assess.decision", "auth.login", "auth.logout", "auth.mfa.verify", "evidence.upload",
		"evidence.download", "member.add", "org.update", "token.create", "assess.review", "audit.read"}
	err = parallel(64, missing, func(i int) error {
		org := int64(1 + (i*7919)%orgs)
		if i%4 == 0 {
			org = riverside
		}
		action := actions[(i*31)%len(actions)]
		// Each organisation has its own few people and assessments, as in
		// life (and as the indexes see it: a few hot leaves per organisation).
		who := fmt.Sprintf("user:%d", 10+org*3+int64(i%3))
		object := fmt.Sprintf("assessment:%d", org*3+int64(i%5))
		return db.AppendAudit(ctx, store.Actor{Name: who, Source: "192.0.2.10", RequestID: fmt.Sprintf("bench-%d", i)},
			audit.Entry{OrgID: org, Action: action, Object: object, Summary: "generated for the scale benchmark"})
	})
	if err != nil {
		return err
	}
	if missing > 0 {
		fmt.Fprintf(os.Stderr, "  %d audit entries in %v (%.0f/s)\n", missing, time.Since(t0).Round(time.Millisecond), float64(missing)/time.Since(t0).Seconds())
	}
	return nil
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first
// error; every goroutine ends when the work runs out or fails.
func parallel(workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// page is one list the benchmark reads: path is relative to the
// organisation's slug and the ids found at sign-in.
type page struct {
	name string
	path func(v vars) string
}

type vars struct {
	org        string
	assessment int64
	citation   string
	from, to   string
	// recent is two days ago, tomorrow tomorrow: a window that holds the
	// demo's own entries.
	recent, tomorrow string
	// asset is riverside's first asset; risk its highest risk (0: none,
	// and the pages that need one are not measured).
	asset, risk int64
}

var pages = []page{
	{"org dashboard", func(v vars) string { return "/orgs/" + v.org }},
	{"assessment list page", func(v vars) string { return "/orgs/" + v.org + "/assessments" }},
	{"assessments API", func(v vars) string { return "/api/v1/orgs/" + v.org + "/assessments" }},
	{"response versions API", func(v vars) string {
		return fmt.Sprintf("/api/v1/orgs/%s/assessments/%d/responses/%s/versions", v.org, v.assessment, url.PathEscape(v.citation))
	}},
	{"evidence page", func(v vars) string { return "/orgs/" + v.org + "/evidence" }},
	{"evidence API", func(v vars) string { return "/api/v1/orgs/" + v.org + "/evidence" }},
	{"members page", func(v vars) string { return "/orgs/" + v.org + "/members" }},
	{"members API", func(v vars) string { return "/api/v1/orgs/" + v.org + "/members" }},
	{"orgs API", func(v vars) string { return "/api/v1/orgs" }},
	{"audit page", func(v vars) string { return "/orgs/" + v.org + "/audit" }},
	{"audit page actor", func(v vars) string { return "/orgs/" + v.org + "/audit?actor=user:2" }},
	{"audit page action", func(v vars) string { return "/orgs/" + v.org + "/audit?action=assess.response" }},
	{"audit page action prefix", func(v vars) string { return "/orgs/" + v.org + "/audit?action=auth." }},
	{"audit page object", func(v vars) string { return "/orgs/" + v.org + "/audit?object=assessment:1" }},
	{"audit page prefix assess.", func(v vars) string { return "/orgs/" + v.org + "/audit?action=assess." }},
	{"audit page from-to", func(v vars) string { return "/orgs/" + v.org + "/audit?from=" + v.from + "&to=" + v.to }},
	{"audit page from-to recent", func(v vars) string { return "/orgs/" + v.org + "/audit?from=" + v.recent + "&to=" + v.tomorrow }},
	{"audit page matches nothing", func(v vars) string { return "/orgs/" + v.org + "/audit?action=no.such.action" }},
	{"audit API", func(v vars) string { return "/api/v1/orgs/" + v.org + "/audit" }},
	{"audit API action prefix", func(v vars) string { return "/api/v1/orgs/" + v.org + "/audit?action=auth." }},
	{"inventory page", func(v vars) string { return "/orgs/" + v.org + "/inventory" }},
	{"inventory page devices", func(v vars) string { return "/orgs/" + v.org + "/inventory?class=device" }},
	{"assets API", func(v vars) string { return "/api/v1/orgs/" + v.org + "/assets" }},
	{"asset page", func(v vars) string { return fmt.Sprintf("/orgs/%s/inventory/%d", v.org, v.asset) }},
	{"flows page", func(v vars) string { return "/orgs/" + v.org + "/flows" }},
	{"flows page of an asset", func(v vars) string { return fmt.Sprintf("/orgs/%s/flows?asset=%d", v.org, v.asset) }},
	{"flows API", func(v vars) string { return "/api/v1/orgs/" + v.org + "/flows" }},
	{"map page (all)", func(v vars) string { return "/orgs/" + v.org + "/map" }},
	{"map page focus", func(v vars) string { return fmt.Sprintf("/orgs/%s/map?focus=%d", v.org, v.asset) }},
	{"register page", func(v vars) string { return "/orgs/" + v.org + "/risks" }},
	{"register page level", func(v vars) string { return "/orgs/" + v.org + "/risks?level=2" }},
	{"register page cell", func(v vars) string { return "/orgs/" + v.org + "/risks?likelihood=2&impact=2" }},
	{"register page by title", func(v vars) string { return "/orgs/" + v.org + "/risks?sort=title" }},
	{"risks API", func(v vars) string { return "/api/v1/orgs/" + v.org + "/risks" }},
	{"heat map API", func(v vars) string { return "/api/v1/orgs/" + v.org + "/risks/heatmap" }},
	{"risk page", func(v vars) string {
		if v.risk == 0 {
			return ""
		}
		return fmt.Sprintf("/orgs/%s/risks/%d", v.org, v.risk)
	}},
	{"plan page", func(v vars) string { return "/orgs/" + v.org + "/plan" }},
	{"tasks API", func(v vars) string { return "/api/v1/orgs/" + v.org + "/tasks" }},
	{"my tasks page", func(v vars) string { return "/tasks" }},
	{"my tasks API", func(v vars) string { return "/api/v1/me/tasks" }},
	{"scale page", func(v vars) string { return "/orgs/" + v.org + "/risk-scale" }},
}

// site is a served instance, signed in as the auditor.
type site struct {
	get func(path, accept string) ([]byte, error)
	v   vars
	srv *exec.Cmd
}

func (s *site) stop() {
	_ = s.srv.Process.Signal(os.Interrupt)
	_ = s.srv.Wait()
}

// serve starts the real binary on dir, signs in and finds the current
// assessment and one of its entries.
func serve(ctx context.Context, bin, dir string, cred credential) (_ *site, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	srv := exec.CommandContext(ctx, bin, "serve", "--addr", addr, "--data", dir, "--log-format", "json")
	srv.Stdout, srv.Stderr = io.Discard, io.Discard
	if err := srv.Start(); err != nil {
		return nil, err
	}
	st := &site{srv: srv}
	defer func() {
		if err != nil {
			st.stop()
		}
	}()
	base := "http://" + addr
	client := &http.Client{Timeout: 30 * time.Second}
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return nil, errors.New("server not ready after 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	body, _ := json.Marshal(map[string]string{"email": cred.email, "password": cred.password})
	resp, err := client.Post(base+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login: %s", resp.Status)
	}
	cookies := resp.Cookies()
	get := func(path string, accept string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return nil, err
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: %s: %.300s", path, resp.Status, b)
		}
		return b, err
	}

	// The current assessment and one of its entries with saved versions.
	v := vars{org: "riverside"}
	b, err := get("/api/v1/orgs/riverside/assessments", "application/json")
	if err != nil {
		return nil, err
	}
	var list struct {
		Items []assess.AssessmentJSON `json:"items"`
	}
	if err := json.Unmarshal(b, &list); err != nil || len(list.Items) == 0 {
		return nil, fmt.Errorf("assessments API: %v (%.200s)", err, b)
	}
	v.assessment = list.Items[0].ID
	if b, err = get(fmt.Sprintf("/api/v1/orgs/riverside/assessments/%d", v.assessment), "application/json"); err != nil {
		return nil, err
	}
	var sheet struct {
		Responses []struct {
			Citation string `json:"citation"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(b, &sheet); err != nil || len(sheet.Responses) == 0 {
		return nil, fmt.Errorf("assessment %d has no responses: %v", v.assessment, err)
	}
	v.citation = sheet.Responses[0].Citation
	now := time.Now().UTC()
	v.from, v.to = now.AddDate(0, -2, 0).Format("2006-01-02"), now.AddDate(0, -1, 0).Format("2006-01-02")
	v.recent, v.tomorrow = now.AddDate(0, 0, -1).Format("2006-01-02"), now.AddDate(0, 0, 1).Format("2006-01-02")

	var ids struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	if b, err = get("/api/v1/orgs/riverside/assets", "application/json"); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &ids); err != nil || len(ids.Items) == 0 {
		return nil, fmt.Errorf("assets API: %v (%.200s)", err, b)
	}
	v.asset = ids.Items[0].ID
	if b, err = get("/api/v1/orgs/riverside/risks", "application/json"); err != nil {
		return nil, err
	}
	ids.Items = nil
	if err := json.Unmarshal(b, &ids); err != nil {
		return nil, fmt.Errorf("risks API: %v (%.200s)", err, b)
	}
	if len(ids.Items) > 0 {
		v.risk = ids.Items[0].ID
	}

	st.get, st.v = get, v
	return st, nil
}

// measure reads every page n times (after 5 to warm up) from each site in
// turn, so that whatever else the machine does weighs on both alike. It
// returns the latencies and the size of the last answer, by site and page.
func measure(sites []*site, o options) ([]map[string][]time.Duration, []map[string]int, error) {
	out, sizes := make([]map[string][]time.Duration, len(sites)), make([]map[string]int, len(sites))
	for i := range sites {
		out[i], sizes[i] = map[string][]time.Duration{}, map[string]int{}
	}
	for _, p := range pages {
		if o.only != "" && !strings.Contains(p.name, o.only) {
			continue
		}
		for i := range o.requests + 5 {
			for j, st := range sites {
				path := p.path(st.v)
				if path == "" {
					continue
				}
				accept := ""
				if strings.HasPrefix(path, "/api/") {
					accept = "application/json"
				}
				t0 := time.Now()
				b, err := st.get(path, accept)
				if err != nil {
					return nil, nil, fmt.Errorf("%s: %w", p.name, err)
				}
				sizes[j][p.name] = len(b)
				if i >= 5 {
					out[j][p.name] = append(out[j][p.name], time.Since(t0))
				}
			}
		}
	}
	return out, sizes, nil
}
