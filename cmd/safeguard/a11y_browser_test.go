package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// pageAudit is what a11yAuditJS reports of the page in the browser.
type pageAudit struct {
	// Outside lists visible content that no landmark holds (axe's region
	// rule): a tag and its first words each.
	Outside []string `json:"outside"`
	// EmptyHeaders counts th elements with neither text nor a label.
	EmptyHeaders int `json:"emptyHeaders"`
	// BannerLinkContrast is the contrast ratio of the emergency access
	// banner's link against the banner, 0 when there is no banner.
	BannerLinkContrast float64 `json:"bannerLinkContrast"`
	// ScrollWidth and InnerWidth say whether the page scrolls sideways;
	// Scrollers lists what scrolls sideways inside the main content (a
	// table in a scrolling box).
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	Scrollers   []string `json:"scrollers"`
	// HeaderHeight is how far down the page the site header and the
	// banners under it reach.
	HeaderHeight float64 `json:"headerHeight"`
}

// a11yAuditJS measures the page: content outside landmarks, empty table
// headers, the WCAG contrast of the emergency banner's link, and the width
// and header height at the current viewport.
const a11yAuditJS = `(() => {
  const landmarks = "header, nav, main, footer, aside, [role=banner], [role=navigation], [role=main], [role=contentinfo]," +
    " [role=complementary], [role=region], [role=search], section[aria-label], section[aria-labelledby]," +
    " form[aria-label], form[aria-labelledby], dialog, [role=dialog], [role=alertdialog]";
  const outside = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("script, style, template") || el.matches("a.skip")) continue;
    const text = [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== "");
    if (!text && !el.matches("img, svg, input:not([type=hidden]), select, textarea, button, video, iframe")) continue;
    if (el.getClientRects().length === 0 || getComputedStyle(el).visibility === "hidden") continue;
    if (!el.closest(landmarks)) outside.push(el.tagName.toLowerCase() + ": " + el.textContent.trim().slice(0, 50));
  }
  const emptyHeaders = [...document.querySelectorAll("th")].filter(th => th.textContent.trim() === "" && !th.getAttribute("aria-label")).length;

  // WCAG 2 contrast: relative luminance of sRGB colours.
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
  };
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  let bannerLinkContrast = 0;
  const link = document.querySelector(".banner.emergency a");
  if (link) {
    const a = lum(rgb(getComputedStyle(link).color).slice(0, 3)), b = lum(background(link));
    bannerLinkContrast = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }
  const scrollers = [...document.querySelectorAll("main *")].filter(el =>
    el.checkVisibility() && el.scrollWidth > el.clientWidth + 1 && ["auto", "scroll"].includes(getComputedStyle(el).overflowX)).
    map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : "") + " " + el.scrollWidth + " > " + el.clientWidth);
  const tops = [...document.querySelectorAll("header.site, .banner")].filter(el => el.getClientRects().length > 0);
  return JSON.stringify({outside, emptyHeaders, bannerLinkContrast, scrollers,
    scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth,
    headerHeight: Math.max(0, ...tops.map(el => el.getBoundingClientRect().bottom + window.scrollY))});
})()`

// auditPage opens path and measures it.
func auditPage(t *testing.T, b *browser, base, path string) pageAudit {
	t.Helper()
	b.Do(chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("h1")))
	var a pageAudit
	if err := json.Unmarshal([]byte(b.Eval(a11yAuditJS)), &a); err != nil {
		t.Fatalf("%s: page audit: %v", path, err)
	}
	return a
}

// TestBrowserPhoneWidth: at 390 px the header and the demo banner take
// little of the screen, and the pages a practice manager uses most (the
// organisation's dashboard, its members, its audit log, the account) do not
// scroll sideways.
func TestBrowserPhoneWidth(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "tom.becker@audit.example"
	browserSignIn(b, s.URL, email, demoPassword(t, s.Stdout.String(), email), "/")
	b.Do(chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/orgs/riverside", "/orgs/riverside/members", "/orgs/riverside/audit", "/account", "/",
		"/orgs/riverside/profile", "/orgs/riverside/assessments", "/orgs/riverside/assessments/2", "/orgs/riverside/assessments/2/table",
		"/orgs/riverside/assessments/2/entries/164.312(a)(2)(iv)", "/orgs/riverside/assessments/compare", "/orgs/riverside/evidence",
		// The risk analysis.
		"/orgs/riverside/inventory", "/orgs/riverside/inventory/5", "/orgs/riverside/flows", "/orgs/riverside/map", "/orgs/riverside/threats",
		"/orgs/riverside/risks", "/orgs/riverside/risks/suggested", "/orgs/riverside/risks/1", "/orgs/riverside/plan", "/tasks", "/orgs/riverside/risk-scale",
		"/orgs/riverside/risk-scale/rerate", "/orgs/riverside/analyses", "/orgs/riverside/analyses/1", "/orgs/riverside/analyses/compare", "/api-docs",
		"/orgs/riverside/reports"} {
		a := auditPage(t, b, s.URL, path)
		if a.ScrollWidth > a.InnerWidth {
			t.Errorf("%s at 390 px: scroll width %d > window width %d (the page scrolls sideways)", path, a.ScrollWidth, a.InnerWidth)
		}
		if len(a.Scrollers) > 0 {
			t.Errorf("%s at 390 px: parts scroll sideways: %q", path, a.Scrollers)
		}
		if a.HeaderHeight >= 120 {
			t.Errorf("%s at 390 px: header and demo banner are %.0f px tall, want < 120", path, a.HeaderHeight)
		}
		if len(a.Outside) > 0 {
			t.Errorf("%s at 390 px: content outside any landmark: %q", path, a.Outside)
		}
		b.Do(chromedp.EmulateViewport(390, 844))
	}
	b.Do(chromedp.Navigate(s.URL+"/orgs/riverside/audit"), chromedp.WaitVisible(chromedp.CSS("table.audit")))
	shoot(t, b, "phone-audit", "h1", "table.audit")
	b.Do(chromedp.Navigate(s.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("h1")))
	shoot(t, b, "phone-account", "#sessions-h")
	checkNoBrowserProblems(t, b)
}

// TestBrowserLandmarksAndContrast: on every page a signed-in person moves
// through, all visible content sits in a landmark (the demo and emergency
// banners included), no table header is empty, and the emergency access
// banner's link reads at a contrast of at least 4.5:1, in light and dark.
func TestBrowserLandmarksAndContrast(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "tom.becker@audit.example"

	// Signed out: the sign-in page.
	if a := auditPage(t, b, s.URL, "/login"); len(a.Outside) > 0 {
		t.Errorf("/login: content outside any landmark: %q", a.Outside)
	}
	browserSignIn(b, s.URL, email, demoPassword(t, s.Stdout.String(), email), "/")
	// Emergency access needs a second factor; then its banner shows on
	// every page of the organisation.
	b.Do(chromedp.Navigate(s.URL+"/account/mfa"), chromedp.WaitVisible(chromedp.CSS("#totp-begin")))
	enrolTOTP(t, b)
	b.Do(
		chromedp.WaitNotPresent(chromedp.CSS("#recovery-codes")),
		chromedp.Navigate(s.URL+"/orgs/riverside"),
		chromedp.WaitVisible(chromedp.CSS("#reason")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "The practice manager is away and a lost laptop must be reported"),
		chromedp.Click(chromedp.CSS("form[action$='/emergency'] button")),
		chromedp.WaitVisible(chromedp.CSS(".banner.emergency")),
	)
	pages := []string{"/", "/orgs/riverside", "/orgs/riverside/members", "/orgs/riverside/audit", "/orgs/riverside/emergency",
		"/orgs/riverside/assessments", "/orgs/riverside/evidence", "/orgs/riverside/profile",
		"/account", "/account/mfa", "/account/passkeys", "/catalog", "/notifications",
		"/orgs/riverside/inventory", "/orgs/riverside/map", "/orgs/riverside/risks", "/orgs/riverside/risks/1",
		"/orgs/riverside/plan", "/tasks", "/orgs/riverside/analyses", "/orgs/riverside/analyses/1"}
	for _, path := range pages {
		a := auditPage(t, b, s.URL, path)
		if len(a.Outside) > 0 {
			t.Errorf("%s: content outside any landmark: %q", path, a.Outside)
		}
		if a.EmptyHeaders > 0 {
			t.Errorf("%s: %d empty table headers", path, a.EmptyHeaders)
		}
		if strings.HasPrefix(path, "/orgs/") && a.BannerLinkContrast < 4.5 {
			t.Errorf("%s: the emergency banner's link has contrast %.2f:1, want at least 4.5:1", path, a.BannerLinkContrast)
		}
	}
	setDarkMode(t, b)
	if a := auditPage(t, b, s.URL, "/orgs/riverside"); a.BannerLinkContrast < 4.5 {
		t.Errorf("dark mode: the emergency banner's link has contrast %.2f:1, want at least 4.5:1", a.BannerLinkContrast)
	}
	checkNoBrowserProblems(t, b)
}

// setDarkMode makes the pages follow a dark system colour scheme.
func setDarkMode(t *testing.T, b *browser) {
	t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	}); err != nil {
		t.Fatal(err)
	}
}
