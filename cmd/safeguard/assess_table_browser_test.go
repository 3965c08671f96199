package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAssessTableSave edits three rows of the expert table and saves
// them with one button. When someone else saved the last of them after the
// page was opened, nothing is saved and every edit stays on the page, with
// the problem beside that row and in the list at the top; saving again
// saves all three. With SAFEGUARD_SCREENSHOTS set to a folder, the page is
// photographed there at 1280 and 390 pixels wide.
func TestBrowserAssessTableSave(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "priya.shah@riverside.example"
	pw := demoPassword(t, s.Stdout.String(), email)
	api := newAssessAPI(t, s.URL, email, pw)
	id := api.draftAssessment()
	table := fmt.Sprintf("/orgs/riverside/assessments/%d/table", id)
	browserSignIn(b, s.URL, email, pw, table)
	b.Do(chromedp.Navigate(s.URL+table), chromedp.WaitVisible(chromedp.CSS("#table-save")))

	// One row from each of three categories.
	rows := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("section.assess-table")].slice(0, 3).map(s => s.querySelector("tbody tr").id)`))
	if len(rows) != 3 {
		t.Fatalf("rows %v", rows)
	}
	citation := func(row string) string {
		return b.Text("#" + row + " th .citation")
	}
	cits := []string{citation(rows[0]), citation(rows[1]), citation(rows[2])}
	edit := func() {
		for i, row := range rows {
			f := "#f-" + row
			b.Eval(fmt.Sprintf(`document.querySelector(%q).value = "partial", "ok"`, f+"-status"))
			b.Do(clearField(f+"-narrative"), chromedp.SendKeys(chromedp.CSS(f+"-narrative"), fmt.Sprintf("Table row %d: being rolled out.", i)))
		}
	}
	edit()
	// Someone else saves the last row meanwhile.
	if code := api.call("PATCH", fmt.Sprintf("/api/v1/orgs/riverside/assessments/%d/responses/%s", id, url.PathEscape(cits[2])),
		map[string]string{"status": "implemented", "narrative": "Saved elsewhere."}, nil); code != 200 {
		t.Fatalf("PATCH = %d", code)
	}
	b.Do(chromedp.Click(chromedp.CSS("#table-save")), chromedp.WaitVisible(chromedp.CSS("#page-problem")))
	if p := b.Text("#page-problem"); !strings.Contains(p, "Nothing was saved") || !strings.Contains(p, cits[2]) {
		t.Errorf("page problem %q", p)
	}
	if note := b.Text("#f-" + rows[2] + "-conflict"); !strings.Contains(note, "after you opened this page") {
		t.Errorf("conflict note %q", note)
	}
	for i, row := range rows {
		if got := value(b, chromedp.Value(chromedp.CSS("#f-"+row+"-narrative"))); got != fmt.Sprintf("Table row %d: being rolled out.", i) {
			t.Errorf("row %s after the refusal: %q", cits[i], got)
		}
	}
	sh := api.sheet(id)
	narrative := func(c string) string {
		for _, r := range sh.Responses {
			if r.Citation == c {
				return r.Narrative
			}
		}
		return ""
	}
	for i, c := range cits[:2] {
		if strings.HasPrefix(narrative(c), "Table row") {
			t.Errorf("row %d (%s) was saved although the change was refused", i, c)
		}
	}
	shoot(t, b, "table-conflict", "h1", "#"+rows[2])

	// The link in the list at the top leads to the row.
	b.Do(chromedp.Click(chromedp.CSS("#page-problem a")))
	if h := b.Eval(`location.hash`); h != "#f-"+rows[2]+"-conflict" {
		t.Errorf("the problem links to %q", h)
	}

	// Saving again replaces the other version, and saves all three.
	b.Do(chromedp.Click(chromedp.CSS("#table-save")), chromedp.WaitVisible(chromedp.CSS("#saved-notice")))
	if n := b.Text("#saved-notice"); !strings.Contains(n, "Saved 3 entries") {
		t.Errorf("saved notice %q", n)
	}
	sh = api.sheet(id)
	for i, c := range cits {
		if got := narrative(c); got != fmt.Sprintf("Table row %d: being rolled out.", i) {
			t.Errorf("%s saved as %q", c, got)
		}
	}
	shoot(t, b, "table-saved", "h1", "#"+rows[0])
	checkNoBrowserProblems(t, b)
}

// shoot photographs the screen, scrolled to each of the elements named by
// css, at desktop and phone widths into the folder SAFEGUARD_SCREENSHOTS
// names, if any.
func shoot(t *testing.T, b *browser, name string, css ...string) {
	t.Helper()
	dir := os.Getenv("SAFEGUARD_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, width := range []int64{1280, 390} {
		b.Do(chromedp.EmulateViewport(width, 844))
		for i, sel := range css {
			b.Do(chromedp.ScrollIntoView(chromedp.CSS(sel)))
			png := value(b, chromedp.CaptureScreenshot())
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d-%d.png", name, width, i)), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	b.Do(chromedp.EmulateViewport(1280, 900))
}
