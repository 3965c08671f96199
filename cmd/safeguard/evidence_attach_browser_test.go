package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserEvidenceAttachInPlace works on an entry of this year's demo
// assessment with a half-written narrative: it finds evidence by name and
// attaches it, and uploads a new file from the entry page, all without
// leaving the page (the narrative is still there, unsaved), then saves the
// response with both attached, and detaches one.
func TestBrowserEvidenceAttachInPlace(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	email := "priya.shah@riverside.example"
	pw := demoPassword(t, s.Stdout.String(), email)
	if pw == "" {
		t.Fatalf("no password for %s in the demo's output:\n%s", email, s.Stdout)
	}
	log := filepath.Join(t.TempDir(), "restore-test.txt")
	if err := os.WriteFile(log, []byte("Restored the EHR export to a spare laptop on 2 March; all records opened.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Do(
		chromedp.Navigate(s.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("header nav")),
		chromedp.Navigate(s.URL+"/orgs/riverside/assessments"),
		chromedp.WaitVisible(chromedp.CSS("#assessments")),
	)
	base := b.Eval(`[...document.querySelectorAll("#assessments a")].find(a => a.textContent.startsWith("2026")).getAttribute("href")`)
	entry := s.URL + base + "/entries/164.308(a)(7)(ii)(A)"
	const draft = "Half-written: nightly backups to the cloud, restore tested in March"
	b.Do(
		chromedp.Navigate(entry),
		chromedp.WaitVisible(chromedp.CSS("#evidence-q")),
		chromedp.Evaluate[chromedp.Void](`window.sgSamePage = "yes"`),
		chromedp.Click(chromedp.CSS("#status-implemented")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#narrative").value = ""`),
		chromedp.SendKeys(chromedp.CSS("#narrative"), draft),
	)
	// Not every piece of the organisation's evidence is offered up front.
	if n := b.Eval(`String(document.querySelectorAll("#evidence-results li").length)`); n != "0" {
		t.Errorf("%s results before any search, want 0", n)
	}

	// Search and attach, in place.
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#evidence-q"), "security policy"),
		chromedp.Click(chromedp.CSS("#evidence-find")),
		chromedp.WaitVisible(chromedp.CSS(`#evidence-results button[aria-label="Attach Information security policy"]`)),
		chromedp.Click(chromedp.CSS(`#evidence-results button[aria-label="Attach Information security policy"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#evidence-linked button[aria-label="Detach Information security policy"]`)),
	)
	if st := b.Text("[data-evidence-status]"); !strings.Contains(st, "Save the response to keep it") {
		t.Errorf("status after attach = %q", st)
	}
	if found := b.Text("#evidence-results"); strings.Contains(found, "Device inventory") {
		t.Errorf("the search for %q found %q", "security policy", found)
	}

	// Upload a new file from the entry page: attached, page not left.
	b.Do(
		chromedp.Click(chromedp.CSS("#add-evidence details summary")),
		chromedp.SendKeys(chromedp.CSS("#up-title"), "Backup restore test"),
		chromedp.SetUploadFiles(chromedp.CSS("#up-file"), []string{log}),
		chromedp.Click(chromedp.CSS("#upload-evidence")),
		chromedp.WaitVisible(chromedp.CSS(`#evidence-linked button[aria-label="Detach Backup restore test"]`)),
	)
	if same := b.Eval(`String(window.sgSamePage)`); same != "yes" {
		t.Fatalf("the page was left (window state %q): unsaved edits would be lost", same)
	}
	if got := b.Eval(`document.querySelector("#narrative").value`); got != draft {
		t.Errorf("the unsaved narrative became %q", got)
	}
	if st := b.Text("#add-evidence .upload-status"); !strings.Contains(st, "Added “Backup restore test”") {
		t.Errorf("upload status = %q", st)
	}

	// Save: the response keeps the narrative and both pieces of evidence.
	b.Do(
		chromedp.Click(chromedp.CSS("#save-response")),
		chromedp.WaitVisible(chromedp.CSS("#saved-notice")),
	)
	linked := b.Text("#evidence-linked")
	if !strings.Contains(linked, "Information security policy") || !strings.Contains(linked, "Backup restore test") {
		t.Errorf("after saving, linked = %q", linked)
	}
	if got := b.Eval(`document.querySelector("#narrative").value`); got != draft {
		t.Errorf("saved narrative = %q", got)
	}

	// Detach one and save. The page already shows a saved notice, so mark
	// it and wait for the notice of the page that replaces it.
	b.Eval(`document.body.dataset.stale = "1"`)
	b.Do(
		chromedp.Click(chromedp.CSS(`#evidence-linked button[aria-label="Detach Information security policy"]`)),
		chromedp.Click(chromedp.CSS("#save-response")),
		chromedp.WaitVisible(chromedp.CSS("body:not([data-stale]) #saved-notice")),
	)
	if linked := b.Text("#evidence-linked"); strings.Contains(linked, "Information security policy") || !strings.Contains(linked, "Backup restore test") {
		t.Errorf("after detaching, linked = %q", linked)
	}
	if p := b.Problems(); len(p) > 0 {
		t.Errorf("console problems: %v", p)
	}
}
