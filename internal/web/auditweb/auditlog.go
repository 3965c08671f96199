package auditweb

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// auditView is the audit log page of an organisation, or of the deployment
// for platform administrators.
type auditView struct {
	web.Page
	Scope    string // "org" or "admin"
	Base     string // the page's path, for filter and paging links
	Entries  []auditRow
	Filter   auditForm
	Problems validate.Error
	NextURL  string
	Entry    *auditRow
	Proof    *proofView
	Verify   verifyStatus
	// People are the organisation's members, offered by the actor filter
	// (the organisation's log only).
	People []person
}

// person is a member the actor filter offers: the email it takes, and the
// name it shows.
type person struct{ Email, Name string }

// auditRow is an entry as the page shows it: people by name and email,
// stored keys in words. The API gives the entry as recorded.
type auditRow struct {
	audit.Entry
	Who         string // the actor
	ActionLabel string // the action in words, "" where there is none
	What        string // the object
	Said        string // the summary
	Org         string
}

// auditForm is the filter form as typed.
type auditForm struct {
	Actor, Action, Object, From, To string
	// HideReads leaves out the log's record of its own reading
	// (?reads=hide), so that changes stand out.
	HideReads bool
}

// auditEntryJSON is an entry in the API.
type auditEntryJSON struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	OrgID     int64     `json:"org_id,omitempty"`
	Actor     string    `json:"actor"`
	Action    string    `json:"action"`
	Object    string    `json:"object"`
	Source    string    `json:"source,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	Summary   string    `json:"summary"`
}

// parseAuditFilter reads the filter from the query string.
func parseAuditFilter(q url.Values) (store.AuditFilter, auditForm, validate.Error) {
	form := auditForm{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Object: strings.TrimSpace(q.Get("object")), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		HideReads: q.Get("reads") == "hide"}
	f := store.AuditFilter{Actor: form.Actor, Action: form.Action, Object: form.Object, Limit: 100, NoReads: form.HideReads}
	// The pages show people by email, so the filter takes one: the store
	// finds the person (in the organisation only).
	if strings.Contains(form.Actor, "@") {
		f.Actor, f.ActorEmail = "", form.Actor
	}
	if strings.Contains(form.Object, "@") {
		f.Object, f.ObjectEmail = "", form.Object
	}
	problems := validate.Error{}
	if v := q.Get("reads"); v != "" && v != "hide" {
		problems.Add("reads", `must be "hide" or left out`)
	}
	parseDay := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		for _, layout := range []string{"2006-01-02", time.RFC3339} {
			if t, err := time.Parse(layout, v); err == nil {
				return t
			}
		}
		problems.Add(field, "must be a date such as 2026-11-22")
		return time.Time{}
	}
	f.From = parseDay("from", form.From)
	f.To = parseDay("to", form.To)
	if !f.To.IsZero() && len(form.To) == len("2006-01-02") {
		f.To = f.To.AddDate(0, 0, 1) // a day given as "to" includes that day
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		problems.Add("to", "must be after the start")
	}
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n <= 0 {
			problems.Add("cursor", "is not a cursor this server issued")
		}
		f.Before = n
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			problems.Add("limit", "must be a whole number from 1 to 500")
		}
		f.Limit = n
	}
	for field, v := range map[string]string{"actor": form.Actor, "action": form.Action, "object": form.Object} {
		if len(v) > 200 {
			problems.Add(field, "must be at most 200 characters")
		}
	}
	return f, form, problems
}

// auditRows names the people behind the entries' actors and in their
// objects and summaries, and gives the organisations' slugs, looking up
// only those the entries name.
func (h *Handler) auditRows(r *http.Request, entries []audit.Entry) ([]auditRow, error) {
	var orgIDs []int64
	var texts []string
	for _, e := range entries {
		texts = append(texts, e.Actor, e.Object, e.Summary)
		if e.OrgID != 0 {
			orgIDs = append(orgIDs, e.OrgID)
		}
	}
	slices.Sort(orgIDs)
	people, err := h.s.People(r.Context(), texts...)
	if err != nil {
		return nil, err
	}
	slugs, err := h.s.DB().OrgSlugs(r.Context(), slices.Compact(orgIDs))
	if err != nil {
		return nil, err
	}
	rows := make([]auditRow, len(entries))
	for i, e := range entries {
		rows[i] = auditRow{Entry: e, Who: people.NameEmail(e.Actor), ActionLabel: actionLabel(e.Action),
			What: people.Text(e.Object), Said: people.Text(e.Summary), Org: slugs[e.OrgID]}
	}
	return rows, nil
}

// members are the people the organisation's actor filter offers.
func (h *Handler) members(r *http.Request, orgID int64) ([]person, error) {
	ms, _, err := h.s.DB().MemberPage(r.Context(), orgID, store.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	out := make([]person, 0, len(ms))
	for _, m := range ms {
		out = append(out, person{Email: m.User.Email, Name: m.User.Name})
	}
	return out, nil
}

// recordRead records a read of the audit log (store.AuditRead): one entry
// per session, organisation and window (store.ReadWindow), so that a
// reviewer paging through the log leaves a trace without burying it. A
// token's reads are counted per token.
func (h *Handler) recordRead(r *http.Request, e audit.Entry) error {
	e.Action = store.ReadAction
	var session string
	switch p := web.PrincipalOf(r.Context()); {
	case p == nil:
	case p.Token != nil:
		session = fmt.Sprintf("token:%d", p.Token.ID)
	case p.Session != nil:
		session = fmt.Sprintf("session:%d", p.Session.ID)
	}
	_, err := h.s.DB().AuditRead(r.Context(), h.s.Actor(r), session, e, store.ReadWindow)
	return err
}

// auditList serves the list for one organisation (orgID) or all (0).
func (h *Handler) auditList(w http.ResponseWriter, r *http.Request, orgID int64, v *auditView) error {
	f, form, problems := parseAuditFilter(r.URL.Query())
	f.OrgID = orgID
	if len(problems) > 0 {
		if web.WantsJSON(r) {
			return problems
		}
		v.Filter, v.Problems = form, problems
		h.s.Render(w, r, http.StatusUnprocessableEntity, "audit", v)
		return nil
	}
	entries, more, err := h.s.DB().AuditSearch(r.Context(), f)
	if err != nil {
		return err
	}
	// Reading the log is itself recorded, once per session and window.
	if err := h.recordRead(r, audit.Entry{OrgID: orgID, Object: "audit:log",
		Summary: fmt.Sprintf("viewed %d entries (filter actor=%q action=%q object=%q from=%q to=%q reads=%q)", len(entries), form.Actor, form.Action, form.Object, form.From, form.To, r.URL.Query().Get("reads"))}); err != nil {
		return err
	}
	next := ""
	if more && len(entries) > 0 {
		q := r.URL.Query()
		q.Set("cursor", strconv.FormatInt(entries[len(entries)-1].Seq, 10))
		next = q.Encode()
	}
	if web.WantsJSON(r) {
		items := make([]auditEntryJSON, len(entries))
		for i, e := range entries {
			items[i] = auditEntryJSON(e)
		}
		var cursor *string
		if more && len(entries) > 0 {
			c := strconv.FormatInt(entries[len(entries)-1].Seq, 10)
			cursor = &c
		}
		h.s.WriteJSON(w, r, http.StatusOK, web.List[auditEntryJSON]{Items: items, NextCursor: cursor})
		return nil
	}
	if v.Entries, err = h.auditRows(r, entries); err != nil {
		return err
	}
	v.Filter = form
	if orgID != 0 {
		if v.People, err = h.members(r, orgID); err != nil {
			return err
		}
	}
	if v.Verify, err = h.verifyStatusFor(r); err != nil {
		return err
	}
	if next != "" {
		v.NextURL = v.Base + "?" + next
	}
	h.s.Render(w, r, http.StatusOK, "audit", v)
	return nil
}

func (h *Handler) orgAuditPage(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	base := "/orgs/" + a.Org.Slug + "/audit"
	return h.auditList(w, r, a.Org.ID, &auditView{Page: web.Page{Title: "Audit log", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Audit log"})}, Scope: "org", Base: base})
}

func (h *Handler) adminAuditPage(w http.ResponseWriter, r *http.Request) error {
	return h.auditList(w, r, 0, &auditView{Page: web.Page{Title: "Audit log", Breadcrumbs: []web.Crumb{{Label: "Admin", URL: "/admin/users"}, {Label: "Audit log"}}},
		Scope: "admin", Base: "/admin/audit"})
}

// auditShow serves one entry of orgID's log (0: any).
func (h *Handler) auditShow(w http.ResponseWriter, r *http.Request, orgID int64, v *auditView) error {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil {
		return &web.HTTPError{Code: http.StatusNotFound, Msg: "No such audit entry."}
	}
	e, err := h.s.DB().AuditEntry(r.Context(), orgID, seq)
	if err != nil {
		return err
	}
	if err := h.recordRead(r, audit.Entry{OrgID: orgID, Object: fmt.Sprintf("audit:%d", seq), Summary: fmt.Sprintf("viewed audit entry %d", seq)}); err != nil {
		return err
	}
	if web.WantsJSON(r) {
		h.s.WriteJSON(w, r, http.StatusOK, auditEntryJSON(e))
		return nil
	}
	rows, err := h.auditRows(r, []audit.Entry{e})
	if err != nil {
		return err
	}
	v.Entry = &rows[0]
	v.Proof = h.proofFor(r.Context(), seq)
	v.Breadcrumbs = append(v.Breadcrumbs, web.Crumb{Label: fmt.Sprintf("Entry %d", seq)})
	h.s.Render(w, r, http.StatusOK, "audit", v)
	return nil
}

func (h *Handler) orgAuditEntry(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	base := "/orgs/" + a.Org.Slug + "/audit"
	return h.auditShow(w, r, a.Org.ID, &auditView{Page: web.Page{Title: "Audit entry", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Audit log", URL: base})}, Scope: "org", Base: base})
}

func (h *Handler) adminAuditEntry(w http.ResponseWriter, r *http.Request) error {
	return h.auditShow(w, r, 0, &auditView{Page: web.Page{Title: "Audit entry", Breadcrumbs: []web.Crumb{{Label: "Admin", URL: "/admin/users"}, {Label: "Audit log", URL: "/admin/audit"}}},
		Scope: "admin", Base: "/admin/audit"})
}
