package assessweb

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/validate"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Forms that save several entries at once (a guided-mode standard, the
// table) carry, for each entry, the version it was loaded at and a digest
// of the values shown. An entry whose submitted values have the digest it
// was loaded with was not changed and is not written; a changed one is
// saved over the version loaded, and the store refuses it — and with it
// the whole form — when someone saved the entry meanwhile. Without those
// fields (an older form, a hand-written request) the entry counts as
// loaded at its current version.

// loaded is the version and digest an entry of a form was loaded with.
type loaded struct {
	Version int
	Digest  string
}

// loadedOf reads the version and digest posted under name ("…version",
// "…digest"), or returns cur when the form does not carry them. A version
// that is not a number cannot match any stored one, so the entry conflicts.
// carried reports whether the form carried them.
func loadedOf(r *http.Request, name string, cur loaded) (l loaded, carried bool) {
	vs, ok := r.PostForm[name+"version"]
	if !ok || len(vs) == 0 {
		return cur, false
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil || n < 0 {
		n = -1
	}
	return loaded{Version: n, Digest: r.PostFormValue(name + "digest")}, true
}

// changedFrom reports whether what was submitted (digest now) differs from
// what the form was loaded with. A form without the loaded version counts
// an entry changed only when something was filled in (touched).
func changedFrom(l loaded, carried, touched bool, now string) bool {
	if !carried && !touched {
		return false
	}
	return now != l.Digest
}

func digestOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		// Browsers send a textarea's line breaks as CRLF whatever was stored.
		p = strings.ReplaceAll(p, "\r\n", "\n")
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:15])
}

// responseDigest is the digest of the response fields a form shows: the
// table's five, and with full also the guided answers and linked evidence.
func responseDigest(r assess.Response, full bool) string {
	parts := []string{string(r.Status), r.NAReason, r.Narrative, r.Owner, dateValue(r.TargetDate)}
	if full {
		qs := make([]string, 0, len(r.Answers))
		for q, a := range r.Answers {
			qs = append(qs, q+"\x00"+a)
		}
		sort.Strings(qs)
		ids := slices.Clone(r.EvidenceIDs)
		slices.Sort(ids)
		parts = append(parts, strings.Join(qs, "\x01"), fmt.Sprint(ids))
	}
	return digestOf(parts...)
}

// decisionDigest is the digest of the fields of the decision form.
func decisionDigest(d assess.Decision) string {
	parts := []string{string(d.Outcome), d.Alternative, d.Rationale, d.RiskAnalysisRef}
	for _, f := range catalog.Factors() {
		parts = append(parts, d.Factors[f])
	}
	return digestOf(parts...)
}

// entryEdit is one entry of a form that saves several: what the person
// typed, the versions they typed over, and what they changed.
type entryEdit struct {
	Entry assess.EntrySnapshot
	Resp  assess.Response
	// RParse are the problems found reading the response (a date that is
	// not one, evidence that is not the organisation's).
	RParse validate.Error
	// Target is the target date as typed, shown again when it is not one.
	Target   string
	RBase    loaded
	RChanged bool
	// Dec is set for an addressable entry whose form carries the decision.
	Dec      *assess.Decision
	DBase    loaded
	DChanged bool
}

func (ed entryEdit) changed() bool { return ed.RChanged || ed.DChanged }

// keepTyped puts back into f what the person typed that could not be read.
func (ed entryEdit) keepTyped(f *responseForm) {
	if _, bad := ed.RParse["target_date"]; bad {
		f.Target = ed.Target
	}
}

// editOf is the command the entry contributes to the change.
func (ed entryEdit) editOf() assess.Edit {
	x := assess.Edit{Citation: ed.Entry.Citation}
	if ed.RChanged {
		r := ed.Resp
		x.Response, x.ResponseBase = &r, ed.RBase.Version
	}
	if ed.DChanged {
		d := *ed.Dec
		x.Decision, x.DecisionBase = &d, ed.DBase.Version
	}
	return x
}

// saveEdits saves the changed entries of eds in one store transaction. It
// returns the number of entries saved, or the problem of every entry that
// needs attention (nothing is saved then), or an error about the whole
// assessment (it is final, it does not exist).
func (h *Handler) saveEdits(r *http.Request, a assess.Assessment, eds []entryEdit) (int, []assess.EntryProblem, error) {
	var edits []assess.Edit
	var bad []assess.EntryProblem
	parse := false
	for _, ed := range eds {
		if !ed.changed() {
			continue
		}
		x := ed.editOf()
		edits = append(edits, x)
		if len(ed.RParse) > 0 && ed.RChanged {
			parse = true
		}
	}
	if parse {
		// What could not be read is not sent to the store; the domain still
		// checks every changed entry, so that all problems show at once.
		for _, ed := range eds {
			if !ed.changed() {
				continue
			}
			p := ed.editOf().Check(ed.Entry, nil)
			if ed.RChanged {
				if p.Response == nil {
					p.Response = validate.Error{}
				}
				for f, m := range ed.RParse {
					p.Response[f] = m
				}
			}
			if !p.OK() {
				bad = append(bad, p)
			}
		}
		return 0, bad, nil
	}
	o := web.OrgOf(r.Context())
	_, err := h.s.DB().SaveEntries(r.Context(), h.s.Actor(r), o.Org.ID, a.ID, edits)
	var be *assess.BatchError
	if errors.As(err, &be) {
		if err := h.namePeople(r, be.Entries); err != nil {
			return 0, nil, err
		}
		return 0, be.Entries, nil
	}
	if err != nil {
		return 0, nil, err
	}
	return len(edits), nil, nil
}

// namePeople replaces the actor names of conflicts ("user:42") with the
// names of the organisation's members, as people know each other; anyone
// else (a former member, a command-line import) is "someone else".
func (h *Handler) namePeople(r *http.Request, ps []assess.EntryProblem) error {
	members, err := h.s.DB().Members(r.Context(), web.OrgOf(r.Context()).Org.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, m := range members {
		names[fmt.Sprintf("user:%d", m.User.ID)] = cmpOr(m.User.Name, m.User.Email)
	}
	me, _, _ := strings.Cut(h.s.Actor(r).Name, "/")
	names[me] = "You (in another tab or window)"
	for i := range ps {
		for j, c := range ps[i].Conflicts {
			user, _, _ := strings.Cut(c.By, "/")
			ps[i].Conflicts[j].By = names[user]
		}
	}
	return nil
}

// problemOf returns the problem of citation among ps.
func problemOf(ps []assess.EntryProblem, citation string) (assess.EntryProblem, bool) {
	for _, p := range ps {
		if p.Citation == citation {
			return p, true
		}
	}
	return assess.EntryProblem{}, false
}

// conflictNote says, beside an entry, who saved it meanwhile and what now
// happens to what the person typed.
func conflictNote(p assess.EntryProblem, theirs func(assess.Part) string) string {
	var out []string
	for _, c := range p.Conflicts {
		who := cmpOr(c.By, "Someone else")
		when := ""
		if !c.At.IsZero() {
			when = " on " + c.At.UTC().Format("2 January 2006 at 15:04 UTC")
		}
		what := "this entry"
		if c.Part == assess.PartDecision {
			what = "the decision for this entry"
		}
		line := fmt.Sprintf("%s saved %s%s (version %d) after you opened this page.", who, what, when, c.Current)
		if t := theirs(c.Part); t != "" {
			line += " Their version: " + t
			if !strings.HasSuffix(t, "”") {
				line += "."
			}
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, " ") + " What you typed is kept below; saving again replaces their version with yours."
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// summaryItem is one line of the list of problems at the top of a form:
// the entry, what is wrong, and a link to the field concerned.
type summaryItem struct {
	Href  string
	Entry string
	Text  string
}

var fieldNames = map[string]string{
	"status": "the status", "na_reason": "the reason it does not apply", "narrative": "the narrative", "owner": "the owner",
	"target_date": "the target date", "evidence_ids": "the evidence", "answers": "the answers", "citation": "the entry",
	"outcome": "the decision's outcome", "alternative": "the alternative measure", "rationale": "the rationale",
	"risk_analysis_ref": "the risk analysis reference", "factors": "the factors", "decided_by": "the decision", "decided_at": "the decision",
}

func fieldName(f string) string {
	if n, ok := fieldNames[f]; ok {
		return n
	}
	if k, ok := strings.CutPrefix(f, "factors."); ok {
		return "the " + k + " factor"
	}
	return f
}

// problemSummary lists the problems of ps in the order of the entries of a.
// idOf gives the id of the element showing field of an entry's part, or
// "" for the entry itself.
func problemSummary(a assess.Assessment, ps []assess.EntryProblem, idOf func(e assess.EntrySnapshot, part assess.Part, field string) string) []summaryItem {
	var out []summaryItem
	for _, e := range a.Entries {
		p, ok := problemOf(ps, e.Citation)
		if !ok {
			continue
		}
		label := e.Citation + " " + e.Title
		for _, c := range p.Conflicts {
			out = append(out, summaryItem{Href: "#" + idOf(e, c.Part, "conflict"), Entry: label,
				Text: fmt.Sprintf("%s saved the %s after you opened this page", cmpOr(c.By, "someone else"), c.Part)})
		}
		for _, part := range []assess.Part{assess.PartResponse, assess.PartDecision} {
			fields := p.Response
			if part == assess.PartDecision {
				fields = p.Decision
			}
			keys := make([]string, 0, len(fields))
			for f := range fields {
				keys = append(keys, f)
			}
			sort.Strings(keys)
			for _, f := range keys {
				out = append(out, summaryItem{Href: "#" + idOf(e, part, f), Entry: label, Text: fieldName(f) + " " + fields[f]})
			}
		}
	}
	return out
}

// needAttention says how many entries need attention.
func needAttention(n int) string {
	if n == 1 {
		return "1 entry needs attention"
	}
	return fmt.Sprintf("%d entries need attention", n)
}

func entriesWord(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", n)
}
