package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// idleEntry is an assessment entry page of the demo with a narrative to
// type in.
const idleEntry = "/orgs/riverside/assessments/2/entries/164.312%28b%29"

// TestBrowserIdleTypingKeepsSession: with a 6-second idle limit, a person
// typing a narrative for longer than that stays signed in; the status poll
// alone would have ended the session (TestBrowserIdleLogout).
func TestBrowserIdleTypingKeepsSession(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"), "--idle-timeout", "6s")
	email := "priya.shah@riverside.example"
	signInBrowser(t, b, s.URL, email, demoPassword(t, s.Stdout.String(), email))
	b.Do(chromedp.Navigate(s.URL+idleEntry), chromedp.WaitVisible(chromedp.CSS("#narrative")))

	// Type a word every second for 12 seconds: twice the limit.
	for i := 0; i < 12; i++ {
		b.Do(chromedp.SendKeys(chromedp.CSS("#narrative"), " word"))
		time.Sleep(time.Second)
		if p := b.Eval(`location.pathname`); p == "/login" {
			t.Fatalf("signed out after %d s of typing", i+1)
		}
	}
	if visible := b.Eval(`String(!document.getElementById("idle-warning").hidden)`); visible == "true" {
		t.Errorf("the logoff warning shows while the person types")
	}
	// The server agrees: the session is alive.
	b.Do(chromedp.Navigate(s.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if p := b.Eval(`location.pathname`); p != "/account" {
		t.Errorf("after typing, /account went to %s, want the account page", p)
	}
	if problems := b.Problems(); len(problems) > 0 {
		t.Errorf("console problems: %v", problems)
	}
}

// TestBrowserIdleDraftRestored: a narrative typed and left is kept in the
// browser when the session ends, offered back after signing in again, and
// restored into its field; it never holds a password, and is gone once
// restored.
func TestBrowserIdleDraftRestored(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"), "--idle-timeout", "6s")
	email := "priya.shah@riverside.example"
	password := demoPassword(t, s.Stdout.String(), email)
	signInBrowser(t, b, s.URL, email, password)
	b.Do(chromedp.Navigate(s.URL+idleEntry), chromedp.WaitVisible(chromedp.CSS("#narrative")))
	text := " Audit logs of the EHR are reviewed weekly by Sam."
	b.Do(chromedp.Click(chromedp.CSS("#narrative")), chromedp.SendKeys(chromedp.CSS("#narrative"), text))
	want := b.Eval(`document.getElementById("narrative").value`)
	if !strings.HasSuffix(want, text) {
		t.Fatalf("narrative = %q after typing", want)
	}

	// Leave it: the session ends and the page goes to sign-in.
	deadline := time.Now().Add(30 * time.Second)
	for b.Eval(`location.pathname`) != "/login" {
		if time.Now().After(deadline) {
			t.Fatalf("still on %s 30 s after the last keystroke, want /login", b.Eval(`location.href`))
		}
		time.Sleep(250 * time.Millisecond)
	}
	stored := b.Eval(`Object.keys(localStorage).filter(k => k.startsWith("sg-draft:")).map(k => localStorage.getItem(k)).join("\n")`)
	if !strings.Contains(stored, "reviewed weekly by Sam") {
		t.Fatalf("drafts kept = %q, want the narrative", stored)
	}
	if strings.Contains(stored, "csrf") || strings.Contains(stored, password) {
		t.Errorf("a draft holds a secret: %q", stored)
	}

	// Sign in again from the page the logoff led to: back on the entry,
	// the draft is offered, and restored into the narrative.
	b.Do(
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".draft-offer")),
	)
	if p := b.Eval(`location.pathname`); p != "/orgs/riverside/assessments/2/entries/164.312(b)" && p != idleEntry {
		t.Errorf("after signing in again the page is %s, want the entry", p)
	}
	if offer := b.Text(".draft-offer"); !strings.Contains(offer, "Restore your unsaved text?") {
		t.Errorf("offer = %q", offer)
	}
	if got := b.Eval(`document.getElementById("narrative").value`); got == want {
		t.Fatalf("the narrative holds the draft before it is restored")
	}
	b.Do(chromedp.Click(chromedp.CSS(".draft-restore")), chromedp.WaitNotPresent(chromedp.CSS(".draft-offer")))
	if got := b.Eval(`document.getElementById("narrative").value`); got != want {
		t.Errorf("restored narrative = %q, want %q", got, want)
	}
	if left := b.Eval(`String(Object.keys(localStorage).filter(k => k.startsWith("sg-draft:")).length)`); left != "0" {
		t.Errorf("%s drafts left after restoring, want 0", left)
	}
	for _, p := range b.Problems() {
		// The status check that finds the session over is answered 401.
		if !strings.Contains(p, "status of 401") {
			t.Errorf("console problem: %s", p)
		}
	}
}
