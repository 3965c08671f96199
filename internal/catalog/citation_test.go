package catalog

import (
	"slices"
	"testing"
)

func TestParseCitation(t *testing.T) {
	tests := []struct {
		in      string
		section string
		paras   []string
	}{
		{"164.312(a)(2)(iv)", "164.312", []string{"a", "2", "iv"}},
		{"§164.312(a)(2)(iv)", "164.312", []string{"a", "2", "iv"}},
		{"§§ 164.312(a)(2)(iv)", "164.312", []string{"a", "2", "iv"}},
		{"45 CFR 164.312(a)(2)(iv)", "164.312", []string{"a", "2", "iv"}},
		{"45 cfr §164.312 (a) (2) (iv)", "164.312", []string{"a", "2", "iv"}},
		{"45 C.F.R. § 164.308(A)(1)(II)(a)", "164.308", []string{"a", "1", "ii", "A"}},
		{"Section 164.316(b)(2)(i)", "164.316", []string{"b", "2", "i"}},
		{"164.306(d)(3)(ii)(B)(1)", "164.306", []string{"d", "3", "ii", "B", "1"}},
		{"164.310", "164.310", nil},
	}
	for _, tt := range tests {
		c, err := ParseCitation(tt.in)
		if err != nil {
			t.Errorf("ParseCitation(%q) error: %v", tt.in, err)
			continue
		}
		if c.Section != tt.section || !slices.Equal(c.Paragraphs, tt.paras) {
			t.Errorf("ParseCitation(%q) = %+v, want %s %v", tt.in, c, tt.section, tt.paras)
		}
	}
	for _, bad := range []string{
		"", "164", "encryption", "164.312(a", "164.312a", "164.312()", "164.312(a)(b)",
		"164.312(1)", "164.312(a)(2)(vv)", "164.312(a)(2)(iiii)", "164.312(a)(2)(iv)(AAA)",
		"164.312(a)(2)(i)(A)(1)(i)(a)", "164.312(a)(0)", "164.312(a)(2)(iv) and more",
	} {
		if c, err := ParseCitation(bad); err == nil {
			t.Errorf("ParseCitation(%q) = %v, want an error", bad, c)
		}
	}
	if got := CanonicalCitation("§ 164.312 (E)(2)(II)"); got != "164.312(e)(2)(ii)" {
		t.Errorf("CanonicalCitation = %q", got)
	}
	c, _ := ParseCitation("164.312(a)(2)(iv)")
	if got := c.Parent().String(); got != "164.312(a)(2)" {
		t.Errorf("Parent() = %q", got)
	}
}

// FuzzParseCitation checks that the parser never panics and that whatever it
// accepts has a canonical form it accepts again unchanged.
func FuzzParseCitation(f *testing.F) {
	for _, s := range []string{
		"164.312(a)(2)(iv)", "§164.312(a)(2)(iv)", "45 CFR 164.312(a)(2)(iv)", "45 C.F.R. § 164.308(b)(4)",
		"164.310(a)", "164.306(d)(3)(ii)(B)(1)", "164.312((", "(a)", "§", "45 CFR", "164.312(a)(2)(ⅳ)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCitation(s)
		if err != nil {
			return
		}
		canon := c.String()
		again, err := ParseCitation(canon)
		if err != nil {
			t.Fatalf("ParseCitation(%q) = %q, which does not parse again: %v", s, canon, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form not stable: %q -> %q", canon, again.String())
		}
		if len(c.Paragraphs) > maxDepth {
			t.Fatalf("ParseCitation(%q) has %d levels", s, len(c.Paragraphs))
		}
	})
}
