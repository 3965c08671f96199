package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserRiskAnalysis: the demo's security officer enrols a second
// factor, sees why a new risk analysis is due, signs this year's analysis
// off (first without confirming the statement, which is refused next to
// the box), reads what it documents and compares it with last year's.
func TestBrowserRiskAnalysis(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "sam.okafor@riverside.example"
	b.Do(
		chromedp.Navigate(s.URL+"/orgs/riverside/analyses"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), demoPassword(t, s.Stdout.String(), email)),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#totp-begin")),
	)
	enrolTOTP(t, b)
	b.Do(chromedp.WaitNotPresent(chromedp.CSS("#recovery-codes")), chromedp.WaitVisible(chromedp.CSS("form.signout")))

	b.Do(chromedp.Navigate(s.URL+"/orgs/riverside/analyses"), chromedp.WaitVisible(chromedp.CSS("#due-triggers")))
	due := b.Text("#due-triggers")
	for _, want := range []string{"a year has passed", "Tablet for patient check-in (Main Street) was added"} {
		if !strings.Contains(due, want) {
			t.Errorf("what is due does not say %q:\n%s", want, due)
		}
	}
	// This year's analysis, the latest started, is the first of the list.
	b.Do(chromedp.Click(chromedp.CSS("#analyses tbody tr:first-child a")), chromedp.WaitVisible(chromedp.CSS("#sign-off")))
	if live := b.Text("#live-summary"); !strings.Contains(live, "Inventory") {
		t.Errorf("the draft does not say what it will document: %q", live)
	}
	b.Do(chromedp.Click(chromedp.CSS("#finalise")), chromedp.WaitVisible(chromedp.CSS("#attest-problem")))
	if p := b.Text("#attest-problem"); !strings.Contains(p, "must be confirmed") {
		t.Errorf("the refused sign-off says %q", p)
	}
	b.Do(
		chromedp.Click(chromedp.CSS("#attest")),
		chromedp.Click(chromedp.CSS("#finalise")),
		chromedp.WaitVisible(chromedp.CSS("#snapshot-assets")),
	)
	if st := b.Text("#analysis-status"); st != "Signed off, in effect" {
		t.Errorf("status after sign-off = %q", st)
	}
	if assets := b.Text("#snapshot-assets"); !strings.Contains(assets, "Cloud EHR (ClearChart)") || !strings.Contains(assets, "External backup drive (2016)") {
		t.Errorf("the snapshot's inventory lacks the demo's assets:\n%s", assets)
	}
	if stmt := b.Text("#signed-statement"); !strings.Contains(stmt, "Sam Okafor") {
		t.Errorf("signed statement = %q", stmt)
	}

	// The comparison with last year's.
	b.Do(chromedp.Click(chromedp.CSS("#compare-previous")), chromedp.WaitVisible(chromedp.CSS("#compare-counts")))
	if added := b.Text("#assets-added"); !strings.Contains(added, "Tablet for patient check-in (Main Street)") {
		t.Errorf("assets added = %q", added)
	}
	if changed := b.Text("#assets-changed"); !strings.Contains(changed, "Patient portal") {
		t.Errorf("assets changed = %q", changed)
	}
	if h := b.Text("#compare-h"); !strings.Contains(h, "risk analysis") {
		t.Errorf("comparison heading = %q", h)
	}
	checkNoBrowserProblems(t, b)
}
