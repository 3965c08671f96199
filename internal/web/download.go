package web

import (
	"encoding/base64"
	"encoding/hex"
	"mime"
	"net/http"
	"strconv"
)

// Download is a stored file served whole as an attachment: evidence, a
// kept report.
type Download struct {
	Name        string
	ContentType string
	// SHA256 is the hex digest checked when the file was read; it is sent
	// as Repr-Digest so that a client can check it too.
	SHA256 string
	Data   []byte
	// Styled allows the file's own inline styles should a browser open it
	// anyway (a self-contained HTML report); scripts never run.
	Styled bool
}

// ServeDownload writes d as an attachment that is never sniffed, cached or
// run as a page of Safeguard.
func ServeDownload(w http.ResponseWriter, r *http.Request, d Download) {
	hdr := w.Header()
	hdr.Set("Content-Type", d.ContentType)
	hdr.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	hdr.Set("Content-Length", strconv.Itoa(len(d.Data)))
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
	if d.Styled {
		hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox")
	} else {
		hdr.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	}
	if sum, err := hex.DecodeString(d.SHA256); err == nil && len(sum) > 0 {
		hdr.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(d.Data)
	}
}
