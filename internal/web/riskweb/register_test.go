package riskweb

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// regFixture is a server with two organisations, a member of each role and
// a few assets, and the signed-in clients.
type regFixture struct {
	s                             *web.Server
	db                            *store.DB
	org, other                    identity.Org
	olga, sam, priya, lena, eve   *webtest.Client
	olgaID, samID, priyaID, eveID int64
	laptop, ehr, foreign          int64
}

// regAsset adds an asset with SQL of its own, through a second connection
// to the test database: the inventory's store methods are another part of
// issue 13.
func regAsset(t *testing.T, dsn string, orgID int64, name string) int64 {
	t.Helper()
	driver, src := "sqlite", "file:"+dsn+"?_pragma=busy_timeout(5000)"
	if strings.HasPrefix(dsn, "postgres") {
		driver, src = "pgx", dsn
	}
	raw, err := sql.Open(driver, src)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var id int64
	err = raw.QueryRow(fmt.Sprintf(`INSERT INTO assets (org_id, name, kind, class, created_at, created_by, updated_at, updated_by)
		VALUES (%d, '%s', 'laptop', 'device', CURRENT_TIMESTAMP, 'test', CURRENT_TIMESTAMP, 'test') RETURNING id`, orgID, name)).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newRegFixture(t *testing.T, dsn string) *regFixture {
	t.Helper()
	ctx := context.Background()
	f := &regFixture{db: storetest.Open(t, dsn)}
	f.s = webtest.NewServer(t, f.db, web.Config{Capabilities: []web.Capability{New()}})
	var err error
	if f.org, err = f.db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider}); err != nil {
		t.Fatal(err)
	}
	if f.other, err = f.db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider}); err != nil {
		t.Fatal(err)
	}
	login := func(email string, org int64, role identity.Role) (*webtest.Client, int64) {
		webtest.CreateUser(t, f.db, email, false, org, role)
		u, err := f.db.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return webtest.LoginFull(t, f.s, f.db, email, webtest.Password), u.ID
	}
	f.olga, f.olgaID = login("olga@example.org", f.org.ID, identity.RoleOwner)
	f.sam, f.samID = login("sam@example.org", f.org.ID, identity.RoleSecurityOfficer)
	f.priya, f.priyaID = login("priya@example.org", f.org.ID, identity.RoleContributor)
	f.lena, _ = login("lena@example.org", f.org.ID, identity.RoleViewer)
	f.eve, f.eveID = login("eve@example.org", f.other.ID, identity.RoleOwner)
	f.laptop, f.ehr = regAsset(t, dsn, f.org.ID, "Front desk laptop"), regAsset(t, dsn, f.org.ID, "Cloud EHR")
	f.foreign = regAsset(t, dsn, f.other.ID, "Their server")
	return f
}

func (f *regFixture) riskBody(extra string) string {
	return fmt.Sprintf(`{"title":"Laptop stolen from a car","asset_ids":[%d],"threat":"device_theft","vulnerability":"no_encryption_at_rest",
		"measures":["164.310(d)(1)"],"inherent":{"likelihood":3,"impact":3},"current":{"likelihood":2,"impact":3},
		"likelihood_rationale":"Laptops leave daily.","impact_rationale":"A year of schedules."%s}`, f.laptop, extra)
}

// TestRegisterTemplatesZeroValues renders the register's pages with their
// zero values.
func TestRegisterTemplatesZeroValues(t *testing.T) {
	s := webtest.NewServer(t, storetest.SQLite(t), web.Config{Capabilities: []web.Capability{New()}})
	mine := fstest.MapFS{}
	for _, name := range []string{"risk_register.html", "risk_item.html", "risk_plan.html", "risk_scale.html", "risk_suggested.html"} {
		b, err := fs.ReadFile(New().Templates(), name)
		if err != nil {
			t.Fatal(err)
		}
		mine[name] = &fstest.MapFile{Data: b}
	}
	webtest.RenderZeroValues(t, s, mine, map[string]web.PageData{
		"risk_register":  &registerView{},
		"risk_item":      &riskView{},
		"risk_plan":      &planView{},
		"risk_scale":     &scaleView{},
		"risk_suggested": &suggestedView{},
	})
}

func TestRiskAPI(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		f := newRegFixture(t, dsn)
		const base = "/api/v1/orgs/riverside"
		// Every bad input at once: a clear problem per field, nothing saved.
		w := webtest.SendJSON(t, f.priya, "POST", base+"/risks", fmt.Sprintf(`{"title":"Bad","asset_ids":[%d,%d],"threat":"meteor","vulnerability":"org:77",
			"measures":["164.999(z)"],"inherent":{"likelihood":3,"impact":3},"current":{"likelihood":4,"impact":0},"owner_id":%d,
			"likelihood_rationale":"x","impact_rationale":"y"}`, f.laptop, f.foreign, f.eveID))
		for _, field := range []string{`"asset_ids"`, `"threat"`, `"vulnerability"`, `"current.likelihood"`, `"current.impact"`, `"owner_id"`, `"measures.0"`} {
			if w.Code != 422 || !strings.Contains(w.Body.String(), field) {
				t.Errorf("POST bad risk = %d %s, want 422 naming %s", w.Code, w.Body, field)
			}
		}
		if !strings.Contains(w.Body.String(), "does not have in its inventory") {
			t.Errorf("the asset problem does not say why: %s", w.Body)
		}
		// An acceptance: a contributor may not record one; the approver
		// must have the role.
		in3Months := time.Now().AddDate(0, 3, 0).UTC().Format(time.RFC3339)
		accept := func(approver int64) string {
			return fmt.Sprintf(`,"status":"treated","treatment":{"strategy":"accept","acceptance":{"approver_id":%d,"reason":"Replaced in spring","expires":%q}}`, approver, in3Months)
		}
		w = webtest.SendJSON(t, f.priya, "POST", base+"/risks", f.riskBody(accept(f.samID)))
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"treatment.acceptance"`) {
			t.Errorf("contributor's acceptance = %d %s, want 422 on treatment.acceptance", w.Code, w.Body)
		}
		w = webtest.SendJSON(t, f.sam, "POST", base+"/risks", f.riskBody(accept(f.priyaID)))
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"treatment.acceptance.approver_id"`) {
			t.Errorf("acceptance approved by a contributor = %d %s, want 422 on the approver", w.Code, w.Body)
		}
		if got := webtest.WalkAPI[riskJSON](t, f.lena, base+"/risks", func(int) {}); len(got) != 0 {
			t.Fatalf("refused risks were saved: %d", len(got))
		}
		var accepted riskJSON
		webtest.MustJSON(t, webtest.SendJSON(t, f.sam, "POST", base+"/risks", f.riskBody(accept(f.olgaID))), 201, &accepted)
		// The contributor may change the accepted risk but not its acceptance.
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "PATCH", fmt.Sprintf("%s/risks/%d", base, accepted.ID),
			fmt.Sprintf(`{"title":"Laptop stolen","version":%d}`, accepted.Version)), 200, &accepted)
		w = webtest.SendJSON(t, f.priya, "PATCH", fmt.Sprintf("%s/risks/%d", base, accepted.ID),
			fmt.Sprintf(`{"treatment":{"strategy":"accept","acceptance":{"approver_id":%d,"reason":"Longer","expires":%q}},"version":%d}`, f.olgaID, in3Months, accepted.Version))
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"treatment.acceptance"`) {
			t.Errorf("contributor changing the acceptance = %d %s", w.Code, w.Body)
		}
		if w := webtest.SendJSON(t, f.priya, "PATCH", fmt.Sprintf("%s/risks/%d", base, accepted.ID), `{"title":"Stale","version":1}`); w.Code != 409 {
			t.Errorf("stale PATCH = %d %s, want 409", w.Code, w.Body)
		}
		if w := webtest.SendJSON(t, f.lena, "PATCH", fmt.Sprintf("%s/risks/%d", base, accepted.ID), `{"title":"Viewer"}`); w.Code != 403 {
			t.Errorf("viewer PATCH = %d, want 403", w.Code)
		}
		var hist web.List[store.RiskVersion]
		webtest.DecodeJSON200(t, f.lena, fmt.Sprintf("%s/risks/%d/history", base, accepted.ID), &hist)
		if len(hist.Items) != 2 || hist.Items[0].Risk.Title != "Laptop stolen" {
			t.Errorf("history = %+v", hist.Items)
		}
		// Another organisation's risk is not found, from either side.
		if w := f.eve.Get(t, fmt.Sprintf("/api/v1/orgs/other/risks/%d", accepted.ID)); w.Code != 404 {
			t.Errorf("another organisation's risk = %d, want 404", w.Code)
		}
		w = webtest.SendJSON(t, f.eve, "POST", "/api/v1/orgs/other/risks", strings.Replace(f.riskBody(""), fmt.Sprintf("[%d]", f.laptop), fmt.Sprintf("[%d]", f.foreign), 1))
		if w.Code != 201 {
			t.Fatalf("eve's risk = %d %s", w.Code, w.Body)
		}
		// Many risks: paging walks each once; the heat map counts as Go does.
		for i := range 17 {
			body := strings.Replace(f.riskBody(""), `"current":{"likelihood":2,"impact":3}`, fmt.Sprintf(`"current":{"likelihood":%d,"impact":%d}`, 1+i%3, 1+(i/3)%3), 1)
			body = strings.Replace(body, `"Laptop stolen from a car"`, fmt.Sprintf(`"Risk %d"`, i), 1)
			if w := webtest.SendJSON(t, f.priya, "POST", base+"/risks", body); w.Code != 201 {
				t.Fatalf("POST risk %d = %d %s", i, w.Code, w.Body)
			}
		}
		for _, sort := range []string{"level", "title", "updated"} {
			all := webtest.WalkAPI[riskJSON](t, f.lena, base+"/risks?limit=4&sort="+sort, func(int) {})
			seen := map[int64]bool{}
			for _, r := range all {
				if seen[r.ID] {
					t.Errorf("sort %s: risk %d twice", sort, r.ID)
				}
				seen[r.ID] = true
			}
			if len(seen) != 18 {
				t.Errorf("sort %s walked %d risks, want 18", sort, len(seen))
			}
		}
		all := webtest.WalkAPI[riskJSON](t, f.lena, base+"/risks?limit=500", func(int) {})
		var hm heatMapJSON
		webtest.DecodeJSON200(t, f.lena, base+"/risks/heatmap?which=current", &hm)
		counts := map[[2]int]int{}
		for _, r := range all {
			counts[[2]int{r.Current.Likelihood, r.Current.Impact}]++
		}
		for l := range 3 {
			for i := range 3 {
				if hm.Counts[l][i] != counts[[2]int{l + 1, i + 1}] {
					t.Errorf("heat map [%d][%d] = %d, want %d", l+1, i+1, hm.Counts[l][i], counts[[2]int{l + 1, i + 1}])
				}
			}
		}
		cell := webtest.WalkAPI[riskJSON](t, f.lena, base+"/risks?likelihood=2&impact=3", func(int) {})
		if len(cell) != hm.Counts[1][2] {
			t.Errorf("the cell's risks = %d, its count %d", len(cell), hm.Counts[1][2])
		}
		for _, q := range []string{"level=9", "sort=colour", "status=maybe", "asset=x", "likelihood=7&impact=1", "category=fun"} {
			if w := f.lena.Get(t, base+"/risks?"+q); w.Code != 422 {
				t.Errorf("GET risks?%s = %d, want 422", q, w.Code)
			}
		}
		if w := f.lena.Get(t, base+"/risks/heatmap?which=target"); w.Code != 422 {
			t.Errorf("heat map of target = %d, want 422", w.Code)
		}

		// Tasks.
		w = webtest.SendJSON(t, f.priya, "POST", base+"/tasks", fmt.Sprintf(`{"risk_id":%d,"title":"Encrypt","owner_id":%d,"due":"2020-01-01","entries":["nope"]}`, accepted.ID, f.eveID))
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"owner_id"`) || !strings.Contains(w.Body.String(), `"entries.0"`) {
			t.Errorf("task for a non-member = %d %s", w.Code, w.Body)
		}
		if w := webtest.SendJSON(t, f.priya, "POST", base+"/tasks", fmt.Sprintf(`{"risk_id":%d,"title":"X","owner_id":%d,"due":"soon"}`, accepted.ID, f.priyaID)); w.Code != 422 || !strings.Contains(w.Body.String(), `"due"`) {
			t.Errorf("task with a bad date = %d %s", w.Code, w.Body)
		}
		if got := webtest.WalkAPI[taskJSON](t, f.lena, base+"/tasks", func(int) {}); len(got) != 0 {
			t.Fatalf("refused tasks were saved: %d", len(got))
		}
		var task taskJSON
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "POST", base+"/tasks", fmt.Sprintf(`{"risk_id":%d,"title":"Turn on disk encryption","owner_id":%d,"due":"2020-01-01","entries":["164.312(a)(2)(iv)"]}`, accepted.ID, f.priyaID)), 201, &task)
		if !task.Overdue || task.RiskTitle != "Laptop stolen" {
			t.Errorf("task = %+v", task)
		}
		var over web.List[taskJSON]
		webtest.DecodeJSON200(t, f.lena, base+"/tasks?overdue=true", &over)
		if len(over.Items) != 1 {
			t.Errorf("overdue tasks = %d", len(over.Items))
		}
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "PATCH", fmt.Sprintf("%s/tasks/%d", base, task.ID), fmt.Sprintf(`{"status":"done","version":%d}`, task.Version)), 200, &task)
		if task.DoneAt.IsZero() || task.Overdue {
			t.Errorf("done task = %+v", task)
		}
		if w := webtest.SendJSON(t, f.eve, "PATCH", fmt.Sprintf("/api/v1/orgs/other/tasks/%d", task.ID), `{"status":"todo"}`); w.Code != 404 {
			t.Errorf("another organisation's task = %d, want 404", w.Code)
		}
		var mine web.List[taskJSON]
		webtest.DecodeJSON200(t, f.priya, "/api/v1/me/tasks", &mine)
		if len(mine.Items) != 1 || mine.Items[0].OrgSlug != "riverside" {
			t.Errorf("my tasks = %+v", mine.Items)
		}

		// The scale.
		if w := webtest.SendJSON(t, f.priya, "PUT", base+"/risk-scale", `{"preset":"5x5"}`); w.Code != 403 {
			t.Errorf("contributor PUT risk-scale = %d, want 403", w.Code)
		}
		if w := webtest.SendJSON(t, f.sam, "PUT", base+"/risk-scale", `{"scale":{"name":"Mine","likelihood":[{"label":"A"}],"impact":[],"levels":[],"matrix":[]}}`); w.Code != 422 || !strings.Contains(w.Body.String(), `"likelihood"`) {
			t.Errorf("bad scale = %d %s", w.Code, w.Body)
		}
		var sc scaleJSON
		webtest.MustJSON(t, webtest.SendJSON(t, f.sam, "PUT", base+"/risk-scale", `{"preset":"5x5"}`), 200, &sc.Scale)
		webtest.DecodeJSON200(t, f.lena, base+"/risk-scale", &sc)
		if len(sc.Scale.Likelihood) != 5 || len(sc.Scales) != 2 {
			t.Errorf("scale after PUT = %d grades, %d scales", len(sc.Scale.Likelihood), len(sc.Scales))
		}
		// Ratings keep their scale: a new risk on 5 × 5 may use grade 5.
		body := strings.Replace(f.riskBody(""), `"inherent":{"likelihood":3,"impact":3}`, `"inherent":{"likelihood":5,"impact":5}`, 1)
		if w := webtest.SendJSON(t, f.priya, "POST", base+"/risks", body); w.Code != 201 {
			t.Errorf("risk on the 5 × 5 scale = %d %s", w.Code, w.Body)
		}
		var old riskJSON
		webtest.DecodeJSON200(t, f.lena, fmt.Sprintf("%s/risks/%d", base, accepted.ID), &old)
		if old.ScaleName != "Low / Medium / High (3 × 3)" || old.Levels.Current == "" {
			t.Errorf("the accepted risk after the change = %q %q", old.ScaleName, old.Levels.Current)
		}
	})
}

func TestRegisterPages(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		f := newRegFixture(t, dsn)
		const page = "/orgs/riverside"
		w := f.priya.Get(t, page+"/risks/new")
		// The grades' meanings are listed once beside the selects, whose
		// options stay short enough for a phone.
		webtest.WantPage(t, w, 200, "Front desk laptop", "Likelihood", `<option value="3">High</option>`, "<dt>High</dt><dd>Expected in the next year, or already happening.</dd>",
			`id="current-likelihood" name="current_likelihood" aria-describedby="grades-likelihood"`)
		if strings.Contains(w.Body.String(), "<option value=\"3\">High — ") {
			t.Error("a grade's option still carries its meaning")
		}
		// A form with every problem: each next to its field, nothing saved.
		form := url.Values{"title": {""}, "asset_ids": {fmt.Sprint(f.foreign)}, "threat": {"device_theft"}, "vulnerability": {"no_encryption_at_rest"},
			"inherent_likelihood": {"3"}, "inherent_impact": {"9"}, "current_likelihood": {"1"}, "current_impact": {"1"},
			"likelihood_rationale": {"x"}, "impact_rationale": {"y"}, "owner_id": {fmt.Sprint(f.eveID)},
			"strategy": {"accept"}, "approver_id": {fmt.Sprint(f.samID)}, "accept_reason": {"cheap"}, "accept_expires": {time.Now().AddDate(0, 2, 0).Format("2006-01-02")}}
		w = webtest.PostForm(t, f.priya, page+"/risks", form)
		webtest.WantPage(t, w, 422, "The title is required", "The assets: names assets this organisation does not have",
			"The impact must be from 1 to 3", "The owner must be a member", "The acceptance can be recorded only by an owner or security officer")
		if got := webtest.WalkAPI[riskJSON](t, f.lena, "/api/v1/orgs/riverside/risks", func(int) {}); len(got) != 0 {
			t.Fatalf("a refused form saved %d risks", len(got))
		}
		form.Set("title", "Laptop stolen from a car")
		form.Set("asset_ids", fmt.Sprint(f.laptop))
		form.Set("inherent_impact", "3")
		form.Set("owner_id", fmt.Sprint(f.priyaID))
		form.Set("strategy", "mitigate")
		w = webtest.PostForm(t, f.priya, page+"/risks", form)
		if w.Code != 303 {
			t.Fatalf("POST risk = %d %s", w.Code, w.Body)
		}
		riskPath := strings.Split(w.Header().Get("Location"), "?")[0]
		w = f.lena.Get(t, page+"/risks")
		webtest.WantPage(t, w, 200, "Laptop stolen from a car", "Front desk laptop", "Theft of a device", "priya", `id="heat-current"`, `class="risk-heatmap"`, `id="heat-map-inherent"`,
			`href="/orgs/riverside/risks?which=current&amp;likelihood=1&amp;impact=1"`)
		if !regexp.MustCompile(`<svg class="risk-swatch"[^>]*><rect [^>]*fill="#2e7d32"/></svg> Low`).MatchString(w.Body.String()) {
			t.Errorf("the level is not shown as a coloured label with text")
		}
		webtest.WantPage(t, f.lena.Get(t, page+"/risks?which=current&likelihood=1&impact=1"), 200, "Laptop stolen from a car", "one heat-map cell")
		webtest.WantPage(t, f.lena.Get(t, page+"/risks?level=4"), 200, "No risk matches these filters")
		// The risk's page: a task, planned and completed.
		webtest.WantPage(t, f.lena.Get(t, riskPath), 200, "Laptop stolen from a car", "History", "Version 1")
		w = webtest.PostForm(t, f.priya, riskPath+"/tasks", url.Values{"title": {"Encrypt"}, "owner_id": {fmt.Sprint(f.eveID)}, "due": {"2020-01-01"}})
		webtest.WantPage(t, w, 422, "Who does it must be a member")
		w = webtest.PostForm(t, f.priya, riskPath+"/tasks", url.Values{"title": {"Turn on disk encryption"}, "owner_id": {fmt.Sprint(f.priyaID)}, "due": {"2020-01-01"}})
		if w.Code != 303 {
			t.Fatalf("POST task = %d %s", w.Code, w.Body)
		}
		webtest.WantPage(t, f.lena.Get(t, page+"/plan"), 200, "Turn on disk encryption", "overdue", "1 overdue task")
		w = f.priya.Get(t, "/tasks")
		webtest.WantPage(t, w, 200, "My tasks", "Turn on disk encryption", "Riverside")
		m := regexp.MustCompile(`action="(/orgs/riverside/tasks/\d+\?return=[^"]+)"`).FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("my tasks has no form to change a task: %s", w.Body)
		}
		w = webtest.PostForm(t, f.priya, strings.ReplaceAll(m[1], "&amp;", "&"), url.Values{"status": {"done"}})
		if w.Code != 303 || w.Header().Get("Location") != "/tasks" {
			t.Fatalf("complete task = %d %s", w.Code, w.Header().Get("Location"))
		}
		webtest.WantPage(t, f.lena.Get(t, page+"/plan"), 200, "No task is overdue")
		// The scale page: a matrix for everyone, choices for the officer.
		webtest.WantPage(t, f.lena.Get(t, page+"/risk-scale"), 200, "Level of each likelihood and impact", "Critical")
		if strings.Contains(f.priya.Get(t, page+"/risk-scale").Body.String(), "Use 5 × 5") {
			t.Error("a contributor is offered to change the scale")
		}
		w = webtest.PostForm(t, f.sam, page+"/risk-scale", url.Values{"name": {"Ours"}, "likelihood": {"Low | rare\nHigh | often"}, "impact": {"Low\nHigh"},
			"levels": {"Fine | #00ff00\nBad | red"}, "matrix_1_1": {"0"}, "matrix_1_2": {"1"}, "matrix_2_1": {"1"}, "matrix_2_2": {"1"}})
		webtest.WantPage(t, w, 422, "The colour of level 2 must be a colour like #c62828")
		w = webtest.PostForm(t, f.sam, page+"/risk-scale", url.Values{"preset": {"5x5"}})
		if w.Code != 303 {
			t.Fatalf("choose 5 × 5 = %d", w.Code)
		}
		webtest.WantPage(t, f.lena.Get(t, page+"/risk-scale"), 200, "Almost certain", "1 risk is still rated on an earlier scale")
		webtest.WantPage(t, f.lena.Get(t, riskPath), 200, "Rated on the earlier scale")
		// Another organisation's risk is not found.
		if w := f.eve.Get(t, strings.Replace(riskPath, "riverside", "other", 1)); w.Code != 404 {
			t.Errorf("another organisation's risk page = %d, want 404", w.Code)
		}
	})
}

// TestRegisterLargeInventory: beyond store.ChoiceAssets assets, the risk
// form and the register's filter do not list the inventory (which made the
// pages read every asset), yet show the names of the risks' assets, and the
// form takes more assets by number.
func TestRegisterLargeInventory(t *testing.T) {
	dsn := storetest.SQLiteURL(t)
	f := newRegFixture(t, dsn)
	var many []risk.Asset
	for i := range store.ChoiceAssets + 50 {
		many = append(many, risk.Asset{Name: fmt.Sprintf("Workstation %03d", i), Kind: "workstation"})
	}
	saved, err := f.db.CreateAssets(context.Background(), store.Actor{Name: "test"}, f.org.ID, many)
	if err != nil {
		t.Fatal(err)
	}
	last := saved[len(saved)-1]
	const page = "/orgs/riverside"
	w := f.priya.Get(t, page+"/risks/new")
	webtest.WantPage(t, w, 200, "Assets, by number", `name="more_asset_ids"`)
	if strings.Contains(w.Body.String(), "Workstation 000") {
		t.Error("the form of a large inventory lists its assets")
	}
	webtest.WantPage(t, f.priya.Get(t, fmt.Sprintf("%s/risks/new?asset=%d", page, last.ID)), 200, last.Name, `name="asset_ids" value="`+fmt.Sprint(last.ID)+`" checked`)
	form := url.Values{"title": {"Workstations unpatched"}, "more_asset_ids": {fmt.Sprintf("%d, nope", f.laptop)}, "threat": {"ransomware"}, "vulnerability": {"unsupported_os"},
		"inherent_likelihood": {"3"}, "inherent_impact": {"3"}, "current_likelihood": {"2"}, "current_impact": {"3"},
		"likelihood_rationale": {"x"}, "impact_rationale": {"y"}}
	webtest.WantPage(t, webtest.PostForm(t, f.priya, page+"/risks", form), 422, "&#34;nope&#34; is not an asset number")
	form.Set("more_asset_ids", fmt.Sprintf("%d %d", f.laptop, last.ID))
	if w := webtest.PostForm(t, f.priya, page+"/risks", form); w.Code != 303 {
		t.Fatalf("POST risk = %d %s", w.Code, w.Body)
	}
	w = f.lena.Get(t, page+"/risks")
	webtest.WantPage(t, w, 200, "Workstations unpatched", "Front desk laptop", last.Name, "the inventory is too large to list here")
	if strings.Contains(w.Body.String(), "Workstation 000") {
		t.Error("the register's filter lists a large inventory")
	}
	webtest.WantPage(t, f.lena.Get(t, fmt.Sprintf("%s/risks?asset=%d", page, last.ID)), 200, "Workstations unpatched", `<option value="`+fmt.Sprint(last.ID)+`" selected>`+last.Name)
}
