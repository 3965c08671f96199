package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
)

//go:embed all:templates static
var assets embed.FS

// Page is what every page's view model carries for the layout.
type Page struct {
	Title       string
	Breadcrumbs []Crumb
	Demo        bool
	Version     string
	// Viewer is the signed-in user, nil on public pages.
	Viewer *Viewer
	// Tenant is the organisation the page belongs to, if any.
	Tenant *OrgContext
}

// OrgContext is what the layout shows about the current organisation.
type OrgContext struct {
	Slug string
	Name string
	Role identity.Role
	// EmergencyUntil is set while the viewer's emergency access runs.
	EmergencyUntil time.Time
	EmergencyID    int64
}

// Viewer is what the layout shows of the signed-in user and what its forms
// and scripts need.
type Viewer struct {
	// ID keys the drafts the idle-logout script keeps in the browser, so
	// that one person's unsaved text is never offered to another.
	ID          int64
	Name        string
	Email       string
	Admin       bool
	CSRF        string
	IdleSeconds int // the session's automatic logoff, for the warning script
	Pending     bool
	Unread      int // unread notifications
}

// Crumb is one step of a page's breadcrumb trail; the last has no URL.
type Crumb struct {
	Label string
	URL   string
}

// views holds each page's template, parsed once at start.
type views struct {
	// pages are never executed: the pages of each time zone are clones of
	// them whose time functions show that zone (html/template cannot clone a
	// template once it has run).
	pages map[string]*template.Template

	mu    sync.Mutex
	zones map[string]*zoneViews // by IANA name
}

// zoneViews are the pages of one time zone, cloned when first shown.
type zoneViews struct {
	loc   *time.Location
	pages map[string]*template.Template
}

// timeFuncs are the template functions that show a time: in loc, with the
// zone's abbreviation, so that a page never leaves its reader guessing.
// <time datetime> attributes and exports stay UTC.
func timeFuncs(loc *time.Location) template.FuncMap {
	return template.FuncMap{
		// date is a time to the minute: "4 Nov 2025 16:24 EST".
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(loc).Format("2 Jan 2006 15:04 MST")
		},
		// stamp is a time to the second, for the audit log:
		// "2025-11-04 16:24:05 EST".
		"stamp": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(loc).Format("2006-01-02 15:04:05 MST")
		},
	}
}

// page returns the named page showing times in the zone called zone (UTC
// when empty or unknown).
func (v *views) page(name, zone string) (*template.Template, error) {
	if zone == "" {
		zone = "UTC"
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	zv := v.zones[zone]
	if zv == nil {
		loc, err := time.LoadLocation(zone)
		if err != nil || zone == "Local" {
			loc, zone = time.UTC, "UTC"
		}
		if zv = v.zones[zone]; zv == nil {
			zv = &zoneViews{loc: loc, pages: map[string]*template.Template{}}
			v.zones[zone] = zv
		}
	}
	if t := zv.pages[name]; t != nil {
		return t, nil
	}
	master, ok := v.pages[name]
	if !ok {
		return nil, fmt.Errorf("no template %q", name)
	}
	t, err := master.Clone()
	if err != nil {
		return nil, fmt.Errorf("clone template %q for %s: %w", name, zone, err)
	}
	zv.pages[name] = t.Funcs(timeFuncs(zv.loc))
	return zv.pages[name], nil
}

func parseViews(static *staticFiles, caps []Capability) (*views, error) {
	funcs := template.FuncMap{
		"static": static.url,
		"deref":  func(b *bool) bool { return b != nil && *b },
		// outcome is an addressable decision's outcome in words.
		"outcome": OutcomeLabel,
	}
	maps.Copy(funcs, timeFuncs(time.UTC))
	// The layout and the partials (files starting with "_") are shared by
	// every page.
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	v := &views{pages: map[string]*template.Template{}, zones: map[string]*zoneViews{}}
	kernel, err := fs.Sub(assets, "templates")
	if err != nil {
		return nil, err
	}
	if err := v.add(layout, kernel, "kernel"); err != nil {
		return nil, err
	}
	for _, c := range caps {
		if err := v.add(layout, c.Templates(), fmt.Sprintf("%T", c)); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// add parses the pages in fsys, each with the layout, the kernel's partials
// and fsys's own partials.
func (v *views) add(layout *template.Template, fsys fs.FS, owner string) error {
	base := layout
	partials, err := fs.Glob(fsys, "_*.html")
	if err != nil {
		return err
	}
	if len(partials) > 0 && owner != "kernel" {
		if base, err = template.Must(layout.Clone()).ParseFS(fsys, partials...); err != nil {
			return fmt.Errorf("parse %s partials: %w", owner, err)
		}
	}
	files, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return err
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		if _, dup := v.pages[name]; dup {
			return fmt.Errorf("page %q of %s is defined twice", name, owner)
		}
		t, err := template.Must(base.Clone()).ParseFS(fsys, f)
		if err != nil {
			return fmt.Errorf("parse template %s: %w", name, err)
		}
		v.pages[name] = t
	}
	return nil
}

// PageData is implemented by every page view model through its embedded
// Page.
type PageData interface{ page() *Page }

func (p *Page) page() *Page { return p }

// render writes the named page with the given status. Rendering goes to a
// buffer first, so a template error becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data PageData) {
	p := data.page()
	p.Demo = s.cfg.Demo
	p.Version = s.cfg.Version
	if a := OrgOf(r.Context()); a != nil && p.Tenant == nil {
		p.Tenant = &OrgContext{Slug: a.Org.Slug, Name: a.Org.Name, Role: a.Role}
		if a.Emergency != nil {
			p.Tenant.EmergencyUntil = a.Emergency.EndsAt
			p.Tenant.EmergencyID = a.Emergency.ID
		}
	}
	if pr := PrincipalOf(r.Context()); pr != nil && pr.Session != nil && p.Viewer == nil {
		p.Viewer = &Viewer{
			ID:          pr.User.ID,
			Name:        pr.User.Name,
			Email:       pr.User.Email,
			Admin:       pr.User.Admin,
			CSRF:        pr.Session.CSRF,
			IdleSeconds: int(pr.Session.Idle / time.Second),
			Pending:     s.pendingStep(r, pr) != "",
		}
		if p.Viewer.Name == "" {
			p.Viewer.Name = pr.User.Email
		}
		n, err := s.db.UnreadNotifications(r.Context(), pr.User.ID)
		if err != nil {
			s.log.WarnContext(r.Context(), "count notifications", slog.Any("err", err))
		}
		p.Viewer.Unread = n
	}
	zone := ""
	if a := OrgOf(r.Context()); a != nil {
		zone = a.Org.TimeZone
	}
	var buf bytes.Buffer
	t, err := s.views.page(name, zone)
	if err == nil {
		err = t.ExecuteTemplate(&buf, "layout.html", data)
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "render page", slog.String("page", name),
			slog.String("request_id", requestID(r.Context())), slog.Any("err", err))
		http.Error(w, "Something went wrong on our side. Request "+requestID(r.Context()), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if _, err := w.Write(buf.Bytes()); err != nil {
		s.log.DebugContext(r.Context(), "write page", slog.Any("err", err))
	}
}

// staticFiles serves the embedded static folder under content-hash URLs, so
// a file can be cached for ever and a new release still reaches every browser.
type staticFiles struct {
	files map[string]staticFile // by name
}

type staticFile struct {
	hash string
	body []byte
	typ  string
}

func newStaticFiles() (*staticFiles, error) {
	sf := &staticFiles{files: map[string]staticFile{}}
	err := fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		name := strings.TrimPrefix(p, "static/")
		typ := mime.TypeByExtension(path.Ext(name))
		if typ == "" {
			typ = "application/octet-stream"
		}
		sf.files[name] = staticFile{hash: hex.EncodeToString(sum[:6]), body: body, typ: typ}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static files: %w", err)
	}
	return sf, nil
}

// url is the template function that turns a static file's name into its
// content-hash URL. An unknown name is a bug in a template, caught by tests.
func (sf *staticFiles) url(name string) (string, error) {
	f, ok := sf.files[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + f.hash + "/" + name, nil
}

func (s *Server) staticFile(w http.ResponseWriter, r *http.Request) error {
	f, ok := s.static.files[r.PathValue("name")]
	if !ok || f.hash != r.PathValue("hash") {
		return &HTTPError{Code: http.StatusNotFound, Msg: "No such file."}
	}
	w.Header().Set("Content-Type", f.typ)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("ETag", `"`+f.hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+f.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	_, err := w.Write(f.body)
	return err
}

// UpperFirst capitalises the first letter of s (ASCII), for labels made
// from names such as "administrative".
func UpperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Day is a date as the pages show it ("2 January 2006"), empty for none.
func Day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 January 2006")
}

func OrgCrumbs(a *OrgAccess, more ...Crumb) []Crumb {
	c := []Crumb{{Label: "Organisations", URL: "/"}, {Label: a.Org.Name, URL: "/orgs/" + a.Org.Slug}}
	if len(more) == 0 {
		c[1].URL = ""
	}
	return append(c, more...)
}
