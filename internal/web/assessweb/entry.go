package assessweb

import (
	"net/http"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// An entry's page: the catalogue's text, the response and, for an
// addressable specification, the decision, each with its versions.

type entryView struct {
	web.Page
	assessBase
	Entry     assess.EntrySnapshot
	Cat       catalog.Entry
	Category  string
	Resp      responseForm
	Decision  *decisionForm
	Versions  []assess.Response
	DVersions []assess.Decision
	// VersionsNextURL and DVersionsNextURL link to older versions of the
	// response and the decision ("" on the last page).
	VersionsNextURL, DVersionsNextURL string
	Notice                            string
	Problem                           string
	// Accept and Limit describe the files the upload form takes.
	Accept, Limit string
}

func (h *Handler) entryOf(r *http.Request, sh assess.Sheet) (assess.EntrySnapshot, error) {
	cat, err := h.s.Catalog()
	if err != nil {
		return assess.EntrySnapshot{}, err
	}
	e, ok := sh.Assessment.Resolve(cat, r.PathValue("citation"))
	if !ok {
		return e, &web.HTTPError{Code: http.StatusNotFound, Msg: "This assessment has no such entry."}
	}
	return e, nil
}

func (h *Handler) entryPage(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.sheetOf(r)
	if err != nil {
		return err
	}
	e, err := h.entryOf(r, sh)
	if err != nil {
		return err
	}
	v := &entryView{}
	switch r.URL.Query().Get("saved") {
	case "response":
		v.Notice = "Response saved."
	case "decision":
		v.Notice = "Decision saved."
	case "attach":
		v.Notice = "Evidence attached and the response saved."
	case "detach":
		v.Notice = "Evidence detached and the response saved."
	}
	if r.URL.Query().Has("uploaded") {
		v.Notice = "The new evidence was added to the organisation's evidence. Attach it below to link it to this response."
	}
	resp, _ := sh.Response(e.Citation)
	d, _ := sh.Decision(e.Citation)
	return h.renderEntry(w, r, http.StatusOK, sh, e, v, resp, nil, d, nil)
}

func (h *Handler) renderEntry(w http.ResponseWriter, r *http.Request, status int, sh assess.Sheet, e assess.EntrySnapshot, v *entryView,
	resp assess.Response, rp validate.Error, d assess.Decision, dp validate.Error) error {
	o := web.OrgOf(r.Context())
	a := sh.Assessment
	v.assessBase = h.assessBaseOf(r, a)
	v.Page = web.Page{Title: e.Citation + " " + e.Title, Breadcrumbs: assessCrumbs(r, a, web.Crumb{Label: e.Citation})}
	v.Entry, v.Cat, v.Category = e, h.catalogEntry(a, e.Citation), h.s.CategoryTitle(e.Category)
	v.Accept, v.Limit = strings.Join(assess.AcceptedExtensions(), ","), assess.FormatSize(h.s.UploadLimit())
	v.Resp = h.responseFormOf(a, e, "", resp, string(o.Org.Kind), v.CanWrite, o.Org.Slug)
	linked, err := h.s.DB().EvidenceByIDs(r.Context(), o.Org.ID, resp.EvidenceIDs)
	if err != nil {
		return err
	}
	withEvidence(&v.Resp, linked)
	if v.Resp.Editable {
		if v.Resp.Attach, err = h.attachOf(r, &v.Resp); err != nil {
			return err
		}
	}
	v.Resp.Problems = rp
	saved, _ := sh.Decision(e.Citation)
	v.Decision = h.decisionFormOf(e, "", d, &saved, dp, v.CanWrite)
	rpg, err := web.PageQueryOf(r, "responses", versionsPerPage)
	if err != nil {
		return err
	}
	var next *store.Key
	if v.Versions, next, err = h.s.DB().ResponseHistory(r.Context(), o.Org.ID, a.ID, e.Citation, rpg); err != nil {
		return err
	}
	v.VersionsNextURL = web.NextPageURLOf(r, "responses", next, "history-h")
	if v.Decision != nil {
		dpg, err := web.PageQueryOf(r, "decisions", versionsPerPage)
		if err != nil {
			return err
		}
		if v.DVersions, next, err = h.s.DB().DecisionHistory(r.Context(), o.Org.ID, a.ID, e.Citation, dpg); err != nil {
			return err
		}
		v.DVersionsNextURL = web.NextPageURLOf(r, "decisions", next, "decisions-h")
	}
	// The versions were saved by "user:12": the page names the people.
	var actors []string
	for _, ver := range v.Versions {
		actors = append(actors, ver.UpdatedBy)
	}
	people, err := h.s.People(r.Context(), actors...)
	if err != nil {
		return err
	}
	for i := range v.Versions {
		v.Versions[i].UpdatedBy = people.Name(v.Versions[i].UpdatedBy)
	}
	h.s.Render(w, r, status, "assess_entry", v)
	return nil
}

func (h *Handler) entryResponseSubmit(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.sheetOf(r)
	if err != nil {
		return err
	}
	e, err := h.entryOf(r, sh)
	if err != nil {
		return err
	}
	prev, _ := sh.Response(e.Citation)
	evidence, button, err := h.linkedEvidence(r)
	if err != nil {
		return err
	}
	resp, problems, _ := h.readResponse(r, sh.Assessment, e, "", prev, evidence)
	if len(problems) == 0 {
		_, err = h.s.DB().SaveResponse(r.Context(), h.s.Actor(r), web.OrgOf(r.Context()).Org.ID, sh.Assessment.ID, resp)
		if err == nil {
			next := "?saved=response#response-h"
			if button != "" {
				next = "?saved=" + button + "#evidence"
			}
			http.Redirect(w, r, h.assessBaseOf(r, sh.Assessment).Base+"/entries/"+e.Citation+next, http.StatusSeeOther)
			return nil
		}
		if problems = problemsOf(err); problems == nil {
			return err
		}
	}
	d, _ := sh.Decision(e.Citation)
	v := &entryView{Problem: "The response was not saved: correct the fields marked below."}
	return h.renderEntry(w, r, http.StatusUnprocessableEntity, sh, e, v, resp, problems, d, nil)
}

func (h *Handler) entryDecisionSubmit(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.sheetOf(r)
	if err != nil {
		return err
	}
	e, err := h.entryOf(r, sh)
	if err != nil {
		return err
	}
	if e.Requirement != catalog.Addressable {
		return validate.Error{"citation": e.Citation + " is not an addressable specification: decisions are recorded only for addressable ones"}
	}
	d, problems, _ := h.readDecision(r, e, "")
	if len(problems) == 0 {
		_, err = h.s.DB().SaveDecision(r.Context(), h.s.Actor(r), web.OrgOf(r.Context()).Org.ID, sh.Assessment.ID, d)
		if err == nil {
			http.Redirect(w, r, h.assessBaseOf(r, sh.Assessment).Base+"/entries/"+e.Citation+"?saved=decision#decision-h", http.StatusSeeOther)
			return nil
		}
		if problems = problemsOf(err); problems == nil {
			return err
		}
	}
	resp, _ := sh.Response(e.Citation)
	v := &entryView{Problem: "The decision was not saved: correct the fields marked below."}
	return h.renderEntry(w, r, http.StatusUnprocessableEntity, sh, e, v, resp, nil, d, problems)
}
