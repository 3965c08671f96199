package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAssessTableErrors saves the expert table with problems in rows
// far apart: nothing is saved, every edit stays as typed, each problem
// shows beside its field (described by it, the field highlighted), and the
// page opens at the first of them with the cursor in it. The text fields
// are wide enough to read, and at 390 pixels the rows become cards and
// nothing scrolls sideways.
func TestBrowserAssessTableErrors(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "priya.shah@riverside.example"
	pw := demoPassword(t, s.Stdout.String(), email)
	api := newAssessAPI(t, s.URL, email, pw)
	id := api.draftAssessment()
	table := fmt.Sprintf("/orgs/riverside/assessments/%d/table", id)
	browserSignIn(b, s.URL, email, pw, table)
	b.Do(chromedp.EmulateViewport(1280, 800), chromedp.Navigate(s.URL+table), chromedp.WaitVisible(chromedp.CSS("#table-save")))

	// Wide enough to read what is typed.
	width := func(css string) int {
		return value(b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelector(%q).getBoundingClientRect().width | 0`, css)))
	}
	// The prefix of the ids of the fields of the row of citation.
	row := func(citation string) string {
		t.Helper()
		id := b.Eval(fmt.Sprintf(`(() => { const c = [...document.querySelectorAll(".assess-table tbody th .citation")].find(c => c.textContent === %q); return c ? "f-" + c.closest("tr").id : ""; })()`, citation))
		if id == "" {
			t.Fatalf("the table has no row %s", citation)
		}
		return id
	}
	early, cleared, late := row("164.308(a)(1)(ii)(A)"), row("164.312(a)(2)(i)"), row("164.314(b)(2)")
	if w := width("#" + early + "-narrative"); w < 320 {
		t.Errorf("the narrative field is %d px wide, want at least 320", w)
	}
	if w := width("#" + early + "-owner"); w < 170 {
		t.Errorf("the owner field is %d px wide, want at least 170", w)
	}

	// Three edits: a good one near the top, two with problems further down
	// (a status taken away, not applicable without a reason).
	b.Do(clearField("#"+early+"-narrative"), chromedp.SendKeys(chromedp.CSS("#"+early+"-narrative"), "Edited in the table: kept after a refusal."))
	b.Eval(fmt.Sprintf(`document.querySelector("#%s-status").value = "", document.querySelector("#%s-status").value = "not_applicable", "ok"`, cleared, late))
	b.Do(clearField("#"+late+"-na"), clearField("#"+late+"-owner"), chromedp.SendKeys(chromedp.CSS("#"+late+"-owner"), "Dr Maria Alvarez (owner)"))
	b.Do(chromedp.Click(chromedp.CSS("#table-save")), chromedp.WaitVisible(chromedp.CSS("#page-problem")))

	// The page is at the first problem, with the cursor in its field.
	if got := b.Eval(`document.activeElement.id`); got != cleared+"-status" {
		t.Errorf("the cursor is in #%s, want the first problem #%s-status", got, cleared)
	}
	onScreen := b.Eval(`(() => { const r = document.activeElement.getBoundingClientRect(); return String(r.top >= 0 && r.bottom <= innerHeight); })()`)
	if onScreen != "true" {
		t.Error("the first problem is off screen")
	}
	// Each problem is beside its field: same row, described by it, close
	// below it, and the field highlighted.
	for _, f := range []string{cleared + "-status", late + "-na"} {
		got := b.Eval(fmt.Sprintf(`(() => {
			const f = document.getElementById(%q), p = document.getElementById(f.getAttribute("aria-describedby") || "none");
			if (!p) return "no problem described";
			const gap = p.getBoundingClientRect().top - f.getBoundingClientRect().bottom;
			const st = getComputedStyle(f);
			return [f.getAttribute("aria-invalid"), p.closest("tr") === f.closest("tr"), gap >= 0 && gap < 40, st.borderTopWidth, p.classList.contains("field-problem")].join(" ");
		})()`, f))
		if got != "true true true 2px true" {
			t.Errorf("#%s: invalid, same row, close below, border, problem = %q", f, got)
		}
	}
	// Every edit is kept, and nothing was saved.
	for sel, want := range map[string]string{"#" + early + "-narrative": "Edited in the table: kept after a refusal.", "#" + cleared + "-status": "", "#" + late + "-status": "not_applicable", "#" + late + "-owner": "Dr Maria Alvarez (owner)"} {
		if got := value(b, chromedp.Value(chromedp.CSS(sel))); got != want {
			t.Errorf("%s after the refusal = %q, want %q", sel, got, want)
		}
	}
	sh := api.sheet(id)
	for _, r := range sh.Responses {
		if strings.HasPrefix(r.Narrative, "Edited in the table") {
			t.Errorf("%s was saved although the save was refused", r.Citation)
		}
	}
	// The list at the top leads to each field.
	b.Do(chromedp.Click(chromedp.CSS(`#page-problem a[href="#` + late + `-na"]`)))
	if got := b.Eval(`document.activeElement.id`); got != late+"-na" {
		t.Errorf("the link to the reason put the cursor in #%s", got)
	}
	shoot(t, b, "table-errors", "#page-problem", "#"+cleared+"-status", "#"+late+"-na")

	// At phone width: cards, nothing sideways.
	b.Do(chromedp.EmulateViewport(390, 800))
	if w := value(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("at 390 px the table page is %d px wide", w)
	}
	if d := b.Eval(`getComputedStyle(document.getElementById("` + late[2:] + `")).display`); d != "block" {
		t.Errorf("at 390 px a row is displayed as %q, want a block (card)", d)
	}
	b.Do(chromedp.EmulateViewport(1280, 800))

	// Put right, everything saves.
	b.Eval(fmt.Sprintf(`document.querySelector("#%s-status").value = "partial", "ok"`, cleared))
	b.Do(chromedp.SendKeys(chromedp.CSS("#"+late+"-na"), "We are not a group health plan."))
	b.Do(chromedp.Click(chromedp.CSS("#table-save")), chromedp.WaitVisible(chromedp.CSS("#saved-notice")))
	if n := b.Text("#saved-notice"); !strings.Contains(n, "Saved 3 entries") {
		t.Errorf("saved notice %q", n)
	}
	checkNoBrowserProblems(t, b)
}
