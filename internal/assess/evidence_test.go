package assess

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/validate"
)

func zipOf(t testing.TB, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("<x/>"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const tinyPDF = "%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

func TestInspectFile(t *testing.T) {
	docx := zipOf(t, "[Content_Types].xml", "word/document.xml")
	ok := []struct {
		name, data, want string
	}{
		{"policy.pdf", tinyPDF, "application/pdf"},
		{"Screen Shot.PNG", "\x89PNG\r\n\x1a\nrest", "image/png"},
		{"photo.jpeg", "\xff\xd8\xff\xe0rest", "image/jpeg"},
		{"a.gif", "GIF89a...", "image/gif"},
		{"a.webp", "RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"},
		{"baa.docx", string(docx), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"inventory.xlsx", string(zipOf(t, "[Content_Types].xml", "xl/workbook.xml")), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"deck.pptx", string(zipOf(t, "[Content_Types].xml", "ppt/presentation.xml")), "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
		{"notes.txt", "Backups run nightly.\n", "text/plain; charset=utf-8"},
		{"devices.csv", "name,owner\nlaptop,priya\n", "text/csv; charset=utf-8"},
		{"../../etc/devices.csv", "a,b\n", "text/csv; charset=utf-8"},
	}
	for _, c := range ok {
		v, err := InspectFile(c.name, []byte(c.data), 0)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if v.ContentType != c.want || v.Size != int64(len(c.data)) || len(v.SHA256) != 64 || strings.ContainsAny(v.Filename, `/\`) {
			t.Errorf("%s: got %+v, want %s", c.name, v, c.want)
		}
	}
	bad := []struct{ name, data, why string }{
		{"policy.pdf", "\x7fELF\x02\x01\x01", "program"},
		{"setup.pdf", "MZ\x90\x00", "Windows program"},
		{"run.txt", "#!/bin/sh\nrm -rf /\n", "script"},
		{"page.txt", "<!DOCTYPE html><html><script>alert(1)</script>", "HTML"},
		{"logo.txt", "<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"},
		{"logo.txt", "<?xml version='1.0'?><svg/>", "XML"},
		{"policy.docx", tinyPDF, "is a PDF"},
		{"policy", tinyPDF, "is a PDF"},
		{"a.zip", string(zipOf(t, "x.txt")), "archive"},
		{"macro.docx", string(zipOf(t, "[Content_Types].xml", "word/document.xml", "word/vbaProject.bin")), "macros"},
		{"a.bin", "\x00\x01\x02\x03", "not a type"},
		{"latin1.txt", "caf\xe9", "not a type"},
		{"empty.txt", "", "empty"},
	}
	for _, c := range bad {
		_, err := InspectFile(c.name, []byte(c.data), 0)
		var p validate.Error
		if !errors.As(err, &p) || !strings.Contains(p["file"], c.why) {
			t.Errorf("%s %q: got %v, want a problem on file saying %q", c.name, c.data[:min(len(c.data), 10)], err, c.why)
		}
	}
	if _, err := InspectFile("big.txt", bytes.Repeat([]byte("a"), 101), 100); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("over the limit: %v", err)
	}
}

func TestSanitizeFilename(t *testing.T) {
	for in, want := range map[string]string{
		"policy.pdf":                      "policy.pdf",
		`C:\Users\me\policy.pdf`:          "policy.pdf",
		"../../etc/passwd":                "passwd",
		"a\"b;c\r\n.pdf":                  "a_b_c.pdf",
		"..":                              "evidence",
		"":                                "evidence",
		".pdf":                            "evidence.pdf",
		"Übersicht 2026.pdf":              "Übersicht 2026.pdf",
		strings.Repeat("x", 300) + ".pdf": strings.Repeat("x", MaxFilename-4) + ".pdf",
	} {
		if got := SanitizeFilename(in); got != want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEvidenceValidate(t *testing.T) {
	cases := []struct {
		e     Evidence
		field string
	}{
		{Evidence{Kind: EvidenceFile}, "title"},
		{Evidence{Title: strings.Repeat("t", 201), Kind: EvidenceFile}, "title"},
		{Evidence{Title: "t", Kind: "other"}, "kind"},
		{Evidence{Title: "t", Kind: EvidenceLink}, "url"},
		{Evidence{Title: "t", Kind: EvidenceLink, URL: "javascript:alert(1)"}, "url"},
		{Evidence{Title: "t", Kind: EvidenceLink, URL: "ftp://example.com/a"}, "url"},
		{Evidence{Title: "t", Kind: EvidenceLink, URL: "http://example.com/policy"}, "url"},
		{Evidence{Title: "t", Kind: EvidenceLink, URL: "HTTP://example.com/policy"}, "url"},
		{Evidence{Title: "t", Kind: EvidenceLink, URL: "https://user:pw@example.com/a"}, "url"},
		{Evidence{Title: "t", Kind: EvidenceLink, URL: "/relative"}, "url"},
		{Evidence{Title: "t", Kind: EvidenceFile, URL: "https://example.com"}, "url"},
	}
	for _, c := range cases {
		if p := fields(c.e.Validate()); p[c.field] == "" {
			t.Errorf("%+v: want a problem on %s, got %v", c.e, c.field, p)
		}
	}
	for _, e := range []Evidence{{Title: "Policy", Kind: EvidenceFile}, {Title: "Vendor", Kind: EvidenceLink, URL: "https://ehr.example.com/security"}} {
		if err := e.Validate(); err != nil {
			t.Errorf("%+v: %v", e, err)
		}
	}
}

// FuzzSniffContentType checks that the sniffer never panics and never
// accepts what it must refuse.
func FuzzSniffContentType(f *testing.F) {
	for _, s := range []string{tinyPDF, "\x89PNG\r\n\x1a\n", "\xff\xd8\xff", "GIF89a", "RIFF\x00\x00\x00\x00WEBP", "MZ", "\x7fELF", "#!",
		"a,b\n1,2\n", "<svg/>", " <html>", "PK\x03\x04", "\xef\xbb\xbfhello"} {
		f.Add([]byte(s))
	}
	f.Add(zipOf(f, "[Content_Types].xml", "word/document.xml"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ct, err := SniffContentType(data)
		if err != nil {
			var se *SniffError
			if !errors.As(err, &se) || ct != "" {
				t.Fatalf("refusal %v with type %q", err, ct)
			}
			return
		}
		if _, ok := fileType(ct); !ok {
			t.Fatalf("unknown type %q", ct)
		}
		for _, sig := range []string{"MZ", "\x7fELF", "#!"} {
			if bytes.HasPrefix(data, []byte(sig)) {
				t.Fatalf("accepted %q as %s", data, ct)
			}
		}
		if strings.HasPrefix(ct, "text/") {
			low := strings.ToLower(string(data))
			if strings.Contains(low[:min(len(low), 1024)], "<svg") || bytes.IndexByte(data, 0) >= 0 {
				t.Fatalf("accepted %q as text", data)
			}
		}
		for _, name := range []string{"x.pdf", "x.txt", "x.docx"} {
			if v, err := InspectFile(name, data, 0); err == nil && v.ContentType == "" {
				t.Fatalf("accepted %q without a type", name)
			}
		}
	})
}
