package orgweb

import (
	"fmt"
	"net/http"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/web"
)

// dashboard is the compliance part of an organisation's start page.
type dashboard struct {
	Slug        string
	Profile     assess.Profile
	Official    string
	Triggers    []assess.Trigger
	Current     *assess.Assessment
	CurrentURL  string
	CurrentStat string
	Chart       web.PostureChartView
	Overall     assess.Counts
	Decisions   []web.OutcomeCount
	Overdue     []overdueItem
	Past        []assessLink
	// MorePast says there are older assessments than Past shows.
	MorePast bool
	// BlockedEntries and BlockedReviews count the entries and the category
	// reviews that block sign-off, as the assessment's overview does.
	BlockedEntries, BlockedReviews int
	// Risks is the risk register's summary (dashboard_risk.go).
	Risks *riskDashboard
}

// pastShown is how many assessments before the current one the start page
// names.
const pastShown = 5

type overdueItem struct {
	Citation, Title, Owner, URL string
	Target                      string
	Status                      string
}

type assessLink struct {
	Name, URL, Status, When string
}

// dashboard gathers the organisation's compliance posture for its start page.
func (h *Handler) dashboard(r *http.Request, orgID int64) (*dashboard, error) {
	o := web.OrgOf(r.Context())
	p, err := h.s.DB().OrgProfile(r.Context(), orgID)
	if err != nil {
		return nil, err
	}
	// The newest assessments, not every one: the page names the current one
	// and a few before it, and links to the list for the rest.
	as, more, err := h.s.DB().AssessmentPage(r.Context(), orgID, store.Page{Limit: pastShown + 1})
	if err != nil {
		return nil, err
	}
	triggers, err := h.s.DB().Triggers(r.Context(), p)
	if err != nil {
		return nil, err
	}
	now := h.s.DB().Now().UTC()
	d := &dashboard{Slug: o.Org.Slug, Profile: p, Triggers: triggers, MorePast: more != nil}
	if d.Risks, err = h.riskDashboard(r, orgID, o.Org.Slug); err != nil {
		return nil, err
	}
	if cur, ok := p.Official(); ok {
		d.Official = cur.Name
	}
	for _, a := range as {
		d.Past = append(d.Past, assessLink{Name: a.Name, URL: fmt.Sprintf("/orgs/%s/assessments/%d", o.Org.Slug, a.ID),
			Status: a.Status.Label(), When: web.Day(a.StartedAt)})
	}
	if len(as) == 0 {
		return d, nil
	}
	sh, err := h.s.DB().AssessmentSheet(r.Context(), orgID, as[0].ID)
	if err != nil {
		return nil, err
	}
	d.Current = &sh.Assessment
	d.CurrentURL = d.Past[0].URL
	d.CurrentStat = d.Past[0].Status
	d.Past = d.Past[1:]
	pos := assess.PostureOf(sh, now)
	d.Chart = h.s.PostureChart("Posture of "+sh.Assessment.Name+" by category", pos)
	d.Overall = pos.Overall
	d.Decisions = web.DecisionCounts(pos.Overall)
	for _, eb := range assess.GroupBlockers(assess.Blockers(sh.Assessment, sh.Responses, sh.Decisions, sh.Reviews)) {
		if eb.Citation == "" {
			d.BlockedReviews++
		} else {
			d.BlockedEntries++
		}
	}
	for _, e := range sh.Assessment.Entries {
		resp, ok := sh.Response(e.Citation)
		if !e.Assessable() || !ok || resp.TargetDate.IsZero() || !resp.TargetDate.Before(now) || resp.Status == assess.Implemented || resp.Status == assess.NotApplicable {
			continue
		}
		d.Overdue = append(d.Overdue, overdueItem{Citation: e.Citation, Title: e.Title, Owner: resp.Owner, Target: web.Day(resp.TargetDate),
			Status: resp.Status.Label(), URL: d.CurrentURL + "/entries/" + e.Citation})
	}
	return d, nil
}
