package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Citation is a parsed reference to a paragraph of 45 CFR Part 164, such as
// 164.312(a)(2)(iv): the section and the paragraph designations, one per
// level of the CFR hierarchy.
type Citation struct {
	Section    string   // e.g. "164.312"
	Paragraphs []string // e.g. ["a", "2", "iv"]
}

// maxDepth is the deepest paragraph level the CFR uses: (a)(1)(i)(A)(1)(i).
const maxDepth = 6

var (
	prefixRE  = regexp.MustCompile(`(?i)^(?:45\s*c\.?\s*f\.?\s*r\.?\s*)?(?:§+|section\b|sec\.)?\s*`)
	sectionRE = regexp.MustCompile(`^[0-9]{1,3}\.[0-9]{1,4}`)
	romanRE   = regexp.MustCompile(`^(x{0,3})(ix|iv|v?i{0,3})$`)
	lowerRE   = regexp.MustCompile(`^[a-z]{1,2}$`)
	upperRE   = regexp.MustCompile(`^[A-Z]{1,2}$`)
	numberRE  = regexp.MustCompile(`^[1-9][0-9]?$`)
)

// errCitation is wrapped by every parse error.
var errCitation = errors.New("invalid citation")

// ParseCitation parses a reference to a paragraph of the rule. It accepts the
// forms people write, e.g. "164.312(a)(2)(iv)", "§164.312(a)(2)(iv)",
// "§ 164.312 (a)(2)(iv)", "45 CFR 164.312(a)(2)(iv)" and
// "45 C.F.R. § 164.312(a)(2)(IV)", and normalises the case of each level
// (a, 1, i, A, 1, i).
func ParseCitation(s string) (Citation, error) {
	orig := s
	s = strings.TrimSpace(s)
	s = s[len(prefixRE.FindString(s)):]
	sec := sectionRE.FindString(s)
	if sec == "" {
		return Citation{}, fmt.Errorf("%w %q: want a section such as 164.312", errCitation, orig)
	}
	c := Citation{Section: sec}
	rest := s[len(sec):]
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		if rest[0] != '(' {
			return Citation{}, fmt.Errorf("%w %q: unexpected %q", errCitation, orig, rest)
		}
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return Citation{}, fmt.Errorf("%w %q: unclosed parenthesis", errCitation, orig)
		}
		if len(c.Paragraphs) == maxDepth {
			return Citation{}, fmt.Errorf("%w %q: more than %d paragraph levels", errCitation, orig, maxDepth)
		}
		p, ok := designation(len(c.Paragraphs), strings.TrimSpace(rest[1:end]))
		if !ok {
			return Citation{}, fmt.Errorf("%w %q: %q is not a paragraph designation at level %d", errCitation, orig, rest[:end+1], len(c.Paragraphs)+1)
		}
		c.Paragraphs = append(c.Paragraphs, p)
		rest = rest[end+1:]
	}
	return c, nil
}

// designation normalises a paragraph designation for its level of the CFR
// hierarchy, reporting whether it is valid there.
func designation(level int, d string) (string, bool) {
	switch level % 3 {
	case 0: // (a), or (A) at the fourth level
		if level == 3 {
			d = strings.ToUpper(d)
			return d, upperRE.MatchString(d)
		}
		d = strings.ToLower(d)
		return d, lowerRE.MatchString(d)
	case 1: // (1)
		return d, numberRE.MatchString(d)
	default: // (i)
		d = strings.ToLower(d)
		return d, d != "" && romanRE.MatchString(d)
	}
}

// String returns the canonical form, e.g. "164.312(a)(2)(iv)".
func (c Citation) String() string {
	var b strings.Builder
	b.WriteString(c.Section)
	for _, p := range c.Paragraphs {
		b.WriteByte('(')
		b.WriteString(p)
		b.WriteByte(')')
	}
	return b.String()
}

// Parent returns the citation one level up; a section has no parent and
// returns itself.
func (c Citation) Parent() Citation {
	if len(c.Paragraphs) == 0 {
		return c
	}
	return Citation{Section: c.Section, Paragraphs: c.Paragraphs[:len(c.Paragraphs)-1]}
}

// commonPrefix returns how many leading parts (section first) c and d share.
func (c Citation) commonPrefix(d Citation) int {
	if c.Section != d.Section {
		return 0
	}
	n := 1
	for i := 0; i < len(c.Paragraphs) && i < len(d.Paragraphs) && c.Paragraphs[i] == d.Paragraphs[i]; i++ {
		n++
	}
	return n
}

// CanonicalCitation returns the canonical form of a citation, or "" when s
// does not parse.
func CanonicalCitation(s string) string {
	c, err := ParseCitation(s)
	if err != nil {
		return ""
	}
	return c.String()
}
