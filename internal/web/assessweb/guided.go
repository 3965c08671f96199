package assessweb

import (
	"cmp"
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

// Guided mode: one standard at a time, with its guidance, the questions of
// its entries, and the decisions they need.

type guidedStep struct {
	Standard string
	Title    string
	Entries  []assess.EntrySnapshot
	Done     bool
	URL      string
	Current  bool
}

func guidedSteps(sh assess.Sheet, base string) []guidedStep {
	var out []guidedStep
	idx := map[string]int{}
	for _, e := range sh.Assessment.Entries {
		if !e.Assessable() {
			continue
		}
		std := cmp.Or(e.Standard, e.Citation)
		i, ok := idx[std]
		if !ok {
			title := e.Title
			if se, ok := sh.Assessment.Entry(std); ok {
				title = se.Title
			}
			i = len(out)
			idx[std] = i
			out = append(out, guidedStep{Standard: std, Title: title, Done: true, URL: base + "/guided?standard=" + url.QueryEscape(std)})
		}
		out[i].Entries = append(out[i].Entries, e)
		if r, ok := sh.Response(e.Citation); !ok || r.Status == "" {
			out[i].Done = false
		}
	}
	return out
}

type guidedView struct {
	web.Page
	assessBase
	Steps     []guidedStep
	Step      guidedStep
	Index     int
	Number    int
	Guidance  catalog.Guidance
	Items     []guidedItem
	Answered  int
	Total     int
	Percent   int
	StepsDone int
	AllDone   bool
	Problem   string
	Summary   []summaryItem
	Notice    string
	Next      string
}

type guidedItem struct {
	Resp     responseForm
	Decision *decisionForm
	Cat      catalog.Entry
	// Version and Digest are what the response was loaded with, DVersion
	// and DDigest the decision (see loaded).
	Version, DVersion int
	Digest, DDigest   string
	// Conflict says who saved the entry after the page was opened.
	Conflict string
}

func (h *Handler) guidedPage(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.sheetOf(r)
	if err != nil {
		return err
	}
	v := &guidedView{}
	if q := r.URL.Query(); q.Get("saved") != "" {
		v.Notice = "Saved " + q.Get("saved") + "."
	} else if q.Get("unchanged") != "" {
		v.Notice = "Nothing had changed in " + q.Get("unchanged") + ", so nothing was saved."
	}
	return h.renderGuided(w, r, http.StatusOK, sh, v, r.URL.Query().Get("standard"), nil)
}

func (h *Handler) renderGuided(w http.ResponseWriter, r *http.Request, status int, sh assess.Sheet, v *guidedView, standard string, failed []guidedItem) error {
	o := web.OrgOf(r.Context())
	a := sh.Assessment
	v.assessBase = h.assessBaseOf(r, a)
	v.Page = web.Page{Title: "Guided assessment", Breadcrumbs: assessCrumbs(r, a, web.Crumb{Label: "Guided"})}
	v.Steps = guidedSteps(sh, v.Base)
	if len(v.Steps) == 0 {
		return &web.HTTPError{Code: http.StatusNotFound, Msg: "This assessment has no entries to answer."}
	}
	v.Index = -1
	for i, st := range v.Steps {
		if st.Standard == standard {
			v.Index = i
		}
	}
	if v.Index < 0 {
		if standard != "" {
			return &web.HTTPError{Code: http.StatusNotFound, Msg: "This assessment has no such standard."}
		}
		v.Index = slices.IndexFunc(v.Steps, func(st guidedStep) bool { return !st.Done })
		if v.Index < 0 {
			v.Index, v.AllDone = 0, true
		}
	}
	v.Steps[v.Index].Current = true
	v.Number = v.Index + 1
	v.Step = v.Steps[v.Index]
	if v.Index+1 < len(v.Steps) {
		v.Next = v.Steps[v.Index+1].Standard
	}
	pos := assess.PostureOf(sh, h.s.DB().Now().UTC())
	v.Total, v.Answered = pos.Overall.Entries, pos.Overall.Entries-pos.Overall.Unanswered
	if v.Total > 0 {
		v.Percent = v.Answered * 100 / v.Total
	}
	for _, st := range v.Steps {
		if st.Done {
			v.StepsDone++
		}
	}
	v.Guidance = h.catalogEntry(a, v.Step.Standard).Guidance
	evidence, err := h.s.DB().EvidenceList(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	if failed != nil {
		v.Items = failed
	} else {
		for i, e := range v.Step.Entries {
			prefix := fmt.Sprintf("s%d-", i)
			resp, _ := sh.Response(e.Citation)
			d, _ := sh.Decision(e.Citation)
			it := guidedItem{Resp: h.responseFormOf(a, e, prefix, resp, string(o.Org.Kind), v.CanWrite, o.Org.Slug), Cat: h.catalogEntry(a, e.Citation),
				Version: resp.Version, Digest: responseDigest(resp, true), DVersion: d.Version, DDigest: decisionDigest(d)}
			withEvidence(&it.Resp, evidence)
			it.Decision = h.decisionFormOf(e, prefix, d, &d, nil, v.CanWrite)
			v.Items = append(v.Items, it)
		}
	}
	h.s.Render(w, r, status, "assess_guided", v)
	return nil
}

func (h *Handler) guidedSubmit(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.sheetOf(r)
	if err != nil {
		return err
	}
	o := web.OrgOf(r.Context())
	a := sh.Assessment
	base := h.assessBaseOf(r, a).Base
	steps := guidedSteps(sh, base)
	standard := r.PostFormValue("standard")
	i := slices.IndexFunc(steps, func(st guidedStep) bool { return st.Standard == standard })
	if i < 0 {
		return validate.Error{"standard": "is not a standard of this assessment"}
	}
	evidence, err := h.s.DB().EvidenceList(r.Context(), o.Org.ID)
	if err != nil {
		return err
	}
	var eds []entryEdit
	for j, e := range steps[i].Entries {
		prefix := fmt.Sprintf("s%d-", j)
		cur, _ := sh.Response(e.Citation)
		ed := entryEdit{Entry: e}
		var touched, carried bool
		ed.Resp, ed.RParse, touched = h.readResponseInput(r, a, e, prefix, cur, evidence)
		ed.Target = r.PostFormValue(prefix + "target_date")
		ed.RBase, carried = loadedOf(r, prefix, loaded{cur.Version, responseDigest(cur, true)})
		ed.RChanged = changedFrom(ed.RBase, carried, touched, responseDigest(ed.Resp, true))
		if e.Requirement == catalog.Addressable {
			curD, _ := sh.Decision(e.Citation)
			d, dTouched := h.readDecisionInput(r, e, prefix)
			ed.Dec = &d
			ed.DBase, carried = loadedOf(r, prefix+"d", loaded{curD.Version, decisionDigest(curD)})
			ed.DChanged = changedFrom(ed.DBase, carried, dTouched, decisionDigest(d))
		}
		eds = append(eds, ed)
	}
	n, problems, err := h.saveEdits(r, a, eds)
	if err != nil {
		return err
	}
	if problems == nil {
		// Continue at the next standard that still has unanswered entries;
		// after the last, the overview says what still blocks sign-off.
		done := "&saved=" + url.QueryEscape(standard)
		if n == 0 {
			done = "&unchanged=" + url.QueryEscape(standard)
		}
		next := base + "?done=guided"
		if r.PostFormValue("stay") != "" {
			next = base + "/guided?standard=" + url.QueryEscape(standard) + done
		} else if j := slices.IndexFunc(steps[i+1:], func(st guidedStep) bool { return !st.Done }); j >= 0 {
			next = base + "/guided?standard=" + url.QueryEscape(steps[i+1+j].Standard) + done
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	var items []guidedItem
	for j, ed := range eds {
		prefix := fmt.Sprintf("s%d-", j)
		e := ed.Entry
		p, _ := problemOf(problems, e.Citation)
		cur, _ := sh.Response(e.Citation)
		curD, _ := sh.Decision(e.Citation)
		it := guidedItem{Cat: h.catalogEntry(a, e.Citation)}
		// A part the person changed comes back as they typed it, loaded at
		// the version they typed over — or, when someone saved it meanwhile,
		// at theirs, so that saving again is a deliberate replacement. An
		// untouched part shows what is stored now.
		resp, rl := cur, loaded{cur.Version, responseDigest(cur, true)}
		if ed.RChanged {
			resp, rl = ed.Resp, ed.RBase
			if c, ok := p.Conflict(assess.PartResponse); ok {
				rl.Version = c.Current
			}
		}
		it.Resp = h.responseFormOf(a, e, prefix, resp, string(o.Org.Kind), true, o.Org.Slug)
		if ed.RChanged {
			ed.keepTyped(&it.Resp)
		}
		withEvidence(&it.Resp, evidence)
		it.Resp.Problems = p.Response
		it.Version, it.Digest = rl.Version, rl.Digest
		if ed.Dec != nil {
			d, dl := curD, loaded{curD.Version, decisionDigest(curD)}
			if ed.DChanged {
				d, dl = *ed.Dec, ed.DBase
				if c, ok := p.Conflict(assess.PartDecision); ok {
					dl.Version = c.Current
				}
			}
			it.Decision = h.decisionFormOf(e, prefix, d, &curD, p.Decision, true)
			it.DVersion, it.DDigest = dl.Version, dl.Digest
		}
		it.Conflict = conflictNote(p, theirsIn(sh, e.Citation))
		items = append(items, it)
	}
	v := &guidedView{Problem: "Nothing was saved: " + needAttention(len(problems)) + ". What you typed is kept below: see to the entries listed and save again."}
	v.Summary = problemSummary(a, problems, func(e assess.EntrySnapshot, part assess.Part, field string) string {
		j := slices.IndexFunc(eds, func(ed entryEdit) bool { return ed.Entry.Citation == e.Citation })
		return guidedFieldID(fmt.Sprintf("s%d-", j), items[j], part, field)
	})
	return h.renderGuided(w, r, http.StatusUnprocessableEntity, sh, v, standard, items)
}

// guidedFieldID is the id of the element of a guided-mode entry that shows
// field of its part.
func guidedFieldID(prefix string, it guidedItem, part assess.Part, field string) string {
	switch {
	case field == "conflict":
		return prefix + "conflict"
	case part == assess.PartDecision:
		if f, ok := strings.CutPrefix(field, "factors."); ok {
			return prefix + "factor-" + f
		}
		switch field {
		case "alternative", "rationale", "risk_analysis_ref":
			return prefix + field
		}
		return prefix + "outcome"
	}
	switch field {
	case "status", "narrative", "owner", "target_date":
		return prefix + field
	case "na_reason":
		if it.Resp.NACondition != "" {
			return prefix + field
		}
		return prefix + "status"
	case "evidence_ids":
		if len(it.Resp.Evidence) > 0 {
			return prefix + "evidence"
		}
	case "answers":
		if len(it.Resp.Questions) > 0 {
			return it.Resp.Questions[0].Name
		}
	}
	return it.Resp.Anchor
}

// theirsIn describes, for a conflict note, what is stored for citation.
func theirsIn(sh assess.Sheet, citation string) func(assess.Part) string {
	return func(part assess.Part) string {
		if part == assess.PartDecision {
			if d, ok := sh.Decision(citation); ok {
				return string(d.Outcome)
			}
			return ""
		}
		r, ok := sh.Response(citation)
		if !ok {
			return ""
		}
		out := r.Status.Label()
		if r.Narrative != "" {
			n := []rune(r.Narrative)
			if len(n) > 120 {
				n = append(n[:120], '…')
			}
			out += " — “" + string(n) + "”"
		}
		return out
	}
}
