// Package assessweb serves compliance assessments against the Security
// Rule, pages and JSON API side by side: the organisation profile they start
// from (profile.go); the list, creating, copying and comparing them
// (list.go); an assessment's overview, category reviews and sign-off
// (overview.go); answering its entries one at a time (entry.go), as a table
// (table.go) or guided standard by standard (guided.go), with the forms
// these share (forms.go) and the saving of several entries at once
// (edits.go); the API (api.go); and the evidence that responses link to
// (evidence.go). The rules are the assess package's; the kernel
// (internal/web) authorises every route before a handler here runs.
package assessweb

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Handler serves assessments and evidence.
type Handler struct {
	s *web.Server
}

// New returns the assessment capability.
func New() *Handler { return &Handler{} }

//go:embed all:templates
var templates embed.FS

// Templates returns the pages of assessments and evidence.
func (h *Handler) Templates() fs.FS { return web.TemplatesIn(templates) }

// Register adds the routes of assessments and evidence to s. Reading needs
// org:read, recording answers and decisions and uploading evidence
// org:write, and what the rule gives the security official — reviewing
// categories, signing off, deleting an assessment — org:security, in the
// pages and the JSON API alike.
func (h *Handler) Register(s *web.Server) {
	h.s = s
	read, write, security := identity.PermOrgRead, identity.PermOrgWrite, identity.PermOrgSecurity
	const page = "/orgs/{org}"
	s.Route("GET "+page+"/profile", read, h.profilePage)
	s.Route("POST "+page+"/profile", write, h.profileSubmit)
	s.Route("POST "+page+"/profile/systems", write, h.profileSystemsSubmit)
	s.Route("GET "+page+"/assessments", read, h.assessmentsPage)
	s.Route("POST "+page+"/assessments", write, h.assessmentCreate)
	s.Route("GET "+page+"/assessments/compare", read, h.comparePage)
	s.Route("GET "+page+"/assessments/{id}", read, h.assessmentPage)
	s.Route("GET "+page+"/assessments/{id}/table", read, h.tablePage)
	s.Route("POST "+page+"/assessments/{id}/table", write, h.tableSubmit)
	s.Route("GET "+page+"/assessments/{id}/guided", read, h.guidedPage)
	s.Route("POST "+page+"/assessments/{id}/guided", write, h.guidedSubmit)
	s.Route("GET "+page+"/assessments/{id}/entries/{citation}", read, h.entryPage)
	s.Route("POST "+page+"/assessments/{id}/entries/{citation}", write, h.entryResponseSubmit)
	s.Route("POST "+page+"/assessments/{id}/entries/{citation}/decision", write, h.entryDecisionSubmit)
	s.Route("POST "+page+"/assessments/{id}/reviews/{category}", security, h.reviewSubmit)
	s.Route("POST "+page+"/assessments/{id}/submit", write, h.submitAssessment)
	s.Route("POST "+page+"/assessments/{id}/finalise", security, h.finaliseAssessment)
	s.Route("POST "+page+"/assessments/{id}/delete", security, h.deleteAssessment)

	const api = "/api/v1/orgs/{org}"
	s.Route("GET "+api+"/profile", read, h.apiProfile)
	s.Doc("GET "+api+"/profile", web.APIDoc{Summary: "The organisation's profile and the events that call for a new assessment", Response: profileJSON{}})
	s.Route("PATCH "+api+"/profile", write, h.apiProfileUpdate)
	s.Doc("PATCH "+api+"/profile", web.APIDoc{Summary: "Change the fields of the profile the body carries", Request: profileRequest{}, Response: profileJSON{},
		Example: map[string]any{"workforce": 42, "systems": []string{"EHR", "Billing"}}})
	s.Route("GET "+api+"/assessments", read, h.apiAssessments)
	s.Doc("GET "+api+"/assessments", web.APIDoc{Summary: "The organisation's assessments", Response: assessmentJSON{}, List: true})
	s.Route("POST "+api+"/assessments", write, h.apiAssessmentCreate)
	s.Doc("POST "+api+"/assessments", web.APIDoc{Summary: "Start an assessment on today's catalogue", Request: assessmentRequest{}, Response: assessmentJSON{}, Status: http.StatusCreated,
		Example: map[string]any{"name": "Annual review 2027", "due_at": "2027-03-31"}})
	s.Route("GET "+api+"/assessments/compare", read, h.apiAssessmentCompare)
	s.Doc("GET "+api+"/assessments/compare", web.APIDoc{Summary: "What changed between two assessments, entry by entry", Response: compareJSON{},
		Query: []web.Param{{Name: "a", Description: "the ID of the earlier assessment", Required: true}, {Name: "b", Description: "the ID of the later one", Required: true}}})
	s.Route("GET "+api+"/assessments/{id}", read, h.apiAssessment)
	s.Doc("GET "+api+"/assessments/{id}", web.APIDoc{Summary: "One assessment with its entries, responses, decisions, reviews, blockers and posture", Response: sheetJSON{}})
	s.Route("DELETE "+api+"/assessments/{id}", security, h.apiAssessmentDelete)
	s.Doc("DELETE "+api+"/assessments/{id}", web.APIDoc{Summary: "Delete an assessment (409 while the retention period runs)"})
	s.Route("PATCH "+api+"/assessments/{id}/responses/{citation}", write, h.apiResponseUpdate)
	s.Doc("PATCH "+api+"/assessments/{id}/responses/{citation}", web.APIDoc{Summary: "Change the fields of an entry's response the body carries", Request: responseRequest{}, Response: assess.Response{}, ETag: true,
		Example: map[string]any{"narrative": "Quarterly access reviews are documented in the IT binder."}})
	s.Route("GET "+api+"/assessments/{id}/responses/{citation}/versions", read, h.apiResponseVersions)
	s.Doc("GET "+api+"/assessments/{id}/responses/{citation}/versions", web.APIDoc{Summary: "Every version of an entry's response, newest first", Response: assess.Response{}, List: true})
	s.Route("PUT "+api+"/assessments/{id}/decisions/{citation}", write, h.apiDecisionPut)
	s.Doc("PUT "+api+"/assessments/{id}/decisions/{citation}", web.APIDoc{Summary: "Record the decision on an addressable specification", Request: decisionRequest{}, Response: assess.Decision{}})
	s.Route("POST "+api+"/assessments/{id}/reviews/{category}", security, h.apiReview)
	s.Doc("POST "+api+"/assessments/{id}/reviews/{category}", web.APIDoc{Summary: "Review a category of a submitted assessment (422 with the blockers when it is not ready)", Request: reviewRequest{}, Response: assess.CategoryReview{}})
	s.Route("POST "+api+"/assessments/{id}/submit", write, h.apiAssessmentSubmit)
	s.Doc("POST "+api+"/assessments/{id}/submit", web.APIDoc{Summary: "Submit the assessment for review (422 with the blockers when it is not ready)", Response: assessmentJSON{}})
	s.Route("POST "+api+"/assessments/{id}/finalise", security, h.apiAssessmentFinalise)
	s.Doc("POST "+api+"/assessments/{id}/finalise", web.APIDoc{Summary: "Sign the assessment off, attesting to it (422 with the blockers when it is not ready)", Request: finaliseRequest{}, Response: assessmentJSON{}})
	s.Route("POST "+api+"/assessments/{id}/copy", write, h.apiAssessmentCopy)
	s.Doc("POST "+api+"/assessments/{id}/copy", web.APIDoc{Summary: "Start a new assessment from this one's answers", Request: assessmentRequest{}, Response: assessmentJSON{}, Status: http.StatusCreated})

	// Evidence: reading and downloading need org:read; uploading, new
	// versions and retiring org:write.
	s.Route("GET "+page+"/evidence", read, h.evidencePage)
	s.UploadRoute("POST "+page+"/evidence", write, h.evidenceCreate)
	s.Route("GET "+page+"/evidence/{id}", read, h.evidenceItemPage)
	s.UploadRoute("POST "+page+"/evidence/{id}/versions", write, h.evidenceVersionSubmit)
	s.Route("GET "+page+"/evidence/{id}/versions/{version}/download", read, h.evidenceDownload)
	s.Route("POST "+page+"/evidence/{id}/retire", write, h.evidenceRetire)
	s.Route("GET "+api+"/evidence", read, h.apiEvidenceList)
	s.Doc("GET "+api+"/evidence", web.APIDoc{Summary: "The organisation's evidence, newest first, under \"evidence\" (a shape older than the API's lists)", Response: evidenceListJSON{},
		Query: []web.Param{{Name: "q", Description: "words the title holds"}, {Name: "current", Description: "true: leave out retired evidence"}, {Name: "limit"}, {Name: "cursor"}}})
	s.UploadRoute("POST "+api+"/evidence", write, h.evidenceCreate)
	s.Doc("POST "+api+"/evidence", web.APIDoc{Summary: "Add evidence: a file (multipart form) or a link (JSON)", Request: evidenceRequest{}, Form: evidenceUpload{}, Response: evidenceJSON{}, Status: http.StatusCreated,
		Example: evidenceRequest{Title: "Backup policy", Kind: "link", URL: "https://intranet.example.org/policies/backup"}})
	s.Route("GET "+api+"/evidence/{id}", read, h.apiEvidenceItem)
	s.Doc("GET "+api+"/evidence/{id}", web.APIDoc{Summary: "One piece of evidence with its versions and the responses that cite it", Response: evidenceJSON{},
		Query: []web.Param{{Name: "versions_cursor", Description: "resumes the versions"}, {Name: "cursor", Description: "resumes used_by"}}})
	s.UploadRoute("POST "+api+"/evidence/{id}/versions", write, h.evidenceVersionSubmit)
	s.Doc("POST "+api+"/evidence/{id}/versions", web.APIDoc{Summary: "Upload a new version of a file", Form: evidenceUpload{}, Response: assess.EvidenceVersion{}, Status: http.StatusCreated})
	s.Route("GET "+api+"/evidence/{id}/versions/{version}/download", read, h.evidenceDownload)
	s.Doc("GET "+api+"/evidence/{id}/versions/{version}/download", web.APIDoc{Summary: "Download a version of a file, checked against its recorded hash", Produces: []string{"application/octet-stream"}})
}

const dateForm = "2006-01-02"

// assessBase is what every assessment page knows about where it is.
type assessBase struct {
	Slug     string
	Base     string // /orgs/{org}/assessments/{id}
	A        assess.Assessment
	Status   string // the status as a person reads it
	CanWrite bool   // the viewer may edit and the assessment is not final
	CanSec   bool   // the viewer may review, sign off and delete
	FinalMsg string // "Final — signed off by X on D; retained until R"
}

func (h *Handler) assessBaseOf(r *http.Request, a assess.Assessment) assessBase {
	o := web.OrgOf(r.Context())
	b := assessBase{Slug: o.Org.Slug, Base: fmt.Sprintf("/orgs/%s/assessments/%d", o.Org.Slug, a.ID), A: a, Status: a.Status.Label(),
		CanWrite: o.Allows(identity.PermOrgWrite) && a.Editable(), CanSec: o.Allows(identity.PermOrgSecurity)}
	if a.Status == assess.StatusFinal {
		b.FinalMsg = fmt.Sprintf("Final — signed off by %s on %s; kept %s.", a.FinalisedBy, web.Day(a.FinalisedAt), a.JSON().RetentionLabel())
	}
	return b
}

func assessCrumbs(r *http.Request, a assess.Assessment, more ...web.Crumb) []web.Crumb {
	o := web.OrgOf(r.Context())
	list := web.Crumb{Label: "Assessments", URL: "/orgs/" + o.Org.Slug + "/assessments"}
	if a.ID == 0 {
		list.URL = ""
		return web.OrgCrumbs(o, list)
	}
	cur := web.Crumb{Label: a.Name, URL: fmt.Sprintf("/orgs/%s/assessments/%d", o.Org.Slug, a.ID)}
	if len(more) == 0 {
		cur.URL = ""
	}
	return append(web.OrgCrumbs(o, list, cur), more...)
}

// anchorOf turns a citation into an id usable in a fragment and a selector.
func anchorOf(citation string) string {
	var b strings.Builder
	for _, c := range citation {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	return "e-" + strings.Trim(b.String(), "-")
}

func (h *Handler) sheetOf(r *http.Request) (assess.Sheet, error) {
	id, err := assessmentID(r)
	if err != nil {
		return assess.Sheet{}, err
	}
	return h.s.DB().AssessmentSheet(r.Context(), web.OrgOf(r.Context()).Org.ID, id)
}

// catalogEntry returns the catalogue's text of an entry of the assessment's
// pinned profile, or a zero entry when the catalogue no longer has it.
func (h *Handler) catalogEntry(a assess.Assessment, citation string) catalog.Entry {
	cat, err := h.s.Catalog()
	if err != nil {
		return catalog.Entry{}
	}
	p, err := cat.Profile(a.CatalogProfile)
	if err != nil {
		return catalog.Entry{}
	}
	e, err := p.Entry(citation)
	if err != nil {
		return catalog.Entry{}
	}
	return e
}

func parseDate(p validate.Error, field, v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(dateForm, v)
	if err != nil {
		p.Add(field, "must be a date such as 2026-03-01")
	}
	return t
}

func parseCount(p validate.Error, field, v string) int {
	v = strings.TrimSpace(strings.ReplaceAll(v, ",", ""))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.Add(field, "must be a whole number")
	}
	return n
}

func dateValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateForm)
}

// problemsOf returns the field problems in err, or nil for another error.
func problemsOf(err error) validate.Error {
	var p validate.Error
	if errors.As(err, &p) {
		return p
	}
	return nil
}
