package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCatalog walks the catalogue as a viewer would: from the main
// navigation down to one specification, then search, the FAQ, the proposed
// rule, and the search box reached from the keyboard.
func TestBrowserCatalog(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	email := "lena.fischer@riverside.example"
	pw := demoPassword(t, s.Stdout.String(), email)
	if pw == "" {
		t.Fatalf("no password for %s in the demo's output:\n%s", email, s.Stdout)
	}
	nav := `header nav a[href="/catalog"]`
	b.Do(
		chromedp.Navigate(s.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(nav)),
		chromedp.Click(chromedp.CSS(nav)),
		chromedp.WaitVisible(chromedp.CSS("#cat-technical-h")),
	)
	if h1 := b.Text("h1"); h1 != "Security Rule catalogue" {
		t.Errorf("the Catalogue link leads to h1 %q", h1)
	}

	// Category → standard → specification, by clicking.
	accessControl := `table.catalog a[href="/catalog/entries/164.312%28a%29%281%29"]`
	encryption := `table.catalog a[href="/catalog/entries/164.312%28a%29%282%29%28iv%29"]`
	b.Do(
		chromedp.Click(chromedp.CSS("#cat-technical-h a")),
		chromedp.WaitNotPresent(chromedp.CSS("#cat-administrative-h")),
		chromedp.WaitVisible(chromedp.CSS(accessControl)),
	)
	if h1 := b.Text("h1"); !strings.HasPrefix(h1, "Technical safeguards") {
		t.Errorf("category page h1 = %q", h1)
	}
	b.Do(
		chromedp.Click(chromedp.CSS(accessControl)),
		chromedp.WaitVisible(chromedp.CSS(encryption)),
	)
	if h1 := b.Text("h1"); !strings.Contains(h1, "Access control") {
		t.Errorf("standard's page h1 = %q", h1)
	}
	b.Do(
		chromedp.Click(chromedp.CSS(encryption)),
		chromedp.WaitVisible(chromedp.CSS(`.profile-switch a[href="/catalog/entries/164.312%28a%29%282%29%28iv%29?profile=nprm-2025"]`)),
	)
	if h1 := b.Text("h1"); h1 != "164.312(a)(2)(iv) Encryption and decryption" {
		t.Errorf("specification's page h1 = %q", h1)
	}
	if badges := b.Text(".badges"); !strings.Contains(badges, "Addressable") || !strings.Contains(badges, "Implementation specification") {
		t.Errorf("badges = %q, want the kind and Addressable in words", badges)
	}
	crumbs := b.Eval(`[...document.querySelectorAll("nav.breadcrumb li")].map(li => li.textContent.trim()).join(" | ")`)
	if want := "Catalogue | Technical safeguards | 164.312(a)(1) Access control | 164.312(a)(2)(iv) Encryption and decryption"; crumbs != want {
		t.Errorf("breadcrumbs = %q, want %q", crumbs, want)
	}

	// Search from the catalogue's header.
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#catalog-q"), "encryption"),
		chromedp.Submit(chromedp.CSS("#catalog-q")),
		chromedp.WaitVisible(chromedp.CSS("ul.hits")),
	)
	if hits := b.Text("ul.hits"); !strings.Contains(hits, "164.312(a)(2)(iv) Encryption and decryption") {
		t.Errorf("search for encryption found %q", hits)
	}

	// The FAQ, from the catalogue's front page.
	b.Do(
		chromedp.Click(chromedp.CSS(nav)),
		chromedp.WaitVisible(chromedp.CSS(`.catalog-links a[href="/catalog/faq"]`)),
		chromedp.Click(chromedp.CSS(`.catalog-links a[href="/catalog/faq"]`)),
		chromedp.WaitVisible(chromedp.CSS("#faq-q")),
		chromedp.SendKeys(chromedp.CSS("#faq-q"), "automatic logoff"),
		chromedp.Submit(chromedp.CSS("#faq-q")),
		chromedp.WaitNotPresent(chromedp.CSS("#faq-certification")),
		chromedp.WaitVisible(chromedp.CSS("#faq-telecommuting-automatic-logoff")),
	)
	if q := b.Text("#faq-telecommuting-automatic-logoff h2"); !strings.Contains(q, "automatic logoff") {
		t.Errorf("FAQ question = %q", q)
	}
	if see := b.Text("#faq-telecommuting-automatic-logoff .faq-entries"); !strings.Contains(see, "164.312(a)(2)(iii) Automatic logoff") {
		t.Errorf("FAQ answer links %q, want the automatic logoff entry", see)
	}

	// The proposed rule says it is one.
	proposed := `.profile-switch a[href="/catalog?profile=nprm-2025"]`
	b.Do(
		chromedp.Click(chromedp.CSS(nav)),
		chromedp.WaitVisible(chromedp.CSS(proposed)),
		chromedp.Click(chromedp.CSS(proposed)),
		chromedp.WaitVisible(chromedp.CSS(".proposed-note")),
	)
	if note := b.Text(".proposed-note"); !strings.Contains(note, "Proposed rule, not in force") {
		t.Errorf("proposed profile's notice = %q", note)
	}
	if cur := b.Text(`.profile-switch a[aria-current]`); !strings.Contains(cur, "2025 proposed rule") || !strings.Contains(cur, "Proposed") {
		t.Errorf("the selected version reads %q", cur)
	}

	// Keyboard: Tab reaches the labelled search field.
	b.Do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#catalog-q")))
	reached := false
	for range 30 {
		b.Do(chromedp.KeyEvent("\t"))
		if b.Eval(`document.activeElement.id`) == "catalog-q" {
			reached = true
			break
		}
	}
	if !reached {
		t.Error("30 Tabs did not reach the catalogue search field")
	}
	if label := b.Eval(`document.getElementById("catalog-q").labels[0]?.textContent.trim() ?? ""`); label != "Search the catalogue" {
		t.Errorf("search field label = %q", label)
	}
	b.Do(chromedp.KeyEvent("backup"), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("ul.hits")))
	if loc := value(b, chromedp.Location()); !strings.Contains(loc, "q=backup") || !strings.Contains(loc, "profile=nprm-2025") {
		t.Errorf("searching from the keyboard went to %s, want a search in the proposed profile", loc)
	}
	for _, p := range b.Problems() {
		t.Errorf("browser reported: %s", p)
	}
}

// TestBrowserCatalogProposedOnly reads an entry only the proposed rule has
// (issue 12): it shows its proposed paragraph, not Safeguard's key; its
// "Rule in force" switch leads to its standard there, which says why, and
// back; and a search finding one entry says "1 entry".
func TestBrowserCatalogProposedOnly(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	email := "lena.fischer@riverside.example"
	pw := demoPassword(t, s.Stdout.String(), email)
	if pw == "" {
		t.Fatalf("no password for %s in the demo's output:\n%s", email, s.Stdout)
	}
	inForce := `.profile-switch a:not([aria-current])`
	b.Do(
		chromedp.Navigate(s.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(`header nav a[href="/catalog"]`)),
		chromedp.Navigate(s.URL+"/catalog/entries/nprm:log-in-attempts?profile=nprm-2025"),
		chromedp.WaitVisible(chromedp.CSS(inForce)),
	)
	if h1 := b.Text("h1"); h1 != "Proposed 164.312(a)(2)(v) Log-in attempts" {
		t.Errorf("proposed-only entry h1 = %q, want its proposed paragraph", h1)
	}
	if main := b.Text("main"); strings.Contains(main, "nprm:") {
		t.Errorf("the page shows an internal key: %q", main)
	}
	if label := b.Text(inForce); !strings.Contains(label, "Rule in force") {
		t.Fatalf("switch link reads %q", label)
	}
	b.Do(
		chromedp.Click(chromedp.CSS(inForce)),
		chromedp.WaitVisible(chromedp.CSS(".absent-note")),
	)
	if h1 := b.Text("h1"); h1 != "164.312(a)(1) Access control" {
		t.Errorf("the Rule in force switch leads to h1 %q, want the standard", h1)
	}
	note := b.Text(".absent-note")
	for _, want := range []string{"Proposed 164.312(a)(2)(v) Log-in attempts is only in the 2025 proposed rule", "not in the Security Rule in force", "this is its standard here"} {
		if !strings.Contains(note, want) {
			t.Errorf("notice = %q, want %q", note, want)
		}
	}
	b.Do(
		chromedp.Click(chromedp.CSS(".absent-note a")),
		chromedp.WaitVisible(chromedp.CSS(".proposed-note")),
	)
	if h1 := b.Text("h1"); h1 != "Proposed 164.312(a)(2)(v) Log-in attempts" {
		t.Errorf("the way back leads to h1 %q", h1)
	}

	// A standard only the proposal has leads to its category.
	b.Do(
		chromedp.Navigate(s.URL+"/catalog/entries/nprm:patch-management?profile=nprm-2025"),
		chromedp.WaitVisible(chromedp.CSS(inForce)),
		chromedp.Click(chromedp.CSS(inForce)),
		chromedp.WaitVisible(chromedp.CSS(".absent-note")),
	)
	if h1 := b.Text("h1"); !strings.HasPrefix(h1, "Administrative safeguards") {
		t.Errorf("patch management's Rule in force switch leads to h1 %q, want its category", h1)
	}

	// Counts of one read in the singular.
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#catalog-q"), "clearinghouse isolating"),
		chromedp.Submit(chromedp.CSS("#catalog-q")),
		chromedp.WaitVisible(chromedp.CSS("ul.hits")),
	)
	if status := b.Text(`p[role="status"]`); !strings.HasPrefix(status, "1 entry and 0 FAQ answers") {
		t.Errorf("search status = %q, want 1 entry", status)
	}
	for _, p := range b.Problems() {
		t.Errorf("browser reported: %s", p)
	}
}
