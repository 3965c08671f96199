package riskweb

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// riskJSON is a risk as the API gives it: as stored, with its levels in
// words and its page.
type riskJSON struct {
	risk.Risk
	Levels struct {
		Inherent string `json:"inherent"`
		Current  string `json:"current"`
		Target   string `json:"target,omitempty"`
	} `json:"levels"`
	ScaleName          string `json:"scale_name"`
	ThreatTitle        string `json:"threat_title"`
	VulnerabilityTitle string `json:"vulnerability_title"`
	URL                string `json:"url"`
}

func (n *regNames) riskJSON(r risk.Risk) riskJSON {
	sc := n.scaleOf(r)
	out := riskJSON{Risk: r, ScaleName: sc.Name, URL: riskURL(n.org.Slug, r.ID),
		ThreatTitle: n.threat(r.Threat), VulnerabilityTitle: n.vulnerability(r.Vulnerability)}
	out.Levels.Inherent, out.Levels.Current = levelOf(sc, r.Inherent).Label, levelOf(sc, r.Current).Label
	if !r.Target.Zero() {
		out.Levels.Target = levelOf(sc, r.Target).Label
	}
	return out
}

// readRiskFilter reads the register's filters and sort from the query:
// level (a number from 1, the lowest), asset, threat, owner, status,
// category, sort (level, title, updated), and a heat-map cell (likelihood,
// impact, which).
func readRiskFilter(r *http.Request, n *regNames) (store.RiskFilter, error) {
	q := r.URL.Query()
	p := validate.Error{}
	f := store.RiskFilter{Threat: q.Get("threat"), Status: risk.Status(q.Get("status")), Category: catalog.Category(q.Get("category")), Sort: q.Get("sort")}
	f.Level = int(regInt(p, "level", q.Get("level")))
	f.AssetID = regInt(p, "asset", q.Get("asset"))
	f.OwnerID = regInt(p, "owner", q.Get("owner"))
	if f.Level > len(n.scale.Levels) {
		p.Add("level", "must be a level of the organisation's scale, from 1 to "+strconv.Itoa(len(n.scale.Levels)))
	}
	if f.Status != "" && !slices.Contains(risk.Statuses(), f.Status) {
		p.Add("status", "must be open, treated or closed")
	}
	if f.Category != "" && !slices.Contains([]catalog.Category{catalog.Administrative, catalog.Physical, catalog.Technical, catalog.Organizational, catalog.Documentation}, f.Category) {
		p.Add("category", "must be administrative, physical, technical, organizational or documentation")
	}
	if !slices.Contains([]string{"", store.SortLevel, store.SortTitle, store.SortUpdated}, f.Sort) {
		p.Add("sort", "must be level, title or updated")
	}
	if q.Get("likelihood") != "" || q.Get("impact") != "" {
		f.Cell.Likelihood, f.Cell.Impact = int(regInt(p, "likelihood", q.Get("likelihood"))), int(regInt(p, "impact", q.Get("impact")))
		n.scale.Check(p, "cell", f.Cell)
		f.CellScale, f.Inherent = n.scale.ID, q.Get("which") == "inherent"
	}
	return f, p.Err()
}

func (h *Handler) apiRisks(w http.ResponseWriter, r *http.Request) error {
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	f, err := readRiskFilter(r, n)
	if err != nil {
		return err
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	rs, next, err := h.s.DB().Risks(r.Context(), n.org.ID, f, pg)
	if err != nil {
		return err
	}
	out := make([]riskJSON, len(rs))
	for i, rk := range rs {
		out[i] = n.riskJSON(rk)
	}
	web.WritePage(h.s, w, r, out, next)
	return nil
}

func (h *Handler) apiRisk(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "risk")
	if err != nil {
		return err
	}
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	rk, err := h.s.DB().Risk(r.Context(), n.org.ID, id)
	if err != nil {
		return err
	}
	web.SetETag(w, rk.Version)
	h.s.WriteJSON(w, r, http.StatusOK, n.riskJSON(rk))
	return nil
}

func (h *Handler) apiRiskCreate(w http.ResponseWriter, r *http.Request) error {
	var in risk.Risk
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	in.ID = 0
	saved, err := h.saveRisk(r, n, in, nil)
	if err != nil {
		return err
	}
	out := n.riskJSON(saved)
	w.Header().Set("Location", out.URL)
	h.s.WriteJSON(w, r, http.StatusCreated, out)
	return nil
}

// apiRiskUpdate changes the fields the body names, over the stored risk;
// "version" must be the version read. A treatment that is no longer
// "accept" sends "acceptance": null.
func (h *Handler) apiRiskUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "risk")
	if err != nil {
		return err
	}
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	old, err := h.s.DB().Risk(r.Context(), n.org.ID, id)
	if err != nil {
		return err
	}
	if _, err := web.IfMatch(r, old.Version); err != nil {
		return err
	}
	in := old
	if old.Treatment.Acceptance != nil {
		a := *old.Treatment.Acceptance
		in.Treatment.Acceptance = &a
	}
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	in.ID = id
	saved, err := h.saveRisk(r, n, in, &old)
	if err != nil {
		return err
	}
	web.SetETag(w, saved.Version)
	h.s.WriteJSON(w, r, http.StatusOK, n.riskJSON(saved))
	return nil
}

// saveRisk creates (old nil) or updates a risk from the page or the API:
// what only the web can check — the catalogue citations of its measures,
// and that recording an acceptance needs org:security — is added to the
// store's problems, and nothing is saved while any remains.
func (h *Handler) saveRisk(r *http.Request, n *regNames, in risk.Risk, old *risk.Risk) (risk.Risk, error) {
	a := web.OrgOf(r.Context())
	p := validate.Error{}
	in.Measures = cleanLines(in.Measures)
	n.checkCitations(p, "measures", in.Measures)
	if acc := in.Treatment.Acceptance; acc != nil && in.Treatment.Strategy == risk.StrategyAccept && !a.Allows(identity.PermOrgSecurity) {
		var was *risk.Acceptance
		if old != nil {
			was = old.Treatment.Acceptance
		}
		if was == nil || !store.SameAcceptance(*was, *acc) {
			p.Add("treatment.acceptance", "can be recorded only by an owner or security officer; save the risk with another treatment, or ask one of them to accept it")
		}
	}
	if len(p) > 0 {
		if err := h.s.DB().CheckRisk(r.Context(), n.org.ID, in); err != nil {
			var sp validate.Error
			if !errors.As(err, &sp) {
				return risk.Risk{}, err
			}
			for f, m := range sp {
				p.Add(f, m)
			}
		}
		return risk.Risk{}, p
	}
	if old == nil {
		return h.s.DB().CreateRisk(r.Context(), h.s.Actor(r), n.org.ID, in)
	}
	return h.s.DB().UpdateRisk(r.Context(), h.s.Actor(r), n.org.ID, in)
}

// cleanLines trims each item and drops the empty ones.
func cleanLines(in []string) []string {
	out := []string{}
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (h *Handler) apiRiskHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "risk")
	if err != nil {
		return err
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	vs, next, err := h.s.DB().RiskHistory(r.Context(), web.OrgOf(r.Context()).Org.ID, id, pg)
	if err != nil {
		return err
	}
	web.WritePage(h.s, w, r, vs, next)
	return nil
}

// heatMapJSON is a heat map with the level of each cell and the count per
// level.
type heatMapJSON struct {
	store.HeatMap
	// Levels[l-1][i-1] is the index in scale.levels of the cell.
	Levels      [][]int `json:"levels"`
	LevelCounts []int   `json:"level_counts"`
}

func (h *Handler) apiHeatMap(w http.ResponseWriter, r *http.Request) error {
	which := r.URL.Query().Get("which")
	if which == "" {
		which = "current"
	}
	hm, err := h.s.DB().HeatMap(r.Context(), web.OrgOf(r.Context()).Org.ID, which)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, heatMapJSON{HeatMap: hm, Levels: hm.Scale.Matrix, LevelCounts: hm.LevelCounts()})
	return nil
}
