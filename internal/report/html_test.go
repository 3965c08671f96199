package report

import (
	"bytes"
	"flag"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func renderHTML(t testing.TB, m *Model) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, m); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	return b.String()
}

func TestHTMLGolden(t *testing.T) {
	got := renderHTML(t, sampleModel())
	golden := filepath.Join("testdata", "sample.html")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("WriteHTML(sampleModel()) differs from %s; run go test -update and read the diff", golden)
	}
	if out := os.Getenv("REPORT_HTML_OUT"); out != "" {
		os.WriteFile(out, []byte(got), 0o644)
	}
}

// TestHTMLWhole checks nothing is cut: the long rationale, every hash and
// the checkpoint's text appear in full.
func TestHTMLWhole(t *testing.T) {
	m := sampleModel()
	out := renderHTML(t, m)
	wants := []string{template.HTMLEscapeString(longJustification), m.Evidence[0].SHA256, m.Audit.Root, m.Audit.Signature,
		"safeguard audit verify --checkpoint", m.Assets[1].Name, m.Flows[0].Volume, m.Tasks[1].Title,
		m.Risks[1].Acceptance.Reason, m.Decisions[1].Alternative, m.OpenItems[2].Text, m.MapText[1], `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80"`}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("the report lacks %.80q", w)
		}
	}
	if strings.Contains(out, "<script") || strings.Contains(out, "http-equiv") || strings.Contains(out, `src="http`) || strings.Contains(out, "@import") {
		t.Error("the report runs a script or fetches something")
	}
	if strings.Contains(out, "DRAFT") {
		t.Error("a final report says DRAFT")
	}
	m.Draft = true
	if out := renderHTML(t, m); !strings.Contains(out, `@top-right { content: "DRAFT"`) || !strings.Contains(out, "draft-banner") {
		t.Error("a draft report does not say DRAFT")
	}
}

// TestHTMLAccessible parses the page and checks its structure: a language,
// headings that never skip a level, tables with scoped headers and a
// caption, drawings with a title, links to anchors that exist, ids unique.
func TestHTMLAccessible(t *testing.T) {
	for _, part := range []Part{PartFull, PartSummary, PartAsset} {
		t.Run(string(part), func(t *testing.T) {
			m := sampleModel()
			m.Part = part
			m.Draft = true
			checkAccessible(t, renderHTML(t, m))
		})
	}
}

func checkAccessible(t *testing.T, page string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	var walk func(n *html.Node, f func(*html.Node))
	walk = func(n *html.Node, f func(*html.Node)) {
		f(n)
		for c := range n.ChildNodes() {
			walk(c, f)
		}
	}
	level, h1s := 0, 0
	ids := map[string]bool{}
	var hrefs []string
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		if id, ok := attr(n, "id"); ok {
			if ids[id] {
				t.Errorf("id %q is used twice", id)
			}
			ids[id] = true
		}
		if h, ok := attr(n, "href"); ok {
			hrefs = append(hrefs, h)
		}
		switch n.Data {
		case "html":
			if l, _ := attr(n, "lang"); l == "" {
				t.Error("<html> has no lang")
			}
		case "h1", "h2", "h3", "h4", "h5", "h6":
			l := int(n.Data[1] - '0')
			if l > level+1 {
				t.Errorf("<%s> %q follows <h%d>: a heading level is skipped", n.Data, textOf(n), level)
			}
			if l == 1 {
				h1s++
			}
			level = l
		case "table":
			var caption bool
			walk(n, func(c *html.Node) {
				if c.Type != html.ElementNode {
					return
				}
				switch c.Data {
				case "caption":
					caption = true
				case "th":
					if s, _ := attr(c, "scope"); s != "col" && s != "row" {
						t.Errorf("<th> %q has scope %q, want col or row", textOf(c), s)
					}
				}
			})
			if !caption {
				t.Error("a table has no caption")
			}
			if n.FirstChild == nil {
				t.Error("an empty table")
			}
		case "svg":
			var title bool
			for c := range n.ChildNodes() {
				if c.Type == html.ElementNode && c.Data == "title" && strings.TrimSpace(textOf(c)) != "" {
					title = true
				}
			}
			role, _ := attr(n, "role")
			if !title || role != "img" && role != "group" {
				t.Errorf("an <svg> with role %q has no title", role)
			}
		}
	})
	if h1s != 1 {
		t.Errorf("%d <h1>, want 1", h1s)
	}
	for _, h := range hrefs {
		if !strings.HasPrefix(h, "#") {
			t.Errorf("link %q leaves the page", h)
		} else if !ids[h[1:]] {
			t.Errorf("link %q has no target", h)
		}
	}
	// Every table's header row: at least one th per column header.
	if strings.Count(page, "<table") != strings.Count(page, "<caption>") {
		t.Errorf("%d tables, %d captions", strings.Count(page, "<table"), strings.Count(page, "<caption>"))
	}
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var f func(*html.Node)
	f = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			f(c)
		}
	}
	f(n)
	return b.String()
}

// TestHTMLParts checks the summary and the one-asset report hold what they
// should and nothing else.
func TestHTMLParts(t *testing.T) {
	m := sampleModel()
	m.Part = PartSummary
	sum := renderHTML(t, m)
	for _, w := range []string{`id="summary"`, "Posture by safeguard category", "Top risks", "Theft of the unencrypted backup drive", "Wipe and destroy the old drive", "Riverside Family Practice"} {
		if !strings.Contains(sum, w) {
			t.Errorf("the summary lacks %q", w)
		}
	}
	for _, not := range []string{`id="inventory"`, `id="entries"`, `id="decisions"`, `id="register"`, `id="evidence"`, `id="audit"`, `id="method"`, "END-OF-RATIONALE", m.Evidence[0].SHA256, `href="#risk-`} {
		if strings.Contains(sum, not) {
			t.Errorf("the summary holds %q", not)
		}
	}

	m = sampleModel()
	m.Part = PartAsset
	m.Assets = []Asset{m.Assets[1], m.Assets[0]} // the backup drive, then another
	one := renderHTML(t, m)
	for _, w := range []string{"Asset: Backup drive in the drawer", "Flow 2", "Risk 3: Theft of the unencrypted backup drive", "Wipe and destroy the old drive", "Move backups to the encrypted cloud service", "The drawer is in a staffed office."} {
		if !strings.Contains(one, w) {
			t.Errorf("the asset report lacks %q", w)
		}
	}
	for _, not := range []string{"Flow 1", "Ransomware", "Vendor breach", "Turn on automatic updates", `id="summary"`, `id="inventory"`, "END-OF-RATIONALE", "ChartCloud", `id="audit"`} {
		if strings.Contains(one, not) {
			t.Errorf("the asset report holds %q", not)
		}
	}
	m.Assets = nil
	if err := WriteHTML(io.Discard, m); err == nil {
		t.Error("WriteHTML of an asset report without an asset succeeded")
	}
	m.Part = "everything"
	if err := WriteHTML(io.Discard, m); err == nil || !strings.Contains(err.Error(), "everything") {
		t.Errorf("WriteHTML of an unknown part: %v", err)
	}
}

// TestHTMLZero renders an empty model: nothing to show is not an error.
func TestHTMLZero(t *testing.T) {
	for _, p := range []Part{"", PartSummary} {
		out := renderHTML(t, &Model{Part: p})
		checkAccessible(t, out)
	}
}
