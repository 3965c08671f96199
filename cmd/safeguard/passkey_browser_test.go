package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/safeguard-health/safeguard/internal/store"
)

// TestBrowserPasskey registers a passkey in Chromium's virtual authenticator,
// signs in with it as the second factor, and has a forged answer (another
// origin in its client data) refused.
func TestBrowserPasskey(t *testing.T) {
	b := newBrowser(t)
	dir := filepath.Join(t.TempDir(), "demo")
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", dir)
	// WebAuthn needs a domain in a secure context; localhost is both, an IP
	// address is neither.
	base := strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	email := "priya.shah@riverside.example"
	password := demoPassword(t, s.Stdout.String(), email)
	if password == "" {
		t.Fatalf("no password for %s in the demo output:\n%s", email, s.Stdout)
	}

	if _, err := chromedp.Call(b.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		},
	}); err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}

	signInWithPassword := func() {
		t.Helper()
		b.Do(
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Submit(chromedp.CSS("#password")),
		)
	}

	// Without a second factor yet, the password alone signs Priya in.
	signInWithPassword()
	waitForPath(b, "/")

	// A name the server refuses (the field's maxlength stops typing one, so
	// set it directly) is reported in the alert, tied to the field.
	b.Do(
		chromedp.Navigate(base+"/account/passkeys"),
		chromedp.WaitVisible(chromedp.CSS("#passkey-none")),
		chromedp.SetValue(chromedp.CSS("#passkey-name"), strings.Repeat("x", 65)),
		chromedp.Click(chromedp.CSS("#passkey-add")),
		chromedp.WaitVisible(chromedp.CSS("#passkey-error .problem")),
	)
	if msg := b.Text("#passkey-error"); !strings.Contains(msg, "Name must be at most 64 characters") {
		t.Errorf("error shown = %q", msg)
	}
	if role, invalid := b.Eval(`document.getElementById("passkey-error").getAttribute("role")`),
		b.Eval(`document.getElementById("passkey-name").getAttribute("aria-invalid") || ""`); role != "alert" || invalid != "true" {
		t.Errorf("error role %q, field aria-invalid %q; want alert and true", role, invalid)
	}

	// Register a passkey named Laptop, with the keyboard only: type the name
	// and press Enter.
	b.Eval(`document.getElementById("passkey-name").value = ""`)
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#passkey-name"), "Laptop\r"),
		chromedp.WaitVisible(chromedp.CSS("#passkey-list")),
	)
	if got := b.Text("#passkey-list .passkey-name"); got != "Laptop" {
		t.Errorf("listed passkey = %q, want Laptop", got)
	}
	if notice := b.Text("p.notice"); !strings.Contains(notice, "passkey has been added") {
		t.Errorf("notice = %q", notice)
	}

	// Sign out, sign in again: the password now leads to the second step,
	// which the passkey completes.
	b.Do(chromedp.Click(chromedp.CSS("form.signout button")), chromedp.WaitVisible(chromedp.CSS("#email")))
	signInWithPassword()
	waitForPath(b, "/login/mfa")
	b.Do(chromedp.WaitVisible(chromedp.CSS("#passkey-signin")))

	// First, from Go: an answer the authenticator really made, with the
	// origin in its client data changed, is refused.
	forged := forgeOrigin(t, b, "http://evil.example:1")
	code, body := postWithSession(t, b, base, "/login/passkey/finish", forged)
	if code < 400 || code >= 500 || !strings.Contains(body, "could not be verified") {
		t.Errorf("finish with another origin = %d %s, want a 4xx refusal", code, body)
	}

	// Then the real thing, from the keyboard: focus the button and press Enter.
	b.Do(chromedp.Focus(chromedp.CSS("#passkey-signin")), chromedp.KeyEvent("\r"))
	waitForPath(b, "/")
	b.Do(chromedp.Navigate(base+"/account"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h1 := b.Text("h1"); h1 != "Your account" {
		t.Errorf("after the passkey, /account shows %q, want the account page", h1)
	}

	// The audit log has the registration, the use and the refusal.
	db, err := store.Open(context.Background(), filepath.Join(dir, "safeguard.db"), store.Options{SkipMigrations: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entries, err := db.AuditEntries(context.Background(), 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "passkey.") {
			found[e.Action] += e.Summary + "\n"
		}
	}
	if !strings.Contains(found["passkey.add"], `"Laptop"`) {
		t.Errorf("audit passkey.add = %q, want the registration of Laptop", found["passkey.add"])
	}
	if found["passkey.use"] == "" {
		t.Error("audit has no passkey.use")
	}
	if !strings.Contains(found["passkey.login_refused"], "evil.example") {
		t.Errorf("audit passkey.login_refused = %q, want the forged origin named", found["passkey.login_refused"])
	}

	for _, p := range b.Problems() {
		if !strings.Contains(p, "the server responded with a status of 4") {
			t.Errorf("browser reported: %s", p)
		}
	}
}

// waitForPath waits until the page's path is path.
func waitForPath(b *browser, path string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
		cancel()
		if err == nil {
			if got == path {
				return
			}
			last = got
		}
		time.Sleep(50 * time.Millisecond)
	}
	if msg, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.getElementById("passkey-error") || {}).textContent || ""`)); err == nil && msg != "" {
		b.t.Logf("passkey error on the page: %s", msg)
	}
	b.t.Fatalf("the browser is at %q, want %q", last, path)
}

// forgeOrigin has the page begin a passkey sign-in and the virtual
// authenticator answer it, without sending the answer; it returns the answer
// with origin put in its client data.
func forgeOrigin(t *testing.T, b *browser, origin string) []byte {
	t.Helper()
	const js = `(async () => {
		const csrf = document.querySelector('meta[name="sg-csrf"]').content;
		const resp = await fetch("/login/passkey/begin", {method: "POST", body: "{}",
			headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf}});
		const opts = (await resp.json()).publicKey;
		const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
		const enc = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
		opts.challenge = dec(opts.challenge);
		for (const c of opts.allowCredentials) c.id = dec(c.id);
		const cred = await navigator.credentials.get({publicKey: opts});
		return JSON.stringify({id: cred.id, rawId: enc(cred.rawId), type: cred.type,
			response: {clientDataJSON: enc(cred.response.clientDataJSON), authenticatorData: enc(cred.response.authenticatorData),
				signature: enc(cred.response.signature)},
			clientExtensionResults: cred.getClientExtensionResults()});
	})()`
	raw := value(b, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	var answer map[string]any
	if err := json.Unmarshal([]byte(raw), &answer); err != nil {
		t.Fatalf("assertion %s: %v", raw, err)
	}
	resp := answer["response"].(map[string]any)
	cd, err := base64.RawURLEncoding.DecodeString(resp["clientDataJSON"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var clientData map[string]any
	if err := json.Unmarshal(cd, &clientData); err != nil {
		t.Fatal(err)
	}
	if clientData["type"] != "webauthn.get" || !strings.HasPrefix(clientData["origin"].(string), "http://localhost:") {
		t.Fatalf("client data = %v, want a sign-in from localhost", clientData)
	}
	clientData["origin"] = origin
	cd, _ = json.Marshal(clientData)
	resp["clientDataJSON"] = base64.RawURLEncoding.EncodeToString(cd)
	out, _ := json.Marshal(answer)
	return out
}

// postWithSession posts a JSON body with the browser's session cookie and
// CSRF token, from Go.
func postWithSession(t *testing.T, b *browser, base, path string, body []byte) (int, string) {
	t.Helper()
	cookies, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	csrf := b.Eval(`document.querySelector('meta[name="sg-csrf"]').content`)
	req, err := http.NewRequest("POST", base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(base)
	for _, c := range cookies.Cookies {
		if c.Domain == u.Hostname() {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}
