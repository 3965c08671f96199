package catalogweb

// The catalogue's JSON API: entries, the FAQ, the differences between
// profiles and search, in pages.

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The catalogue's JSON API: entries, the FAQ, the differences between profiles and search, paged.

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
