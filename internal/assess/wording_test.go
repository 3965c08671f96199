package assess

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// OCR does not accept a control checklist as the risk analysis of
// §164.308(a)(1)(ii)(A). Nothing Safeguard ships may call its assessment
// the risk analysis, and the package doc and the assessments page say what
// it is: a gap analysis.
func TestAssessmentIsCalledAGapAnalysis(t *testing.T) {
	files := []string{"doc.go", "../../README.md", "../../cmd/safeguard/assess.go"}
	tmpl, err := filepath.Glob("../web/*/templates/*.html")
	if err != nil || len(tmpl) == 0 {
		t.Fatalf("no templates found: %v", err)
	}
	files = append(files, tmpl...)
	claim := regexp.MustCompile(`(?is)assessment\W+(?:\w+\W+){0,6}?(?:is|as|and)\W+(?:the|a|your)\W+(?:documented\W+)?risk\W+analysis`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range claim.FindAllString(string(b), -1) {
			if !strings.Contains(strings.ToLower(m), "not") {
				t.Errorf("%s calls the assessment a risk analysis: %q", f, m)
			}
		}
	}
	for _, f := range []string{"doc.go", "../web/assessweb/templates/assess_list.html"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "gap analysis") || !strings.Contains(string(b), "not the risk analysis") {
			t.Errorf("%s does not say the assessment is a gap analysis, not the risk analysis", f)
		}
	}
}
