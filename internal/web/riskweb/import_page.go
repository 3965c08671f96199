package riskweb

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk/assetfile"
	"github.com/safeguard-health/safeguard/internal/web"
)

// importColumn is one column of the file and the field it fills.
type importColumn struct {
	Index  int
	Header string
	// Field is the field chosen, "" to leave the column out.
	Field string
}

type importView struct {
	web.Page
	Org identity.Org
	// Checked is set once a file was read.
	Checked  bool
	Filename string
	Columns  []importColumn
	Fields   []option
	// Problems are the rows (and the file's problems, row 1) that stop
	// the import; FileProblem says why the file cannot be read at all.
	Problems    []assetfile.Problem
	FileProblem string
	WouldAdd    int
	// Refused is set when an import was asked for and nothing was saved.
	Refused bool
	// Rematched is set when the file's columns were not those the mapping
	// was chosen for, so they were matched afresh.
	Rematched bool
}

func (h *Handler) importPage(w http.ResponseWriter, r *http.Request) error {
	h.renderImport(w, r, http.StatusOK, &importView{})
	return nil
}

func (h *Handler) renderImport(w http.ResponseWriter, r *http.Request, status int, v *importView) {
	a := web.OrgOf(r.Context())
	v.Page = web.Page{Title: "Import assets", Breadcrumbs: web.OrgCrumbs(a,
		web.Crumb{Label: "ePHI inventory", URL: "/orgs/" + a.Org.Slug + "/inventory"}, web.Crumb{Label: "Import assets"})}
	v.Org = a.Org
	v.Fields = []option{{"", "Leave out"}}
	for _, c := range importFields() {
		v.Fields = append(v.Fields, option{string(c), c.Header()})
	}
	h.s.Render(w, r, status, "inventory_import", v)
}

// postedMapping is the mapping the form chose: the file's headers as the
// page listed them, and the field each fills.
type postedMapping struct {
	headers []string
	fields  []string
}

func readPostedMapping(form *web.UploadForm) postedMapping {
	var m postedMapping
	for i := 0; ; i++ {
		k := strconv.Itoa(i)
		if !form.Fields.Has("header." + k) {
			return m
		}
		m.headers = append(m.headers, form.Fields.Get("header."+k))
		m.fields = append(m.fields, form.Fields.Get("field."+k))
	}
}

// mapping turns the choices into the reader's mapping: each field is read
// from the column chosen for it, or left out when none is. A field chosen
// for two columns is a problem.
func (m postedMapping) mapping() (map[assetfile.Column]string, []assetfile.Problem) {
	out := map[assetfile.Column]string{}
	for _, c := range importFields() {
		out[c] = ""
	}
	var probs []assetfile.Problem
	for i, f := range m.fields {
		c := assetfile.Column(f)
		if f == "" {
			continue
		}
		if _, ok := out[c]; !ok {
			probs = append(probs, assetfile.Problem{Row: 1, Column: m.headers[i], Message: "choose a field from the list"})
			continue
		}
		if prev := out[c]; prev != "" {
			probs = append(probs, assetfile.Problem{Row: 1, Column: m.headers[i],
				Message: fmt.Sprintf("both %q and %q are set to fill %s: choose one of them, and leave the other out", prev, m.headers[i], c.Header())})
			continue
		}
		out[c] = m.headers[i]
	}
	return out, probs
}

// importSubmit checks an uploaded file (step "check") or imports it
// (step "import"), with the mapping the page chose if it gave one.
func (h *Handler) importSubmit(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	form := web.UploadOf(r.Context())
	v := &importView{}
	if form == nil {
		return &web.HTTPError{Code: http.StatusBadRequest, Msg: "Send the file with the form on the import page."}
	}
	file, err := form.EvidenceFile(h.s.UploadLimit())
	if err != nil {
		return err
	}
	if file == nil || len(file.Data) == 0 {
		v.FileProblem = "Choose the file to import: a CSV or XLSX spreadsheet with a row per asset."
		h.renderImport(w, r, http.StatusUnprocessableEntity, v)
		return nil
	}
	v.Filename = file.Filename
	dry := form.Fields.Get("step") != "import"
	posted := readPostedMapping(form)
	mapping, mapProbs := posted.mapping()
	if posted.headers == nil {
		mapping = nil
	}
	if len(mapProbs) > 0 {
		v.Checked, v.Problems, v.Refused = true, mapProbs, !dry
		v.Columns = postedColumns(posted)
		h.renderImport(w, r, http.StatusUnprocessableEntity, v)
		return nil
	}
	f := formatOf("", file.Filename, file.Data)
	run, err := h.runImport(r, a.Org.ID, bytes.NewReader(file.Data), f, mapping, dry)
	if err == nil && mapping != nil && !slices.Equal(run.Result.Headers, posted.headers) {
		// Another file than the one the mapping was chosen for: match its
		// columns afresh, and check it before importing anything.
		v.Rematched, dry = true, true
		run, err = h.runImport(r, a.Org.ID, bytes.NewReader(file.Data), f, nil, true)
	}
	if he, ok := err.(*web.HTTPError); ok && he.Code == http.StatusUnprocessableEntity {
		v.FileProblem = he.Msg
		h.renderImport(w, r, http.StatusUnprocessableEntity, v)
		return nil
	}
	if err != nil {
		return err
	}
	if run.Saved != nil {
		http.Redirect(w, r, fmt.Sprintf("/orgs/%s/inventory?imported=%d", a.Org.Slug, len(run.Saved)), http.StatusSeeOther)
		return nil
	}
	res := run.Result
	v.Checked, v.Problems, v.WouldAdd = true, res.Problems, len(res.Assets)
	byHeader := map[string]string{}
	for c, hd := range res.Columns {
		byHeader[hd] = string(c)
	}
	for i, hd := range res.Headers {
		v.Columns = append(v.Columns, importColumn{Index: i, Header: hd, Field: byHeader[hd]})
	}
	status := http.StatusOK
	if !dry {
		v.Refused, status = true, http.StatusUnprocessableEntity
	}
	h.renderImport(w, r, status, v)
	return nil
}

// postedColumns shows the columns as the page listed them.
func postedColumns(m postedMapping) []importColumn {
	out := make([]importColumn, len(m.headers))
	for i := range m.headers {
		out[i] = importColumn{Index: i, Header: m.headers[i], Field: m.fields[i]}
	}
	return out
}
