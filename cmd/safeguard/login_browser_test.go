package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestBrowserLoginNextStaysOnSite opens the sign-in page with the redirect
// targets browsers are known to follow to another host, signs in through
// the form, and checks that Chromium ends up on Safeguard each time and
// never reaches the other site (a local server standing in for the
// attacker's, addressed by IP so that no name lookup is involved).
func TestBrowserLoginNextStaysOnSite(t *testing.T) {
	b := newBrowser(t)
	var hits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("<!doctype html><title>elsewhere</title><p>elsewhere</p>"))
	}))
	defer evil.Close()
	elsewhere := evil.Listener.Addr().String()
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	email := "lena.fischer@riverside.example"
	password := demoPassword(t, s.Stdout.String(), email)
	origin := strings.TrimRight(s.URL, "/")
	for _, next := range []string{
		"/\t/EVIL", "/\\EVIL", "\\/\\/EVIL", " /\\/EVIL", "/\r\n/EVIL", "/\n/EVIL", "//EVIL", "http:EVIL",
		"/\\\\EVIL", "\x00//EVIL", "\t//EVIL", "javascript:location='http://EVIL/'",
	} {
		next = strings.ReplaceAll(next, "EVIL", elsewhere)
		if _, err := chromedp.Call(b.ctx, network.ClearBrowserCookies, struct{}{}); err != nil {
			t.Fatal(err)
		}
		b.Do(
			chromedp.Navigate(origin+"/login?next="+url.QueryEscape(next)),
			chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Submit(chromedp.CSS("#password")),
		)
		// Wait for the page the sign-in leads to.
		var href string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			href = b.Eval(`location.href`)
			if !strings.Contains(href, "/login") && b.Eval(`document.readyState`) == "complete" {
				break
			}
		}
		if !strings.HasPrefix(href, origin+"/") || strings.Contains(href, "/login") {
			t.Errorf("after signing in with next=%q the browser is at %q, want a page of %s", next, href, origin)
		}
		// Signed in, the sign-in page redirects to next at once.
		b.Do(chromedp.Navigate(origin + "/login?next=" + url.QueryEscape(next)))
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			href = b.Eval(`location.href`)
			if !strings.Contains(href, "/login") && b.Eval(`document.readyState`) == "complete" {
				break
			}
		}
		if !strings.HasPrefix(href, origin+"/") || strings.Contains(href, "/login") {
			t.Errorf("GET /login?next=%q signed in: the browser is at %q, want a page of %s", next, href, origin)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the browser reached the other site %d times", n)
	}
}
