package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

// defaultMaxUploads is how many uploads stream in at once when
// Config.MaxUploads is 0.
const defaultMaxUploads = 4

// uploadRetryAfter is what a client turned away because too many uploads
// are running is told to wait, in seconds.
const uploadRetryAfter = 10

// maxUploadParts bounds the parts of one multipart upload: our forms send
// fewer than ten.
const maxUploadParts = 50

const uploadKey ctxKey = iota + 200

// UploadForm is a multipart upload read part by part: its text fields, and
// the file, which streamed into an encrypted spool rather than memory.
type UploadForm struct {
	Fields url.Values
	// File is the part named "file", or nil when there was none.
	File *UploadedPart
}

// UploadedPart is the file of an upload.
type UploadedPart struct {
	Filename string
	spool    *crypt.Spool
}

// Close removes the upload's spool.
func (f *UploadForm) Close() error {
	if f == nil || f.File == nil {
		return nil
	}
	return f.File.spool.Close()
}

func UploadOf(ctx context.Context) *UploadForm {
	f, _ := ctx.Value(uploadKey).(*UploadForm)
	return f
}

var errUploadsBusy = &HTTPError{Code: http.StatusServiceUnavailable, Reason: "uploads_busy",
	Msg: "Too many uploads are running right now. Wait a few seconds and try again."}

// UploadRoute registers a route that takes a file upload. Like every
// route, it refuses a body over its limit (the evidence limit and room for
// the form's other fields) before reading any of it, and authorises the
// caller before reading any of it. Then, for a multipart body, it takes
// one of the server's upload slots (503 with Retry-After when all are in
// use), streams the body part by part — the file into an encrypted spool,
// with the limit enforced as it arrives — and hands the handler the form
// through uploadOf. The spool is removed when the handler returns. Other
// bodies (a link sent as JSON) reach the handler unread, bounded by the
// default limit.
func (s *Server) UploadRoute(pattern string, perm identity.Permission, h func(http.ResponseWriter, *http.Request) error) {
	rt := RouteSpec{Pattern: pattern, Perm: perm, MaxBody: s.UploadLimit() + formSlack, Upload: true}
	s.addRoute(s.mux, rt, func(w http.ResponseWriter, r *http.Request) error {
		if !isMultipart(r) {
			return h(w, r)
		}
		select {
		case s.uploads <- struct{}{}:
			defer func() { <-s.uploads }()
		default:
			w.Header().Set("Retry-After", strconv.Itoa(uploadRetryAfter))
			return errUploadsBusy
		}
		var csrf string
		if p := PrincipalOf(r.Context()); p != nil && p.Session != nil && streamsCSRF(r, rt) {
			csrf = p.Session.CSRF
		}
		form, err := s.readUpload(r, csrf)
		defer func() {
			if cerr := form.Close(); cerr != nil {
				s.log.WarnContext(r.Context(), "remove upload spool", slog.String("request_id", requestID(r.Context())), slog.Any("err", cerr))
			}
		}()
		if err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), uploadKey, form)))
	})
}

// FileRoute registers a route whose body is a file sent as it is (an
// import's CSV or XLSX, as text/csv), up to UploadLimit. A form body is
// held to the default limit (it would be parsed into memory), for the
// handler to refuse.
func (s *Server) FileRoute(pattern string, perm identity.Permission, h func(http.ResponseWriter, *http.Request) error) {
	s.addRoute(s.mux, RouteSpec{Pattern: pattern, Perm: perm, MaxBody: s.UploadLimit(), File: true}, h)
}

// readUpload reads a multipart upload as it arrives. Text fields are kept
// (formSlack bytes in all); the part named "file" is streamed into a spool
// and refused with 413 once it passes the evidence limit. When csrf is
// set, the form must carry it in a field named csrf before the file — as
// Safeguard's forms do — so that no file is read for a forged request.
// The form is returned with the error too, for its spool to be removed.
func (s *Server) readUpload(r *http.Request, csrf string) (*UploadForm, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, &HTTPError{Code: http.StatusBadRequest, Msg: "The upload could not be read: send it as multipart/form-data.", Err: err}
	}
	form := &UploadForm{Fields: url.Values{}}
	checked := csrf == ""
	refuseCSRF := func() (*UploadForm, error) {
		s.AuditRefusal(r, "auth.csrf_refused", "missing or wrong CSRF token")
		return form, errCSRF
	}
	var fieldBytes int64
	for parts := 0; ; parts++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return form, s.uploadError(err)
		}
		if parts >= maxUploadParts {
			return form, &HTTPError{Code: http.StatusBadRequest, Msg: "The upload has too many fields."}
		}
		name := part.FormName()
		switch {
		case name == "file":
			if !checked {
				return refuseCSRF()
			}
			if form.File != nil {
				return form, &HTTPError{Code: http.StatusBadRequest, Msg: "Send one file at a time."}
			}
			sp, err := crypt.NewSpool(s.cfg.TempDir)
			if err != nil {
				return form, err
			}
			form.File = &UploadedPart{Filename: part.FileName(), spool: sp}
			limit := s.UploadLimit()
			n, err := io.Copy(sp, io.LimitReader(part, limit+1))
			if err != nil {
				return form, s.uploadError(err)
			}
			if n > limit {
				return form, s.tooLarge()
			}
		case part.FileName() != "":
			return form, &HTTPError{Code: http.StatusBadRequest, Msg: "The upload has a file in field " + strconv.Quote(name) + "; send the file as the field named file."}
		default:
			v, err := io.ReadAll(io.LimitReader(part, formSlack-fieldBytes+1))
			if err != nil {
				return form, s.uploadError(err)
			}
			if fieldBytes += int64(len(v)); fieldBytes > formSlack {
				return form, &HTTPError{Code: http.StatusRequestEntityTooLarge, Reason: "too_large", Msg: "The form's text fields are too long."}
			}
			if name == "csrf" && !checked {
				if compareCSRF(string(v), csrf) != nil {
					return refuseCSRF()
				}
				checked = true
			}
			form.Fields.Add(name, string(v))
		}
	}
	if !checked {
		return refuseCSRF()
	}
	return form, nil
}

// uploadError maps a failed read of an upload: over the limit is 413 with
// the evidence limit, anything else (the client went away) 400.
func (s *Server) uploadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return s.tooLarge()
	}
	return &HTTPError{Code: http.StatusBadRequest, Msg: "The upload could not be read; try again.", Err: err}
}

// EvidenceFile reads the uploaded file back from its spool for the store,
// which seals a version in one piece; nil when the file input was left
// empty.
func (f *UploadForm) EvidenceFile(limit int64) (*store.EvidenceFile, error) {
	if f == nil || f.File == nil || f.File.Filename == "" && f.File.spool.Size() == 0 {
		return nil, nil
	}
	data, err := f.File.spool.Bytes()
	if err != nil {
		return nil, err
	}
	return &store.EvidenceFile{Filename: f.File.Filename, Data: data, Limit: limit}, nil
}

// UploadLimit is the size limit of one uploaded file in bytes:
// Config.EvidenceLimit, or assess.DefaultMaxEvidenceSize.
func (s *Server) UploadLimit() int64 {
	if s.cfg.EvidenceLimit > 0 {
		return s.cfg.EvidenceLimit
	}
	return assess.DefaultMaxEvidenceSize
}

// formSlack is what a multipart upload may carry beyond the file: the
// boundaries, headers and the other fields of the form.
const formSlack = 1 << 20

var errTooLarge = &HTTPError{Code: http.StatusRequestEntityTooLarge, Reason: "too_large"}

// tooLarge is the answer to a file over UploadLimit.
func (s *Server) tooLarge() error {
	e := *errTooLarge
	e.Msg = fmt.Sprintf("The file is too large: evidence files may be at most %s. Upload a smaller file or split it.", assess.FormatSize(s.UploadLimit()))
	return &e
}
