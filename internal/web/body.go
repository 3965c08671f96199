package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
)

// defaultMaxBody is the body limit of every route that does not set its
// own: room for the longest form (a guided assessment step, each answer up
// to assess.MaxLongText characters, percent-encoded) and for any JSON call.
const defaultMaxBody = 1 << 20

// bodyLimit is the largest body rt accepts for r: the route's own limit
// for an upload's multipart body or a file route's file, the default for
// everything else.
func (rt RouteSpec) bodyLimit(r *http.Request) int64 {
	if rt.MaxBody > 0 && (!rt.Upload || isMultipart(r)) && !(rt.File && isForm(r)) {
		return rt.MaxBody
	}
	return defaultMaxBody
}

// limitBody bounds the request body before anything can read it: a body
// declared too large is refused at once, without reading a byte of it, and
// one that turns out too large while it streams in (chunked, or longer
// than declared) stops being read at the limit.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request, rt RouteSpec) error {
	limit := rt.bodyLimit(r)
	if r.ContentLength > limit {
		return s.bodyTooLarge(r, rt, limit)
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	return nil
}

// bodyTooLarge is the 413 for a body over limit.
func (s *Server) bodyTooLarge(r *http.Request, rt RouteSpec, limit int64) error {
	if rt.Upload && isMultipart(r) {
		return s.tooLarge()
	}
	return tooLargeBody(limit)
}

func tooLargeBody(limit int64) error {
	e := *errTooLarge
	e.Msg = fmt.Sprintf("The request is too large: this address takes at most %s.", assess.FormatSize(limit))
	return &e
}

// bodyError maps a read that hit the body limit to 413, and any other
// failure to read the body to 400 with msg.
func bodyError(err error, msg string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLargeBody(mbe.Limit)
	}
	return &HTTPError{Code: http.StatusBadRequest, Msg: msg, Err: err}
}

func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
}

func isForm(r *http.Request) bool {
	return isMultipart(r) || strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// parseForm reads a form body (already bounded by limitBody) into
// r.PostForm, reporting a body over the limit as 413. Multipart file parts
// stay in memory: with the body bounded they cannot grow past it, and are
// never written unencrypted to a temporary file.
func parseForm(r *http.Request) error {
	var err error
	if isMultipart(r) {
		err = r.ParseMultipartForm(defaultMaxBody)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return bodyError(err, "The form could not be read.")
	}
	return nil
}

// readForm parses the form of a state-changing request once it is
// authorised, so that every handler sees a body over the limit as 413
// rather than as empty fields. Upload routes stream their multipart body
// instead.
func readForm(r *http.Request, rt RouteSpec) error {
	if safeMethod(r.Method) || !isForm(r) || rt.Upload && isMultipart(r) {
		return nil
	}
	return parseForm(r)
}

// streamsCSRF reports whether a request's CSRF token is read from its body
// by the upload stream rather than by authorize: a multipart upload that
// does not carry the token in the X-CSRF-Token header.
func streamsCSRF(r *http.Request, rt RouteSpec) bool {
	return rt.Upload && isMultipart(r) && r.Header.Get("X-CSRF-Token") == ""
}
