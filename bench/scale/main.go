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
	"slices"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/bench/internal/fixture"
	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/store"
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
	bin, err := fixture.Binary(root)
	if err != nil {
		return err
	}

	type instance struct {
		name   string
		dir    string
		make   func(ctx context.Context, db *store.DB, dir string) error
		result map[string][]time.Duration
		sizes  map[string]int
	}
	instances := []*instance{
		{name: "demo", dir: fixture.DemoDir(root)},
		{name: "generated", dir: fixture.GeneratedDir(root, o.scale, o.risks), make: fixture.Generator(o.scale, o.risks)},
	}
	var sites []*site
	for _, in := range instances {
		cred, err := fixture.Prepare(ctx, bin, in.dir, in.make)
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
func serve(ctx context.Context, bin, dir string, cred fixture.Credential) (_ *site, err error) {
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

	body, _ := json.Marshal(map[string]string{"email": cred.Email, "password": cred.Password})
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
