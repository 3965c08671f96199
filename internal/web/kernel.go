package web

import (
	"context"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"slices"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

// A Capability is one of Safeguard's capabilities as the web serves it: its
// pages and API, registered on a Server built with it.
type Capability interface {
	// Templates holds its pages, one NAME.html per page (rendered by that
	// name), and the partials its pages share, named _NAME.html. Page names
	// are unique across the server.
	Templates() fs.FS
	// Register adds its routes to s, each with the permission it needs.
	Register(s *Server)
}

// TemplatesIn returns the folder "templates" of a capability's embedded
// files, as its Templates method serves them:
//
//	//go:embed all:templates
//	var templates embed.FS
//
//	func (h *Handler) Templates() fs.FS { return web.TemplatesIn(templates) }
func TemplatesIn(files fs.FS) fs.FS {
	t, err := fs.Sub(files, "templates")
	if err != nil {
		panic(err) // fs.Sub fails only on an invalid path, and this one is valid
	}
	return t
}

// HandlerFunc is a route's handler: it answers, or returns an error that the
// kernel turns into the right status and message, as a page or as JSON.
type HandlerFunc = func(http.ResponseWriter, *http.Request) error

// Route registers h at pattern (a ServeMux pattern such as
// "GET /catalog/entries/{citation}") behind the one authorisation check
// every route goes through, with the permission it needs.
func (s *Server) Route(pattern string, perm identity.Permission, h HandlerFunc) {
	s.route(s.mux, pattern, perm, h)
}

// Render writes the page name with status, filling in the layout's parts
// (who is signed in, the organisation, the demo banner).
func (s *Server) Render(w http.ResponseWriter, r *http.Request, status int, name string, data PageData) {
	s.render(w, r, status, name, data)
}

// WriteJSON writes v as the JSON answer with status.
func (s *Server) WriteJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	s.writeJSON(w, r, status, v)
}

// List is the shape of every list the API returns.
type List[T any] = list[T]

// PageSlice cuts a list held in memory (data that is not a table, such as
// the embedded catalogue) to the page the request asks for, with the cursor
// of the next one. Tables page in SQL instead (store.Page).
func PageSlice[T any](r *http.Request, items []T) ([]T, *string, error) {
	return page(r, items)
}

// ErrorBody is the JSON shape of every API error:
// {"error": {"code", "message", "fields"?, "request_id"}}.
type ErrorBody = errorBody

// ErrorDetail is the "error" member of ErrorBody, for an answer that
// carries more beside it (the blockers of a refused sign-off).
type ErrorDetail = errorDetail

// RequestID is the ID of the request ctx belongs to, as the logs and error
// answers give it.
func RequestID(ctx context.Context) string { return requestID(ctx) }

// NextCursor is the cursor a list answer gives for the page after this one
// (its "next_cursor"), nil on the last page.
func NextCursor(next *store.Key) *string {
	if next == nil {
		return nil
	}
	c := encodeCursor(*next)
	return &c
}

// FormSlack is what an upload route accepts beyond UploadLimit: the
// boundaries, part headers and other fields of the form.
const FormSlack = formSlack

// DB is the store the server serves.
func (s *Server) DB() *store.DB { return s.db }

// Log is the server's logger.
func (s *Server) Log() *slog.Logger { return s.log }

// Config is the configuration the server was built with.
func (s *Server) Config() Config { return s.cfg }

// Hasher hashes and checks passwords.
func (s *Server) Hasher() *identity.Hasher { return s.hasher }

// Catalog is the rule catalogue served: the configured one, or the embedded
// one when the server was built without (as some tests build it).
func (s *Server) Catalog() (*catalog.Catalog, error) { return s.catalog() }

// invitationLifetime is how long an invitation link works.
const invitationLifetime = identity.InvitationLifetime

// InvitationURL is the link of an invitation secret, built from the public
// address or the one the request came to.
func (s *Server) InvitationURL(r *http.Request, secret string) string {
	return s.SiteURL(r) + "/invite/" + secret
}

// SiteURL is the address people reach this Safeguard at: the configured
// public URL, or the one the request came to.
func (s *Server) SiteURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if clientOf(r.Context()).Secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Invite creates an account invitation (choose a password) for userID and
// returns its link.
func (s *Server) Invite(r *http.Request, userID int64) (string, error) {
	secret, err := identity.NewSecret(identity.PrefixInvitation)
	if err != nil {
		return "", err
	}
	if _, err := s.db.CreateInvitation(r.Context(), s.Actor(r), userID, identity.HashSecret(secret), invitationLifetime); err != nil {
		return "", err
	}
	return s.InvitationURL(r, secret), nil
}

// Pages lists the names of the pages the server renders: the kernel's and
// every capability's.
func (s *Server) Pages() []string {
	return slices.Sorted(maps.Keys(s.views.pages))
}
