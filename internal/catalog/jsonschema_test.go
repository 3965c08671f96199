package catalog

import (
	"errors"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schema validates documents with github.com/santhosh-tekuri/jsonschema/v6.
// NIST's OSCAL schemas are draft-07; their formats (date-time, uri, email,
// ...) are checked, not only read as annotations.
type schema struct {
	compiled *jsonschema.Schema
}

func loadSchema(t testing.TB, path string) *schema {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	return compileSchema(t, doc)
}

// compileSchema compiles a schema already decoded from JSON.
func compileSchema(t testing.TB, doc any) *schema {
	t.Helper()
	const loc = "mem:///schema.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	if err := c.AddResource(loc, doc); err != nil {
		t.Fatalf("add schema: %v", err)
	}
	compiled, err := c.Compile(loc)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return &schema{compiled: compiled}
}

// validate returns the problems with doc, each with a JSON pointer; none
// means valid.
func (s *schema) validate(doc any) []string {
	err := s.compiled.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	var problems []string
	for _, u := range ve.BasicOutput().Errors {
		if u.Error != nil {
			problems = append(problems, orRoot(u.InstanceLocation)+": "+u.Error.String())
		}
	}
	if len(problems) == 0 {
		problems = append(problems, ve.Error())
	}
	return problems
}

func orRoot(at string) string {
	if at == "" {
		return "/"
	}
	return at
}

func TestSchemaValidatorSelfCheck(t *testing.T) {
	s := compileSchema(t, map[string]any{
		"definitions": map[string]any{
			"tok": map[string]any{"type": "string", "pattern": `^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`},
		},
		"type":                 "object",
		"required":             []any{"id"},
		"additionalProperties": false,
		"properties": map[string]any{
			"id":    map[string]any{"$ref": "#/definitions/tok"},
			"list":  map[string]any{"type": "array", "minItems": float64(1), "items": map[string]any{"type": "integer"}},
			"kind":  map[string]any{"anyOf": []any{map[string]any{"$ref": "#/definitions/tok"}, map[string]any{"enum": []any{"x y"}}}},
			"count": map[string]any{"allOf": []any{map[string]any{"type": "integer"}, map[string]any{"minimum": float64(1)}}},
		},
	})
	good := map[string]any{"id": "a-1", "list": []any{1.0}, "kind": "x y", "count": 2.0}
	if errs := s.validate(good); len(errs) != 0 {
		t.Errorf("validate(good) = %v", errs)
	}
	for name, bad := range map[string]map[string]any{
		"missing id":     {},
		"bad token":      {"id": "1a"},
		"extra property": {"id": "a", "zzz": 1.0},
		"empty list":     {"id": "a", "list": []any{}},
		"wrong item":     {"id": "a", "list": []any{"x"}},
		"anyOf":          {"id": "a", "kind": "not a token"},
		"minimum":        {"id": "a", "count": 0.0},
	} {
		if errs := s.validate(bad); len(errs) == 0 {
			t.Errorf("validate(%s) found no problem", name)
		}
	}
}
