package riskweb

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Evidence when a task is done: the page that marks a task done lets the
// person link evidence of the organisation to it, found by a search of the
// titles of its current evidence (store.EvidenceSearchPage, as the
// assessment's entry page searches); the task lists show each task's
// linked evidence. Only the linked evidence and one page of results are
// read, never the whole organisation's: a hospital keeps thousands of
// documents. The page works without JavaScript.

func (h *Handler) registerTaskEvidence(s *web.Server) {
	s.Route("GET /orgs/{org}/tasks/{id}/done", identity.PermOrgWrite, h.taskDonePage)
}

// taskEvidence is one piece of evidence as a task shows it.
type taskEvidence struct {
	ID       int64
	Title    string
	Kind     string
	URL      string
	Retired  bool
	Selected bool
}

func evidenceOf(slug string, ev assess.Evidence, selected bool) taskEvidence {
	kind := "file"
	if ev.Kind == assess.EvidenceLink {
		kind = "link"
	}
	return taskEvidence{ID: ev.ID, Title: ev.Title, Kind: kind, URL: fmt.Sprintf("/orgs/%s/evidence/%d", slug, ev.ID), Retired: ev.Retired(), Selected: selected}
}

// taskEvidence fills in the evidence linked to each row's task, one query
// per organisation among the rows.
func (h *Handler) taskEvidence(r *http.Request, rows []taskRow) error {
	byOrg := map[int64][]int64{}
	slugs := map[int64]string{}
	for _, t := range rows {
		byOrg[t.OrgID] = append(byOrg[t.OrgID], t.EvidenceIDs...)
		slugs[t.OrgID] = t.OrgSlug
	}
	found := map[int64]assess.Evidence{}
	for _, org := range slices.Sorted(maps.Keys(byOrg)) {
		if len(byOrg[org]) == 0 {
			continue
		}
		list, err := h.s.DB().EvidenceByIDs(r.Context(), org, byOrg[org])
		if err != nil {
			return err
		}
		for _, ev := range list {
			found[ev.ID] = ev
		}
	}
	for i := range rows {
		for _, id := range rows[i].EvidenceIDs {
			if ev, ok := found[id]; ok && ev.OrgID == rows[i].OrgID {
				rows[i].Evidence = append(rows[i].Evidence, evidenceOf(slugs[ev.OrgID], ev, true))
			}
		}
	}
	return nil
}

// taskDoneFound is how many search results the page shows.
const taskDoneFound = 20

type taskDoneView struct {
	web.Page
	Org      identity.Org
	Task     store.PlanTask
	RiskURL  string
	PostURL  string
	PageURL  string
	Return   string
	Linked   []taskEvidence
	Query    string
	Searched bool
	Found    []taskEvidence
	More     bool
	Problem  string
	WasDone  bool
}

func (h *Handler) taskDonePage(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "task")
	if err != nil {
		return err
	}
	t, err := h.s.DB().Task(r.Context(), web.OrgOf(r.Context()).Org.ID, id)
	if err != nil {
		return err
	}
	return h.renderTaskDone(w, r, t, t.EvidenceIDs, http.StatusOK, "")
}

// renderTaskDone shows the page that marks task t done with the evidence
// linked (the task's, or what the person chose) and the results of the
// search ?q=.
func (h *Handler) renderTaskDone(w http.ResponseWriter, r *http.Request, t store.PlanTask, linked []int64, status int, problem string) error {
	a := web.OrgOf(r.Context())
	back := r.URL.Query().Get("return")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = riskURL(a.Org.Slug, t.RiskID) + "#tasks"
	}
	base := fmt.Sprintf("/orgs/%s/tasks/%d", a.Org.Slug, t.ID)
	v := &taskDoneView{Page: web.Page{Title: "Mark a task done", Breadcrumbs: web.OrgCrumbs(a,
		web.Crumb{Label: "Risk management plan", URL: "/orgs/" + a.Org.Slug + "/plan"}, web.Crumb{Label: "Mark done"})},
		Org: a.Org, Task: t, RiskURL: riskURL(a.Org.Slug, t.RiskID), PostURL: base + "?return=" + url.QueryEscape(back),
		PageURL: base + "/done", Return: back, Query: strings.TrimSpace(r.URL.Query().Get("q")), Problem: problem, WasDone: t.Status == risk.TaskDone}
	ctx := r.Context()
	list, err := h.s.DB().EvidenceByIDs(ctx, a.Org.ID, linked)
	if err != nil {
		return err
	}
	for _, ev := range list {
		v.Linked = append(v.Linked, evidenceOf(a.Org.Slug, ev, true))
	}
	if r.URL.Query().Has("q") {
		found, next, err := h.s.DB().EvidenceSearchPage(ctx, a.Org.ID, store.EvidenceSearch{Text: v.Query, Current: true}, store.Page{Limit: taskDoneFound})
		if err != nil {
			return err
		}
		v.Searched, v.More = true, next != nil
		for _, ev := range found {
			if !slices.Contains(linked, ev.ID) {
				v.Found = append(v.Found, evidenceOf(a.Org.Slug, ev, false))
			}
		}
	}
	h.s.Render(w, r, status, "risk_task_done", v)
	return nil
}

// taskProblemWords is a task's field problems in one sentence.
func taskProblemWords(p validate.Error) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		what := strings.ReplaceAll(strings.TrimSuffix(k, "_ids"), "_", " ")
		out = append(out, "The "+what+" "+p[k]+".")
	}
	return "The task was not saved. " + strings.Join(out, " ")
}
