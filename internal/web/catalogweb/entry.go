package catalogweb

// One entry of the catalogue: its text, guidance, crosswalks, and what the
// proposed rule would change in it.

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/web"
)

// One entry of the catalogue: its text, guidance, crosswalks and what the proposed rule would change.

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
	Bar   catalogBar
	Entry catalog.Entry
	// Reference is the entry's citation as shown (never a key).
	Reference     string
	Kind          catalogBadge
	Requirement   catalogBadge
	CategoryTitle string
	CategoryURL   string
	Standard      *catalogLink
	Specs         []entryRow
	Activities    []activityView
	// Crosswalk is the entry's own or, for a specification without one, its
	// standard's (InheritedFrom says which).
	Crosswalk     catalog.Crosswalk
	InheritedFrom *catalogLink
	// CrosswalkSources name who made each mapping: NIST's, and what
	// Safeguard adds.
	CrosswalkSources catalog.CrosswalkSources
	FAQs             []catalogLink
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
		Bar:              newCatalogBar(cat, p, func(id string) string { return switchHref(cat, e, id) }),
		Entry:            e,
		Reference:        e.Reference(),
		Kind:             kindBadge(e.Kind),
		Requirement:      requirementBadge(e.Requirement),
		CategoryURL:      categoryHref(e.Category, p.ID),
		Crosswalk:        e.Crosswalk,
		CrosswalkSources: cat.CrosswalkSources(),
	}
	v.CategoryTitle = string(e.Category)
	if ci, ok := cat.Category(e.Category); ok {
		v.CategoryTitle = ci.Title
	}
	crumbs := []web.Crumb{{Label: "Catalogue", URL: catalogHref("/catalog", p.ID)}, {Label: v.CategoryTitle, URL: v.CategoryURL}}
	if e.Standard != "" && e.Standard != e.Citation {
		if std, err := p.Entry(e.Standard); err == nil {
			v.Standard = &catalogLink{Label: std.Reference() + " " + std.Title, URL: entryHref(std.Citation, p.ID)}
			crumbs = append(crumbs, web.Crumb{Label: v.Standard.Label, URL: v.Standard.URL})
			if e.Crosswalk.IsZero() {
				v.Crosswalk, v.InheritedFrom = std.Crosswalk, v.Standard
			}
		}
	}
	crumbs = append(crumbs, web.Crumb{Label: v.Reference + " " + e.Title})
	v.Page = web.Page{Title: v.Reference + " " + e.Title + " · Catalogue", Breadcrumbs: crumbs}
	v.Bar.Absent = absentNote(cat, p, r, "its standard")
	kids, _ := p.Children(e.Citation)
	for _, k := range kids {
		v.Specs = append(v.Specs, newEntryRow(k, p.ID))
	}
	for _, ka := range e.KeyActivities {
		av := activityView{Title: ka.Title, Questions: ka.Questions}
		for _, c := range ka.Specs {
			l := catalogLink{Label: c}
			if se, err := p.Entry(c); err == nil {
				l = catalogLink{Label: se.Reference() + " " + se.Title, URL: entryHref(se.Citation, p.ID)}
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
			v.Elsewhere = append(v.Elsewhere, catalogLink{Label: e.Reference() + " " + e.Title + " in the " + o.Title, URL: entryHref(e.Citation, o.ID)})
			if catalog.IsKey(ref) {
				// A key names the entry to Safeguard, not to the reader.
				v.Ref = e.Reference() + " " + e.Title
			}
		}
	}
	h.s.Render(w, r, http.StatusNotFound, "catalog_missing", v)
	return nil
}

// switchHref is where the version switch of e's page leads for profile id:
// e's own page there or, when that version of the rule does not have the
// entry (one only the proposal adds, or one it drops), the nearest page it
// does have (e's standard, else e's category) with absent set, so that the
// page says why it is not e's.
func switchHref(cat *catalog.Catalog, e catalog.Entry, id string) string {
	o, err := cat.Profile(id)
	if err != nil || o.Has(e.Citation) {
		return entryHref(e.Citation, id)
	}
	if e.Standard != e.Citation && o.Has(e.Standard) {
		return catalogHref("/catalog/entries/"+url.PathEscape(e.Standard), id, "absent", e.Citation)
	}
	return catalogHref("/catalog/categories/"+url.PathEscape(string(e.Category)), id, "absent", e.Citation)
}

// absentNotice explains that the entry the reader switched from is not in
// this version of the rule, and links to it in the version that has it.
type absentNotice struct {
	Label        string
	ProfileTitle string
	Here         string
	URL          string
	OtherTitle   string
}

// absentNote reads the absent parameter switchHref sets. It is ignored
// unless p lacks the entry and another profile has it; nearest says what
// the page is to that entry ("its standard", "its category").
func absentNote(cat *catalog.Catalog, p *catalog.Profile, r *http.Request, nearest string) *absentNotice {
	ref := r.URL.Query().Get("absent")
	if ref == "" || p.Has(ref) {
		return nil
	}
	for _, o := range cat.Profiles() {
		if o.ID == p.ID || !o.Has(ref) {
			continue
		}
		e, err := o.Entry(ref)
		if err != nil {
			continue
		}
		return &absentNotice{
			Label: e.Reference() + " " + e.Title, ProfileTitle: p.Title, Here: nearest,
			URL: entryHref(e.Citation, o.ID), OtherTitle: o.Title,
		}
	}
	return nil
}
