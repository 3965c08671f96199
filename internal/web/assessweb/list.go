package assessweb

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The list of assessments, starting one (blank or copied from an earlier
// one), and comparing two entry by entry.

type assessmentsView struct {
	web.Page
	Slug     string
	Items    []assessItem
	CanWrite bool
	Profiles []kindOption
	Name     string
	DueAt    string
	CopyFrom string
	Problems validate.Error
	CompareA string
	CompareB string
	// NextURL links to the next page of Items ("" on the last).
	NextURL string
	// Choices are what the new-assessment form offers to copy from.
	Choices []assessItem
}

// copyChoices is how many of the newest assessments the new-assessment form
// offers to copy from (the one in effect is always offered too).
const copyChoices = 20

func (h *Handler) assessItemOf(slug string, a assess.Assessment, copyFrom string) assessItem {
	return assessItem{ID: a.ID, Name: a.Name, URL: fmt.Sprintf("/orgs/%s/assessments/%d", slug, a.ID),
		Status: a.Status.Label(), Final: a.Status == assess.StatusFinal, Started: web.Day(a.StartedAt), Due: web.Day(a.DueAt),
		FinalOn: web.Day(a.FinalisedAt), Entries: len(a.Entries), Selected: strconv.FormatInt(a.ID, 10) == copyFrom}
}

type assessItem struct {
	ID       int64
	Name     string
	URL      string
	Status   string
	Final    bool
	Started  string
	Due      string
	FinalOn  string
	Entries  int
	Selected bool
}

func (h *Handler) assessmentsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderAssessments(w, r, http.StatusOK, &assessmentsView{})
}

func (h *Handler) renderAssessments(w http.ResponseWriter, r *http.Request, status int, v *assessmentsView) error {
	o := web.OrgOf(r.Context())
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	as, next, err := h.s.DB().AssessmentPage(r.Context(), o.Org.ID, pg)
	if err != nil {
		return err
	}
	v.NextURL = web.NextPageURL(r, next)
	// What the forms offer to copy and compare: the newest assessments and
	// the one in effect, whichever page of the list is shown.
	// On the first page of a full-size list they are its first rows.
	var recent []assess.Assessment
	if pg.After.IsZero() && (len(as) >= copyChoices || next == nil) {
		recent = slices.Clone(as[:min(copyChoices, len(as))])
	} else if recent, _, err = h.s.DB().AssessmentPage(r.Context(), o.Org.ID, store.Page{Limit: copyChoices}); err != nil {
		return err
	}
	last, hasFinal, err := h.s.DB().LastFinalAssessment(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	if hasFinal && !slices.ContainsFunc(recent, func(a assess.Assessment) bool { return a.ID == last.ID }) {
		recent = append(recent, last)
	}
	v.Page = web.Page{Title: "Assessments", Breadcrumbs: assessCrumbs(r, assess.Assessment{})}
	v.Slug, v.CanWrite = o.Org.Slug, o.Allows(identity.PermOrgWrite)
	if v.Name == "" && v.Problems == nil {
		v.Name = fmt.Sprintf("%d Security Rule assessment", h.s.DB().Now().UTC().Year())
		if hasFinal {
			v.CopyFrom = strconv.FormatInt(last.ID, 10)
		}
	}
	for _, a := range as {
		v.Items = append(v.Items, h.assessItemOf(o.Org.Slug, a, v.CopyFrom))
	}
	for _, a := range recent {
		v.Choices = append(v.Choices, h.assessItemOf(o.Org.Slug, a, v.CopyFrom))
	}
	if len(recent) >= 2 {
		v.CompareA, v.CompareB = strconv.FormatInt(recent[1].ID, 10), strconv.FormatInt(recent[0].ID, 10)
	}
	org, err := h.s.DB().OrgProfile(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	cat, err := h.s.Catalog()
	if err != nil {
		return err
	}
	for _, p := range cat.Profiles() {
		v.Profiles = append(v.Profiles, kindOption{Value: p.ID, Label: p.Title, Selected: p.ID == org.CatalogProfile})
	}
	h.s.Render(w, r, status, "assess_list", v)
	return nil
}

func (h *Handler) assessmentCreate(w http.ResponseWriter, r *http.Request) error {
	o := web.OrgOf(r.Context())
	problems := validate.Error{}
	v := &assessmentsView{Name: r.PostFormValue("name"), DueAt: r.PostFormValue("due_at"), CopyFrom: r.PostFormValue("copy_from")}
	req := assessmentRequest{Name: v.Name, CatalogProfile: r.PostFormValue("catalog_profile")}
	req.DueAt.Time = parseDate(problems, "due_at", v.DueAt)
	var from int64
	if v.CopyFrom != "" {
		n, err := strconv.ParseInt(v.CopyFrom, 10, 64)
		if err != nil {
			problems.Add("copy_from", "is not one of the organisation's assessments")
		}
		from = n
	}
	if len(problems) == 0 {
		a, err := h.newAssessment(r, req)
		if err == nil {
			if from != 0 {
				a, err = h.s.DB().CopyAssessment(r.Context(), h.s.Actor(r), o.Org.ID, from, a)
				if errors.Is(err, store.ErrNotFound) {
					err = validate.Error{"copy_from": "is not one of the organisation's assessments"}
				}
			} else {
				a, err = h.s.DB().CreateAssessment(r.Context(), h.s.Actor(r), o.Org.ID, a)
			}
		}
		if err == nil {
			http.Redirect(w, r, fmt.Sprintf("/orgs/%s/assessments/%d", o.Org.Slug, a.ID), http.StatusSeeOther)
			return nil
		}
		if problems = problemsOf(err); problems == nil {
			return err
		}
	}
	v.Problems = problems
	return h.renderAssessments(w, r, http.StatusUnprocessableEntity, v)
}

type compareView struct {
	web.Page
	Slug     string
	Items    []assessItem
	A, B     string
	AName    string
	BName    string
	Counts   []web.OutcomeCount
	Changes  []changeRow
	Shown    bool
	Problems validate.Error
}

type changeRow struct {
	assess.Change
	FromLabel, ToLabel, TrendLabel, Symbol string
}

func trendLabel(t assess.Trend) (string, string) {
	switch t {
	case assess.Improved:
		return "Improved", "▲"
	case assess.Regressed:
		return "Regressed", "▼"
	case assess.Added:
		return "New entry", "+"
	case assess.Removed:
		return "No longer assessed", "−"
	}
	return "Unchanged", "="
}

func (h *Handler) comparePage(w http.ResponseWriter, r *http.Request) error {
	o := web.OrgOf(r.Context())
	as, err := h.s.DB().Assessments(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := &compareView{Page: web.Page{Title: "Compare assessments"}, Slug: o.Org.Slug, A: q.Get("a"), B: q.Get("b")}
	v.Breadcrumbs = web.OrgCrumbs(o, web.Crumb{Label: "Assessments", URL: "/orgs/" + o.Org.Slug + "/assessments"}, web.Crumb{Label: "Compare"})
	if v.A == "" && v.B == "" && len(as) >= 2 {
		v.A, v.B = strconv.FormatInt(as[1].ID, 10), strconv.FormatInt(as[0].ID, 10)
	}
	for _, a := range as {
		v.Items = append(v.Items, assessItem{ID: a.ID, Name: a.Name, Status: a.Status.Label(), Started: web.Day(a.StartedAt)})
	}
	status := http.StatusOK
	if q.Has("a") || q.Has("b") {
		problems := validate.Error{}
		ids := map[string]int64{}
		for k, val := range map[string]string{"a": v.A, "b": v.B} {
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n <= 0 {
				problems.Add(k, "is required: choose an assessment")
			}
			ids[k] = n
		}
		if len(problems) == 0 {
			a, err := h.s.DB().AssessmentSheet(r.Context(), o.Org.ID, ids["a"])
			if err != nil {
				return err
			}
			b, err := h.s.DB().AssessmentSheet(r.Context(), o.Org.ID, ids["b"])
			if err != nil {
				return err
			}
			v.Shown, v.AName, v.BName = true, a.Assessment.Name, b.Assessment.Name
			counts := map[assess.Trend]int{}
			for _, c := range assess.Compare(a, b) {
				counts[c.Trend]++
				l, sym := trendLabel(c.Trend)
				v.Changes = append(v.Changes, changeRow{Change: c, FromLabel: c.From.Label(), ToLabel: c.To.Label(), TrendLabel: l, Symbol: sym})
			}
			for _, t := range []assess.Trend{assess.Improved, assess.Regressed, assess.Unchanged, assess.Added, assess.Removed} {
				if l, _ := trendLabel(t); counts[t] > 0 || t == assess.Improved || t == assess.Regressed || t == assess.Unchanged {
					v.Counts = append(v.Counts, web.OutcomeCount{Label: l, Count: counts[t]})
				}
			}
		} else {
			v.Problems, status = problems, http.StatusUnprocessableEntity
		}
	}
	h.s.Render(w, r, status, "assess_compare", v)
	return nil
}
