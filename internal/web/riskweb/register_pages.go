package riskweb

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/draw"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// riskRow is one line of the register.
type riskRow struct {
	ID      int64
	Title   string
	URL     string
	Level   levelLabel
	Assets  []string
	Threat  string
	Owner   string
	Status  string
	Updated time.Time
}

// heatTable is a heat map's counts as an accessible table: likelihood
// rows from the highest, impact columns from the lowest.
type heatTable struct {
	// SVG is the heat map drawn (draw.HeatMap); the table is its text form.
	SVG    template.HTML
	Title  string
	Which  string
	Impact []string
	Rows   []heatRow
	Total  int
	Other  int
}

type heatRow struct {
	Likelihood string
	Cells      []heatCell
}

type heatCell struct {
	Count int
	Level levelLabel
	URL   string
}

type levelCount struct {
	Level levelLabel
	Count int
	URL   string
}

type registerView struct {
	web.Page
	Org         identity.Org
	Rows        []riskRow
	Scale       risk.Scale
	Maps        []heatTable
	LevelCounts []levelCount
	Plan        store.PlanCounts
	// The filter form's choices, each with the one chosen selected.
	Levels, Assets, Threats, Owners, Statuses, Categories, Sorts []regOption
	// Cell describes a heat-map cell the list is filtered by ("" for none).
	Cell     string
	Filtered bool
	NextURL  string
	CanWrite bool
	// Suggested counts the risks the inventory and assessment point to
	// that the register does not hold yet; they are listed on a page of
	// their own (suggest.go).
	Suggested int
	// ManyAssets is set when the inventory is too large to offer every
	// asset in the filter: it offers the one filtered by, reached from the
	// asset's page.
	ManyAssets bool
}

// riskAssetIDs are the assets the risks concern.
func riskAssetIDs(rs []risk.Risk) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.AssetIDs...)
	}
	return out
}

func (h *Handler) registerPage(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
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
	rs, next, err := h.s.DB().Risks(r.Context(), a.Org.ID, f, pg)
	if err != nil {
		return err
	}
	if err := n.loadAssets(riskAssetIDs(rs)); err != nil {
		return err
	}
	v := &registerView{Page: web.Page{Title: "Risk register", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Risk register"})},
		Org: a.Org, Scale: n.scale, NextURL: web.NextPageURL(r, next), CanWrite: a.Allows(identity.PermOrgWrite)}
	for _, rk := range rs {
		v.Rows = append(v.Rows, riskRow{ID: rk.ID, Title: rk.Title, URL: riskURL(a.Org.Slug, rk.ID), Level: levelOf(n.scaleOf(rk), rk.Current),
			Assets: n.assetNames(rk.AssetIDs), Threat: n.threat(rk.Threat), Owner: n.person(rk.OwnerID), Status: rk.Status.Label(), Updated: rk.UpdatedAt})
	}
	base := "/orgs/" + a.Org.Slug + "/risks"
	for _, which := range []string{"current", "inherent"} {
		hm, err := h.s.DB().HeatMap(r.Context(), a.Org.ID, which)
		if err != nil {
			return err
		}
		t := heatTableOf(hm, base)
		t.SVG = draw.HeatMapStyled(hm.Scale, hm.Counts, func(l, i int) string {
			return fmt.Sprintf("%s?which=%s&likelihood=%d&impact=%d#list-h", base, which, l, i)
		}, t.Title, draw.ScreenHeat)
		v.Maps = append(v.Maps, t)
		if which == "current" {
			for i, c := range hm.LevelCounts() {
				v.LevelCounts = append(v.LevelCounts, levelCount{Level: levelLabel{Label: hm.Scale.Levels[i].Label, Colour: hm.Scale.Levels[i].Colour},
					Count: c, URL: fmt.Sprintf("%s?level=%d", base, i+1)})
			}
			slices.Reverse(v.LevelCounts)
		}
	}
	if v.Plan, err = h.s.DB().PlanCounts(r.Context(), a.Org.ID, time.Now()); err != nil {
		return err
	}
	if v.Suggested, err = h.suggestionCount(n); err != nil {
		return err
	}
	v.filterOptions(n, f)
	if !f.Cell.Zero() {
		which := "current"
		if f.Inherent {
			which = "inherent"
		}
		v.Cell = fmt.Sprintf("%s rating: likelihood %s, impact %s", which, n.scale.Likelihood[f.Cell.Likelihood-1].Label, n.scale.Impact[f.Cell.Impact-1].Label)
	}
	v.Filtered = r.URL.RawQuery != ""
	h.s.Render(w, r, http.StatusOK, "risk_register", v)
	return nil
}

func heatTableOf(hm store.HeatMap, base string) heatTable {
	t := heatTable{Title: "Current risk (with the measures in place)", Which: hm.Which, Total: hm.Total, Other: hm.OtherScales}
	if hm.Which == "inherent" {
		t.Title = "Inherent risk (before the measures)"
	}
	for _, g := range hm.Scale.Impact {
		t.Impact = append(t.Impact, g.Label)
	}
	for l := len(hm.Scale.Likelihood); l >= 1; l-- {
		row := heatRow{Likelihood: hm.Scale.Likelihood[l-1].Label}
		for i := 1; i <= len(hm.Scale.Impact); i++ {
			rt := risk.Rating{Likelihood: l, Impact: i}
			row.Cells = append(row.Cells, heatCell{Count: hm.Counts[l-1][i-1], Level: levelOf(hm.Scale, rt),
				URL: fmt.Sprintf("%s?which=%s&likelihood=%d&impact=%d", base, hm.Which, l, i)})
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func categoryLabel(c catalog.Category) string {
	switch c {
	case catalog.Organizational:
		return "Organisational requirements"
	case catalog.Documentation:
		return "Policies and documentation"
	}
	return web.UpperFirst(string(c)) + " safeguards"
}

func (v *registerView) filterOptions(n *regNames, f store.RiskFilter) {
	any := func(label string, none bool) []regOption {
		return []regOption{{Value: "", Label: label, Selected: none}}
	}
	v.Levels = any("Any level", f.Level == 0)
	for i := len(n.scale.Levels) - 1; i >= 0; i-- {
		v.Levels = append(v.Levels, regOption{Value: strconv.Itoa(i + 1), Label: n.scale.Levels[i].Label, Selected: f.Level == i+1})
	}
	v.Assets = any("Any asset", f.AssetID == 0)
	v.ManyAssets = n.choices.MoreAssets
	if v.ManyAssets {
		if f.AssetID != 0 {
			v.Assets = append(v.Assets, regOption{Value: itoa(f.AssetID), Label: n.assetNames([]int64{f.AssetID})[0], Selected: true})
		}
	} else {
		for _, c := range n.choices.Assets {
			v.Assets = append(v.Assets, regOption{Value: itoa(c.ID), Label: c.Label, Selected: c.ID == f.AssetID})
		}
	}
	v.Threats = any("Any threat", f.Threat == "")
	for _, t := range n.lib.Threats {
		v.Threats = append(v.Threats, regOption{Value: t.Key, Label: t.Title, Selected: t.Key == f.Threat})
	}
	for _, c := range n.choices.Threats {
		v.Threats = append(v.Threats, regOption{Value: c.Key, Label: c.Label + " (our own)", Selected: c.Key == f.Threat})
	}
	v.Owners = any("Anyone", f.OwnerID == 0)
	for _, m := range n.members {
		v.Owners = append(v.Owners, regOption{Value: itoa(m.User.ID), Label: memberName(m.User), Selected: m.User.ID == f.OwnerID})
	}
	v.Statuses = any("Any status", f.Status == "")
	for _, s := range risk.Statuses() {
		v.Statuses = append(v.Statuses, regOption{Value: string(s), Label: s.Label(), Selected: s == f.Status})
	}
	v.Categories = any("Any category", f.Category == "")
	for _, c := range []catalog.Category{catalog.Administrative, catalog.Physical, catalog.Technical, catalog.Organizational, catalog.Documentation} {
		v.Categories = append(v.Categories, regOption{Value: string(c), Label: categoryLabel(c), Selected: c == f.Category})
	}
	v.Sorts = []regOption{{Value: "", Label: "Highest level first", Selected: f.Sort == "" || f.Sort == store.SortLevel},
		{Value: store.SortTitle, Label: "Title, A to Z", Selected: f.Sort == store.SortTitle},
		{Value: store.SortUpdated, Label: "Last changed first", Selected: f.Sort == store.SortUpdated}}
}

// The risk's page: view and edit.

type gradeOption struct {
	Value    int
	Label    string
	Selected bool
}

// ratingField is a likelihood and an impact select of one rating.
type ratingField struct {
	Name       string // inherent, current, target
	Label      string
	Hint       string
	Likelihood []gradeOption
	Impact     []gradeOption
	Level      levelLabel
	Optional   bool
}

func ratingFieldOf(sc risk.Scale, name, label, hint string, rt risk.Rating, optional bool) ratingField {
	f := ratingField{Name: name, Label: label, Hint: hint, Optional: optional, Level: levelOf(sc, rt)}
	for i, g := range sc.Likelihood {
		f.Likelihood = append(f.Likelihood, gradeOption{Value: i + 1, Label: g.Label, Selected: rt.Likelihood == i+1})
	}
	for i, g := range sc.Impact {
		f.Impact = append(f.Impact, gradeOption{Value: i + 1, Label: g.Label, Selected: rt.Impact == i+1})
	}
	return f
}

type checkOption struct {
	Value   string
	Label   string
	Checked bool
}

// taskForm is the add-a-task form of a risk's page.
type taskForm struct {
	In       taskInput
	Problems validate.Error
}

type versionRow struct {
	Version int
	At      time.Time
	By      string
	Current string
	Status  string
}

type riskView struct {
	web.Page
	Org      identity.Org
	New      bool
	Risk     risk.Risk
	Scale    risk.Scale
	Problems validate.Error
	// OldScale is set when the risk was rated on a scale that is no longer
	// the organisation's.
	OldScale string
	Ratings  []ratingField
	Current  levelLabel
	// CurrentAxes is the current rating's grades ("Low, impact High").
	CurrentAxes string
	Assets      []checkOption
	// ManyAssets is set when the inventory is too large to list: the form
	// shows the risk's assets and takes more by number.
	ManyAssets bool
	// ChosenAssets names the risk's assets, shown above the long list.
	ChosenAssets []string
	Threats      []regOption
	Vulns        []regOption
	Measures     []checkOption
	// InPlace is the chosen measures beside the current assessment's
	// answers for them (measures.go).
	InPlace  measureCheck
	Owners   []regOption
	Statuses []regOption
	// Strategies and Approvers for the treatment.
	Strategies []regOption
	Approvers  []regOption
	Expires    string
	ApprovedAt time.Time
	Approver   string
	// CanAccept says whether the viewer may record an acceptance.
	CanAccept bool
	CanWrite  bool
	Tasks     taskList
	TaskForm  taskForm
	TaskOwner []regOption
	History   []versionRow
	Saved     bool
	// Suggested is why the new risk was suggested (suggest.go), when it
	// comes from a suggestion.
	Suggested string
}

func (h *Handler) riskNewPage(w http.ResponseWriter, r *http.Request) error {
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	rk := risk.Risk{ScaleID: n.scale.ID}
	if key := r.URL.Query().Get("suggestion"); key != "" {
		var s *risk.Suggestion
		if rk, s, err = h.suggested(r, n, key); err != nil {
			return err
		} else if s == nil {
			return &web.HTTPError{Code: http.StatusNotFound, Msg: "There is no such suggestion: it may already be in the register."}
		}
	}
	if id := r.URL.Query().Get("asset"); id != "" {
		if v, err := strconv.ParseInt(id, 10, 64); err == nil {
			rk.AssetIDs = []int64{v}
		}
	}
	return h.renderRiskForm(w, r, n, http.StatusOK, rk, nil, nil)
}

func (h *Handler) riskPage(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "risk")
	if err != nil {
		return err
	}
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	return h.renderRisk(w, r, n, id, http.StatusOK, nil, nil, nil)
}

// renderRisk shows stored risk id; with edit and problems, the form as it
// was sent; with tf, the task form as it was sent.
func (h *Handler) renderRisk(w http.ResponseWriter, r *http.Request, n *regNames, id int64, status int, edit *risk.Risk, problems validate.Error, tf *taskForm) error {
	rk, err := h.s.DB().Risk(r.Context(), n.org.ID, id)
	if err != nil {
		return err
	}
	if edit != nil {
		edit.ID, edit.ScaleID, edit.IdentifiedAt, edit.UpdatedAt = rk.ID, rk.ScaleID, rk.IdentifiedAt, rk.UpdatedAt
		rk = *edit
	}
	return h.renderRiskForm(w, r, n, status, rk, problems, tf)
}

func (h *Handler) renderRiskForm(w http.ResponseWriter, r *http.Request, n *regNames, status int, rk risk.Risk, problems validate.Error, tf *taskForm) error {
	a := web.OrgOf(r.Context())
	sc := n.scaleOf(rk)
	title := rk.Title
	if rk.ID == 0 {
		title = "New risk"
	} else if title == "" {
		title = fmt.Sprintf("Risk %d", rk.ID)
	}
	v := &riskView{Page: web.Page{Title: title, Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Risk register", URL: "/orgs/" + a.Org.Slug + "/risks"}, web.Crumb{Label: title})},
		Org: a.Org, New: rk.ID == 0, Risk: rk, Scale: sc, Problems: problems, CanWrite: a.Allows(identity.PermOrgWrite), CanAccept: a.Allows(identity.PermOrgSecurity)}
	if sc.ID != n.scale.ID {
		v.OldScale = sc.Name
	}
	v.Current = levelOf(sc, rk.Current)
	if l, i := rk.Current.Likelihood, rk.Current.Impact; l >= 1 && l <= len(sc.Likelihood) && i >= 1 && i <= len(sc.Impact) {
		v.CurrentAxes = sc.Likelihood[l-1].Label + ", impact " + sc.Impact[i-1].Label
	}
	v.Ratings = []ratingField{
		ratingFieldOf(sc, "inherent", "Inherent risk", "Before the measures in place: what could happen with nothing protecting against it.", rk.Inherent, false),
		ratingFieldOf(sc, "current", "Current risk", "With the measures in place today.", rk.Current, false),
		ratingFieldOf(sc, "target", "Target risk (optional)", "Where the treatment should bring it.", rk.Target, true),
	}
	if v.ManyAssets = n.choices.MoreAssets; v.ManyAssets {
		// Too many to list: the risk's own, ticked, and a field for more.
		for i, name := range n.assetNames(rk.AssetIDs) {
			v.Assets = append(v.Assets, checkOption{Value: itoa(rk.AssetIDs[i]), Label: name, Checked: true})
		}
	} else {
		for _, c := range n.choices.Assets {
			v.Assets = append(v.Assets, checkOption{Value: itoa(c.ID), Label: c.Label, Checked: slices.Contains(rk.AssetIDs, c.ID)})
		}
	}
	if len(rk.AssetIDs) > 0 && !v.ManyAssets {
		v.ChosenAssets = n.assetNames(rk.AssetIDs)
	}
	v.Threats = []regOption{{Value: "", Label: "Choose a threat", Selected: rk.Threat == ""}}
	for _, t := range n.lib.Threats {
		v.Threats = append(v.Threats, regOption{Value: t.Key, Label: t.Title + " (" + t.Source.Label() + ")", Selected: t.Key == rk.Threat})
	}
	for _, c := range n.choices.Threats {
		v.Threats = append(v.Threats, regOption{Value: c.Key, Label: c.Label + " (our own)", Selected: c.Key == rk.Threat})
	}
	v.Vulns = []regOption{{Value: "", Label: "Choose a vulnerability", Selected: rk.Vulnerability == ""}}
	for _, vu := range n.lib.Vulnerabilities {
		v.Vulns = append(v.Vulns, regOption{Value: vu.Key, Label: vu.Title, Selected: vu.Key == rk.Vulnerability})
	}
	for _, c := range n.choices.Vulnerabilities {
		v.Vulns = append(v.Vulns, regOption{Value: c.Key, Label: c.Label + " (our own)", Selected: c.Key == rk.Vulnerability})
	}
	for _, e := range n.prof.Entries() {
		v.Measures = append(v.Measures, checkOption{Value: e.Citation, Label: "§" + e.Citation + " " + e.Title, Checked: slices.Contains(rk.Measures, e.Citation)})
	}
	inPlace, err := h.measureCheckOf(n, rk.Measures)
	if err != nil {
		return err
	}
	v.InPlace = inPlace
	v.Owners = []regOption{{Value: "", Label: "No one yet", Selected: rk.OwnerID == 0}}
	for _, m := range n.members {
		v.Owners = append(v.Owners, regOption{Value: itoa(m.User.ID), Label: memberName(m.User), Selected: m.User.ID == rk.OwnerID})
	}
	for _, s := range risk.Statuses() {
		v.Statuses = append(v.Statuses, regOption{Value: string(s), Label: s.Label(), Selected: s == rk.Status || rk.Status == "" && s == risk.StatusOpen})
	}
	v.Strategies = []regOption{{Value: "", Label: "Not decided yet", Selected: rk.Treatment.Strategy == ""}}
	for _, s := range risk.Strategies() {
		v.Strategies = append(v.Strategies, regOption{Value: string(s), Label: s.Label(), Selected: s == rk.Treatment.Strategy})
	}
	var approver int64
	if acc := rk.Treatment.Acceptance; acc != nil {
		approver, v.Expires, v.ApprovedAt, v.Approver = acc.ApproverID, regDateValue(acc.Expires), acc.ApprovedAt, n.person(acc.ApproverID)
	}
	v.Approvers = []regOption{{Value: "", Label: "Choose who approves", Selected: approver == 0}}
	for _, m := range n.approvers() {
		v.Approvers = append(v.Approvers, regOption{Value: itoa(m.User.ID), Label: memberName(m.User) + " (" + m.Role.Label() + ")", Selected: m.User.ID == approver})
	}
	if rk.ID != 0 {
		ts, _, err := h.s.DB().Tasks(r.Context(), n.org.ID, store.TaskFilter{RiskID: rk.ID}, store.Page{Limit: store.MaxPageLimit})
		if err != nil {
			return err
		}
		loc := zoneOf(n.org)
		rows, err := h.taskRows(r, ts, n.person, func(int64) bool { return v.CanWrite }, func(int64) *time.Location { return loc }, riskURL(n.org.Slug, rk.ID)+"#tasks")
		if err != nil {
			return err
		}
		v.Tasks = taskList{Tasks: rows, CSRF: csrfOf(r), StatusChoice: taskStatusOptions("")}
		vs, _, err := h.s.DB().RiskHistory(r.Context(), n.org.ID, rk.ID, store.Page{Limit: 20})
		if err != nil {
			return err
		}
		for _, ver := range vs {
			vsc := n.scaleOf(ver.Risk)
			v.History = append(v.History, versionRow{Version: ver.Risk.Version, At: ver.SavedAt, Current: vsc.Describe(ver.Risk.Current), Status: ver.Risk.Status.Label()})
		}
		people, err := h.s.People(r.Context(), historyActors(vs)...)
		if err != nil {
			return err
		}
		for i := range v.History {
			v.History[i].By = people.Name(vs[i].SavedBy)
		}
	}
	if tf != nil {
		v.TaskForm = *tf
	}
	v.TaskOwner = []regOption{{Value: "", Label: "Choose who does it"}}
	for _, m := range n.members {
		v.TaskOwner = append(v.TaskOwner, regOption{Value: itoa(m.User.ID), Label: memberName(m.User), Selected: m.User.ID == v.TaskForm.In.OwnerID})
	}
	v.Saved = r.URL.Query().Get("saved") != "" && status == http.StatusOK
	if v.New && rk.Suggestion != "" {
		_, s, err := h.suggested(r, n, rk.Suggestion)
		if err != nil {
			return err
		}
		if s != nil {
			v.Suggested = s.Reason
		}
	}
	h.s.Render(w, r, status, "risk_item", v)
	return nil
}

func historyActors(vs []store.RiskVersion) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.SavedBy
	}
	return out
}

// readRiskForm reads the risk form over prev.
func readRiskForm(r *http.Request, prev risk.Risk) (risk.Risk, validate.Error) {
	p := validate.Error{}
	rk := prev
	f := r.PostForm
	rk.Title, rk.Threat, rk.Vulnerability = f.Get("title"), f.Get("threat"), f.Get("vulnerability")
	rk.MeasuresNote, rk.LikelihoodWhy, rk.ImpactWhy = f.Get("measures_note"), f.Get("likelihood_rationale"), f.Get("impact_rationale")
	rk.AssetIDs = nil
	for _, v := range f["asset_ids"] {
		if id := regInt(p, "asset_ids", v); id != 0 {
			rk.AssetIDs = append(rk.AssetIDs, id)
		}
	}
	// A large inventory's form takes more assets by number.
	for _, v := range strings.FieldsFunc(f.Get("more_asset_ids"), func(c rune) bool { return c == ',' || c == ' ' || c == ';' }) {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			p.Add("asset_ids", fmt.Sprintf("%q is not an asset number: type the numbers of the assets, such as 12 40", v))
			continue
		}
		rk.AssetIDs = append(rk.AssetIDs, id)
	}
	rk.Measures = f["measures"]
	rating := func(name string) risk.Rating {
		return risk.Rating{Likelihood: int(regInt(p, name+".likelihood", f.Get(name+"_likelihood"))), Impact: int(regInt(p, name+".impact", f.Get(name+"_impact")))}
	}
	rk.Inherent, rk.Current, rk.Target = rating("inherent"), rating("current"), rating("target")
	rk.OwnerID = regInt(p, "owner_id", f.Get("owner_id"))
	rk.Status = risk.Status(f.Get("status"))
	rk.Treatment = risk.Treatment{Strategy: risk.Strategy(f.Get("strategy")), Party: f.Get("party"), Note: f.Get("treatment_note")}
	if rk.Treatment.Strategy == risk.StrategyAccept {
		rk.Treatment.Acceptance = &risk.Acceptance{ApproverID: regInt(p, "treatment.acceptance.approver_id", f.Get("approver_id")),
			Reason: f.Get("accept_reason"), Expires: regDate(p, "treatment.acceptance.expires", f.Get("accept_expires"))}
	}
	if v := f.Get("version"); v != "" {
		rk.Version = int(regInt(p, "version", v))
	}
	return rk, p
}

func (h *Handler) riskCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	in, p := readRiskForm(r, risk.Risk{ScaleID: n.scale.ID, Suggestion: r.PostFormValue("suggestion")})
	saved, err := h.saveFormRisk(r, n, in, p, nil)
	var problems validate.Error
	if errors.As(err, &problems) {
		return h.renderRiskForm(w, r, n, http.StatusUnprocessableEntity, in, problems, nil)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, riskURL(n.org.Slug, saved.ID)+"?saved=1", http.StatusSeeOther)
	return nil
}

func (h *Handler) riskUpdateSubmit(w http.ResponseWriter, r *http.Request) error {
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
	in, p := readRiskForm(r, old)
	in.ID = id
	saved, err := h.saveFormRisk(r, n, in, p, &old)
	var problems validate.Error
	if errors.As(err, &problems) {
		return h.renderRisk(w, r, n, id, http.StatusUnprocessableEntity, &in, problems, nil)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, riskURL(n.org.Slug, saved.ID)+"?saved="+strconv.Itoa(saved.Version), http.StatusSeeOther)
	return nil
}

// saveFormRisk saves a risk read from the form, with the problems found
// reading it (p) reported with the rest.
func (h *Handler) saveFormRisk(r *http.Request, n *regNames, in risk.Risk, p validate.Error, old *risk.Risk) (risk.Risk, error) {
	if len(p) == 0 {
		return h.saveRisk(r, n, in, old)
	}
	// Nothing is saved from a form that could not be read; the store's
	// checks still run, so that every problem shows at once.
	err := h.s.DB().CheckRisk(r.Context(), n.org.ID, in)
	var sp validate.Error
	if err != nil && !errors.As(err, &sp) {
		return risk.Risk{}, err
	}
	for f, m := range sp {
		if p[f] == "" {
			p.Add(f, m)
		}
	}
	return risk.Risk{}, p
}
