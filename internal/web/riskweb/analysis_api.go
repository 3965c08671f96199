package riskweb

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// analysisJSON is an analysis as the API gives it: as stored, with its
// page.
type analysisJSON struct {
	store.AnalysisRecord
	URL string `json:"url"`
}

// analysisRequest is the body that starts an analysis, from scratch or
// from the last final one.
type analysisRequest struct {
	Name     string `json:"name"`
	Scope    string `json:"scope"`
	FromLast bool   `json:"from_last"`
}

// attestRequest is the body of a sign-off: {"attest": true} confirms it.
type attestRequest struct {
	Attest bool `json:"attest"`
}

func (h *Handler) apiAnalyses(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	list, next, err := h.s.DB().Analyses(r.Context(), a.Org.ID, pg)
	if err != nil {
		return err
	}
	out := make([]analysisJSON, len(list))
	for i, an := range list {
		out[i] = analysisJSON{AnalysisRecord: an, URL: analysisURL(a.Org.Slug, an.ID)}
	}
	web.WritePage(h.s, w, r, out, next)
	return nil
}

func (h *Handler) apiAnalysisCreate(w http.ResponseWriter, r *http.Request) error {
	var in analysisRequest
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	a := web.OrgOf(r.Context())
	saved, err := h.s.DB().CreateAnalysis(r.Context(), h.s.Actor(r), a.Org.ID, risk.Analysis{Name: in.Name, Scope: in.Scope}, in.FromLast)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusCreated, analysisJSON{AnalysisRecord: saved, URL: analysisURL(a.Org.Slug, saved.ID)})
	return nil
}

func (h *Handler) apiAnalysis(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "risk analysis")
	if err != nil {
		return err
	}
	a := web.OrgOf(r.Context())
	an, err := h.s.DB().Analysis(r.Context(), a.Org.ID, id)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, analysisJSON{AnalysisRecord: an, URL: analysisURL(a.Org.Slug, an.ID)})
	return nil
}

func (h *Handler) apiAnalysisFinalise(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "risk analysis")
	if err != nil {
		return err
	}
	var in attestRequest
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	a := web.OrgOf(r.Context())
	an, err := h.s.DB().FinaliseAnalysis(r.Context(), h.s.Actor(r), a.Org.ID, id, signerOf(r), in.Attest)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, analysisJSON{AnalysisRecord: an, URL: analysisURL(a.Org.Slug, an.ID)})
	return nil
}

func (h *Handler) apiAnalysisDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "risk analysis")
	if err != nil {
		return err
	}
	if err := h.s.DB().DeleteAnalysis(r.Context(), h.s.Actor(r), web.OrgOf(r.Context()).Org.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// comparison is two signed-off analyses and what changed between them.
type comparison struct {
	A, B *store.AnalysisRecord
	risk.Comparison
}

// readComparison reads the analyses a (earlier) and b (later) of the
// query; both must be the organisation's and signed off. Without them it
// compares the two signed off last.
func (h *Handler) readComparison(r *http.Request) (comparison, []store.AnalysisRecord, error) {
	a := web.OrgOf(r.Context())
	finals, err := h.finals(r, a.Org.ID)
	if err != nil {
		return comparison{}, nil, err
	}
	q := r.URL.Query()
	if q.Get("a") == "" && q.Get("b") == "" && len(finals) >= 2 {
		q.Set("a", strconv.FormatInt(finals[1].ID, 10))
		q.Set("b", strconv.FormatInt(finals[0].ID, 10))
	}
	p := validate.Error{}
	var c comparison
	pick := func(field string) *store.AnalysisRecord {
		v := strings.TrimSpace(q.Get(field))
		if v == "" {
			p.Add(field, "is required: choose a signed-off analysis")
			return nil
		}
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			p.Add(field, "must be chosen from the list of signed-off analyses")
			return nil
		}
		for i := range finals {
			if finals[i].ID == id {
				return &finals[i]
			}
		}
		an, err := h.s.DB().Analysis(r.Context(), a.Org.ID, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			p.Add(field, "must be one of the organisation's risk analyses")
		case err == nil && an.Status != risk.AnalysisFinal:
			p.Add(field, fmt.Sprintf("is “%s”, a draft: only signed-off analyses can be compared", an.Name))
		case err == nil:
			return &an
		}
		return nil
	}
	c.A, c.B = pick("a"), pick("b")
	if c.A != nil && c.B != nil && c.A.ID == c.B.ID {
		p.Add("b", "must be another analysis than the first")
	}
	if err := p.Err(); err != nil {
		return c, finals, err
	}
	// The list holds no snapshots: read both in full.
	for _, an := range []**store.AnalysisRecord{&c.A, &c.B} {
		full, err := h.s.DB().Analysis(r.Context(), a.Org.ID, (*an).ID)
		if err != nil {
			return c, finals, err
		}
		*an = &full
	}
	if c.A.Snapshot == nil || c.B.Snapshot == nil {
		return c, finals, errors.New("compare: a final analysis has no snapshot")
	}
	c.Comparison = risk.Compare(*c.A.Snapshot, *c.B.Snapshot)
	return c, finals, nil
}

// comparisonJSON is a comparison as the API gives it.
type comparisonJSON struct {
	A      analysisRef        `json:"a"`
	B      analysisRef        `json:"b"`
	Counts map[string]int     `json:"counts"`
	Risks  []risk.RiskChange  `json:"risks"`
	Assets []risk.AssetChange `json:"assets"`
}

type analysisRef struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	FinalisedAt time.Time `json:"finalised_at"`
}

func (h *Handler) apiAnalysisCompare(w http.ResponseWriter, r *http.Request) error {
	c, _, err := h.readComparison(r)
	if err != nil {
		return err
	}
	out := comparisonJSON{A: analysisRef{c.A.ID, c.A.Name, c.A.FinalisedAt}, B: analysisRef{c.B.ID, c.B.Name, c.B.FinalisedAt},
		Counts: map[string]int{"new": c.New, "closed": c.Closed, "raised": c.Raised, "lowered": c.Lowered, "unchanged": c.Unchanged},
		Risks:  c.Risks, Assets: c.Assets}
	if out.Risks == nil {
		out.Risks = []risk.RiskChange{}
	}
	if out.Assets == nil {
		out.Assets = []risk.AssetChange{}
	}
	h.s.WriteJSON(w, r, http.StatusOK, out)
	return nil
}

// changeGroup is the risks of one kind of change, for the page.
type changeGroup struct {
	Kind, Title, Explain string
	Count                int
	Risks                []risk.RiskChange
}

type compareView struct {
	web.Page
	Org         identity.Org
	A, B        *store.AnalysisRecord
	AName       string
	BName       string
	Choices     []regOption
	ChoicesB    []regOption
	Problems    validate.Error
	Groups      []changeGroup
	Added       []risk.AssetChange
	Removed     []risk.AssetChange
	Changed     []risk.AssetChange
	Compared    bool
	TooFew      bool
	AnalysesURL string
}

func (h *Handler) analysisComparePage(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	c, finals, err := h.readComparison(r)
	var p validate.Error
	if err != nil && !errors.As(err, &p) {
		return err
	}
	v := &compareView{Page: web.Page{Title: "Compare risk analyses", Breadcrumbs: web.OrgCrumbs(a,
		web.Crumb{Label: "Risk analyses", URL: "/orgs/" + a.Org.Slug + "/analyses"}, web.Crumb{Label: "Compare"})},
		Org: a.Org, Problems: p, TooFew: len(finals) < 2, AnalysesURL: "/orgs/" + a.Org.Slug + "/analyses"}
	q := r.URL.Query()
	selA, selB := q.Get("a"), q.Get("b")
	if c.A != nil {
		selA = strconv.FormatInt(c.A.ID, 10)
	}
	if c.B != nil {
		selB = strconv.FormatInt(c.B.ID, 10)
	}
	for _, f := range finals {
		label := fmt.Sprintf("%s (signed off %s)", f.Name, web.Day(f.FinalisedAt))
		id := strconv.FormatInt(f.ID, 10)
		v.Choices = append(v.Choices, regOption{Value: id, Label: label, Selected: id == selA})
		v.ChoicesB = append(v.ChoicesB, regOption{Value: id, Label: label, Selected: id == selB})
	}
	status := http.StatusOK
	if p != nil {
		status = http.StatusUnprocessableEntity
		if q.Get("a") == "" && q.Get("b") == "" {
			status = http.StatusOK
			v.Problems = nil
		}
	} else {
		v.Compared, v.A, v.B, v.AName, v.BName = true, c.A, c.B, c.A.Name, c.B.Name
		groups := []changeGroup{
			{Kind: "new", Title: "New risks", Explain: "In the later analysis, not in the earlier one (or closed then)."},
			{Kind: "raised", Title: "Raised", Explain: "Rated higher with the measures in place."},
			{Kind: "closed", Title: "Closed", Explain: "Closed, or no longer in the register."},
			{Kind: "lowered", Title: "Lowered", Explain: "Rated lower with the measures in place."},
			{Kind: "unchanged", Title: "Unchanged", Explain: "At the same level in both."},
		}
		for _, ch := range c.Risks {
			for i := range groups {
				if groups[i].Kind == ch.Kind {
					groups[i].Risks = append(groups[i].Risks, ch)
					groups[i].Count++
				}
			}
		}
		v.Groups = groups
		for _, ch := range c.Assets {
			switch ch.Kind {
			case "added":
				v.Added = append(v.Added, ch)
			case "removed":
				v.Removed = append(v.Removed, ch)
			default:
				v.Changed = append(v.Changed, ch)
			}
		}
	}
	h.s.Render(w, r, status, "risk_analysis_compare", v)
	return nil
}
