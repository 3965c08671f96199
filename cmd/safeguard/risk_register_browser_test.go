package main

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserRiskRegister: the demo's contributor rates a risk to a laptop
// on the risk's form (assets, threat, vulnerability, likelihood and impact
// with each grade's meaning, reasons), sees it on the register and its heat
// map, plans a task for herself on the risk's page and completes it from
// "My tasks". The test adds a laptop of its own with SQL; the demo's
// risks and plan are counted before and after.
func TestBrowserRiskRegister(t *testing.T) {
	b := newBrowser(t)
	data := filepath.Join(t.TempDir(), "demo")
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", data)
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(data, dbFileName)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO assets (org_id, name, kind, class, created_at, created_by, updated_at, updated_by)
		SELECT id, 'Front desk laptop', 'laptop', 'device', CURRENT_TIMESTAMP, 'test', CURRENT_TIMESTAMP, 'test' FROM orgs WHERE slug = 'riverside'`); err != nil {
		t.Fatal(err)
	}
	email := "priya.shah@riverside.example"
	browserSignIn(b, s.URL, email, demoPassword(t, s.Stdout.String(), email), "/orgs/riverside/risks")
	cellBefore := b.Eval(`(() => { const a = document.querySelector('#heat-current a[href*="likelihood=2&impact=3"]'); return a ? a.textContent : "0"; })()`)
	b.Do(
		chromedp.WaitVisible(chromedp.CSS("table.heat-table")),
		chromedp.Click(chromedp.CSS(`a[href="/orgs/riverside/risks/new"]`)),
		chromedp.WaitVisible(chromedp.CSS("#risk-title")),
	)
	if opts := b.Eval(`[...document.querySelectorAll("#current-likelihood option")].map(o => o.textContent).join("|")`); !strings.Contains(opts, "High") || strings.Contains(opts, "—") {
		t.Errorf("the likelihood select's options = %q, want the grades' short names", opts)
	}
	if means := b.Eval(`document.getElementById(document.querySelector("#current-likelihood").getAttribute("aria-describedby")).textContent`); !strings.Contains(means, "Expected in the next year") {
		t.Errorf("the likelihood select is not described by what each grade means: %q", means)
	}
	// The laptop, by its name (the demo may hold other assets).
	b.Eval(`(() => { for (const l of document.querySelectorAll("label.check")) if (l.textContent.trim() === "Front desk laptop") l.querySelector("input").checked = true; return "ok"; })()`)
	// First without reasons: the form comes back with the problems next to
	// the fields, and what was chosen kept.
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#risk-title"), "Front desk laptop stolen"),
		chromedp.SetValue(chromedp.CSS("#risk-threat"), "device_theft"),
		chromedp.SetValue(chromedp.CSS("#risk-vulnerability"), "no_encryption_at_rest"),
		chromedp.SetValue(chromedp.CSS("#inherent-likelihood"), "3"),
		chromedp.SetValue(chromedp.CSS("#inherent-impact"), "3"),
		chromedp.SetValue(chromedp.CSS("#current-likelihood"), "2"),
		chromedp.SetValue(chromedp.CSS("#current-impact"), "3"),
		chromedp.Click(chromedp.CSS(`.risk-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".field-problem")),
	)
	if p := b.Text(".risk-form"); !strings.Contains(p, "The reason is required") {
		t.Errorf("no problem next to the reasons: %q", p)
	}
	if v := b.Eval(`document.querySelector("#risk-threat").value`); v != "device_theft" {
		t.Errorf("the threat chosen was lost: %q", v)
	}
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#risk-lwhy"), "The laptop goes home with staff every night."),
		chromedp.SendKeys(chromedp.CSS("#risk-iwhy"), "It keeps a copy of the day's schedule and notes."),
		chromedp.Click(chromedp.CSS(`.risk-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#tasks-h")),
	)
	if p := b.Text("main"); !strings.Contains(p, "Likelihood Medium, impact High: High") {
		t.Errorf("the saved risk's level is not shown: %q", p[:min(len(p), 400)])
	}
	// Plan a task for herself, due yesterday: it shows as overdue.
	yesterday := time.Now().AddDate(0, 0, -1).Format("01022006")
	b.Do(chromedp.SendKeys(chromedp.CSS("#task-title"), "Turn on disk encryption"))
	// Choose Priya herself, by her name.
	b.Eval(`(() => { const s = document.querySelector("#task-owner"); for (const o of s.options) if (o.textContent.includes("Priya")) s.value = o.value; return s.value; })()`)
	b.Do(
		chromedp.Click(chromedp.CSS("#task-due")),
		chromedp.SendKeys(chromedp.CSS("#task-due"), yesterday),
		chromedp.Click(chromedp.CSS(`form[action$="/tasks"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".risk-tasks")),
	)
	if row := b.Text(".risk-tasks tbody"); !strings.Contains(row, "Turn on disk encryption") || !strings.Contains(row, "overdue") {
		t.Errorf("the planned task = %q, want it overdue", row)
	}
	// The register shows the risk with its level, asset and threat; the
	// heat map counts it.
	b.Do(chromedp.Navigate(s.URL+"/orgs/riverside/risks"), chromedp.WaitVisible(chromedp.CSS("table.risk-register")))
	if row := b.Text("table.risk-register tbody"); !strings.Contains(row, "High") || !strings.Contains(row, "Front desk laptop") || !strings.Contains(row, "Theft of a device") {
		t.Errorf("register row = %q", row)
	}
	// The drawn heat map counts it in its cell, which links to it; so does
	// the table form behind "as a table".
	want := fmt.Sprint(atoi(cellBefore) + 1)
	if n := b.Eval(`document.querySelector('#heat-map-current svg a[href*="likelihood=2&impact=3"] text').textContent.trim()`); n != want {
		t.Errorf("heat map cell = %q, want %s (one more than before)", n, want)
	}
	if n := b.Eval(`document.querySelector('#heat-current a[href*="likelihood=2&impact=3"]').textContent.trim()`); n != want {
		t.Errorf("heat map table cell = %q, want %s (one more than before)", n, want)
	}
	shoot(t, b, "risk-register", "h1", "#heat-h", "table.risk-register")
	// Complete it from My tasks (the demo gives Priya tasks of her own).
	b.Do(chromedp.Navigate(s.URL+"/orgs/riverside/plan"), chromedp.WaitVisible(chromedp.CSS("h1")))
	overdueBefore := b.Text("main")
	b.Do(chromedp.Navigate(s.URL+"/tasks"), chromedp.WaitVisible(chromedp.CSS(".risk-tasks")))
	id := b.Eval(`[...document.querySelectorAll(".risk-tasks tbody tr")].find(tr => tr.textContent.includes("Turn on disk encryption")).dataset.task`)
	mine := `.risk-tasks tr[data-task="` + id + `"]`
	b.Do(
		chromedp.SetValue(chromedp.CSS(mine+" select"), "done"),
		chromedp.Click(chromedp.CSS(mine+" form button")),
		chromedp.WaitVisible(chromedp.CSS(`.risk-tasks tr[data-task="`+id+`"][data-status="done"]`)),
	)
	if row := b.Text(mine); strings.Contains(row, "overdue") || !strings.Contains(row, "done ") {
		t.Errorf("after completing, my task = %q", row)
	}
	b.Do(chromedp.Navigate(s.URL+"/orgs/riverside/plan"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if p := b.Text("main"); overdueCount(p) != overdueCount(overdueBefore)-1 {
		t.Errorf("the plan counts %d overdue tasks, want one fewer than %d: %q", overdueCount(p), overdueCount(overdueBefore), p[:min(len(p), 300)])
	}
	// At 390 px no page of the register scrolls sideways.
	b.Do(chromedp.Navigate(s.URL+"/orgs/riverside/risks"), chromedp.WaitVisible(chromedp.CSS("table.risk-register")))
	riskPage := b.Eval(`document.querySelector("table.risk-register td a").getAttribute("href")`)
	b.Do(chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/orgs/riverside/risks", riskPage, "/orgs/riverside/risks/new", "/orgs/riverside/plan", "/tasks", "/orgs/riverside/risk-scale"} {
		a := auditPage(t, b, s.URL, path)
		if a.ScrollWidth > a.InnerWidth || len(a.Scrollers) > 0 {
			t.Errorf("%s at 390 px scrolls sideways: width %d > %d, or parts %q", path, a.ScrollWidth, a.InnerWidth, a.Scrollers)
		}
		if len(a.Outside) > 0 {
			t.Errorf("%s: content outside any landmark: %q", path, a.Outside)
		}
	}
	b.Do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(s.URL+riskPage), chromedp.WaitVisible(chromedp.CSS("#tasks-h")))
	shoot(t, b, "risk-item", "h1", "#rating-current", "#tasks-h")
	checkNoBrowserProblems(t, b)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

// overdueCount reads "N overdue tasks" from the plan's text (0 for "No
// task is overdue").
func overdueCount(text string) int {
	m := regexp.MustCompile(`(\d+) overdue tasks?`).FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	return atoi(m[1])
}
