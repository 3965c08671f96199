package riskweb

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/draw"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Documented risk analyses (§164.308(a)(1)(ii)(A), §164.316(b)): a draft
// names its scope; the security official signs it off, which keeps a
// snapshot of the inventory, flows, register and plan; two signed-off
// analyses compare. Reading needs org:read, starting one org:write,
// signing off and deleting org:security.

func (h *Handler) registerAnalyses(s *web.Server) {
	read, write, security := identity.PermOrgRead, identity.PermOrgWrite, identity.PermOrgSecurity
	const page = "/orgs/{org}/analyses"
	s.Route("GET "+page, read, h.analysesPage)
	s.Route("POST "+page, write, h.analysisCreateSubmit)
	s.Route("GET "+page+"/compare", read, h.analysisComparePage)
	s.Route("GET "+page+"/{id}", read, h.analysisPage)
	s.Route("POST "+page+"/{id}/finalise", security, h.analysisFinaliseSubmit)
	s.Route("POST "+page+"/{id}/delete", security, h.analysisDeleteSubmit)

	const api = "/api/v1/orgs/{org}/analyses"
	s.Route("GET "+api, read, h.apiAnalyses)
	s.Doc("GET "+api, web.APIDoc{Summary: "The organisation's risk analyses", Response: analysisJSON{}, List: true})
	s.Route("POST "+api, write, h.apiAnalysisCreate)
	s.Doc("POST "+api, web.APIDoc{Summary: "Start a risk analysis, from scratch or from the last final one", Request: analysisRequest{}, Response: analysisJSON{}, Status: http.StatusCreated,
		Example: analysisRequest{Name: "Risk analysis 2027", Scope: "All systems that hold ePHI", FromLast: true}})
	s.Route("GET "+api+"/compare", read, h.apiAnalysisCompare)
	s.Doc("GET "+api+"/compare", web.APIDoc{Summary: "What changed between two final analyses (the last two by default)", Response: comparisonJSON{},
		Query: []web.Param{{Name: "a", Description: "the ID of the earlier analysis"}, {Name: "b", Description: "the ID of the later one"}}})
	s.Route("GET "+api+"/{id}", read, h.apiAnalysis)
	s.Doc("GET "+api+"/{id}", web.APIDoc{Summary: "One risk analysis", Response: analysisJSON{}})
	s.Route("POST "+api+"/{id}/finalise", security, h.apiAnalysisFinalise)
	s.Doc("POST "+api+"/{id}/finalise", web.APIDoc{Summary: "Sign a risk analysis off, attesting to it", Request: attestRequest{}, Response: analysisJSON{}})
	s.Route("DELETE "+api+"/{id}", security, h.apiAnalysisDelete)
	s.Doc("DELETE "+api+"/{id}", web.APIDoc{Summary: "Delete a risk analysis that is not final"})
}

func analysisURL(slug string, id int64) string { return fmt.Sprintf("/orgs/%s/analyses/%d", slug, id) }

// signerOf is the signed-in person as a sign-off records them.
func signerOf(r *http.Request) string {
	u := web.PrincipalOf(r.Context()).User
	if u.Name != "" {
		return u.Name + " <" + u.Email + ">"
	}
	return u.Email
}

// proposedProfile reports whether the organisation's assessment profile
// follows the proposed rule, under which the inventory and network map are
// reviewed at least every twelve months.
func (h *Handler) proposedProfile(r *http.Request, orgID int64) (bool, error) {
	p, err := h.s.DB().OrgProfile(r.Context(), orgID)
	if err != nil {
		return false, err
	}
	cat, err := h.s.Catalog()
	if err != nil {
		return false, err
	}
	prof, err := cat.Profile(p.CatalogProfile)
	if err != nil {
		return false, nil
	}
	return prof.Proposed(), nil
}

// analysisRow is one line of the list of analyses.
type analysisRow struct {
	ID       int64
	Name     string
	URL      string
	Status   string
	Started  string
	Signed   string
	Kept     string
	InEffect bool
}

func analysisStatusLabel(a store.AnalysisRecord) string {
	switch {
	case a.Status == risk.AnalysisDraft:
		return "Draft"
	case a.LastEffective.IsZero():
		return "Signed off, in effect"
	}
	return "Signed off, replaced"
}

// analysisRowOf is analysis a as a row; loc is its organisation's time
// zone, in which it was started and signed off.
func analysisRowOf(slug string, loc *time.Location, a store.AnalysisRecord) analysisRow {
	row := analysisRow{ID: a.ID, Name: a.Name, URL: analysisURL(slug, a.ID), Status: analysisStatusLabel(a), Started: dayIn(a.StartedAt, loc),
		InEffect: a.Status == risk.AnalysisFinal && a.LastEffective.IsZero()}
	if a.Status == risk.AnalysisFinal {
		row.Signed = dayIn(a.FinalisedAt, loc)
		row.Kept = "While in effect, then six years"
		if !a.RetainUntil.IsZero() {
			row.Kept = "Until " + web.Day(a.RetainUntil)
		}
	}
	return row
}

// analysisForm is the form that starts an analysis.
type analysisForm struct {
	Name     string
	Scope    string
	FromLast bool
	LastName string
}

// dueView is what is due, for the list page.
type dueView struct {
	Triggers        []risk.Trigger
	Proposed        bool
	InventoryReview string
	InventoryLate   bool
	MapReview       string
	MapLate         bool
	InEffect        string
	InEffectURL     string
}

type analysesView struct {
	web.Page
	Org        identity.Org
	Rows       []analysisRow
	NextURL    string
	Due        dueView
	Form       analysisForm
	Problems   validate.Error
	CanWrite   bool
	CompareURL string
	// Drafts are the analyses begun and not signed off yet (of the page
	// shown): finishing one is usually what is due, not starting another.
	Drafts []analysisRow
}

func (h *Handler) analysesPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderAnalyses(w, r, http.StatusOK, nil, nil)
}

func (h *Handler) renderAnalyses(w http.ResponseWriter, r *http.Request, status int, form *analysisForm, problems validate.Error) error {
	ctx := r.Context()
	a := web.OrgOf(ctx)
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	list, next, err := h.s.DB().Analyses(ctx, a.Org.ID, pg)
	if err != nil {
		return err
	}
	v := &analysesView{Page: web.Page{Title: "Risk analyses", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Risk analyses"})},
		Org: a.Org, NextURL: web.NextPageURL(r, next), Problems: problems, CanWrite: a.Allows(identity.PermOrgWrite)}
	for _, an := range list {
		row := analysisRowOf(a.Org.Slug, zoneOf(a.Org), an)
		v.Rows = append(v.Rows, row)
		if an.Status == risk.AnalysisDraft {
			v.Drafts = append(v.Drafts, row)
		}
	}
	proposed, err := h.proposedProfile(r, a.Org.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	due, err := h.s.DB().AnalysisDue(ctx, a.Org.ID, now, proposed)
	if err != nil {
		return err
	}
	v.Due = dueView{Triggers: due.Triggers, Proposed: proposed, MapReview: web.Day(due.MapReview), MapLate: !due.MapReview.After(now)}
	if !due.InventoryReview.IsZero() {
		v.Due.InventoryReview, v.Due.InventoryLate = web.Day(due.InventoryReview), !due.InventoryReview.After(now)
	}
	if due.InEffect != nil {
		v.Due.InEffect, v.Due.InEffectURL = due.InEffect.Name, analysisURL(a.Org.Slug, due.InEffect.ID)
		if prev, ok, err := h.previousFinal(r, a.Org.ID, due.InEffect.ID); err != nil {
			return err
		} else if ok {
			v.CompareURL = fmt.Sprintf("/orgs/%s/analyses/compare?a=%d&b=%d", a.Org.Slug, prev, due.InEffect.ID)
		}
	}
	if form != nil {
		v.Form = *form
	} else {
		v.Form = analysisForm{Name: fmt.Sprintf("%d risk analysis", now.Year())}
		last, ok, err := h.s.DB().LastAnalysis(ctx, a.Org.ID)
		if err != nil {
			return err
		}
		taken := func(name string) bool {
			return ok && strings.EqualFold(last.Name, name) || slices.ContainsFunc(v.Rows, func(row analysisRow) bool { return strings.EqualFold(row.Name, name) })
		}
		if ok {
			v.Form.Scope, v.Form.FromLast, v.Form.LastName = last.Scope, true, last.Name
		}
		// A name already used gets a number.
		for i := 2; taken(v.Form.Name); i++ {
			v.Form.Name = fmt.Sprintf("%d risk analysis (%d)", now.Year(), i)
		}
	}
	h.s.Render(w, r, status, "risk_analyses", v)
	return nil
}

// previousFinal is the final analysis signed off before id, for a
// comparison.
func (h *Handler) previousFinal(r *http.Request, orgID, id int64) (int64, bool, error) {
	finals, err := h.finals(r, orgID)
	if err != nil {
		return 0, false, err
	}
	for i, f := range finals {
		if f.ID == id && i+1 < len(finals) {
			return finals[i+1].ID, true, nil
		}
	}
	return 0, false, nil
}

// finals are the organisation's signed-off analyses, the latest signed
// first (a page of the most recent is enough for a choice).
func (h *Handler) finals(r *http.Request, orgID int64) ([]store.AnalysisRecord, error) {
	list, _, err := h.s.DB().Analyses(r.Context(), orgID, store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(list, func(a store.AnalysisRecord) bool { return a.Status != risk.AnalysisFinal })
	slices.SortStableFunc(out, func(x, y store.AnalysisRecord) int { return y.FinalisedAt.Compare(x.FinalisedAt) })
	return out, nil
}

func (h *Handler) analysisCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	form := analysisForm{Name: r.PostFormValue("name"), Scope: r.PostFormValue("scope"), FromLast: r.PostFormValue("from_last") == "1",
		LastName: r.PostFormValue("last_name")}
	saved, err := h.s.DB().CreateAnalysis(r.Context(), h.s.Actor(r), a.Org.ID, risk.Analysis{Name: form.Name, Scope: form.Scope}, form.FromLast)
	var p validate.Error
	if errors.As(err, &p) {
		return h.renderAnalyses(w, r, http.StatusUnprocessableEntity, &form, p)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, analysisURL(a.Org.Slug, saved.ID)+"?done=started", http.StatusSeeOther)
	return nil
}

// Snapshot rows, as the page of a final analysis shows them.

type snapAsset struct {
	Name, Kind, Owner, Place, Hosting, AtRest, Criticality, Records, Use string
	Exposed                                                              bool
}

type snapRisk struct {
	ID                       int64
	Title                    string
	Assets                   []string
	Threat                   string
	Vulnerability            string
	Inherent, Current        levelLabel
	Target                   *levelLabel
	Status, Strategy         string
	Owner                    string
	LikelihoodWhy, ImpactWhy string
}

type snapTask struct {
	Title, Risk, Owner, Due, Status string
}

// liveSummary is, while an analysis is a draft, what it will document if
// signed off now.
type liveSummary struct {
	Assets   int
	Places   int
	Systems  int
	Devices  int
	Risks    int
	Top      []riskRow
	Plan     store.PlanCounts
	Problems []risk.Trigger
}

type analysisView struct {
	web.Page
	Org         identity.Org
	A           store.AnalysisRecord
	Status      string
	Done        string
	Problem     string
	Problems    validate.Error
	Attestation string
	CanSec      bool
	// DeleteRule says why the analysis may not be deleted yet ("" when it
	// may).
	DeleteRule string
	Live       liveSummary
	// The snapshot of a final analysis.
	ScaleName  string
	Assets     []snapAsset
	Flows      []string
	Risks      []snapRisk
	Tasks      []snapTask
	CompareURL string
	CopiedFrom string
	// ScopeLines is the scope's paragraphs.
	ScopeLines []string
}

func (h *Handler) analysisPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderAnalysis(w, r, http.StatusOK, "", nil)
}

func (h *Handler) renderAnalysis(w http.ResponseWriter, r *http.Request, status int, problem string, problems validate.Error) error {
	id, err := regID(r, "risk analysis")
	if err != nil {
		return err
	}
	ctx := r.Context()
	a := web.OrgOf(ctx)
	an, err := h.s.DB().Analysis(ctx, a.Org.ID, id)
	if err != nil {
		return err
	}
	v := &analysisView{Page: web.Page{Title: an.Name, Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Risk analyses", URL: "/orgs/" + a.Org.Slug + "/analyses"}, web.Crumb{Label: an.Name})},
		Org: a.Org, A: an, Status: analysisStatusLabel(an), Problem: problem, Problems: problems, Attestation: risk.AnalysisAttestation,
		CanSec: a.Allows(identity.PermOrgSecurity)}
	for _, line := range strings.Split(an.Scope, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			v.ScopeLines = append(v.ScopeLines, line)
		}
	}
	switch r.URL.Query().Get("done") {
	case "started":
		v.Done = "The analysis is started. Bring the inventory, the data flows and the register up to date, then sign it off."
	case "finalised":
		v.Done = "Signed off. This analysis is now the one in effect; what it documents is kept below as it stood today."
	}
	if err := an.Deletable(time.Now()); err != nil {
		v.DeleteRule = web.UpperFirst(err.Error()) + "."
	}
	if an.CopiedFrom != 0 {
		if src, err := h.s.DB().Analysis(ctx, a.Org.ID, an.CopiedFrom); err == nil {
			v.CopiedFrom = src.Name
		}
	}
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	if an.Snapshot == nil {
		if err := h.liveSummary(r, n, &v.Live); err != nil {
			return err
		}
	} else {
		v.snapshotRows(n, *an.Snapshot)
		if prev, ok, err := h.previousFinal(r, a.Org.ID, an.ID); err != nil {
			return err
		} else if ok {
			v.CompareURL = fmt.Sprintf("/orgs/%s/analyses/compare?a=%d&b=%d", a.Org.Slug, prev, an.ID)
		}
	}
	h.s.Render(w, r, status, "risk_analysis", v)
	return nil
}

func (h *Handler) liveSummary(r *http.Request, n *regNames, l *liveSummary) error {
	ctx := r.Context()
	counts, err := h.s.DB().AssetCounts(ctx, n.org.ID)
	if err != nil {
		return err
	}
	for c, k := range counts {
		l.Assets += k
		switch c {
		case risk.ClassPlace:
			l.Places += k
		case risk.ClassDevice:
			l.Devices += k
		default:
			l.Systems += k
		}
	}
	hm, err := h.s.DB().HeatMap(ctx, n.org.ID, "current")
	if err != nil {
		return err
	}
	l.Risks = hm.Total + hm.OtherScales
	top, err := h.s.DB().TopRisks(ctx, n.org.ID, 5)
	if err != nil {
		return err
	}
	for _, rk := range top {
		l.Top = append(l.Top, riskRow{ID: rk.ID, Title: rk.Title, URL: riskURL(n.org.Slug, rk.ID), Level: levelOf(n.scaleOf(rk), rk.Current),
			Assets: n.assetNames(rk.AssetIDs), Owner: n.person(rk.OwnerID), Status: rk.Status.Label()})
	}
	l.Plan, err = h.s.DB().PlanCounts(ctx, n.org.ID, time.Now())
	return err
}

func yesNo(b bool, yes string) string {
	if b {
		return yes
	}
	return ""
}

func (v *analysisView) snapshotRows(n *regNames, s risk.Snapshot) {
	v.ScaleName = s.Scale.Name
	names := map[int64]string{}
	for _, a := range s.Assets {
		names[a.ID] = a.Name
	}
	for _, a := range s.Assets {
		use := strings.Join(slices.DeleteFunc([]string{yesNo(a.Use.Creates, "creates"), yesNo(a.Use.Receives, "receives"),
			yesNo(a.Use.Maintains, "keeps"), yesNo(a.Use.Transmits, "sends")}, func(s string) bool { return s == "" }), ", ")
		row := snapAsset{Name: a.Name, Kind: a.Kind.Label(), Owner: n.person(a.OwnerID), Place: names[a.PlaceID], Hosting: a.Hosting.Label(),
			Criticality: web.UpperFirst(string(a.Criticality)), Use: use, Exposed: a.HoldsEPHI() && a.AtRest.Exposed() && a.Kind.Class() != risk.ClassPlace}
		if a.Kind.Class() != risk.ClassPlace {
			row.AtRest = a.AtRest.Label()
		}
		if a.Records > 0 {
			row.Records = strconv.Itoa(a.Records)
		}
		if row.Place == "" {
			row.Place = a.Location
		}
		v.Assets = append(v.Assets, row)
	}
	for _, f := range s.Flows {
		line := fmt.Sprintf("%s → %s: %s", f.From.Name(names), f.To.Name(names), draw.LowerFirst(draw.DescribeTransit(f)))
		if f.Frequency != "" {
			line += ", " + f.Frequency
		}
		if f.InTransit.Exposed() {
			line = "⚠ " + line
		}
		v.Flows = append(v.Flows, line)
	}
	scaleOf := func(r risk.Risk) risk.Scale {
		if r.ScaleID == s.Scale.ID {
			return s.Scale
		}
		return n.scaleOf(r)
	}
	titles := map[int64]string{}
	for _, r := range s.Risks {
		titles[r.ID] = r.Title
		sc := scaleOf(r)
		row := snapRisk{ID: r.ID, Title: r.Title, Threat: n.threat(r.Threat), Vulnerability: n.vulnerability(r.Vulnerability),
			Inherent: levelOf(sc, r.Inherent), Current: levelOf(sc, r.Current), Status: r.Status.Label(), Owner: n.person(r.OwnerID),
			LikelihoodWhy: r.LikelihoodWhy, ImpactWhy: r.ImpactWhy}
		if !r.Target.Zero() {
			t := levelOf(sc, r.Target)
			row.Target = &t
		}
		if r.Treatment.Strategy != "" {
			row.Strategy = r.Treatment.Strategy.Label()
			if r.Treatment.Party != "" {
				row.Strategy += " (" + r.Treatment.Party + ")"
			}
		}
		for _, id := range r.AssetIDs {
			if name, ok := names[id]; ok {
				row.Assets = append(row.Assets, name)
			}
		}
		v.Risks = append(v.Risks, row)
	}
	slices.SortStableFunc(v.Risks, func(x, y snapRisk) int { return rankOf(s.Scale, y.Current) - rankOf(s.Scale, x.Current) })
	for _, t := range s.Tasks {
		v.Tasks = append(v.Tasks, snapTask{Title: t.Title, Risk: titles[t.RiskID], Owner: n.person(t.OwnerID), Due: web.Day(t.Due), Status: t.Status.Label()})
	}
}

// rankOf is a level's place on sc, for sorting (-1 when not on it).
func rankOf(sc risk.Scale, l levelLabel) int {
	return slices.IndexFunc(sc.Levels, func(x risk.Level) bool { return x.Label == l.Label })
}

func (h *Handler) analysisFinaliseSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "risk analysis")
	if err != nil {
		return err
	}
	a := web.OrgOf(r.Context())
	_, err = h.s.DB().FinaliseAnalysis(r.Context(), h.s.Actor(r), a.Org.ID, id, signerOf(r), r.PostFormValue("attest") == "yes")
	var p validate.Error
	if errors.As(err, &p) {
		return h.renderAnalysis(w, r, http.StatusUnprocessableEntity, "Not signed off: see below.", p)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, analysisURL(a.Org.Slug, id)+"?done=finalised", http.StatusSeeOther)
	return nil
}

func (h *Handler) analysisDeleteSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "risk analysis")
	if err != nil {
		return err
	}
	a := web.OrgOf(r.Context())
	if err := h.s.DB().DeleteAnalysis(r.Context(), h.s.Actor(r), a.Org.ID, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/orgs/"+a.Org.Slug+"/analyses", http.StatusSeeOther)
	return nil
}
