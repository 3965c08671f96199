package assess

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// Limits on what people type.
const (
	MaxNameLen      = 200
	MaxShortText    = 500
	MaxLongText     = 20000
	MaxListItems    = 200
	MaxAnswers      = 100
	RetentionYears  = 6 // §164.316(b)(2)(i)
	maxLinkedRecord = 500
)

// OfficialTerm is one period during which someone was the security official
// of §164.308(a)(2). To is zero while the term runs.
type OfficialTerm struct {
	UserID int64     `json:"user_id,omitempty"`
	Name   string    `json:"name"`
	Email  string    `json:"email"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to,omitzero"`
}

// Current reports whether the term has not ended.
func (t OfficialTerm) Current() bool { return t.To.IsZero() }

// Validate reports problems with the term's fields, named under prefix.
func (t OfficialTerm) Validate(prefix string) error {
	p := validate.Error{}
	if t.UserID == 0 && strings.TrimSpace(t.Name) == "" {
		p.Add(prefix+"name", "is required (or give the user_id of a member)")
	}
	checkText(p, prefix+"name", t.Name, MaxNameLen)
	checkText(p, prefix+"email", t.Email, MaxNameLen)
	if t.Email != "" && !strings.Contains(t.Email, "@") {
		p.Add(prefix+"email", "must be an address like name@example.org")
	}
	if t.From.IsZero() {
		p.Add(prefix+"from", "is required: the date the role was taken on")
	}
	if !t.To.IsZero() && t.To.Before(t.From) {
		p.Add(prefix+"to", "must not be before from")
	}
	return p.Err()
}

// Profile is the organisation as an assessment sees it.
type Profile struct {
	OrgID     int64  `json:"org_id"`
	LegalName string `json:"legal_name"`
	// Kind is the organisation's kind, one of identity.OrgKinds (this
	// package does not import identity, which carries cryptography).
	Kind           string   `json:"kind"`
	Workforce      int      `json:"workforce"`
	LocationsCount int      `json:"locations_count"`
	Locations      []string `json:"locations"`
	// Patients is the number of patients (providers) or members (plans).
	Patients       int      `json:"patients"`
	Systems        []string `json:"systems"`
	CatalogProfile string   `json:"catalog_profile"`
	// ReviewRule says whether the signer of an assessment may be its only
	// reviewer.
	ReviewRule ReviewRule     `json:"review_rule"`
	Officials  []OfficialTerm `json:"officials"`
	UpdatedAt  time.Time      `json:"updated_at,omitzero"`
}

// Official returns the current security official, if there is one.
func (p Profile) Official() (OfficialTerm, bool) {
	for i := len(p.Officials) - 1; i >= 0; i-- {
		if p.Officials[i].Current() {
			return p.Officials[i], true
		}
	}
	return OfficialTerm{}, false
}

// Normalize trims what people type and drops empty and repeated list items.
func (p *Profile) Normalize() {
	p.LegalName = strings.TrimSpace(p.LegalName)
	p.CatalogProfile = strings.TrimSpace(p.CatalogProfile)
	p.ReviewRule = ReviewRule(strings.TrimSpace(string(p.ReviewRule)))
	if p.CatalogProfile == "" {
		p.CatalogProfile = catalog.ProfileCurrent
	}
	p.Locations = cleanList(p.Locations)
	p.Systems = cleanList(p.Systems)
	if p.LocationsCount < len(p.Locations) {
		p.LocationsCount = len(p.Locations)
	}
}

func cleanList(in []string) []string {
	out := []string{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Validate reports every problem with the profile. kinds are the
// organisation kinds there are; profiles the catalogue's profile identifiers.
func (p Profile) Validate(kinds, profiles []string) error {
	e := validate.Error{}
	if p.LegalName == "" {
		e.Add("legal_name", "is required")
	}
	checkText(e, "legal_name", p.LegalName, MaxNameLen)
	if !slices.Contains(kinds, p.Kind) {
		e.Add("kind", "must be one of "+strings.Join(kinds, ", "))
	}
	if p.Workforce < 0 || p.Workforce > 10_000_000 {
		e.Add("workforce", "must be a number from 0 to 10,000,000")
	}
	if p.Patients < 0 || p.Patients > 1_000_000_000 {
		e.Add("patients", "must be a number from 0 to 1,000,000,000")
	}
	if p.LocationsCount < 0 || p.LocationsCount > 100_000 {
		e.Add("locations_count", "must be a number from 0 to 100,000")
	}
	if len(p.Locations) > MaxListItems {
		e.Add("locations", fmt.Sprintf("may list at most %d locations", MaxListItems))
	}
	if len(p.Systems) > MaxListItems {
		e.Add("systems", fmt.Sprintf("may list at most %d systems", MaxListItems))
	}
	for i, s := range p.Locations {
		checkText(e, fmt.Sprintf("locations.%d", i), s, MaxShortText)
	}
	for i, s := range p.Systems {
		checkText(e, fmt.Sprintf("systems.%d", i), s, MaxShortText)
	}
	if !slices.Contains(profiles, p.CatalogProfile) {
		e.Add("catalog_profile", "must be one of "+strings.Join(profiles, ", "))
	}
	if !p.ReviewRule.Valid() {
		e.Add("review_rule", fmt.Sprintf("must be empty (automatic), %q or %q", ReviewRuleSeparate, ReviewRuleAny))
	}
	return e.Err()
}

func checkText(e validate.Error, field, s string, max int) {
	switch {
	case !utf8.ValidString(s):
		e.Add(field, "must be valid UTF-8 text")
	case utf8.RuneCountInString(s) > max:
		e.Add(field, fmt.Sprintf("must be at most %d characters", max))
	}
}

// Status is where an assessment is in its life.
type Status string

// Assessment statuses: draft → in_review → final.
const (
	StatusDraft    Status = "draft"
	StatusInReview Status = "in_review"
	StatusFinal    Status = "final"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == StatusDraft || s == StatusInReview || s == StatusFinal }

// Label is the status as a person reads it.
func (s Status) Label() string {
	switch s {
	case StatusDraft:
		return "Draft"
	case StatusInReview:
		return "In review"
	case StatusFinal:
		return "Final"
	}
	return string(s)
}

// EntrySnapshot is a catalogue entry as it stood when an assessment began.
type EntrySnapshot struct {
	Citation    string              `json:"citation"`
	Title       string              `json:"title"`
	Kind        catalog.Kind        `json:"kind"`
	Requirement catalog.Requirement `json:"requirement"`
	Category    catalog.Category    `json:"category"`
	Standard    string              `json:"standard"`
}

// Assessable reports whether the entry needs an answer before sign-off.
// Since catalogue snapshots taken by [New] mark every standard required,
// that is every entry: a standard is met in its own right (§164.306(c)),
// not only through its implementation specifications. Assessments begun
// before that (their snapshots leave a standard with specifications without
// a requirement) keep answering such standards through their
// specifications only, so a finished record never changes.
func (e EntrySnapshot) Assessable() bool { return e.Requirement != "" }

// Scope is what the organisation had in scope when an assessment was
// finalised, against which later changes trigger a re-assessment.
type Scope struct {
	Systems   []string `json:"systems"`
	Locations []string `json:"locations"`
}

// Assessment is one dated evaluation against a pinned catalogue profile.
type Assessment struct {
	ID             int64           `json:"id"`
	OrgID          int64           `json:"org_id"`
	Name           string          `json:"name"`
	CatalogProfile string          `json:"catalog_profile"`
	CatalogVersion string          `json:"catalog_version"`
	Entries        []EntrySnapshot `json:"entries"`
	Status         Status          `json:"status"`
	StartedAt      time.Time       `json:"started_at"`
	DueAt          time.Time       `json:"due_at,omitzero"`
	FinalisedAt    time.Time       `json:"finalised_at,omitzero"`
	FinalisedBy    string          `json:"finalised_by,omitempty"`
	// Attestation is the statement the signer confirmed, as worded then;
	// empty for assessments signed off before Safeguard asked for one.
	Attestation string `json:"attestation,omitempty"`
	// LastEffective is the last date the assessment was the organisation's
	// current one: its finalisation, moved on to the finalisation of the
	// assessment that replaces it.
	LastEffective time.Time `json:"last_effective,omitzero"`
	RetainUntil   time.Time `json:"retain_until,omitzero"`
	CopiedFrom    int64     `json:"copied_from,omitempty"`
	Scope         Scope     `json:"scope"`
}

// New starts a draft assessment of profile profileID of cat, pinning the
// catalogue's version and a snapshot of its entries.
func New(cat *catalog.Catalog, profileID, name string, startedAt, dueAt time.Time) (Assessment, error) {
	e := validate.Error{}
	name = strings.TrimSpace(name)
	if name == "" {
		e.Add("name", "is required")
	}
	checkText(e, "name", name, MaxNameLen)
	if profileID == "" {
		profileID = catalog.ProfileCurrent
	}
	prof, err := cat.Profile(profileID)
	if err != nil {
		e.Add("catalog_profile", "must be one of "+strings.Join(cat.ProfileIDs(), ", "))
	}
	if !dueAt.IsZero() && dueAt.Before(startedAt.Truncate(24*time.Hour)) {
		e.Add("due_at", "must not be before the start")
	}
	if err := e.Err(); err != nil {
		return Assessment{}, err
	}
	a := Assessment{Name: name, CatalogProfile: prof.ID, CatalogVersion: cat.Version, Status: StatusDraft, StartedAt: startedAt, DueAt: dueAt}
	for _, en := range prof.Entries() {
		req := en.Requirement
		if en.Kind == catalog.KindStandard {
			// Every standard must be met (§164.306(c)), including those
			// whose implementation specifications the catalogue lists.
			req = catalog.Required
		}
		a.Entries = append(a.Entries, EntrySnapshot{Citation: en.Citation, Title: en.Title, Kind: en.Kind,
			Requirement: req, Category: en.Category, Standard: en.Standard})
	}
	return a, nil
}

// Entry returns the snapshot of the entry with the given citation.
func (a Assessment) Entry(citation string) (EntrySnapshot, bool) {
	for _, e := range a.Entries {
		if e.Citation == citation {
			return e, true
		}
	}
	return EntrySnapshot{}, false
}

// Resolve returns the snapshot of the entry ref refers to: its citation, or
// any reference cat resolves to it in the assessment's profile (an alias,
// "§164.312(b)", a renumbered paragraph).
func (a Assessment) Resolve(cat *catalog.Catalog, ref string) (EntrySnapshot, bool) {
	if e, ok := a.Entry(ref); ok {
		return e, true
	}
	if cat == nil {
		return EntrySnapshot{}, false
	}
	p, err := cat.Profile(a.CatalogProfile)
	if err != nil {
		return EntrySnapshot{}, false
	}
	ce, err := p.Entry(ref)
	if err != nil {
		return EntrySnapshot{}, false
	}
	return a.Entry(ce.Citation)
}

// Categories returns the categories of the assessment's entries, in order.
func (a Assessment) Categories() []catalog.Category {
	var out []catalog.Category
	for _, e := range a.Entries {
		if !slices.Contains(out, e.Category) {
			out = append(out, e.Category)
		}
	}
	return out
}

// Editable reports whether responses, decisions and reviews may change.
func (a Assessment) Editable() bool { return a.Status != StatusFinal }

// InEffect reports whether a is the final assessment in effect: signed off
// and not yet replaced by a newer one (whose sign-off sets a's last
// effective date).
func (a Assessment) InEffect() bool {
	return a.Status == StatusFinal && (a.LastEffective.IsZero() || a.LastEffective.Equal(a.FinalisedAt))
}

// RetainUntil is the first day a record last in effect on lastEffective may
// be destroyed: six years later (§164.316(b)(2)(i)).
func RetainUntil(lastEffective time.Time) time.Time {
	if lastEffective.IsZero() {
		return time.Time{}
	}
	return lastEffective.AddDate(RetentionYears, 0, 0)
}

// ResponseStatus is how far an entry is met.
type ResponseStatus string

// Response statuses.
const (
	Implemented    ResponseStatus = "implemented"
	Partial        ResponseStatus = "partial"
	NotImplemented ResponseStatus = "not_implemented"
	NotApplicable  ResponseStatus = "not_applicable"
)

// ResponseStatuses lists the statuses in the order forms offer them.
func ResponseStatuses() []ResponseStatus {
	return []ResponseStatus{Implemented, Partial, NotImplemented, NotApplicable}
}

// Valid reports whether s is a known status.
func (s ResponseStatus) Valid() bool { return slices.Contains(ResponseStatuses(), s) }

// Label is the status as a person reads it.
func (s ResponseStatus) Label() string {
	switch s {
	case Implemented:
		return "Implemented"
	case Partial:
		return "Partially implemented"
	case NotImplemented:
		return "Not implemented"
	case NotApplicable:
		return "Not applicable"
	}
	return "Not answered"
}

// Response is the organisation's answer for one catalogue entry.
type Response struct {
	Citation   string            `json:"citation"`
	Status     ResponseStatus    `json:"status"`
	NAReason   string            `json:"na_reason,omitempty"`
	Narrative  string            `json:"narrative"`
	Owner      string            `json:"owner"`
	TargetDate time.Time         `json:"target_date,omitzero"`
	Answers    map[string]string `json:"answers,omitempty"`
	// EvidenceIDs link evidence files of the same organisation. RiskIDs
	// are kept for the risk register to come and must be empty until then.
	EvidenceIDs []int64   `json:"evidence_ids,omitempty"`
	RiskIDs     []int64   `json:"risk_ids,omitempty"`
	Version     int       `json:"version"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
	UpdatedBy   string    `json:"updated_by,omitempty"`
}

// Normalize trims what people type.
func (r *Response) Normalize() {
	r.NAReason = strings.TrimSpace(r.NAReason)
	r.Narrative = strings.TrimSpace(r.Narrative)
	r.Owner = strings.TrimSpace(r.Owner)
	for q, a := range r.Answers {
		if strings.TrimSpace(a) == "" {
			delete(r.Answers, q)
		} else {
			r.Answers[q] = strings.TrimSpace(a)
		}
	}
	if r.Status != NotApplicable {
		r.NAReason = ""
	}
}

// StatusesFor returns the statuses entry e allows.
func StatusesFor(e EntrySnapshot) []ResponseStatus {
	if _, ok := NARuleFor(e.Citation); ok {
		return ResponseStatuses()
	}
	return []ResponseStatus{Implemented, Partial, NotImplemented}
}

// ValidateResponse reports every problem with r as a response to entry e.
// questions, when not nil, are the entry's guided questions: answers must be
// keyed by one of them.
func ValidateResponse(e EntrySnapshot, r Response, questions []string) error {
	p := validate.Error{}
	if r.Citation != e.Citation {
		p.Add("citation", "does not match the entry")
	}
	switch {
	case r.Status == "":
		p.Add("status", "is required: implemented, partial, not_implemented or not_applicable")
	case !r.Status.Valid():
		p.Add("status", "must be implemented, partial, not_implemented or not_applicable")
	case !slices.Contains(StatusesFor(e), r.Status):
		p.Add("status", fmt.Sprintf("not_applicable is not allowed for %s %s: the rule applies it to every regulated entity", e.Citation, e.Title)+naAdvice(e))
	case r.Status == NotApplicable && r.NAReason == "":
		rule, _ := NARuleFor(e.Citation)
		p.Add("na_reason", "is required for not_applicable: "+rule.Condition)
	}
	checkText(p, "na_reason", r.NAReason, MaxLongText)
	checkText(p, "narrative", r.Narrative, MaxLongText)
	checkText(p, "owner", r.Owner, MaxNameLen)
	if len(r.Answers) > MaxAnswers {
		p.Add("answers", fmt.Sprintf("may hold at most %d answers", MaxAnswers))
	}
	for q, a := range r.Answers {
		if questions != nil && !slices.Contains(questions, q) {
			p.Add("answers", fmt.Sprintf("%q is not one of the entry's questions", truncate(q, 80)))
		}
		checkText(p, "answers", a, MaxLongText)
	}
	if len(r.EvidenceIDs) > maxLinkedRecord {
		p.Add("evidence_ids", fmt.Sprintf("may link at most %d records", maxLinkedRecord))
	}
	if len(r.RiskIDs) > 0 {
		// Nothing to link to until the risk register exists; refusing the
		// field keeps a response from pointing at records that are not there.
		p.Add("risk_ids", "cannot be set yet: Safeguard has no risk register to link a response to")
	}
	for _, id := range append(slices.Clone(r.EvidenceIDs), r.RiskIDs...) {
		if id <= 0 {
			p.Add("evidence_ids", "must be record IDs (positive numbers)")
		}
	}
	return p.Err()
}

func naAdvice(e EntrySnapshot) string {
	if e.Requirement == catalog.Addressable {
		return "; if it is not reasonable and appropriate, record a decision with outcome not_implemented instead"
	}
	return ""
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// NARule is an entry the rule makes conditional, where not_applicable is
// allowed with a reason.
type NARule struct {
	Citation string
	// Condition says when the entry does not apply; the reason must show it.
	Condition string
	// Expected is the organisation kinds for which not_applicable is the
	// usual answer: a hint for guidance, never filled in automatically.
	Expected []string
}

var naRules = []NARule{
	{"164.308(a)(4)(ii)(A)", "the organisation contains no health care clearinghouse, or is a clearinghouse that is not part of a larger organisation",
		[]string{"provider", "health_plan", "business_associate", "subcontractor"}},
	{"164.308(b)(1)", "the organisation has no business associates (or, as a business associate, no subcontractors) that create, receive, maintain or transmit its ePHI", nil},
	{"164.308(b)(3)", "the organisation has no business associates (or, as a business associate, no subcontractors) that create, receive, maintain or transmit its ePHI", nil},
	{"164.314(a)(1)", "the organisation has no business associates or subcontractors handling its ePHI", nil},
	{"164.314(a)(2)(i)", "the organisation has no business associates or subcontractors handling its ePHI", nil},
	{"164.314(a)(2)(ii)", "the organisation and its business associates are not governmental entities, or it has no business associates", nil},
	{"164.314(a)(2)(iii)", "the organisation is not a business associate with subcontractors handling ePHI", []string{"provider", "health_plan", "clearinghouse", "hybrid"}},
	{"164.314(b)(1)", "the organisation is not a group health plan",
		[]string{"provider", "clearinghouse", "business_associate", "subcontractor"}},
	{"164.314(b)(2)", "the organisation is not a group health plan",
		[]string{"provider", "clearinghouse", "business_associate", "subcontractor"}},
}

// ExpectedFor reports whether not_applicable is the usual answer for an
// organisation of the given kind: a hint for guided mode.
func (r NARule) ExpectedFor(kind string) bool { return slices.Contains(r.Expected, kind) }

// NARuleFor returns the rule under which citation may be answered
// not_applicable, and false for every entry that always applies.
func NARuleFor(citation string) (NARule, bool) {
	for _, r := range naRules {
		if r.Citation == citation {
			r.Expected = slices.Clone(r.Expected)
			return r, true
		}
	}
	return NARule{}, false
}

// Decision is the §164.306(d)(3) record for one addressable specification.
type Decision struct {
	Citation string          `json:"citation"`
	Outcome  catalog.Outcome `json:"outcome"`
	// Alternative describes the equivalent measure, for OutcomeAlternative.
	Alternative string `json:"alternative,omitempty"`
	// Rationale says why the specification itself is not reasonable and
	// appropriate and, for OutcomeNotImplemented, how the standard is met
	// anyway.
	Rationale       string                    `json:"rationale,omitempty"`
	Factors         map[catalog.Factor]string `json:"factors"`
	RiskAnalysisRef string                    `json:"risk_analysis_ref,omitempty"`
	DecidedBy       string                    `json:"decided_by"`
	DecidedAt       time.Time                 `json:"decided_at"`
	Version         int                       `json:"version"`
}

// Normalize trims what people type.
func (d *Decision) Normalize() {
	d.Alternative = strings.TrimSpace(d.Alternative)
	d.Rationale = strings.TrimSpace(d.Rationale)
	d.RiskAnalysisRef = strings.TrimSpace(d.RiskAnalysisRef)
	d.DecidedBy = strings.TrimSpace(d.DecidedBy)
	for f, s := range d.Factors {
		d.Factors[f] = strings.TrimSpace(s)
	}
}

// CheckAgreement reports, on the outcome, where addressable decision d
// contradicts the response r to the same specification: "implemented as
// specified" with a response that is not implemented; an equivalent
// alternative without a response that says what is in place (implemented or
// partially, with a narrative); "neither" with a response other than not
// implemented. A response not yet given, or not applicable, is judged
// elsewhere (it has its own blocker, or no decision to agree with).
func CheckAgreement(d Decision, r Response) validate.Error {
	p := validate.Error{}
	if r.Status == "" || r.Status == NotApplicable {
		return p
	}
	switch d.Outcome {
	case catalog.OutcomeImplemented:
		if r.Status != Implemented {
			p.Add("outcome", fmt.Sprintf("says the specification is implemented as specified, but the response says %q: change the response, or record an alternative or neither", strings.ToLower(r.Status.Label())))
		}
	case catalog.OutcomeAlternative:
		if (r.Status != Implemented && r.Status != Partial) || strings.TrimSpace(r.Narrative) == "" {
			p.Add("outcome", fmt.Sprintf("says an equivalent alternative is in place, but the response says %q%s: the response must say what is in place (implemented or partially implemented, with how it is met)",
				strings.ToLower(r.Status.Label()), map[bool]string{true: " without saying how", false: ""}[strings.TrimSpace(r.Narrative) == ""]))
		}
	case catalog.OutcomeNotImplemented:
		if r.Status != NotImplemented {
			p.Add("outcome", fmt.Sprintf("says neither the specification nor an alternative is implemented, but the response says %q: record an equivalent alternative if one is in place", strings.ToLower(r.Status.Label())))
		}
	}
	return p
}

// ValidateDecision reports every problem with d as the decision for entry e.
func ValidateDecision(e EntrySnapshot, d Decision) error {
	p := validate.Error{}
	if d.Citation != e.Citation {
		p.Add("citation", "does not match the entry")
	}
	if e.Requirement != catalog.Addressable {
		p.Add("citation", fmt.Sprintf("%s is not an addressable specification: decisions are recorded only for addressable ones", e.Citation))
	}
	switch {
	case d.Outcome == "":
		p.Add("outcome", "is required: implemented, alternative or not_implemented")
	case !d.Outcome.Valid():
		p.Add("outcome", "must be implemented, alternative or not_implemented")
	}
	if d.Outcome == catalog.OutcomeAlternative && d.Alternative == "" {
		p.Add("alternative", "is required: describe the equivalent alternative measure implemented")
	}
	if d.Outcome.RequiresReason() && d.Rationale == "" {
		if d.Outcome == catalog.OutcomeNotImplemented {
			p.Add("rationale", "is required: say why neither the specification nor an alternative is reasonable and appropriate, and how the standard is met anyway")
		} else {
			p.Add("rationale", "is required: say why the specification itself is not reasonable and appropriate")
		}
	}
	if d.Outcome.RequiresReason() && d.RiskAnalysisRef == "" {
		p.Add("risk_analysis_ref", "is required: name the risk analysis the decision rests on")
	}
	for f := range d.Factors {
		if !f.Valid() {
			p.Add("factors", fmt.Sprintf("unknown factor %q: want size, infrastructure, cost and risk", f))
		}
	}
	// The four §164.306(b)(2) factors are the "why" of §164.306(d)(3)(ii)(A):
	// required where the specification itself is not implemented (an
	// alternative, or neither), optional where it is implemented as
	// specified, which needs no justification.
	if d.Outcome.RequiresReason() {
		for _, f := range catalog.Factors() {
			if d.Factors[f] == "" {
				p.Add("factors."+string(f), "is required: say how this §164.306(b)(2) factor was considered in deciding not to implement the specification as written")
			}
		}
	}
	checkText(p, "alternative", d.Alternative, MaxLongText)
	checkText(p, "rationale", d.Rationale, MaxLongText)
	checkText(p, "risk_analysis_ref", d.RiskAnalysisRef, MaxShortText)
	checkText(p, "decided_by", d.DecidedBy, MaxNameLen)
	for f, s := range d.Factors {
		checkText(p, "factors."+string(f), s, MaxLongText)
	}
	if d.DecidedBy == "" {
		p.Add("decided_by", "is required")
	}
	if d.DecidedAt.IsZero() {
		p.Add("decided_at", "is required")
	}
	return p.Err()
}

// CategoryReview records the review of one category before sign-off.
type CategoryReview struct {
	Category   catalog.Category `json:"category"`
	ReviewedBy string           `json:"reviewed_by"`
	ReviewedAt time.Time        `json:"reviewed_at"`
	Note       string           `json:"note,omitempty"`
	// Reviewer is the reviewer's audit identity ("user:42"), empty for
	// reviews recorded before Safeguard kept it.
	Reviewer string `json:"reviewer,omitempty"`
}

// ValidateReview reports problems with rev as a review of one of a's categories.
func ValidateReview(a Assessment, rev CategoryReview) error {
	p := validate.Error{}
	if !slices.Contains(a.Categories(), rev.Category) {
		p.Add("category", fmt.Sprintf("the assessment has no category %q", rev.Category))
	}
	if strings.TrimSpace(rev.ReviewedBy) == "" {
		p.Add("reviewed_by", "is required")
	}
	checkText(p, "reviewed_by", rev.ReviewedBy, MaxNameLen)
	checkText(p, "note", rev.Note, MaxLongText)
	return p.Err()
}
