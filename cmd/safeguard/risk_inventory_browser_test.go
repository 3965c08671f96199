package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserInventoryAssetAndFlow: the demo's contributor opens the ePHI
// inventory from the organisation's page, adds an asset (first without a
// name: the problem shows beside the field and nothing is added), then a
// data flow from it to an outside party; the asset's page lists the flow.
// At 390 px the inventory, asset and flows pages do not scroll sideways.
func TestBrowserInventoryAssetAndFlow(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "priya.shah@riverside.example"
	pw := demoPassword(t, s.Stdout.String(), email)
	if pw == "" {
		t.Fatalf("no password for %s in the demo's output:\n%s", email, s.Stdout)
	}
	browserSignIn(b, s.URL, email, pw, "/orgs/riverside")

	// From the organisation's navigation to the inventory.
	b.Do(
		chromedp.Click(chromedp.CSS(`nav.subnav a[href="/orgs/riverside/inventory"]`)),
		chromedp.WaitVisible(chromedp.CSS("#add-asset")),
	)
	before := b.Text("#asset-total")

	// Without a name: the problem beside the field, what was typed kept.
	b.Do(
		chromedp.SetValue(chromedp.CSS("#asset-kind"), "laptop"),
		chromedp.SendKeys(chromedp.CSS("#asset-records"), "1200"),
		chromedp.SetValue(chromedp.CSS("#asset-at-rest"), "no"),
		chromedp.Click(chromedp.CSS(`#add-asset button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#asset-name-problem")),
	)
	if got := b.Text("#asset-name-problem"); !strings.Contains(got, "required") {
		t.Errorf("name problem = %q", got)
	}
	if got := b.Eval(`document.querySelector("#asset-name").getAttribute("aria-invalid")`); got != "true" {
		t.Errorf("name aria-invalid = %q", got)
	}
	if got := b.Eval(`document.querySelector("#asset-kind").value`); got != "laptop" {
		t.Errorf("kind after the refused form = %q, want laptop kept", got)
	}
	if got := b.Text("#asset-total"); got != before {
		t.Errorf("asset count after a refused form = %s, want %s", got, before)
	}

	b.Do(
		chromedp.SendKeys(chromedp.CSS("#asset-name"), "Dr Lee's new laptop"),
		chromedp.Click(chromedp.CSS(`#add-asset button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#summary-h")),
	)
	if h := b.Text("h1"); h != "Dr Lee's new laptop" {
		t.Fatalf("after adding, the page is %q", h)
	}
	if got := b.Text("main"); !strings.Contains(got, "added to the inventory") || !strings.Contains(got, "Not encrypted") || !strings.Contains(got, "1200") {
		t.Errorf("asset page says %q", got)
	}
	assetURL := b.Eval(`location.pathname`)
	id := assetURL[strings.LastIndex(assetURL, "/")+1:]

	// A flow from the new laptop to an outside party.
	b.Do(
		chromedp.Click(chromedp.CSS(`a[href="/orgs/riverside/flows?asset=`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#add-flow")),
		chromedp.SetValue(chromedp.CSS("#flow-from-asset"), id),
		chromedp.SendKeys(chromedp.CSS("#flow-to-party"), "Riverside billing company"),
		chromedp.SetValue(chromedp.CSS("#flow-channel"), "email"),
		chromedp.SetValue(chromedp.CSS("#flow-transit"), "no"),
		chromedp.SendKeys(chromedp.CSS("#flow-frequency"), "weekly"),
		chromedp.Click(chromedp.CSS(`#add-flow button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#flows")),
	)
	if got := b.Text("main"); !strings.Contains(got, "The data flow was added") {
		t.Errorf("flows page says %q", got)
	}
	row := b.Eval(`[...document.querySelectorAll("#flows tbody tr")].map(r => r.textContent).find(t => t.includes("Riverside billing company")) || ""`)
	if !strings.Contains(row, "Dr Lee's new laptop") || !strings.Contains(row, "Email") || !strings.Contains(row, "Not encrypted") {
		t.Errorf("flow row = %q", row)
	}
	b.Do(
		chromedp.Navigate(s.URL+assetURL),
		chromedp.WaitVisible(chromedp.CSS("#flows-h")),
	)
	if got := b.Text("main"); !strings.Contains(got, "Riverside billing company") {
		t.Errorf("the asset's page does not list its flow: %q", got)
	}

	b.Do(chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/orgs/riverside/inventory", assetURL, "/orgs/riverside/flows", "/orgs/riverside/threats"} {
		a := auditPage(t, b, s.URL, path)
		if a.ScrollWidth > a.InnerWidth {
			t.Errorf("%s at 390 px: scroll width %d > window width %d", path, a.ScrollWidth, a.InnerWidth)
		}
		if len(a.Scrollers) > 0 {
			t.Errorf("%s at 390 px: parts scroll sideways: %q", path, a.Scrollers)
		}
		if len(a.Outside) > 0 {
			t.Errorf("%s at 390 px: content outside any landmark: %q", path, a.Outside)
		}
		b.Do(chromedp.EmulateViewport(390, 844))
	}

	// Deleting asks first: the Delete… summary opens a second button;
	// only that one deletes. First the flow, then the asset it left free.
	flowsOf := "/orgs/riverside/flows?asset=" + id
	b.Do(chromedp.Navigate(s.URL+flowsOf), chromedp.WaitVisible(chromedp.CSS("#flows")))
	if vis := b.Eval(`String(document.querySelector("#flows details.confirm-delete button[name=confirm]").checkVisibility())`); vis != "false" {
		t.Errorf("the confirming button is visible before Delete… is opened (%s)", vis)
	}
	b.Do(
		chromedp.Click(chromedp.CSS("#flows details.confirm-delete summary")),
		chromedp.Click(chromedp.CSS("#flows details.confirm-delete button[name=confirm]")),
		chromedp.WaitVisible(chromedp.CSS("h1")),
	)
	if got := b.Text("main"); strings.Contains(got, "Riverside billing company") {
		t.Errorf("the flow is still listed after its delete was confirmed: %q", got)
	}
	b.Do(
		chromedp.Navigate(s.URL+assetURL),
		chromedp.WaitVisible(chromedp.CSS("#delete-h")),
		chromedp.Click(chromedp.CSS("details.confirm-delete summary")),
		chromedp.Click(chromedp.CSS("details.confirm-delete button[name=confirm]")),
		chromedp.WaitVisible(chromedp.CSS("#assets")),
	)
	if got := b.Eval(`location.pathname + location.search`); got != "/orgs/riverside/inventory?deleted=1" {
		t.Errorf("after a confirmed asset delete the page is %q", got)
	}

	b.Do(chromedp.Navigate(s.URL+"/orgs/riverside/inventory"), chromedp.WaitVisible(chromedp.CSS("h1")))
	shoot(t, b, "phone-inventory", "h1", "#assets")
	checkNoBrowserProblems(t, b)
}
