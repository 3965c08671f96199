package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/problem"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// HTTPError separates what the client is told (Code, Msg) from what the
// server logs (Err).
type HTTPError struct {
	Code   int
	Msg    string
	Err    error
	Fields map[string]string
	Reason string // the API's machine-readable error code when more precise than the status's ("mfa_required")
}

func (e *HTTPError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Code, e.Msg, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Code, e.Msg)
}

func (e *HTTPError) Unwrap() error { return e.Err }

// errorBody is the JSON shape of every API error:
// {"error": {"code", "message", "fields"?, "request_id"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// classify maps an error to what the client should see.
func classify(err error) *HTTPError {
	var he *HTTPError
	var verr validate.Error
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &verr):
		return &HTTPError{Code: http.StatusUnprocessableEntity, Msg: "Some fields need attention.", Fields: verr, Err: err}
	case isProblem(err):
		p, _ := problem.As(err)
		return &HTTPError{Code: problemStatus[p.Kind], Msg: p.Message, Err: err}
	case errors.Is(err, store.ErrNotFound):
		return &HTTPError{Code: http.StatusNotFound, Msg: "Not found.", Err: err}
	case errors.Is(err, identity.ErrBusy):
		return &HTTPError{Code: errHashBusy.Code, Msg: errHashBusy.Msg, Err: err}
	case errors.Is(err, store.ErrConflict):
		return &HTTPError{Code: http.StatusConflict, Msg: "That conflicts with an existing record.", Err: err}
	}
	return &HTTPError{Code: http.StatusInternalServerError, Msg: "Something went wrong on our side.", Err: err}
}

// problemStatus is the one place a problem's kind becomes an HTTP status.
var problemStatus = map[problem.Kind]int{
	problem.Conflict:  http.StatusConflict,
	problem.NotFound:  http.StatusNotFound,
	problem.Forbidden: http.StatusForbidden,
	problem.Gone:      http.StatusGone,
	problem.Invalid:   http.StatusBadRequest,
}

func isProblem(err error) bool {
	p, ok := problem.As(err)
	return ok && problemStatus[p.Kind] != 0
}

// codeName is the machine-readable error code for a status.
func codeName(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnprocessableEntity:
		return "invalid"
	case http.StatusTooManyRequests:
		return "throttled"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
}

// WantsJSON reports whether the error for r should be JSON rather than a page.
func WantsJSON(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// handle adapts a handler that returns an error to http.Handler: one place
// decides status codes, logs server faults with the request ID, and writes
// the same error model as HTML or JSON.
func (s *Server) handle(fn func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// writeJSON writes v as the JSON response body with the given status.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// The client went away or v cannot be encoded; either way the status
		// line is already sent.
		s.log.DebugContext(r.Context(), "write JSON response", slog.Any("err", err))
	}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	he := classify(err)
	if d, ok := retryAfter(err); ok {
		setRetryAfter(w, d)
	}
	reqID := requestID(r.Context())
	if he.Code >= 500 && !errors.Is(err, identity.ErrBusy) { // shedding load is no fault
		s.log.ErrorContext(r.Context(), "request failed", slog.String("request_id", reqID),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	if WantsJSON(r) {
		s.writeJSON(w, r, he.Code, errorBody{Error: errorDetail{
			Code: cmp.Or(he.Reason, codeName(he.Code)), Message: he.Msg, Fields: he.Fields, RequestID: reqID,
		}})
		return
	}
	s.render(w, r, he.Code, "error", &errorPage{
		Page:      Page{Title: http.StatusText(he.Code)},
		Status:    he.Code,
		Message:   he.Msg,
		Fields:    he.Fields,
		RequestID: reqID,
	})
}
