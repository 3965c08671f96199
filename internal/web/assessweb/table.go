package assessweb

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Expert mode: every assessable entry as a row of one table. The table is
// one form: each row's fields are named after its entry
// ("164.312(b).status"), and Save writes the rows that changed, all of
// them or none. A post with a "citation" field and unprefixed names (the
// form of one row, as earlier versions sent it) saves that row alone.

type tableView struct {
	web.Page
	assessBase
	Sections []tableSection
	// Saved says which rows the last save wrote; SavedRows are their citations.
	Saved     string
	SavedRows []string
	Problem   string
	Summary   []summaryItem
}

type tableSection struct {
	ID, Title string
	Rows      []tableRow
}

type tableRow struct {
	Form     responseForm
	FormID   string // the prefix of the row's element ids
	Name     string // the prefix of the row's field names
	URL      string
	Required string
	Decision string
	Saved    bool
	Version  int
	Digest   string
	Conflict string
	// Other are the row's problems with fields the table does not show.
	Other []string
}

// tableName is the prefix of the names of an entry's fields in the table.
func tableName(e assess.EntrySnapshot) string { return e.Citation + "." }

func (h *Handler) tablePage(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.sheetOf(r)
	if err != nil {
		return err
	}
	v := &tableView{}
	q := r.URL.Query()
	for c := range strings.SplitSeq(q.Get("saved"), ",") {
		if e, ok := sh.Assessment.Entry(c); ok && e.Assessable() {
			v.SavedRows = append(v.SavedRows, c)
		}
	}
	switch {
	case len(v.SavedRows) == 1:
		v.Saved = "Saved " + v.SavedRows[0] + "."
	case len(v.SavedRows) > 1:
		v.Saved = fmt.Sprintf("Saved %s: %s.", entriesWord(len(v.SavedRows)), strings.Join(v.SavedRows, ", "))
	case q.Get("unchanged") != "":
		v.Saved = "No row had changed, so nothing was saved."
	}
	return h.renderTable(w, r, http.StatusOK, sh, v, nil, nil)
}

func (h *Handler) renderTable(w http.ResponseWriter, r *http.Request, status int, sh assess.Sheet, v *tableView, eds []entryEdit, problems []assess.EntryProblem) error {
	o := web.OrgOf(r.Context())
	a := sh.Assessment
	v.assessBase = h.assessBaseOf(r, a)
	v.Page = web.Page{Title: "Table of " + a.Name, Breadcrumbs: assessCrumbs(r, a, web.Crumb{Label: "Table"})}
	for _, c := range a.Categories() {
		sec := tableSection{ID: "cat-" + string(c), Title: h.s.CategoryTitle(c)}
		for _, e := range a.Entries {
			if e.Category != c || !e.Assessable() {
				continue
			}
			cur, _ := sh.Response(e.Citation)
			row := tableRow{FormID: "f-" + anchorOf(e.Citation), Name: tableName(e), URL: v.Base + "/entries/" + e.Citation,
				Required: string(e.Requirement), Saved: slices.Contains(v.SavedRows, e.Citation)}
			resp, l := cur, loaded{cur.Version, responseDigest(cur, false)}
			p, _ := problemOf(problems, e.Citation)
			// A row the person changed comes back as they typed it (see
			// guidedSubmit); the others show what is stored now.
			i := slices.IndexFunc(eds, func(ed entryEdit) bool { return ed.Entry.Citation == e.Citation })
			changed := i >= 0 && eds[i].RChanged
			if changed {
				resp, l = eds[i].Resp, eds[i].RBase
				if c, ok := p.Conflict(assess.PartResponse); ok {
					l.Version = c.Current
				}
			}
			row.Form = h.responseFormOf(a, e, row.Name, resp, string(o.Org.Kind), v.CanWrite, o.Org.Slug)
			if changed {
				eds[i].keepTyped(&row.Form)
			}
			row.Form.Questions = nil
			row.Form.Problems = p.Response
			row.Other = otherProblems(e, p)
			row.Version, row.Digest = l.Version, l.Digest
			row.Conflict = conflictNote(p, theirsIn(sh, e.Citation))
			if e.Requirement == catalog.Addressable {
				if d, ok := sh.Decision(e.Citation); ok {
					row.Decision = string(d.Outcome)
				} else {
					row.Decision = "missing"
				}
			}
			sec.Rows = append(sec.Rows, row)
		}
		v.Sections = append(v.Sections, sec)
	}
	if problems != nil {
		v.Summary = problemSummary(a, problems, tableFieldID)
	}
	h.s.Render(w, r, status, "assess_table", v)
	return nil
}

// tableFieldID is the id of the element of a table row that shows field.
func tableFieldID(e assess.EntrySnapshot, part assess.Part, field string) string {
	id := "f-" + anchorOf(e.Citation)
	if part == assess.PartDecision && field != "conflict" {
		return id + "-other"
	}
	switch field {
	case "conflict", "status", "narrative", "owner":
		return id + "-" + field
	case "target_date":
		return id + "-target"
	case "na_reason":
		if _, ok := assess.NARuleFor(e.Citation); ok {
			return id + "-na"
		}
		return id + "-status"
	}
	return id + "-other"
}

// otherProblems are the problems of p with fields a row of the table does
// not show (the guided answers, linked evidence, the decision), said in
// the row all the same.
func otherProblems(e assess.EntrySnapshot, p assess.EntryProblem) []string {
	var out []string
	for _, part := range []assess.Part{assess.PartResponse, assess.PartDecision} {
		fields := p.Response
		if part == assess.PartDecision {
			fields = p.Decision
		}
		keys := make([]string, 0, len(fields))
		for f := range fields {
			if part == assess.PartDecision || tableFieldID(e, part, f) == "f-"+anchorOf(e.Citation)+"-other" {
				keys = append(keys, f)
			}
		}
		slices.Sort(keys)
		for _, f := range keys {
			out = append(out, upperFirst(fieldName(f))+" "+fields[f]+".")
		}
	}
	return out
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (h *Handler) tableSubmit(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.sheetOf(r)
	if err != nil {
		return err
	}
	a := sh.Assessment
	one := ""
	if r.PostForm.Has("citation") {
		cat, err := h.s.Catalog()
		if err != nil {
			return err
		}
		e, ok := a.Resolve(cat, r.PostFormValue("citation"))
		if !ok {
			return validate.Error{"citation": "is not an entry of this assessment"}
		}
		one = e.Citation
	}
	var eds []entryEdit
	for _, e := range a.Entries {
		if !e.Assessable() {
			continue
		}
		name := tableName(e)
		if one != "" {
			if e.Citation != one {
				continue
			}
			name = ""
		} else if !r.PostForm.Has(name + "version") {
			continue
		}
		cur, _ := sh.Response(e.Citation)
		ed := entryEdit{Entry: e}
		resp, parse, touched := h.readResponseInput(r, a, e, name, cur, nil)
		// The table does not show the guided answers; keep them.
		resp.Answers = cur.Answers
		ed.Resp, ed.RParse, ed.Target = resp, parse, r.PostFormValue(name+"target_date")
		var carried bool
		ed.RBase, carried = loadedOf(r, name, loaded{cur.Version, responseDigest(cur, false)})
		ed.RChanged = changedFrom(ed.RBase, carried, touched || one != "", responseDigest(resp, false))
		eds = append(eds, ed)
	}
	_, problems, err := h.saveEdits(r, a, eds)
	if err != nil {
		return err
	}
	if problems == nil {
		var saved []string
		for _, ed := range eds {
			if ed.RChanged {
				saved = append(saved, ed.Entry.Citation)
			}
		}
		next := h.assessBaseOf(r, a).Base + "/table?unchanged=1"
		if len(saved) > 0 {
			next = h.assessBaseOf(r, a).Base + "/table?saved=" + url.QueryEscape(strings.Join(saved, ",")) + "#" + anchorOf(saved[0])
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	v := &tableView{Problem: "Nothing was saved: " + needAttention(len(problems)) + ". Every change you made is kept below; correct the rows marked and save again."}
	return h.renderTable(w, r, http.StatusUnprocessableEntity, sh, v, eds, problems)
}
