package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// tinyPDF is a minimal valid PDF: one empty page.
const tinyPDF = `%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj
trailer << /Root 1 0 R >>
%%EOF
`

// TestBrowserEvidence uploads a signed agreement as the demo's contributor,
// watches the progress bar finish, opens the new item and downloads the
// file, whose SHA-256 must be the one recorded at upload.
func TestBrowserEvidence(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	email := "priya.shah@riverside.example"
	pw := demoPassword(t, s.Stdout.String(), email)
	if pw == "" {
		t.Fatalf("no password for %s in the demo's output:\n%s", email, s.Stdout)
	}
	pdf := filepath.Join(t.TempDir(), "signed-baa.pdf")
	if err := os.WriteFile(pdf, []byte(tinyPDF), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(tinyPDF))
	want := hex.EncodeToString(sum[:])

	link := `nav.subnav a[href="/orgs/riverside/evidence"]`
	b.Do(
		chromedp.Navigate(s.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("header nav")),
		chromedp.Navigate(s.URL+"/orgs/riverside"),
		chromedp.WaitVisible(chromedp.CSS(link)),
		chromedp.Click(chromedp.CSS(link)),
		chromedp.WaitVisible(chromedp.CSS("#upload-h")),
	)
	if h1 := b.Text("h1"); h1 != "Evidence" {
		t.Errorf("the Evidence link leads to h1 %q", h1)
	}
	// The demo's own evidence is listed.
	if list := b.Text("table"); !strings.Contains(list, "Information security policy") || !strings.Contains(list, "Device inventory") {
		t.Errorf("demo evidence missing from the list: %q", list)
	}

	b.Do(
		chromedp.SendKeys(chromedp.CSS("#ev-title"), "Signed business associate agreement"),
		chromedp.SendKeys(chromedp.CSS("#ev-description"), "Countersigned BAA with the billing service"),
		chromedp.SetUploadFiles(chromedp.CSS("#ev-file"), []string{pdf}),
		chromedp.Click(chromedp.CSS(`form[data-upload] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.upload-status[data-state="done"] a`)),
	)
	if st := b.Text(".upload-status"); !strings.Contains(st, "Upload complete: Signed business associate agreement.") {
		t.Errorf("status = %q", st)
	}
	if v := b.Eval(`String(document.querySelector("#ev-progress").value)`); v != "100" {
		t.Errorf("progress = %s, want 100", v)
	}
	if role := b.Eval(`document.querySelector(".upload-status").getAttribute("role")`); role != "status" {
		t.Errorf("status role = %q", role)
	}

	b.Do(
		chromedp.Click(chromedp.CSS(".upload-status a")),
		chromedp.WaitVisible(chromedp.CSS("#versions-h")),
	)
	if h1 := b.Text("h1"); h1 != "Signed business associate agreement" {
		t.Errorf("item h1 = %q", h1)
	}
	if shown := b.Text("code.checksum"); shown != want {
		t.Errorf("checksum shown %q, want %q", shown, want)
	}
	if name := b.Text(`a[download]`); name != "signed-baa.pdf" {
		t.Errorf("download link %q", name)
	}

	// Download with the browser's session and hash the bytes in the page.
	got := value(b, chromedp.Evaluate[string](`(async () => {
		const a = document.querySelector("a[download]");
		const r = await fetch(a.href);
		if (!r.ok) return "HTTP " + r.status;
		const cd = r.headers.get("content-disposition") || "";
		const ct = r.headers.get("content-type") || "";
		const buf = await r.arrayBuffer();
		const d = await crypto.subtle.digest("SHA-256", buf);
		const hex = [...new Uint8Array(d)].map(x => x.toString(16).padStart(2, "0")).join("");
		return hex + " " + ct + " " + cd;
	})()`, chromedp.EvalAwaitPromise))
	if wantLine := want + " application/pdf attachment; filename=signed-baa.pdf"; got != wantLine {
		t.Errorf("download = %q, want %q", got, wantLine)
	}

	// The list now has the new item.
	b.Do(
		chromedp.Navigate(s.URL+"/orgs/riverside/evidence"),
		chromedp.WaitVisible(chromedp.CSS("#upload-h")),
	)
	if list := b.Text("table"); !strings.Contains(list, "Signed business associate agreement") {
		t.Errorf("the new item is not listed: %q", list)
	}
	// The demo's policy is linked from this year's assessment.
	policy := b.Eval(`[...document.querySelectorAll("table a")].find(a => a.textContent === "Information security policy").getAttribute("href")`)
	b.Do(
		chromedp.Navigate(s.URL+policy),
		chromedp.WaitVisible(chromedp.CSS("#uses-h")),
	)
	if uses := b.Text("#uses-h + ul"); !strings.Contains(uses, "164.308(a)(2)") {
		t.Errorf("the demo policy's uses = %q", uses)
	}
	if p := b.Problems(); len(p) > 0 {
		t.Errorf("console problems: %v", p)
	}
}
