package web

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/safeguard-health/safeguard/internal/identity"
)

// An APIDoc describes one route of the JSON API for its OpenAPI document
// (GET /api/v1/openapi.json) and the API reference page (/api-docs). A
// capability declares it beside the route's registration:
//
//	s.Route("GET "+api+"/risks/{id}", read, h.apiRisk)
//	s.Doc("GET "+api+"/risks/{id}", web.APIDoc{Summary: "One risk", Response: riskJSON{}, ETag: true})
//
// The schemas are read from the Go types of Request and Response by
// reflection, so they follow the code; the tests call every documented GET
// and check what it answers against them.
type APIDoc struct {
	// Summary says what the call does, in a few words.
	Summary string
	// Description says more, when there is more to say.
	Description string
	// Request is a value of the type the JSON body decodes into; nil for a
	// call without a body.
	Request any
	// Response is a value of the type of the answer; with List, of one item.
	// nil for an answer without a body (204 No Content).
	Response any
	// List marks a list: it reads ?limit= and ?cursor= and answers
	// {"items": [Response...], "next_cursor": ...}.
	List bool
	// Status is the status of success: 0 is 200, or 204 without Response.
	Status int
	// Query lists the query parameters the call reads, beside limit and cursor.
	Query []Param
	// Example is a request body the call accepts.
	Example any
	// Produces is the media type of an answer that is not JSON (a download).
	Produces []string
	// Consumes lists the media types of a body that is a file itself (an
	// import), not JSON.
	Consumes []string
	// Form describes the multipart form an upload takes (its "file" part
	// and fields); an upload that also takes JSON gives Request too.
	Form any
	// ETag marks a record: its GET sends an ETag (the record's version) and
	// its updates honour If-Match (412 when it no longer matches).
	ETag bool
}

// Param is a query parameter of an API call.
type Param struct {
	Name        string
	Description string
	Required    bool
}

// Doc documents the API route registered at pattern. Every /api/v1 route
// has one: the OpenAPI test fails on a route without, and New fails on a
// document for a route that is not registered.
func (s *Server) Doc(pattern string, d APIDoc) {
	if s.docs == nil {
		s.docs = map[string]APIDoc{}
	}
	s.docs[pattern] = d
}

// APIPrefix is where the versioned JSON API lives.
const APIPrefix = "/api/v1/"

// apiOp is one documented call: its route and what its APIDoc says.
type apiOp struct {
	Method, Path string
	Route        RouteSpec
	Doc          APIDoc
	Documented   bool
}

// apiOps lists the API's routes, in the order they were registered.
func (s *Server) apiOps() []apiOp {
	var ops []apiOp
	for _, rt := range s.routeTable {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok || !strings.HasPrefix(path, APIPrefix) {
			continue
		}
		d, documented := s.docs[rt.Pattern]
		ops = append(ops, apiOp{Method: method, Path: path, Route: rt, Doc: d, Documented: documented})
	}
	return ops
}

// checkDocs reports a document for a route that is not registered: a
// pattern spelled differently from its route's, or a route removed.
func (s *Server) checkDocs() error {
	registered := map[string]bool{}
	for _, rt := range s.routeTable {
		registered[rt.Pattern] = true
	}
	for _, p := range slices.Sorted(maps.Keys(s.docs)) {
		if !registered[p] {
			return fmt.Errorf("API document for %q, which is not a registered route", p)
		}
	}
	return nil
}

var pathParam = regexp.MustCompile(`\{([A-Za-z0-9_]+)(\.\.\.)?\}`)

// capabilityTitles names the route groups of the reference.
var capabilityTitles = map[string]string{
	"session": "Signing in",
	"account": "Your account and API tokens",
	"catalog": "Rule catalogue",
	"org":     "Organisations and members",
	"assess":  "Assessments and evidence",
	"risk":    "Risks, inventory and plans",
	"audit":   "Audit log",
	"admin":   "Platform administration",
	"sso":     "Single sign-on",
	"report":  "Reports",
}

func capabilityTitle(c string) string {
	return cmp.Or(capabilityTitles[c], c)
}

// openAPIDocument builds the OpenAPI 3.1 document of the API.
func (s *Server) openAPIDocument() map[string]any {
	g := newSchemaSet()
	g.define(reflect.TypeFor[errorBody]())
	paths := map[string]any{}
	var tags []string
	for _, op := range s.apiOps() {
		item, _ := paths[op.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[op.Path] = item
		}
		item[strings.ToLower(op.Method)] = operation(g, op)
		if !slices.Contains(tags, op.Route.Capability) {
			tags = append(tags, op.Route.Capability)
		}
	}
	var tagList []any
	for _, t := range tags {
		tagList = append(tagList, map[string]any{"name": t, "description": capabilityTitle(t)})
	}
	errRef := map[string]any{"$ref": refPrefix + defName(reflect.TypeFor[errorBody]())}
	return map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info": map[string]any{
			"title":   "Safeguard API",
			"version": cmp.Or(s.cfg.Version, "dev"),
			"description": "The JSON API of Safeguard, a platform for the HIPAA Security Rule (45 CFR Part 164 Subpart C). " +
				"Call it with an API token (Authorization: Bearer sgt_...) or with a browser session; a session also sends " +
				"its CSRF token in X-CSRF-Token on every call that changes something. Each call needs the permission named in " +
				"x-permission: org:* permissions come from the caller's role in the organisation of the path. " +
				"Lists take ?limit= (1 to 500, default 50) and ?cursor=, and answer {\"items\": [...], \"next_cursor\": ...}; " +
				"next_cursor is null on the last page. Every error answers {\"error\": {\"code\", \"message\", \"fields\"?, \"request_id\"}}. " +
				"Records with a version send it as their ETag; their updates take If-Match and answer 412 when the record has changed since.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"tags":    tagList,
		"paths":   paths,
		"security": []any{
			map[string]any{"token": []any{}},
			map[string]any{"session": []any{}},
		},
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"token":   map[string]any{"type": "http", "scheme": "bearer", "description": "A Safeguard API token (sgt_...), made on the account page or with POST /api/v1/tokens."},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie, "description": "The session cookie POST /api/v1/login sets (__Host-sg_session over HTTPS)."},
			},
			"parameters": map[string]any{
				"limit": map[string]any{"name": "limit", "in": "query", "description": "How many items a page holds, 1 to 500 (default 50).",
					"schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
				"cursor": map[string]any{"name": "cursor", "in": "query", "description": "The next_cursor of the page before; absent for the first page.",
					"schema": map[string]any{"type": "string"}},
				"If-Match": map[string]any{"name": "If-Match", "in": "header", "description": "The ETag the record was read with: the update is refused (412) if the record has changed since.",
					"schema": map[string]any{"type": "string"}, "example": `"3"`},
			},
			"responses": map[string]any{
				"Error": map[string]any{
					"description": "The call failed; code names the kind of failure and fields the fields to correct.",
					"content": map[string]any{"application/json": map[string]any{"schema": errRef,
						"example": errorBody{Error: errorDetail{Code: "invalid", Message: "Some fields need attention.",
							Fields: map[string]string{"name": "is required"}, RequestID: "01JDZ3Q4R8X2"}}}},
				},
			},
		},
	}
}

// operation is the OpenAPI operation of op.
func operation(g *schemaSet, op apiOp) map[string]any {
	d := op.Doc
	o := map[string]any{
		"operationId":  operationID(op.Method, op.Path),
		"summary":      cmp.Or(d.Summary, "Undocumented"),
		"tags":         []string{op.Route.Capability},
		"x-permission": op.Route.Perm.String(),
	}
	desc := "Needs " + permissionPhrase(op.Route.Perm) + "."
	if d.Description != "" {
		desc = d.Description + "\n\n" + desc
	}
	o["description"] = desc
	if op.Route.Perm == identity.PermPublic {
		o["security"] = []any{}
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(op.Path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": pathParamSchema(m[1])})
	}
	if d.List {
		params = append(params, map[string]any{"$ref": "#/components/parameters/limit"}, map[string]any{"$ref": "#/components/parameters/cursor"})
	}
	for _, q := range d.Query {
		params = append(params, map[string]any{"name": q.Name, "in": "query", "required": q.Required, "description": q.Description, "schema": map[string]any{"type": "string"}})
	}
	update := op.Method == http.MethodPatch || op.Method == http.MethodPut
	if d.ETag && update {
		params = append(params, map[string]any{"$ref": "#/components/parameters/If-Match"})
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	content := map[string]any{}
	if d.Request != nil {
		mt := map[string]any{"schema": g.of(reflect.TypeOf(d.Request))}
		if d.Example != nil {
			mt["example"] = d.Example
		}
		content["application/json"] = mt
	}
	if d.Form != nil || op.Route.Upload {
		form := map[string]any{"type": "object"}
		if d.Form != nil {
			form = g.object(reflect.TypeOf(d.Form))
			delete(form, "additionalProperties")
		}
		content["multipart/form-data"] = map[string]any{"schema": form}
	}
	for _, mt := range d.Consumes {
		content[mt] = map[string]any{}
	}
	if len(content) > 0 {
		o["requestBody"] = map[string]any{"required": true, "content": content}
	}
	responses := map[string]any{}
	status := d.Status
	if status == 0 {
		status = http.StatusOK
		if d.Response == nil && len(d.Produces) == 0 {
			status = http.StatusNoContent
		}
	}
	ok := map[string]any{"description": http.StatusText(status)}
	switch {
	case len(d.Produces) > 0:
		c := map[string]any{}
		for _, p := range d.Produces {
			c[p] = map[string]any{}
		}
		ok["content"] = c
	case d.Response != nil:
		schema := g.of(reflect.TypeOf(d.Response))
		if d.List {
			schema = listSchema(schema)
		}
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": schema}}
	}
	if d.ETag && op.Method == http.MethodGet {
		ok["headers"] = map[string]any{"ETag": map[string]any{"description": "The record's version, for If-Match.", "schema": map[string]any{"type": "string"}}}
	}
	responses[fmt.Sprint(status)] = ok
	errRef := map[string]any{"$ref": "#/components/responses/Error"}
	for _, code := range errorStatuses(op) {
		responses[fmt.Sprint(code)] = errRef
	}
	responses["default"] = errRef
	o["responses"] = responses
	return o
}

// listSchema is the schema of a list of items.
func listSchema(item map[string]any) map[string]any {
	return map[string]any{
		"type":     "object",
		"required": []string{"items", "next_cursor"},
		"properties": map[string]any{
			"items":       map[string]any{"type": "array", "items": item},
			"next_cursor": map[string]any{"type": []string{"string", "null"}, "description": "The cursor of the next page; null on the last."},
		},
		"additionalProperties": false,
	}
}

// errorStatuses are the failures a call documents beside its default.
func errorStatuses(op apiOp) []int {
	var out []int
	if op.Route.Perm != identity.PermPublic {
		out = append(out, http.StatusUnauthorized, http.StatusForbidden)
	}
	if strings.Contains(op.Path, "{") {
		out = append(out, http.StatusNotFound)
	}
	if op.Doc.Request != nil || op.Doc.Form != nil || len(op.Doc.Consumes) > 0 || op.Doc.List || len(op.Doc.Query) > 0 {
		out = append(out, http.StatusBadRequest, http.StatusUnprocessableEntity)
	}
	if op.Doc.ETag && (op.Method == http.MethodPatch || op.Method == http.MethodPut) {
		out = append(out, http.StatusConflict, http.StatusPreconditionFailed)
	}
	return out
}

// pathParamSchema is the schema of a path parameter: numbers for IDs.
func pathParamSchema(name string) map[string]any {
	switch name {
	case "id", "seq", "version":
		return map[string]any{"type": "integer", "minimum": 1}
	}
	return map[string]any{"type": "string"}
}

// operationID names a call from its method and path:
// "GET /api/v1/orgs/{org}/risks/{id}" is "get_orgs_org_risks_id".
func operationID(method, path string) string {
	p := strings.TrimPrefix(path, APIPrefix)
	p = strings.NewReplacer("{", "", "}", "", "...", "", "/", "_", "-", "_").Replace(p)
	return strings.ToLower(method) + "_" + p
}

// permissionPhrase says who may make a call.
func permissionPhrase(p identity.Permission) string {
	switch p {
	case identity.PermPublic:
		return "nothing: anyone may call it"
	case identity.PermSignedIn:
		return "a signed-in user or any API token"
	case identity.PermAdmin:
		return "a platform administrator"
	}
	if p.OrgScoped() {
		return "the permission " + p.String() + " in the organisation of the path"
	}
	return "the permission " + p.String()
}

// openAPIJSON is the document as served.
func (s *Server) openAPIJSON() ([]byte, error) {
	b, err := json.MarshalIndent(s.openAPIDocument(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the OpenAPI document: %w", err)
	}
	return append(b, '\n'), nil
}

// apiDocument serves the OpenAPI document.
func (s *Server) apiDocument(w http.ResponseWriter, r *http.Request) error {
	s.openAPI.once.Do(func() { s.openAPI.doc, s.openAPI.err = s.openAPIJSON() })
	if s.openAPI.err != nil {
		return s.openAPI.err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, err := w.Write(s.openAPI.doc)
	return err
}

// capabilityName is the short name of a capability: its package's name
// without "web" ("risk" for riskweb).
func capabilityName(c Capability) string {
	t := reflect.TypeOf(c)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	return cmp.Or(strings.TrimSuffix(pkg, "web"), pkg)
}
