package catalogweb

// The FAQ, the comparison of two profiles, and search.

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The FAQ, the comparison of two profiles, and search.

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
	// Status says how many questions are shown, in words.
	Status string
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
	v.Status = count(v.Total, "question", "questions") + "."
	if q != "" {
		verb := "match"
		if len(v.Items) == 1 {
			verb = "matches"
		}
		v.Status = fmt.Sprintf("%d of %s %s “%s”.", len(v.Items), count(v.Total, "question", "questions"), verb, q)
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
	Change catalogBadge
	// Citation is the reference shown, never a key.
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
		if catalog.IsKey(d.Citation) {
			row.Citation = catalog.ProposedReference(d.ProposedCitation, d.CitationApproximate)
		}
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
	// Status says how much was found, in words.
	Status string
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
			v.FAQs = append(v.FAQs, entryRow{Title: h.Title, URL: faqHref(h.ID), Snippet: h.Snippet})
		}
	}
	v.Status = count(len(v.Entries), "entry", "entries") + " and " + count(len(v.FAQs), "FAQ answer", "FAQ answers") + " in the " + p.Title + "."
	h.s.Render(w, r, http.StatusOK, "catalog_search", v)
	return nil
}
