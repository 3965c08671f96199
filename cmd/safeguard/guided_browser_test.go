package main

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserGuidedNavigation walks a long standard of guided mode: the
// list at its top names each entry with where it stands and links to it;
// the Save buttons stay on screen wherever the page is scrolled, at 1280
// and at 390 pixels (where nothing scrolls sideways). "Save and continue"
// on a standard that is not finished saves what was typed but stays, with
// what is missing marked beside its fields and the cursor on the first;
// "Skip for now" then moves on, "Back" returns, and once the standard is
// finished "Save and continue" moves on by itself.
func TestBrowserGuidedNavigation(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "priya.shah@riverside.example"
	pw := demoPassword(t, s.Stdout.String(), email)
	api := newAssessAPI(t, s.URL, email, pw)
	id := api.draftAssessment()
	guided := fmt.Sprintf("/orgs/riverside/assessments/%d/guided", id)
	browserSignIn(b, s.URL, email, pw, guided)
	b.Do(chromedp.Navigate(s.URL+guided), chromedp.WaitVisible(chromedp.CSS("#standard-contents")))
	std := b.Eval(`document.getElementById("standard-h").dataset.standard`)

	// The contents name every entry of the standard, linked to it.
	contents := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#standard-contents li a")].map(a => a.hash)`))
	sections := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("section.guided-entry")].map(s => "#" + s.id)`))
	if strings.Join(contents, " ") != strings.Join(sections, " ") || len(sections) == 0 {
		t.Errorf("contents link to %v, the entries are %v", contents, sections)
	}
	open := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#standard-contents li")].filter(li => li.textContent.includes("still needs")).map(li => li.dataset.citation)`))
	if len(open) == 0 {
		t.Fatalf("guided mode opened at %s, which has nothing to finish", std)
	}

	// Wherever the page is scrolled, Save is on screen.
	onScreen := func(css string) bool {
		return b.Eval(fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return String(r.top >= 0 && r.bottom <= innerHeight && r.width > 0); })()`, css)) == "true"
	}
	for _, width := range []int64{1280, 390} {
		b.Do(chromedp.EmulateViewport(width, 800))
		if h := value(b, chromedp.Evaluate[int](`document.documentElement.scrollHeight`)); h < 2*800 {
			t.Errorf("at %d px the standard is %d px high: too short to test scrolling", width, h)
		}
		for _, at := range []string{`document.querySelector("section.guided-entry").getBoundingClientRect().top + scrollY`, "document.documentElement.scrollHeight / 2"} {
			b.Eval(`window.scrollTo(0, ` + at + `), "ok"`)
			for _, button := range []string{"#save-continue", "#save-stay"} {
				if !onScreen(button) {
					t.Errorf("at %d px, scrolled to %s, %s is off screen", width, at, button)
				}
			}
		}
		if w := value(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > int(width) {
			t.Errorf("at %d px the page is %d px wide", width, w)
		}
	}
	b.Do(chromedp.EmulateViewport(1280, 800))

	// Save and continue on the unfinished standard: what was typed is
	// saved, the page stays, and what is missing is marked.
	// The owner is typed into an entry already answered (an owner without
	// a status would be refused, which is not what this is about).
	typed := b.Eval(`(() => { const s = [...document.querySelectorAll("section.guided-entry")].find(s => s.querySelector("input[type=radio][name$=status]:checked")); return s ? s.querySelector("h3").id.replace(/h$/, "") : ""; })()`)
	if typed == "" {
		t.Fatalf("no entry of %s is answered", std)
	}
	b.Do(clearField("#"+typed+"owner"), chromedp.SendKeys(chromedp.CSS("#"+typed+"owner"), "Priya Shah (guided)"))
	b.Do(chromedp.Click(chromedp.CSS("#save-continue")), chromedp.WaitVisible(chromedp.CSS("#page-problem")))
	if got := b.Eval(`document.getElementById("standard-h").dataset.standard`); got != std {
		t.Fatalf("Save and continue on the unfinished %s went on to %s", std, got)
	}
	if p := b.Text("#page-problem"); !strings.Contains(p, "not finished") || !strings.Contains(p, open[0]) {
		t.Errorf("page problem %q", p)
	}
	sh := api.sheet(id)
	first := b.Eval(`document.querySelector("#` + typed + `h .citation").textContent`)
	owner := ""
	for _, r := range api.sheetOwners(id) {
		if r[0] == first {
			owner = r[1]
		}
	}
	if owner != "Priya Shah (guided)" {
		t.Errorf("the owner typed for %s was saved as %q", first, owner)
	}
	// Each unfinished entry has a problem beside a field, and the cursor is
	// in the first.
	marked := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("section.guided-entry")].filter(s => s.querySelector(".field-problem")).map(s => s.querySelector("h3 .citation").textContent)`))
	if strings.Join(marked, " ") != strings.Join(open, " ") {
		t.Errorf("entries marked %v, want those unfinished %v", marked, open)
	}
	for _, c := range open {
		if sh.blocker(c) == "" {
			t.Errorf("%s is marked unfinished but nothing blocks it", c)
		}
	}
	focus := b.Eval(`(() => { const a = document.activeElement, s = a.closest("section.guided-entry"); return (s ? s.querySelector("h3 .citation").textContent : "none") + " " + (a.getAttribute("aria-invalid") || a.closest("[aria-describedby*=problem]") ? "marked" : "unmarked"); })()`)
	if focus != open[0]+" marked" {
		t.Errorf("after the save the cursor is in %q, want the first marked field of %s", focus, open[0])
	}
	if !onScreen(":focus") {
		t.Error("the focused field is off screen")
	}
	shoot(t, b, "guided-unfinished", "#page-problem", ":focus")

	// Skip for now moves on; Back opens the standard before.
	b.Do(chromedp.Click(chromedp.CSS("#save-skip")), chromedp.WaitVisible(chromedp.CSS(`#standard-h:not([data-standard="`+std+`"])`)))
	if b.Eval(`String(!!document.getElementById("page-problem"))`) != "false" {
		t.Error("the next standard opens with a problem")
	}
	all := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#all-standards li .citation")].map(c => c.textContent)`))
	next := b.Eval(`document.getElementById("standard-h").dataset.standard`)
	i := slices.Index(all, next)
	if i <= slices.Index(all, std) {
		t.Fatalf("Skip for now went from %s to %s (standards %v)", std, next, all)
	}
	b.Do(chromedp.Click(chromedp.CSS("#save-previous")), chromedp.WaitVisible(chromedp.CSS(`#standard-h[data-standard="`+all[i-1]+`"]`)))
	b.Do(chromedp.Navigate(s.URL+guided+"?standard="+url.QueryEscape(std)), chromedp.WaitVisible(chromedp.CSS(`#standard-h[data-standard="`+std+`"]`)))

	// Finish it: each unfinished entry implemented (as specified, where
	// the specification is addressable).
	for _, c := range open {
		prefix := b.Eval(fmt.Sprintf(`[...document.querySelectorAll("section.guided-entry")].find(s => s.querySelector("h3 .citation").textContent === %q).querySelector("h3").id.replace(/h$/, "")`, c))
		b.Do(chromedp.Click(chromedp.CSS("#" + prefix + "status-implemented")))
		if b.Eval(`String(!!document.getElementById("`+prefix+`outcome-implemented"))`) == "true" {
			b.Do(chromedp.Click(chromedp.CSS("#" + prefix + "outcome-implemented")))
		}
		if b.Eval(`document.querySelector("#`+prefix+`narrative").value.trim()`) == "" {
			b.Do(chromedp.SendKeys(chromedp.CSS("#"+prefix+"narrative"), "In place at both sites."))
		}
	}
	b.Do(chromedp.Click(chromedp.CSS("#save-continue")), chromedp.WaitVisible(chromedp.CSS(`#standard-h:not([data-standard="`+std+`"])`)))
	if n := b.Eval(`[...document.querySelectorAll("#all-standards li")].find(li => li.querySelector(".citation").textContent === "` + std + `").textContent`); !strings.Contains(n, "complete") {
		t.Errorf("after finishing, %s is listed as %q", std, n)
	}
	sh = api.sheet(id)
	for _, c := range open {
		if bl := sh.blocker(c); bl != "" {
			t.Errorf("%s still blocked after finishing it: %s", c, bl)
		}
	}
	checkNoBrowserProblems(t, b)
}

// blocker is the field of the first blocker of citation, "" for none.
func (s demoSheet) blocker(citation string) string {
	for _, b := range s.Blockers {
		if b.Citation == citation {
			return b.Field
		}
	}
	return ""
}

// sheetOwners lists the citation and owner of each response.
func (a *assessAPI) sheetOwners(id int64) [][2]string {
	a.t.Helper()
	var s struct {
		Responses []struct {
			Citation string `json:"citation"`
			Owner    string `json:"owner"`
		} `json:"responses"`
	}
	if code := a.call("GET", fmt.Sprintf("/api/v1/orgs/riverside/assessments/%d", id), nil, &s); code != 200 {
		a.t.Fatalf("get assessment = %d", code)
	}
	var out [][2]string
	for _, r := range s.Responses {
		out = append(out, [2]string{r.Citation, r.Owner})
	}
	return out
}
