package catalog

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// schema is a minimal JSON Schema (draft-07) validator: enough of the
// specification for NIST's OSCAL schemas, which use type, properties,
// required, additionalProperties, items, minItems, $ref to #/definitions,
// enum, pattern, minimum, anyOf, allOf, oneOf and a few formats. Keywords it
// does not know are ignored, as the specification says.
type schema struct {
	root map[string]any
	mu   sync.Mutex
	res  map[string]*regexp.Regexp
}

func loadSchema(t testing.TB, path string) *schema {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	return &schema{root: root, res: map[string]*regexp.Regexp{}}
}

// validate returns the problems with doc, each with a JSON pointer; none
// means valid.
func (s *schema) validate(doc any) []string {
	var errs []string
	s.check(s.root, doc, "", &errs)
	return errs
}

func (s *schema) resolve(ref string) (map[string]any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("unsupported $ref %q", ref)
	}
	var cur any = s.root
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: not an object at %q", ref, tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("$ref %q: no %q", ref, tok)
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q: not a schema", ref)
	}
	return m, nil
}

func (s *schema) regexp(p string) (*regexp.Regexp, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if re, ok := s.res[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	s.res[p] = re
	return re, nil
}

func typeOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func typeMatches(want string, v any) bool {
	got := typeOf(v)
	return got == want || want == "number" && got == "integer"
}

func (s *schema) check(sc map[string]any, v any, at string, errs *[]string) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, fmt.Sprintf("%s: %s", orRoot(at), fmt.Sprintf(format, args...)))
	}
	if ref, ok := sc["$ref"].(string); ok {
		target, err := s.resolve(ref)
		if err != nil {
			fail("%v", err)
			return
		}
		s.check(target, v, at, errs)
		return // draft-07: $ref overrides its siblings
	}
	if t, ok := sc["type"]; ok {
		switch t := t.(type) {
		case string:
			if !typeMatches(t, v) {
				fail("type %s, want %s", typeOf(v), t)
				return
			}
		case []any:
			ok := false
			for _, x := range t {
				if name, _ := x.(string); typeMatches(name, v) {
					ok = true
				}
			}
			if !ok {
				fail("type %s, want one of %v", typeOf(v), t)
				return
			}
		}
	}
	if enum, ok := sc["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if jsonEqual(e, v) {
				found = true
			}
		}
		if !found {
			fail("value %v not in enum %v", v, enum)
		}
	}
	for _, key := range []string{"allOf", "anyOf", "oneOf"} {
		subs, ok := sc[key].([]any)
		if !ok {
			continue
		}
		passed := 0
		var first []string
		for _, sub := range subs {
			m, _ := sub.(map[string]any)
			var sErrs []string
			s.check(m, v, at, &sErrs)
			if len(sErrs) == 0 {
				passed++
			} else if first == nil {
				first = sErrs
			}
		}
		switch {
		case key == "allOf" && passed != len(subs):
			*errs = append(*errs, first...)
		case key == "anyOf" && passed == 0:
			fail("matches none of anyOf: %v", first)
		case key == "oneOf" && passed != 1:
			fail("matches %d of oneOf, want exactly 1", passed)
		}
	}
	switch x := v.(type) {
	case string:
		if p, ok := sc["pattern"].(string); ok {
			re, err := s.regexp(p)
			if err != nil {
				fail("bad pattern %q: %v", p, err)
			} else if !re.MatchString(x) {
				fail("%q does not match %s", x, p)
			}
		}
		if f, ok := sc["format"].(string); ok {
			if err := checkFormat(f, x); err != nil {
				fail("format %s: %v", f, err)
			}
		}
	case float64:
		if m, ok := sc["minimum"].(float64); ok && x < m {
			fail("%v below minimum %v", x, m)
		}
	case []any:
		if n, ok := sc["minItems"].(float64); ok && float64(len(x)) < n {
			fail("%d items, want at least %v", len(x), n)
		}
		if items, ok := sc["items"].(map[string]any); ok {
			for i, it := range x {
				s.check(items, it, fmt.Sprintf("%s/%d", at, i), errs)
			}
		}
	case map[string]any:
		if req, ok := sc["required"].([]any); ok {
			for _, r := range req {
				if name, _ := r.(string); name != "" {
					if _, ok := x[name]; !ok {
						fail("missing required property %q", name)
					}
				}
			}
		}
		props, _ := sc["properties"].(map[string]any)
		for name, val := range x {
			if ps, ok := props[name].(map[string]any); ok {
				s.check(ps, val, at+"/"+name, errs)
				continue
			}
			switch ap := sc["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("property %q not allowed", name)
				}
			case map[string]any:
				s.check(ap, val, at+"/"+name, errs)
			}
		}
	}
}

func orRoot(at string) string {
	if at == "" {
		return "/"
	}
	return at
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func checkFormat(format, s string) error {
	switch format {
	case "date-time":
		_, err := time.Parse(time.RFC3339Nano, s)
		return err
	case "uri":
		u, err := url.Parse(s)
		if err == nil && !u.IsAbs() {
			err = fmt.Errorf("%q is not an absolute URI", s)
		}
		return err
	case "uri-reference":
		_, err := url.Parse(s)
		return err
	case "email":
		_, err := mail.ParseAddress(s)
		return err
	}
	return nil // formats the schema only annotates
}

func TestSchemaValidatorSelfCheck(t *testing.T) {
	s := &schema{res: map[string]*regexp.Regexp{}}
	s.root = map[string]any{
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
	}
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
