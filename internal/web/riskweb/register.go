package riskweb

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The register and the plan: risks, their ratings and treatments, tasks,
// and the organisation's rating scale. Reading needs org:read; adding and
// changing risks and tasks org:write; recording that a risk is accepted
// and changing the scale org:security (what the rule gives the security
// official), in the pages and the JSON API alike.

func (h *Handler) registerRegister(s *web.Server) {
	read, write, security := identity.PermOrgRead, identity.PermOrgWrite, identity.PermOrgSecurity
	const page = "/orgs/{org}"
	s.Route("GET "+page+"/risks", read, h.registerPage)
	s.Route("GET "+page+"/risks/new", write, h.riskNewPage)
	s.Route("GET "+page+"/risks/suggested", read, h.suggestedPage)
	s.Route("POST "+page+"/risks", write, h.riskCreateSubmit)
	s.Route("GET "+page+"/risks/{id}", read, h.riskPage)
	s.Route("POST "+page+"/risks/{id}", write, h.riskUpdateSubmit)
	s.Route("POST "+page+"/risks/{id}/tasks", write, h.taskCreateSubmit)
	s.Route("POST "+page+"/tasks/{id}", write, h.taskUpdateSubmit)
	s.Route("GET "+page+"/plan", read, h.planPage)
	s.Route("GET "+page+"/risk-scale", read, h.scalePage)
	s.Route("POST "+page+"/risk-scale", security, h.scaleSubmit)
	s.Route("GET /tasks", identity.PermSignedIn, h.myTasksPage)

	const api = "/api/v1/orgs/{org}"
	s.Route("GET "+api+"/risks", read, h.apiRisks)
	s.Doc("GET "+api+"/risks", web.APIDoc{Summary: "The risk register, highest level first unless sorted otherwise", Response: riskJSON{}, List: true, Query: []web.Param{
		{Name: "status", Description: "open, treated or closed"}, {Name: "level", Description: "a level of the scale, 1 up"}, {Name: "category"}, {Name: "threat"},
		{Name: "asset", Description: "an asset ID"}, {Name: "owner", Description: "a user ID"}, {Name: "sort", Description: "level, title or updated"},
		{Name: "likelihood"}, {Name: "impact"}, {Name: "which", Description: "with likelihood and impact: current (default) or inherent"}}})
	s.Route("POST "+api+"/risks", write, h.apiRiskCreate)
	s.Doc("POST "+api+"/risks", web.APIDoc{Summary: "Add a risk", Request: risk.Risk{}, Response: riskJSON{}, Status: http.StatusCreated})
	s.Route("GET "+api+"/risks/heatmap", read, h.apiHeatMap)
	s.Doc("GET "+api+"/risks/heatmap", web.APIDoc{Summary: "How many risks sit in each cell of the scale", Response: heatMapJSON{}, Query: []web.Param{{Name: "which", Description: "current (default) or inherent"}}})
	s.Route("GET "+api+"/risks/{id}", read, h.apiRisk)
	s.Doc("GET "+api+"/risks/{id}", web.APIDoc{Summary: "One risk", Response: riskJSON{}, ETag: true})
	s.Route("PATCH "+api+"/risks/{id}", write, h.apiRiskUpdate)
	s.Doc("PATCH "+api+"/risks/{id}", web.APIDoc{Summary: "Change the fields of a risk the body carries", Request: risk.Risk{}, Response: riskJSON{}, ETag: true})
	s.Route("GET "+api+"/risks/{id}/history", read, h.apiRiskHistory)
	s.Doc("GET "+api+"/risks/{id}/history", web.APIDoc{Summary: "Every version of a risk, newest first", Response: store.RiskVersion{}, List: true})
	s.Route("GET "+api+"/tasks", read, h.apiTasks)
	s.Doc("GET "+api+"/tasks", web.APIDoc{Summary: "The treatment plan's tasks", Response: taskJSON{}, List: true, Query: []web.Param{
		{Name: "owner", Description: "a user ID"}, {Name: "risk", Description: "a risk ID"}, {Name: "status", Description: "todo, in_progress, done or dropped"}, {Name: "overdue", Description: "true: only overdue tasks"}}})
	s.Route("POST "+api+"/tasks", write, h.apiTaskCreate)
	s.Doc("POST "+api+"/tasks", web.APIDoc{Summary: "Add a task to a risk's treatment plan", Request: taskInput{}, Response: taskJSON{}, Status: http.StatusCreated})
	s.Route("PATCH "+api+"/tasks/{id}", write, h.apiTaskUpdate)
	s.Doc("PATCH "+api+"/tasks/{id}", web.APIDoc{Summary: "Change the fields of a task the body carries", Request: taskInput{}, Response: taskJSON{}, ETag: true})
	s.Route("GET "+api+"/risk-scale", read, h.apiScale)
	s.Doc("GET "+api+"/risk-scale", web.APIDoc{Summary: "The organisation's risk scale and every scale it has used", Response: scaleJSON{}})
	s.Route("PUT "+api+"/risk-scale", security, h.apiScalePut)
	s.Doc("PUT "+api+"/risk-scale", web.APIDoc{Summary: "Change the risk scale: a preset, a scale used before, or a new one", Request: scalePut{}, Response: risk.Scale{},
		Example: scalePut{Preset: "5x5"}})
	s.Route("GET /api/v1/me/tasks", identity.PermSignedIn, h.apiMyTasks)
	s.Doc("GET /api/v1/me/tasks", web.APIDoc{Summary: "Your own tasks in every organisation", Response: taskJSON{}, List: true})
}

// regID reads the path's {id}, a 404 naming what is missing otherwise.
func regID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &web.HTTPError{Code: http.StatusNotFound, Msg: "There is no such " + what + "."}
	}
	return id, nil
}

const regDateForm = "2006-01-02"

// regDate reads a date ("2026-03-01"; an API may send a full RFC 3339
// time), adding a problem under field when it is not one.
func regDate(p validate.Error, field, v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if t, err := time.Parse(regDateForm, v); err == nil {
		return t
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC()
	}
	p.Add(field, "must be a date such as 2026-03-01")
	return time.Time{}
}

func regDateValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(regDateForm)
}

// regInt reads a whole number from a form or query (0 when empty).
func regInt(p validate.Error, field, v string) int64 {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		p.Add(field, "must be chosen from the list")
		return 0
	}
	return n
}

// regNames is what the register's pages and API read to show names
// instead of keys and IDs: the scales, the threat library and the
// organisation's own threats, its assets and its members.
type regNames struct {
	ctx     context.Context
	db      *store.DB
	org     identity.Org
	scale   risk.Scale
	scales  map[int64]risk.Scale
	lib     risk.Library
	prof    *catalog.Profile
	choices store.RiskChoices
	members []store.Member
	assets  map[int64]string
	people  map[int64]string
	// The current assessment and the suggested risks, read once a
	// request when needed (suggest.go).
	sheet         *assess.Sheet
	sheetRead     bool
	suggested     []risk.Suggestion
	suggestedRead bool
	// suggestCapped is set when the read for suggestions stopped at
	// suggestPage assets or flows.
	suggestCapped bool
}

func (h *Handler) regNames(r *http.Request) (*regNames, error) {
	ctx := r.Context()
	a := web.OrgOf(ctx)
	n := &regNames{ctx: ctx, db: h.s.DB(), org: a.Org, scales: map[int64]risk.Scale{}, assets: map[int64]string{}, people: map[int64]string{}}
	var err error
	if n.scale, err = h.s.DB().OrgScale(ctx, a.Org.ID); err != nil {
		return nil, err
	}
	scales, err := h.s.DB().Scales(ctx, a.Org.ID)
	if err != nil {
		return nil, err
	}
	for _, sc := range scales {
		n.scales[sc.ID] = sc
	}
	cat, err := h.s.Catalog()
	if err != nil {
		return nil, err
	}
	if n.lib, err = risk.Shipped(cat); err != nil {
		return nil, err
	}
	if n.prof, err = cat.Profile(catalog.ProfileCurrent); err != nil {
		return nil, err
	}
	if n.choices, err = h.s.DB().RiskChoices(ctx, a.Org.ID); err != nil {
		return nil, err
	}
	for _, c := range n.choices.Assets {
		n.assets[c.ID] = c.Label
	}
	if n.members, err = h.s.DB().Members(ctx, a.Org.ID); err != nil {
		return nil, err
	}
	for _, m := range n.members {
		n.people[m.User.ID] = memberName(m.User)
	}
	return n, nil
}

func memberName(u identity.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// person is a member's name; someone who has left is "a former member".
func (n *regNames) person(id int64) string {
	if id == 0 {
		return ""
	}
	if p, ok := n.people[id]; ok {
		return p
	}
	return "a former member"
}

func (n *regNames) threat(key string) string {
	if t, ok := n.lib.Threat(key); ok {
		return t.Title
	}
	for _, c := range n.choices.Threats {
		if c.Key == key {
			return c.Label
		}
	}
	return key
}

func (n *regNames) vulnerability(key string) string {
	if v, ok := n.lib.Vulnerability(key); ok {
		return v.Title
	}
	for _, c := range n.choices.Vulnerabilities {
		if c.Key == key {
			return c.Label
		}
	}
	return key
}

// loadAssets reads the names of the assets among ids not yet known (the
// choices list at most store.ChoiceAssets), in one query.
func (n *regNames) loadAssets(ids []int64) error {
	var missing []int64
	for _, id := range ids {
		if _, ok := n.assets[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	names, err := n.db.AssetNames(n.ctx, n.org.ID, missing)
	if err != nil {
		return err
	}
	maps.Copy(n.assets, names)
	return nil
}

// assetNames are the names of assets ids, read if not yet known (a page
// listing many risks calls loadAssets first, for one query).
func (n *regNames) assetNames(ids []int64) []string {
	// Should reading fail, the names show as numbers, as an asset deleted
	// since does; the lists call loadAssets first and report it.
	_ = n.loadAssets(ids)
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if name, ok := n.assets[id]; ok {
			out = append(out, name)
		} else {
			out = append(out, fmt.Sprintf("asset %d", id))
		}
	}
	return out
}

// scaleOf is the scale risk r was rated on.
func (n *regNames) scaleOf(r risk.Risk) risk.Scale {
	if sc, ok := n.scales[r.ScaleID]; ok {
		return sc
	}
	return n.scale
}

// levelLabel is a level as a page shows it: its words and its colour.
type levelLabel struct {
	Label  string
	Colour string
	// Describe is the rating in words ("Likelihood High, impact Medium: High").
	Describe string
}

func levelOf(sc risk.Scale, rt risk.Rating) levelLabel {
	lv, ok := sc.Level(rt)
	if !ok {
		return levelLabel{Label: "Not rated", Colour: "#9e9e9e", Describe: "not rated"}
	}
	return levelLabel{Label: sc.Levels[lv].Label, Colour: sc.Levels[lv].Colour, Describe: sc.Describe(rt)}
}

// approvers are the members who may accept a risk.
func (n *regNames) approvers() []store.Member {
	var out []store.Member
	for _, m := range n.members {
		if m.Role.Allows(identity.PermOrgSecurity) {
			out = append(out, m)
		}
	}
	return out
}

// checkCitations adds a problem for each measure or task entry that is not
// a citation of the rule in force.
func (n *regNames) checkCitations(p validate.Error, field string, cs []string) {
	for i, c := range cs {
		if _, err := n.prof.Entry(strings.TrimSpace(c)); err != nil {
			p.Add(fmt.Sprintf("%s.%d", field, i), fmt.Sprintf("%q is not a citation of the Security Rule", c))
		}
	}
}

func riskURL(slug string, id int64) string { return fmt.Sprintf("/orgs/%s/risks/%d", slug, id) }
