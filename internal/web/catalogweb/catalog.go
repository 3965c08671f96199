package catalogweb

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
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
	s.Route("GET /api/v1/catalog", signedIn, h.apiCatalog)
	s.Route("GET /api/v1/catalog/faq", signedIn, h.apiCatalogFAQ)
	s.Route("GET /api/v1/catalog/diff", signedIn, h.apiCatalogDiff)
	s.Route("GET /api/v1/catalog/search", signedIn, h.apiCatalogSearch)
	s.Route("GET /api/v1/catalog/{citation}", signedIn, h.apiCatalogEntry)
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
		Citation: e.Citation, Title: e.Title, URL: entryHref(e.Citation, profile),
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
	DiffURL  string
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
	v := &catalogView{
		Page: web.Page{Title: ci.Title + " · Catalogue", Breadcrumbs: []web.Crumb{
			{Label: "Catalogue", URL: catalogHref("/catalog", p.ID)}, {Label: ci.Title},
		}},
		Bar:      newCatalogBar(cat, p, func(id string) string { return categoryHref(ci.ID, id) }),
		Summary:  p.Summary,
		Category: &block,
		Entries:  len(block.Rows),
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

// catalogLink is a labelled URL.
type catalogLink struct {
	Label string
	URL   string
}

// activityView is a key activity with links to the specifications it serves.
type activityView struct {
	Title     string
	Specs     []catalogLink
	Questions []string
}

// changeView is what one entry's change between two profiles looks like.
type changeView struct {
	// FromTitle and ToTitle name the profiles compared.
	FromTitle   string
	ToTitle     string
	ToProposed  bool
	Change      catalogBadge
	Fields      []catalog.FieldChange
	Parameters  []catalog.Parameter
	ProposedAt  string
	Approximate bool
	Note        string
	// URL shows the entry in the other profile, OtherTitle, when it exists
	// there.
	URL        string
	OtherTitle string
}

// diffFieldLabels name the fields a Difference reports.
var diffFieldLabels = map[string]string{
	"title": "Title", "kind": "Kind", "requirement": "Requirement", "standard": "Parent standard",
	"category": "Category", "proposed_citation": "Paragraph in the proposal",
}

// catalogEntryView is an entry's page.
type catalogEntryView struct {
	web.Page
	Bar           catalogBar
	Entry         catalog.Entry
	Kind          catalogBadge
	Requirement   catalogBadge
	CategoryTitle string
	CategoryURL   string
	Standard      *catalogLink
	Specs         []entryRow
	Activities    []activityView
	// Crosswalk is the entry's own or, for a specification without one, its
	// standard's (InheritedFrom says which).
	Crosswalk       catalog.Crosswalk
	InheritedFrom   *catalogLink
	CrosswalkSource string
	FAQs            []catalogLink
	// FoundAs and FoundHow explain the reference that led here.
	FoundAs  string
	FoundHow string
	Changes  []changeView
}

func (h *Handler) catalogEntryPage(w http.ResponseWriter, r *http.Request) error {
	cat, p, err := h.catalogAndProfile(r)
	if err != nil {
		return err
	}
	ref := r.PathValue("citation")
	e, err := p.Entry(ref)
	var nf *catalog.NotFoundError
	if errors.As(err, &nf) {
		return h.catalogMissing(w, r, cat, p, ref, nf)
	} else if err != nil {
		return err
	}
	if ref != e.Citation {
		// Another spelling, an alias or a former citation: send the browser
		// to the one address of the entry, saying how it got there.
		from := catalog.CanonicalCitation(ref)
		if from == e.Citation {
			from = ""
		}
		http.Redirect(w, r, catalogHref("/catalog/entries/"+url.PathEscape(e.Citation), p.ID, "from", from), http.StatusMovedPermanently)
		return nil
	}
	v := &catalogEntryView{
		Bar:             newCatalogBar(cat, p, func(id string) string { return entryHref(e.Citation, id) }),
		Entry:           e,
		Kind:            kindBadge(e.Kind),
		Requirement:     requirementBadge(e.Requirement),
		CategoryURL:     categoryHref(e.Category, p.ID),
		Crosswalk:       e.Crosswalk,
		CrosswalkSource: cat.CrosswalkSource(),
	}
	v.CategoryTitle = string(e.Category)
	if ci, ok := cat.Category(e.Category); ok {
		v.CategoryTitle = ci.Title
	}
	crumbs := []web.Crumb{{Label: "Catalogue", URL: catalogHref("/catalog", p.ID)}, {Label: v.CategoryTitle, URL: v.CategoryURL}}
	if e.Standard != "" && e.Standard != e.Citation {
		if std, err := p.Entry(e.Standard); err == nil {
			v.Standard = &catalogLink{Label: std.Citation + " " + std.Title, URL: entryHref(std.Citation, p.ID)}
			crumbs = append(crumbs, web.Crumb{Label: v.Standard.Label, URL: v.Standard.URL})
			if len(e.Crosswalk.CSF)+len(e.Crosswalk.SP80053) == 0 {
				v.Crosswalk, v.InheritedFrom = std.Crosswalk, v.Standard
			}
		}
	}
	crumbs = append(crumbs, web.Crumb{Label: e.Citation + " " + e.Title})
	v.Page = web.Page{Title: e.Citation + " " + e.Title + " · Catalogue", Breadcrumbs: crumbs}
	kids, _ := p.Children(e.Citation)
	for _, k := range kids {
		v.Specs = append(v.Specs, newEntryRow(k, p.ID))
	}
	for _, ka := range e.KeyActivities {
		av := activityView{Title: ka.Title, Questions: ka.Questions}
		for _, c := range ka.Specs {
			l := catalogLink{Label: c}
			if se, err := p.Entry(c); err == nil {
				l = catalogLink{Label: se.Citation + " " + se.Title, URL: entryHref(se.Citation, p.ID)}
			}
			av.Specs = append(av.Specs, l)
		}
		v.Activities = append(v.Activities, av)
	}
	for _, id := range e.FAQ {
		if f, ok := cat.FAQ(id); ok {
			v.FAQs = append(v.FAQs, catalogLink{Label: f.Question, URL: faqHref(f.ID)})
		}
	}
	if from := r.URL.Query().Get("from"); from != "" {
		if i, err := p.Entry(from); err == nil && i.Citation == e.Citation {
			v.FoundAs, v.FoundHow = catalog.ResolvedHow(from, e)
		}
	}
	v.Changes, err = entryChanges(cat, p, e.Citation)
	if err != nil {
		return err
	}
	h.s.Render(w, r, http.StatusOK, "catalog_entry", v)
	return nil
}

// entryChanges says what would become of an entry of the rule in force under
// each proposed profile or, for a proposed profile, what it changes.
func entryChanges(cat *catalog.Catalog, p *catalog.Profile, citation string) ([]changeView, error) {
	type pair struct{ a, b *catalog.Profile }
	var pairs []pair
	if p.Proposed() {
		cur, err := cat.Profile(catalog.ProfileCurrent)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, pair{cur, p})
	} else {
		for _, o := range cat.Profiles() {
			if o.Proposed() {
				pairs = append(pairs, pair{p, o})
			}
		}
	}
	var out []changeView
	for _, pr := range pairs {
		diffs, err := cat.Diff(pr.a.ID, pr.b.ID)
		if err != nil {
			return nil, err
		}
		other := pr.b
		if p.Proposed() {
			other = pr.a
		}
		cv := changeView{FromTitle: pr.a.Title, ToTitle: pr.b.Title, ToProposed: pr.b.Proposed(), Change: changeBadge(""), OtherTitle: other.Title}
		if _, err := other.Entry(citation); err == nil {
			cv.URL = entryHref(citation, other.ID)
		}
		if i := slices.IndexFunc(diffs, func(d catalog.Difference) bool { return d.Citation == citation }); i >= 0 {
			d := diffs[i]
			cv.Change, cv.Parameters = changeBadge(d.Change), d.Parameters
			if !p.Proposed() {
				// On the proposed profile's page the note is the entry's own.
				cv.Note = d.Note
			}
			cv.ProposedAt, cv.Approximate = d.ProposedCitation, d.CitationApproximate
			for _, f := range d.Fields {
				if f.Field == "proposed_citation" {
					continue // shown with its precision
				}
				f.Field = cmp.Or(diffFieldLabels[f.Field], f.Field)
				f.From, f.To = cmp.Or(f.From, "(none)"), cmp.Or(f.To, "(none)")
				cv.Fields = append(cv.Fields, f)
			}
		}
		out = append(out, cv)
	}
	return out, nil
}

// catalogMissingView answers a citation that matches no entry.
type catalogMissingView struct {
	web.Page
	Bar         catalogBar
	Ref         string
	Suggestions []entryRow
	// Elsewhere lists the entry in the other profiles that have it.
	Elsewhere []catalogLink
}

func (h *Handler) catalogMissing(w http.ResponseWriter, r *http.Request, cat *catalog.Catalog, p *catalog.Profile, ref string, nf *catalog.NotFoundError) error {
	v := &catalogMissingView{
		Page: web.Page{Title: "No such entry · Catalogue", Breadcrumbs: []web.Crumb{
			{Label: "Catalogue", URL: catalogHref("/catalog", p.ID)}, {Label: "No such entry"},
		}},
		Bar: newCatalogBar(cat, p, nil),
		Ref: ref,
	}
	v.Bar.Query = ref
	for _, e := range nf.Suggestions {
		v.Suggestions = append(v.Suggestions, newEntryRow(e, p.ID))
	}
	for _, o := range cat.Profiles() {
		if o.ID == p.ID {
			continue
		}
		if e, err := o.Entry(ref); err == nil {
			v.Elsewhere = append(v.Elsewhere, catalogLink{Label: e.Citation + " " + e.Title + " in the " + o.Title, URL: entryHref(e.Citation, o.ID)})
		}
	}
	h.s.Render(w, r, http.StatusNotFound, "catalog_missing", v)
	return nil
}

// faqView is one FAQ with links to the entries it concerns.
type faqView struct {
	ID       string
	Topic    string
	Question string
	Answer   string
	Entries  []entryRow
}

// catalogFAQView lists the FAQ, or those matching a query.
type catalogFAQView struct {
	web.Page
	Bar   catalogBar
	Query string
	Items []faqView
	Total int
}

func (h *Handler) catalogFAQPage(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	cur, err := cat.Profile(catalog.ProfileCurrent)
	if err != nil {
		return err
	}
	q, err := catalogQuery(r)
	if err != nil {
		return err
	}
	v := &catalogFAQView{
		Page: web.Page{Title: "Security Rule FAQ · Catalogue", Breadcrumbs: []web.Crumb{
			{Label: "Catalogue", URL: "/catalog"}, {Label: "FAQ"},
		}},
		Bar:   newCatalogBar(cat, cur, nil),
		Query: q,
		Total: len(cat.FAQs()),
	}
	for _, f := range findFAQs(cat, q) {
		fv := faqView{ID: f.ID, Topic: f.Topic, Question: f.Question, Answer: f.Answer}
		for _, c := range f.Entries {
			if e, err := cur.Entry(c); err == nil {
				fv.Entries = append(fv.Entries, newEntryRow(e, cur.ID))
			}
		}
		v.Items = append(v.Items, fv)
	}
	h.s.Render(w, r, http.StatusOK, "catalog_faq", v)
	return nil
}

// findFAQs returns every FAQ for an empty query, the one a query names by
// its identifier, or those the query matches, best first.
func findFAQs(cat *catalog.Catalog, q string) []catalog.FAQ {
	if q == "" {
		return cat.FAQs()
	}
	if f, ok := cat.FAQ(q); ok {
		return []catalog.FAQ{f}
	}
	var out []catalog.FAQ
	for _, h := range cat.SearchFAQ(q) {
		if f, ok := cat.FAQ(h.ID); ok {
			out = append(out, f)
		}
	}
	return out
}

// diffRow is one entry's change in the diff table.
type diffRow struct {
	Change   catalogBadge
	Citation string
	Title    string
	URL      string
	What     []string
	Note     string
}

// profileOption is a profile in a select box.
type profileOption struct {
	ID       string
	Title    string
	Selected bool
}

// catalogDiffView compares two profiles entry by entry.
type catalogDiffView struct {
	web.Page
	Bar      catalogBar
	A, B     catalogBar
	OptionsA []profileOption
	OptionsB []profileOption
	Rows     []diffRow
	Added    int
	Removed  int
	Changed  int
}

func (h *Handler) catalogDiffPage(w http.ResponseWriter, r *http.Request) error {
	cat, a, b, diffs, err := h.diff(r)
	if err != nil {
		return err
	}
	cur, err := cat.Profile(catalog.ProfileCurrent)
	if err != nil {
		return err
	}
	v := &catalogDiffView{
		Page: web.Page{Title: "What the proposed rule changes · Catalogue", Breadcrumbs: []web.Crumb{
			{Label: "Catalogue", URL: "/catalog"}, {Label: "Compare versions"},
		}},
		Bar: newCatalogBar(cat, cur, nil),
		A:   newCatalogBar(cat, a, nil),
		B:   newCatalogBar(cat, b, nil),
	}
	if !a.Proposed() && !b.Proposed() || a.ID == b.ID {
		v.Page.Title = "Compare versions of the rule · Catalogue"
	}
	for _, p := range cat.Profiles() {
		v.OptionsA = append(v.OptionsA, profileOption{ID: p.ID, Title: p.Title, Selected: p.ID == a.ID})
		v.OptionsB = append(v.OptionsB, profileOption{ID: p.ID, Title: p.Title, Selected: p.ID == b.ID})
	}
	for _, d := range diffs {
		row := diffRow{Change: changeBadge(d.Change), Citation: d.Citation, Title: d.Title, Note: d.Note}
		if d.Change == catalog.ChangeRemoved {
			row.URL = entryHref(d.Citation, a.ID)
		} else {
			row.URL = entryHref(d.Citation, b.ID)
		}
		for _, f := range d.Fields {
			if f.Field == "proposed_citation" {
				continue
			}
			row.What = append(row.What, fmt.Sprintf("%s: %s → %s", cmp.Or(diffFieldLabels[f.Field], f.Field), cmp.Or(f.From, "(none)"), cmp.Or(f.To, "(none)")))
		}
		if d.ProposedCitation != "" {
			at := "Proposed at " + d.ProposedCitation
			if d.CitationApproximate {
				at += " (approximate)"
			}
			row.What = append(row.What, at)
		}
		for _, prm := range d.Parameters {
			t := prm.Text
			if prm.Approximate {
				t += " (approximate)"
			}
			row.What = append(row.What, t)
		}
		switch d.Change {
		case catalog.ChangeAdded:
			v.Added++
		case catalog.ChangeRemoved:
			v.Removed++
		default:
			v.Changed++
		}
		v.Rows = append(v.Rows, row)
	}
	h.s.Render(w, r, http.StatusOK, "catalog_diff", v)
	return nil
}

// diffProfiles reads the a and b parameters: the rule in force and the
// proposed rule unless they say otherwise.
// diff is what the diff page and its API share: the catalogue, the two
// profiles the request compares (a and b), and their differences.
func (h *Handler) diff(r *http.Request) (*catalog.Catalog, *catalog.Profile, *catalog.Profile, []catalog.Difference, error) {
	cat, err := h.catalog()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	a, b, err := diffProfiles(r, cat)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	diffs, err := cat.Diff(a.ID, b.ID)
	return cat, a, b, diffs, err
}

func diffProfiles(r *http.Request, cat *catalog.Catalog) (*catalog.Profile, *catalog.Profile, error) {
	problems := validate.Error{}
	a, errA := catalogProfile(r, cat, "a", catalog.ProfileCurrent)
	b, errB := catalogProfile(r, cat, "b", proposedProfile(cat))
	for _, err := range []error{errA, errB} {
		var v validate.Error
		if errors.As(err, &v) {
			for f, m := range v {
				problems.Add(f, m)
			}
		}
	}
	if err := problems.Err(); err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

// catalogSearchView lists what a query finds.
type catalogSearchView struct {
	web.Page
	Bar     catalogBar
	Query   string
	Entries []entryRow
	FAQs    []entryRow
}

func (h *Handler) catalogSearchPage(w http.ResponseWriter, r *http.Request) error {
	cat, p, err := h.catalogAndProfile(r)
	if err != nil {
		return err
	}
	q, err := catalogQuery(r)
	if err != nil {
		return err
	}
	title := "Search the catalogue"
	if q != "" {
		title = "Search: " + q
	}
	v := &catalogSearchView{
		Page: web.Page{Title: title + " · Catalogue", Breadcrumbs: []web.Crumb{
			{Label: "Catalogue", URL: catalogHref("/catalog", p.ID)}, {Label: "Search"},
		}},
		Bar:   newCatalogBar(cat, p, func(id string) string { return catalogHref("/catalog/search", id, "q", q) }),
		Query: q,
	}
	v.Bar.Query = q
	for _, h := range p.Search(q) {
		switch h.Kind {
		case catalog.HitEntry:
			e, err := p.Entry(h.ID)
			if err != nil {
				continue
			}
			row := newEntryRow(e, p.ID)
			row.Snippet = h.Snippet
			v.Entries = append(v.Entries, row)
		case catalog.HitFAQ:
			v.FAQs = append(v.FAQs, entryRow{Citation: h.ID, Title: h.Title, URL: faqHref(h.ID), Snippet: h.Snippet})
		}
	}
	h.s.Render(w, r, http.StatusOK, "catalog_search", v)
	return nil
}

// apiCatalog lists the entries of a profile, optionally of one category or
// requirement, in the order of the rule.
func (h *Handler) apiCatalog(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	problems := validate.Error{}
	q := r.URL.Query()
	p, err := catalogProfile(r, cat, "profile", catalog.ProfileCurrent)
	var perr validate.Error
	if errors.As(err, &perr) {
		problems.Add("profile", perr["profile"])
	}
	category := catalog.Category(q.Get("category"))
	if _, ok := cat.Category(category); category != "" && !ok {
		var ids []string
		for _, ci := range cat.Categories() {
			ids = append(ids, string(ci.ID))
		}
		problems.Add("category", "must be one of "+strings.Join(ids, ", "))
	}
	requirement := catalog.Requirement(q.Get("requirement"))
	if requirement != "" && !slices.Contains(catalog.Requirements(), requirement) {
		problems.Add("requirement", "must be required or addressable")
	}
	if err := problems.Err(); err != nil {
		return err
	}
	items := []catalog.Summary{}
	for _, e := range p.Entries() {
		if (category == "" || e.Category == category) && (requirement == "" || e.Requirement == requirement) {
			items = append(items, p.Summarize(e))
		}
	}
	return writeCatalogList(h, w, r, items)
}

// writeCatalogList writes one page of items as a list.
func writeCatalogList[T any](h *Handler, w http.ResponseWriter, r *http.Request, items []T) error {
	got, next, err := web.PageSlice(r, items)
	if err != nil {
		return err
	}
	if got == nil {
		got = []T{}
	}
	h.s.WriteJSON(w, r, http.StatusOK, web.List[T]{Items: got, NextCursor: next})
	return nil
}

func (h *Handler) apiCatalogEntry(w http.ResponseWriter, r *http.Request) error {
	cat, p, err := h.catalogAndProfile(r)
	if err != nil {
		return err
	}
	ref := r.PathValue("citation")
	out, err := cat.Detail(p, ref)
	var nf *catalog.NotFoundError
	if errors.As(err, &nf) {
		msg := fmt.Sprintf("There is no entry %q in profile %s.", ref, p.ID)
		if len(nf.Suggestions) > 0 {
			var s []string
			for _, x := range nf.Suggestions {
				s = append(s, x.Citation+" ("+x.Title+")")
			}
			msg += " Nearest: " + strings.Join(s, ", ") + "."
		}
		return &web.HTTPError{Code: http.StatusNotFound, Msg: msg, Err: err}
	} else if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, out)
	return nil
}

func (h *Handler) apiCatalogFAQ(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	q, err := catalogQuery(r)
	if err != nil {
		return err
	}
	items := findFAQs(cat, q)
	if items == nil {
		items = []catalog.FAQ{}
	}
	return writeCatalogList(h, w, r, items)
}

func (h *Handler) apiCatalogDiff(w http.ResponseWriter, r *http.Request) error {
	_, _, _, diffs, err := h.diff(r)
	if err != nil {
		return err
	}
	if diffs == nil {
		diffs = []catalog.Difference{}
	}
	return writeCatalogList(h, w, r, diffs)
}

func (h *Handler) apiCatalogSearch(w http.ResponseWriter, r *http.Request) error {
	_, p, err := h.catalogAndProfile(r)
	if err != nil {
		return err
	}
	q, err := catalogQuery(r)
	if err != nil {
		return err
	}
	if q == "" {
		return validate.Error{"q": "is required"}
	}
	hits := p.Search(q)
	if hits == nil {
		hits = []catalog.Hit{}
	}
	return writeCatalogList(h, w, r, hits)
}

// catalogAndProfile returns the catalogue and the profile the request's
// ?profile= names (the rule in force by default).
func (h *Handler) catalogAndProfile(r *http.Request) (*catalog.Catalog, *catalog.Profile, error) {
	cat, err := h.catalog()
	if err != nil {
		return nil, nil, err
	}
	p, err := catalogProfile(r, cat, "profile", catalog.ProfileCurrent)
	if err != nil {
		return nil, nil, err
	}
	return cat, p, nil
}
