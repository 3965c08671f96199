package assess

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// Evidence is the documentation §164.316(b)(1) asks an organisation to keep:
// a file (a policy, a screenshot, an export, a signed business associate
// agreement) with every version uploaded, or a link to a document kept
// elsewhere. Evidence is never deleted: retiring it marks it as no longer
// current and keeps it for the retention period.
type Evidence struct {
	ID          int64        `json:"id"`
	OrgID       int64        `json:"org_id"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Kind        EvidenceKind `json:"kind"`
	// URL is where a link points: https only for links added now; links
	// recorded before that rule may still be http (see Insecure). Empty
	// for files.
	URL string `json:"url,omitempty"`
	// CurrentVersion is the newest version of a file; 0 for links.
	CurrentVersion int       `json:"current_version"`
	RetiredAt      time.Time `json:"retired_at,omitzero"`
	RetiredBy      string    `json:"retired_by,omitempty"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Retired reports whether the evidence is no longer current.
func (e Evidence) Retired() bool { return !e.RetiredAt.IsZero() }

// Insecure reports whether the evidence is a link to a plain http address.
// New links must be https; links recorded before that rule are kept as
// they were (evidence is retained unaltered) and pages mark them.
func (e Evidence) Insecure() bool {
	return e.Kind == EvidenceLink && strings.HasPrefix(strings.ToLower(e.URL), "http:")
}

// EvidenceKind says whether evidence is an uploaded file or a link.
type EvidenceKind string

// The kinds of evidence.
const (
	EvidenceFile EvidenceKind = "file"
	EvidenceLink EvidenceKind = "link"
)

// EvidenceVersion is one uploaded version of a file. SHA256 is the hex
// digest of the plaintext, checked on every download.
type EvidenceVersion struct {
	Version     int       `json:"version"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedBy  string    `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// Limits on evidence.
const (
	DefaultMaxEvidenceSize = 25 << 20 // bytes per file version
	MaxEvidenceTitle       = 200
	MaxEvidenceURL         = 2000
	MaxFilename            = 200
)

// Normalize trims what people type.
func (e *Evidence) Normalize() {
	e.Title = strings.TrimSpace(e.Title)
	e.Description = strings.TrimSpace(e.Description)
	e.URL = strings.TrimSpace(e.URL)
	e.Kind = EvidenceKind(strings.TrimSpace(string(e.Kind)))
}

// Validate reports every problem with the evidence's fields.
func (e Evidence) Validate() error {
	p := validate.Error{}
	if e.Title == "" {
		p.Add("title", "is required")
	}
	checkText(p, "title", e.Title, MaxEvidenceTitle)
	checkText(p, "description", e.Description, MaxLongText)
	switch e.Kind {
	case EvidenceFile:
		if e.URL != "" {
			p.Add("url", "is only for links; a file has no address")
		}
	case EvidenceLink:
		if msg := checkURL(e.URL); msg != "" {
			p.Add("url", msg)
		}
	default:
		p.Add("kind", "must be file or link")
	}
	return p.Err()
}

func checkURL(s string) string {
	if s == "" {
		return "is required for a link"
	}
	if len(s) > MaxEvidenceURL {
		return fmt.Sprintf("must be at most %d characters", MaxEvidenceURL)
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return "must be a full address such as https://example.com/policy"
	}
	if u.Scheme == "http" {
		return "must start with https://: a plain http:// address is not encrypted, so the document could be read or changed on its way to whoever opens it"
	}
	if u.Scheme != "https" {
		return "must start with https://, as in https://example.com/policy"
	}
	if u.Host == "" {
		return "must name a host, as in https://example.com/policy"
	}
	if u.User != nil {
		return "must not carry a user name or password"
	}
	return ""
}

// SanitizeFilename reduces a client's file name to a safe base name: no
// directories, no control characters, no characters that mean something to
// a shell or a Content-Disposition header, at most MaxFilename bytes with
// the extension kept. An empty result becomes "evidence".
func SanitizeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r):
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" ._-()", r)):
			b.WriteRune(r)
		case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name = strings.TrimRight(strings.TrimLeft(b.String(), " "), " .")
	if strings.HasPrefix(name, ".") {
		name = "evidence" + name // no hidden files
	}
	if len(name) > MaxFilename {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := name[:MaxFilename-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1]
		}
		name = stem + ext
	}
	if name == "" {
		return "evidence"
	}
	return name
}

// FileType is a kind of file accepted as evidence.
type FileType struct {
	ContentType string
	Label       string
	Extensions  []string
}

// FileTypes lists the kinds of file accepted as evidence. Everything else —
// executables and scripts, HTML and SVG (which carry active content),
// archives, macro-enabled Office files — is refused.
var FileTypes = []FileType{
	{"application/pdf", "PDF", []string{".pdf"}},
	{"image/png", "PNG image", []string{".png"}},
	{"image/jpeg", "JPEG image", []string{".jpg", ".jpeg"}},
	{"image/gif", "GIF image", []string{".gif"}},
	{"image/webp", "WebP image", []string{".webp"}},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document", []string{".docx"}},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook", []string{".xlsx"}},
	{"application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint presentation", []string{".pptx"}},
	{"text/plain; charset=utf-8", "text file", []string{".txt", ".md", ".log"}},
	{"text/csv; charset=utf-8", "CSV", []string{".csv"}},
}

// AcceptedExtensions lists the file name extensions accepted, for forms.
func AcceptedExtensions() []string {
	var out []string
	for _, t := range FileTypes {
		out = append(out, t.Extensions...)
	}
	return out
}

func fileType(contentType string) (FileType, bool) {
	for _, t := range FileTypes {
		if t.ContentType == contentType {
			return t, true
		}
	}
	return FileType{}, false
}

// InspectFile checks an uploaded file and describes it as a version: the
// file name sanitised, its size within limit (DefaultMaxEvidenceSize when
// limit is 0), its content type sniffed from the bytes (never taken from the
// client) and agreeing with the name's extension, and the SHA-256 of the
// bytes. Problems are reported on the field "file".
func InspectFile(filename string, data []byte, limit int64) (EvidenceVersion, error) {
	if limit <= 0 {
		limit = DefaultMaxEvidenceSize
	}
	v := EvidenceVersion{Filename: SanitizeFilename(filename), Size: int64(len(data))}
	p := validate.Error{}
	switch {
	case len(data) == 0:
		p.Add("file", "is empty; choose a file with something in it")
	case int64(len(data)) > limit:
		p.Add("file", fmt.Sprintf("is %s, over the limit of %s", FormatSize(int64(len(data))), FormatSize(limit)))
	default:
		ct, err := SniffContentType(data)
		if err != nil {
			p.Add("file", err.Error())
			break
		}
		ext := strings.ToLower(path.Ext(v.Filename))
		if ct == "text/plain; charset=utf-8" && ext == ".csv" {
			// Text is text: the name says whether it is comma-separated.
			ct = "text/csv; charset=utf-8"
		}
		t, _ := fileType(ct)
		if !contains(t.Extensions, ext) {
			p.Add("file", fmt.Sprintf("is a %s, but its name ends in %q; name it with %s", t.Label, ext, strings.Join(t.Extensions, " or ")))
			break
		}
		v.ContentType = ct
	}
	if err := p.Err(); err != nil {
		return EvidenceVersion{}, err
	}
	sum := sha256.Sum256(data)
	v.SHA256 = hex.EncodeToString(sum[:])
	return v, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FormatSize writes a byte count for people: "25 MiB", "3.2 KiB".
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MiB"
	case n >= 1<<10:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<10))) + " KiB"
	}
	return fmt.Sprintf("%d bytes", n)
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

// SniffError says why a file's content is refused.
type SniffError struct{ Reason string }

func (e *SniffError) Error() string { return e.Reason }

func refuse(format string, args ...any) error {
	return &SniffError{Reason: fmt.Sprintf(format, args...)}
}

// SniffContentType names the content type of data from its bytes alone, one
// of FileTypes, or says why it is refused. Like net/http's
// DetectContentType it looks at signatures at the start of the data; unlike
// it, it refuses what could run (executables, scripts, HTML, SVG) and looks
// inside ZIP containers for the parts of an Office document.
func SniffContentType(data []byte) (string, error) {
	has := func(sig string) bool { return bytes.HasPrefix(data, []byte(sig)) }
	switch {
	case has("MZ"):
		return "", refuse("is a Windows program, which is not accepted as evidence")
	case has("\x7fELF"):
		return "", refuse("is a Linux or Unix program, which is not accepted as evidence")
	case has("\xfe\xed\xfa\xce"), has("\xfe\xed\xfa\xcf"), has("\xce\xfa\xed\xfe"), has("\xcf\xfa\xed\xfe"), has("\xca\xfe\xba\xbe"):
		return "", refuse("is a program, which is not accepted as evidence")
	case has("#!"):
		return "", refuse("is a script, which is not accepted as evidence")
	case has("%PDF-"):
		return "application/pdf", nil
	case has("\x89PNG\r\n\x1a\n"):
		return "image/png", nil
	case has("\xff\xd8\xff"):
		return "image/jpeg", nil
	case has("GIF87a"), has("GIF89a"):
		return "image/gif", nil
	case len(data) >= 12 && has("RIFF") && string(data[8:12]) == "WEBP":
		return "image/webp", nil
	case has("PK\x03\x04"):
		return sniffZip(data)
	}
	return sniffText(data)
}

// sniffZip accepts a ZIP container only as a Word, Excel or PowerPoint
// document, and not one carrying macros.
func sniffZip(data []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", refuse("is a damaged ZIP archive")
	}
	var types bool
	var kind string
	for i, f := range zr.File {
		if i > 10000 {
			break
		}
		name := strings.ToLower(f.Name)
		switch {
		case name == "[content_types].xml":
			types = true
		case strings.HasSuffix(name, "vbaproject.bin"):
			return "", refuse("is an Office document with macros, which is not accepted as evidence; save it without macros")
		case kind == "" && strings.HasPrefix(name, "word/"):
			kind = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		case kind == "" && strings.HasPrefix(name, "xl/"):
			kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		case kind == "" && strings.HasPrefix(name, "ppt/"):
			kind = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
		}
	}
	if !types || kind == "" {
		return "", refuse("is a ZIP archive; archives are not accepted as evidence (Word, Excel and PowerPoint files are)")
	}
	return kind, nil
}

// activeMarkup are the starts of HTML, XML and SVG documents, which a
// browser could run scripts from.
var activeMarkup = []string{"<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<svg", "<?xml", "<object", "<embed", "<style", "<!--", "<a ", "<div", "<meta", "<title", "<table", "<p>", "<br", "<img", "<h1", "<form"}

// sniffText accepts valid UTF-8 text without NULs or other control
// characters (tabs, line and page breaks aside), and refuses markup.
func sniffText(data []byte) (string, error) {
	body := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(body) {
		return "", refuse("is not a type accepted as evidence (PDF, images, Word, Excel, PowerPoint, text and CSV are)")
	}
	for _, c := range body {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f {
			return "", refuse("is not a type accepted as evidence (PDF, images, Word, Excel, PowerPoint, text and CSV are)")
		}
	}
	start := bytes.TrimLeft(body, " \t\r\n\f")
	head := strings.ToLower(string(start[:min(len(start), 64)]))
	for _, m := range activeMarkup {
		if strings.HasPrefix(head, m) {
			return "", refuse("is HTML, XML or SVG, which can carry scripts and is not accepted as evidence; save it as PDF")
		}
	}
	first := strings.ToLower(string(body[:min(len(body), 1024)]))
	if strings.Contains(first, "<svg") || strings.Contains(first, "<script") {
		return "", refuse("contains SVG or script markup, which is not accepted as evidence; save it as PDF")
	}
	return "text/plain; charset=utf-8", nil
}
