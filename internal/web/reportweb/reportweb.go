// Package reportweb serves an organisation's reports (§164.316(b)): the
// page that generates them in every format, keeps each one with its
// SHA-256 and lists those kept, and the same through the JSON API. The
// report itself is package report's; what it is made from is read here
// (Collect), so the CLI makes the same report as the web.
package reportweb

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/report"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Handler serves the reports page and API.
type Handler struct {
	s *web.Server
}

// New returns the reports capability.
func New() *Handler { return &Handler{} }

//go:embed all:templates
var templates embed.FS

// Templates returns the reports pages.
func (h *Handler) Templates() fs.FS { return web.TemplatesIn(templates) }

// Register adds the reports routes to s. Everything needs org:read only:
// a report changes no record of the organisation, and an auditor (read
// only) is exactly who asks for one; each generation and download is
// audited.
func (h *Handler) Register(s *web.Server) {
	h.s = s
	read := identity.PermOrgRead
	s.Route("GET /orgs/{org}/reports", read, h.reportsPage)
	s.Route("POST /orgs/{org}/reports", read, h.generateSubmit)
	s.Route("GET /orgs/{org}/reports/{id}/download", read, h.download)
	s.Route("GET /api/v1/orgs/{org}/reports", read, h.apiReports)
	s.Doc("GET /api/v1/orgs/{org}/reports", web.APIDoc{Summary: "The reports made for the organisation, the newest first", Response: reportJSON{}, List: true})
	s.Route("POST /api/v1/orgs/{org}/reports", read, h.apiGenerate)
	s.Doc("POST /api/v1/orgs/{org}/reports", web.APIDoc{Summary: "Generate a report, keep it, and say where to download it",
		Description: "Made from the assessment and signed-off risk analysis named, or from the current state (marked DRAFT). Formats: pdf, docx, xlsx, html, csv (with register), json, oscal, oscal-poam.",
		Request:     request{}, Response: reportJSON{}, Status: http.StatusCreated, Example: request{Format: "pdf", Part: "full"}})
	s.Route("GET /api/v1/orgs/{org}/reports/{id}/file", read, h.download)
	s.Doc("GET /api/v1/orgs/{org}/reports/{id}/file", web.APIDoc{Summary: "Download a kept report (its SHA-256 checked; the download is audited)",
		Description: "The answer is the file in its own format; a JSON or OSCAL report comes as application/json, and its Repr-Digest header carries the SHA-256.",
		Produces: []string{"application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/html", "text/csv", "application/octet-stream"}})
}

// request is one typed command to generate a report, from the form or JSON.
type request struct {
	Format       string `json:"format"`
	Part         string `json:"part"`
	Register     string `json:"register,omitempty"`
	AssessmentID int64  `json:"assessment_id,omitempty"`
	AnalysisID   int64  `json:"analysis_id,omitempty"`
	AssetID      int64  `json:"asset_id,omitempty"`
}

func (q *request) check() (report.Format, error) {
	p := validate.Error{}
	f, ok := report.FormatOf(q.Format)
	if !ok {
		p.Add("format", "must be one of pdf, docx, xlsx, html, csv, json, oscal, oscal-poam")
	}
	if q.Part == "" {
		q.Part = string(report.PartFull)
	}
	switch report.Part(q.Part) {
	case report.PartFull, report.PartSummary:
		q.AssetID = 0
	case report.PartAsset:
		if q.AssetID <= 0 {
			p.Add("asset_id", "is required for a one-asset report: choose the asset")
		}
	default:
		p.Add("part", "must be full, summary or asset")
	}
	if ok && f.Register {
		if !slices.Contains(report.CSVRegisters(), q.Register) {
			p.Add("register", "must be one of "+strings.Join(report.CSVRegisters(), ", "))
		}
	} else {
		q.Register = ""
	}
	return f, p.Err()
}

// generate makes the report q asks for, keeps it and returns the record.
func (h *Handler) generate(r *http.Request, q request) (store.StoredReport, error) {
	f, err := q.check()
	if err != nil {
		return store.StoredReport{}, err
	}
	ctx := r.Context()
	a := web.OrgOf(ctx)
	cat, err := h.s.Catalog()
	if err != nil {
		return store.StoredReport{}, err
	}
	u := web.PrincipalOf(ctx).User
	m, err := Collect(ctx, h.s.DB(), cat, a.Org, Choice{AssessmentID: q.AssessmentID, AnalysisID: q.AnalysisID,
		Part: report.Part(q.Part), AssetID: q.AssetID, PreparedBy: cmp.Or(u.Name, u.Email)})
	if err != nil {
		return store.StoredReport{}, err
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, m, f.Key, q.Register); err != nil {
		return store.StoredReport{}, fmt.Errorf("write %s report: %w", f.Key, err)
	}
	rec := store.ReportFile{Name: reportName(m, f, q), Format: f.Key, Part: q.Part, Draft: m.Draft, ContentType: f.ContentType, Data: buf.Bytes()}
	if m.Assessment != nil {
		rec.AssessmentID = m.Assessment.ID
	}
	if m.Analysis != nil {
		rec.AnalysisID = m.Analysis.ID
	}
	return h.s.DB().SaveReport(ctx, h.s.Actor(r), h.s.Config().Keys, a.Org.ID, rec)
}

// reportName is the file name a report is kept and downloaded under.
func reportName(m *report.Model, f report.Format, q request) string {
	what := "security-rule-report"
	switch report.Part(q.Part) {
	case report.PartSummary:
		what = "summary"
	case report.PartAsset:
		if len(m.Assets) > 0 {
			what = "asset-" + slug(m.Assets[0].Name)
		}
	}
	if q.Register != "" {
		what += "-" + q.Register
	}
	draft := ""
	if m.Draft {
		draft = "-DRAFT"
	}
	return fmt.Sprintf("%s-%s-%s%s%s", m.Org.Slug, what, m.Generated.In(m.Zone).Format("2006-01-02"), draft, f.Extension)
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// reportRow is one kept report in the list.
type reportRow struct {
	store.StoredReport
	Made        string
	Kept        string
	By          string // who made it, by name
	SizeText    string
	FormatLabel string
	ShortSHA    string // the first hex digits of the SHA-256, to tell reports apart
	URL         string
}

type option struct {
	Value    string
	Label    string
	Selected bool
}

type reportsView struct {
	web.Page
	Org         identity.Org
	Formats     []option
	Registers   []option
	Assessments []option
	Analyses    []option
	Assets      []option
	// ManyAssets is true when the inventory is too large to list: the
	// asset is then given by its number.
	ManyAssets bool
	// RegisterFormats are the formats that take a register (CSV), for
	// the script that shows the register choice only for them.
	RegisterFormats string
	Form            request
	Problems        validate.Error
	Rows            []reportRow
	NextURL         string
	Ready           *reportRow
}

// assetsListed is how many assets the form lists before asking for a number.
const assetsListed = 500

func (h *Handler) reportsPage(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, request{Format: "pdf", Part: string(report.PartFull), Register: "risks"}, nil)
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, q request, problems validate.Error) error {
	ctx := r.Context()
	a := web.OrgOf(ctx)
	db := h.s.DB()
	v := &reportsView{Page: web.Page{Title: "Reports", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Reports"})},
		Org: a.Org, Form: q, Problems: problems}
	var withRegister []string
	for _, f := range report.Formats() {
		v.Formats = append(v.Formats, option{Value: f.Key, Label: f.Label, Selected: f.Key == q.Format})
		if f.Register {
			withRegister = append(withRegister, f.Key)
		}
	}
	v.RegisterFormats = strings.Join(withRegister, " ")
	for _, k := range report.CSVRegisters() {
		v.Registers = append(v.Registers, option{Value: k, Label: registerLabel(k), Selected: k == q.Register})
	}
	as, err := db.Assessments(ctx, a.Org.ID)
	if err != nil {
		return err
	}
	v.Assessments = []option{{Value: "", Label: "The current assessment", Selected: q.AssessmentID == 0}}
	for _, x := range as {
		label := x.Name + " (" + strings.ToLower(x.Status.Label()) + ")"
		if x.Status == assess.StatusFinal {
			label = x.Name + " (signed off " + web.Day(x.FinalisedAt) + ")"
		}
		v.Assessments = append(v.Assessments, option{Value: itoa(x.ID), Label: label, Selected: x.ID == q.AssessmentID})
	}
	ans, _, err := store.Collect(func(p store.Page) ([]store.AnalysisRecord, *store.Key, error) { return db.Analyses(ctx, a.Org.ID, p) }, 200)
	if err != nil {
		return err
	}
	v.Analyses = []option{{Value: "", Label: "Today’s register and plan (draft)", Selected: q.AnalysisID == 0}}
	for _, x := range ans {
		if x.Status != risk.AnalysisFinal {
			continue
		}
		v.Analyses = append(v.Analyses, option{Value: itoa(x.ID), Label: x.Name + " (signed off " + web.Day(x.FinalisedAt) + ")", Selected: x.ID == q.AnalysisID})
	}
	assets, next, err := db.Assets(ctx, a.Org.ID, store.AssetFilter{}, store.Page{Limit: assetsListed})
	if err != nil {
		return err
	}
	v.ManyAssets = next != nil
	if !v.ManyAssets {
		v.Assets = []option{{Value: "", Label: "Choose an asset", Selected: q.AssetID == 0}}
		for _, x := range assets {
			v.Assets = append(v.Assets, option{Value: itoa(x.ID), Label: x.Name, Selected: x.ID == q.AssetID})
		}
	}
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	rows, nextReports, err := db.Reports(ctx, a.Org.ID, pg)
	if err != nil {
		return err
	}
	v.NextURL = web.NextPageURL(r, nextReports)
	names, err := makers(ctx, db, rows)
	if err != nil {
		return err
	}
	zone := orgZone(a.Org)
	ready, _ := strconv.ParseInt(r.URL.Query().Get("ready"), 10, 64)
	for _, x := range rows {
		row := rowOf(a.Org.Slug, zone, x)
		row.By = cmp.Or(names[x.CreatedBy], x.CreatedBy)
		v.Rows = append(v.Rows, row)
		if x.ID == ready {
			v.Ready = &row
		}
	}
	h.s.Render(w, r, status, "reports", v)
	return nil
}

// rowOf is a kept report as the list shows it, its times in the
// organisation's zone, the zone the report's own dates and file name use.
func rowOf(slug string, zone *time.Location, x store.StoredReport) reportRow {
	row := reportRow{StoredReport: x, Made: x.CreatedAt.In(zone).Format("2 January 2006, 15:04 MST"), Kept: x.RetainUntil.In(zone).Format("2 January 2006"),
		SizeText: sizeText(x.Size), URL: fmt.Sprintf("/orgs/%s/reports/%d/download", slug, x.ID), FormatLabel: x.Format, ShortSHA: x.SHA256[:min(12, len(x.SHA256))]}
	if f, ok := report.FormatOf(x.Format); ok {
		row.FormatLabel = f.Label
	}
	return row
}

// orgZone is the organisation's time zone, UTC when it has none or an
// unknown one.
func orgZone(o identity.Org) *time.Location {
	if z, err := time.LoadLocation(o.TimeZone); err == nil && o.TimeZone != "" {
		return z
	}
	return time.UTC
}

// makers names the people who made the reports: the audit log's actor
// ("user:5", or "user:5/token:2" through the API) becomes "Tom Becker".
func makers(ctx context.Context, db *store.DB, rows []store.StoredReport) (map[string]string, error) {
	ids := map[string]int64{}
	var list []int64
	for _, x := range rows {
		user, _, _ := strings.Cut(x.CreatedBy, "/")
		n, err := strconv.ParseInt(strings.TrimPrefix(user, "user:"), 10, 64)
		if !strings.HasPrefix(user, "user:") || err != nil {
			continue
		}
		if _, ok := ids[x.CreatedBy]; !ok {
			ids[x.CreatedBy] = n
			list = append(list, n)
		}
	}
	if len(list) == 0 {
		return nil, nil
	}
	names, err := db.UserNames(ctx, list)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ids))
	for actor, id := range ids {
		if n := names[id]; n != "" {
			if strings.Contains(actor, "/token:") {
				n += " (API token)"
			}
			out[actor] = n
		}
	}
	return out, nil
}

func registerLabel(k string) string {
	switch k {
	case "risks":
		return "Risk register"
	case "tasks":
		return "Risk management plan (tasks)"
	case "assets":
		return "ePHI inventory (assets)"
	case "flows":
		return "Data flows"
	case "decisions":
		return "Addressable decision log"
	case "entries":
		return "Assessment responses"
	case "evidence":
		return "Evidence index"
	}
	return k
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+1023)>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (h *Handler) generateSubmit(w http.ResponseWriter, r *http.Request) error {
	q := request{Format: r.PostFormValue("format"), Part: r.PostFormValue("part"), Register: r.PostFormValue("register")}
	p := validate.Error{}
	for name, dst := range map[string]*int64{"assessment_id": &q.AssessmentID, "analysis_id": &q.AnalysisID, "asset_id": &q.AssetID} {
		if s := strings.TrimSpace(r.PostFormValue(name)); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				p.Add(name, "must be chosen from the list")
				continue
			}
			*dst = n
		}
	}
	if report.Part(q.Part) != report.PartAsset {
		q.AssetID = 0
	}
	if err := p.Err(); err != nil {
		return h.render(w, r, http.StatusUnprocessableEntity, q, p)
	}
	rec, err := h.generate(r, q)
	var ve validate.Error
	if errors.As(err, &ve) {
		return h.render(w, r, http.StatusUnprocessableEntity, q, ve)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/orgs/%s/reports?ready=%d#ready", web.OrgOf(r.Context()).Org.Slug, rec.ID), http.StatusSeeOther)
	return nil
}

// download serves a kept report, its SHA-256 checked and the download
// audited.
func (h *Handler) download(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return &web.HTTPError{Code: http.StatusNotFound, Msg: "There is no such report."}
	}
	rec, data, err := h.s.DB().OpenReport(r.Context(), h.s.Actor(r), h.s.Config().Keys, a.Org.ID, id)
	if errors.Is(err, store.ErrEvidenceTampered) {
		return &web.HTTPError{Code: http.StatusInternalServerError, Reason: "report_tampered", Err: err,
			Msg: "This report failed its integrity check: the stored copy is not what was generated. It was not served, and the attempt has been recorded in the audit log."}
	} else if errors.Is(err, store.ErrNotFound) {
		return &web.HTTPError{Code: http.StatusNotFound, Msg: "There is no such report.", Err: err}
	} else if err != nil {
		return err
	}
	web.ServeDownload(w, r, web.Download{Name: rec.Name, ContentType: rec.ContentType, SHA256: rec.SHA256, Data: data, Styled: rec.Format == "html"})
	return nil
}

// reportJSON is a kept report in the API, with where to download it.
type reportJSON struct {
	store.StoredReport
	FileURL string `json:"file_url"`
}

func jsonOf(slug string, x store.StoredReport) reportJSON {
	return reportJSON{StoredReport: x, FileURL: fmt.Sprintf("/api/v1/orgs/%s/reports/%d/file", slug, x.ID)}
}

func (h *Handler) apiReports(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	pg, err := web.PageQuery(r)
	if err != nil {
		return err
	}
	list, next, err := h.s.DB().Reports(r.Context(), a.Org.ID, pg)
	if err != nil {
		return err
	}
	out := make([]reportJSON, len(list))
	for i, x := range list {
		out[i] = jsonOf(a.Org.Slug, x)
	}
	web.WritePage(h.s, w, r, out, next)
	return nil
}

func (h *Handler) apiGenerate(w http.ResponseWriter, r *http.Request) error {
	var q request
	if err := web.DecodeJSON(r, &q); err != nil {
		return err
	}
	start := time.Now()
	rec, err := h.generate(r, q)
	if err != nil {
		return err
	}
	w.Header().Set("Server-Timing", fmt.Sprintf("generate;dur=%d", time.Since(start).Milliseconds()))
	h.s.WriteJSON(w, r, http.StatusCreated, jsonOf(web.OrgOf(r.Context()).Org.Slug, rec))
	return nil
}
