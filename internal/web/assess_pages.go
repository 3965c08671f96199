package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// assessPageRoutes registers the pages of compliance assessments. Reading
// needs org:read, recording answers and decisions org:write, and what the
// rule gives the security official — reviewing categories, signing off,
// deleting an assessment — org:security, as in the JSON API.
func (s *Server) assessPageRoutes(mux *http.ServeMux) {
	read, write, security := identity.PermOrgRead, identity.PermOrgWrite, identity.PermOrgSecurity
	const base = "/orgs/{org}"
	s.route(mux, "GET "+base+"/profile", read, s.profilePage)
	s.route(mux, "POST "+base+"/profile", write, s.profileSubmit)
	s.route(mux, "GET "+base+"/assessments", read, s.assessmentsPage)
	s.route(mux, "POST "+base+"/assessments", write, s.assessmentCreate)
	s.route(mux, "GET "+base+"/assessments/compare", read, s.comparePage)
	s.route(mux, "GET "+base+"/assessments/{id}", read, s.assessmentPage)
	s.route(mux, "GET "+base+"/assessments/{id}/table", read, s.tablePage)
	s.route(mux, "POST "+base+"/assessments/{id}/table", write, s.tableSubmit)
	s.route(mux, "GET "+base+"/assessments/{id}/guided", read, s.guidedPage)
	s.route(mux, "POST "+base+"/assessments/{id}/guided", write, s.guidedSubmit)
	s.route(mux, "GET "+base+"/assessments/{id}/entries/{citation}", read, s.entryPage)
	s.route(mux, "POST "+base+"/assessments/{id}/entries/{citation}", write, s.entryResponseSubmit)
	s.route(mux, "POST "+base+"/assessments/{id}/entries/{citation}/decision", write, s.entryDecisionSubmit)
	s.route(mux, "POST "+base+"/assessments/{id}/reviews/{category}", security, s.reviewSubmit)
	s.route(mux, "POST "+base+"/assessments/{id}/submit", write, s.submitAssessment)
	s.route(mux, "POST "+base+"/assessments/{id}/finalise", security, s.finaliseAssessment)
	s.route(mux, "POST "+base+"/assessments/{id}/delete", security, s.deleteAssessment)
}

// ---- shared pieces -------------------------------------------------------

const dateForm = "2006-01-02"

// assessBase is what every assessment page knows about where it is.
type assessBase struct {
	Slug     string
	Base     string // /orgs/{org}/assessments/{id}
	A        assess.Assessment
	Status   string // the status as a person reads it
	CanWrite bool   // the viewer may edit and the assessment is not final
	CanSec   bool   // the viewer may review, sign off and delete
	FinalMsg string // "Final — signed off by X on D; retained until R"
}

func (s *Server) assessBaseOf(r *http.Request, a assess.Assessment) assessBase {
	o := OrgOf(r.Context())
	b := assessBase{Slug: o.Org.Slug, Base: fmt.Sprintf("/orgs/%s/assessments/%d", o.Org.Slug, a.ID), A: a, Status: a.Status.Label(),
		CanWrite: o.Allows(identity.PermOrgWrite) && a.Editable(), CanSec: o.Allows(identity.PermOrgSecurity)}
	if a.Status == assess.StatusFinal {
		b.FinalMsg = fmt.Sprintf("Final — signed off by %s on %s; retained until %s.", a.FinalisedBy, Day(a.FinalisedAt), Day(a.RetainUntil))
	}
	return b
}

func assessCrumbs(r *http.Request, a assess.Assessment, more ...Crumb) []Crumb {
	o := OrgOf(r.Context())
	list := Crumb{Label: "Assessments", URL: "/orgs/" + o.Org.Slug + "/assessments"}
	if a.ID == 0 {
		list.URL = ""
		return OrgCrumbs(o, list)
	}
	cur := Crumb{Label: a.Name, URL: fmt.Sprintf("/orgs/%s/assessments/%d", o.Org.Slug, a.ID)}
	if len(more) == 0 {
		cur.URL = ""
	}
	return append(OrgCrumbs(o, list, cur), more...)
}

// anchorOf turns a citation into an id usable in a fragment and a selector.
func anchorOf(citation string) string {
	var b strings.Builder
	for _, c := range citation {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	return "e-" + strings.Trim(b.String(), "-")
}

func (s *Server) sheetOf(r *http.Request) (assess.Sheet, error) {
	id, err := assessmentID(r)
	if err != nil {
		return assess.Sheet{}, err
	}
	return s.db.AssessmentSheet(r.Context(), OrgOf(r.Context()).Org.ID, id)
}

// catalogEntry returns the catalogue's text of an entry of the assessment's
// pinned profile, or a zero entry when the catalogue no longer has it.
func (s *Server) catalogEntry(a assess.Assessment, citation string) catalog.Entry {
	cat, err := s.catalog()
	if err != nil {
		return catalog.Entry{}
	}
	p, err := cat.Profile(a.CatalogProfile)
	if err != nil {
		return catalog.Entry{}
	}
	e, err := p.Entry(citation)
	if err != nil {
		return catalog.Entry{}
	}
	return e
}

func parseDate(p validate.Error, field, v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(dateForm, v)
	if err != nil {
		p.Add(field, "must be a date such as 2026-03-01")
	}
	return t
}

func parseCount(p validate.Error, field, v string) int {
	v = strings.TrimSpace(strings.ReplaceAll(v, ",", ""))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.Add(field, "must be a whole number")
	}
	return n
}

func dateValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateForm)
}

// problemsOf returns the field problems in err, or nil for another error.
func problemsOf(err error) validate.Error {
	var p validate.Error
	if errors.As(err, &p) {
		return p
	}
	return nil
}

// ---- organisation profile ------------------------------------------------

type profileView struct {
	Page
	Slug      string
	P         assess.Profile
	Kinds     []kindOption
	Profiles  []kindOption
	Members   []store.Member
	Locations string
	Systems   string
	Official  struct{ UserID, Name, Email, From string }
	CanWrite  bool
	Problems  validate.Error
	Saved     bool
	Triggers  []assess.Trigger
}

type kindOption struct {
	Value, Label string
	Selected     bool
}

func (s *Server) profilePage(w http.ResponseWriter, r *http.Request) error {
	o := OrgOf(r.Context())
	p, err := s.db.OrgProfile(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	v := &profileView{P: p, Saved: r.URL.Query().Get("saved") == "1", Locations: strings.Join(p.Locations, "\n"), Systems: strings.Join(p.Systems, "\n")}
	v.Official.From = dateValue(s.db.Now())
	return s.renderProfile(w, r, http.StatusOK, v)
}

func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, status int, v *profileView) error {
	o := OrgOf(r.Context())
	v.Page = Page{Title: "Organisation profile", Breadcrumbs: OrgCrumbs(o, Crumb{Label: "Profile"})}
	v.Slug, v.CanWrite = o.Org.Slug, o.Allows(identity.PermOrgWrite)
	for _, k := range identity.OrgKinds {
		v.Kinds = append(v.Kinds, kindOption{Value: string(k), Label: k.Label(), Selected: string(k) == v.P.Kind})
	}
	cat, err := s.catalog()
	if err != nil {
		return err
	}
	for _, p := range cat.Profiles() {
		v.Profiles = append(v.Profiles, kindOption{Value: p.ID, Label: p.Title, Selected: p.ID == v.P.CatalogProfile})
	}
	if v.Members, err = s.db.Members(r.Context(), o.Org.ID); err != nil {
		return err
	}
	stored, err := s.db.OrgProfile(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	v.P.Officials = stored.Officials
	as, err := s.db.Assessments(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	v.Triggers = assess.Triggers(stored, as, s.db.Now().UTC())
	s.render(w, r, status, "assess_profile", v)
	return nil
}

func lines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
}

func (s *Server) profileSubmit(w http.ResponseWriter, r *http.Request) error {
	o := OrgOf(r.Context())
	p, err := s.db.OrgProfile(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	problems := validate.Error{}
	v := &profileView{Locations: r.PostFormValue("locations"), Systems: r.PostFormValue("systems")}
	p.LegalName, p.Kind, p.CatalogProfile = r.PostFormValue("legal_name"), r.PostFormValue("kind"), r.PostFormValue("catalog_profile")
	p.Workforce = parseCount(problems, "workforce", r.PostFormValue("workforce"))
	p.Patients = parseCount(problems, "patients", r.PostFormValue("patients"))
	p.LocationsCount = parseCount(problems, "locations_count", r.PostFormValue("locations_count"))
	p.Locations, p.Systems = lines(v.Locations), lines(v.Systems)
	v.Official.UserID, v.Official.Name = r.PostFormValue("official_user"), strings.TrimSpace(r.PostFormValue("official_name"))
	v.Official.Email, v.Official.From = strings.TrimSpace(r.PostFormValue("official_email")), r.PostFormValue("official_from")
	var official *assess.OfficialTerm
	if v.Official.UserID != "" || v.Official.Name != "" {
		official = &assess.OfficialTerm{Name: v.Official.Name, Email: v.Official.Email, From: parseDate(problems, "official.from", v.Official.From)}
		if v.Official.UserID != "" {
			id, err := strconv.ParseInt(v.Official.UserID, 10, 64)
			if err != nil {
				problems.Add("official.user_id", "is not a member of this organisation")
			}
			official.UserID = id
		}
		if official.From.IsZero() {
			problems.Add("official.from", "is required: the date the role was taken on")
		}
	}
	v.P = p
	if len(problems) == 0 {
		_, err = s.db.UpdateOrgProfile(r.Context(), s.Actor(r), o.Org.ID, p, official)
		if err == nil {
			http.Redirect(w, r, "/orgs/"+o.Org.Slug+"/profile?saved=1", http.StatusSeeOther)
			return nil
		}
		if problems = problemsOf(err); problems == nil {
			return err
		}
	}
	v.Problems = problems
	return s.renderProfile(w, r, http.StatusUnprocessableEntity, v)
}

// ---- list, create, compare ----------------------------------------------

type assessmentsView struct {
	Page
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

func (s *Server) assessmentsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAssessments(w, r, http.StatusOK, &assessmentsView{})
}

func (s *Server) renderAssessments(w http.ResponseWriter, r *http.Request, status int, v *assessmentsView) error {
	o := OrgOf(r.Context())
	as, err := s.db.Assessments(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	v.Page = Page{Title: "Assessments", Breadcrumbs: assessCrumbs(r, assess.Assessment{})}
	v.Slug, v.CanWrite = o.Org.Slug, o.Allows(identity.PermOrgWrite)
	last, hasFinal := assess.LastFinal(as)
	if v.Name == "" && v.Problems == nil {
		v.Name = fmt.Sprintf("%d Security Rule assessment", s.db.Now().UTC().Year())
		if hasFinal {
			v.CopyFrom = strconv.FormatInt(last.ID, 10)
		}
	}
	for _, a := range as {
		v.Items = append(v.Items, assessItem{ID: a.ID, Name: a.Name, URL: fmt.Sprintf("/orgs/%s/assessments/%d", o.Org.Slug, a.ID),
			Status: a.Status.Label(), Final: a.Status == assess.StatusFinal, Started: Day(a.StartedAt), Due: Day(a.DueAt),
			FinalOn: Day(a.FinalisedAt), Entries: len(a.Entries), Selected: strconv.FormatInt(a.ID, 10) == v.CopyFrom})
	}
	if len(as) >= 2 {
		v.CompareA, v.CompareB = strconv.FormatInt(as[1].ID, 10), strconv.FormatInt(as[0].ID, 10)
	}
	org, err := s.db.OrgProfile(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	cat, err := s.catalog()
	if err != nil {
		return err
	}
	for _, p := range cat.Profiles() {
		v.Profiles = append(v.Profiles, kindOption{Value: p.ID, Label: p.Title, Selected: p.ID == org.CatalogProfile})
	}
	s.render(w, r, status, "assess_list", v)
	return nil
}

func (s *Server) assessmentCreate(w http.ResponseWriter, r *http.Request) error {
	o := OrgOf(r.Context())
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
		a, err := s.newAssessment(r, req)
		if err == nil {
			if from != 0 {
				a, err = s.db.CopyAssessment(r.Context(), s.Actor(r), o.Org.ID, from, a)
				if errors.Is(err, store.ErrNotFound) {
					err = validate.Error{"copy_from": "is not one of the organisation's assessments"}
				}
			} else {
				a, err = s.db.CreateAssessment(r.Context(), s.Actor(r), o.Org.ID, a)
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
	return s.renderAssessments(w, r, http.StatusUnprocessableEntity, v)
}

type compareView struct {
	Page
	Slug     string
	Items    []assessItem
	A, B     string
	AName    string
	BName    string
	Counts   []OutcomeCount
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

func (s *Server) comparePage(w http.ResponseWriter, r *http.Request) error {
	o := OrgOf(r.Context())
	as, err := s.db.Assessments(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := &compareView{Page: Page{Title: "Compare assessments"}, Slug: o.Org.Slug, A: q.Get("a"), B: q.Get("b")}
	v.Breadcrumbs = OrgCrumbs(o, Crumb{Label: "Assessments", URL: "/orgs/" + o.Org.Slug + "/assessments"}, Crumb{Label: "Compare"})
	if v.A == "" && v.B == "" && len(as) >= 2 {
		v.A, v.B = strconv.FormatInt(as[1].ID, 10), strconv.FormatInt(as[0].ID, 10)
	}
	for _, a := range as {
		v.Items = append(v.Items, assessItem{ID: a.ID, Name: a.Name, Status: a.Status.Label(), Started: Day(a.StartedAt)})
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
			a, err := s.db.AssessmentSheet(r.Context(), o.Org.ID, ids["a"])
			if err != nil {
				return err
			}
			b, err := s.db.AssessmentSheet(r.Context(), o.Org.ID, ids["b"])
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
					v.Counts = append(v.Counts, OutcomeCount{Label: l, Count: counts[t]})
				}
			}
		} else {
			v.Problems, status = problems, http.StatusUnprocessableEntity
		}
	}
	s.render(w, r, status, "assess_compare", v)
	return nil
}

// ---- overview, review, sign-off -----------------------------------------

type assessmentView struct {
	Page
	assessBase
	Chart    PostureChartView
	Overall  assess.Counts
	Answered int
	Blockers []blockerItem
	// BlockerGroups are the blockers by category, in the rule's order.
	BlockerGroups []blockerGroup
	Reviews       []reviewItem
	Decisions     []OutcomeCount
	Notice        string
	Problem       string
	DeleteNote    string
	CanDelete     bool
	// ConfirmProblem is set when a deletion was not confirmed.
	ConfirmProblem string
	Steps          []stepItem
}

type blockerItem struct {
	assess.Blocker
	URL string
}

type blockerGroup struct {
	Title string
	Items []blockerItem
}

type reviewItem struct {
	Category catalog.Category
	Title    string
	Anchor   string
	Review   *assess.CategoryReview
	Note     string
	Problem  string
}

type stepItem struct {
	Label   string
	Current bool
	Done    bool
}

func (s *Server) assessmentPage(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.sheetOf(r)
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
	return s.renderAssessment(w, r, http.StatusOK, sh, v)
}

func (s *Server) renderAssessment(w http.ResponseWriter, r *http.Request, status int, sh assess.Sheet, v *assessmentView) error {
	a := sh.Assessment
	now := s.db.Now().UTC()
	v.assessBase = s.assessBaseOf(r, a)
	v.Page = Page{Title: a.Name, Breadcrumbs: assessCrumbs(r, a)}
	pos := assess.PostureOf(sh, now)
	v.Chart = s.PostureChart("Posture of "+a.Name+" by category", pos)
	v.Overall = pos.Overall
	v.Answered = pos.Overall.Entries - pos.Overall.Unanswered
	v.Decisions = DecisionCounts(pos.Overall)
	for _, b := range assess.Blockers(a, sh.Responses, sh.Decisions, sh.Reviews) {
		u := v.Base + "#review-" + string(b.Category)
		if b.Citation != "" {
			u = v.Base + "/entries/" + b.Citation + "#" + map[string]string{"status": "response-h", "na_reason": "response-h", "decision": "decision-h"}[b.Field]
		}
		v.Blockers = append(v.Blockers, blockerItem{Blocker: b, URL: u})
	}
	for _, c := range a.Categories() {
		g := blockerGroup{Title: s.CategoryTitle(c)}
		for _, b := range v.Blockers {
			if b.Category == c {
				g.Items = append(g.Items, b)
			}
		}
		if len(g.Items) > 0 {
			v.BlockerGroups = append(v.BlockerGroups, g)
		}
	}
	for _, c := range a.Categories() {
		it := reviewItem{Category: c, Title: s.CategoryTitle(c), Anchor: "review-" + string(c)}
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
	v.CanDelete = v.CanSec
	if until, kept := assess.RetainedUntil(a, now); kept {
		v.CanDelete = false
		v.DeleteNote = fmt.Sprintf("This assessment must be kept until %s (six years from its last effective date, §164.316(b)(2)(i)); it can be deleted from then on.", Day(until))
	}
	s.render(w, r, status, "assess_overview", v)
	return nil
}

func (s *Server) reviewSubmit(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.sheetOf(r)
	if err != nil {
		return err
	}
	o := OrgOf(r.Context())
	c := catalog.Category(r.PathValue("category"))
	_, err = s.db.ReviewCategory(r.Context(), s.Actor(r), o.Org.ID, sh.Assessment.ID,
		assess.CategoryReview{Category: c, ReviewedBy: signer(r), Note: r.PostFormValue("note")})
	if p := problemsOf(err); p != nil {
		v := &assessmentView{Problem: "The review was not recorded: " + p.Error()}
		return s.renderAssessment(w, r, http.StatusUnprocessableEntity, sh, v)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/assessments/%d?done=reviewed#review-%s", o.Org.Slug, sh.Assessment.ID, url.PathEscape(string(c))), http.StatusSeeOther)
	return nil
}

func (s *Server) submitAssessment(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	o := OrgOf(r.Context())
	if _, err := s.db.SubmitAssessment(r.Context(), s.Actor(r), o.Org.ID, id); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/assessments/%d?done=submitted", o.Org.Slug, id), http.StatusSeeOther)
	return nil
}

func (s *Server) finaliseAssessment(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	o := OrgOf(r.Context())
	_, err = s.db.FinaliseAssessment(r.Context(), s.Actor(r), o.Org.ID, id, signer(r))
	var nr *assess.NotReadyError
	if errors.As(err, &nr) {
		sh, err := s.db.AssessmentSheet(r.Context(), o.Org.ID, id)
		if err != nil {
			return err
		}
		v := &assessmentView{Problem: fmt.Sprintf("The assessment cannot be signed off yet: %d items need attention. They are listed under “What blocks sign-off”.", len(nr.Blockers))}
		return s.renderAssessment(w, r, http.StatusUnprocessableEntity, sh, v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/assessments/%d?done=finalised", o.Org.Slug, id), http.StatusSeeOther)
	return nil
}

func (s *Server) deleteAssessment(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	o := OrgOf(r.Context())
	a, err := s.db.Assessment(r.Context(), o.Org.ID, id)
	if err != nil {
		return err
	}
	if _, retained := assess.RetainedUntil(a, s.db.Now()); !retained && r.PostFormValue("confirm") != "yes" {
		sh, err := s.db.AssessmentSheet(r.Context(), o.Org.ID, id)
		if err != nil {
			return err
		}
		v := &assessmentView{Problem: "Nothing was deleted: tick the box to confirm the deletion.", ConfirmProblem: "Tick this box to confirm."}
		return s.renderAssessment(w, r, http.StatusUnprocessableEntity, sh, v)
	}
	err = s.db.DeleteAssessment(r.Context(), s.Actor(r), o.Org.ID, id)
	var re *assess.RetentionError
	if errors.As(err, &re) {
		sh, err := s.db.AssessmentSheet(r.Context(), o.Org.ID, id)
		if err != nil {
			return err
		}
		v := &assessmentView{Problem: fmt.Sprintf("This assessment cannot be deleted before %s: the rule requires it to be kept for six years from its last effective date (§164.316(b)(2)(i)).", Day(re.Until))}
		return s.renderAssessment(w, r, http.StatusConflict, sh, v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/orgs/"+o.Org.Slug+"/assessments", http.StatusSeeOther)
	return nil
}

// ---- response and decision forms ----------------------------------------

// responseForm is the form of one entry's response; Prefix keeps the ids
// and names of several on one page apart.
type responseForm struct {
	Prefix      string
	Entry       assess.EntrySnapshot
	Anchor      string
	Statuses    []kindOption
	NACondition string
	NAExpected  bool
	R           assess.Response
	Target      string
	Questions   []questionField
	Problems    validate.Error
	Editable    bool
	StatusLabel string
	EvidenceURL string
	// Evidence is the organisation's evidence to link, with the linked
	// ones selected; nil when the form does not offer it.
	Evidence []evidenceOption
	Linked   []evidenceOption
}

type evidenceOption struct {
	ID       int64
	Title    string
	Kind     string
	URL      string
	Selected bool
}

// withEvidence offers the organisation's current evidence (and anything
// already linked) on a response form.
func withEvidence(f *responseForm, list []assess.Evidence) {
	f.Evidence = []evidenceOption{}
	base := strings.TrimSuffix(f.EvidenceURL, "/")
	for _, ev := range list {
		linked := slices.Contains(f.R.EvidenceIDs, ev.ID)
		if ev.Retired() && !linked {
			continue
		}
		o := evidenceOption{ID: ev.ID, Title: ev.Title, Kind: string(ev.Kind), URL: fmt.Sprintf("%s/%d", base, ev.ID), Selected: linked}
		f.Evidence = append(f.Evidence, o)
		if linked {
			f.Linked = append(f.Linked, o)
		}
	}
}

type questionField struct {
	Name, Text, Answer string
}

func (s *Server) responseFormOf(a assess.Assessment, e assess.EntrySnapshot, prefix string, resp assess.Response, kind string, editable bool, slug string) responseForm {
	f := responseForm{Prefix: prefix, Entry: e, Anchor: anchorOf(e.Citation), R: resp, Target: dateValue(resp.TargetDate), Editable: editable,
		StatusLabel: resp.Status.Label(), EvidenceURL: "/orgs/" + slug + "/evidence"}
	for _, st := range assess.StatusesFor(e) {
		f.Statuses = append(f.Statuses, kindOption{Value: string(st), Label: st.Label(), Selected: st == resp.Status})
	}
	if rule, ok := assess.NARuleFor(e.Citation); ok {
		f.NACondition, f.NAExpected = rule.Condition, rule.ExpectedFor(kind)
	}
	for i, q := range s.catalogEntry(a, e.Citation).AllQuestions() {
		f.Questions = append(f.Questions, questionField{Name: fmt.Sprintf("%sq%d", prefix, i), Text: q, Answer: resp.Answers[q]})
	}
	return f
}

// readResponse reads a response form over prev and checks it; touched
// says whether anything was filled in.
func (s *Server) readResponse(r *http.Request, a assess.Assessment, e assess.EntrySnapshot, prefix string, prev assess.Response, evidence []assess.Evidence) (assess.Response, validate.Error, bool) {
	resp, problems, touched := s.readResponseInput(r, a, e, prefix, prev, evidence)
	if err := assess.ValidateResponse(e, resp, nil); err != nil {
		for k, m := range problemsOf(err) {
			problems.Add(k, m)
		}
	}
	return resp, problems, touched
}

// readResponseInput reads a response form over prev, reporting what cannot
// be read (a date that is not one, evidence of another organisation) but
// leaving the rules of a response to the domain.
func (s *Server) readResponseInput(r *http.Request, a assess.Assessment, e assess.EntrySnapshot, prefix string, prev assess.Response, evidence []assess.Evidence) (assess.Response, validate.Error, bool) {
	problems := validate.Error{}
	resp := prev
	resp.Citation = e.Citation
	resp.Status = assess.ResponseStatus(r.PostFormValue(prefix + "status"))
	resp.NAReason = r.PostFormValue(prefix + "na_reason")
	resp.Narrative = r.PostFormValue(prefix + "narrative")
	resp.Owner = r.PostFormValue(prefix + "owner")
	resp.TargetDate = parseDate(problems, "target_date", r.PostFormValue(prefix+"target_date"))
	resp.Answers = map[string]string{}
	touched := resp.Status != "" || strings.TrimSpace(resp.Narrative+resp.Owner+resp.NAReason+r.PostFormValue(prefix+"target_date")) != ""
	questions := s.catalogEntry(a, e.Citation).AllQuestions()
	for i, q := range questions {
		if ans := r.PostFormValue(fmt.Sprintf("%sq%d", prefix, i)); strings.TrimSpace(ans) != "" {
			resp.Answers[q] = ans
			touched = true
		}
	}
	if r.PostFormValue(prefix+"evidence_offered") != "" {
		resp.EvidenceIDs = []int64{}
		for _, v := range r.PostForm[prefix+"evidence"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || !slices.ContainsFunc(evidence, func(ev assess.Evidence) bool { return ev.ID == id }) {
				problems.Add("evidence_ids", "must be evidence of this organisation")
				continue
			}
			if !slices.Contains(resp.EvidenceIDs, id) {
				resp.EvidenceIDs = append(resp.EvidenceIDs, id)
			}
		}
		if !slices.Equal(resp.EvidenceIDs, prev.EvidenceIDs) {
			touched = true
		}
	}
	resp.Normalize()
	return resp, problems, touched
}

// decisionForm is the §164.306(d)(3) decision form of one addressable
// specification.
type decisionForm struct {
	Prefix   string
	Entry    assess.EntrySnapshot
	Outcomes []outcomeOption
	D        assess.Decision
	Factors  []factorField
	Problems validate.Error
	Editable bool
	Decided  string // "Decided by X on D (version N)"
	Outcome  string
}

type outcomeOption struct {
	Value, Title, Explanation string
	Checked                   bool
}

type factorField struct {
	ID, Title, Explanation, Citation, Value, Problem string
}

func (s *Server) decisionFormOf(e assess.EntrySnapshot, prefix string, d assess.Decision, saved *assess.Decision, problems validate.Error, editable bool) *decisionForm {
	if e.Requirement != catalog.Addressable {
		return nil
	}
	f := &decisionForm{Prefix: prefix, Entry: e, D: d, Problems: problems, Editable: editable}
	var g catalog.GeneralRules
	if cat, err := s.catalog(); err == nil {
		g = cat.General()
	}
	for _, o := range catalog.Outcomes() {
		info, _ := g.Outcome(o)
		title := info.Title
		if title == "" {
			title = string(o)
		}
		f.Outcomes = append(f.Outcomes, outcomeOption{Value: string(o), Title: title, Explanation: info.Explanation, Checked: o == d.Outcome})
		if o == d.Outcome {
			f.Outcome = title
		}
	}
	for _, fc := range catalog.Factors() {
		info, _ := g.Factor(fc)
		title := info.Title
		if title == "" {
			title = string(fc)
		}
		f.Factors = append(f.Factors, factorField{ID: string(fc), Title: title, Explanation: info.Explanation, Citation: info.Citation,
			Value: d.Factors[fc], Problem: problems["factors."+string(fc)]})
	}
	if saved != nil && saved.Version > 0 {
		f.Decided = fmt.Sprintf("Decided by %s on %s (version %d).", saved.DecidedBy, Day(saved.DecidedAt), saved.Version)
	}
	return f
}

func (s *Server) readDecision(r *http.Request, e assess.EntrySnapshot, prefix string) (assess.Decision, validate.Error, bool) {
	d, touched := s.readDecisionInput(r, e, prefix)
	return d, problemsOf(assess.ValidateDecision(e, d)), touched
}

// readDecisionInput reads a decision form; touched says whether anything
// was filled in.
func (s *Server) readDecisionInput(r *http.Request, e assess.EntrySnapshot, prefix string) (assess.Decision, bool) {
	d := assess.Decision{Citation: e.Citation, Outcome: catalog.Outcome(r.PostFormValue(prefix + "outcome")),
		Alternative: r.PostFormValue(prefix + "alternative"), Rationale: r.PostFormValue(prefix + "rationale"),
		RiskAnalysisRef: r.PostFormValue(prefix + "risk_analysis_ref"), Factors: map[catalog.Factor]string{},
		DecidedBy: signer(r), DecidedAt: s.db.Now().UTC()}
	touched := d.Outcome != "" || strings.TrimSpace(d.Alternative+d.Rationale+d.RiskAnalysisRef) != ""
	for _, f := range catalog.Factors() {
		if v := r.PostFormValue(prefix + "factor_" + string(f)); strings.TrimSpace(v) != "" {
			d.Factors[f] = v
			touched = true
		}
	}
	d.Normalize()
	return d, touched
}

// ---- entry page -----------------------------------------------------------

type entryView struct {
	Page
	assessBase
	Entry     assess.EntrySnapshot
	Cat       catalog.Entry
	Category  string
	Resp      responseForm
	Decision  *decisionForm
	Versions  []assess.Response
	DVersions []assess.Decision
	Notice    string
	Problem   string
}

func (s *Server) entryOf(r *http.Request, sh assess.Sheet) (assess.EntrySnapshot, error) {
	cat, err := s.catalog()
	if err != nil {
		return assess.EntrySnapshot{}, err
	}
	e, ok := sh.Assessment.Resolve(cat, r.PathValue("citation"))
	if !ok {
		return e, &HTTPError{Code: http.StatusNotFound, Msg: "This assessment has no such entry."}
	}
	return e, nil
}

func (s *Server) entryPage(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.sheetOf(r)
	if err != nil {
		return err
	}
	e, err := s.entryOf(r, sh)
	if err != nil {
		return err
	}
	v := &entryView{}
	switch r.URL.Query().Get("saved") {
	case "response":
		v.Notice = "Response saved."
	case "decision":
		v.Notice = "Decision saved."
	}
	resp, _ := sh.Response(e.Citation)
	d, _ := sh.Decision(e.Citation)
	return s.renderEntry(w, r, http.StatusOK, sh, e, v, resp, nil, d, nil)
}

func (s *Server) renderEntry(w http.ResponseWriter, r *http.Request, status int, sh assess.Sheet, e assess.EntrySnapshot, v *entryView,
	resp assess.Response, rp validate.Error, d assess.Decision, dp validate.Error) error {
	o := OrgOf(r.Context())
	a := sh.Assessment
	v.assessBase = s.assessBaseOf(r, a)
	v.Page = Page{Title: e.Citation + " " + e.Title, Breadcrumbs: assessCrumbs(r, a, Crumb{Label: e.Citation})}
	v.Entry, v.Cat, v.Category = e, s.catalogEntry(a, e.Citation), s.CategoryTitle(e.Category)
	v.Resp = s.responseFormOf(a, e, "", resp, string(o.Org.Kind), v.CanWrite, o.Org.Slug)
	evidence, err := s.db.EvidenceList(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	withEvidence(&v.Resp, evidence)
	v.Resp.Problems = rp
	saved, _ := sh.Decision(e.Citation)
	v.Decision = s.decisionFormOf(e, "", d, &saved, dp, v.CanWrite)
	if v.Versions, err = s.db.ResponseVersions(r.Context(), o.Org.ID, a.ID, e.Citation); err != nil {
		return err
	}
	slices.Reverse(v.Versions)
	if v.Decision != nil {
		if v.DVersions, err = s.db.DecisionVersions(r.Context(), o.Org.ID, a.ID, e.Citation); err != nil {
			return err
		}
		slices.Reverse(v.DVersions)
	}
	s.render(w, r, status, "assess_entry", v)
	return nil
}

func (s *Server) entryResponseSubmit(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.sheetOf(r)
	if err != nil {
		return err
	}
	e, err := s.entryOf(r, sh)
	if err != nil {
		return err
	}
	prev, _ := sh.Response(e.Citation)
	evidence, err := s.db.EvidenceList(r.Context(), OrgOf(r.Context()).Org.ID)
	if err != nil {
		return err
	}
	resp, problems, _ := s.readResponse(r, sh.Assessment, e, "", prev, evidence)
	if len(problems) == 0 {
		_, err = s.db.SaveResponse(r.Context(), s.Actor(r), OrgOf(r.Context()).Org.ID, sh.Assessment.ID, resp)
		if err == nil {
			http.Redirect(w, r, s.assessBaseOf(r, sh.Assessment).Base+"/entries/"+e.Citation+"?saved=response#response-h", http.StatusSeeOther)
			return nil
		}
		if problems = problemsOf(err); problems == nil {
			return err
		}
	}
	d, _ := sh.Decision(e.Citation)
	v := &entryView{Problem: "The response was not saved: correct the fields marked below."}
	return s.renderEntry(w, r, http.StatusUnprocessableEntity, sh, e, v, resp, problems, d, nil)
}

func (s *Server) entryDecisionSubmit(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.sheetOf(r)
	if err != nil {
		return err
	}
	e, err := s.entryOf(r, sh)
	if err != nil {
		return err
	}
	if e.Requirement != catalog.Addressable {
		return validate.Error{"citation": e.Citation + " is not an addressable specification: decisions are recorded only for addressable ones"}
	}
	d, problems, _ := s.readDecision(r, e, "")
	if len(problems) == 0 {
		_, err = s.db.SaveDecision(r.Context(), s.Actor(r), OrgOf(r.Context()).Org.ID, sh.Assessment.ID, d)
		if err == nil {
			http.Redirect(w, r, s.assessBaseOf(r, sh.Assessment).Base+"/entries/"+e.Citation+"?saved=decision#decision-h", http.StatusSeeOther)
			return nil
		}
		if problems = problemsOf(err); problems == nil {
			return err
		}
	}
	resp, _ := sh.Response(e.Citation)
	v := &entryView{Problem: "The decision was not saved: correct the fields marked below."}
	return s.renderEntry(w, r, http.StatusUnprocessableEntity, sh, e, v, resp, nil, d, problems)
}

// ---- expert mode: the table ------------------------------------------------

// The table is one form: each row's fields are named after its entry
// ("164.312(b).status"), and Save writes the rows that changed, all of
// them or none. A post with a "citation" field and unprefixed names (the
// form of one row, as earlier versions sent it) saves that row alone.

type tableView struct {
	Page
	assessBase
	Sections []tableSection
	// Saved says which rows the last save wrote; SavedRows are their citations.
	Saved     string
	SavedRows []string
	Problem   string
	Summary   []summaryItem
}

type tableSection struct {
	ID, Title string
	Rows      []tableRow
}

type tableRow struct {
	Form     responseForm
	FormID   string // the prefix of the row's element ids
	Name     string // the prefix of the row's field names
	URL      string
	Required string
	Decision string
	Saved    bool
	Version  int
	Digest   string
	Conflict string
}

// tableName is the prefix of the names of an entry's fields in the table.
func tableName(e assess.EntrySnapshot) string { return e.Citation + "." }

func (s *Server) tablePage(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.sheetOf(r)
	if err != nil {
		return err
	}
	v := &tableView{}
	q := r.URL.Query()
	for c := range strings.SplitSeq(q.Get("saved"), ",") {
		if e, ok := sh.Assessment.Entry(c); ok && e.Assessable() {
			v.SavedRows = append(v.SavedRows, c)
		}
	}
	switch {
	case len(v.SavedRows) == 1:
		v.Saved = "Saved " + v.SavedRows[0] + "."
	case len(v.SavedRows) > 1:
		v.Saved = fmt.Sprintf("Saved %s: %s.", entriesWord(len(v.SavedRows)), strings.Join(v.SavedRows, ", "))
	case q.Get("unchanged") != "":
		v.Saved = "No row had changed, so nothing was saved."
	}
	return s.renderTable(w, r, http.StatusOK, sh, v, nil, nil)
}

func (s *Server) renderTable(w http.ResponseWriter, r *http.Request, status int, sh assess.Sheet, v *tableView, eds []entryEdit, problems []assess.EntryProblem) error {
	o := OrgOf(r.Context())
	a := sh.Assessment
	v.assessBase = s.assessBaseOf(r, a)
	v.Page = Page{Title: "Table of " + a.Name, Breadcrumbs: assessCrumbs(r, a, Crumb{Label: "Table"})}
	for _, c := range a.Categories() {
		sec := tableSection{ID: "cat-" + string(c), Title: s.CategoryTitle(c)}
		for _, e := range a.Entries {
			if e.Category != c || !e.Assessable() {
				continue
			}
			cur, _ := sh.Response(e.Citation)
			row := tableRow{FormID: "f-" + anchorOf(e.Citation), Name: tableName(e), URL: v.Base + "/entries/" + e.Citation,
				Required: string(e.Requirement), Saved: slices.Contains(v.SavedRows, e.Citation)}
			resp, l := cur, loaded{cur.Version, responseDigest(cur, false)}
			p, _ := problemOf(problems, e.Citation)
			// A row the person changed comes back as they typed it (see
			// guidedSubmit); the others show what is stored now.
			i := slices.IndexFunc(eds, func(ed entryEdit) bool { return ed.Entry.Citation == e.Citation })
			changed := i >= 0 && eds[i].RChanged
			if changed {
				resp, l = eds[i].Resp, eds[i].RBase
				if c, ok := p.Conflict(assess.PartResponse); ok {
					l.Version = c.Current
				}
			}
			row.Form = s.responseFormOf(a, e, row.Name, resp, string(o.Org.Kind), v.CanWrite, o.Org.Slug)
			if changed {
				eds[i].keepTyped(&row.Form)
			}
			row.Form.Questions = nil
			row.Form.Problems = p.Response
			row.Version, row.Digest = l.Version, l.Digest
			row.Conflict = conflictNote(p, theirsIn(sh, e.Citation))
			if e.Requirement == catalog.Addressable {
				if d, ok := sh.Decision(e.Citation); ok {
					row.Decision = string(d.Outcome)
				} else {
					row.Decision = "missing"
				}
			}
			sec.Rows = append(sec.Rows, row)
		}
		v.Sections = append(v.Sections, sec)
	}
	if problems != nil {
		v.Summary = problemSummary(a, problems, tableFieldID)
	}
	s.render(w, r, status, "assess_table", v)
	return nil
}

// tableFieldID is the id of the element of a table row that shows field.
func tableFieldID(e assess.EntrySnapshot, _ assess.Part, field string) string {
	id := "f-" + anchorOf(e.Citation)
	switch field {
	case "conflict", "status", "narrative", "owner":
		return id + "-" + field
	case "target_date":
		return id + "-target"
	case "na_reason":
		if _, ok := assess.NARuleFor(e.Citation); ok {
			return id + "-na"
		}
		return id + "-status"
	}
	return anchorOf(e.Citation)
}

func (s *Server) tableSubmit(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.sheetOf(r)
	if err != nil {
		return err
	}
	a := sh.Assessment
	one := ""
	if r.PostForm.Has("citation") {
		cat, err := s.catalog()
		if err != nil {
			return err
		}
		e, ok := a.Resolve(cat, r.PostFormValue("citation"))
		if !ok {
			return validate.Error{"citation": "is not an entry of this assessment"}
		}
		one = e.Citation
	}
	var eds []entryEdit
	for _, e := range a.Entries {
		if !e.Assessable() {
			continue
		}
		name := tableName(e)
		if one != "" {
			if e.Citation != one {
				continue
			}
			name = ""
		} else if !r.PostForm.Has(name + "version") {
			continue
		}
		cur, _ := sh.Response(e.Citation)
		ed := entryEdit{Entry: e}
		resp, parse, touched := s.readResponseInput(r, a, e, name, cur, nil)
		// The table does not show the guided answers; keep them.
		resp.Answers = cur.Answers
		ed.Resp, ed.RParse, ed.Target = resp, parse, r.PostFormValue(name+"target_date")
		var carried bool
		ed.RBase, carried = loadedOf(r, name, loaded{cur.Version, responseDigest(cur, false)})
		ed.RChanged = changedFrom(ed.RBase, carried, touched || one != "", responseDigest(resp, false))
		eds = append(eds, ed)
	}
	_, problems, err := s.saveEdits(r, a, eds)
	if err != nil {
		return err
	}
	if problems == nil {
		var saved []string
		for _, ed := range eds {
			if ed.RChanged {
				saved = append(saved, ed.Entry.Citation)
			}
		}
		next := s.assessBaseOf(r, a).Base + "/table?unchanged=1"
		if len(saved) > 0 {
			next = s.assessBaseOf(r, a).Base + "/table?saved=" + url.QueryEscape(strings.Join(saved, ",")) + "#" + anchorOf(saved[0])
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	v := &tableView{Problem: "Nothing was saved: " + needAttention(len(problems)) + ". Every change you made is kept below; correct the rows marked and save again."}
	return s.renderTable(w, r, http.StatusUnprocessableEntity, sh, v, eds, problems)
}

// ---- guided mode -----------------------------------------------------------

type guidedStep struct {
	Standard string
	Title    string
	Entries  []assess.EntrySnapshot
	Done     bool
	URL      string
	Current  bool
}

func guidedSteps(sh assess.Sheet, base string) []guidedStep {
	var out []guidedStep
	idx := map[string]int{}
	for _, e := range sh.Assessment.Entries {
		if !e.Assessable() {
			continue
		}
		std := cmp.Or(e.Standard, e.Citation)
		i, ok := idx[std]
		if !ok {
			title := e.Title
			if se, ok := sh.Assessment.Entry(std); ok {
				title = se.Title
			}
			i = len(out)
			idx[std] = i
			out = append(out, guidedStep{Standard: std, Title: title, Done: true, URL: base + "/guided?standard=" + url.QueryEscape(std)})
		}
		out[i].Entries = append(out[i].Entries, e)
		if r, ok := sh.Response(e.Citation); !ok || r.Status == "" {
			out[i].Done = false
		}
	}
	return out
}

type guidedView struct {
	Page
	assessBase
	Steps     []guidedStep
	Step      guidedStep
	Index     int
	Number    int
	Guidance  catalog.Guidance
	Items     []guidedItem
	Answered  int
	Total     int
	Percent   int
	StepsDone int
	AllDone   bool
	Problem   string
	Summary   []summaryItem
	Notice    string
	Next      string
}

type guidedItem struct {
	Resp     responseForm
	Decision *decisionForm
	Cat      catalog.Entry
	// Version and Digest are what the response was loaded with, DVersion
	// and DDigest the decision (see loaded).
	Version, DVersion int
	Digest, DDigest   string
	// Conflict says who saved the entry after the page was opened.
	Conflict string
}

func (s *Server) guidedPage(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.sheetOf(r)
	if err != nil {
		return err
	}
	v := &guidedView{}
	if q := r.URL.Query(); q.Get("saved") != "" {
		v.Notice = "Saved " + q.Get("saved") + "."
	} else if q.Get("unchanged") != "" {
		v.Notice = "Nothing had changed in " + q.Get("unchanged") + ", so nothing was saved."
	}
	return s.renderGuided(w, r, http.StatusOK, sh, v, r.URL.Query().Get("standard"), nil)
}

func (s *Server) renderGuided(w http.ResponseWriter, r *http.Request, status int, sh assess.Sheet, v *guidedView, standard string, failed []guidedItem) error {
	o := OrgOf(r.Context())
	a := sh.Assessment
	v.assessBase = s.assessBaseOf(r, a)
	v.Page = Page{Title: "Guided assessment", Breadcrumbs: assessCrumbs(r, a, Crumb{Label: "Guided"})}
	v.Steps = guidedSteps(sh, v.Base)
	if len(v.Steps) == 0 {
		return &HTTPError{Code: http.StatusNotFound, Msg: "This assessment has no entries to answer."}
	}
	v.Index = -1
	for i, st := range v.Steps {
		if st.Standard == standard {
			v.Index = i
		}
	}
	if v.Index < 0 {
		if standard != "" {
			return &HTTPError{Code: http.StatusNotFound, Msg: "This assessment has no such standard."}
		}
		v.Index = slices.IndexFunc(v.Steps, func(st guidedStep) bool { return !st.Done })
		if v.Index < 0 {
			v.Index, v.AllDone = 0, true
		}
	}
	v.Steps[v.Index].Current = true
	v.Number = v.Index + 1
	v.Step = v.Steps[v.Index]
	if v.Index+1 < len(v.Steps) {
		v.Next = v.Steps[v.Index+1].Standard
	}
	pos := assess.PostureOf(sh, s.db.Now().UTC())
	v.Total, v.Answered = pos.Overall.Entries, pos.Overall.Entries-pos.Overall.Unanswered
	if v.Total > 0 {
		v.Percent = v.Answered * 100 / v.Total
	}
	for _, st := range v.Steps {
		if st.Done {
			v.StepsDone++
		}
	}
	v.Guidance = s.catalogEntry(a, v.Step.Standard).Guidance
	evidence, err := s.db.EvidenceList(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	if failed != nil {
		v.Items = failed
	} else {
		for i, e := range v.Step.Entries {
			prefix := fmt.Sprintf("s%d-", i)
			resp, _ := sh.Response(e.Citation)
			d, _ := sh.Decision(e.Citation)
			it := guidedItem{Resp: s.responseFormOf(a, e, prefix, resp, string(o.Org.Kind), v.CanWrite, o.Org.Slug), Cat: s.catalogEntry(a, e.Citation),
				Version: resp.Version, Digest: responseDigest(resp, true), DVersion: d.Version, DDigest: decisionDigest(d)}
			withEvidence(&it.Resp, evidence)
			it.Decision = s.decisionFormOf(e, prefix, d, &d, nil, v.CanWrite)
			v.Items = append(v.Items, it)
		}
	}
	s.render(w, r, status, "assess_guided", v)
	return nil
}

func (s *Server) guidedSubmit(w http.ResponseWriter, r *http.Request) error {
	sh, err := s.sheetOf(r)
	if err != nil {
		return err
	}
	o := OrgOf(r.Context())
	a := sh.Assessment
	base := s.assessBaseOf(r, a).Base
	steps := guidedSteps(sh, base)
	standard := r.PostFormValue("standard")
	i := slices.IndexFunc(steps, func(st guidedStep) bool { return st.Standard == standard })
	if i < 0 {
		return validate.Error{"standard": "is not a standard of this assessment"}
	}
	evidence, err := s.db.EvidenceList(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	var eds []entryEdit
	for j, e := range steps[i].Entries {
		prefix := fmt.Sprintf("s%d-", j)
		cur, _ := sh.Response(e.Citation)
		ed := entryEdit{Entry: e}
		var touched, carried bool
		ed.Resp, ed.RParse, touched = s.readResponseInput(r, a, e, prefix, cur, evidence)
		ed.Target = r.PostFormValue(prefix + "target_date")
		ed.RBase, carried = loadedOf(r, prefix, loaded{cur.Version, responseDigest(cur, true)})
		ed.RChanged = changedFrom(ed.RBase, carried, touched, responseDigest(ed.Resp, true))
		if e.Requirement == catalog.Addressable {
			curD, _ := sh.Decision(e.Citation)
			d, dTouched := s.readDecisionInput(r, e, prefix)
			ed.Dec = &d
			ed.DBase, carried = loadedOf(r, prefix+"d", loaded{curD.Version, decisionDigest(curD)})
			ed.DChanged = changedFrom(ed.DBase, carried, dTouched, decisionDigest(d))
		}
		eds = append(eds, ed)
	}
	n, problems, err := s.saveEdits(r, a, eds)
	if err != nil {
		return err
	}
	if problems == nil {
		// Continue at the next standard that still has unanswered entries;
		// after the last, the overview says what still blocks sign-off.
		done := "&saved=" + url.QueryEscape(standard)
		if n == 0 {
			done = "&unchanged=" + url.QueryEscape(standard)
		}
		next := base + "?done=guided"
		if r.PostFormValue("stay") != "" {
			next = base + "/guided?standard=" + url.QueryEscape(standard) + done
		} else if j := slices.IndexFunc(steps[i+1:], func(st guidedStep) bool { return !st.Done }); j >= 0 {
			next = base + "/guided?standard=" + url.QueryEscape(steps[i+1+j].Standard) + done
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	var items []guidedItem
	for j, ed := range eds {
		prefix := fmt.Sprintf("s%d-", j)
		e := ed.Entry
		p, _ := problemOf(problems, e.Citation)
		cur, _ := sh.Response(e.Citation)
		curD, _ := sh.Decision(e.Citation)
		it := guidedItem{Cat: s.catalogEntry(a, e.Citation)}
		// A part the person changed comes back as they typed it, loaded at
		// the version they typed over — or, when someone saved it meanwhile,
		// at theirs, so that saving again is a deliberate replacement. An
		// untouched part shows what is stored now.
		resp, rl := cur, loaded{cur.Version, responseDigest(cur, true)}
		if ed.RChanged {
			resp, rl = ed.Resp, ed.RBase
			if c, ok := p.Conflict(assess.PartResponse); ok {
				rl.Version = c.Current
			}
		}
		it.Resp = s.responseFormOf(a, e, prefix, resp, string(o.Org.Kind), true, o.Org.Slug)
		if ed.RChanged {
			ed.keepTyped(&it.Resp)
		}
		withEvidence(&it.Resp, evidence)
		it.Resp.Problems = p.Response
		it.Version, it.Digest = rl.Version, rl.Digest
		if ed.Dec != nil {
			d, dl := curD, loaded{curD.Version, decisionDigest(curD)}
			if ed.DChanged {
				d, dl = *ed.Dec, ed.DBase
				if c, ok := p.Conflict(assess.PartDecision); ok {
					dl.Version = c.Current
				}
			}
			it.Decision = s.decisionFormOf(e, prefix, d, &curD, p.Decision, true)
			it.DVersion, it.DDigest = dl.Version, dl.Digest
		}
		it.Conflict = conflictNote(p, theirsIn(sh, e.Citation))
		items = append(items, it)
	}
	v := &guidedView{Problem: "Nothing was saved: " + needAttention(len(problems)) + ". What you typed is kept below: see to the entries listed and save again."}
	v.Summary = problemSummary(a, problems, func(e assess.EntrySnapshot, part assess.Part, field string) string {
		j := slices.IndexFunc(eds, func(ed entryEdit) bool { return ed.Entry.Citation == e.Citation })
		return guidedFieldID(fmt.Sprintf("s%d-", j), items[j], part, field)
	})
	return s.renderGuided(w, r, http.StatusUnprocessableEntity, sh, v, standard, items)
}

// guidedFieldID is the id of the element of a guided-mode entry that shows
// field of its part.
func guidedFieldID(prefix string, it guidedItem, part assess.Part, field string) string {
	switch {
	case field == "conflict":
		return prefix + "conflict"
	case part == assess.PartDecision:
		if f, ok := strings.CutPrefix(field, "factors."); ok {
			return prefix + "factor-" + f
		}
		switch field {
		case "alternative", "rationale", "risk_analysis_ref":
			return prefix + field
		}
		return prefix + "outcome"
	}
	switch field {
	case "status", "narrative", "owner", "target_date":
		return prefix + field
	case "na_reason":
		if it.Resp.NACondition != "" {
			return prefix + field
		}
		return prefix + "status"
	case "evidence_ids":
		if len(it.Resp.Evidence) > 0 {
			return prefix + "evidence"
		}
	case "answers":
		if len(it.Resp.Questions) > 0 {
			return it.Resp.Questions[0].Name
		}
	}
	return it.Resp.Anchor
}

// theirsIn describes, for a conflict note, what is stored for citation.
func theirsIn(sh assess.Sheet, citation string) func(assess.Part) string {
	return func(part assess.Part) string {
		if part == assess.PartDecision {
			if d, ok := sh.Decision(citation); ok {
				return string(d.Outcome)
			}
			return ""
		}
		r, ok := sh.Response(citation)
		if !ok {
			return ""
		}
		out := r.Status.Label()
		if r.Narrative != "" {
			n := []rune(r.Narrative)
			if len(n) > 120 {
				n = append(n[:120], '…')
			}
			out += " — “" + string(n) + "”"
		}
		return out
	}
}
