package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/safeguard-health/safeguard/internal/identity"
)

// TestBrowserRecoveryCodes: after enrolling an authenticator app, the
// recovery codes can be copied, downloaded as a text file made in the
// browser (the codes reach no URL and no log), and printed on a sheet that
// shows only the codes and the account.
func TestBrowserRecoveryCodes(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "maria.alvarez@riverside.example"
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted, Origin: s.URL}); err != nil {
			t.Fatal(err)
		}
	}

	// An owner must set up a second factor at sign-in.
	signInBrowser(t, b, s.URL, email, demoPassword(t, s.Stdout.String(), email))
	b.Do(chromedp.Navigate(s.URL+"/account/mfa"), chromedp.Click(chromedp.CSS("#totp-begin")), chromedp.WaitVisible(chromedp.CSS("#totp-secret")))
	secret, err := identity.DecodeTOTPSecret(b.Text("#totp-secret"))
	if err != nil {
		t.Fatalf("secret on the page: %v", err)
	}
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#code"), identity.TOTPCode(secret, identity.TOTPStep(time.Now()))),
		chromedp.Click(chromedp.CSS("#totp-confirm")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-copy")),
	)
	codes := strings.Fields(b.Text("#recovery-codes"))
	codeRE := regexp.MustCompile(`^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$`)
	if len(codes) != identity.RecoveryCodeCount || !codeRE.MatchString(codes[0]) {
		t.Fatalf("recovery codes on the page = %q", codes)
	}
	if account := b.Text("#recovery-account"); account != email {
		t.Errorf("the sheet names the account %q, want %q", account, email)
	}

	shoot(t, b, "recovery-codes", "h1", "#recovery-actions")
	// Copy.
	b.Do(chromedp.Click(chromedp.CSS("#recovery-copy")))
	pollPage(t, b, `document.getElementById("recovery-status").textContent !== ""`)
	if msg := b.Text("#recovery-status"); !strings.HasPrefix(msg, fmt.Sprintf("Copied %d codes", identity.RecoveryCodeCount)) {
		t.Errorf("after Copy the page says %q, want the codes copied", msg)
	}
	copied := value(b, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if got := strings.Fields(copied); strings.Join(got, " ") != strings.Join(codes, " ") {
		t.Errorf("the clipboard holds %q, want the codes %q", copied, codes)
	}

	// Download: a text file made in the browser, from no server URL.
	b.Do(chromedp.Click(chromedp.CSS("#recovery-download")))
	file := filepath.Join(downloads, "safeguard-recovery-codes.txt")
	var text []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		if text, err = os.ReadFile(file); err == nil && len(text) > 0 {
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(downloads)
			t.Fatalf("no %s after Download (the folder holds %v)", file, entries)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range append([]string{"Safeguard recovery codes", "Account: " + email, "Safeguard: " + s.URL}, codes...) {
		if !strings.Contains(string(text), want) {
			t.Errorf("the downloaded file lacks %q:\n%s", want, text)
		}
	}

	// Print: only the sheet.
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	printed := b.Eval(`document.body.innerText`)
	for _, want := range append([]string{"Safeguard recovery codes", email}, codes...) {
		if !strings.Contains(printed, want) {
			t.Errorf("the printed page lacks %q:\n%s", want, printed)
		}
	}
	for _, unwanted := range []string{"Sign out", "Demo", "Catalogue", "I have kept them", "Copy the codes", "Skip to content", "HIPAA Security Rule", "If you lose your phone"} {
		if strings.Contains(printed, unwanted) {
			t.Errorf("the printed page shows %q, want only the codes and the account:\n%s", unwanted, printed)
		}
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}

	// The codes reached no log and no address.
	for _, c := range codes {
		if strings.Contains(s.Stdout.String(), c) || strings.Contains(s.Stderr.String(), c) {
			t.Errorf("recovery code %s appears in the server's output", c)
		}
	}
	checkNoBrowserProblems(t, b)
}

// TestBrowserMembers: an owner sees each member's second factors and last
// sign-in and what each role may do; Remove asks first, in a dialog with
// scripts and on a page of its own without them, and Cancel keeps the
// member. At 390 px the page does not scroll sideways.
func TestBrowserMembers(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "maria.alvarez@riverside.example"
	signInBrowser(t, b, s.URL, email, demoPassword(t, s.Stdout.String(), email))
	b.Do(chromedp.Navigate(s.URL+"/account/mfa"), chromedp.WaitVisible(chromedp.CSS("#totp-begin")))
	enrolTOTP(t, b)
	b.Do(chromedp.WaitNotPresent(chromedp.CSS("#recovery-codes")))

	members := s.URL + "/orgs/riverside/members"
	row := func(email string) string {
		return b.Eval(`(() => { for (const tr of document.querySelectorAll("#members tbody tr")) if (tr.textContent.includes(` + jsString(email) + `)) return tr.innerText; return ""; })()`)
	}
	b.Do(chromedp.Navigate(members), chromedp.WaitVisible(chromedp.CSS("#members")))
	if r := row(email); !strings.Contains(r, "authenticator app") || strings.Contains(r, "never") {
		t.Errorf("Maria's row = %q, want her authenticator app and a last sign-in", r)
	}
	if r := row("lena.fischer@riverside.example"); !strings.Contains(r, "none") || !strings.Contains(r, "never") {
		t.Errorf("Lena's row = %q, want no second factor and never signed in", r)
	}
	shoot(t, b, "members", "h1", "#roles")
	if roles := b.Text("#roles"); !strings.Contains(roles, "Security officer") || !strings.Contains(roles, "May not") {
		t.Errorf("roles explanation = %q", roles)
	}

	// With scripts: a dialog; Cancel keeps Lena, Remove removes her.
	lenaRemove := `form.remove-member[data-email="lena.fischer@riverside.example"] button`
	b.Do(chromedp.Click(chromedp.CSS(lenaRemove)), chromedp.WaitVisible(chromedp.CSS("#remove-dialog")))
	if dir := os.Getenv("SAFEGUARD_SCREENSHOTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, "members-dialog.png"), value(b, chromedp.CaptureScreenshot()), 0o644)
	}
	if text := b.Text("#remove-dialog"); !strings.Contains(text, "Remove Lena Fischer?") || !strings.Contains(text, "lena.fischer@riverside.example") {
		t.Errorf("dialog = %q", text)
	}
	b.Do(chromedp.Click(chromedp.CSS("#remove-dialog-cancel")), chromedp.WaitNotVisible(chromedp.CSS("#remove-dialog")), chromedp.Sleep(300*time.Millisecond))
	if path := b.Eval(`location.pathname + location.search`); path != "/orgs/riverside/members" || row("lena.fischer@riverside.example") == "" {
		t.Fatalf("after Cancel the page is %s and Lena's row is %q, want her still a member", path, row("lena.fischer@riverside.example"))
	}
	b.Do(
		chromedp.Click(chromedp.CSS(lenaRemove)), chromedp.WaitVisible(chromedp.CSS("#remove-dialog")),
		chromedp.Click(chromedp.CSS("#remove-dialog-confirm")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if row("lena.fischer@riverside.example") != "" {
		t.Error("Lena is still listed after confirming her removal")
	}

	// Without scripts: the confirmation page.
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	priyaRemove := `form.remove-member[data-email="priya.shah@riverside.example"] button`
	b.Do(chromedp.Navigate(members), chromedp.Click(chromedp.CSS(priyaRemove)), chromedp.WaitVisible(chromedp.CSS("#remove-confirm")))
	shoot(t, b, "members-confirm", "h1")
	if h1 := b.Text("h1"); h1 != "Remove Priya Shah from Riverside Family Practice?" {
		t.Errorf("confirmation page h1 = %q", h1)
	}
	b.Do(chromedp.Click(chromedp.CSS("#remove-cancel")), chromedp.WaitVisible(chromedp.CSS("#members")))
	if row("priya.shah@riverside.example") == "" {
		t.Fatal("Cancel on the confirmation page removed Priya")
	}
	b.Do(
		chromedp.Click(chromedp.CSS(priyaRemove)), chromedp.WaitVisible(chromedp.CSS("#remove-confirm")),
		chromedp.Click(chromedp.CSS("#remove-confirm")), chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if row("priya.shah@riverside.example") != "" {
		t.Error("Priya is still listed after confirming her removal without scripts")
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
		t.Fatal(err)
	}

	// At 390 px, with the forms an owner has, nothing scrolls sideways.
	b.Do(chromedp.EmulateViewport(390, 844))
	a := auditPage(t, b, s.URL, "/orgs/riverside/members")
	if a.ScrollWidth > a.InnerWidth || len(a.Scrollers) > 0 {
		t.Errorf("members at 390 px: scroll width %d (window %d), scrolling parts %q", a.ScrollWidth, a.InnerWidth, a.Scrollers)
	}
	checkNoBrowserProblems(t, b)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
