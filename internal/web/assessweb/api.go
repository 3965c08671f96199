package assessweb

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// dateJSON is a date or time in a request: "2026-03-01" or RFC 3339.
type dateJSON struct{ time.Time }

func (d *dateJSON) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		d.Time = time.Time{}
		return nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		d.Time = t
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("want a date such as 2026-03-01")
	}
	d.Time = t.UTC()
	return nil
}

// signer names the signed-in person in the records they sign.
func signer(r *http.Request) string {
	u := web.PrincipalOf(r.Context()).User
	if u.Name != "" {
		return u.Name + " <" + u.Email + ">"
	}
	return u.Email
}

func assessmentID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &web.HTTPError{Code: http.StatusNotFound, Msg: "There is no such assessment."}
	}
	return id, nil
}

// profileJSON is the organisation profile with the re-assessment triggers it
// implies.
type profileJSON struct {
	assess.Profile
	Official *assess.OfficialTerm `json:"official"`
	Triggers []assess.Trigger     `json:"triggers"`
}

func (h *Handler) profileJSON(r *http.Request, p assess.Profile) (profileJSON, error) {
	triggers, err := h.s.DB().Triggers(r.Context(), p)
	if err != nil {
		return profileJSON{}, err
	}
	out := profileJSON{Profile: p, Triggers: triggers}
	if cur, ok := p.Official(); ok {
		out.Official = &cur
	}
	return out, nil
}

func (h *Handler) apiProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := h.s.DB().OrgProfile(r.Context(), web.OrgOf(r.Context()).Org.ID)
	if err != nil {
		return err
	}
	out, err := h.profileJSON(r, p)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, out)
	return nil
}

// profileRequest changes the fields it carries and leaves the rest.
type profileRequest struct {
	LegalName      *string   `json:"legal_name"`
	Kind           *string   `json:"kind"`
	Workforce      *int      `json:"workforce"`
	LocationsCount *int      `json:"locations_count"`
	Locations      *[]string `json:"locations"`
	Patients       *int      `json:"patients"`
	Systems        *[]string `json:"systems"`
	CatalogProfile *string   `json:"catalog_profile"`
	ReviewRule     *string   `json:"review_rule"`
	Official       *struct {
		UserID int64    `json:"user_id"`
		Name   string   `json:"name"`
		Email  string   `json:"email"`
		From   dateJSON `json:"from"`
	} `json:"official"`
}

func (h *Handler) apiProfileUpdate(w http.ResponseWriter, r *http.Request) error {
	var req profileRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	orgID := web.OrgOf(r.Context()).Org.ID
	p, err := h.s.DB().OrgProfile(r.Context(), orgID)
	if err != nil {
		return err
	}
	changed := false
	set := func(ok bool, f func()) {
		if ok {
			f()
			changed = true
		}
	}
	set(req.LegalName != nil, func() { p.LegalName = *req.LegalName })
	set(req.Kind != nil, func() { p.Kind = *req.Kind })
	set(req.Workforce != nil, func() { p.Workforce = *req.Workforce })
	set(req.LocationsCount != nil, func() { p.LocationsCount = *req.LocationsCount })
	set(req.Locations != nil, func() {
		p.Locations = *req.Locations
		if req.LocationsCount == nil {
			p.LocationsCount = 0 // recounted from the list
		}
	})
	set(req.Patients != nil, func() { p.Patients = *req.Patients })
	set(req.Systems != nil, func() { p.Systems = *req.Systems })
	set(req.CatalogProfile != nil, func() { p.CatalogProfile = *req.CatalogProfile })
	if req.ReviewRule != nil && assess.ReviewRule(*req.ReviewRule) != p.ReviewRule {
		if !web.OrgOf(r.Context()).Allows(identity.PermOrgSecurity) {
			return validate.Error{"review_rule": "may be changed only by a security officer or an owner"}
		}
		set(true, func() { p.ReviewRule = assess.ReviewRule(*req.ReviewRule) })
	}
	var official *assess.OfficialTerm
	if o := req.Official; o != nil {
		official = &assess.OfficialTerm{UserID: o.UserID, Name: o.Name, Email: o.Email, From: o.From.Time}
		changed = true
	}
	if changed {
		if p, err = h.s.DB().UpdateOrgProfile(r.Context(), h.s.Actor(r), orgID, p, official); err != nil {
			return err
		}
	}
	out, err := h.profileJSON(r, p)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, out)
	return nil
}

// assessmentJSON is the API's assessment, the same as the CLI's.
type assessmentJSON = assess.AssessmentJSON

func (h *Handler) apiAssessments(w http.ResponseWriter, r *http.Request) error {
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	as, next, err := h.s.DB().AssessmentPage(r.Context(), web.OrgOf(r.Context()).Org.ID, pg)
	if err != nil {
		return err
	}
	items := make([]assessmentJSON, len(as))
	for i, a := range as {
		items[i] = a.JSON()
	}
	web.WritePage(h.s, w, r, items, next)
	return nil
}

type assessmentRequest struct {
	Name           string   `json:"name"`
	CatalogProfile string   `json:"catalog_profile"`
	DueAt          dateJSON `json:"due_at"`
}

// newAssessment pins today's catalogue for a new assessment; the catalogue
// profile defaults to the organisation's.
func (h *Handler) newAssessment(r *http.Request, req assessmentRequest) (assess.Assessment, error) {
	cat, err := catalog.Default()
	if err != nil {
		return assess.Assessment{}, err
	}
	if req.CatalogProfile == "" {
		p, err := h.s.DB().OrgProfile(r.Context(), web.OrgOf(r.Context()).Org.ID)
		if err != nil {
			return assess.Assessment{}, err
		}
		req.CatalogProfile = p.CatalogProfile
	}
	return assess.New(cat, req.CatalogProfile, req.Name, h.s.DB().Now().UTC(), req.DueAt.Time)
}

func (h *Handler) apiAssessmentCreate(w http.ResponseWriter, r *http.Request) error {
	var req assessmentRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	a, err := h.newAssessment(r, req)
	if err != nil {
		return err
	}
	if a, err = h.s.DB().CreateAssessment(r.Context(), h.s.Actor(r), web.OrgOf(r.Context()).Org.ID, a); err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusCreated, a.JSON())
	return nil
}

// entryJSON is an entry of an assessment with the statuses it allows.
type entryJSON struct {
	assess.EntrySnapshot
	Statuses []assess.ResponseStatus `json:"statuses"`
	// NACondition says when not_applicable is right, for entries allowing it.
	NACondition string `json:"na_condition,omitempty"`
}

// sheetJSON is an assessment with everything recorded in it and what
// follows: the blockers to sign-off and the posture.
type sheetJSON struct {
	assessmentJSON
	Entries   []entryJSON             `json:"entries"`
	Responses []assess.Response       `json:"responses"`
	Decisions []assess.Decision       `json:"decisions"`
	Reviews   []assess.CategoryReview `json:"reviews"`
	Blockers  []assess.Blocker        `json:"blockers"`
	Posture   assess.Posture          `json:"posture"`
}

func (h *Handler) apiAssessment(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	sh, err := h.s.DB().AssessmentSheet(r.Context(), web.OrgOf(r.Context()).Org.ID, id)
	if err != nil {
		return err
	}
	out := sheetJSON{assessmentJSON: sh.Assessment.JSON(), Responses: sh.Responses, Decisions: sh.Decisions, Reviews: sh.Reviews,
		Blockers: assess.Blockers(sh.Assessment, sh.Responses, sh.Decisions, sh.Reviews), Posture: assess.PostureOf(sh, h.s.DB().Now().UTC())}
	for _, e := range sh.Assessment.Entries {
		ej := entryJSON{EntrySnapshot: e, Statuses: assess.StatusesFor(e)}
		if rule, ok := assess.NARuleFor(e.Citation); ok {
			ej.NACondition = rule.Condition
		}
		out.Entries = append(out.Entries, ej)
	}
	h.s.WriteJSON(w, r, http.StatusOK, out)
	return nil
}

// responseRequest changes the fields it carries and leaves the rest.
type responseRequest struct {
	Status      *assess.ResponseStatus `json:"status"`
	NAReason    *string                `json:"na_reason"`
	Narrative   *string                `json:"narrative"`
	Owner       *string                `json:"owner"`
	TargetDate  *dateJSON              `json:"target_date"`
	Answers     map[string]string      `json:"answers"`
	EvidenceIDs *[]int64               `json:"evidence_ids"`
	RiskIDs     *[]int64               `json:"risk_ids"`
}

func (h *Handler) apiResponseUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	var req responseRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	citation := r.PathValue("citation")
	sh, err := h.s.DB().AssessmentSheet(r.Context(), web.OrgOf(r.Context()).Org.ID, id)
	if err != nil {
		return err
	}
	if cat, err := catalog.Default(); err == nil {
		if e, ok := sh.Assessment.Resolve(cat, citation); ok {
			citation = e.Citation
		}
	}
	resp, _ := sh.Response(citation)
	if _, err := web.IfMatch(r, resp.Version); err != nil {
		return err
	}
	resp.Citation = citation
	if req.Status != nil {
		resp.Status = *req.Status
	}
	if req.NAReason != nil {
		resp.NAReason = *req.NAReason
	}
	if req.Narrative != nil {
		resp.Narrative = *req.Narrative
	}
	if req.Owner != nil {
		resp.Owner = *req.Owner
	}
	if req.TargetDate != nil {
		resp.TargetDate = req.TargetDate.Time
	}
	if req.Answers != nil {
		// Answers merge: an empty answer removes one.
		if resp.Answers == nil {
			resp.Answers = map[string]string{}
		}
		for q, a := range req.Answers {
			resp.Answers[q] = a
		}
	}
	if req.EvidenceIDs != nil {
		resp.EvidenceIDs = *req.EvidenceIDs
	}
	if req.RiskIDs != nil {
		resp.RiskIDs = *req.RiskIDs
	}
	saved, err := h.s.DB().SaveResponse(r.Context(), h.s.Actor(r), web.OrgOf(r.Context()).Org.ID, id, resp)
	if err != nil {
		return err
	}
	web.SetETag(w, saved.Version)
	h.s.WriteJSON(w, r, http.StatusOK, saved)
	return nil
}

func (h *Handler) apiResponseVersions(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	vs, next, err := h.s.DB().ResponseVersionPage(r.Context(), web.OrgOf(r.Context()).Org.ID, id, r.PathValue("citation"), pg)
	if err != nil {
		return err
	}
	web.WritePage(h.s, w, r, vs, next)
	return nil
}

type decisionRequest struct {
	Outcome         catalog.Outcome           `json:"outcome"`
	Alternative     string                    `json:"alternative"`
	Rationale       string                    `json:"rationale"`
	Factors         map[catalog.Factor]string `json:"factors"`
	RiskAnalysisRef string                    `json:"risk_analysis_ref"`
	DecidedBy       string                    `json:"decided_by"`
	DecidedAt       dateJSON                  `json:"decided_at"`
}

func (h *Handler) apiDecisionPut(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	var req decisionRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	d := assess.Decision{Citation: r.PathValue("citation"), Outcome: req.Outcome, Alternative: req.Alternative, Rationale: req.Rationale,
		Factors: req.Factors, RiskAnalysisRef: req.RiskAnalysisRef, DecidedBy: req.DecidedBy, DecidedAt: req.DecidedAt.Time}
	if strings.TrimSpace(d.DecidedBy) == "" {
		d.DecidedBy = signer(r)
	}
	saved, err := h.s.DB().SaveDecision(r.Context(), h.s.Actor(r), web.OrgOf(r.Context()).Org.ID, id, d)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, saved)
	return nil
}

// reviewRequest is the body of a category's review.
type reviewRequest struct {
	Note string `json:"note"`
}

func (h *Handler) apiReview(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	var req reviewRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	rev, err := h.s.DB().ReviewCategory(r.Context(), h.s.Actor(r), web.OrgOf(r.Context()).Org.ID, id,
		assess.CategoryReview{Category: catalog.Category(r.PathValue("category")), ReviewedBy: signer(r), Note: req.Note})
	if h.writeNotReady(w, r, err) {
		return nil
	}
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, rev)
	return nil
}

func (h *Handler) apiAssessmentSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	a, err := h.s.DB().SubmitAssessment(r.Context(), h.s.Actor(r), web.OrgOf(r.Context()).Org.ID, id)
	if h.writeNotReady(w, r, err) {
		return nil
	}
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, a.JSON())
	return nil
}

// writeNotReady answers an *assess.NotReadyError with 422 and the blockers
// in full, and reports whether err was one.
func (h *Handler) writeNotReady(w http.ResponseWriter, r *http.Request, err error) bool {
	var nr *assess.NotReadyError
	if !errors.As(err, &nr) {
		return false
	}
	fields := validate.Error{}
	for _, b := range nr.Blockers {
		fields.Add(blockerField(b), b.Reason)
	}
	msg := map[assess.Step]string{
		assess.StepSubmit:   "The assessment cannot be submitted for review yet: %d entries need attention first.",
		assess.StepReview:   "This category cannot be reviewed yet: %d of its entries need attention first.",
		assess.StepFinalise: "The assessment cannot be signed off yet: %d items need attention.",
	}[nr.Step]
	h.s.WriteJSON(w, r, http.StatusUnprocessableEntity, notReadyBody{
		Error:    web.ErrorDetail{Code: "not_ready", Message: fmt.Sprintf(msg, len(nr.Blockers)), Fields: fields, RequestID: web.RequestID(r.Context())},
		Blockers: nr.Blockers,
	})
	return true
}

// notReadyBody is the 422 answer to a sign-off that is not possible yet:
// the usual error with a field per blocker, and the blockers in full.
type notReadyBody struct {
	Error    web.ErrorDetail  `json:"error"`
	Blockers []assess.Blocker `json:"blockers"`
}

// BlockerField is the "fields" key for a blocker: the citation and what
// needs attention ("164.312(a)(2)(iv).decision"), or "review.<category>".
func blockerField(b assess.Blocker) string {
	if b.Citation == "" {
		return b.Field + "." + string(b.Category)
	}
	return b.Citation + "." + b.Field
}

// finaliseRequest is the body of a sign-off: the signer confirms
// assess.Attestation with {"attest": true}.
type finaliseRequest struct {
	Attest bool `json:"attest"`
}

func (h *Handler) apiAssessmentFinalise(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	var req finaliseRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	a, err := h.s.DB().FinaliseAssessment(r.Context(), h.s.Actor(r), web.OrgOf(r.Context()).Org.ID, id,
		assess.SignOff{By: signer(r), Attested: req.Attest})
	if h.writeNotReady(w, r, err) {
		return nil
	}
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, a.JSON())
	return nil
}

func (h *Handler) apiAssessmentCopy(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	var req assessmentRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		return err
	}
	orgID := web.OrgOf(r.Context()).Org.ID
	src, err := h.s.DB().Assessment(r.Context(), orgID, id)
	if err != nil {
		return err
	}
	if req.Name == "" {
		req.Name = src.Name + " (copy)"
	}
	a, err := h.newAssessment(r, req)
	if err != nil {
		return err
	}
	if a, err = h.s.DB().CopyAssessment(r.Context(), h.s.Actor(r), orgID, id, a); err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusCreated, a.JSON())
	return nil
}

// retentionBody is the 409 answer to deleting a record inside its retention
// period, with the first date deletion is possible.
type retentionBody struct {
	Error web.ErrorDetail `json:"error"`
	// RetainUntil is the first day deletion is possible; the assessment in
	// effect has none yet (InEffect).
	RetainUntil time.Time `json:"retain_until,omitzero"`
	InEffect    bool      `json:"in_effect,omitempty"`
}

func (h *Handler) apiAssessmentDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := assessmentID(r)
	if err != nil {
		return err
	}
	err = h.s.DB().DeleteAssessment(r.Context(), h.s.Actor(r), web.OrgOf(r.Context()).Org.ID, id)
	var re *assess.RetentionError
	if errors.As(err, &re) {
		h.s.WriteJSON(w, r, http.StatusConflict, retentionBody{
			Error: web.ErrorDetail{Code: "retained", RequestID: web.RequestID(r.Context()),
				Message: assess.RetentionText(re.Until)},
			RetainUntil: re.Until, InEffect: re.Until.IsZero(),
		})
		return nil
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// compareJSON is two assessments compared entry by entry.
type compareJSON struct {
	A       assessmentJSON       `json:"a"`
	B       assessmentJSON       `json:"b"`
	Summary map[assess.Trend]int `json:"summary"`
	Changes []assess.Change      `json:"changes"`
}

func (h *Handler) apiAssessmentCompare(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	problems := validate.Error{}
	ids := map[string]int64{}
	for _, k := range []string{"a", "b"} {
		n, err := strconv.ParseInt(q.Get(k), 10, 64)
		if err != nil || n <= 0 {
			problems.Add(k, "is required: the id of an assessment")
		}
		ids[k] = n
	}
	if err := problems.Err(); err != nil {
		return err
	}
	orgID := web.OrgOf(r.Context()).Org.ID
	a, err := h.s.DB().AssessmentSheet(r.Context(), orgID, ids["a"])
	if err != nil {
		return err
	}
	b, err := h.s.DB().AssessmentSheet(r.Context(), orgID, ids["b"])
	if err != nil {
		return err
	}
	out := compareJSON{A: a.Assessment.JSON(), B: b.Assessment.JSON(), Summary: map[assess.Trend]int{},
		Changes: assess.Compare(a, b)}
	for _, c := range out.Changes {
		out.Summary[c.Trend]++
	}
	h.s.WriteJSON(w, r, http.StatusOK, out)
	return nil
}
