package web

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"
)

type schemaInner struct {
	N int `json:"n"`
}

type schemaBase struct {
	ID    int64  `json:"id"`
	Shade string `json:"shade"`
}

type schemaNode struct {
	Next *schemaNode `json:"next"`
}

type schemaSample struct {
	schemaBase
	Shade    int              `json:"shade"` // hides the embedded one
	Name     string           `json:"name"`
	Note     string           `json:"note,omitempty"`
	When     time.Time        `json:"when,omitzero"`
	Maybe    *string          `json:"maybe"`
	Tags     []string         `json:"tags"`
	Counts   map[string]int   `json:"counts"`
	Inner    schemaInner      `json:"inner"`
	Inline   struct{ A bool } `json:"inline"`
	Quoted   int              `json:"quoted,string"`
	Skipped  string           `json:"-"`
	Raw      json.RawMessage  `json:"raw"`
	Bytes    []byte           `json:"bytes"`
	Node     schemaNode       `json:"node"`
	Untagged string
	hidden   string            // unexported: never written
	Pair     [2]int            `json:"pair"`
	Any      any               `json:"any"`
	Stamps   map[string]*int64 `json:"stamps,omitempty"`
}

// TestSchemaOf checks the schema made from a struct against what
// encoding/json writes for it.
func TestSchemaOf(t *testing.T) {
	g := newSchemaSet()
	ref := g.of(reflect.TypeFor[schemaSample]())
	if ref["$ref"] != refPrefix+"web.schemaSample" {
		t.Fatalf("of(schemaSample) = %v, want a $ref", ref)
	}
	s := g.defs["web.schemaSample"].(map[string]any)
	props := s["properties"].(map[string]any)
	want := map[string]any{
		"id":       map[string]any{"type": "integer"},
		"shade":    map[string]any{"type": "integer"},
		"name":     map[string]any{"type": "string"},
		"note":     map[string]any{"type": "string"},
		"when":     map[string]any{"type": "string", "format": "date-time"},
		"maybe":    map[string]any{"type": []string{"string", "null"}},
		"tags":     map[string]any{"type": []string{"array", "null"}, "items": map[string]any{"type": "string"}},
		"counts":   map[string]any{"type": []string{"object", "null"}, "additionalProperties": map[string]any{"type": "integer"}},
		"inner":    map[string]any{"$ref": refPrefix + "web.schemaInner"},
		"inline":   map[string]any{"type": "object", "properties": map[string]any{"A": map[string]any{"type": "boolean"}}, "required": []string{"A"}, "additionalProperties": false},
		"quoted":   map[string]any{"type": "string"},
		"raw":      map[string]any{},
		"bytes":    map[string]any{"type": []string{"string", "null"}, "contentEncoding": "base64"},
		"node":     map[string]any{"$ref": refPrefix + "web.schemaNode"},
		"Untagged": map[string]any{"type": "string"},
		"pair":     map[string]any{"type": "array", "items": map[string]any{"type": "integer"}, "minItems": 2, "maxItems": 2},
		"any":      map[string]any{},
		"stamps":   map[string]any{"type": []string{"object", "null"}, "additionalProperties": map[string]any{"type": []string{"integer", "null"}}},
	}
	if !reflect.DeepEqual(props, want) {
		for k := range want {
			if !reflect.DeepEqual(props[k], want[k]) {
				t.Errorf("property %s = %v, want %v", k, props[k], want[k])
			}
		}
		for k := range props {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected property %s", k)
			}
		}
	}
	// What encoding/json writes is what the schema lists.
	b, err := json.Marshal(schemaSample{hidden: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var written map[string]any
	if err := json.Unmarshal(b, &written); err != nil {
		t.Fatal(err)
	}
	req, _ := s["required"].([]string)
	for _, k := range req {
		if _, ok := written[k]; !ok {
			t.Errorf("required %q is not written for a zero value", k)
		}
	}
	for k := range written {
		if _, ok := props[k]; !ok {
			t.Errorf("encoding/json writes %q, which the schema lacks", k)
		}
	}
	// A type that refers to itself is defined once, by reference.
	node := g.defs["web.schemaNode"].(map[string]any)["properties"].(map[string]any)["next"]
	if !reflect.DeepEqual(node, map[string]any{"anyOf": []any{map[string]any{"$ref": refPrefix + "web.schemaNode"}, map[string]any{"type": "null"}}}) {
		t.Errorf("schemaNode.next = %v", node)
	}
}

// TestIfMatchHeader checks the entity tags If-Match accepts.
func TestIfMatchHeader(t *testing.T) {
	for _, tt := range []struct {
		header  string
		version int
		want    int
		refused bool
	}{
		{"", 3, 0, false},
		{"*", 3, 0, false},
		{`"3"`, 3, 3, false},
		{`"2", "3"`, 3, 3, false},
		{`"2"`, 3, 0, true},
		{`W/"3"`, 3, 0, true},
		{`3`, 3, 0, true},
	} {
		r, _ := http.NewRequest(http.MethodPatch, "/", nil)
		if tt.header != "" {
			r.Header.Set("If-Match", tt.header)
		}
		got, err := IfMatch(r, tt.version)
		if got != tt.want || (err != nil) != tt.refused {
			t.Errorf("IfMatch(%q, %d) = %d, %v; want %d, refused %v", tt.header, tt.version, got, err, tt.want, tt.refused)
		}
		if err != nil && classify(err).Code != http.StatusPreconditionFailed {
			t.Errorf("IfMatch(%q) error = %v, want 412", tt.header, err)
		}
	}
}
