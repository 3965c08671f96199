package assessweb

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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
	// Done says that nothing about the standard's entries blocks sign-off
	// (see assess.Blockers): each is answered, and each addressable one
	// has a complete decision that agrees with its answer.
	Done    bool
	URL     string
	Current bool
}

// guidedSteps groups the entries to answer by standard, in the rule's order.
func guidedSteps(sh assess.Sheet, base string) []guidedStep {
	blocked := blockedEntries(sh)
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
		if len(blocked[e.Citation]) > 0 {
			out[i].Done = false
		}
	}
	return out
}

// blockedEntries is what blocks sign-off about each entry of sh.
func blockedEntries(sh assess.Sheet) map[string][]assess.Blocker {
	out := map[string][]assess.Blocker{}
	for _, eb := range assess.GroupBlockers(assess.Blockers(sh.Assessment, sh.Responses, sh.Decisions, sh.Reviews)) {
		if eb.Citation != "" {
			out[eb.Citation] = eb.Blockers
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
	Contents  []contentsItem
	Answered  int
	Total     int
	Percent   int
	StepsDone int
	AllDone   bool
	Problem   string
	Summary   []summaryItem
	Notice    string
	// Next and Prev are the standards after and before this one ("" for
	// none); NextTitle and PrevTitle their titles.
	Next, NextTitle, NextURL string
	Prev, PrevTitle, PrevURL string
	// Unfinished is set when "Save and continue" stayed on the standard
	// because entries of it are not finished: they are marked beside
	// their fields.
	Unfinished bool
}

// contentsItem is one entry of the standard in the list at its top: where
// it stands and what it still needs.
type contentsItem struct {
	Anchor, Citation, Title string
	Status                  string
	Needs                   string
	Done                    bool
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
	// Other are what keeps the entry unfinished that no field shows.
	Other []string
}

func (h *Handler) guidedPage(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.sheetOf(r)
	if err != nil {
		return err
	}
	v := &guidedView{}
	q := r.URL.Query()
	if q.Get("saved") != "" {
		v.Notice = "Saved " + q.Get("saved") + "."
	} else if q.Get("unchanged") != "" {
		v.Notice = "Nothing had changed in " + q.Get("unchanged") + ", so nothing was saved."
	}
	v.Unfinished = q.Get("unfinished") != ""
	return h.renderGuided(w, r, http.StatusOK, sh, v, q.Get("standard"), nil)
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
		st := v.Steps[v.Index+1]
		v.Next, v.NextTitle, v.NextURL = st.Standard, st.Title, st.URL
	}
	if v.Index > 0 {
		st := v.Steps[v.Index-1]
		v.Prev, v.PrevTitle, v.PrevURL = st.Standard, st.Title, st.URL
	}
	pos := assess.PostureOf(sh, h.s.DB().Now().UTC())
	v.Total, v.Answered = pos.Overall.Entries, pos.Overall.Answered()
	if v.Total > 0 {
		v.Percent = v.Answered * 100 / v.Total
	}
	for _, st := range v.Steps {
		if st.Done {
			v.StepsDone++
		}
	}
	v.Guidance = h.catalogEntry(a, v.Step.Standard).Guidance
	blocked := blockedEntries(sh)
	for _, e := range v.Step.Entries {
		resp, _ := sh.Response(e.Citation)
		c := contentsItem{Anchor: anchorOf(e.Citation), Citation: e.Citation, Title: e.Title, Status: resp.Status.Label(), Done: len(blocked[e.Citation]) == 0}
		var needs []string
		for _, b := range blocked[e.Citation] {
			needs = append(needs, needOf(sh, e, b))
		}
		c.Needs = strings.Join(needs, " and ")
		v.Contents = append(v.Contents, c)
	}
	// Only the evidence the step's responses link is shown (more is
	// attached on an entry's page), so only that is read.
	var linkedIDs []int64
	for _, e := range v.Step.Entries {
		resp, _ := sh.Response(e.Citation)
		linkedIDs = append(linkedIDs, resp.EvidenceIDs...)
	}
	evidence, err := h.s.DB().EvidenceByIDs(r.Context(), o.Org.ID, linkedIDs)
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
			if v.Unfinished && v.CanWrite {
				markUnfinished(&it, sh, e, blocked[e.Citation])
			}
			v.Items = append(v.Items, it)
		}
	}
	if v.Unfinished && v.CanWrite && failed == nil {
		var open []string
		for j, it := range v.Items {
			if c := v.Contents[j]; !c.Done {
				open = append(open, c.Citation)
				v.Summary = append(v.Summary, summaryItem{Href: "#" + firstMark(it), Entry: c.Citation + " " + c.Title, Text: "still needs " + c.Needs})
			}
		}
		if len(open) > 0 {
			v.Problem = "This standard is not finished yet: " + needAttention(len(open)) + ", marked below. Finish what is marked and save again, or choose “Skip for now” to come back to it later."
		} else {
			v.Unfinished = false
		}
	}
	h.s.Render(w, r, status, "assess_guided", v)
	return nil
}

// needOf says what an entry still needs for blocker b.
func needOf(sh assess.Sheet, e assess.EntrySnapshot, b assess.Blocker) string {
	switch b.Field {
	case "status":
		return "an answer"
	case "na_reason":
		return "the reason it does not apply"
	case "plan":
		return "an owner and a target date for the gap"
	case "decision":
		d, ok := sh.Decision(e.Citation)
		switch {
		case !ok:
			return "a decision"
		case assess.ValidateDecision(e, d) != nil:
			return "a complete decision"
		}
		return "a decision that agrees with the answer"
	}
	return b.Reason
}

// markUnfinished marks, beside their fields, what keeps the entry of it
// unfinished: the blockers of the entry, as the rules of the domain
// describe them.
func markUnfinished(it *guidedItem, sh assess.Sheet, e assess.EntrySnapshot, blockers []assess.Blocker) {
	for _, b := range blockers {
		switch {
		case b.Field == "status":
			it.Resp.Problems = addProblem(it.Resp.Problems, "status", "is not chosen yet: say how far this is in place")
		case b.Field == "na_reason" && it.Resp.NACondition != "":
			it.Resp.Problems = addProblem(it.Resp.Problems, "na_reason", "is missing: say why this does not apply to you")
		case b.Field == "plan":
			r, _ := sh.Response(e.Citation)
			if r.Owner == "" {
				it.Resp.Problems = addProblem(it.Resp.Problems, "owner", "is needed: name who closes this gap (§164.308(a)(1)(ii)(B))")
			}
			if r.TargetDate.IsZero() {
				it.Resp.Problems = addProblem(it.Resp.Problems, "target_date", "is needed: say by when the gap will be closed")
			}
		case b.Field == "decision" && it.Decision != nil:
			d, ok := sh.Decision(e.Citation)
			r, _ := sh.Response(e.Citation)
			switch {
			case !ok:
				it.Decision.Problems = addProblem(it.Decision.Problems, "outcome", "is not recorded yet: an addressable specification needs a documented decision (§164.306(d)(3))")
			case assess.ValidateDecision(e, d) != nil:
				for f, m := range problemsOf(assess.ValidateDecision(e, d)) {
					it.Decision.Problems = addProblem(it.Decision.Problems, f, m)
				}
				for i, fc := range it.Decision.Factors {
					it.Decision.Factors[i].Problem = it.Decision.Problems["factors."+fc.ID]
				}
			default:
				for f, m := range assess.CheckAgreement(d, r) {
					it.Decision.Problems = addProblem(it.Decision.Problems, f, m)
				}
			}
		default:
			it.Other = append(it.Other, b.Reason)
		}
	}
}

func addProblem(p validate.Error, field, msg string) validate.Error {
	if p == nil {
		p = validate.Error{}
	}
	p.Add(field, msg)
	return p
}

// firstMark is the id of the first field of a guided entry marked as
// needing attention, or the entry itself.
func firstMark(it guidedItem) string {
	for _, f := range []string{"status", "na_reason", "narrative", "owner", "target_date"} {
		if _, ok := it.Resp.Problems[f]; ok {
			return guidedFieldID(it.Resp.Prefix, it, assess.PartResponse, f)
		}
	}
	if it.Decision != nil {
		keys := make([]string, 0, len(it.Decision.Problems))
		for f := range it.Decision.Problems {
			keys = append(keys, f)
		}
		if len(keys) > 0 {
			slices.Sort(keys)
			if slices.Contains(keys, "outcome") {
				return guidedFieldID(it.Resp.Prefix, it, assess.PartDecision, "outcome")
			}
			return guidedFieldID(it.Resp.Prefix, it, assess.PartDecision, keys[0])
		}
	}
	return it.Resp.Anchor
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
	// The evidence posted back is checked against the organisation's
	// evidence with those IDs, not against all of it.
	var posted []int64
	for j := range steps[i].Entries {
		for _, v := range r.PostForm[fmt.Sprintf("s%d-evidence", j)] {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				posted = append(posted, id)
			}
		}
	}
	evidence, err := h.s.DB().EvidenceByIDs(r.Context(), o.Org.ID, posted)
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
		next, err := h.guidedNext(r, a, base, i, n)
		if err != nil {
			return err
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

// guidedNext is where guided mode goes after the standard at index i was
// saved (n entries written): to the same standard with "Save"; to the one
// before with "Save and go back"; past it with "Skip for now". "Save and
// continue" stays on a standard that is not finished, its unfinished
// entries marked beside their fields, and otherwise moves on to the next
// unfinished standard; after the last, the overview says what still
// blocks sign-off.
func (h *Handler) guidedNext(r *http.Request, a assess.Assessment, base string, i, n int) (string, error) {
	sh, err := h.s.DB().AssessmentSheet(r.Context(), web.OrgOf(r.Context()).Org.ID, a.ID)
	if err != nil {
		return "", err
	}
	steps := guidedSteps(sh, base)
	if i >= len(steps) {
		return base + "?done=guided", nil
	}
	standard := steps[i].Standard
	// The page opened next says what was saved; that nothing was, only
	// where it stays.
	at := func(j int) string {
		u := base + "/guided?standard=" + url.QueryEscape(steps[j].Standard)
		switch {
		case n > 0:
			u += "&saved=" + url.QueryEscape(standard)
		case j == i:
			u += "&unchanged=" + url.QueryEscape(standard)
		}
		return u
	}
	switch {
	case r.PostFormValue("stay") != "":
		return at(i), nil
	case r.PostFormValue("go") == "previous" && i > 0:
		return at(i - 1), nil
	case r.PostFormValue("go") != "skip" && !steps[i].Done:
		return at(i) + "&unfinished=1", nil
	}
	if j := slices.IndexFunc(steps[i+1:], func(st guidedStep) bool { return !st.Done }); j >= 0 {
		return at(i + 1 + j), nil
	}
	return base + "?done=guided", nil
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
