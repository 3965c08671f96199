package assess

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/catalog"
)

// Sheet is an assessment with everything recorded in it.
type Sheet struct {
	Assessment Assessment       `json:"assessment"`
	Responses  []Response       `json:"responses"`
	Decisions  []Decision       `json:"decisions"`
	Reviews    []CategoryReview `json:"reviews"`
}

// Response returns the response for citation, if there is one.
func (s Sheet) Response(citation string) (Response, bool) {
	for _, r := range s.Responses {
		if r.Citation == citation {
			return r, true
		}
	}
	return Response{}, false
}

// Decision returns the decision for citation, if there is one.
func (s Sheet) Decision(citation string) (Decision, bool) {
	for _, d := range s.Decisions {
		if d.Citation == citation {
			return d, true
		}
	}
	return Decision{}, false
}

// Blocker is one thing that prevents an assessment's sign-off.
type Blocker struct {
	Citation string           `json:"citation,omitempty"`
	Category catalog.Category `json:"category"`
	// Field is what needs attention: status, na_reason, decision or review.
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Blockers lists exactly what prevents a from being finalised, in the
// order of the rule, categories' reviews last: every assessable entry
// without a response, every not_applicable without its reason, every gap in
// a required standard or specification (partially or not implemented)
// without an owner and a target date, every addressable specification
// without a complete decision that agrees with its response, every category
// not reviewed. Field says which: status, na_reason, plan, decision or
// review.
func Blockers(a Assessment, responses []Response, decisions []Decision, reviews []CategoryReview) []Blocker {
	s := Sheet{Assessment: a, Responses: responses, Decisions: decisions, Reviews: reviews}
	out := []Blocker{}
	for _, e := range a.Entries {
		if !e.Assessable() {
			continue
		}
		r, ok := s.Response(e.Citation)
		switch {
		case !ok || r.Status == "":
			out = append(out, Blocker{e.Citation, e.Category, "status", fmt.Sprintf("%s %s has no answer", e.Citation, e.Title)})
		case r.Status == NotApplicable && r.NAReason == "":
			out = append(out, Blocker{e.Citation, e.Category, "na_reason", fmt.Sprintf("%s %s is marked not applicable without a reason", e.Citation, e.Title)})
		case e.Requirement == catalog.Required && NeedsPlan(r) && (r.Owner == "" || r.TargetDate.IsZero()):
			out = append(out, Blocker{e.Citation, e.Category, "plan", fmt.Sprintf("%s %s is %s: the gap needs an owner and a target date in the plan (§164.308(a)(1)(ii)(B))",
				e.Citation, e.Title, strings.ToLower(r.Status.Label()))})
		}
		if e.Requirement != catalog.Addressable {
			continue
		}
		d, ok := s.Decision(e.Citation)
		switch {
		case !ok:
			out = append(out, Blocker{e.Citation, e.Category, "decision", fmt.Sprintf("addressable %s %s has no documented decision (§164.306(d)(3))", e.Citation, e.Title)})
		case ValidateDecision(e, d) != nil:
			out = append(out, Blocker{e.Citation, e.Category, "decision", fmt.Sprintf("the decision for %s %s is incomplete: %v", e.Citation, e.Title, ValidateDecision(e, d))})
		case len(CheckAgreement(d, r)) > 0:
			out = append(out, Blocker{e.Citation, e.Category, "decision", fmt.Sprintf("the decision for %s %s %s", e.Citation, e.Title, CheckAgreement(d, r)["outcome"])})
		}
	}
	for _, c := range a.Categories() {
		if !slices.ContainsFunc(reviews, func(r CategoryReview) bool { return r.Category == c }) {
			out = append(out, Blocker{"", c, "review", fmt.Sprintf("the %s safeguards have not been reviewed", c)})
		}
	}
	return out
}

// Counts are the responses of a group of entries by status.
type Counts struct {
	Entries        int `json:"entries"`
	Implemented    int `json:"implemented"`
	Partial        int `json:"partial"`
	NotImplemented int `json:"not_implemented"`
	NotApplicable  int `json:"not_applicable"`
	Unanswered     int `json:"unanswered"`
	// Decisions counts addressable decisions by outcome; Undecided the
	// addressable specifications without one.
	Decisions map[catalog.Outcome]int `json:"decisions"`
	Undecided int                     `json:"undecided"`
	// Overdue counts entries not yet implemented whose target date has passed.
	Overdue int `json:"overdue"`
}

// Missing is the number of entries answered not implemented or not at all.
func (c Counts) Missing() int { return c.NotImplemented + c.Unanswered }

// Percent is the share of applicable entries implemented, 0-100.
func (c Counts) Percent() int {
	n := c.Entries - c.NotApplicable
	if n <= 0 {
		return 0
	}
	return c.Implemented * 100 / n
}

// CategoryPosture is the posture of one category.
type CategoryPosture struct {
	Category catalog.Category `json:"category"`
	Counts
}

// Posture is where an assessment stands, by category and overall.
type Posture struct {
	Categories []CategoryPosture `json:"categories"`
	Overall    Counts            `json:"overall"`
}

// PostureOf counts s's assessable entries by category as of now.
func PostureOf(s Sheet, now time.Time) Posture {
	p := Posture{Overall: Counts{Decisions: map[catalog.Outcome]int{}}}
	idx := map[catalog.Category]int{}
	for _, c := range s.Assessment.Categories() {
		idx[c] = len(p.Categories)
		p.Categories = append(p.Categories, CategoryPosture{Category: c, Counts: Counts{Decisions: map[catalog.Outcome]int{}}})
	}
	for _, e := range s.Assessment.Entries {
		if !e.Assessable() {
			continue
		}
		for _, c := range []*Counts{&p.Categories[idx[e.Category]].Counts, &p.Overall} {
			c.count(e, s, now)
		}
	}
	return p
}

func (c *Counts) count(e EntrySnapshot, s Sheet, now time.Time) {
	c.Entries++
	r, _ := s.Response(e.Citation)
	switch r.Status {
	case Implemented:
		c.Implemented++
	case Partial:
		c.Partial++
	case NotImplemented:
		c.NotImplemented++
	case NotApplicable:
		c.NotApplicable++
	default:
		c.Unanswered++
	}
	if (r.Status == Partial || r.Status == NotImplemented || r.Status == "") && !r.TargetDate.IsZero() && r.TargetDate.Before(now) {
		c.Overdue++
	}
	if e.Requirement == catalog.Addressable {
		if d, ok := s.Decision(e.Citation); ok {
			c.Decisions[d.Outcome]++
		} else {
			c.Undecided++
		}
	}
}

// Rank orders statuses from worst to best for comparisons: unanswered and
// not implemented, partial, then implemented and not applicable (no gap).
func Rank(s ResponseStatus) int {
	switch s {
	case Partial:
		return 1
	case Implemented, NotApplicable:
		return 2
	}
	return 0
}

// Trend is how an entry's status changed from one assessment to another.
type Trend string

// Trends. Every change of status is a change: Improved and Regressed when
// the status ranks higher or lower, Changed when it is another status of
// the same rank (not applicable → implemented, not implemented → not
// answered).
const (
	Improved  Trend = "improved"
	Regressed Trend = "regressed"
	Changed   Trend = "changed"
	Unchanged Trend = "unchanged"
	Added     Trend = "added"   // only in the later assessment
	Removed   Trend = "removed" // only in the earlier assessment
)

// What else than the status a Change can find revised.
const (
	RevisedNarrative   = "narrative"
	RevisedOutcome     = "outcome"
	RevisedAlternative = "alternative"
)

// Change is one entry compared between two assessments: its status, its
// narrative and, for an addressable specification, the decision's outcome
// and alternative measure, before (From) and after (To).
type Change struct {
	Citation        string           `json:"citation"`
	Title           string           `json:"title"`
	Category        catalog.Category `json:"category"`
	From            ResponseStatus   `json:"from"`
	To              ResponseStatus   `json:"to"`
	Trend           Trend            `json:"trend"`
	FromNarrative   string           `json:"from_narrative,omitempty"`
	ToNarrative     string           `json:"to_narrative,omitempty"`
	FromOutcome     catalog.Outcome  `json:"from_outcome,omitempty"`
	ToOutcome       catalog.Outcome  `json:"to_outcome,omitempty"`
	FromAlternative string           `json:"from_alternative,omitempty"`
	ToAlternative   string           `json:"to_alternative,omitempty"`
	// Revised lists what changed besides the status (RevisedNarrative,
	// RevisedOutcome, RevisedAlternative), for entries in both.
	Revised []string `json:"revised,omitempty"`
}

// Changed reports whether anything about the entry changed: its status, its
// narrative or its decision, or it is in only one of the two.
func (c Change) Changed() bool { return c.Trend != Unchanged || len(c.Revised) > 0 }

// Compare compares assessment a (the earlier) with b entry by entry, in b's
// order followed by entries only a has. Only assessable entries count.
func Compare(a, b Sheet) []Change {
	out := []Change{}
	for _, e := range b.Assessment.Entries {
		if !e.Assessable() {
			continue
		}
		rb, _ := b.Response(e.Citation)
		decB, _ := b.Decision(e.Citation)
		c := Change{Citation: e.Citation, Title: e.Title, Category: e.Category, To: rb.Status, ToNarrative: rb.Narrative,
			ToOutcome: decB.Outcome, ToAlternative: decB.Alternative}
		if _, ok := a.Assessment.Entry(e.Citation); !ok {
			c.Trend = Added
		} else {
			ra, _ := a.Response(e.Citation)
			decA, _ := a.Decision(e.Citation)
			c.From, c.FromNarrative, c.FromOutcome, c.FromAlternative = ra.Status, ra.Narrative, decA.Outcome, decA.Alternative
			switch ka, kb := Rank(ra.Status), Rank(rb.Status); {
			case kb > ka:
				c.Trend = Improved
			case kb < ka:
				c.Trend = Regressed
			case ra.Status != rb.Status:
				c.Trend = Changed
			default:
				c.Trend = Unchanged
			}
			if c.FromNarrative != c.ToNarrative {
				c.Revised = append(c.Revised, RevisedNarrative)
			}
			if c.FromOutcome != c.ToOutcome {
				c.Revised = append(c.Revised, RevisedOutcome)
			}
			if c.FromAlternative != c.ToAlternative {
				c.Revised = append(c.Revised, RevisedAlternative)
			}
		}
		out = append(out, c)
	}
	for _, e := range a.Assessment.Entries {
		if !e.Assessable() {
			continue
		}
		if _, ok := b.Assessment.Entry(e.Citation); !ok {
			ra, _ := a.Response(e.Citation)
			decA, _ := a.Decision(e.Citation)
			out = append(out, Change{Citation: e.Citation, Title: e.Title, Category: e.Category, From: ra.Status, Trend: Removed,
				FromNarrative: ra.Narrative, FromOutcome: decA.Outcome, FromAlternative: decA.Alternative})
		}
	}
	return out
}

// TriggerKind is why an organisation is due for a re-assessment.
type TriggerKind string

// Re-assessment triggers. Incidents are recorded by the incident register
// once it exists; the others are computed by [Triggers].
const (
	TriggerNever    TriggerKind = "never_assessed"
	TriggerAnnual   TriggerKind = "annual"
	TriggerSystem   TriggerKind = "new_system"
	TriggerLocation TriggerKind = "new_location"
	TriggerIncident TriggerKind = "security_incident"
)

// Trigger is one reason a re-assessment is due.
type Trigger struct {
	Kind   TriggerKind `json:"kind"`
	Reason string      `json:"reason"`
	// Since is when the reason arose, when known.
	Since time.Time `json:"since,omitzero"`
}

// LastFinal returns the most recently finalised of assessments.
func LastFinal(assessments []Assessment) (Assessment, bool) {
	var last Assessment
	found := false
	for _, a := range assessments {
		if a.Status == StatusFinal && (!found || a.FinalisedAt.After(last.FinalisedAt)) {
			last, found = a, true
		}
	}
	return last, found
}

// Triggers lists why the organisation described by p is due for a
// re-assessment as of now, given its assessments: none finalised yet, a
// year passed since the last final one (§164.308(a)(8) asks for periodic
// evaluation; a year is the common reading and the SRA Tool's), or a system
// or location in the profile that the last final assessment's scope did not
// have (an environmental or operational change).
func Triggers(p Profile, assessments []Assessment, now time.Time) []Trigger {
	out := []Trigger{}
	last, ok := LastFinal(assessments)
	if !ok {
		return append(out, Trigger{Kind: TriggerNever, Reason: "no assessment has been finalised yet"})
	}
	if due := last.FinalisedAt.AddDate(1, 0, 0); !now.Before(due) {
		out = append(out, Trigger{Kind: TriggerAnnual, Since: due,
			Reason: fmt.Sprintf("a year has passed since %q was finalised on %s", last.Name, last.FinalisedAt.Format("2 January 2006"))})
	}
	for _, s := range p.Systems {
		if !slices.Contains(last.Scope.Systems, s) {
			out = append(out, Trigger{Kind: TriggerSystem, Reason: fmt.Sprintf("system %q was added after %q was finalised", s, last.Name)})
		}
	}
	for _, l := range p.Locations {
		if !slices.Contains(last.Scope.Locations, l) {
			out = append(out, Trigger{Kind: TriggerLocation, Reason: fmt.Sprintf("location %q was added after %q was finalised", l, last.Name)})
		}
	}
	return out
}

// NeedsPlan reports whether r records a gap that risk management must close:
// a standard or specification partially or not implemented.
func NeedsPlan(r Response) bool { return r.Status == Partial || r.Status == NotImplemented }

// EntryBlockers are the blockers of entries (not of category reviews), of
// category c only when c is not empty. The gates before sign-off use them:
// an assessment goes to review only when none is left, and a category is
// reviewed only when none is left in it.
func EntryBlockers(all []Blocker, c catalog.Category) []Blocker {
	out := []Blocker{}
	for _, b := range all {
		if b.Citation != "" && (c == "" || b.Category == c) {
			out = append(out, b)
		}
	}
	return out
}

// Step is the step of the way to sign-off that a [NotReadyError] refused.
type Step string

// Steps to sign-off.
const (
	StepSubmit   Step = "submit"
	StepReview   Step = "review"
	StepFinalise Step = "finalise"
)

// NotReadyError is returned when an assessment cannot take a step towards
// sign-off yet; it lists everything in the way.
type NotReadyError struct {
	Step     Step
	Blockers []Blocker
}

func (e *NotReadyError) Error() string {
	what := "finalised"
	switch e.Step {
	case StepSubmit:
		what = "submitted for review"
	case StepReview:
		what = "reviewed"
	}
	return fmt.Sprintf("the assessment cannot be %s yet: %d items need attention", what, len(e.Blockers))
}

// Current is the organisation's current assessment among list: the newest
// one not yet final (draft or in review), else the newest final one; ok is
// false when there is none. list is newest first, as the store lists it.
func Current(list []Assessment) (a Assessment, ok bool) {
	i := slices.IndexFunc(list, func(a Assessment) bool { return a.Status != StatusFinal })
	if i < 0 {
		i = slices.IndexFunc(list, func(a Assessment) bool { return a.Status == StatusFinal })
	}
	if i < 0 {
		return Assessment{}, false
	}
	return list[i], true
}
