package assessweb

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The response and decision forms, shared by the entry page, the table and
// guided mode: building them from what is stored, and reading them back.

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
	// EntryURL is the entry's own page, where evidence is found and
	// attached.
	EntryURL string
	// Evidence is the evidence the response links, each selected; nil
	// when the form does not offer it. Linked is the same for reading.
	Evidence []evidenceOption
	Linked   []evidenceOption
	// Attach is the search-and-attach of the entry page (evidence.go);
	// nil on the pages that show many entries.
	Attach *evidenceAttach
}

type evidenceOption struct {
	ID       int64
	Title    string
	Kind     string
	URL      string
	Selected bool
	Retired  bool
	Insecure bool
}

// withEvidence offers on a response form the evidence it links, found in
// list: only those, however much evidence the organisation has; more is
// found and attached on the entry's page (evidence.go).
func withEvidence(f *responseForm, list []assess.Evidence) {
	f.Evidence = []evidenceOption{}
	base := strings.TrimSuffix(f.EvidenceURL, "/")
	for _, ev := range list {
		if !slices.Contains(f.R.EvidenceIDs, ev.ID) {
			continue
		}
		o := evidenceOption{ID: ev.ID, Title: ev.Title, Kind: string(ev.Kind), URL: fmt.Sprintf("%s/%d", base, ev.ID), Selected: true,
			Retired: ev.Retired(), Insecure: ev.Insecure()}
		f.Evidence = append(f.Evidence, o)
		f.Linked = append(f.Linked, o)
	}
}

type questionField struct {
	Name, Text, Answer string
}

func (h *Handler) responseFormOf(a assess.Assessment, e assess.EntrySnapshot, prefix string, resp assess.Response, kind string, editable bool, slug string) responseForm {
	f := responseForm{Prefix: prefix, Entry: e, Anchor: anchorOf(e.Citation), R: resp, Target: dateValue(resp.TargetDate), Editable: editable,
		StatusLabel: resp.Status.Label(), EvidenceURL: "/orgs/" + slug + "/evidence",
		EntryURL: fmt.Sprintf("/orgs/%s/assessments/%d/entries/%s", slug, a.ID, e.Citation)}
	for _, st := range assess.StatusesFor(e) {
		f.Statuses = append(f.Statuses, kindOption{Value: string(st), Label: st.Label(), Selected: st == resp.Status})
	}
	if rule, ok := assess.NARuleFor(e.Citation); ok {
		f.NACondition, f.NAExpected = rule.Condition, rule.ExpectedFor(kind)
	}
	for i, q := range h.catalogEntry(a, e.Citation).AllQuestions() {
		f.Questions = append(f.Questions, questionField{Name: fmt.Sprintf("%sq%d", prefix, i), Text: q, Answer: resp.Answers[q]})
	}
	return f
}

// readResponse reads a response form over prev and checks it; touched
// says whether anything was filled in.
func (h *Handler) readResponse(r *http.Request, a assess.Assessment, e assess.EntrySnapshot, prefix string, prev assess.Response, evidence []assess.Evidence) (assess.Response, validate.Error, bool) {
	resp, problems, touched := h.readResponseInput(r, a, e, prefix, prev, evidence)
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
func (h *Handler) readResponseInput(r *http.Request, a assess.Assessment, e assess.EntrySnapshot, prefix string, prev assess.Response, evidence []assess.Evidence) (assess.Response, validate.Error, bool) {
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
	questions := h.catalogEntry(a, e.Citation).AllQuestions()
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

func (h *Handler) decisionFormOf(e assess.EntrySnapshot, prefix string, d assess.Decision, saved *assess.Decision, problems validate.Error, editable bool) *decisionForm {
	if e.Requirement != catalog.Addressable {
		return nil
	}
	f := &decisionForm{Prefix: prefix, Entry: e, D: d, Problems: problems, Editable: editable}
	var g catalog.GeneralRules
	if cat, err := h.s.Catalog(); err == nil {
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
		f.Decided = fmt.Sprintf("Decided by %s on %s (version %d).", saved.DecidedBy, web.Day(saved.DecidedAt), saved.Version)
	}
	return f
}

func (h *Handler) readDecision(r *http.Request, e assess.EntrySnapshot, prefix string) (assess.Decision, validate.Error, bool) {
	d, touched := h.readDecisionInput(r, e, prefix)
	return d, problemsOf(assess.ValidateDecision(e, d)), touched
}

// readDecisionInput reads a decision form; touched says whether anything
// was filled in.
func (h *Handler) readDecisionInput(r *http.Request, e assess.EntrySnapshot, prefix string) (assess.Decision, bool) {
	d := assess.Decision{Citation: e.Citation, Outcome: catalog.Outcome(r.PostFormValue(prefix + "outcome")),
		Alternative: r.PostFormValue(prefix + "alternative"), Rationale: r.PostFormValue(prefix + "rationale"),
		RiskAnalysisRef: r.PostFormValue(prefix + "risk_analysis_ref"), Factors: map[catalog.Factor]string{},
		DecidedBy: signer(r), DecidedAt: h.s.DB().Now().UTC()}
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
