package assessweb

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// evidenceForm is what the forms send back when they must be shown again.
type evidenceForm struct {
	Title       string
	Description string
	URL         string
	Kind        string
	// ReturnTo is the entry page a plain form sent from goes back to.
	ReturnTo string
}

type evidenceView struct {
	web.Page
	Org  identity.Org
	List []assess.Evidence
	// Query is what the list is searched for ("" for all of it).
	Query string
	// NextURL links to the next page of the list ("" on the last).
	NextURL  string
	Item     *assess.Evidence
	Versions []assess.EvidenceVersion
	// VersionsNextURL links to older versions ("" on the last page).
	VersionsNextURL string
	Uses            []store.EvidenceUse
	// UsesNextURL links to the next page of Uses ("" on the last).
	UsesNextURL string
	CanWrite    bool
	Problems    validate.Error
	Form        evidenceForm
	// Accept lists the file extensions accepted, for the file inputs;
	// Limit is the size limit for people.
	Accept string
	Limit  string
}

func (h *Handler) evidenceView(r *http.Request, title string, crumbs ...web.Crumb) *evidenceView {
	a := web.OrgOf(r.Context())
	return &evidenceView{
		Page: web.Page{Title: title, Breadcrumbs: web.OrgCrumbs(a, crumbs...)},
		Org:  a.Org, CanWrite: a.Allows(identity.PermOrgWrite),
		Accept: strings.Join(assess.AcceptedExtensions(), ","), Limit: assess.FormatSize(h.s.UploadLimit()),
	}
}

func evidenceID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &web.HTTPError{Code: http.StatusNotFound, Msg: "There is no such evidence."}
	}
	return id, nil
}

func evidenceURL(slug string, id int64) string { return fmt.Sprintf("/orgs/%s/evidence/%d", slug, id) }

func (h *Handler) evidencePage(w http.ResponseWriter, r *http.Request) error {
	return h.renderEvidenceList(w, r, http.StatusOK, nil, evidenceForm{})
}

func (h *Handler) renderEvidenceList(w http.ResponseWriter, r *http.Request, status int, problems validate.Error, form evidenceForm) error {
	a := web.OrgOf(r.Context())
	v := h.evidenceView(r, "Evidence", web.Crumb{Label: "Evidence"})
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	v.Query = strings.TrimSpace(r.URL.Query().Get("q"))
	list, next, err := h.s.DB().EvidenceSearchPage(r.Context(), a.Org.ID, store.EvidenceSearch{Text: v.Query}, pg)
	if err != nil {
		return err
	}
	v.List, v.NextURL = list, web.NextPageURL(r, next)
	v.Problems, v.Form = problems, form
	h.s.Render(w, r, status, "evidence", v)
	return nil
}

// evidenceCreate adds evidence: a multipart form with a file (kind file) or
// a link (kind link, with url); the API also takes a link as JSON.
func (h *Handler) evidenceCreate(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	var in evidenceForm
	var file *store.EvidenceFile
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body evidenceRequest
		if err := web.DecodeJSON(r, &body); err != nil {
			return err
		}
		in = evidenceForm{Title: body.Title, Description: body.Description, URL: body.URL, Kind: body.Kind}
		if in.Kind == "" {
			in.Kind = string(assess.EvidenceLink)
		}
	} else {
		// A multipart form was streamed by the upload route
		// (web.Server.UploadRoute); a URL-encoded one (a link, from a
		// client without a file) was parsed with the default limit.
		fields := r.PostForm
		if form := web.UploadOf(r.Context()); form != nil {
			fields = form.Fields
			var err error
			if file, err = form.EvidenceFile(h.s.UploadLimit()); err != nil {
				return err
			}
		}
		in = evidenceForm{Title: fields.Get("title"), Description: fields.Get("description"),
			URL: fields.Get("url"), Kind: fields.Get("kind"), ReturnTo: fields.Get("return_to")}
		if in.Kind == "" {
			in.Kind = string(assess.EvidenceFile)
			if file == nil && strings.TrimSpace(in.URL) != "" {
				in.Kind = string(assess.EvidenceLink)
			}
		}
	}
	e, err := h.s.DB().CreateEvidence(r.Context(), h.s.Actor(r), h.s.Config().Keys, a.Org.ID,
		assess.Evidence{Title: in.Title, Description: in.Description, Kind: assess.EvidenceKind(in.Kind), URL: in.URL}, file)
	var problems validate.Error
	if errors.As(err, &problems) && !web.WantsJSON(r) {
		return h.renderEvidenceList(w, r, http.StatusUnprocessableEntity, problems, in)
	} else if err != nil {
		return err
	}
	url := evidenceURL(a.Org.Slug, e.ID)
	if web.WantsJSON(r) {
		versions, _, err := h.s.DB().EvidenceVersions(r.Context(), a.Org.ID, e.ID, store.Page{Limit: 1})
		if err != nil {
			return err
		}
		w.Header().Set("Location", url)
		h.s.WriteJSON(w, r, http.StatusCreated, evidenceJSON{Evidence: e, Versions: versions, URL: url})
		return nil
	}
	if back := returnTo(a.Org.Slug, in.ReturnTo); back != "" {
		url = fmt.Sprintf("%s?uploaded=%d#evidence", back, e.ID)
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

// evidenceRequest is the JSON body that records a link as evidence (a file
// comes as a multipart form instead: evidenceUpload).
type evidenceRequest struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Kind        string `json:"kind"`
	URL         string `json:"url"`
}

// evidenceUpload describes the multipart form of an upload, for the API's
// reference: the file in part "file", the rest as fields.
type evidenceUpload struct {
	File        string `json:"file"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Kind        string `json:"kind,omitempty"`
	URL         string `json:"url,omitempty"`
}

// evidenceListJSON is a page of evidence. Its shape predates the API's
// list shape and is kept for the clients that read it.
type evidenceListJSON struct {
	Evidence   []assess.Evidence `json:"evidence"`
	NextCursor *string           `json:"next_cursor"`
	MaxSize    int64             `json:"max_size"`
	Accepted   []string          `json:"accepted"`
}

// evidenceJSON is a piece of evidence with its versions and page.
type evidenceJSON struct {
	Evidence assess.Evidence          `json:"evidence"`
	Versions []assess.EvidenceVersion `json:"versions"`
	// VersionsNext resumes versions, newest first (?versions_cursor=),
	// when the file has more versions than one page holds.
	VersionsNext *string             `json:"versions_next_cursor,omitempty"`
	UsedBy       []store.EvidenceUse `json:"used_by,omitempty"`
	// UsedByNext resumes used_by (?cursor=) when more responses link the
	// evidence than one page holds.
	UsedByNext *string `json:"used_by_next_cursor,omitempty"`
	URL        string  `json:"url"`
}

// versionsPerPage is how many versions of a file, or of a response or
// decision, a page shows before linking to older ones.
const versionsPerPage = 20

func (h *Handler) evidenceItemPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderEvidenceItem(w, r, http.StatusOK, nil)
}

func (h *Handler) renderEvidenceItem(w http.ResponseWriter, r *http.Request, status int, problems validate.Error) error {
	a := web.OrgOf(r.Context())
	id, err := evidenceID(r)
	if err != nil {
		return err
	}
	e, err := h.s.DB().Evidence(r.Context(), a.Org.ID, id)
	if err != nil {
		return err
	}
	v := h.evidenceView(r, e.Title, web.Crumb{Label: "Evidence", URL: "/orgs/" + a.Org.Slug + "/evidence"}, web.Crumb{Label: e.Title})
	v.Item, v.Problems = &e, problems
	vpg, err := web.PageQueryOf(r, "versions", versionsPerPage)
	if err != nil {
		return err
	}
	var vnext *store.Key
	if v.Versions, vnext, err = h.s.DB().EvidenceVersions(r.Context(), a.Org.ID, id, vpg); err != nil {
		return err
	}
	v.VersionsNextURL = web.NextPageURLOf(r, "versions", vnext, "versions-h")
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	uses, next, err := h.s.DB().EvidenceUsePage(r.Context(), a.Org.ID, id, pg)
	if err != nil {
		return err
	}
	v.Uses, v.UsesNextURL = uses, web.NextPageURL(r, next)
	// Who added, uploaded and retired are recorded as "user:12": the page
	// names the people.
	actors := []string{e.CreatedBy, e.RetiredBy}
	for _, ver := range v.Versions {
		actors = append(actors, ver.UploadedBy)
	}
	people, err := h.s.People(r.Context(), actors...)
	if err != nil {
		return err
	}
	e.CreatedBy, e.RetiredBy = people.Name(e.CreatedBy), people.Name(e.RetiredBy)
	for i := range v.Versions {
		v.Versions[i].UploadedBy = people.Name(v.Versions[i].UploadedBy)
	}
	h.s.Render(w, r, status, "evidence_item", v)
	return nil
}

func (h *Handler) evidenceVersionSubmit(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := evidenceID(r)
	if err != nil {
		return err
	}
	file, err := web.UploadOf(r.Context()).EvidenceFile(h.s.UploadLimit())
	if err != nil {
		return err
	}
	if file == nil {
		err = validate.Error{"file": "is required: choose a file to upload"}
	} else {
		var v assess.EvidenceVersion
		v, err = h.s.DB().AddEvidenceVersion(r.Context(), h.s.Actor(r), h.s.Config().Keys, a.Org.ID, id, *file)
		if err == nil && web.WantsJSON(r) {
			h.s.WriteJSON(w, r, http.StatusCreated, v)
			return nil
		}
	}
	var problems validate.Error
	if errors.As(err, &problems) && !web.WantsJSON(r) {
		return h.renderEvidenceItem(w, r, http.StatusUnprocessableEntity, problems)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, evidenceURL(a.Org.Slug, id), http.StatusSeeOther)
	return nil
}

// evidenceDownload serves one version of a file as an attachment, after
// the store has decrypted it, checked its SHA-256 and audited the download.
func (h *Handler) evidenceDownload(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := evidenceID(r)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || n <= 0 {
		return &web.HTTPError{Code: http.StatusNotFound, Msg: "There is no such version."}
	}
	v, data, err := h.s.DB().OpenEvidence(r.Context(), h.s.Actor(r), h.s.Config().Keys, a.Org.ID, id, n)
	if errors.Is(err, store.ErrEvidenceTampered) {
		return &web.HTTPError{Code: http.StatusInternalServerError, Reason: "evidence_tampered", Err: err,
			Msg: "This file failed its integrity check: the stored copy is not what was uploaded. It was not served, and the attempt has been recorded in the audit log for your security officer."}
	} else if err != nil {
		return err
	}
	web.ServeDownload(w, r, web.Download{Name: v.Filename, ContentType: v.ContentType, SHA256: v.SHA256, Data: data})
	return nil
}

func (h *Handler) evidenceRetire(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := evidenceID(r)
	if err != nil {
		return err
	}
	if _, err := h.s.DB().RetireEvidence(r.Context(), h.s.Actor(r), a.Org.ID, id); err != nil {
		return err
	}
	http.Redirect(w, r, evidenceURL(a.Org.Slug, id), http.StatusSeeOther)
	return nil
}

// apiEvidenceList answers a page of the organisation's evidence, newest
// first: all of it, or with ?q= what has every word of q in its title, and
// with ?current=true only what is not retired. The shape predates the
// API's list shape and is kept: the page is under "evidence", and
// "next_cursor" (null on the last page) resumes it.
func (h *Handler) apiEvidenceList(w http.ResponseWriter, r *http.Request) error {
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	search := store.EvidenceSearch{Text: q.Get("q")}
	switch q.Get("current") {
	case "", "false":
	case "true":
		search.Current = true
	default:
		return validate.Error{"current": "must be true or false"}
	}
	list, next, err := h.s.DB().EvidenceSearchPage(r.Context(), web.OrgOf(r.Context()).Org.ID, search, pg)
	if err != nil {
		return err
	}
	h.s.WriteJSON(w, r, http.StatusOK, evidenceListJSON{Evidence: list, NextCursor: web.NextCursor(next), MaxSize: h.s.UploadLimit(), Accepted: assess.AcceptedExtensions()})
	return nil
}

func (h *Handler) apiEvidenceItem(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := evidenceID(r)
	if err != nil {
		return err
	}
	e, err := h.s.DB().Evidence(r.Context(), a.Org.ID, id)
	if err != nil {
		return err
	}
	vpg, err := web.PageQueryOf(r, "versions_cursor", store.DefaultPageLimit)
	if err != nil {
		return err
	}
	versions, vnext, err := h.s.DB().EvidenceVersions(r.Context(), a.Org.ID, id, vpg)
	if err != nil {
		return err
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	uses, next, err := h.s.DB().EvidenceUsePage(r.Context(), a.Org.ID, id, pg)
	if err != nil {
		return err
	}
	out := evidenceJSON{Evidence: e, Versions: versions, VersionsNext: web.NextCursor(vnext), UsedBy: uses, UsedByNext: web.NextCursor(next), URL: evidenceURL(a.Org.Slug, id)}
	h.s.WriteJSON(w, r, http.StatusOK, out)
	return nil
}

// evidenceAttach is the search-and-attach of an entry's page: a search box
// that finds the organisation's current evidence by title, a page at a
// time, each found with an Attach button. Without JavaScript the search is
// a GET of the entry's page (?evidence_q=) and Attach and Detach submit the
// response form, saving it with the change; attach.js does both in place,
// so nothing typed is lost, and the change is saved with the response.
type evidenceAttach struct {
	API      string // the API's evidence list, for attach.js
	OrgName  string
	Query    string
	Searched bool
	Found    []evidenceOption
	// NextURL links to more results ("" on the last page).
	NextURL string
}

// evidenceFound is how many results a search shows at a time.
const evidenceFound = 20

// attachOf builds the search-and-attach of an entry's page from the query
// (?evidence_q=, ?evidence_cursor=, ?uploaded= after a plain-form upload).
func (h *Handler) attachOf(r *http.Request, f *responseForm) (*evidenceAttach, error) {
	o := web.OrgOf(r.Context())
	q := r.URL.Query()
	at := &evidenceAttach{API: "/api/v1/orgs/" + o.Org.Slug + "/evidence", OrgName: o.Org.Name, Query: strings.TrimSpace(q.Get("evidence_q"))}
	option := func(ev assess.Evidence) evidenceOption {
		return evidenceOption{ID: ev.ID, Title: ev.Title, Kind: string(ev.Kind), URL: evidenceURL(o.Org.Slug, ev.ID),
			Selected: slices.Contains(f.R.EvidenceIDs, ev.ID), Retired: ev.Retired(), Insecure: ev.Insecure()}
	}
	if up, err := strconv.ParseInt(q.Get("uploaded"), 10, 64); err == nil && up > 0 {
		list, err := h.s.DB().EvidenceByIDs(r.Context(), o.Org.ID, []int64{up})
		if err != nil {
			return nil, err
		}
		for _, ev := range list {
			at.Searched, at.Found = true, append(at.Found, option(ev))
		}
	}
	if !q.Has("evidence_q") && !q.Has("evidence_cursor") {
		return at, nil
	}
	pg, err := web.PageQueryOf(r, "evidence_cursor", evidenceFound)
	if err != nil {
		return nil, err
	}
	list, next, err := h.s.DB().EvidenceSearchPage(r.Context(), o.Org.ID, store.EvidenceSearch{Text: at.Query, Current: true}, pg)
	if err != nil {
		return nil, err
	}
	at.Searched, at.Found = true, nil
	for _, ev := range list {
		at.Found = append(at.Found, option(ev))
	}
	at.NextURL = web.NextPageURLOf(r, "evidence_cursor", next, "evidence")
	return at, nil
}

// linkedEvidence reads which evidence a response form links: the IDs
// posted, with the one its Attach button names added and the one its
// Detach button names taken away (a form sent without JavaScript). It
// returns the organisation's evidence among them, for readResponse to
// check the IDs against, and which button was pressed.
func (h *Handler) linkedEvidence(r *http.Request) ([]assess.Evidence, string, error) {
	var ids []int64
	for _, v := range r.PostForm["evidence"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	button := ""
	if id, err := strconv.ParseInt(r.PostFormValue("attach"), 10, 64); err == nil && id > 0 {
		button = "attach"
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
			r.PostForm.Add("evidence", strconv.FormatInt(id, 10))
			r.PostForm.Set("evidence_offered", "1")
		}
	}
	if id, err := strconv.ParseInt(r.PostFormValue("detach"), 10, 64); err == nil && id > 0 {
		button = "detach"
		ids = slices.DeleteFunc(ids, func(x int64) bool { return x == id })
		r.PostForm["evidence"] = slices.DeleteFunc(r.PostForm["evidence"], func(v string) bool { return v == strconv.FormatInt(id, 10) })
	}
	list, err := h.s.DB().EvidenceByIDs(r.Context(), web.OrgOf(r.Context()).Org.ID, ids)
	return list, button, err
}

// returnTo is where a plain-form upload goes back to: the entry page named
// by the form's return_to, when it is one of this organisation's entry
// pages; "" otherwise (the new evidence's own page).
func returnTo(slug, v string) string {
	u, err := url.Parse(v)
	if err != nil || v == "" || u.Scheme != "" || u.Host != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return ""
	}
	prefix := "/orgs/" + slug + "/assessments/"
	rest, ok := strings.CutPrefix(u.Path, prefix)
	if !ok || path.Clean(u.Path) != u.Path || strings.Contains(u.Path, "//") || strings.Contains(u.Path, `\`) {
		return ""
	}
	id, entry, ok := strings.Cut(rest, "/entries/")
	if n, err := strconv.ParseInt(id, 10, 64); !ok || err != nil || n <= 0 || entry == "" || strings.Contains(entry, "/") {
		return ""
	}
	return u.Path
}
