package catalog

import "slices"

// Objective is one of the security objectives of §164.306(a)(1), defined in
// §164.304.
type Objective string

// Security objectives.
const (
	Confidentiality Objective = "confidentiality"
	Integrity       Objective = "integrity"
	Availability    Objective = "availability"
)

// Objectives returns the security objectives in the order the rule names them.
func Objectives() []Objective { return []Objective{Confidentiality, Integrity, Availability} }

// Valid reports whether o is a known objective.
func (o Objective) Valid() bool { return slices.Contains(Objectives(), o) }

// Factor is one of the factors §164.306(b)(2) requires an organisation to
// weigh when deciding which security measures to use.
type Factor string

// Flexibility factors, §164.306(b)(2)(i)-(iv).
const (
	FactorSize           Factor = "size"           // (i) size, complexity and capabilities
	FactorInfrastructure Factor = "infrastructure" // (ii) technical infrastructure, hardware and software security capabilities
	FactorCost           Factor = "cost"           // (iii) costs of security measures
	FactorRisk           Factor = "risk"           // (iv) probability and criticality of potential risks
)

// Factors returns the flexibility factors in the order of §164.306(b)(2).
func Factors() []Factor {
	return []Factor{FactorSize, FactorInfrastructure, FactorCost, FactorRisk}
}

// Valid reports whether f is a known factor.
func (f Factor) Valid() bool { return slices.Contains(Factors(), f) }

// Outcome is how an organisation has dealt with an addressable implementation
// specification under §164.306(d)(3).
type Outcome string

// Outcomes for an addressable specification.
const (
	// OutcomeImplemented: implemented as specified, (d)(3)(ii)(A).
	OutcomeImplemented Outcome = "implemented"
	// OutcomeAlternative: an equivalent alternative measure implemented, with
	// the reason the specification itself was not, (d)(3)(ii)(B)(1)-(2).
	OutcomeAlternative Outcome = "alternative"
	// OutcomeNotImplemented: neither, with the reason documented,
	// (d)(3)(ii)(B)(1).
	OutcomeNotImplemented Outcome = "not_implemented"
)

// Outcomes returns the three outcomes in order.
func Outcomes() []Outcome {
	return []Outcome{OutcomeImplemented, OutcomeAlternative, OutcomeNotImplemented}
}

// Valid reports whether o is a known outcome.
func (o Outcome) Valid() bool { return slices.Contains(Outcomes(), o) }

// RequiresReason reports whether the rule requires a documented reason for
// the outcome: it does whenever the specification itself is not implemented.
func (o Outcome) RequiresReason() bool {
	return o == OutcomeAlternative || o == OutcomeNotImplemented
}

// GeneralRules describes §164.306 in plain words.
type GeneralRules struct {
	Citation     string          `json:"citation"`
	Title        string          `json:"title"`
	Requirements []Rule          `json:"requirements"`
	Objectives   []ObjectiveInfo `json:"objectives"`
	Flexibility  Rule            `json:"flexibility"`
	Factors      []FactorInfo    `json:"factors"`
	Addressable  Rule            `json:"addressable"`
	Outcomes     []OutcomeInfo   `json:"outcomes"`
	Maintenance  Rule            `json:"maintenance"`
}

// Rule is one paragraph of §164.306 explained.
type Rule struct {
	Citation    string `json:"citation"`
	Explanation string `json:"explanation"`
}

// ObjectiveInfo describes a security objective.
type ObjectiveInfo struct {
	ID          Objective `json:"id"`
	Name        string    `json:"name"`
	Citation    string    `json:"citation"`
	Explanation string    `json:"explanation"`
}

// FactorInfo describes a flexibility factor.
type FactorInfo struct {
	ID          Factor `json:"id"`
	Citation    string `json:"citation"`
	Title       string `json:"title"`
	Explanation string `json:"explanation"`
}

// OutcomeInfo describes an outcome for an addressable specification.
type OutcomeInfo struct {
	ID          Outcome `json:"id"`
	Citation    string  `json:"citation"`
	Title       string  `json:"title"`
	Explanation string  `json:"explanation"`
	// RequiresDocumentation is true when the rule requires the reason to be
	// written down.
	RequiresDocumentation bool `json:"requires_documentation"`
}

// Factor returns the description of one factor.
func (g GeneralRules) Factor(f Factor) (FactorInfo, bool) {
	for _, fi := range g.Factors {
		if fi.ID == f {
			return fi, true
		}
	}
	return FactorInfo{}, false
}

// Outcome returns the description of one outcome.
func (g GeneralRules) Outcome(o Outcome) (OutcomeInfo, bool) {
	for _, oi := range g.Outcomes {
		if oi.ID == o {
			return oi, true
		}
	}
	return OutcomeInfo{}, false
}

func (g GeneralRules) clone() GeneralRules {
	g.Requirements = slices.Clone(g.Requirements)
	g.Objectives = slices.Clone(g.Objectives)
	g.Factors = slices.Clone(g.Factors)
	g.Outcomes = slices.Clone(g.Outcomes)
	return g
}
