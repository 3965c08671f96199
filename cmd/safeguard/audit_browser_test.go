package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/store"
)

// TestBrowserAuditVerifyProgress: the audit page's progress bar follows a
// verification that another replica runs (played here by the test, writing
// to the same database), moves without a reload, and gives way to the result
// when the run ends; then "Verify now" runs one on this server.
func TestBrowserAuditVerifyProgress(t *testing.T) {
	b := newBrowser(t)
	dir := filepath.Join(t.TempDir(), "demo")
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", dir)
	email := "tom.becker@audit.example"
	signInBrowser(t, b, s.URL, email, demoPassword(t, s.Stdout.String(), email))

	ctx := context.Background()
	replica, err := store.Open(ctx, filepath.Join(dir, "safeguard.db"), store.Options{SkipMigrations: true})
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close()
	org, err := replica.Org(ctx, "riverside")
	if err != nil {
		t.Fatal(err)
	}
	other := store.Actor{Name: "replica-b"}
	j, claimed, err := replica.ClaimJob(ctx, other, store.JobClaim{Kind: "audit.verify", Scope: "org:" + itoa(org.ID), Total: 1000,
		StartedBy: email, StaleAfter: time.Minute, Audit: audit.Entry{Action: "audit.verify.start", Object: "audit:log"}})
	if err != nil || !claimed {
		t.Fatalf("ClaimJob = %v %v", claimed, err)
	}
	if err := replica.JobProgress(ctx, j.Kind, j.Scope, j.Run, 250); err != nil {
		t.Fatal(err)
	}

	b.Do(chromedp.Navigate(s.URL+"/orgs/riverside/audit"), chromedp.WaitVisible(chromedp.CSS("#verify-progress")))
	if v := b.Eval(`String(document.getElementById("verify-progress").value)`); v != "25" {
		t.Errorf("progress = %s, want 25", v)
	}
	if b.Eval(`String(document.querySelector("#verify button").disabled)`) != "true" {
		t.Errorf("Verify now is enabled while a run is in progress")
	}
	b.Eval(`String(window.sameLoad = true)`)

	// The other replica moves on; the bar follows without a reload.
	if err := replica.JobProgress(ctx, j.Kind, j.Scope, j.Run, 800); err != nil {
		t.Fatal(err)
	}
	pollPage(t, b, `document.getElementById("verify-progress").value === 80 && window.sameLoad === true`)
	if text := b.Text("#verify-text"); !strings.Contains(text, "800 of 1000") {
		t.Errorf("progress text = %q, want 800 of 1000", text)
	}

	// It finishes; the page shows the result.
	result := `{"intact":true,"entries":1000,"root":"` + strings.Repeat("ab", 32) + `","checkpoints":3}`
	if err := replica.FinishJob(ctx, other, j.Kind, j.Scope, j.Run, store.JobDone, 1000, []byte(result),
		audit.Entry{Action: "audit.verify", Object: "audit:log", Summary: "intact"}); err != nil {
		t.Fatal(err)
	}
	pollPage(t, b, `!document.getElementById("verify-progress") && document.getElementById("verify-status").textContent.includes("Intact: 1000 entries")`)

	// Now a run on this server, from the button.
	b.Do(chromedp.Click(chromedp.CSS("#verify button")))
	pollPage(t, b, `location.pathname === "/orgs/riverside/audit" && !document.getElementById("verify-progress") && /Intact: \d+ entries|Damaged:/.test(document.getElementById("verify-status").textContent) && !document.getElementById("verify-status").textContent.includes("Intact: 1000 entries")`)
}

// pollPage polls the page until expr is true, for up to 20 seconds.
func pollPage(t *testing.T, b *browser, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("page %s never satisfied %s (last error %v)", b.Eval(`location.href`), expr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
