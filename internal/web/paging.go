package web

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// Lists, in the API and on pages, take ?limit= (1 to 500, default 50) and
// ?cursor=, and the API answers {"items": [...], "next_cursor": ...}.
// Tables page in SQL with a keyset (store.Page): the cursor carries the sort
// key of the last row shown, so the next page starts right after it however
// many rows were added or removed in between.

// cursorPrefix marks a keyset cursor; a cursor of another kind, or from a
// future format, fails to decode instead of being misread.
const cursorPrefix = "k1:"

// maxCursor bounds a cursor's length before it is decoded.
const maxCursor = 1024

// encodeCursor makes the opaque cursor of a key: the base64 of the ID and
// the sort value.
func encodeCursor(k store.Key) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(k.ID, 10) + ":" + k.Sort))
}

// decodeCursor reads a cursor encodeCursor made, refusing anything else.
func decodeCursor(c string) (store.Key, bool) {
	if len(c) > maxCursor {
		return store.Key{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return store.Key{}, false
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return store.Key{}, false
	}
	id, sort, ok := strings.Cut(rest, ":")
	if !ok {
		return store.Key{}, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != id || !utf8.ValidString(sort) || strings.ContainsRune(sort, 0) {
		return store.Key{}, false
	}
	return store.Key{Sort: sort, ID: n}, true
}

// PageQuery reads ?limit= and ?cursor=. A bad value is a field problem
// naming the parameter (422), and nothing is read.
func PageQuery(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	p := store.Page{Limit: store.DefaultPageLimit}
	problems := validate.Error{}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageLimit {
			problems.Add("limit", "must be a whole number from 1 to 500")
		}
		p.Limit = n
	}
	p.After = readCursor(q, "cursor", problems)
	if err := problems.Err(); err != nil {
		return store.Page{}, err
	}
	return p, nil
}

// readCursor reads the cursor in parameter name, adding a problem to
// problems when it is not one this server issued.
func readCursor(q url.Values, name string, problems validate.Error) store.Key {
	c := q.Get(name)
	if c == "" {
		return store.Key{}
	}
	k, ok := decodeCursor(c)
	if !ok {
		problems.Add(name, "is not a cursor this server issued")
	}
	return k
}

// PageQueryOf reads the cursor of one of several lists a page shows, each
// with its own parameter, in pages of limit rows.
func PageQueryOf(r *http.Request, param string, limit int) (store.Page, error) {
	problems := validate.Error{}
	p := store.Page{Limit: limit, After: readCursor(r.URL.Query(), param, problems)}
	if err := problems.Err(); err != nil {
		return store.Page{}, err
	}
	return p, nil
}

// NextPageURLOf is NextPageURL for the list whose cursor is in param, with
// fragment (an anchor on the page, or "") so the reader lands on the list.
func NextPageURLOf(r *http.Request, param string, next *store.Key, fragment string) string {
	if next == nil {
		return ""
	}
	q := r.URL.Query()
	q.Set(param, encodeCursor(*next))
	u := r.URL.Path + "?" + q.Encode()
	if fragment != "" {
		u += "#" + fragment
	}
	return u
}

// WritePage writes one page of a list in the API's list shape.
func WritePage[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T, next *store.Key) {
	out := list[T]{Items: items, NextCursor: NextCursor(next)}
	if out.Items == nil {
		out.Items = []T{}
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// NextPageURL is the link to the page after this one: the request's path
// and query with the cursor set to next, or "" on the last page.
func NextPageURL(r *http.Request, next *store.Key) string {
	if next == nil {
		return ""
	}
	q := r.URL.Query()
	q.Set("cursor", encodeCursor(*next))
	return r.URL.Path + "?" + q.Encode()
}

// page cuts a list held in memory to a page: it serves data that is not a
// table, such as the embedded catalogue. Its cursor is the base64 of an
// offset, which is sound only because such data does not change between
// requests. Tables page in SQL with pageQuery and a store.Page.
func page[T any](r *http.Request, items []T) ([]T, *string, error) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return nil, nil, validate.Error{"limit": "must be a whole number from 1 to 500"}
		}
		limit = n
	}
	offset := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "o:") || n < 0 {
			// The same answer as a bad keyset cursor (PageQuery): 422 naming it.
			return nil, nil, validate.Error{"cursor": "is not a cursor this server issued"}
		}
		offset = n
	}
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+limit, len(items))
	var next *string
	if end < len(items) {
		c := base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(end)))
		next = &c
	}
	return items[offset:end], next, nil
}

// list is the shape of every list the API returns.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}
