package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserInventoryImport: the demo's contributor opens "Import assets"
// from the inventory, uploads a CSV with one bad row and sees the row, its
// column and why, with nothing added; she leaves the bad column out in the
// column matching (the file stays chosen: the script sends it again),
// checks again and imports; the inventory shows the new assets. At 390 px
// the import page with its results does not scroll sideways.
func TestBrowserInventoryImport(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "priya.shah@riverside.example"
	pw := demoPassword(t, s.Stdout.String(), email)
	if pw == "" {
		t.Fatalf("no password for %s in the demo's output:\n%s", email, s.Stdout)
	}
	file := filepath.Join(t.TempDir(), "new-assets.csv")
	if err := os.WriteFile(file, []byte("Name,Type,Owner,Encrypted\n"+
		"Imported laptop A,laptop,priya.shah@riverside.example,yes\n"+
		"Imported tablet B,tablet,,perhaps\n"+
		"Imported server C,server,,no\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	browserSignIn(b, s.URL, email, pw, "/orgs/riverside/inventory")
	before, _ := strconv.Atoi(b.Text("#asset-total"))

	b.Do(
		chromedp.Click(chromedp.CSS(`#inventory-files a[href="/orgs/riverside/inventory/import"]`)),
		chromedp.WaitVisible(chromedp.CSS("#import-file")),
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{file}),
		chromedp.Click(chromedp.CSS(`#import-form button[value=check]`)),
		chromedp.WaitVisible(chromedp.CSS("#import-problems")),
	)
	problems := b.Text("#import-problems tbody")
	if !strings.Contains(problems, "3") || !strings.Contains(problems, "Encrypted") || !strings.Contains(problems, "perhaps") || strings.Count(problems, "\n") > 1 {
		t.Errorf("problems listed = %q, want row 3's Encrypted only", problems)
	}
	if got := b.Text("#import-summary"); !strings.Contains(got, "1 problem stops the import") || !strings.Contains(got, "would add 2 assets") {
		t.Errorf("summary = %q", got)
	}
	if n := b.Eval(`String(document.querySelectorAll("#import-go").length)`); n != "0" {
		t.Error("the page offers to import a file with a bad row")
	}
	if got := b.Eval(`String(document.querySelector("#import-file").files.length)`); got != "1" {
		t.Errorf("files chosen after the check = %s, want the file kept", got)
	}

	// Leave the Encrypted column out, check again, import.
	b.Do(
		chromedp.SetValue(chromedp.CSS(`select[data-header="Encrypted"]`), ""),
		chromedp.Click(chromedp.CSS(`#import-form button[value=check]`)),
		chromedp.WaitVisible(chromedp.CSS("#import-go")),
	)
	if got := b.Text("#import-summary"); !strings.Contains(got, "Every row can be imported: 3 assets") {
		t.Errorf("summary after the new matching = %q", got)
	}
	if got := b.Eval(`document.querySelector('select[data-header="Owner"]').value`); got != "owner" {
		t.Errorf("Owner column fills %q, want owner", got)
	}
	b.Do(chromedp.EmulateViewport(390, 844))
	if w := b.Eval(`String(document.documentElement.scrollWidth > window.innerWidth)`); w != "false" {
		t.Error("the import page scrolls sideways at 390 px")
	}
	shoot(t, b, "phone-inventory-import", "h1", "#import-columns")
	b.Do(chromedp.EmulateViewport(1280, 900))

	b.Do(
		chromedp.Click(chromedp.CSS("#import-go")),
		chromedp.WaitVisible(chromedp.CSS("#assets")),
	)
	if got := b.Eval(`location.pathname`); got != "/orgs/riverside/inventory" {
		t.Errorf("after the import the page is %s", got)
	}
	if got := b.Text("main"); !strings.Contains(got, "Imported 3 assets") {
		t.Errorf("inventory says %.300q", got)
	}
	if after, _ := strconv.Atoi(b.Text("#asset-total")); after != before+3 {
		t.Errorf("assets = %d, want %d", after, before+3)
	}
	b.Do(
		chromedp.Navigate(s.URL+"/orgs/riverside/inventory?q=Imported"),
		chromedp.WaitVisible(chromedp.CSS("#assets")),
	)
	list := b.Text("#assets tbody")
	for _, name := range []string{"Imported laptop A", "Imported tablet B", "Imported server C", "Priya Shah"} {
		if !strings.Contains(list, name) {
			t.Errorf("inventory lists %q, want %q", list, name)
		}
	}
	checkNoBrowserProblems(t, b)
}
