package allweb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/safeguard-health/safeguard/internal/demo"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/allweb"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// docURL is where the tests load the OpenAPI document as a schema
// resource, so that its response schemas can be compiled by JSON pointer.
const docURL = "https://safeguard.test/openapi.json"

// apiDemo is a server with the demo organisations, an owner of riverside
// (Maria) and a platform administrator (root), both signed in.
type apiDemo struct {
	s          *web.Server
	db         *store.DB
	maria, adm *webtest.Client
	doc        map[string]any
	raw        []byte
}

func newAPIDemo(t *testing.T) *apiDemo {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	keys := webtest.Keyring(t)
	if _, err := demo.Load(ctx, db, webtest.Hasher, keys); err != nil {
		t.Fatal(err)
	}
	webtest.CreateUser(t, db, "root@example.org", true, 0, "")
	setPassword(t, db, "maria.alvarez@riverside.example")
	s := webtest.NewServer(t, db, web.Config{Capabilities: allweb.Capabilities(nil), Keys: keys})
	d := &apiDemo{s: s, db: db,
		maria: webtest.LoginFull(t, s, db, "maria.alvarez@riverside.example", webtest.Password),
		adm:   webtest.LoginFull(t, s, db, "root@example.org", webtest.Password)}
	w := d.maria.Get(t, "/api/v1/openapi.json")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/v1/openapi.json = %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	d.raw = w.Body.Bytes()
	if err := json.Unmarshal(d.raw, &d.doc); err != nil {
		t.Fatal(err)
	}
	return d
}

// operations lists "METHOD path" of every operation the document holds.
func (d *apiDemo) operations() []string {
	var out []string
	paths, _ := d.doc["paths"].(map[string]any)
	for p, item := range paths {
		for m := range item.(map[string]any) {
			out = append(out, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(out)
	return out
}

func (d *apiDemo) operation(method, path string) map[string]any {
	item, _ := d.doc["paths"].(map[string]any)[path].(map[string]any)
	op, _ := item[strings.ToLower(method)].(map[string]any)
	return op
}

// compiler loads the document as a schema resource.
func (d *apiDemo) compiler(t *testing.T) *jsonschema.Compiler {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(d.raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(docURL, doc); err != nil {
		t.Fatal(err)
	}
	return c
}

// pointer escapes a JSON pointer's reference tokens into a URL fragment.
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, tok := range tokens {
		tok = strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
		b.WriteString("/" + url.PathEscape(tok))
	}
	return b.String()
}

// responseSchema compiles the schema of the JSON answer of method path
// with status.
func (d *apiDemo) responseSchema(t *testing.T, c *jsonschema.Compiler, method, path string, status int) *jsonschema.Schema {
	t.Helper()
	loc := docURL + "#" + pointer("paths", path, strings.ToLower(method), "responses", fmt.Sprint(status), "content", "application/json", "schema")
	sch, err := c.Compile(loc)
	if err != nil {
		t.Fatalf("compile the schema of %s %s %d: %v", method, path, status, err)
	}
	return sch
}

// checkBody validates an answer against its documented schema.
func checkBody(t *testing.T, sch *jsonschema.Schema, what string, body []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Errorf("%s: the answer is not JSON: %v", what, err)
		return
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s: the answer does not match its documented schema:\n%v\nbody: %.600s", what, err, body)
	}
}

// TestOpenAPIMatchesRoutes fails when an /api/v1 route is registered
// without being documented, or the document names a call that is not
// served: the document is made from the route table, and a route without
// its s.Doc shows as "Undocumented".
func TestOpenAPIMatchesRoutes(t *testing.T) {
	d := newAPIDemo(t)
	var routes []string
	for _, rt := range d.s.Routes() {
		if m, p, ok := strings.Cut(rt.Pattern, " "); ok && strings.HasPrefix(p, web.APIPrefix) {
			routes = append(routes, m+" "+p)
		}
	}
	sort.Strings(routes)
	ops := d.operations()
	if !slices.Equal(routes, ops) {
		for _, r := range routes {
			if !slices.Contains(ops, r) {
				t.Errorf("route %s is not in the OpenAPI document", r)
			}
		}
		for _, o := range ops {
			if !slices.Contains(routes, o) {
				t.Errorf("the OpenAPI document has %s, which is not a route", o)
			}
		}
	}
	for _, o := range ops {
		m, p, _ := strings.Cut(o, " ")
		op := d.operation(m, p)
		if op["summary"] == "Undocumented" {
			t.Errorf("%s has no s.Doc beside its s.Route", o)
		}
		if op["x-permission"] == "" || op["x-permission"] == nil {
			t.Errorf("%s does not name its permission", o)
		}
	}
	if len(ops) < 85 {
		t.Errorf("the document has %d operations, want the whole API (85 or more)", len(ops))
	}
	// The reference page shows every call with its permission, and the
	// schemas; the footer of every page links to it.
	page := d.maria.Get(t, "/api-docs")
	webtest.WantPage(t, page, http.StatusOK, "API reference", "Risks, inventory and plans", "org:write", `id="api-schemas"`, `id="schema-risk.Asset"`)
	for _, o := range ops {
		m, p, _ := strings.Cut(o, " ")
		if !strings.Contains(page.Body.String(), fmt.Sprintf(`>%s</span> <code class="api-path">%s</code>`, m, html.EscapeString(p))) {
			t.Errorf("/api-docs lacks %s", o)
		}
	}
	webtest.WantPage(t, d.maria.Get(t, "/"), http.StatusOK, `<a href="/api-docs">API reference</a>`)
	if w := webtest.Get(t, d.s, "/api/v1/openapi.json"); w.Code != http.StatusUnauthorized {
		t.Errorf("anonymous GET /api/v1/openapi.json = %d, want 401", w.Code)
	}
}

// TestOpenAPIIsValid validates the document against the JSON Schema of
// OpenAPI 3.1 (testdata/README.md says where it comes from), and compiles
// every schema in it.
func TestOpenAPIIsValid(t *testing.T) {
	d := newAPIDemo(t)
	f, err := os.Open("testdata/openapi-3.1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	meta, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const metaURL = "https://spec.openapis.org/oas/3.1/schema/2021-04-15"
	if err := c.AddResource(metaURL, meta); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(metaURL)
	if err != nil {
		t.Fatal(err)
	}
	checkBody(t, sch, "the OpenAPI document", d.raw)
	if d.doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", d.doc["openapi"])
	}

	// Every schema compiles, and every $ref in the document resolves.
	dc := d.compiler(t)
	schemas, _ := d.doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name := range schemas {
		if _, err := dc.Compile(docURL + "#" + pointer("components", "schemas", name)); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
	for _, o := range d.operations() {
		m, p, _ := strings.Cut(o, " ")
		op := d.operation(m, p)
		for status, resp := range op["responses"].(map[string]any) {
			r, _ := resp.(map[string]any)
			if _, ok := r["$ref"]; ok {
				continue
			}
			content, _ := r["content"].(map[string]any)
			if _, ok := content["application/json"]; ok {
				if _, err := dc.Compile(docURL + "#" + pointer("paths", p, strings.ToLower(m), "responses", status, "content", "application/json", "schema")); err != nil {
					t.Errorf("%s answer %s: %v", o, status, err)
				}
			}
		}
		// Every failure answers the one error body.
		if def, _ := op["responses"].(map[string]any)["default"].(map[string]any); def["$ref"] != "#/components/responses/Error" {
			t.Errorf("%s: default answer is not the error body", o)
		}
	}
}

// apiPaths gives each GET route with path parameters a real path in the
// demo; a new GET route without one here fails the test below.
func apiPaths(t *testing.T, d *apiDemo) map[string]string {
	t.Helper()
	first := func(path, field string) string {
		t.Helper()
		var l struct {
			Items    []map[string]any `json:"items"`
			Evidence []map[string]any `json:"evidence"`
		}
		c := d.maria
		if strings.HasPrefix(path, "/api/v1/audit") {
			c = d.adm
		}
		webtest.DecodeJSON200(t, c, path, &l)
		items := append(l.Items, l.Evidence...)
		if len(items) == 0 {
			t.Fatalf("GET %s: no items in the demo", path)
		}
		return fmt.Sprint(items[0][field])
	}
	const org = "/api/v1/orgs/riverside"
	var assessments struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	webtest.DecodeJSON200(t, d.maria, org+"/assessments", &assessments)
	if len(assessments.Items) < 2 {
		t.Fatalf("the demo has %d assessments, want 2 to compare", len(assessments.Items))
	}
	a, b := assessments.Items[0].ID, assessments.Items[1].ID
	evidence := first(org+"/evidence", "id")
	var ev struct {
		Versions []struct {
			Version int `json:"version"`
		} `json:"versions"`
	}
	webtest.DecodeJSON200(t, d.maria, org+"/evidence/"+evidence, &ev)
	if len(ev.Versions) == 0 {
		// A link has no file: find evidence that has one.
		var l struct {
			Evidence []struct {
				ID   int64  `json:"id"`
				Kind string `json:"kind"`
			} `json:"evidence"`
		}
		webtest.DecodeJSON200(t, d.maria, org+"/evidence?limit=100", &l)
		for _, e := range l.Evidence {
			if e.Kind == "file" {
				evidence = fmt.Sprint(e.ID)
				break
			}
		}
		webtest.DecodeJSON200(t, d.maria, org+"/evidence/"+evidence, &ev)
	}
	version := "1"
	if len(ev.Versions) > 0 {
		version = fmt.Sprint(ev.Versions[0].Version)
	}
	// The demo signs one risk analysis off; comparing takes two.
	var an struct {
		ID int64 `json:"id"`
	}
	webtest.MustJSON(t, webtest.SendJSON(t, d.maria, "POST", org+"/analyses", `{"name":"Second analysis","scope":"All","from_last":true}`), http.StatusCreated, &an)
	webtest.MustJSON(t, webtest.SendJSON(t, d.maria, "POST", fmt.Sprintf("%s/analyses/%d/finalise", org, an.ID), `{"attest":true}`), http.StatusOK, nil)
	citation := url.PathEscape("164.312(b)")
	var rep struct {
		ID int64 `json:"id"`
	}
	webtest.MustJSON(t, webtest.SendJSON(t, d.maria, "POST", org+"/reports", `{"format":"pdf","part":"summary"}`), http.StatusCreated, &rep)
	return map[string]string{
		"/api/v1/orgs/{org}/reports":                                        org + "/reports",
		"/api/v1/orgs/{org}/reports/{id}/file":                              fmt.Sprintf("%s/reports/%d/file", org, rep.ID),
		"/api/v1/orgs/{org}":                                                org,
		"/api/v1/orgs/{org}/members":                                        org + "/members",
		"/api/v1/orgs/{org}/audit":                                          org + "/audit",
		"/api/v1/orgs/{org}/audit/{seq}":                                    org + "/audit/" + first(org+"/audit", "seq"),
		"/api/v1/audit/{seq}":                                               "/api/v1/audit/" + first("/api/v1/audit", "seq"),
		"/api/v1/catalog/{citation}":                                        "/api/v1/catalog/" + citation,
		"/api/v1/catalog/search":                                            "/api/v1/catalog/search?q=audit",
		"/api/v1/orgs/{org}/profile":                                        org + "/profile",
		"/api/v1/orgs/{org}/assessments":                                    org + "/assessments",
		"/api/v1/orgs/{org}/assessments/compare":                            fmt.Sprintf("%s/assessments/compare?a=%d&b=%d", org, b, a),
		"/api/v1/orgs/{org}/assessments/{id}":                               fmt.Sprintf("%s/assessments/%d", org, a),
		"/api/v1/orgs/{org}/evidence":                                       org + "/evidence",
		"/api/v1/orgs/{org}/evidence/{id}":                                  org + "/evidence/" + evidence,
		"/api/v1/orgs/{org}/evidence/{id}/versions/{version}/download":      org + "/evidence/" + evidence + "/versions/" + version + "/download",
		"/api/v1/orgs/{org}/assessments/{id}/responses/{citation}/versions": fmt.Sprintf("%s/assessments/%d/responses/%s/versions", org, a, citation),
		"/api/v1/orgs/{org}/risks":                                          org + "/risks",
		"/api/v1/orgs/{org}/risks/heatmap":                                  org + "/risks/heatmap",
		"/api/v1/orgs/{org}/risks/{id}":                                     org + "/risks/" + first(org+"/risks", "id"),
		"/api/v1/orgs/{org}/risks/{id}/history":                             org + "/risks/" + first(org+"/risks", "id") + "/history",
		"/api/v1/orgs/{org}/tasks":                                          org + "/tasks",
		"/api/v1/orgs/{org}/risk-scale":                                     org + "/risk-scale",
		"/api/v1/orgs/{org}/risk-scale/rerate":                              org + "/risk-scale/rerate",
		"/api/v1/orgs/{org}/analyses":                                       org + "/analyses",
		"/api/v1/orgs/{org}/analyses/compare":                               org + "/analyses/compare",
		"/api/v1/orgs/{org}/analyses/{id}":                                  org + "/analyses/" + first(org+"/analyses", "id"),
		"/api/v1/orgs/{org}/assets":                                         org + "/assets",
		"/api/v1/orgs/{org}/assets/{id}":                                    org + "/assets/" + first(org+"/assets", "id"),
		"/api/v1/orgs/{org}/assets/{id}/history":                            org + "/assets/" + first(org+"/assets", "id") + "/history",
		"/api/v1/orgs/{org}/assets/export":                                  org + "/assets/export",
		"/api/v1/orgs/{org}/flows":                                          org + "/flows",
		"/api/v1/orgs/{org}/flows/{id}":                                     org + "/flows/" + first(org+"/flows", "id"),
		"/api/v1/orgs/{org}/flows/{id}/history":                             org + "/flows/" + first(org+"/flows", "id") + "/history",
		"/api/v1/orgs/{org}/threats":                                        org + "/threats",
		"/api/v1/orgs/{org}/vulnerabilities":                                org + "/vulnerabilities",
	}
}

// TestOpenAPIAnswersMatch calls every GET of the API on the demo, as a
// user who may, and validates each answer against its documented schema;
// then makes a few changes with the documented request examples.
func TestOpenAPIAnswersMatch(t *testing.T) {
	d := newAPIDemo(t)
	c := d.compiler(t)
	paths := apiPaths(t, d)
	for _, o := range d.operations() {
		m, p, _ := strings.Cut(o, " ")
		if m != http.MethodGet {
			continue
		}
		path, ok := paths[p]
		if !ok {
			if strings.Contains(p, "{") {
				t.Errorf("%s: give it a demo path in apiPaths", o)
				continue
			}
			path = p
		}
		op := d.operation(m, p)
		client := d.maria
		if op["x-permission"] == "admin" {
			client = d.adm
		}
		w := client.Get(t, path)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200: %.300s", path, w.Code, w.Body)
			continue
		}
		ok200, _ := op["responses"].(map[string]any)["200"].(map[string]any)
		content, _ := ok200["content"].(map[string]any)
		if _, isJSON := content["application/json"]; !isJSON {
			if ct := w.Header().Get("Content-Type"); content[strings.Split(ct, ";")[0]] == nil && content["application/octet-stream"] == nil {
				t.Errorf("GET %s: Content-Type %q is not one documented", path, ct)
			}
			continue
		}
		checkBody(t, d.responseSchema(t, c, m, p, http.StatusOK), "GET "+path, w.Body.Bytes())
		headers, _ := ok200["headers"].(map[string]any)
		if _, etag := headers["ETag"]; etag && w.Header().Get("ETag") == "" {
			t.Errorf("GET %s: documented ETag not sent", path)
		}
	}

	// The schemas hold the answers to their shape: a list of risks whose
	// item lacks its members, or has one the code does not write, fails.
	risks := d.responseSchema(t, c, http.MethodGet, "/api/v1/orgs/{org}/risks", http.StatusOK)
	for _, bad := range []string{`{"items":[{"title":"x"}],"next_cursor":null}`, `{"items":[],"next_cursor":null,"total":3}`, `{"items":[]}`} {
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if risks.Validate(v) == nil {
			t.Errorf("the risks list schema accepts %s", bad)
		}
	}

	// Changes made with the documented examples answer what is documented.
	for _, tc := range []struct {
		method, pattern, path string
		client                *webtest.Client
	}{
		{"POST", "/api/v1/orgs/{org}/assessments", "/api/v1/orgs/riverside/assessments", d.maria},
		{"PATCH", "/api/v1/orgs/{org}", "/api/v1/orgs/riverside", d.maria},
		{"PATCH", "/api/v1/orgs/{org}/profile", "/api/v1/orgs/riverside/profile", d.maria},
		{"POST", "/api/v1/orgs/{org}/members", "/api/v1/orgs/riverside/members", d.maria},
		{"POST", "/api/v1/orgs/{org}/analyses", "/api/v1/orgs/riverside/analyses", d.maria},
		{"POST", "/api/v1/admin/users", "/api/v1/admin/users", d.adm},
	} {
		op := d.operation(tc.method, tc.pattern)
		body, _ := op["requestBody"].(map[string]any)
		mt, _ := body["content"].(map[string]any)["application/json"].(map[string]any)
		ex, ok := mt["example"]
		if !ok {
			t.Errorf("%s %s has no request example", tc.method, tc.pattern)
			continue
		}
		b, _ := json.Marshal(ex)
		w := webtest.SendJSON(t, tc.client, tc.method, tc.path, string(b))
		status := 0
		for s := range op["responses"].(map[string]any) {
			if len(s) == 3 && s[0] == '2' {
				fmt.Sscan(s, &status)
			}
		}
		if w.Code != status {
			t.Errorf("%s %s with its example = %d, want %d: %s", tc.method, tc.path, w.Code, status, w.Body)
			continue
		}
		checkBody(t, d.responseSchema(t, c, tc.method, tc.pattern, status), tc.method+" "+tc.path, w.Body.Bytes())
	}

	// An error answers the documented error body.
	w := d.maria.Get(t, "/api/v1/orgs/riverside/risks?limit=0")
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("limit=0 = %d, want 422", w.Code)
	}
	errSchema, err := c.Compile(docURL + "#" + pointer("components", "schemas", "web.errorBody"))
	if err != nil {
		t.Fatal(err)
	}
	checkBody(t, errSchema, "an error", w.Body.Bytes())
}

// TestIfMatch proves that an update made from a version that is no longer
// the stored one is refused with 412 and changes nothing, and that the
// ETag a GET sends makes an update that passes.
func TestIfMatch(t *testing.T) {
	d := newAPIDemo(t)
	const org = "/api/v1/orgs/riverside"
	for _, kind := range []string{"assets", "flows", "risks"} {
		t.Run(kind, func(t *testing.T) {
			var l struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
			}
			webtest.DecodeJSON200(t, d.maria, org+"/"+kind, &l)
			path := fmt.Sprintf("%s/%s/%d", org, kind, l.Items[0].ID)
			read := d.maria.Get(t, path)
			etag := read.Header().Get("ETag")
			var rec map[string]any
			if err := json.Unmarshal(read.Body.Bytes(), &rec); err != nil || etag == "" {
				t.Fatalf("GET %s: ETag %q, %v", path, etag, err)
			}
			if want := fmt.Sprintf(`"%v"`, rec["version"]); etag != want {
				t.Errorf("ETag = %s, want %s (the version)", etag, want)
			}
			field := map[string]string{"assets": "notes", "flows": "description", "risks": "likelihood_rationale"}[kind]
			body := func(text string) string { return fmt.Sprintf(`{%q: %q}`, field, text) }
			stale := fmt.Sprintf(`"%v"`, rec["version"].(float64)-1)
			w := sendWithHeader(t, d.maria, "PATCH", path, body("A stale change"), "If-Match", stale)
			if w.Code != http.StatusPreconditionFailed {
				t.Fatalf("PATCH with a stale If-Match = %d, want 412: %s", w.Code, w.Body)
			}
			var e web.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code != "precondition_failed" {
				t.Errorf("412 body = %s", w.Body)
			}
			again := d.maria.Get(t, path)
			if again.Body.String() != read.Body.String() || again.Header().Get("ETag") != etag {
				t.Errorf("a refused update changed the record:\nbefore %s\nafter  %s", read.Body, again.Body)
			}
			w = sendWithHeader(t, d.maria, "PATCH", path, body("A change from the version read"), "If-Match", etag)
			if w.Code != http.StatusOK {
				t.Fatalf("PATCH with the current If-Match = %d: %s", w.Code, w.Body)
			}
			if got := w.Header().Get("ETag"); got == etag || got == "" {
				t.Errorf("ETag after the update = %q, want a new version after %s", got, etag)
			}
			// The old tag is now stale.
			w = sendWithHeader(t, d.maria, "PATCH", path, body("Again from the old version"), "If-Match", etag)
			if w.Code != http.StatusPreconditionFailed {
				t.Errorf("PATCH with the tag of the version before = %d, want 412", w.Code)
			}
		})
	}
}

// sendWithHeader is webtest.SendJSON with one more header.
func sendWithHeader(t *testing.T, c *webtest.Client, method, path, body, name, value string) *httptest.ResponseRecorder {
	t.Helper()
	return c.DoHeader(t, method, path, "application/json", strings.NewReader(body), name, value)
}

// TestIfMatchTasksAndResponses covers the updates whose records have no GET
// of their own: a task of the plan, and an entry's response.
func TestIfMatchTasksAndResponses(t *testing.T) {
	d := newAPIDemo(t)
	const org = "/api/v1/orgs/riverside"
	var tasks struct {
		Items []struct {
			ID      int64 `json:"id"`
			Version int   `json:"version"`
		} `json:"items"`
	}
	webtest.DecodeJSON200(t, d.maria, org+"/tasks", &tasks)
	if len(tasks.Items) == 0 {
		t.Fatal("the demo has no tasks")
	}
	task := tasks.Items[0]
	path := fmt.Sprintf("%s/tasks/%d", org, task.ID)
	w := sendWithHeader(t, d.maria, "PATCH", path, `{"description":"A stale change"}`, "If-Match", fmt.Sprintf(`"%d"`, task.Version+1))
	if w.Code != http.StatusPreconditionFailed {
		t.Errorf("PATCH %s with a stale If-Match = %d, want 412: %s", path, w.Code, w.Body)
	}
	w = sendWithHeader(t, d.maria, "PATCH", path, `{"description":"From the version read"}`, "If-Match", fmt.Sprintf(`"%d"`, task.Version))
	if w.Code != http.StatusOK || w.Header().Get("ETag") != fmt.Sprintf(`"%d"`, task.Version+1) {
		t.Errorf("PATCH %s with the current If-Match = %d ETag %q, want 200 and the next version", path, w.Code, w.Header().Get("ETag"))
	}

	resp := org + "/assessments/2/responses/" + url.PathEscape("164.312(b)")
	w = webtest.SendJSON(t, d.maria, "PATCH", resp, `{"status":"not_implemented","narrative":"No log review yet","owner":"Sam Okafor","target_date":"2026-09-30"}`)
	etag := w.Header().Get("ETag")
	if w.Code != http.StatusOK || etag == "" {
		t.Fatalf("PATCH %s = %d ETag %q", resp, w.Code, etag)
	}
	versions := func() int {
		var l struct {
			Items []any `json:"items"`
		}
		webtest.DecodeJSON200(t, d.maria, resp+"/versions?limit=500", &l)
		return len(l.Items)
	}
	before := versions()
	w = sendWithHeader(t, d.maria, "PATCH", resp, `{"narrative":"Stale"}`, "If-Match", `"0"`)
	if w.Code != http.StatusPreconditionFailed {
		t.Errorf("PATCH %s with a stale If-Match = %d, want 412", resp, w.Code)
	}
	if after := versions(); after != before {
		t.Errorf("a refused update added a version: %d, want %d", after, before)
	}
	if w = sendWithHeader(t, d.maria, "PATCH", resp, `{"narrative":"Second"}`, "If-Match", etag); w.Code != http.StatusOK {
		t.Errorf("PATCH %s with the current If-Match = %d: %s", resp, w.Code, w.Body)
	}
}
