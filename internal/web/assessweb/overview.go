package assessweb

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// An assessment's overview: its posture, what blocks sign-off, the
// category reviews, and the steps from draft to final — submitting,
// signing off, deleting.

type assessmentView struct {
	web.Page
	assessBase
	Chart   web.PostureChartView
	Overall assess.Counts
	// Standards and Specifications are the entries to answer by kind;
	// Through are the standards answered only through their
	// specifications, which have no answer of their own.
	Standards, Specifications, Through int
	// ToAnswerText names the entries to answer by kind; Applicable counts
	// those not marked not applicable.
	ToAnswerText string
	Applicable   int
	// BlockerGroups are the blockers by category, in the rule's order,
	// each entry once with all its problems.
	BlockerGroups []blockerGroup
	// BlockedEntries and BlockedReviews count the entries and the category
	// reviews that block sign-off.
	BlockedEntries, BlockedReviews int
	BlockedText                    string
	Reviews                        []reviewItem
	Decisions                      []web.OutcomeCount
	Notice                         string
	Problem                        string
	DeleteNote                     string
	CanDelete                      bool
	// ConfirmProblem is set when a deletion was not confirmed.
	ConfirmProblem string
	// SignOffProblems are the sign-off form's field problems (attest,
	// reviewers); Attestation is the statement the signer confirms.
	SignOffProblems validate.Error
	Attestation     string
	// SecondReviewer says whether sign-off needs a reviewer other than the
	// signer under the organisation's rule.
	SecondReviewer bool
	Steps          []stepItem
}

type blockerGroup struct {
	Category catalog.Category
	Title    string
	Items    []blockedItem
	// Entries counts the items that are entries (not the review).
	Entries int
}

// blockedItem is one entry, or one category's review, that blocks
// sign-off, with each of its problems.
type blockedItem struct {
	Citation, Title, URL string
	Problems             []blockerProblem
}

type blockerProblem struct {
	Text, URL string
}

type reviewItem struct {
	Category catalog.Category
	Title    string
	Anchor   string
	Review   *assess.CategoryReview
	Note     string
	Problem  string
	// Blocked counts the category's entries that still need attention; a
	// review is recorded only when none does.
	Blocked int
}

type stepItem struct {
	Label   string
	Current bool
	Done    bool
}

func (h *Handler) assessmentPage(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.sheetOf(r)
	if err != nil {
		return err
	}
	v := &assessmentView{}
	switch r.URL.Query().Get("done") {
	case "submitted":
		v.Notice = "Submitted for review. The security official can now review each category and sign the assessment off."
	case "reviewed":
		v.Notice = "Category review recorded."
	case "guided":
		v.Notice = "Guided mode finished: every standard has been through. What still blocks sign-off is listed below."
	case "finalised":
		v.Notice = "Signed off. The assessment is now final and can no longer be changed."
	}
	return h.renderAssessment(w, r, http.StatusOK, sh, v)
}

func (h *Handler) renderAssessment(w http.ResponseWriter, r *http.Request, status int, sh assess.Sheet, v *assessmentView) error {
	a := sh.Assessment
	now := h.s.DB().Now().UTC()
	v.assessBase = h.assessBaseOf(r, a)
	v.Page = web.Page{Title: a.Name, Breadcrumbs: assessCrumbs(r, a)}
	pos := assess.PostureOf(sh, now)
	v.Chart = h.s.PostureChart("Posture of "+a.Name+" by category", pos)
	v.Overall = pos.Overall
	v.Standards, v.Specifications = a.ToAnswer()
	v.Through = len(a.Entries) - v.Standards - v.Specifications
	v.ToAnswerText = counted(v.Standards, "standard", "standards") + " and " + counted(v.Specifications, "implementation specification", "implementation specifications")
	v.Applicable = pos.Overall.Entries - pos.Overall.NotApplicable
	v.Decisions = web.DecisionCounts(pos.Overall)
	v.BlockerGroups, v.BlockedEntries, v.BlockedReviews = h.blockerGroups(sh, v.Base)
	v.BlockedText = blockedText(v.BlockedEntries, v.BlockedReviews)
	for _, c := range a.Categories() {
		it := reviewItem{Category: c, Title: h.s.CategoryTitle(c), Anchor: "review-" + string(c)}
		for _, g := range v.BlockerGroups {
			if g.Category == c {
				it.Blocked = g.Entries
			}
		}
		for _, rv := range sh.Reviews {
			if rv.Category == c {
				it.Review = &rv
			}
		}
		v.Reviews = append(v.Reviews, it)
	}
	for _, st := range []assess.Status{assess.StatusDraft, assess.StatusInReview, assess.StatusFinal} {
		v.Steps = append(v.Steps, stepItem{Label: st.Label(), Current: st == a.Status,
			Done: (st == assess.StatusDraft && a.Status != assess.StatusDraft) || (st == assess.StatusInReview && a.Status == assess.StatusFinal)})
	}
	v.Attestation = assess.Attestation
	if a.Status == assess.StatusInReview {
		var err error
		if v.SecondReviewer, err = h.s.DB().NeedsSecondReviewer(r.Context(), a.OrgID); err != nil {
			return err
		}
	}
	v.CanDelete = v.CanSec
	if until, kept := assess.RetainedUntil(a, now); kept {
		v.CanDelete = false
		v.DeleteNote = assess.RetentionText(until)
	}
	h.s.Render(w, r, status, "assess_overview", v)
	return nil
}

func (h *Handler) reviewSubmit(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.sheetOf(r)
	if err != nil {
		return err
	}
	o := web.OrgOf(r.Context())
	c := catalog.Category(r.PathValue("category"))
	_, err = h.s.DB().ReviewCategory(r.Context(), h.s.Actor(r), o.Org.ID, sh.Assessment.ID,
		assess.CategoryReview{Category: c, ReviewedBy: signer(r), Note: r.PostFormValue("note")})
	var nr *assess.NotReadyError
	if p := problemsOf(err); p != nil {
		v := &assessmentView{Problem: "The review was not recorded: " + p.Error()}
		return h.renderAssessment(w, r, http.StatusUnprocessableEntity, sh, v)
	} else if errors.As(err, &nr) {
		v := &assessmentView{Problem: fmt.Sprintf("The review of the %s was not recorded: %d of its entries still need attention. They are listed under “What blocks sign-off”.",
			strings.ToLower(h.s.CategoryTitle(c)), len(nr.Blockers))}
		return h.renderAssessment(w, r, http.StatusUnprocessableEntity, sh, v)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/assessments/%d?done=reviewed#review-%s", o.Org.Slug, sh.Assessment.ID, url.PathEscape(string(c))), http.StatusSeeOther)
	return nil
}

func (h *Handler) submitAssessment(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	o := web.OrgOf(r.Context())
	_, err = h.s.DB().SubmitAssessment(r.Context(), h.s.Actor(r), o.Org.ID, id)
	var nr *assess.NotReadyError
	if errors.As(err, &nr) {
		sh, err := h.s.DB().AssessmentSheet(r.Context(), o.Org.ID, id)
		if err != nil {
			return err
		}
		v := &assessmentView{Problem: fmt.Sprintf("Not submitted: %d entries need attention first, listed under “What blocks sign-off”. Reviewers review a finished record.", len(nr.Blockers))}
		return h.renderAssessment(w, r, http.StatusUnprocessableEntity, sh, v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/assessments/%d?done=submitted", o.Org.Slug, id), http.StatusSeeOther)
	return nil
}

func (h *Handler) finaliseAssessment(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	o := web.OrgOf(r.Context())
	_, err = h.s.DB().FinaliseAssessment(r.Context(), h.s.Actor(r), o.Org.ID, id,
		assess.SignOff{By: signer(r), Attested: r.PostFormValue("attest") == "yes"})
	if p := problemsOf(err); p != nil {
		sh, err := h.s.DB().AssessmentSheet(r.Context(), o.Org.ID, id)
		if err != nil {
			return err
		}
		v := &assessmentView{Problem: "Not signed off: see below.", SignOffProblems: p}
		return h.renderAssessment(w, r, http.StatusUnprocessableEntity, sh, v)
	}
	var nr *assess.NotReadyError
	if errors.As(err, &nr) {
		sh, err := h.s.DB().AssessmentSheet(r.Context(), o.Org.ID, id)
		if err != nil {
			return err
		}
		_, entries, reviews := h.blockerGroups(sh, "")
		v := &assessmentView{Problem: "The assessment cannot be signed off yet: " + blockedText(entries, reviews) + ". They are listed under “What blocks sign-off”."}
		return h.renderAssessment(w, r, http.StatusUnprocessableEntity, sh, v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/assessments/%d?done=finalised", o.Org.Slug, id), http.StatusSeeOther)
	return nil
}

func (h *Handler) deleteAssessment(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	o := web.OrgOf(r.Context())
	a, err := h.s.DB().Assessment(r.Context(), o.Org.ID, id)
	if err != nil {
		return err
	}
	if _, retained := assess.RetainedUntil(a, h.s.DB().Now()); !retained && r.PostFormValue("confirm") != "yes" {
		sh, err := h.s.DB().AssessmentSheet(r.Context(), o.Org.ID, id)
		if err != nil {
			return err
		}
		v := &assessmentView{Problem: "Nothing was deleted: tick the box to confirm the deletion.", ConfirmProblem: "Tick this box to confirm."}
		return h.renderAssessment(w, r, http.StatusUnprocessableEntity, sh, v)
	}
	err = h.s.DB().DeleteAssessment(r.Context(), h.s.Actor(r), o.Org.ID, id)
	var re *assess.RetentionError
	if errors.As(err, &re) {
		sh, err := h.s.DB().AssessmentSheet(r.Context(), o.Org.ID, id)
		if err != nil {
			return err
		}
		v := &assessmentView{Problem: fmt.Sprintf("This assessment cannot be deleted before %s: the rule requires it to be kept for six years from its last effective date (§164.316(b)(2)(i)).", web.Day(re.Until))}
		return h.renderAssessment(w, r, http.StatusConflict, sh, v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/orgs/"+o.Org.Slug+"/assessments", http.StatusSeeOther)
	return nil
}

// blockerGroups lists what blocks the sign-off of sh by category, each
// entry once with all its problems, and counts the entries and the
// category reviews concerned.
func (h *Handler) blockerGroups(sh assess.Sheet, base string) (groups []blockerGroup, entries, reviews int) {
	a := sh.Assessment
	blocked := assess.GroupBlockers(assess.Blockers(a, sh.Responses, sh.Decisions, sh.Reviews))
	for _, c := range a.Categories() {
		g := blockerGroup{Category: c, Title: h.s.CategoryTitle(c)}
		for _, eb := range blocked {
			if eb.Category != c {
				continue
			}
			if eb.Citation == "" {
				reviews++
				g.Items = append(g.Items, blockedItem{Title: g.Title, URL: base + "#review-" + string(c),
					Problems: []blockerProblem{{Text: "have not been reviewed by the security official", URL: base + "#review-" + string(c)}}})
				continue
			}
			entries++
			g.Entries++
			e, _ := a.Entry(eb.Citation)
			it := blockedItem{Citation: e.Citation, Title: e.Title, URL: base + "/entries/" + e.Citation}
			for _, b := range eb.Blockers {
				it.Problems = append(it.Problems, blockerProblem{Text: blockerText(sh, b), URL: it.URL + "#" + blockerAnchor(b.Field)})
			}
			g.Items = append(g.Items, it)
		}
		if len(g.Items) > 0 {
			groups = append(groups, g)
		}
	}
	return groups, entries, reviews
}

// blockerText says what blocks sign-off about an entry, the entry itself
// being named beside it.
func blockerText(sh assess.Sheet, b assess.Blocker) string {
	switch b.Field {
	case "status":
		return "has no answer"
	case "na_reason":
		return "is marked not applicable without a reason"
	case "plan":
		if r, ok := sh.Response(b.Citation); ok {
			return "is " + strings.ToLower(r.Status.Label()) + ": the gap needs an owner and a target date in the plan (§164.308(a)(1)(ii)(B))"
		}
	case "decision":
		if _, ok := sh.Decision(b.Citation); !ok {
			return "has no documented decision (addressable, §164.306(d)(3))"
		}
	}
	return b.Reason
}

// blockerAnchor is the part of the entry page that answers a blocker.
func blockerAnchor(field string) string {
	if field == "decision" {
		return "decision-h"
	}
	return "response-h"
}

// blockedText says how many entries and category reviews block sign-off.
func blockedText(entries, reviews int) string {
	var parts []string
	if entries > 0 {
		parts = append(parts, counted(entries, "entry needs", "entries need")+" attention")
	}
	if reviews > 0 {
		parts = append(parts, counted(reviews, "category review is", "category reviews are")+" still to do")
	}
	return strings.Join(parts, " and ")
}

// counted is n followed by the word for one or for several.
func counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
