package web

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// evidenceRoutes registers the pages and API of evidence. Reading and
// downloading need org:read; uploading, new versions and retiring org:write.
func (s *Server) evidenceRoutes(mux *http.ServeMux) {
	read, write := identity.PermOrgRead, identity.PermOrgWrite
	s.route(mux, "GET /orgs/{org}/evidence", read, s.evidencePage)
	s.UploadRoute("POST /orgs/{org}/evidence", write, s.evidenceCreate)
	s.route(mux, "GET /orgs/{org}/evidence/{id}", read, s.evidenceItemPage)
	s.UploadRoute("POST /orgs/{org}/evidence/{id}/versions", write, s.evidenceVersionSubmit)
	s.route(mux, "GET /orgs/{org}/evidence/{id}/versions/{version}/download", read, s.evidenceDownload)
	s.route(mux, "POST /orgs/{org}/evidence/{id}/retire", write, s.evidenceRetire)

	const api = "/api/v1/orgs/{org}/evidence"
	s.route(mux, "GET "+api, read, s.apiEvidenceList)
	s.UploadRoute("POST "+api, write, s.evidenceCreate)
	s.route(mux, "GET "+api+"/{id}", read, s.apiEvidenceItem)
	s.UploadRoute("POST "+api+"/{id}/versions", write, s.evidenceVersionSubmit)
	s.route(mux, "GET "+api+"/{id}/versions/{version}/download", read, s.evidenceDownload)
}

// evidenceForm is what the forms send back when they must be shown again.
type evidenceForm struct {
	Title       string
	Description string
	URL         string
	Kind        string
}

type evidenceView struct {
	Page
	Org  identity.Org
	List []assess.Evidence
	// NextURL links to the next page of the list ("" on the last).
	NextURL  string
	Item     *assess.Evidence
	Versions []assess.EvidenceVersion
	Uses     []store.EvidenceUse
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

func (s *Server) evidenceView(r *http.Request, title string, crumbs ...Crumb) *evidenceView {
	a := OrgOf(r.Context())
	return &evidenceView{
		Page: Page{Title: title, Breadcrumbs: OrgCrumbs(a, crumbs...)},
		Org:  a.Org, CanWrite: a.Allows(identity.PermOrgWrite),
		Accept: strings.Join(assess.AcceptedExtensions(), ","), Limit: assess.FormatSize(s.UploadLimit()),
	}
}

func evidenceID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &HTTPError{Code: http.StatusNotFound, Msg: "There is no such evidence."}
	}
	return id, nil
}

func evidenceURL(slug string, id int64) string { return fmt.Sprintf("/orgs/%s/evidence/%d", slug, id) }

func (s *Server) evidencePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderEvidenceList(w, r, http.StatusOK, nil, evidenceForm{})
}

func (s *Server) renderEvidenceList(w http.ResponseWriter, r *http.Request, status int, problems validate.Error, form evidenceForm) error {
	a := OrgOf(r.Context())
	v := s.evidenceView(r, "Evidence", Crumb{Label: "Evidence"})
	pg, err := PageQuery(r)
	if err != nil {
		return err
	}
	list, next, err := s.db.EvidencePage(r.Context(), a.Org.ID, pg)
	if err != nil {
		return err
	}
	v.List, v.NextURL = list, NextPageURL(r, next)
	v.Problems, v.Form = problems, form
	s.render(w, r, status, "evidence", v)
	return nil
}

// evidenceCreate adds evidence: a multipart form with a file (kind file) or
// a link (kind link, with url); the API also takes a link as JSON.
func (s *Server) evidenceCreate(w http.ResponseWriter, r *http.Request) error {
	a := OrgOf(r.Context())
	var in evidenceForm
	var file *store.EvidenceFile
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			Kind        string `json:"kind"`
			URL         string `json:"url"`
		}
		if err := DecodeJSON(r, &body); err != nil {
			return err
		}
		in = evidenceForm{Title: body.Title, Description: body.Description, URL: body.URL, Kind: body.Kind}
		if in.Kind == "" {
			in.Kind = string(assess.EvidenceLink)
		}
	} else {
		// A multipart form was streamed by uploadRoute; a URL-encoded one
		// (a link, from a client without a file) was parsed with the
		// default limit.
		fields := r.PostForm
		if form := UploadOf(r.Context()); form != nil {
			fields = form.Fields
			var err error
			if file, err = form.EvidenceFile(s.UploadLimit()); err != nil {
				return err
			}
		}
		in = evidenceForm{Title: fields.Get("title"), Description: fields.Get("description"),
			URL: fields.Get("url"), Kind: fields.Get("kind")}
		if in.Kind == "" {
			in.Kind = string(assess.EvidenceFile)
			if file == nil && strings.TrimSpace(in.URL) != "" {
				in.Kind = string(assess.EvidenceLink)
			}
		}
	}
	e, err := s.db.CreateEvidence(r.Context(), s.Actor(r), s.cfg.Keys, a.Org.ID,
		assess.Evidence{Title: in.Title, Description: in.Description, Kind: assess.EvidenceKind(in.Kind), URL: in.URL}, file)
	var problems validate.Error
	if errors.As(err, &problems) && !WantsJSON(r) {
		return s.renderEvidenceList(w, r, http.StatusUnprocessableEntity, problems, in)
	} else if err != nil {
		return err
	}
	url := evidenceURL(a.Org.Slug, e.ID)
	if WantsJSON(r) {
		versions, err := s.db.EvidenceVersions(r.Context(), a.Org.ID, e.ID)
		if err != nil {
			return err
		}
		w.Header().Set("Location", url)
		s.writeJSON(w, r, http.StatusCreated, evidenceJSON{Evidence: e, Versions: versions, URL: url})
		return nil
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

// evidenceJSON is a piece of evidence with its versions and page.
type evidenceJSON struct {
	Evidence assess.Evidence          `json:"evidence"`
	Versions []assess.EvidenceVersion `json:"versions"`
	UsedBy   []store.EvidenceUse      `json:"used_by,omitempty"`
	// UsedByNext resumes used_by (?cursor=) when more responses link the
	// evidence than one page holds.
	UsedByNext *string `json:"used_by_next_cursor,omitempty"`
	URL        string  `json:"url"`
}

func (s *Server) evidenceItemPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderEvidenceItem(w, r, http.StatusOK, nil)
}

func (s *Server) renderEvidenceItem(w http.ResponseWriter, r *http.Request, status int, problems validate.Error) error {
	a := OrgOf(r.Context())
	id, err := evidenceID(r)
	if err != nil {
		return err
	}
	e, err := s.db.Evidence(r.Context(), a.Org.ID, id)
	if err != nil {
		return err
	}
	v := s.evidenceView(r, e.Title, Crumb{Label: "Evidence", URL: "/orgs/" + a.Org.Slug + "/evidence"}, Crumb{Label: e.Title})
	v.Item, v.Problems = &e, problems
	if v.Versions, err = s.db.EvidenceVersions(r.Context(), a.Org.ID, id); err != nil {
		return err
	}
	pg, err := PageQuery(r)
	if err != nil {
		return err
	}
	uses, next, err := s.db.EvidenceUsePage(r.Context(), a.Org.ID, id, pg)
	if err != nil {
		return err
	}
	v.Uses, v.UsesNextURL = uses, NextPageURL(r, next)
	s.render(w, r, status, "evidence_item", v)
	return nil
}

func (s *Server) evidenceVersionSubmit(w http.ResponseWriter, r *http.Request) error {
	a := OrgOf(r.Context())
	id, err := evidenceID(r)
	if err != nil {
		return err
	}
	file, err := UploadOf(r.Context()).EvidenceFile(s.UploadLimit())
	if err != nil {
		return err
	}
	if file == nil {
		err = validate.Error{"file": "is required: choose a file to upload"}
	} else {
		var v assess.EvidenceVersion
		v, err = s.db.AddEvidenceVersion(r.Context(), s.Actor(r), s.cfg.Keys, a.Org.ID, id, *file)
		if err == nil && WantsJSON(r) {
			s.writeJSON(w, r, http.StatusCreated, v)
			return nil
		}
	}
	var problems validate.Error
	if errors.As(err, &problems) && !WantsJSON(r) {
		return s.renderEvidenceItem(w, r, http.StatusUnprocessableEntity, problems)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, evidenceURL(a.Org.Slug, id), http.StatusSeeOther)
	return nil
}

// evidenceDownload serves one version of a file as an attachment, after
// the store has decrypted it, checked its SHA-256 and audited the download.
func (s *Server) evidenceDownload(w http.ResponseWriter, r *http.Request) error {
	a := OrgOf(r.Context())
	id, err := evidenceID(r)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || n <= 0 {
		return &HTTPError{Code: http.StatusNotFound, Msg: "There is no such version."}
	}
	v, data, err := s.db.OpenEvidence(r.Context(), s.Actor(r), s.cfg.Keys, a.Org.ID, id, n)
	if errors.Is(err, store.ErrEvidenceTampered) {
		return &HTTPError{Code: http.StatusInternalServerError, Reason: "evidence_tampered", Err: err,
			Msg: "This file failed its integrity check: the stored copy is not what was uploaded. It was not served, and the attempt has been recorded in the audit log for your security officer."}
	} else if err != nil {
		return err
	}
	sum, _ := hex.DecodeString(v.SHA256)
	h := w.Header()
	h.Set("Content-Type", v.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": v.Filename}))
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
	return nil
}

func (s *Server) evidenceRetire(w http.ResponseWriter, r *http.Request) error {
	a := OrgOf(r.Context())
	id, err := evidenceID(r)
	if err != nil {
		return err
	}
	if _, err := s.db.RetireEvidence(r.Context(), s.Actor(r), a.Org.ID, id); err != nil {
		return err
	}
	http.Redirect(w, r, evidenceURL(a.Org.Slug, id), http.StatusSeeOther)
	return nil
}

// apiEvidenceList answers a page of the organisation's evidence. The shape
// predates the API's list shape and is kept: the page is under "evidence",
// and "next_cursor" (null on the last page) resumes it.
func (s *Server) apiEvidenceList(w http.ResponseWriter, r *http.Request) error {
	pg, err := PageQuery(r)
	if err != nil {
		return err
	}
	list, next, err := s.db.EvidencePage(r.Context(), OrgOf(r.Context()).Org.ID, pg)
	if err != nil {
		return err
	}
	var cursor *string
	if next != nil {
		c := encodeCursor(*next)
		cursor = &c
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"evidence": list, "next_cursor": cursor, "max_size": s.UploadLimit(), "accepted": assess.AcceptedExtensions()})
	return nil
}

func (s *Server) apiEvidenceItem(w http.ResponseWriter, r *http.Request) error {
	a := OrgOf(r.Context())
	id, err := evidenceID(r)
	if err != nil {
		return err
	}
	e, err := s.db.Evidence(r.Context(), a.Org.ID, id)
	if err != nil {
		return err
	}
	versions, err := s.db.EvidenceVersions(r.Context(), a.Org.ID, id)
	if err != nil {
		return err
	}
	pg, err := PageQuery(r)
	if err != nil {
		return err
	}
	uses, next, err := s.db.EvidenceUsePage(r.Context(), a.Org.ID, id, pg)
	if err != nil {
		return err
	}
	out := evidenceJSON{Evidence: e, Versions: versions, UsedBy: uses, URL: evidenceURL(a.Org.Slug, id)}
	if next != nil {
		c := encodeCursor(*next)
		out.UsedByNext = &c
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}
