package riskweb

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Threats and vulnerabilities: the shipped library, in Safeguard's own
// words, and those the organisation adds.

// library is the shipped library and the profile its entries are cited
// from.
func (h *Handler) library() (risk.Library, *catalog.Profile, error) {
	cat, err := h.s.Catalog()
	if err != nil {
		return risk.Library{}, nil, err
	}
	prof, err := cat.Profile(catalog.ProfileCurrent)
	if err != nil {
		return risk.Library{}, nil, err
	}
	lib, err := risk.Shipped(cat)
	return lib, prof, err
}

// allThreats is the shipped library's threats followed by the
// organisation's own.
func (h *Handler) allThreats(r *http.Request) ([]risk.Threat, *catalog.Profile, error) {
	lib, prof, err := h.library()
	if err != nil {
		return nil, nil, err
	}
	own, err := h.s.DB().Threats(r.Context(), web.OrgOf(r.Context()).Org.ID)
	if err != nil {
		return nil, nil, err
	}
	return append(lib.Threats, own...), prof, nil
}

func (h *Handler) allVulnerabilities(r *http.Request) ([]risk.Vulnerability, *catalog.Profile, error) {
	lib, prof, err := h.library()
	if err != nil {
		return nil, nil, err
	}
	own, err := h.s.DB().Vulnerabilities(r.Context(), web.OrgOf(r.Context()).Org.ID)
	if err != nil {
		return nil, nil, err
	}
	return append(lib.Vulnerabilities, own...), prof, nil
}

// entryLink is a catalogue entry a threat or vulnerability names.
type entryLink struct {
	Citation, Title, URL string
}

func entryLinks(prof *catalog.Profile, citations []string) []entryLink {
	out := make([]entryLink, 0, len(citations))
	for _, c := range citations {
		l := entryLink{Citation: c, URL: "/catalog/entries/" + url.PathEscape(c)}
		if e, err := prof.Entry(c); err == nil {
			l.Title = e.Title
		}
		out = append(out, l)
	}
	return out
}

type threatItem struct {
	Key, Title, Description string
	Own                     bool
	Entries                 []entryLink
}

type threatGroup struct {
	Label   string
	Threats []threatItem
}

// threatForm is the add form as typed; Kind is "threat" or
// "vulnerability".
type threatForm struct {
	Kind, Source, Title, Description, Entries string
}

type threatsView struct {
	web.Page
	Org             identity.Org
	CanWrite        bool
	Groups          []threatGroup
	Vulnerabilities []threatItem
	Sources         []option
	Form            threatForm
	Problems        validate.Error
	// EntriesProblem gathers the problems with the citations typed.
	EntriesProblem string
	// Added is the key just added.
	Added string
}

func (h *Handler) threatsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderThreats(w, r, http.StatusOK, threatForm{}, nil)
}

func (h *Handler) renderThreats(w http.ResponseWriter, r *http.Request, status int, form threatForm, problems validate.Error) error {
	a := web.OrgOf(r.Context())
	threats, prof, err := h.allThreats(r)
	if err != nil {
		return err
	}
	vulns, _, err := h.allVulnerabilities(r)
	if err != nil {
		return err
	}
	v := &threatsView{
		Page: web.Page{Title: "Threats and vulnerabilities", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "ePHI inventory", URL: "/orgs/" + a.Org.Slug + "/inventory"}, web.Crumb{Label: "Threats and vulnerabilities"})},
		Org:  a.Org, CanWrite: a.Allows(identity.PermOrgWrite), Form: form, Problems: problems, Added: r.URL.Query().Get("added"),
	}
	var entries []string
	for _, k := range slices.Sorted(maps.Keys(problems)) {
		if k == "entries" || strings.HasPrefix(k, "entries.") {
			entries = append(entries, problems[k])
		}
	}
	if len(entries) > 0 {
		v.EntriesProblem = "The parts of the rule: " + strings.Join(entries, "; ") + "."
	}
	for _, s := range risk.Sources() {
		v.Sources = append(v.Sources, option{string(s), s.Label()})
		g := threatGroup{Label: s.Label()}
		for _, t := range threats {
			if t.Source == s {
				g.Threats = append(g.Threats, threatItem{Key: t.Key, Title: t.Title, Description: t.Description, Own: t.Own, Entries: entryLinks(prof, t.Entries)})
			}
		}
		if len(g.Threats) > 0 {
			v.Groups = append(v.Groups, g)
		}
	}
	for _, x := range vulns {
		v.Vulnerabilities = append(v.Vulnerabilities, threatItem{Key: x.Key, Title: x.Title, Description: x.Description, Own: x.Own, Entries: entryLinks(prof, x.Entries)})
	}
	h.s.Render(w, r, status, "threats", v)
	return nil
}

// threatsSubmit adds the organisation's own threat or vulnerability from
// the page's forms.
func (h *Handler) threatsSubmit(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	f := r.PostForm
	form := threatForm{Kind: f.Get("kind"), Source: f.Get("source"), Title: f.Get("title"), Description: f.Get("description"), Entries: f.Get("entries")}
	var key string
	var err error
	switch form.Kind {
	case "vulnerability":
		var v risk.Vulnerability
		v, err = h.s.DB().CreateVulnerability(r.Context(), h.s.Actor(r), a.Org.ID,
			risk.Vulnerability{Title: form.Title, Description: form.Description, Entries: splitEntries(form.Entries)})
		key = v.Key
	default:
		form.Kind = "threat"
		var t risk.Threat
		t, err = h.s.DB().CreateThreat(r.Context(), h.s.Actor(r), a.Org.ID,
			risk.Threat{Source: risk.Source(form.Source), Title: form.Title, Description: form.Description, Entries: splitEntries(form.Entries)})
		key = t.Key
	}
	var problems validate.Error
	if errors.As(err, &problems) {
		return h.renderThreats(w, r, http.StatusUnprocessableEntity, form, problems)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/orgs/"+a.Org.Slug+"/threats?added="+url.QueryEscape(key)+"#"+form.Kind+"s-h", http.StatusSeeOther)
	return nil
}

// splitEntries reads citations typed separated by commas, semicolons,
// spaces or lines.
func splitEntries(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

// The API: GET lists the shipped library and the organisation's own
// (marked "own"), paged; POST adds one of the organisation's own.

func (h *Handler) apiThreats(w http.ResponseWriter, r *http.Request) error {
	all, _, err := h.allThreats(r)
	if err != nil {
		return err
	}
	items, next, err := web.PageSlice(r, all)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, web.List[risk.Threat]{Items: items, NextCursor: next})
	return nil
}

func (h *Handler) apiThreatCreate(w http.ResponseWriter, r *http.Request) error {
	var in risk.Threat
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	out, err := h.s.DB().CreateThreat(r.Context(), h.s.Actor(r), web.OrgOf(r.Context()).Org.ID, in)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusCreated, out)
	return nil
}

func (h *Handler) apiVulnerabilities(w http.ResponseWriter, r *http.Request) error {
	all, _, err := h.allVulnerabilities(r)
	if err != nil {
		return err
	}
	items, next, err := web.PageSlice(r, all)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, web.List[risk.Vulnerability]{Items: items, NextCursor: next})
	return nil
}

func (h *Handler) apiVulnerabilityCreate(w http.ResponseWriter, r *http.Request) error {
	var in risk.Vulnerability
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	out, err := h.s.DB().CreateVulnerability(r.Context(), h.s.Actor(r), web.OrgOf(r.Context()).Org.ID, in)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusCreated, out)
	return nil
}
