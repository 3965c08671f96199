package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserMemberInvitation: Harbor's owner adds Lena, who already works
// at Riverside, with an API token made on the command line. Lena is not a
// member until she accepts in her browser; the token cannot mint another.
func TestBrowserMemberInvitation(t *testing.T) {
	b := newBrowser(t)
	dir := filepath.Join(t.TempDir(), "demo")
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", dir)
	out, errOut, code := run(t, nil, "token", "create", "--user", "jordan.lee@harbor-billing.example", "--org", "harbor-billing",
		"--scope", "admin", "--expires", "1h", "--data", dir)
	if code != 0 {
		t.Fatalf("token create = %d %q %q", code, out, errOut)
	}
	token := strings.TrimSpace(out)
	post := func(path, body string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest("POST", s.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got map[string]any
		json.NewDecoder(resp.Body).Decode(&got)
		return resp, got
	}
	if resp, got := post("/api/v1/tokens", `{"name":"wider","scope":"admin","expires":"8760h"}`); resp.StatusCode != 403 {
		t.Errorf("a token minting a token = %d %v, want 403", resp.StatusCode, got)
	}
	email := "lena.fischer@riverside.example"
	resp, got := post("/api/v1/orgs/harbor-billing/members", `{"email":"`+email+`","role":"viewer"}`)
	if resp.StatusCode != 201 || got["status"] != "invited" || got["name"] != nil {
		t.Fatalf("invite Lena = %d %v, want 201 invited without her name", resp.StatusCode, got)
	}

	signInBrowser(t, b, s.URL, email, demoPassword(t, s.Stdout.String(), email))
	b.Do(chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#pending-invitations")))
	if cards := b.Text("ul.cards"); strings.Contains(cards, "Harbor") {
		t.Fatalf("Lena is in Harbor before accepting: %q", cards)
	}
	b.Do(
		chromedp.Click(chromedp.CSS("#pending-invitations a")),
		chromedp.WaitVisible(chromedp.CSS("#invitations")),
	)
	if text := b.Text("#invitations"); !strings.Contains(text, "Harbor Medical Billing invites you as Viewer") {
		t.Errorf("account invitations = %q", text)
	}
	b.Do(
		chromedp.Click(chromedp.CSS("#invitations form[action$='/accept'] button")),
		chromedp.WaitNotPresent(chromedp.CSS("#invitations")),
		chromedp.WaitVisible(chromedp.CSS("h1")),
	)
	if path := b.Eval(`location.pathname`); path != "/orgs/harbor-billing" {
		t.Errorf("after accepting, the page is %s, want /orgs/harbor-billing", path)
	}
	b.Do(chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS("ul.cards")))
	if cards := b.Text("ul.cards"); !strings.Contains(cards, "Harbor Medical Billing") {
		t.Errorf("after accepting, Lena's organisations = %q", cards)
	}
	if n := b.Eval(`String(document.querySelectorAll("#pending-invitations").length)`); n != "0" {
		t.Errorf("the pending-invitation notice is still shown after accepting")
	}
}
