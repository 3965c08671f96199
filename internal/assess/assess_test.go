package assess

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/validate"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newAssessment(t *testing.T) Assessment {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cat, catalog.ProfileCurrent, "2026 assessment", t0, t0.AddDate(0, 3, 0))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func fields(err error) validate.Error {
	var v validate.Error
	errors.As(err, &v)
	return v
}

func fullFactors() map[catalog.Factor]string {
	return map[catalog.Factor]string{"size": "small", "infrastructure": "cloud", "cost": "low", "risk": "moderate"}
}

func TestNewPinsCatalogue(t *testing.T) {
	a := newAssessment(t)
	if a.CatalogVersion == "" || len(a.Entries) < 50 || a.Status != StatusDraft {
		t.Fatalf("New() = version %q, %d entries, status %s", a.CatalogVersion, len(a.Entries), a.Status)
	}
	if e, ok := a.Entry("164.312(a)(2)(iv)"); !ok || e.Requirement != catalog.Addressable || e.Title == "" {
		t.Errorf("Entry(164.312(a)(2)(iv)) = %+v, %v", e, ok)
	}
	cat, _ := catalog.Default()
	for _, ref := range []string{"164.312(b)", "45 CFR § 164.312(b)", "§164.312(b)"} {
		if e, ok := a.Resolve(cat, ref); !ok || e.Citation != "164.312(b)" {
			t.Errorf("Resolve(%q) = %q, %v; want 164.312(b)", ref, e.Citation, ok)
		}
	}
	if _, ok := a.Resolve(cat, "164.999(z)"); ok {
		t.Error("Resolve(164.999(z)) found an entry")
	}
	for _, tt := range []struct {
		name, profile, field string
		due                  time.Time
	}{
		{"", "current", "name", time.Time{}},
		{"x", "nope", "catalog_profile", time.Time{}},
		{"x", "current", "due_at", t0.AddDate(0, -1, 0)},
	} {
		_, err := New(cat, tt.profile, tt.name, t0, tt.due)
		if _, ok := fields(err)[tt.field]; !ok {
			t.Errorf("New(%q, %q) = %v, want a problem with %s", tt.profile, tt.name, err, tt.field)
		}
	}
}

func TestValidateResponse(t *testing.T) {
	a := newAssessment(t)
	entry := func(c string) EntrySnapshot {
		e, ok := a.Entry(c)
		if !ok {
			t.Fatalf("no entry %s", c)
		}
		return e
	}
	tests := []struct {
		name      string
		citation  string
		r         Response
		questions []string
		field     string // "" when valid
	}{
		{"implemented", "164.312(b)", Response{Status: Implemented, Narrative: "logs"}, nil, ""},
		{"no status", "164.312(b)", Response{}, nil, "status"},
		{"bad status", "164.312(b)", Response{Status: "done"}, nil, "status"},
		{"N/A required technical", "164.312(a)(2)(i)", Response{Status: NotApplicable, NAReason: "x"}, nil, "status"},
		{"N/A addressable", "164.312(a)(2)(iv)", Response{Status: NotApplicable, NAReason: "x"}, nil, "status"},
		{"N/A group health plan with reason", "164.314(b)(2)", Response{Status: NotApplicable, NAReason: "we are a provider"}, nil, ""},
		{"N/A without reason", "164.314(b)(2)", Response{Status: NotApplicable}, nil, "na_reason"},
		{"N/A business associates", "164.308(b)(3)", Response{Status: NotApplicable, NAReason: "none"}, nil, ""},
		{"N/A clearinghouse isolation", "164.308(a)(4)(ii)(A)", Response{Status: NotApplicable, NAReason: "no clearinghouse"}, nil, ""},
		{"unknown question", "164.312(b)", Response{Status: Implemented, Answers: map[string]string{"Why?": "x"}}, []string{"Do you log?"}, "answers"},
		{"known question", "164.312(b)", Response{Status: Implemented, Answers: map[string]string{"Do you log?": "yes"}}, []string{"Do you log?"}, ""},
		{"bad evidence", "164.312(b)", Response{Status: Implemented, EvidenceIDs: []int64{0}}, nil, "evidence_ids"},
	}
	for _, tt := range tests {
		tt.r.Citation = tt.citation
		tt.r.Normalize()
		err := ValidateResponse(entry(tt.citation), tt.r, tt.questions)
		if tt.field == "" && err != nil {
			t.Errorf("%s: ValidateResponse = %v, want nil", tt.name, err)
		}
		if _, ok := fields(err)[tt.field]; tt.field != "" && !ok {
			t.Errorf("%s: ValidateResponse = %v, want a problem with %s", tt.name, err, tt.field)
		}
	}
	if r, _ := NARuleFor("164.314(b)(2)"); !r.ExpectedFor("provider") || r.ExpectedFor("health_plan") {
		t.Errorf("NARuleFor(164.314(b)(2)).ExpectedFor = %v", r.Expected)
	}
	if got := StatusesFor(entry("164.314(b)(1)")); len(got) != 4 {
		t.Errorf("StatusesFor(164.314(b)(1)) = %v, want all four", got)
	}
	if got := StatusesFor(entry("164.308(a)(1)(ii)(A)")); len(got) != 3 {
		t.Errorf("StatusesFor(164.308(a)(1)(ii)(A)) = %v, want three", got)
	}
}

func TestValidateDecision(t *testing.T) {
	a := newAssessment(t)
	enc, _ := a.Entry("164.312(a)(2)(iv)")
	req, _ := a.Entry("164.312(b)")
	base := func(o catalog.Outcome) Decision {
		return Decision{Citation: enc.Citation, Outcome: o, Factors: fullFactors(), DecidedBy: "Sam", DecidedAt: t0}
	}
	withFactors := func(d Decision, f map[catalog.Factor]string) Decision { d.Factors = f; return d }
	tests := []struct {
		name  string
		entry EntrySnapshot
		d     Decision
		field string
	}{
		{"implemented", enc, base(catalog.OutcomeImplemented), ""},
		{"no outcome", enc, base(""), "outcome"},
		{"alternative without measure", enc, Decision{Citation: enc.Citation, Outcome: catalog.OutcomeAlternative, Rationale: "r", RiskAnalysisRef: "RA", Factors: fullFactors(), DecidedBy: "S", DecidedAt: t0}, "alternative"},
		{"not implemented without rationale", enc, Decision{Citation: enc.Citation, Outcome: catalog.OutcomeNotImplemented, RiskAnalysisRef: "RA", Factors: fullFactors(), DecidedBy: "S", DecidedAt: t0}, "rationale"},
		{"not implemented without risk analysis", enc, Decision{Citation: enc.Citation, Outcome: catalog.OutcomeNotImplemented, Rationale: "r", Factors: fullFactors(), DecidedBy: "S", DecidedAt: t0}, "risk_analysis_ref"},
		{"not implemented complete", enc, Decision{Citation: enc.Citation, Outcome: catalog.OutcomeNotImplemented, Rationale: "r", RiskAnalysisRef: "RA", Factors: fullFactors(), DecidedBy: "S", DecidedAt: t0}, ""},
		// §164.306(d)(3)(ii)(A) asks for the reasons only where the
		// specification itself is not implemented: the factors are optional
		// for "implemented as specified", required for the other outcomes.
		{"implemented without factors", enc, withFactors(base(catalog.OutcomeImplemented), nil), ""},
		{"implemented with some factors", enc, withFactors(base(catalog.OutcomeImplemented), map[catalog.Factor]string{"size": "x"}), ""},
		{"alternative missing a factor", enc, withFactors(Decision{Citation: enc.Citation, Outcome: catalog.OutcomeAlternative, Alternative: "a", Rationale: "r", RiskAnalysisRef: "RA", DecidedBy: "S", DecidedAt: t0},
			map[catalog.Factor]string{"size": "x", "cost": "y", "risk": "z"}), "factors.infrastructure"},
		{"not implemented without factors", enc, withFactors(Decision{Citation: enc.Citation, Outcome: catalog.OutcomeNotImplemented, Rationale: "r", RiskAnalysisRef: "RA", DecidedBy: "S", DecidedAt: t0}, nil), "factors.cost"},
		{"unknown factor", enc, withFactors(base(catalog.OutcomeImplemented), map[catalog.Factor]string{"size": "x", "infrastructure": "i", "cost": "y", "risk": "z", "mood": "m"}), "factors"},
		{"required entry", req, Decision{Citation: req.Citation, Outcome: catalog.OutcomeImplemented, Factors: fullFactors(), DecidedBy: "S", DecidedAt: t0}, "citation"},
	}
	for _, tt := range tests {
		err := ValidateDecision(tt.entry, tt.d)
		if tt.field == "" && err != nil {
			t.Errorf("%s: ValidateDecision = %v, want nil", tt.name, err)
		}
		if _, ok := fields(err)[tt.field]; tt.field != "" && !ok {
			t.Errorf("%s: ValidateDecision = %v, want a problem with %s", tt.name, err, tt.field)
		}
	}
}

// complete answers every entry of a and decides every addressable one.
func complete(a Assessment) Sheet {
	s := Sheet{Assessment: a}
	for _, e := range a.Entries {
		if !e.Assessable() {
			continue
		}
		s.Responses = append(s.Responses, Response{Citation: e.Citation, Status: Implemented})
		if e.Requirement == catalog.Addressable {
			s.Decisions = append(s.Decisions, Decision{Citation: e.Citation, Outcome: catalog.OutcomeImplemented, Factors: fullFactors(), DecidedBy: "S", DecidedAt: t0})
		}
	}
	for _, c := range a.Categories() {
		s.Reviews = append(s.Reviews, CategoryReview{Category: c, ReviewedBy: "Sam", ReviewedAt: t0})
	}
	return s
}

func TestBlockers(t *testing.T) {
	a := newAssessment(t)
	s := complete(a)
	if got := Blockers(a, s.Responses, s.Decisions, s.Reviews); len(got) != 0 {
		t.Fatalf("Blockers(complete) = %v, want none", got)
	}
	if got := Blockers(a, nil, nil, nil); len(got) < 60 {
		t.Errorf("Blockers(empty) = %d blockers, want one per entry, decision and category", len(got))
	}
	tests := []struct {
		name string
		edit func(*Sheet)
		want Blocker
	}{
		{"unanswered standard", func(s *Sheet) { s.Responses = s.Responses[1:] }, Blocker{Citation: "164.308(a)(1)", Field: "status"}},
		{"unanswered required", func(s *Sheet) { s.Responses = slices.Delete(s.Responses, 1, 2) }, Blocker{Citation: "164.308(a)(1)(ii)(A)", Field: "status"}},
		{"required gap without a plan", func(s *Sheet) {
			s.Responses[1].Status = Partial
			s.Responses[1].Owner = "Sam"
		}, Blocker{Citation: "164.308(a)(1)(ii)(A)", Field: "plan"}},
		{"standard not implemented without a plan", func(s *Sheet) {
			s.Responses[0].Status = NotImplemented
			s.Responses[0].TargetDate = t0
		}, Blocker{Citation: "164.308(a)(1)", Field: "plan"}},
		{"N/A without reason", func(s *Sheet) {
			for i := range s.Responses {
				if s.Responses[i].Citation == "164.314(b)(2)" {
					s.Responses[i].Status = NotApplicable
				}
			}
		}, Blocker{Citation: "164.314(b)(2)", Field: "na_reason"}},
		{"missing decision", func(s *Sheet) {
			s.Decisions = s.Decisions[1:]
		}, Blocker{Citation: "164.308(a)(3)(ii)(A)", Field: "decision"}},
		{"incomplete decision", func(s *Sheet) {
			s.Decisions[0].DecidedBy = ""
		}, Blocker{Citation: "164.308(a)(3)(ii)(A)", Field: "decision"}},
		{"not implemented without its factors", func(s *Sheet) {
			s.Decisions[0] = Decision{Citation: s.Decisions[0].Citation, Outcome: catalog.OutcomeNotImplemented, Rationale: "r", RiskAnalysisRef: "RA", DecidedBy: "S", DecidedAt: t0}
		}, Blocker{Citation: "164.308(a)(3)(ii)(A)", Field: "decision"}},
		{"category not reviewed", func(s *Sheet) { s.Reviews = s.Reviews[1:] }, Blocker{Category: catalog.Administrative, Field: "review"}},
	}
	for _, tt := range tests {
		s := complete(a)
		tt.edit(&s)
		got := Blockers(a, s.Responses, s.Decisions, s.Reviews)
		if len(got) != 1 || got[0].Citation != tt.want.Citation || got[0].Field != tt.want.Field || got[0].Reason == "" {
			t.Errorf("%s: Blockers = %+v, want one for %s %s", tt.name, got, tt.want.Citation, tt.want.Field)
		}
	}
}

func TestGapsWithPlansDoNotBlock(t *testing.T) {
	a := newAssessment(t)
	s := complete(a)
	s.Responses[1].Status, s.Responses[1].Owner, s.Responses[1].TargetDate = NotImplemented, "Sam", t0
	if got := Blockers(a, s.Responses, s.Decisions, s.Reviews); len(got) != 0 {
		t.Errorf("Blockers(gap with owner and date) = %v, want none", got)
	}
	if got := EntryBlockers(Blockers(a, nil, nil, s.Reviews[1:]), catalog.Physical); len(got) == 0 || slices.ContainsFunc(got, func(b Blocker) bool {
		return b.Category != catalog.Physical || b.Field == "review"
	}) {
		t.Errorf("EntryBlockers(physical) = %v, want only the physical entries' blockers", got)
	}
}

// A snapshot taken by New makes every standard assessable and required; a
// snapshot from before (a standard with specifications and no requirement)
// stays as it was.
func TestStandardsAnsweredInTheirOwnRight(t *testing.T) {
	a := newAssessment(t)
	n := 0
	for _, e := range a.Entries {
		if e.Kind == catalog.KindStandard {
			n++
			if !e.Assessable() || e.Requirement != catalog.Required {
				t.Errorf("standard %s: requirement %q, want required", e.Citation, e.Requirement)
			}
		}
	}
	if n != 22 {
		t.Errorf("%d standards, want the rule's 22", n)
	}
	old := EntrySnapshot{Citation: "164.312(a)(1)", Kind: catalog.KindStandard}
	if old.Assessable() {
		t.Error("a standard snapshotted without a requirement became assessable")
	}
}

func TestCheckSignOff(t *testing.T) {
	a := newAssessment(t)
	reviews := []CategoryReview{{Category: catalog.Administrative, Reviewer: "user:1"}, {Category: catalog.Technical, Reviewer: "user:1"}}
	tests := []struct {
		name    string
		so      SignOff
		rule    ReviewRule
		members int
		fields  []string
	}{
		{"attested, one-person organisation", SignOff{By: "A", Actor: "user:1", Attested: true}, ReviewRuleAuto, 1, nil},
		{"not attested", SignOff{By: "A", Actor: "user:1"}, ReviewRuleAuto, 1, []string{"attest"}},
		{"only reviewer, two members", SignOff{By: "A", Actor: "user:1", Attested: true}, ReviewRuleAuto, 2, []string{"reviewers"}},
		{"second person signs", SignOff{By: "B", Actor: "user:2", Attested: true}, ReviewRuleAuto, 2, nil},
		{"rule any", SignOff{By: "A", Actor: "user:1", Attested: true}, ReviewRuleAny, 9, nil},
		{"rule separate, one member", SignOff{By: "A", Actor: "user:1", Attested: true}, ReviewRuleSeparate, 1, []string{"reviewers"}},
		{"no signer", SignOff{Actor: "user:2", Attested: true}, ReviewRuleAuto, 2, []string{"signed_by"}},
	}
	for _, tt := range tests {
		got := fields(CheckSignOff(a, reviews, tt.so, tt.rule, tt.members))
		if len(got) != len(tt.fields) {
			t.Errorf("%s: CheckSignOff = %v, want problems with %v", tt.name, got, tt.fields)
		}
		for _, f := range tt.fields {
			if _, ok := got[f]; !ok {
				t.Errorf("%s: CheckSignOff = %v, want a problem with %s", tt.name, got, f)
			}
		}
	}
}

func TestPosture(t *testing.T) {
	a := newAssessment(t)
	s := complete(a)
	s.Responses[0].Status = NotImplemented
	s.Responses[0].TargetDate = t0.AddDate(0, 1, 0)
	s.Responses[1].Status = Partial
	s.Responses[1].TargetDate = t0.AddDate(0, 6, 0)
	s.Decisions[0].Outcome = catalog.OutcomeNotImplemented
	s.Decisions = s.Decisions[:len(s.Decisions)-1]
	p := PostureOf(s, t0.AddDate(0, 2, 0))
	o := p.Overall
	if o.NotImplemented != 1 || o.Partial != 1 || o.Overdue != 1 || o.Implemented != o.Entries-2 || o.Undecided != 1 ||
		o.Decisions[catalog.OutcomeNotImplemented] != 1 {
		t.Errorf("PostureOf().Overall = %+v", o)
	}
	if len(p.Categories) != 5 || p.Categories[0].Category != catalog.Administrative || p.Categories[0].NotImplemented != 1 {
		t.Errorf("PostureOf().Categories = %+v", p.Categories)
	}
	sum := 0
	for _, c := range p.Categories {
		sum += c.Entries
	}
	if sum != o.Entries {
		t.Errorf("categories hold %d entries, overall %d", sum, o.Entries)
	}
}

func TestCompare(t *testing.T) {
	a := newAssessment(t)
	old, cur := complete(a), complete(a)
	old.Responses[0].Status = NotImplemented // improved in cur
	cur.Responses[1].Status = Partial        // regressed
	cur.Assessment.Entries = append(cur.Assessment.Entries, EntrySnapshot{Citation: "nprm:x", Title: "New", Requirement: catalog.Required, Category: catalog.Technical})
	changes := Compare(old, cur)
	want := map[string]Trend{old.Responses[0].Citation: Improved, cur.Responses[1].Citation: Regressed, "nprm:x": Added, cur.Responses[2].Citation: Unchanged}
	for _, c := range changes {
		if w, ok := want[c.Citation]; ok && c.Trend != w {
			t.Errorf("Compare: %s = %s, want %s", c.Citation, c.Trend, w)
		}
	}
	if back := Compare(cur, old); back[len(back)-1].Trend != Removed {
		t.Errorf("Compare(cur, old) last = %+v, want removed", back[len(back)-1])
	}
	for _, tt := range []struct {
		s    ResponseStatus
		want int
	}{{"", 0}, {NotImplemented, 0}, {Partial, 1}, {Implemented, 2}, {NotApplicable, 2}} {
		if got := Rank(tt.s); got != tt.want {
			t.Errorf("Rank(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestTriggers(t *testing.T) {
	final := Assessment{Name: "2025", Status: StatusFinal, FinalisedAt: t0, Scope: Scope{Systems: []string{"EHR"}, Locations: []string{"Main St"}}}
	p := Profile{Systems: []string{"EHR"}, Locations: []string{"Main St"}}
	tests := []struct {
		name string
		p    Profile
		as   []Assessment
		now  time.Time
		want []TriggerKind
	}{
		{"never", p, nil, t0, []TriggerKind{TriggerNever}},
		{"draft only", p, []Assessment{{Status: StatusDraft}}, t0, []TriggerKind{TriggerNever}},
		{"fresh", p, []Assessment{final}, t0.AddDate(0, 6, 0), nil},
		{"a year on", p, []Assessment{final}, t0.AddDate(1, 0, 0), []TriggerKind{TriggerAnnual}},
		{"new system and location", Profile{Systems: []string{"EHR", "Portal"}, Locations: []string{"Main St", "Oak Ave"}}, []Assessment{final}, t0, []TriggerKind{TriggerSystem, TriggerLocation}},
	}
	for _, tt := range tests {
		got := Triggers(tt.p, tt.as, tt.now)
		if len(got) != len(tt.want) {
			t.Errorf("%s: Triggers = %+v, want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if got[i].Kind != tt.want[i] || got[i].Reason == "" {
				t.Errorf("%s: Triggers[%d] = %+v, want %s", tt.name, i, got[i], tt.want[i])
			}
		}
	}
}

func TestRetainUntil(t *testing.T) {
	if got, want := RetainUntil(t0), t0.AddDate(6, 0, 0); !got.Equal(want) {
		t.Errorf("RetainUntil(%v) = %v, want %v", t0, got, want)
	}
	if !RetainUntil(time.Time{}).IsZero() {
		t.Error("RetainUntil(zero) is not zero")
	}
}

func TestProfileValidate(t *testing.T) {
	p := Profile{LegalName: " Riverside ", Kind: "provider", Workforce: 14, Locations: []string{"A", " A ", ""}, Systems: []string{"EHR"}}
	p.Normalize()
	if err := p.Validate([]string{"provider"}, []string{"current"}); err != nil {
		t.Fatalf("Validate = %v", err)
	}
	if len(p.Locations) != 1 || p.LocationsCount != 1 || p.CatalogProfile != "current" {
		t.Errorf("Normalize = %+v", p)
	}
	bad := Profile{Kind: "shop", Workforce: -1, CatalogProfile: "x"}
	v := fields(bad.Validate([]string{"provider"}, []string{"current"}))
	for _, f := range []string{"legal_name", "kind", "workforce", "catalog_profile"} {
		if _, ok := v[f]; !ok {
			t.Errorf("Validate(bad) = %v, want a problem with %s", v, f)
		}
	}
	term := OfficialTerm{Name: "Sam", From: t0, To: t0.AddDate(0, 0, -1)}
	if _, ok := fields(term.Validate("official."))["official.to"]; !ok {
		t.Errorf("OfficialTerm.Validate = %v, want official.to", term.Validate("official."))
	}
}

// TestCheckAgreement: an addressable decision's outcome must match what the
// response says is in place (issue 12, "Decision and response agree").
func TestCheckAgreement(t *testing.T) {
	d := func(o catalog.Outcome) Decision { return Decision{Outcome: o} }
	r := func(s ResponseStatus, narrative string) Response { return Response{Status: s, Narrative: narrative} }
	tests := []struct {
		name  string
		d     Decision
		r     Response
		agree bool
	}{
		{"implemented, implemented", d(catalog.OutcomeImplemented), r(Implemented, "x"), true},
		{"implemented, partial", d(catalog.OutcomeImplemented), r(Partial, "x"), false},
		{"implemented, not implemented", d(catalog.OutcomeImplemented), r(NotImplemented, ""), false},
		{"alternative, implemented with how", d(catalog.OutcomeAlternative), r(Implemented, "screen locks"), true},
		{"alternative, partial with how", d(catalog.OutcomeAlternative), r(Partial, "screen locks on half"), true},
		{"alternative, no narrative", d(catalog.OutcomeAlternative), r(Implemented, "  "), false},
		{"alternative, not implemented", d(catalog.OutcomeAlternative), r(NotImplemented, "nothing"), false},
		{"neither, not implemented", d(catalog.OutcomeNotImplemented), r(NotImplemented, ""), true},
		{"neither, implemented", d(catalog.OutcomeNotImplemented), r(Implemented, "x"), false},
		{"neither, partial", d(catalog.OutcomeNotImplemented), r(Partial, "x"), false},
		{"no response yet", d(catalog.OutcomeImplemented), Response{}, true},
		{"not applicable", d(catalog.OutcomeImplemented), r(NotApplicable, ""), true},
	}
	for _, tt := range tests {
		p := CheckAgreement(tt.d, tt.r)
		if got := len(p) == 0; got != tt.agree {
			t.Errorf("%s: CheckAgreement = %v, want agreement %t", tt.name, p, tt.agree)
		}
		if !tt.agree && p["outcome"] == "" {
			t.Errorf("%s: the problem is not on the outcome: %v", tt.name, p)
		}
	}
	// A disagreement blocks sign-off.
	a := newAssessment(t)
	s := complete(a)
	for i := range s.Responses {
		if s.Responses[i].Citation == "164.312(a)(2)(iv)" {
			s.Responses[i].Status = NotImplemented
		}
	}
	if !slices.ContainsFunc(Blockers(a, s.Responses, s.Decisions, s.Reviews), func(b Blocker) bool {
		return b.Citation == "164.312(a)(2)(iv)" && b.Field == "decision"
	}) {
		t.Error("a decision of implemented over a not-implemented response does not block sign-off")
	}
}

// TestCompareEveryChange: a change of status between statuses of the same
// rank (not applicable → implemented) is a change, and so is a revised
// narrative or decision with the status unchanged.
func TestCompareEveryChange(t *testing.T) {
	a := newAssessment(t)
	old, cur := complete(a), complete(a)
	na := old.Responses[2].Citation
	old.Responses[2].Status, old.Responses[2].NAReason = NotApplicable, "no such systems then"
	narr := old.Responses[3].Citation
	cur.Responses[3].Narrative = "Rewritten after the new EHR went live."
	dec := cur.Decisions[0].Citation
	cur.Decisions[0].Outcome, cur.Decisions[0].Alternative = catalog.OutcomeAlternative, "Encrypted backups held by the EHR vendor"
	same := cur.Responses[4].Citation
	byCitation := map[string]Change{}
	for _, c := range Compare(old, cur) {
		byCitation[c.Citation] = c
	}
	if c := byCitation[na]; c.Trend != Changed || !c.Changed() || c.From != NotApplicable || c.To != Implemented {
		t.Errorf("Compare: not applicable → implemented = %+v, want trend changed", c)
	}
	if c := byCitation[narr]; c.Trend != Unchanged || !c.Changed() || !slices.Equal(c.Revised, []string{RevisedNarrative}) || c.ToNarrative != "Rewritten after the new EHR went live." {
		t.Errorf("Compare: narrative revised = %+v, want unchanged status with the narrative revised", c)
	}
	if c := byCitation[dec]; !slices.Contains(c.Revised, RevisedOutcome) || !slices.Contains(c.Revised, RevisedAlternative) || c.ToOutcome != catalog.OutcomeAlternative || c.FromOutcome == c.ToOutcome {
		t.Errorf("Compare: decision revised = %+v, want outcome and alternative revised", c)
	}
	if c := byCitation[same]; c.Changed() {
		t.Errorf("Compare: an untouched entry = %+v, want no change", c)
	}
}
