package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// A record that carries a version (an asset, a data flow, a risk, a task, a
// response) is sent with that version as its entity tag, and its updates
// take If-Match: an update made from a version that is no longer the stored
// one is refused with 412 Precondition Failed and changes nothing. If-Match
// is optional, so clients that send the version in the body (or nothing)
// work as before; the store's own version check still refuses a change that
// races another (409).

// SetETag sends version as the entity tag of the record in the answer.
func SetETag(w http.ResponseWriter, version int) {
	w.Header().Set("ETag", etagOf(version))
}

func etagOf(version int) string { return `"` + strconv.Itoa(version) + `"` }

// IfMatch checks r's If-Match header against the version of the record as
// stored now. It returns the version the header names (0 without one, or
// for "*"), or a 412 error when no tag in it matches current. Weak tags
// (W/"3") never match, as RFC 9110 asks of If-Match.
func IfMatch(r *http.Request, current int) (int, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	want := etagOf(current)
	for tag := range strings.SplitSeq(h, ",") {
		if strings.TrimSpace(tag) == want {
			return current, nil
		}
	}
	return 0, &HTTPError{Code: http.StatusPreconditionFailed,
		Msg: fmt.Sprintf("The record has changed since you read it: it is now version %d (ETag %s). Read it again and make your change on that.", current, want)}
}
