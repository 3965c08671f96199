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
	s.Route("PATCH "+api+"/profile", write, h.apiProfileUpdate)
	s.Route("GET "+api+"/assessments", read, h.apiAssessments)
	s.Route("POST "+api+"/assessments", write, h.apiAssessmentCreate)
	s.Route("GET "+api+"/assessments/compare", read, h.apiAssessmentCompare)
	s.Route("GET "+api+"/assessments/{id}", read, h.apiAssessment)
	s.Route("DELETE "+api+"/assessments/{id}", security, h.apiAssessmentDelete)
	s.Route("PATCH "+api+"/assessments/{id}/responses/{citation}", write, h.apiResponseUpdate)
	s.Route("GET "+api+"/assessments/{id}/responses/{citation}/versions", read, h.apiResponseVersions)
	s.Route("PUT "+api+"/assessments/{id}/decisions/{citation}", write, h.apiDecisionPut)
	s.Route("POST "+api+"/assessments/{id}/reviews/{category}", security, h.apiReview)
	s.Route("POST "+api+"/assessments/{id}/submit", write, h.apiAssessmentSubmit)
	s.Route("POST "+api+"/assessments/{id}/finalise", security, h.apiAssessmentFinalise)
	s.Route("POST "+api+"/assessments/{id}/copy", write, h.apiAssessmentCopy)

	// Evidence: reading and downloading need org:read; uploading, new
	// versions and retiring org:write.
	s.Route("GET "+page+"/evidence", read, h.evidencePage)
	s.UploadRoute("POST "+page+"/evidence", write, h.evidenceCreate)
	s.Route("GET "+page+"/evidence/{id}", read, h.evidenceItemPage)
	s.UploadRoute("POST "+page+"/evidence/{id}/versions", write, h.evidenceVersionSubmit)
	s.Route("GET "+page+"/evidence/{id}/versions/{version}/download", read, h.evidenceDownload)
	s.Route("POST "+page+"/evidence/{id}/retire", write, h.evidenceRetire)
	s.Route("GET "+api+"/evidence", read, h.apiEvidenceList)
	s.UploadRoute("POST "+api+"/evidence", write, h.evidenceCreate)
	s.Route("GET "+api+"/evidence/{id}", read, h.apiEvidenceItem)
	s.UploadRoute("POST "+api+"/evidence/{id}/versions", write, h.evidenceVersionSubmit)
	s.Route("GET "+api+"/evidence/{id}/versions/{version}/download", read, h.evidenceDownload)
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
