package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/safeguard-health/safeguard/internal/identity"
)

// signInBrowser signs in through the sign-in form.
func signInBrowser(t *testing.T, b *browser, base, email, password string) {
	t.Helper()
	b.Do(
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitNotPresent(chromedp.CSS("#password")),
	)
}

// TestBrowserIdleLogout: the page warns before the automatic logoff, "Stay
// signed in" keeps the session, and doing nothing signs the person out.
func TestBrowserIdleLogout(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"), "--idle-timeout", "6s")
	email := "lena.fischer@riverside.example"
	signInBrowser(t, b, s.URL, email, demoPassword(t, s.Stdout.String(), email))
	b.Do(chromedp.Navigate(s.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("h1")))

	// With a 6-second limit the warning shows in the last 2 seconds.
	b.Do(chromedp.WaitVisible(chromedp.CSS("#idle-warning")))
	if text := b.Text("#idle-warning-text"); !strings.Contains(text, "You will be signed out in") {
		t.Errorf("warning text = %q", text)
	}
	if focused := b.Eval(`document.activeElement.id`); focused != "idle-stay" {
		t.Errorf("focus during the warning is on #%s, want the Stay signed in button", focused)
	}
	b.Do(chromedp.Click(chromedp.CSS("#idle-stay")), chromedp.WaitNotVisible(chromedp.CSS("#idle-warning")))
	if got := b.Eval(`location.pathname`); got != "/account" {
		t.Fatalf("after Stay signed in, the page is %s, want /account", got)
	}
	// Now do nothing: the session ends and the page goes to sign-in.
	deadline := time.Now().Add(20 * time.Second)
	for b.Eval(`location.pathname`) != "/login" {
		if time.Now().After(deadline) {
			t.Fatalf("still on %s 20 s after the last activity, want /login", b.Eval(`location.href`))
		}
		time.Sleep(250 * time.Millisecond)
	}
	b.Do(chromedp.WaitVisible(chromedp.CSS(".notice")))
	if notice := b.Text(".notice"); !strings.Contains(notice, "period without activity") {
		t.Errorf("sign-in notice = %q, want the automatic logoff explained", notice)
	}
	// The server ended the session too: the old page is not reachable.
	b.Do(chromedp.Navigate(s.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#email")))
}

// TestBrowserEmergencyAccess: a viewer who signed in with a password alone
// is refused emergency access and sent to set up a second factor; with one,
// they start it, see the banner and the raised access (which never includes
// the settings), and end it; it then awaits review.
func TestBrowserEmergencyAccess(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	email := "lena.fischer@riverside.example"
	signInBrowser(t, b, s.URL, email, demoPassword(t, s.Stdout.String(), email))

	b.Do(chromedp.Navigate(s.URL+"/orgs/riverside/settings/security"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h1 := b.Text("h1"); h1 != "Forbidden" {
		t.Fatalf("a viewer on security settings sees %q, want Forbidden", h1)
	}
	reason := "The practice manager is off sick and a lost laptop must be reported now"
	start := func() {
		b.Do(
			chromedp.Navigate(s.URL+"/orgs/riverside"),
			chromedp.WaitVisible(chromedp.CSS("#reason")),
			chromedp.SendKeys(chromedp.CSS("#reason"), reason),
			chromedp.Click(chromedp.CSS("form[action$='/emergency'] button")),
		)
	}
	// Without a second factor: refused, with the way to set one up.
	start()
	b.Do(chromedp.WaitVisible(chromedp.CSS("#emergency-mfa[role=alert]")))
	if text := b.Text("#emergency-mfa"); !strings.Contains(text, "needs a second factor") {
		t.Errorf("refusal says %q", text)
	}
	b.Do(chromedp.Click(chromedp.CSS("#emergency-mfa a")), chromedp.WaitVisible(chromedp.CSS("#totp-begin")))
	enrolTOTP(t, b)
	b.Do(chromedp.WaitVisible(chromedp.CSS("#reason")))
	if loc := value(b, chromedp.Location()); !strings.HasSuffix(loc, "/orgs/riverside") {
		t.Errorf("after enrolling, the browser is on %s, want back at /orgs/riverside", loc)
	}
	// With one: started at once.
	start()
	b.Do(chromedp.WaitVisible(chromedp.CSS(".banner.emergency")))
	if banner := b.Text(".banner.emergency"); !strings.Contains(banner, "Emergency access is active in Riverside Family Practice") {
		t.Errorf("banner = %q", banner)
	}
	b.Do(chromedp.Navigate(s.URL+"/orgs/riverside/audit"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h1 := b.Text("h1"); !strings.Contains(h1, "Audit log") {
		t.Errorf("with emergency access, the audit log shows %q", h1)
	}
	for _, path := range []string{"/orgs/riverside/settings/security", "/orgs/riverside/settings/sso"} {
		b.Do(chromedp.Navigate(s.URL+path), chromedp.WaitVisible(chromedp.CSS("h1")))
		if h1 := b.Text("h1"); h1 != "Forbidden" {
			t.Errorf("with emergency access, %s shows %q, want Forbidden", path, h1)
		}
	}
	// End it from the banner's link.
	b.Do(
		chromedp.Navigate(s.URL+"/orgs/riverside"),
		chromedp.WaitVisible(chromedp.CSS(".banner.emergency a")),
		chromedp.Click(chromedp.CSS(".banner.emergency a")),
		chromedp.WaitVisible(chromedp.CSS("form[action$='/end'] button")),
		chromedp.Click(chromedp.CSS("form[action$='/end'] button")),
		chromedp.WaitNotPresent(chromedp.CSS(".banner.emergency")),
	)
	if status := b.Text("main dl"); !strings.Contains(status, "awaiting review") {
		t.Errorf("after ending, status = %q, want awaiting review", status)
	}
	b.Do(chromedp.Navigate(s.URL+"/orgs/riverside/audit"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h1 := b.Text("h1"); h1 != "Forbidden" {
		t.Errorf("after ending emergency access, the audit log shows %q, want Forbidden", h1)
	}
}

// enrolTOTP goes through the authenticator-app enrolment the browser is on
// (#totp-begin visible): it starts it, confirms a code made from the secret
// the page shows, and moves on from the recovery codes.
func enrolTOTP(t *testing.T, b *browser) {
	t.Helper()
	b.Do(chromedp.Click(chromedp.CSS("#totp-begin")), chromedp.WaitVisible(chromedp.CSS("#totp-secret")))
	secret, err := identity.DecodeTOTPSecret(b.Text("#totp-secret"))
	if err != nil {
		t.Fatalf("secret on the page: %v", err)
	}
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#code"), identity.TOTPCode(secret, identity.TOTPStep(time.Now()))),
		chromedp.Click(chromedp.CSS("#totp-confirm")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
		chromedp.Click(chromedp.CSS("#recovery-done")),
	)
}
