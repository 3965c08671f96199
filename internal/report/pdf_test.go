package report

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// renderPDF renders m and returns the PDF.
func renderPDF(t testing.TB, m *Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WritePDF(&b, m); err != nil {
		t.Fatalf("WritePDF: %v", err)
	}
	return b.Bytes()
}

// needTool skips the test when a poppler tool is missing, except in CI,
// where it must be there.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is needed in CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// pdfText returns the text of each page, as pdftotext -layout reads it.
func pdfText(t *testing.T, pdf []byte) []string {
	t.Helper()
	return pdfTextMode(t, pdf, "-layout")
}

// pdfTextMode reads the text with pdftotext's mode flag: -layout keeps
// the page's look, -raw the order of drawing, in which each table cell's
// lines come together (-layout interleaves a wrapped cell with its
// neighbours).
func pdfTextMode(t *testing.T, pdf []byte, mode string) []string {
	t.Helper()
	tool := needTool(t, "pdftotext")
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, mode, in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(string(out), "\f")
	if n := len(pages); n > 1 && strings.TrimSpace(pages[n-1]) == "" {
		pages = pages[:n-1]
	}
	return pages
}

// bodyText joins the pages without the running header and footer, with
// whitespace collapsed, so text that runs across lines and pages reads
// as one.
func bodyText(m *Model, pages []string) string {
	var b strings.Builder
	gen := "Generated " + m.DateTime(m.Generated)
	for _, p := range pages {
		for ln := range strings.SplitSeq(p, "\n") {
			s := strings.TrimSpace(ln)
			if strings.HasSuffix(s, gen) || strings.HasPrefix(s, "Page ") && strings.Contains(s, " of ") ||
				strings.HasPrefix(s, "DRAFT - not signed off") {
				continue
			}
			b.WriteString(s)
			b.WriteByte(' ')
		}
	}
	return collapse(b.String())
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestPDFSampleText(t *testing.T) {
	m := sampleModel()
	pages := pdfText(t, renderPDF(t, m))
	all := collapse(strings.Join(pages, " "))
	body := bodyText(m, pages)

	want := []string{
		"Scope and sign-off", "Contents", "Method and risk scale", "Executive summary", "ePHI inventory", "Data flows",
		"Safeguards: every catalogue entry", "Addressable decision log", "Risk register", "Heat maps", "Risk details",
		"Risk management plan", "Evidence index", "Open items", "Audit log checkpoint",
		m.Org.Name, m.Org.LegalName, m.Org.Kind, m.CatalogName, m.Assessment.Attestation,
		m.Evidence[0].SHA256, m.Audit.Root, m.Audit.Signature, m.Audit.KeyID,
		"Page 1 of ", "Generated 4 Dec 2026 10:30 EST",
	}
	want = append(want, m.Org.Sites...)
	for _, e := range m.Entries {
		want = append(want, e.Citation)
	}
	for _, r := range m.Risks {
		want = append(want, r.Title)
	}
	for _, tk := range m.Tasks {
		want = append(want, tk.Title)
	}
	for _, e := range m.Evidence {
		want = append(want, e.Title)
	}
	want = append(want, m.MapText...)
	raw := collapse(strings.Join(pdfTextMode(t, renderPDF(t, m), "-raw"), " "))
	for _, s := range want {
		if !strings.Contains(all, collapse(s)) && !strings.Contains(raw, collapse(s)) {
			t.Errorf("the PDF text lacks %q", s)
		}
	}
	if !strings.Contains(body, collapse(longJustification)) {
		t.Errorf("the PDF text lacks the whole 5,000-character rationale")
	}
	for _, ln := range strings.Split(strings.TrimRight(m.Audit.Text, "\n"), "\n") {
		if !strings.Contains(all, ln) {
			t.Errorf("the PDF text lacks the checkpoint line %q", ln)
		}
	}
	// The contents give each section's page.
	toc := regexp.MustCompile(`(?m)^\s*(\S.*?)\s{3,}(\d+)\s*$`)
	entries := toc.FindAllStringSubmatch(pages[1], -1)
	if len(entries) < 14 {
		t.Fatalf("contents list %d entries, want at least 14:\n%s", len(entries), pages[1])
	}
	for _, e := range entries {
		n, _ := strconv.Atoi(e[2])
		if n < 1 || n > len(pages) || !strings.Contains(pages[n-1], e[1]) {
			t.Errorf("contents: %q on page %d, but that page does not hold it", e[1], n)
		}
	}
	if last := pages[len(pages)-1]; !strings.Contains(last, fmt.Sprintf("Page %d of %d", len(pages), len(pages))) {
		t.Errorf("last page footer: want Page %d of %d in %q", len(pages), len(pages), last)
	}
}

func TestPDFDraftMark(t *testing.T) {
	for _, draft := range []bool{true, false} {
		m := sampleModel()
		m.Draft = draft
		pages := pdfText(t, renderPDF(t, m))
		if len(pages) < 10 {
			t.Fatalf("draft=%v: %d pages, want at least 10", draft, len(pages))
		}
		for i, p := range pages {
			if got := strings.Contains(p, "DRAFT"); got != draft {
				t.Errorf("draft=%v: page %d contains DRAFT = %v", draft, i+1, got)
			}
		}
	}
}

func TestPDFParts(t *testing.T) {
	m := sampleModel()
	m.Part = PartSummary
	pages := pdfText(t, renderPDF(t, m))
	if len(pages) != 2 {
		t.Errorf("summary part: %d pages, want 2 (cover and summary)", len(pages))
	}
	all := collapse(strings.Join(pages, " "))
	if !strings.Contains(all, "Executive summary") || strings.Contains(all, "Risk register") {
		t.Errorf("summary part holds the wrong sections:\n%s", all)
	}

	m = sampleModel()
	m.Part = PartAsset
	m.Assets = []Asset{m.Assets[1]}
	all = collapse(strings.Join(pdfText(t, renderPDF(t, m)), " "))
	for _, s := range []string{"Asset: Backup drive in the drawer", "Theft of the unencrypted backup drive", "Wipe and destroy the old drive", "Removable media"} {
		if !strings.Contains(all, s) {
			t.Errorf("asset part lacks %q", s)
		}
	}
	for _, s := range []string{"Ransomware on the clinic workstations", "Addressable decision log", "Turn on automatic updates"} {
		if strings.Contains(all, s) {
			t.Errorf("asset part holds %q, which is not about the asset", s)
		}
	}
}

// TestPDFSummaryOnePage checks the executive summary stays on one page
// however many top risks and overdue tasks there are.
func TestPDFSummaryOnePage(t *testing.T) {
	m := bigModel(200, 400)
	m.Part = PartSummary
	pages := pdfText(t, renderPDF(t, m))
	if len(pages) != 2 {
		t.Fatalf("summary part of a big model: %d pages, want 2", len(pages))
	}
	if !strings.Contains(pages[1], "more overdue task(s)") {
		t.Errorf("the summary does not say how many overdue tasks it left out:\n%s", pages[1])
	}
}

func TestPDFPagesDrawn(t *testing.T) {
	tool := needTool(t, "pdftoppm")
	// Without the DRAFT mark no page may be blank; with it (drawn across
	// the page) still nothing may reach the side margins.
	for _, draft := range []bool{false, true} {
		m := sampleModel()
		m.Draft = draft
		dir := t.TempDir()
		in := filepath.Join(dir, "r.pdf")
		if err := os.WriteFile(in, renderPDF(t, m), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(tool, "-r", "30", "-png", in, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
		if len(files) < 10 {
			t.Fatalf("%d page images, want at least 10", len(files))
		}
		px := func(mm float64) int { return int(mm / 25.4 * 30) }
		for _, name := range files {
			img := readPNG(t, name)
			b := img.Bounds()
			if !draft {
				// The body lies between the header (13 mm) and the footer (266 mm).
				inked := 0
				for y := px(15); y < px(262); y++ {
					for x := b.Min.X; x < b.Max.X; x++ {
						if !white(img, x, y) {
							inked++
						}
					}
				}
				if inked < 100 {
					t.Errorf("%s: %d inked pixels in the body, want a page that is not blank", filepath.Base(name), inked)
				}
			}
			// Nothing in the side margins: 12 mm on each side of the page.
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := range px(12) {
					if !white(img, b.Min.X+x, y) || !white(img, b.Max.X-1-x, y) {
						t.Errorf("draft=%v %s: ink in the margin at x=%d or %d, y=%d", draft, filepath.Base(name), b.Min.X+x, b.Max.X-1-x, y)
						return
					}
				}
			}
		}
	}
}

func readPNG(t *testing.T, name string) image.Image {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return img
}

func white(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r > 0xf000 && g > 0xf000 && b > 0xf000
}

func TestPDFOutsideCP1252(t *testing.T) {
	m := sampleModel()
	m.Org.Name = "Zoë — 日本 Clinic"
	m.Risks[0].Title = "Łódź “quoted” ≥ §5 — 日本語 ✓"
	pages := pdfText(t, renderPDF(t, m))
	all := collapse(strings.Join(pages, " "))
	for _, s := range []string{"Zoë — ?? Clinic", "Lódz “quoted” >= §5 — ??? (yes)"} {
		if !strings.Contains(all, s) {
			t.Errorf("the PDF text lacks %q", s)
		}
	}
}

func TestPDFNoModel(t *testing.T) {
	if err := WritePDF(&bytes.Buffer{}, nil); err == nil {
		t.Error("WritePDF(nil) = nil error, want one")
	}
	for _, p := range []Part{PartFull, PartSummary, PartAsset, ""} {
		var b bytes.Buffer
		if err := WritePDF(&b, &Model{Part: p}); err != nil || !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
			t.Errorf("WritePDF(empty model, part %q) = %v", p, err)
		}
	}
}

// TestPDFRowTallerThanPage puts a narrative longer than a page in a table
// cell: it must come out whole, over several pages.
func TestPDFRowTallerThanPage(t *testing.T) {
	m := sampleModel()
	long := strings.Repeat(longJustification+" ", 3) + "END-OF-NARRATIVE"
	m.Entries[0].Narrative = long
	pages := pdfText(t, renderPDF(t, m))
	if body := bodyText(m, pages); !strings.Contains(body, collapse(long)) {
		t.Error("the PDF text lacks the whole narrative that is taller than a page")
	}
	n := 0
	for _, p := range pages {
		if strings.Contains(p, "The practice weighed") {
			n++
		}
	}
	if n < 3 {
		t.Errorf("the long narrative and rationale cover %d pages, want at least 3", n)
	}
}

// TestPDFHeatMapWhole starts a heat map near the bottom of a page: it
// must move whole to the next page.
func TestPDFHeatMapWhole(t *testing.T) {
	m := sampleModel()
	m.Scale.Likelihood = append(m.Scale.Likelihood, m.Scale.Likelihood[:2]...) // five rows
	m.Scale.Impact = append(m.Scale.Impact, m.Scale.Impact[:2]...)
	d := newPDFDoc(m)
	d.newPage()
	h := d.gridHeight()
	d.y = pdfBottom - h + 10
	d.heatMap("Inherent risk", m.Inherent)
	if got := d.f.PageCount(); got != 2 {
		t.Errorf("heat map of height %.0f mm started %.0f mm above the bottom: %d pages, want 2", h, h-10, got)
	}
	if d.y > pdfBottom {
		t.Errorf("heat map ends at %.1f mm, below the bottom margin %.1f mm", d.y, pdfBottom)
	}
}

func TestPDFBigModel(t *testing.T) {
	if testing.Short() {
		t.Skip("big model")
	}
	m := bigModel(2000, 4000)
	start := time.Now()
	pdf := renderPDF(t, m)
	t.Logf("2,000 assets, 4,000 risks: %d bytes in %v", len(pdf), time.Since(start))
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	// Every page of the register repeats the table's header row.
	pages := pdfText(t, pdf)
	in := false
	n := 0
	for i, p := range pages {
		switch {
		case strings.Contains(p, "Risk register\n"):
			in = true
		case strings.Contains(p, "Heat maps"), strings.Contains(p, "Risk details\n"):
			in = false
		}
		if !in {
			continue
		}
		n++
		if !strings.Contains(p, "Threat / vulnerability") {
			t.Errorf("register page %d has no header row", i+1)
		}
	}
	if n < 50 {
		t.Errorf("the register covers %d pages, want many", n)
	}
	body := bodyText(m, pages)
	for _, r := range []Risk{m.Risks[0], m.Risks[len(m.Risks)-1]} {
		if !strings.Contains(body, r.Title) {
			t.Errorf("the PDF text lacks %q", r.Title)
		}
	}
}

func BenchmarkPDF(b *testing.B) {
	m := bigModel(10000, 20000)
	b.ReportAllocs()
	var pdf []byte
	for b.Loop() {
		var buf bytes.Buffer
		if err := WritePDF(&buf, m); err != nil {
			b.Fatal(err)
		}
		pdf = buf.Bytes()
	}
	b.ReportMetric(float64(len(pdf))/1e6, "MB/op")
	b.ReportMetric(float64(bytes.Count(pdf, []byte("/Type /Page\n"))), "pages")
}

// bigModel is the sample grown to a large organisation: assets, a flow per
// asset, risks with a task each.
func bigModel(assets, risks int) *Model {
	m := sampleModel()
	base := m.Assets
	m.Assets = make([]Asset, 0, assets)
	for i := range assets {
		a := base[i%len(base)]
		a.ID = int64(i + 1)
		a.Name = fmt.Sprintf("%s %d", a.Name, i+1)
		m.Assets = append(m.Assets, a)
	}
	m.Flows = m.Flows[:0]
	for i := range assets {
		m.Flows = append(m.Flows, Flow{ID: int64(i + 1), From: m.Assets[i].Name, To: m.Assets[(i+1)%assets].Name,
			Channel: "SFTP", InTransit: "Yes", Frequency: "Daily", Exposed: i%10 == 0})
	}
	baseR := m.Risks
	baseT := m.Tasks
	m.Risks = make([]Risk, 0, risks)
	m.Tasks = make([]Task, 0, risks)
	for i := range risks {
		r := baseR[i%len(baseR)]
		r.ID = int64(i + 1)
		r.Title = fmt.Sprintf("%s (%d)", r.Title, i+1)
		r.Assets = []string{m.Assets[i%assets].Name}
		m.Risks = append(m.Risks, r)
		tk := baseT[i%len(baseT)]
		tk.ID = int64(i + 1)
		tk.RiskID = r.ID
		tk.Risk = r.Title
		m.Tasks = append(m.Tasks, tk)
	}
	var top []int64
	for i := range min(10, risks) {
		top = append(top, int64(i+1))
	}
	m.Top = top
	for i := range m.Inherent.Counts {
		for j := range m.Inherent.Counts[i] {
			m.Inherent.Counts[i][j] *= risks / 3
			m.Current.Counts[i][j] *= risks / 3
		}
	}
	return m
}

func TestGrouped(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 48213: "48,213", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := grouped(n); got != want {
			t.Errorf("grouped(%d) = %q, want %q", n, got, want)
		}
	}
}
