package main

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestBrowserReports is the acceptance test as a newcomer meets
// it: the demo's auditor opens the organisation, follows "Reports", makes
// the whole report as PDF, Word and Excel, and one asset's report, and
// downloads each from the "Your report is ready" notice. Each file is
// checked for what a compliance officer would hand an auditor: the PDF's
// text has the executive summary, the organisation, the decision log and
// the plan; the Word and Excel files are the documents they claim to be.
func TestBrowserReports(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	const email = "tom.becker@audit.example"
	b.Do(
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), demoPassword(t, s.Stdout.String(), email)),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("ul.cards")),
		chromedp.Navigate(s.URL+"/orgs/riverside"),
		chromedp.WaitVisible(chromedp.CSS("h1")),
		chromedp.Click(chromedp.CSS(`a[href="/orgs/riverside/reports"]`)),
		chromedp.WaitVisible(chromedp.CSS("#report-form")),
	)
	if h1 := b.Text("h1"); h1 != "Reports" {
		t.Fatalf("the Reports link leads to %q", h1)
	}
	// With the script, the form shows only the choices that apply: no
	// register unless CSV, no asset unless "one asset".
	if v := b.Eval(`String(document.getElementById("report-register-field").hidden)`); v != "true" {
		t.Errorf("register choice hidden = %s with PDF chosen, want true", v)
	}
	if v := b.Eval(`String(document.getElementById("report-asset-field").hidden)`); v != "true" {
		t.Errorf("asset choice hidden = %s with the whole report chosen, want true", v)
	}

	for _, tc := range []struct {
		format, ext string
		check       func(t *testing.T, data []byte)
	}{
		{"pdf", ".pdf", checkReportPDF},
		{"docx", ".docx", func(t *testing.T, data []byte) {
			checkOfficeZip(t, data, "word/document.xml", "Riverside Family Practice", "Executive summary", "Addressable decisions", "Risk management plan")
		}},
		{"xlsx", ".xlsx", func(t *testing.T, data []byte) {
			checkOfficeZip(t, data, "xl/workbook.xml", `name="Register"`, `name="Plan"`, `name="Decisions"`)
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			b.Do(
				chromedp.Navigate(s.URL+"/orgs/riverside/reports"),
				chromedp.WaitVisible(chromedp.CSS("#report-form")),
				chromedp.Click(chromedp.CSS(`input[name="part"][value="full"]`)),
				chromedp.SetValue(chromedp.CSS("#report-format"), tc.format),
				chromedp.Click(chromedp.CSS("#report-generate")),
				chromedp.WaitVisible(chromedp.CSS("#ready")),
			)
			if h := b.Text("#ready-h"); h != "Your report is ready" {
				t.Errorf("notice heading = %q", h)
			}
			name, data := downloadReady(t, b, s.URL)
			if !strings.HasPrefix(name, "riverside-security-rule-report-") || !strings.HasSuffix(name, tc.ext) {
				t.Errorf("file name = %q, want riverside-security-rule-report-…%s", name, tc.ext)
			}
			tc.check(t, data)
		})
	}

	// One asset's report, the asset chosen from the form: choosing "one
	// asset" shows the asset choice.
	b.Do(
		chromedp.Navigate(s.URL+"/orgs/riverside/reports"),
		chromedp.WaitVisible(chromedp.CSS("#report-form")),
		chromedp.Click(chromedp.CSS(`input[name="part"][value="asset"]`)),
		chromedp.WaitVisible(chromedp.CSS("#report-asset")),
	)
	asset := b.Eval(`(() => { const s = document.getElementById("report-asset");
		const o = [...s.options].find(o => o.text === "Cloud EHR (ClearChart)"); s.value = o.value; return o.text })()`)
	b.Do(
		chromedp.SetValue(chromedp.CSS("#report-format"), "pdf"),
		chromedp.Click(chromedp.CSS("#report-generate")),
		chromedp.WaitVisible(chromedp.CSS("#ready")),
	)
	name, data := downloadReady(t, b, s.URL)
	if !strings.Contains(name, "asset-cloud-ehr-clearchart") {
		t.Errorf("one asset's report is named %q", name)
	}
	if !bytes.HasPrefix(data, []byte("%PDF")) {
		t.Fatalf("one asset's report starts %q, want %%PDF", data[:min(len(data), 8)])
	}
	if text, ok := pdfText(t, data); ok && !strings.Contains(text, "Asset: "+asset) {
		t.Errorf("one asset's report does not name %q", asset)
	}

	// The list of reports made shows the four, the newest first.
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#reports tbody tr").length`)); n != 4 {
		t.Errorf("the list shows %d reports, want 4", n)
	}
	checkNoBrowserProblems(t, b)
}

// downloadReady fetches the file the "Your report is ready" notice links
// to, with the browser's session, as the browser would on a click.
func downloadReady(t *testing.T, b *browser, base string) (string, []byte) {
	t.Helper()
	href := b.Eval(`document.getElementById("ready-download").getAttribute("href")`)
	cookies, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("GET", base+href, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(base)
	for _, c := range cookies.Cookies {
		if c.Domain == u.Hostname() {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", href, resp.StatusCode, data)
	}
	disp := resp.Header.Get("Content-Disposition")
	_, name, ok := strings.Cut(disp, "filename=")
	if !ok {
		t.Fatalf("Content-Disposition = %q, want an attachment with a file name", disp)
	}
	return strings.Trim(name, `"`), data
}

func checkReportPDF(t *testing.T, data []byte) {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("%PDF")) {
		t.Fatalf("the PDF starts %q, want %%PDF", data[:min(len(data), 8)])
	}
	text, ok := pdfText(t, data)
	if !ok {
		return
	}
	for _, want := range []string{"Executive summary", "Riverside Family Practice", "Addressable decision log", "Risk management plan", "Risk register"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
}

// pdfText is the text of a PDF by pdftotext, if it is installed.
func pdfText(t *testing.T, data []byte) (string, bool) {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Log("pdftotext not installed: the PDF's text is not checked")
		return "", false
	}
	in := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out), true
}

// checkOfficeZip checks that data is an Office Open XML package holding
// part, and that the part contains each of want.
func checkOfficeZip(t *testing.T, data []byte, part string, want ...string) {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	for _, f := range z.File {
		if f.Name != part {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		body, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !bytes.Contains(body, []byte(w)) {
				t.Errorf("%s lacks %q", part, w)
			}
		}
		return
	}
	t.Errorf("the file has no %s", part)
}
