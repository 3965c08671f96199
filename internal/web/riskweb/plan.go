package riskweb

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The risk management plan: tasks of the organisation (the plan page and
// the API) and of the signed-in person across organisations ("my tasks").

// taskInput is a task as the API and the forms send it: the due date as a
// date.
type taskInput struct {
	RiskID      int64           `json:"risk_id"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	OwnerID     int64           `json:"owner_id"`
	Due         string          `json:"due"`
	Status      risk.TaskStatus `json:"status"`
	Entries     []string        `json:"entries"`
	EvidenceIDs []int64         `json:"evidence_ids"`
	Version     int             `json:"version"`
}

func inputOf(t risk.Task) taskInput {
	return taskInput{RiskID: t.RiskID, Title: t.Title, Description: t.Description, OwnerID: t.OwnerID, Due: regDateValue(t.Due),
		Status: t.Status, Entries: t.Entries, EvidenceIDs: t.EvidenceIDs, Version: t.Version}
}

// task reads in into a task, adding what cannot be read to p.
func (in taskInput) task(p validate.Error) risk.Task {
	return risk.Task{RiskID: in.RiskID, Title: in.Title, Description: in.Description, OwnerID: in.OwnerID, Due: regDate(p, "due", in.Due),
		Status: in.Status, Entries: cleanLines(in.Entries), EvidenceIDs: in.EvidenceIDs, Version: in.Version}
}

// saveTask creates (id 0) or updates a task: catalogue citations are
// checked here, the rest by the store, and every problem is reported at
// once.
func (h *Handler) saveTask(r *http.Request, n *regNames, id int64, in taskInput) (risk.Task, error) {
	p := validate.Error{}
	t := in.task(p)
	t.ID = id
	n.checkCitations(p, "entries", t.Entries)
	db, org, actor := h.s.DB(), n.org.ID, h.s.Actor(r)
	var saved risk.Task
	var err error
	if len(p) > 0 {
		// Run the store's checks too, on a task that cannot be saved.
		t.Title, t.Due = "", time.Time{}
		if id == 0 {
			_, err = db.CreateTask(r.Context(), actor, org, t)
		} else {
			_, err = db.UpdateTask(r.Context(), actor, org, t)
		}
		var sp validate.Error
		if err != nil && !errors.As(err, &sp) {
			return risk.Task{}, err
		}
		for f, m := range sp {
			if f == "title" && in.Title != "" || f == "due" && in.Due != "" {
				continue
			}
			p.Add(f, m)
		}
		return risk.Task{}, p
	}
	if id == 0 {
		saved, err = db.CreateTask(r.Context(), actor, org, t)
	} else {
		saved, err = db.UpdateTask(r.Context(), actor, org, t)
	}
	return saved, err
}

func (h *Handler) apiTasks(w http.ResponseWriter, r *http.Request) error {
	f, err := readTaskFilter(r)
	if err != nil {
		return err
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	ts, next, err := h.s.DB().Tasks(r.Context(), web.OrgOf(r.Context()).Org.ID, f, pg)
	if err != nil {
		return err
	}
	web.WritePage(h.s, w, r, tasksJSON(ts, time.Now()), next)
	return nil
}

// taskJSON is a task with whether it is overdue.
type taskJSON struct {
	store.PlanTask
	Overdue bool `json:"overdue"`
}

func tasksJSON(ts []store.PlanTask, now time.Time) []taskJSON {
	out := make([]taskJSON, len(ts))
	for i, t := range ts {
		out[i] = taskJSON{PlanTask: t, Overdue: t.Overdue(now)}
	}
	return out
}

func readTaskFilter(r *http.Request) (store.TaskFilter, error) {
	q := r.URL.Query()
	p := validate.Error{}
	f := store.TaskFilter{OwnerID: regInt(p, "owner", q.Get("owner")), RiskID: regInt(p, "risk", q.Get("risk")), Status: risk.TaskStatus(q.Get("status"))}
	if f.Status != "" && !slices.Contains(risk.TaskStatuses(), f.Status) {
		p.Add("status", "must be todo, in_progress, done or dropped")
	}
	switch q.Get("overdue") {
	case "", "0", "false":
	case "1", "true", "on":
		f.Overdue = true
	default:
		p.Add("overdue", "must be true or false")
	}
	return f, p.Err()
}

func (h *Handler) apiTaskCreate(w http.ResponseWriter, r *http.Request) error {
	var in taskInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	t, err := h.saveTask(r, n, 0, in)
	if err != nil {
		return err
	}
	pt, err := h.s.DB().Task(r.Context(), n.org.ID, t.ID)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusCreated, taskJSON{PlanTask: pt, Overdue: pt.Overdue(time.Now())})
	return nil
}

// apiTaskUpdate changes the fields the body names over the stored task;
// "version" must be the version read.
func (h *Handler) apiTaskUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "task")
	if err != nil {
		return err
	}
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	old, err := h.s.DB().Task(r.Context(), n.org.ID, id)
	if err != nil {
		return err
	}
	if _, err := web.IfMatch(r, old.Version); err != nil {
		return err
	}
	in := inputOf(old.Task)
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	if _, err := h.saveTask(r, n, id, in); err != nil {
		return err
	}
	pt, err := h.s.DB().Task(r.Context(), n.org.ID, id)
	if err != nil {
		return err
	}
	web.SetETag(w, pt.Version)
	h.s.WriteJSON(w, r, http.StatusOK, taskJSON{PlanTask: pt, Overdue: pt.Overdue(time.Now())})
	return nil
}

func (h *Handler) apiMyTasks(w http.ResponseWriter, r *http.Request) error {
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	ts, next, err := h.s.DB().MyTasks(r.Context(), web.PrincipalOf(r.Context()).User.ID, pg)
	if err != nil {
		return err
	}
	web.WritePage(h.s, w, r, tasksJSON(ts, time.Now()), next)
	return nil
}

// Pages.

// taskRow is a task as the plan's tables show it.
type taskRow struct {
	store.PlanTask
	Owner   string
	DueText string
	// DoneText is when the task was marked done, in its organisation's
	// time zone.
	DoneText  string
	Overdue   bool
	Status    string
	RiskURL   string
	UpdateURL string
	CanWrite  bool
	// Evidence is the evidence linked to the task; DoneURL the page that
	// marks it done with evidence.
	Evidence []taskEvidence
	DoneURL  string
}

type regOption struct {
	Value    string
	Label    string
	Selected bool
}

func taskStatusOptions(sel risk.TaskStatus) []regOption {
	var out []regOption
	for _, s := range risk.TaskStatuses() {
		out = append(out, regOption{Value: string(s), Label: s.Label(), Selected: s == sel})
	}
	return out
}

// taskList is a table of tasks (template "reg-tasks"), each with a form
// to change its status where the viewer may.
type taskList struct {
	Tasks    []taskRow
	ShowRisk bool
	ShowOrg  bool
	// Mine is set on the viewer's own tasks, where who does each goes
	// without saying.
	Mine         bool
	Filtered     bool
	CSRF         string
	StatusChoice []regOption
}

// csrfOf is the token a list's forms send back.
func csrfOf(r *http.Request) string {
	if p := web.PrincipalOf(r.Context()); p != nil && p.Session != nil {
		return p.Session.CSRF
	}
	return ""
}

type planView struct {
	web.Page
	Org    identity.Org
	List   taskList
	Counts store.PlanCounts
	// Filter is what the list is filtered by.
	Owners   []regOption
	Statuses []regOption
	Overdue  bool
	NextURL  string
	MyTasks  bool
}

// taskRows makes the rows of tasks ts; zone is the time zone of a task's
// organisation, by the organisation's ID.
func (h *Handler) taskRows(r *http.Request, ts []store.PlanTask, names func(int64) string, canWrite func(int64) bool, zone func(int64) *time.Location, back string) ([]taskRow, error) {
	now := time.Now()
	out := make([]taskRow, len(ts))
	for i, t := range ts {
		base := "/orgs/" + t.OrgSlug + "/tasks/" + itoa(t.ID)
		out[i] = taskRow{PlanTask: t, Owner: names(t.OwnerID), DueText: web.Day(t.Due), DoneText: dateIn(t.DoneAt, zone(t.OrgID)), Overdue: t.Overdue(now), Status: t.Status.Label(),
			RiskURL: riskURL(t.OrgSlug, t.RiskID), UpdateURL: base + "?return=" + url.QueryEscape(back),
			DoneURL: base + "/done?return=" + url.QueryEscape(back), CanWrite: canWrite(t.OrgID)}
	}
	if err := h.taskEvidence(r, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (h *Handler) planPage(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	f, err := readTaskFilter(r)
	if err != nil {
		return err
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	ts, next, err := h.s.DB().Tasks(r.Context(), a.Org.ID, f, pg)
	if err != nil {
		return err
	}
	v := &planView{Page: web.Page{Title: "Risk management plan", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Risk management plan"})},
		Org: a.Org, Overdue: f.Overdue, NextURL: web.NextPageURL(r, next)}
	if v.Counts, err = h.s.DB().PlanCounts(r.Context(), a.Org.ID, time.Now()); err != nil {
		return err
	}
	write := a.Allows(identity.PermOrgWrite)
	loc := zoneOf(a.Org)
	rows, err := h.taskRows(r, ts, n.person, func(int64) bool { return write }, func(int64) *time.Location { return loc }, r.URL.RequestURI())
	if err != nil {
		return err
	}
	v.List = taskList{Tasks: rows, ShowRisk: true, Filtered: r.URL.RawQuery != "", CSRF: csrfOf(r), StatusChoice: taskStatusOptions("")}
	v.Owners = []regOption{{Value: "", Label: "Anyone"}}
	for _, m := range n.members {
		v.Owners = append(v.Owners, regOption{Value: itoa(m.User.ID), Label: memberName(m.User), Selected: m.User.ID == f.OwnerID})
	}
	v.Statuses = append([]regOption{{Value: "", Label: "Any status"}}, taskStatusOptions(f.Status)...)
	if f.Status == "" {
		v.Statuses[0].Selected = true
	}
	h.s.Render(w, r, http.StatusOK, "risk_plan", v)
	return nil
}

func (h *Handler) myTasksPage(w http.ResponseWriter, r *http.Request) error {
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	p := web.PrincipalOf(r.Context())
	ts, next, err := h.s.DB().MyTasks(r.Context(), p.User.ID, pg)
	if err != nil {
		return err
	}
	ms, err := h.s.DB().Memberships(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	writes := map[int64]bool{}
	for _, m := range ms {
		writes[m.OrgID] = m.Role.Allows(identity.PermOrgWrite)
	}
	me := memberName(p.User)
	v := &planView{Page: web.Page{Title: "My tasks", Breadcrumbs: []web.Crumb{{Label: "Organisations", URL: "/"}, {Label: "My tasks"}}},
		NextURL: web.NextPageURL(r, next), MyTasks: true}
	// Each task's times in its own organisation's zone.
	zones := map[int64]*time.Location{}
	for _, t := range ts {
		if _, ok := zones[t.OrgID]; ok {
			continue
		}
		org, err := h.s.DB().Org(r.Context(), t.OrgSlug)
		if err != nil {
			return err
		}
		zones[t.OrgID] = zoneOf(org)
	}
	rows, err := h.taskRows(r, ts, func(int64) string { return me }, func(org int64) bool { return writes[org] }, func(org int64) *time.Location { return zones[org] }, "/tasks")
	if err != nil {
		return err
	}
	v.List = taskList{Tasks: rows, ShowRisk: true, ShowOrg: true, Mine: true, CSRF: csrfOf(r), StatusChoice: taskStatusOptions("")}
	h.s.Render(w, r, http.StatusOK, "risk_plan", v)
	return nil
}

// taskCreateSubmit adds a task to a risk from the risk's page.
func (h *Handler) taskCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "risk")
	if err != nil {
		return err
	}
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	in := taskInput{RiskID: id, Title: r.PostFormValue("title"), Description: r.PostFormValue("description"), Due: r.PostFormValue("due"),
		Status: risk.TaskStatus(r.PostFormValue("status")), Entries: strings.Fields(r.PostFormValue("entries"))}
	p := validate.Error{}
	in.OwnerID = regInt(p, "owner_id", r.PostFormValue("owner_id"))
	if len(p) == 0 {
		_, err = h.saveTask(r, n, 0, in)
	} else {
		err = p
	}
	var problems validate.Error
	if errors.As(err, &problems) {
		return h.renderRisk(w, r, n, id, http.StatusUnprocessableEntity, nil, nil, &taskForm{In: in, Problems: problems})
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, riskURL(n.org.Slug, id)+"#tasks", http.StatusSeeOther)
	return nil
}

// taskUpdateSubmit changes a task's status from a list (the plan, my
// tasks, a risk's page) and goes back there.
func (h *Handler) taskUpdateSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := regID(r, "task")
	if err != nil {
		return err
	}
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	old, err := h.s.DB().Task(r.Context(), n.org.ID, id)
	if err != nil {
		return err
	}
	in := inputOf(old.Task)
	in.Status = risk.TaskStatus(r.PostFormValue("status"))
	p := validate.Error{}
	if r.PostFormValue("evidence_offered") != "" {
		// The done page's checkboxes: the evidence linked from now on.
		in.EvidenceIDs = []int64{}
		for _, v := range r.PostForm["evidence"] {
			if id := regInt(p, "evidence_ids", v); id > 0 {
				in.EvidenceIDs = append(in.EvidenceIDs, id)
			}
		}
	}
	if v := r.PostFormValue("version"); v != "" {
		in.Version = int(regInt(p, "version", v))
	}
	if len(p) == 0 {
		_, err = h.saveTask(r, n, id, in)
	} else {
		err = p
	}
	if err != nil && r.PostFormValue("evidence_offered") != "" {
		var problems validate.Error
		switch {
		case errors.As(err, &problems):
			return h.renderTaskDone(w, r, old, in.EvidenceIDs, http.StatusUnprocessableEntity, taskProblemWords(problems))
		case errors.Is(err, store.ErrConflict):
			return h.renderTaskDone(w, r, old, in.EvidenceIDs, http.StatusConflict, conflictMessage(err))
		}
	}
	if err != nil {
		return err
	}
	back := r.URL.Query().Get("return")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = "/orgs/" + n.org.Slug + "/plan"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
