package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium driven by chromedp for one test.
type browser struct {
	ctx context.Context
	t   *testing.T

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage // console errors, exceptions, CSP reports
}

// chromiumPath finds Debian's Chromium, or the one named in SAFEGUARD_CHROMIUM.
func chromiumPath() string {
	if p := os.Getenv("SAFEGUARD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium for t. Without one it skips, unless
// SAFEGUARD_REQUIRE_BROWSER=1 (as in CI), where it fails. When the test fails,
// a screenshot of the page is saved and its path logged.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("SAFEGUARD_REQUIRE_BROWSER") == "1" {
			t.Fatal("no Chromium found, and SAFEGUARD_REQUIRE_BROWSER=1 requires the browser tests to run")
		}
		t.Skip("no Chromium found (install Debian's chromium, or set SAFEGUARD_CHROMIUM)")
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	// The first call starts the browser; it must not carry a timeout, which
	// would end the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	b := &browser{ctx: ctx, t: t}
	// The reader ends when the context is cancelled at cleanup.
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleException || m.Type == "error" {
				b.mu.Lock()
				b.messages = append(b.messages, m)
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot()
		}
		cancelCtx()
		cancelAlloc()
	})
	return b
}

// Problems returns the console errors and exceptions the pages reported.
func (b *browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.messages {
		out = append(out, string(m.Type)+": "+m.Text)
	}
	return out
}

// screenshot saves the current page into a folder that outlives the test.
func (b *browser) screenshot() {
	dir, err := os.MkdirTemp("", "safeguard-screenshots-")
	if err != nil {
		b.t.Logf("screenshot: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot: %v", err)
		return
	}
	name := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name())+".png")
	if err := os.WriteFile(name, png, 0o644); err != nil {
		b.t.Logf("screenshot: %v", err)
		return
	}
	b.t.Logf("screenshot of the failing page: %s", name)
}

// Do runs actions with a time limit and fails the test on error.
func (b *browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// value runs one action that returns a value, with a time limit.
func value[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// Eval evaluates a JavaScript expression in the page.
func (b *browser) Eval(expr string) string {
	b.t.Helper()
	return value(b, chromedp.Evaluate[string](expr))
}

// Text returns the visible text of the first element matching a CSS selector.
func (b *browser) Text(css string) string {
	b.t.Helper()
	return value(b, chromedp.Text(chromedp.CSS(css)))
}

func TestBrowserShell(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))

	// Sign in through the form as a viewer of Riverside.
	email := "lena.fischer@riverside.example"
	b.Do(
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), demoPassword(t, s.Stdout.String(), email)),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("ul.cards")),
	)
	if title, h1 := value(b, chromedp.Title()), b.Text("h1"); title != "Organisations · Safeguard" || h1 != "Organisations" {
		t.Errorf("title, h1 = %q, %q, want the organisations page after signing in", title, h1)
	}
	orgs := b.Text("ul.cards")
	if strings.Contains(orgs, "Harbor") {
		t.Errorf("a Riverside viewer sees %q, which names another organisation", orgs)
	}

	for _, want := range []string{"Riverside Family Practice", "Viewer (read-only)"} {
		if !strings.Contains(orgs, want) {
			t.Errorf("organisations table %q lacks %q", orgs, want)
		}
	}
	if js := b.Eval(`document.documentElement.dataset.js || ""`); js != "on" {
		t.Error("app.js did not run (blocked by the CSP, or not served)")
	}
	if font := b.Eval(`getComputedStyle(document.body).fontFamily`); !strings.Contains(font, "system-ui") {
		t.Errorf("body font = %q, want the stylesheet's system fonts", font)
	}
	landmarks := value(b, chromedp.Evaluate[int](`document.querySelectorAll("header[role=banner], main#main, footer[role=contentinfo], nav[aria-label]").length`))
	if landmarks < 4 {
		t.Errorf("found %d landmarks, want banner, main, contentinfo and navigation", landmarks)
	}

	// Keyboard: the first Tab reaches the skip link, which moves focus to main.
	b.Do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1")), chromedp.KeyEvent("\t"))
	if focused := b.Eval(`document.activeElement.textContent.trim()`); focused != "Skip to content" {
		t.Errorf("first Tab focuses %q, want the skip link", focused)
	}
	b.Do(chromedp.KeyEvent("\r"), chromedp.Sleep(100*time.Millisecond))
	if id := b.Eval(`document.activeElement.id`); id != "main" {
		t.Errorf("after the skip link, focus is on #%s, want #main", id)
	}

	// Dark mode follows the system preference.
	light := b.Eval(`getComputedStyle(document.body).backgroundColor`)
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	}); err != nil {
		t.Fatal(err)
	}
	if dark := b.Eval(`getComputedStyle(document.body).backgroundColor`); dark == light {
		t.Errorf("background is %s in both light and dark mode", light)
	}

	// An unknown address shows the error page with a request ID.
	b.Do(chromedp.Navigate(s.URL+"/no/such/page"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h1, reqID := b.Text("h1"), b.Text("main code"); h1 != "Not Found" || len(reqID) != 16 {
		t.Errorf("error page h1, request ID = %q, %q", h1, reqID)
	}
	// Chromium logs the 422 and 404 answers itself; anything else (a script
	// error, a CSP violation) is a fault in our pages.
	for _, p := range b.Problems() {
		if !strings.Contains(p, "the server responded with a status of 4") {
			t.Errorf("browser reported: %s", p)
		}
	}
}
