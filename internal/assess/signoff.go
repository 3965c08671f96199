package assess

import (
	"fmt"
	"slices"
	"strings"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// Signing an assessment off is the security official's statement that the
// record is true and complete. Three rules keep it from being one careless
// click: the signer confirms the [Attestation]; where the organisation's
// [ReviewRule] asks for it, somebody other than the signer reviewed at least
// one category; and the gates come in one order — an assessment goes to
// review only with every entry complete ([EntryBlockers]), a category is
// reviewed only with every entry in it complete, and sign-off needs every
// category reviewed.

// Attestation is the statement the signer confirms. The text is stored with
// the final assessment, so a later change of wording never changes what
// somebody signed.
const Attestation = "I have reviewed this assessment. To the best of my knowledge its answers, " +
	"addressable decisions and evidence are accurate and complete, and every gap it records has " +
	"an owner and a target date. I understand that this is a gap analysis of the Security Rule's " +
	"standards and implementation specifications, not the risk analysis of §164.308(a)(1)(ii)(A)."

// ReviewRule says whether the person who signs an assessment off may be its
// only reviewer.
type ReviewRule string

// Review rules.
const (
	// ReviewRuleAuto, the default, asks for a second person when the
	// organisation has more than one member.
	ReviewRuleAuto ReviewRule = ""
	// ReviewRuleSeparate always asks for a second person.
	ReviewRuleSeparate ReviewRule = "separate"
	// ReviewRuleAny lets the signer be the only reviewer.
	ReviewRuleAny ReviewRule = "any"
)

// ReviewRules lists the rules in the order a form offers them.
func ReviewRules() []ReviewRule {
	return []ReviewRule{ReviewRuleAuto, ReviewRuleSeparate, ReviewRuleAny}
}

// Valid reports whether r is a known rule.
func (r ReviewRule) Valid() bool { return slices.Contains(ReviewRules(), r) }

// Label describes the rule for a form.
func (r ReviewRule) Label() string {
	switch r {
	case ReviewRuleAuto:
		return "A second person reviews when the organisation has more than one member (recommended)"
	case ReviewRuleSeparate:
		return "Always: somebody other than the signer reviews at least one category"
	case ReviewRuleAny:
		return "Never: the signer may review every category alone"
	}
	return string(r)
}

// NeedsSecondReviewer reports whether, under r, an organisation of members
// people needs a reviewer other than the signer.
func (r ReviewRule) NeedsSecondReviewer(members int) bool {
	switch r {
	case ReviewRuleSeparate:
		return true
	case ReviewRuleAny:
		return false
	}
	return members > 1
}

// SignOff is what the signer gives when signing an assessment off.
type SignOff struct {
	// By is the signer as the record shows them ("Name <email>").
	By string
	// Actor is the signer's audit identity ("user:42"), compared with the
	// reviewers' to apply the [ReviewRule].
	Actor string
	// Attested is true when the signer confirmed the [Attestation].
	Attested bool
}

// CheckSignOff reports what, apart from the blockers, stops s from signing
// a off: a missing attestation, or a review by the signer alone where rule
// asks for a second person in an organisation of members people. Reviews
// recorded before reviewers were identified (empty Reviewer) count as
// somebody else's.
func CheckSignOff(a Assessment, reviews []CategoryReview, s SignOff, rule ReviewRule, members int) error {
	p := validate.Error{}
	if !s.Attested {
		p.Add("attest", "must be confirmed: tick the box to confirm the statement before signing off")
	}
	if strings.TrimSpace(s.By) == "" {
		p.Add("signed_by", "is required")
	}
	if rule.NeedsSecondReviewer(members) && len(reviews) > 0 &&
		!slices.ContainsFunc(reviews, func(r CategoryReview) bool { return r.Reviewer != s.Actor }) {
		p.Add("reviewers", fmt.Sprintf("must include somebody other than the signer: you reviewed all %d categories yourself. "+
			"Ask another member to review at least one category, or change the sign-off rule on the assessment profile", len(reviews)))
	}
	return p.Err()
}
