package assessweb

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
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
		FinalOn: web.Day(a.FinalisedAt), Entries: toAnswer(a), Selected: strconv.FormatInt(a.ID, 10) == copyFrom}
}

// toAnswer is the number of entries of a that need an answer, as its
// overview counts them.
func toAnswer(a assess.Assessment) int {
	standards, specifications := a.ToAnswer()
	return standards + specifications
}

type assessItem struct {
	ID      int64
	Name    string
	URL     string
	Status  string
	Final   bool
	Started string
	Due     string
	FinalOn string
	// Entries is the number of entries to answer.
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
	Slug string
	// Earlier and Later are what the two pickers offer: every other
	// assessment of the organisation than the one picked in the other.
	Earlier, Later []assessItem
	A, B           string
	AName, BName   string
	AURL, BURL     string
	// Only shows only the entries that changed.
	Only     bool
	Counts   []web.OutcomeCount
	Changes  []changeRow
	Total    int
	Shown    bool
	Single   bool // the organisation has one assessment only
	Problems validate.Error
}

type changeRow struct {
	assess.Change
	// FromURL and ToURL are the entry in the earlier and the later
	// assessment ("" where it is not in one).
	FromURL, ToURL                         string
	FromLabel, ToLabel, TrendLabel, Symbol string
	FromOutcome, ToOutcome                 string
	// RevisedLabel says what changed besides the status, for people.
	RevisedLabel string
}

func trendLabel(t assess.Trend) (string, string) {
	switch t {
	case assess.Improved:
		return "Improved", "▲"
	case assess.Regressed:
		return "Worse", "▼"
	case assess.Changed:
		return "Changed", "≠"
	case assess.Added:
		return "New entry", "+"
	case assess.Removed:
		return "No longer assessed", "−"
	}
	return "Unchanged", "="
}

// revisedLabel says in words what changed besides the status.
func revisedLabel(revised []string) string {
	var parts []string
	for _, r := range revised {
		switch r {
		case assess.RevisedNarrative:
			parts = append(parts, "narrative")
		case assess.RevisedOutcome:
			parts = append(parts, "decision")
		case assess.RevisedAlternative:
			if !slices.Contains(parts, "decision") {
				parts = append(parts, "alternative measure")
			}
		}
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0] + " revised"
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1] + " revised"
}

// compareDefaults picks what a comparison shows when the query does not
// say: the later is the newest assessment; the earlier the last final one
// started before it, else the newest started before it, else the last
// final or newest other one (choices are newest first).
func compareDefaults(choices []store.AssessmentChoice, a, b int64) (int64, int64) {
	if b == 0 {
		for _, c := range choices {
			if c.ID != a {
				b = c.ID
				break
			}
		}
	}
	if a != 0 || b == 0 {
		return a, b
	}
	i := slices.IndexFunc(choices, func(c store.AssessmentChoice) bool { return c.ID == b })
	if i < 0 {
		return a, b
	}
	later := choices[i]
	pick := func(ok func(c store.AssessmentChoice) bool) int64 {
		var best store.AssessmentChoice
		for _, c := range choices {
			if c.ID == b || !ok(c) {
				continue
			}
			if best.ID == 0 || c.Status == assess.StatusFinal && c.FinalisedAt.After(best.FinalisedAt) {
				best = c
			}
		}
		return best.ID
	}
	before := func(c store.AssessmentChoice) bool {
		return c.StartedAt.Before(later.StartedAt) || c.StartedAt.Equal(later.StartedAt) && c.ID < later.ID
	}
	final := func(c store.AssessmentChoice) bool { return c.Status == assess.StatusFinal }
	for _, ok := range []func(store.AssessmentChoice) bool{
		func(c store.AssessmentChoice) bool { return final(c) && before(c) }, before, final,
		func(store.AssessmentChoice) bool { return true },
	} {
		if a = pick(ok); a != 0 {
			return a, b
		}
	}
	return a, b
}

func (h *Handler) comparePage(w http.ResponseWriter, r *http.Request) error {
	o := web.OrgOf(r.Context())
	choices, err := h.s.DB().AssessmentChoices(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := &compareView{Page: web.Page{Title: "Compare assessments"}, Slug: o.Org.Slug, Only: q.Get("changes") == "only"}
	v.Breadcrumbs = web.OrgCrumbs(o, web.Crumb{Label: "Assessments", URL: "/orgs/" + o.Org.Slug + "/assessments"}, web.Crumb{Label: "Compare"})
	problems := validate.Error{}
	ids := map[string]int64{}
	for _, k := range []string{"a", "b"} {
		if val := q.Get(k); val != "" {
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n <= 0 || !slices.ContainsFunc(choices, func(c store.AssessmentChoice) bool { return c.ID == n }) {
				problems.Add(k, "is not one of the organisation's assessments: choose one from the list")
			}
			ids[k] = n
		}
	}
	a, b := compareDefaults(choices, ids["a"], ids["b"])
	if a != 0 && a == b {
		problems.Add("a", "is the same assessment as the later one: choose another to compare it with")
	}
	v.A, v.B = strconv.FormatInt(a, 10), strconv.FormatInt(b, 10)
	for _, c := range choices {
		item := assessItem{ID: c.ID, Name: c.Name, Status: c.Status.Label(), Started: web.Day(c.StartedAt)}
		if c.ID != b {
			v.Earlier = append(v.Earlier, item)
		}
		if c.ID != a {
			v.Later = append(v.Later, item)
		}
	}
	v.Single = len(choices) == 1
	status := http.StatusOK
	if len(problems) > 0 {
		v.Problems, status = problems, http.StatusUnprocessableEntity
	} else if a != 0 && b != 0 {
		if err := h.compareRows(r, v, a, b); err != nil {
			return err
		}
	}
	h.s.Render(w, r, status, "assess_compare", v)
	return nil
}

// compareRows fills v with assessment a compared to b.
func (h *Handler) compareRows(r *http.Request, v *compareView, a, b int64) error {
	o := web.OrgOf(r.Context())
	sa, err := h.s.DB().AssessmentSheet(r.Context(), o.Org.ID, a)
	if err != nil {
		return err
	}
	sb, err := h.s.DB().AssessmentSheet(r.Context(), o.Org.ID, b)
	if err != nil {
		return err
	}
	outcome := func(x catalog.Outcome) string { return string(x) }
	if cat, err := h.s.Catalog(); err == nil {
		g := cat.General()
		outcome = func(x catalog.Outcome) string {
			if info, ok := g.Outcome(x); ok {
				return info.Title
			}
			return string(x)
		}
	}
	v.Shown, v.AName, v.BName = true, sa.Assessment.Name, sb.Assessment.Name
	v.AURL, v.BURL = fmt.Sprintf("/orgs/%s/assessments/%d", o.Org.Slug, a), fmt.Sprintf("/orgs/%s/assessments/%d", o.Org.Slug, b)
	counts := map[assess.Trend]int{}
	revised := 0
	for _, c := range assess.Compare(sa, sb) {
		counts[c.Trend]++
		v.Total++
		if c.Trend == assess.Unchanged && c.Changed() {
			revised++
		}
		if v.Only && !c.Changed() {
			continue
		}
		l, sym := trendLabel(c.Trend)
		row := changeRow{Change: c, FromLabel: c.From.Label(), ToLabel: c.To.Label(), TrendLabel: l, Symbol: sym, RevisedLabel: revisedLabel(c.Revised)}
		if c.To == "" && c.Trend != assess.Removed {
			// Everything differs from an entry not answered yet; say that.
			row.RevisedLabel = "not answered yet"
		}
		if c.FromOutcome != "" {
			row.FromOutcome = outcome(c.FromOutcome)
		}
		if c.ToOutcome != "" {
			row.ToOutcome = outcome(c.ToOutcome)
		}
		if c.Trend != assess.Added {
			row.FromURL = v.AURL + "/entries/" + c.Citation
		}
		if c.Trend != assess.Removed {
			row.ToURL = v.BURL + "/entries/" + c.Citation
		}
		v.Changes = append(v.Changes, row)
	}
	for _, t := range []assess.Trend{assess.Improved, assess.Regressed, assess.Changed, assess.Unchanged, assess.Added, assess.Removed} {
		if l, _ := trendLabel(t); counts[t] > 0 || t == assess.Improved || t == assess.Regressed || t == assess.Unchanged {
			if t == assess.Unchanged {
				l = "Status unchanged"
			}
			v.Counts = append(v.Counts, web.OutcomeCount{Label: l, Count: counts[t]})
		}
	}
	if revised > 0 {
		v.Counts = append(v.Counts, web.OutcomeCount{Label: "of them with the narrative or decision revised", Count: revised})
	}
	return nil
}
