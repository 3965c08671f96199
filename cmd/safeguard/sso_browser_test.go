package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/safeguard-health/safeguard/internal/oidctest"
)

// TestBrowserSSOLink follows a demo viewer in Chromium through the
// deployment's single sign-on: refused while their account (which has a
// password) is not linked, told how to link it; linked from the account
// page while signed in; then signed in through the provider.
func TestBrowserSSOLink(t *testing.T) {
	b := newBrowser(t)
	idp := oidctest.New(t, "safeguard", "browser-test-secret")
	email := "lena.fischer@riverside.example"
	idp.SetUser(oidctest.User{Subject: "lena-at-idp", Email: email, EmailVerified: true, Name: "Lena Fischer", AMR: []string{"pwd", "mfa"}})
	s := startServer(t, map[string]string{envOIDCSecret: "browser-test-secret"}, "demo", "--addr", "127.0.0.1:0",
		"--data", filepath.Join(t.TempDir(), "demo"), "--oidc-issuer", idp.Issuer(), "--oidc-client-id", "safeguard")

	// Not linked: refused, with the way to link.
	b.Do(chromedp.Navigate(s.URL+"/login/sso"), chromedp.WaitVisible(chromedp.CSS("[role=alert]")))
	if text := b.Text("[role=alert]"); !strings.Contains(text, "link this identity provider under Account") {
		t.Errorf("unlinked sign-in says %q, want advice to link it under Account", text)
	}

	// Signed in with the password, link it from the account page.
	signInBrowser(t, b, s.URL, email, demoPassword(t, s.Stdout.String(), email))
	b.Do(
		chromedp.Navigate(s.URL+"/account"),
		chromedp.WaitVisible(chromedp.CSS("#sso-link-deployment")),
		chromedp.Click(chromedp.CSS("#sso-link-deployment")),
		chromedp.WaitVisible(chromedp.CSS("#sso-continue")),
		chromedp.Click(chromedp.CSS("#sso-continue")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if notice := b.Text(".notice"); !strings.Contains(notice, "identity provider is linked") {
		t.Errorf("after linking, the notice says %q", notice)
	}
	if section := b.Text("#sso-h + p + table"); !strings.Contains(section, idp.Issuer()) {
		t.Errorf("the account page lists links %q, want %s", section, idp.Issuer())
	}

	// Signed out, the provider signs Lena in.
	b.Do(chromedp.Submit(chromedp.CSS("form.signout")), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.Do(chromedp.Navigate(s.URL+"/login/sso?next=/account"), chromedp.WaitVisible(chromedp.CSS("#sso-h")))
	if loc := value(b, chromedp.Location()); !strings.HasSuffix(loc, "/account") {
		t.Errorf("after signing in through the provider, the browser is on %s, want /account", loc)
	}
}

// TestBrowserOrgSSOSignInForm signs a new member in through the
// organisation's own provider from the sign-in page's form. The pages' CSP
// (form-action 'self') refuses a form's redirect to another site, so the
// form must lead to a page that sends the browser on by a link; before that,
// Chromium stayed on the form.
func TestBrowserOrgSSOSignInForm(t *testing.T) {
	b := newBrowser(t)
	const clientID, secret = "riverside-safeguard", "org-browser-test-secret"
	idp := oidctest.New(t, clientID, secret)
	idp.SetUser(oidctest.User{Subject: "nurse-at-idp", Email: "nurse@riverside.example", EmailVerified: true, Name: "Noor Nurse"})
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	out := s.Stdout.String()

	// The owner (who must enrol a second factor first) sets up the
	// organisation's provider, with accounts made just in time.
	const owner = "maria.alvarez@riverside.example"
	b.Do(
		chromedp.Navigate(s.URL+"/orgs/riverside/settings/sso"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), owner),
		chromedp.SendKeys(chromedp.CSS("#password"), demoPassword(t, out, owner)),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#totp-begin")),
	)
	enrolTOTP(t, b)
	b.Do(
		chromedp.WaitVisible(chromedp.CSS("#issuer")),
		chromedp.SendKeys(chromedp.CSS("#issuer"), idp.Issuer()),
		chromedp.SendKeys(chromedp.CSS("#client_id"), clientID),
		chromedp.SendKeys(chromedp.CSS("#client_secret"), secret),
		chromedp.SetValue(chromedp.CSS("#default_role"), "contributor"),
	)
	b.Eval(`(document.querySelector("input[name=enabled]").checked = true, document.querySelector("input[name=jit]").checked = true, "")`)
	b.Do(chromedp.Submit(chromedp.CSS("#issuer")), chromedp.WaitVisible(chromedp.CSS("form.signout")))
	b.Do(chromedp.Submit(chromedp.CSS("form.signout")), chromedp.WaitVisible(chromedp.CSS("#email")))

	// A new member signs in from the form on the sign-in page.
	b.Do(
		chromedp.Click(chromedp.CSS(`a[href^="/login/sso"]`)),
		chromedp.WaitVisible(chromedp.CSS("#org")),
		chromedp.SendKeys(chromedp.CSS("#org"), "riverside"),
		chromedp.Submit(chromedp.CSS("#org")),
		chromedp.WaitVisible(chromedp.CSS("form.signout")),
	)
	if who := b.Text("form.signout"); !strings.Contains(who, "Noor Nurse") {
		t.Errorf("after signing in through the organisation's provider, the header shows %q, want Noor Nurse", who)
	}
	checkNoBrowserProblems(t, b)
}
