package web

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// apiDocsPage is the API reference: the OpenAPI document as a page, its
// calls grouped by capability and its schemas as tables.
type apiDocsPage struct {
	Page
	Groups  []apiGroupView
	Schemas []apiSchemaView
}

type apiGroupView struct {
	ID, Title string
	Ops       []apiOpView
}

type apiOpView struct {
	ID, Method, Path, Permission, Summary, Description string
	Status                                             int
	List, ETag                                         bool
	Request, Response                                  apiTypeView
	Query                                              []Param
	Produces                                           string
	Upload                                             bool
}

// apiTypeView names a schema as a person reads it ("array of risk.Asset"),
// linking to the named schema it is made of.
type apiTypeView struct {
	Label, Ref string
}

type apiSchemaView struct {
	Name   string
	Fields []apiFieldView
}

type apiFieldView struct {
	Name     string
	Type     apiTypeView
	Required bool
}

func (s *Server) apiDocsPage(w http.ResponseWriter, r *http.Request) error {
	s.Render(w, r, http.StatusOK, "api_docs", s.apiDocsView())
	return nil
}

func (s *Server) apiDocsView() *apiDocsPage {
	g := newSchemaSet()
	p := &apiDocsPage{Page: Page{Title: "API reference"}}
	groups := map[string]*apiGroupView{}
	var order []string
	for _, op := range s.apiOps() {
		c := op.Route.Capability
		if groups[c] == nil {
			groups[c] = &apiGroupView{ID: "api-" + c, Title: capabilityTitle(c)}
			order = append(order, c)
		}
		d := op.Doc
		v := apiOpView{
			ID: operationID(op.Method, op.Path), Method: op.Method, Path: op.Path, Permission: permissionPhrase(op.Route.Perm),
			Summary: cmp.Or(d.Summary, "Undocumented"), Description: d.Description, Status: d.Status,
			List: d.List, ETag: d.ETag, Query: d.Query, Produces: strings.Join(d.Produces, ", "), Upload: op.Route.Upload || d.Form != nil,
		}
		if d.Request != nil {
			v.Request = typeView(g.of(reflect.TypeOf(d.Request)))
		}
		if d.Response != nil {
			v.Response = typeView(g.of(reflect.TypeOf(d.Response)))
			if d.List {
				v.Response.Label = "list of " + v.Response.Label
			}
		}
		if v.Status == 0 {
			v.Status = http.StatusOK
			if d.Response == nil && len(d.Produces) == 0 {
				v.Status = http.StatusNoContent
			}
		}
		groups[c].Ops = append(groups[c].Ops, v)
	}
	for _, c := range order {
		p.Groups = append(p.Groups, *groups[c])
	}
	g.define(reflect.TypeFor[errorBody]())
	for _, name := range slices.Sorted(maps.Keys(g.defs)) {
		def, _ := g.defs[name].(map[string]any)
		props, _ := def["properties"].(map[string]any)
		req, _ := def["required"].([]string)
		sv := apiSchemaView{Name: name}
		for _, f := range g.order[name] {
			ps, _ := props[f].(map[string]any)
			sv.Fields = append(sv.Fields, apiFieldView{Name: f, Type: typeView(ps), Required: slices.Contains(req, f)})
		}
		p.Schemas = append(p.Schemas, sv)
	}
	return p
}

// typeView reads a schema the schemaSet made as a short phrase.
func typeView(s map[string]any) apiTypeView {
	if ref, ok := s["$ref"].(string); ok {
		n := strings.TrimPrefix(ref, refPrefix)
		return apiTypeView{Label: n, Ref: n}
	}
	if alt, ok := s["anyOf"].([]any); ok && len(alt) == 2 {
		inner, _ := alt[0].(map[string]any)
		v := typeView(inner)
		v.Label += " or null"
		return v
	}
	suffix := ""
	var typ string
	switch t := s["type"].(type) {
	case string:
		typ = t
	case []string:
		typ, suffix = t[0], " or null"
	default:
		if len(s) == 0 {
			return apiTypeView{Label: "any JSON value"}
		}
		return apiTypeView{Label: "object"}
	}
	var v apiTypeView
	switch typ {
	case "array":
		items, _ := s["items"].(map[string]any)
		v = typeView(items)
		v.Label = "array of " + v.Label
	case "object":
		if ap, ok := s["additionalProperties"].(map[string]any); ok {
			v = typeView(ap)
			v.Label = "map of " + v.Label
		} else {
			v.Label = "object"
		}
	case "string":
		v.Label = "string"
		if f, ok := s["format"].(string); ok {
			v.Label = f
		}
	default:
		v.Label = typ
		if m, ok := s["minimum"]; ok {
			v.Label += fmt.Sprintf(" ≥ %v", m)
		}
	}
	v.Label += suffix
	return v
}
