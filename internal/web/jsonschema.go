package web

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// The API's documented schemas are made from the Go types the handlers
// encode and decode, read the way encoding/json reads them: json tags name
// the members, omitempty and omitzero make a member optional, embedded
// structs lend their members, a nil pointer, slice or map is null. A named
// struct becomes a reusable schema (components/schemas in the OpenAPI
// document); everything else is written in place.

// schemaSet builds JSON Schemas (2020-12, as OpenAPI 3.1 takes them) from Go
// types, collecting the named structs it meets.
type schemaSet struct {
	defs  map[string]any          // schema of each named struct, by name
	names map[reflect.Type]string // the name given to each named struct
	taken map[string]reflect.Type // which type holds each name
	order map[string][]string     // the members of each named struct, in the order of its fields
}

func newSchemaSet() *schemaSet {
	return &schemaSet{defs: map[string]any{}, names: map[reflect.Type]string{}, taken: map[string]reflect.Type{}, order: map[string][]string{}}
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// refPrefix is where the OpenAPI document keeps the named schemas.
const refPrefix = "#/components/schemas/"

// of is the schema of values of type t.
func (g *schemaSet) of(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawMessageType:
		return map[string]any{}
	case t.Kind() == reflect.Struct && t.NumField() == 1 && t.Field(0).Anonymous && t.Field(0).Type == timeType:
		// A time that reads more forms than time.Time does (a request's date).
		return map[string]any{"type": "string", "description": "a date (2026-03-01) or an RFC 3339 time"}
	case t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && (t.Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(jsonMarshalerType)):
		return map[string]any{} // its own encoding: any JSON value
	case t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && (t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)):
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Pointer:
		return nullable(g.of(t.Elem()))
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !t.Elem().Implements(jsonMarshalerType) && !t.Elem().Implements(textMarshalerType) {
			return nullable(map[string]any{"type": "string", "contentEncoding": "base64"})
		}
		return nullable(map[string]any{"type": "array", "items": g.of(t.Elem())})
	case reflect.Array:
		return map[string]any{"type": "array", "items": g.of(t.Elem()), "minItems": t.Len(), "maxItems": t.Len()}
	case reflect.Map:
		return nullable(map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())})
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		return map[string]any{"$ref": refPrefix + g.define(t)}
	}
	// Channels, functions and complex numbers cannot be encoded.
	return map[string]any{"not": map[string]any{}}
}

// define adds the named struct t to the set, once, and returns its name.
func (g *schemaSet) define(t reflect.Type) string {
	if n, ok := g.names[t]; ok {
		return n
	}
	base := defName(t)
	name := base
	for i := 2; g.taken[name] != nil; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	g.names[t], g.taken[name] = name, t
	g.defs[name] = map[string]any{} // a placeholder while its members are read: types may refer to themselves
	g.defs[name] = g.object(t)
	for _, f := range jsonFields(t) {
		g.order[name] = append(g.order[name], f.name)
	}
	return name
}

var notDefChar = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// defName is the schema name of a named type: its package's last element
// and its name ("risk.Asset"), with what a name may not hold replaced.
func defName(t reflect.Type) string {
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	n := t.Name()
	if pkg != "" {
		n = pkg + "." + n
	}
	return strings.Trim(notDefChar.ReplaceAllString(n, "_"), "_")
}

// object is the schema of a struct's JSON object.
func (g *schemaSet) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	for _, f := range jsonFields(t) {
		s := g.of(f.typ)
		if f.quoted {
			s = map[string]any{"type": "string"}
		}
		props[f.name] = s
		if !f.optional {
			required = append(required, f.name)
		}
	}
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// nullable lets s also be null.
func nullable(s map[string]any) map[string]any {
	if t, ok := s["type"].(string); ok {
		c := make(map[string]any, len(s))
		for k, v := range s {
			c[k] = v
		}
		c["type"] = []string{t, "null"}
		return c
	}
	if len(s) == 0 {
		return s // any value already includes null
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

// jsonField is one member of a struct's JSON object.
type jsonField struct {
	name     string
	typ      reflect.Type
	optional bool // omitempty or omitzero: the member may be absent
	quoted   bool // the ",string" option
	depth    int
	tagged   bool
}

// jsonFields lists the members encoding/json writes for struct t, following
// its rules for embedded structs: a shallower member hides a deeper one of
// the same name, and of two at one depth a tagged one wins (two untagged
// ones cancel each other, as they do in encoding/json).
func jsonFields(t reflect.Type) []jsonField {
	var all []jsonField
	var walk func(t reflect.Type, depth int, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, depth int, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := f.Type
			if f.Anonymous && name == "" {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					walk(et, depth+1, seen)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			jf := jsonField{name: name, typ: ft, depth: depth, tagged: name != ""}
			if name == "" {
				jf.name = f.Name
			}
			for o := range strings.SplitSeq(opts, ",") {
				switch o {
				case "omitempty", "omitzero":
					jf.optional = true
				case "string":
					switch ft.Kind() {
					case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
						jf.quoted = true
					}
				}
			}
			all = append(all, jf)
		}
	}
	walk(t, 0, map[reflect.Type]bool{})
	var out []jsonField
	for i, f := range all {
		keep := true
		for j, o := range all {
			if o.name != f.name || i == j {
				continue
			}
			if o.depth < f.depth || (o.depth == f.depth && o.tagged && !f.tagged) || (o.depth == f.depth && o.tagged == f.tagged) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, f)
		}
	}
	return out
}
