package catalogweb

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The catalogue is the HIPAA Security Rule as data (internal/catalog): every
// standard and implementation specification with guidance, the FAQ, the
// crosswalks and the 2025 proposed rule. It holds no organisation's data, so
// every signed-in user may read all of it (DESIGN.md, "Catalogue").

// Handler serves the catalogue's pages and API.
type Handler struct {
	s   *web.Server
	cat *catalog.Catalog
}

// New returns the catalogue capability for cat; nil means the embedded
// catalogue.
func New(cat *catalog.Catalog) *Handler { return &Handler{cat: cat} }

//go:embed all:templates
var templates embed.FS

// Templates returns the catalogue's pages.
func (h *Handler) Templates() fs.FS { return web.TemplatesIn(templates) }

// Register adds the catalogue's routes to s.
func (h *Handler) Register(s *web.Server) {
	h.s = s
	signedIn := identity.PermSignedIn
	s.Route("GET /catalog", signedIn, h.catalogPage)
	s.Route("GET /catalog/general", signedIn, h.catalogGeneralPage)
	s.Route("GET /catalog/categories/{category}", signedIn, h.catalogCategoryPage)
	s.Route("GET /catalog/entries/{citation}", signedIn, h.catalogEntryPage)
	s.Route("GET /catalog/faq", signedIn, h.catalogFAQPage)
	s.Route("GET /catalog/diff", signedIn, h.catalogDiffPage)
	s.Route("GET /catalog/search", signedIn, h.catalogSearchPage)
	profile := web.Param{Name: "profile", Description: "the rule's profile: current (default) or proposed"}
	s.Route("GET /api/v1/catalog", signedIn, h.apiCatalog)
	s.Doc("GET /api/v1/catalog", web.APIDoc{Summary: "The entries of the Security Rule in a profile, in the rule's order", Response: catalog.Summary{}, List: true,
		Query: []web.Param{profile, {Name: "category", Description: "only entries of this category"}, {Name: "requirement", Description: "required or addressable"}}})
	s.Route("GET /api/v1/catalog/faq", signedIn, h.apiCatalogFAQ)
	s.Doc("GET /api/v1/catalog/faq", web.APIDoc{Summary: "Frequently asked questions about the rule", Response: catalog.FAQ{}, List: true,
		Query: []web.Param{{Name: "q", Description: "words to look for"}}})
	s.Route("GET /api/v1/catalog/diff", signedIn, h.apiCatalogDiff)
	s.Doc("GET /api/v1/catalog/diff", web.APIDoc{Summary: "What differs between two profiles of the rule", Response: catalog.Difference{}, List: true,
		Query: []web.Param{{Name: "a", Description: "the first profile (current)"}, {Name: "b", Description: "the second profile (proposed)"}}})
	s.Route("GET /api/v1/catalog/search", signedIn, h.apiCatalogSearch)
	s.Doc("GET /api/v1/catalog/search", web.APIDoc{Summary: "Search the rule's entries", Response: catalog.Hit{}, List: true,
		Query: []web.Param{{Name: "q", Description: "words to look for", Required: true}, profile}})
	s.Route("GET /api/v1/catalog/{citation}", signedIn, h.apiCatalogEntry)
	s.Doc("GET /api/v1/catalog/{citation}", web.APIDoc{Summary: "One entry of the rule, with its guidance", Response: catalog.EntryDetail{}, Query: []web.Param{profile}})
}

// catalog returns the catalogue served.
func (h *Handler) catalog() (*catalog.Catalog, error) {
	if h.cat != nil {
		return h.cat, nil
	}
	return catalog.Default()
}

// maxCatalogQuery bounds a search query; no title or question is longer.
const maxCatalogQuery = 200

// catalogProfile returns the profile the query parameter names, the rule in
// force when it names none.
func catalogProfile(r *http.Request, cat *catalog.Catalog, param string, def string) (*catalog.Profile, error) {
	id := r.URL.Query().Get(param)
	if id == "" {
		id = def
	}
	p, err := cat.Profile(id)
	if err != nil {
		return nil, validate.Error{param: "must be one of " + strings.Join(cat.ProfileIDs(), ", ")}
	}
	return p, nil
}

// proposedProfile returns the identifier of the first proposed profile, the
// natural partner of the rule in force in a comparison.
func proposedProfile(cat *catalog.Catalog) string {
	for _, p := range cat.Profiles() {
		if p.Proposed() {
			return p.ID
		}
	}
	return catalog.ProfileCurrent
}

// catalogQuery reads the search query, refusing one longer than maxCatalogQuery.
func catalogQuery(r *http.Request) (string, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) > maxCatalogQuery {
		return "", validate.Error{"q": fmt.Sprintf("must be at most %d characters", maxCatalogQuery)}
	}
	return q, nil
}

// catalogHref builds a catalogue URL. The profile is left out when it is the
// rule in force, so that ordinary links stay short; empty values are dropped.
func catalogHref(path, profile string, kv ...string) string {
	q := url.Values{}
	if profile != "" && profile != catalog.ProfileCurrent {
		q.Set("profile", profile)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func entryHref(citation, profile string) string {
	return catalogHref("/catalog/entries/"+url.PathEscape(citation), profile)
}

func categoryHref(c catalog.Category, profile string) string {
	return catalogHref("/catalog/categories/"+url.PathEscape(string(c)), profile)
}

func faqHref(id string) string { return "/catalog/faq#faq-" + id }

// count says how many of something there are, in the singular for one:
// "1 entry", "3 entries".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// catalogBadge is a label shown as text in a box; its class only adds colour.
type catalogBadge struct {
	Class string
	Label string
}

func kindBadge(k catalog.Kind) catalogBadge {
	if k == catalog.KindStandard {
		return catalogBadge{"kind-standard", "Standard"}
	}
	return catalogBadge{"kind-spec", "Implementation specification"}
}

func requirementBadge(r catalog.Requirement) catalogBadge {
	switch r {
	case catalog.Required:
		return catalogBadge{"req-required", "Required"}
	case catalog.Addressable:
		return catalogBadge{"req-addressable", "Addressable"}
	}
	return catalogBadge{"req-none", "See its specifications"}
}

func changeBadge(change string) catalogBadge {
	switch change {
	case catalog.ChangeAdded:
		return catalogBadge{"change-added", "Added"}
	case catalog.ChangeRemoved:
		return catalogBadge{"change-removed", "Removed"}
	case catalog.ChangeChanged:
		return catalogBadge{"change-changed", "Changed"}
	}
	return catalogBadge{"change-none", "Unchanged"}
}

// catalogBar is the header of the catalogue pages: the search box and, where
// the page depends on it, the switch between versions of the rule.
type catalogBar struct {
	ProfileID     string
	ProfileTitle  string
	ProfileSource string
	Proposed      bool
	// Profiles is empty on pages that are the same in every version.
	Profiles []profileLink
	Query    string
	// Absent is set when the reader switched here from an entry this
	// version of the rule does not have.
	Absent *absentNotice
}

// profileLink shows the current page in another version of the rule.
type profileLink struct {
	ID       string
	Label    string
	URL      string
	Current  bool
	Proposed bool
}

// newCatalogBar describes p; here builds the current page's URL for another
// profile, and nil leaves out the switch.
func newCatalogBar(cat *catalog.Catalog, p *catalog.Profile, here func(profile string) string) catalogBar {
	b := catalogBar{ProfileID: p.ID, ProfileTitle: p.Title, ProfileSource: p.Source, Proposed: p.Proposed()}
	if here == nil {
		return b
	}
	for _, o := range cat.Profiles() {
		label := o.Title
		if o.ID == catalog.ProfileCurrent {
			label = "Rule in force"
		}
		b.Profiles = append(b.Profiles, profileLink{ID: o.ID, Label: label, URL: here(o.ID), Current: o.ID == p.ID, Proposed: o.Proposed()})
	}
	return b
}

// entryRow is one line of a list of entries.
type entryRow struct {
	// Citation is the reference shown: the CFR paragraph, or the proposed
	// one of an entry only the proposal has (never its key).
	Citation    string
	Title       string
	URL         string
	Kind        catalogBadge
	Requirement catalogBadge
	// Spec marks an implementation specification, shown under its standard.
	Spec        bool
	ProposedAt  string
	Approximate bool
	Snippet     string
}

func newEntryRow(e catalog.Entry, profile string) entryRow {
	return entryRow{
		Citation: e.Reference(), Title: e.Title, URL: entryHref(e.Citation, profile),
		Kind: kindBadge(e.Kind), Requirement: requirementBadge(e.Requirement),
		Spec: e.Kind == catalog.KindSpecification, ProposedAt: e.ProposedCitation, Approximate: e.CitationApproximate,
	}
}

// categoryBlock is one safeguard category with its entries, each standard
// followed by its specifications.
type categoryBlock struct {
	ID          string
	Title       string
	Section     string
	Description string
	URL         string
	Rows        []entryRow
	Standards   int
	Specs       int
	// Counts says how many standards and specifications, in words.
	Counts string
	// Proposed adds the column of proposed paragraphs.
	Proposed bool
}

func newCategoryBlock(p *catalog.Profile, ci catalog.CategoryInfo) categoryBlock {
	b := categoryBlock{ID: string(ci.ID), Title: ci.Title, Section: ci.Section, Description: ci.Description, URL: categoryHref(ci.ID, p.ID), Proposed: p.Proposed()}
	entries := p.ByCategory(ci.ID)
	shown := map[string]bool{}
	add := func(e catalog.Entry) {
		shown[e.Citation] = true
		b.Rows = append(b.Rows, newEntryRow(e, p.ID))
		if e.Kind == catalog.KindStandard {
			b.Standards++
		} else {
			b.Specs++
		}
	}
	for _, e := range entries {
		if e.Kind != catalog.KindStandard {
			continue
		}
		add(e)
		kids, _ := p.Children(e.Citation)
		for _, k := range kids {
			if k.Category == ci.ID {
				add(k)
			}
		}
	}
	// A specification whose standard sits elsewhere still belongs here.
	for _, e := range entries {
		if !shown[e.Citation] {
			add(e)
		}
	}
	b.Counts = count(b.Standards, "standard", "standards") + ", " + count(b.Specs, "implementation specification", "implementation specifications")
	return b
}

// catalogView is the catalogue's front page, and a category's page.
type catalogView struct {
	web.Page
	Bar        catalogBar
	Summary    string
	Categories []categoryBlock
	// Category is set on a category's own page.
	Category *categoryBlock
	General  catalog.GeneralRules
	Entries  int
	FAQs     int
	// EntriesLabel and FAQsLabel are the counts in words.
	EntriesLabel string
	FAQsLabel    string
	DiffURL      string
}

func (h *Handler) catalogPage(w http.ResponseWriter, r *http.Request) error {
	cat, p, err := h.catalogAndProfile(r)
	if err != nil {
		return err
	}
	v := &catalogView{
		Page:    web.Page{Title: "Security Rule catalogue", Breadcrumbs: []web.Crumb{{Label: "Catalogue"}}},
		Bar:     newCatalogBar(cat, p, func(id string) string { return catalogHref("/catalog", id) }),
		Summary: p.Summary, General: cat.General(), Entries: p.Len(), FAQs: len(cat.FAQs()),
		EntriesLabel: count(p.Len(), "entry", "entries"), FAQsLabel: count(len(cat.FAQs()), "question", "questions"),
		DiffURL: catalogHref("/catalog/diff", "", "a", catalog.ProfileCurrent, "b", proposedProfile(cat)),
	}
	if p.Proposed() {
		v.Page.Title = "Security Rule catalogue: proposed rule"
	}
	for _, ci := range cat.Categories() {
		v.Categories = append(v.Categories, newCategoryBlock(p, ci))
	}
	h.s.Render(w, r, http.StatusOK, "catalog", v)
	return nil
}

func (h *Handler) catalogCategoryPage(w http.ResponseWriter, r *http.Request) error {
	cat, p, err := h.catalogAndProfile(r)
	if err != nil {
		return err
	}
	ci, ok := cat.Category(catalog.Category(r.PathValue("category")))
	if !ok {
		return &web.HTTPError{Code: http.StatusNotFound, Msg: "There is no such safeguard category. The catalogue lists them all."}
	}
	block := newCategoryBlock(p, ci)
	bar := newCatalogBar(cat, p, func(id string) string { return categoryHref(ci.ID, id) })
	bar.Absent = absentNote(cat, p, r, "its category")
	v := &catalogView{
		Page: web.Page{Title: ci.Title + " · Catalogue", Breadcrumbs: []web.Crumb{
			{Label: "Catalogue", URL: catalogHref("/catalog", p.ID)}, {Label: ci.Title},
		}},
		Bar:          bar,
		Summary:      p.Summary,
		Category:     &block,
		Entries:      len(block.Rows),
		EntriesLabel: count(len(block.Rows), "entry", "entries"),
	}
	h.s.Render(w, r, http.StatusOK, "catalog", v)
	return nil
}

// catalogGeneralView explains §164.306.
type catalogGeneralView struct {
	web.Page
	Bar     catalogBar
	General catalog.GeneralRules
	DiffURL string
}

func (h *Handler) catalogGeneralPage(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	cur, err := cat.Profile(catalog.ProfileCurrent)
	if err != nil {
		return err
	}
	g := cat.General()
	v := &catalogGeneralView{
		Page: web.Page{Title: "General rules (§" + g.Citation + ") · Catalogue", Breadcrumbs: []web.Crumb{
			{Label: "Catalogue", URL: "/catalog"}, {Label: "General rules"},
		}},
		Bar:     newCatalogBar(cat, cur, nil),
		General: g,
		DiffURL: catalogHref("/catalog/diff", "", "a", catalog.ProfileCurrent, "b", proposedProfile(cat)),
	}
	h.s.Render(w, r, http.StatusOK, "catalog_general", v)
	return nil
}
