// Package assess holds the rules of a HIPAA Security Rule compliance
// assessment — a gap analysis, not the risk analysis: the organisation being assessed, the dated exercise itself,
// one response per catalogue entry, the written decision §164.306(d)(3)
// demands for every addressable implementation specification, the security
// official's review of each category, and what follows from them — what
// blocks sign-off, the posture by category, what changed between two
// assessments and when the next one is due.
//
// How the types map onto the rule:
//
//   - [Profile] is the organisation as the rule sees it: what kind of entity
//     it is (45 CFR 160.103), its size and the systems in scope — the
//     "size, complexity and capabilities" and "technical infrastructure" of
//     §164.306(b)(2)(i)-(ii) — and its security official, with the history of
//     who held the role when (§164.308(a)(2)).
//   - [Assessment] is one dated evaluation (§164.308(a)(8)): a gap analysis
//     of every standard and implementation specification against what is in
//     place. It is not the risk analysis of §164.308(a)(1)(ii)(A), which
//     weighs threats, vulnerabilities, likelihood and impact to ePHI; a
//     control checklist does not meet that requirement. What the gap
//     analysis finds feeds risk management (§164.308(a)(1)(ii)(B)): every
//     gap in a required entry needs an owner and a target date before
//     sign-off ([Blockers]). It pins the catalogue version and a snapshot of the entries it assessed
//     ([EntrySnapshot]), so later catalogue releases never change a finished
//     one. A final assessment is documentation under §164.316(b)(1): it is
//     immutable and retained for six years from the date it was last in
//     effect (§164.316(b)(2)(i)); [RetainUntil] computes that date.
//   - [Response] says whether and how one standard or specification is met.
//     Standards are answered in their own right, not only through their
//     specifications (§164.306(c)).
//   - [Decision] is the §164.306(d)(3) record for an addressable
//     specification: one of the three [catalog.Outcome]s, the alternative
//     measure or the reason, the four §164.306(b)(2) [catalog.Factor]s
//     considered, and the risk analysis it rests on.
//   - [CategoryReview] records the review of one safeguard category before
//     sign-off, and [SignOff] the signer's confirmed [Attestation]; the
//     organisation's [ReviewRule] says whether the signer may be the only
//     reviewer.
//
// # When "not applicable" is allowed
//
// The Security Rule has no optional safeguards: every standard applies to
// every covered entity and business associate (§164.302), and addressable
// does not mean optional — an addressable specification that is not
// reasonable and appropriate is answered with a [Decision] whose outcome is
// not_implemented, documenting why and how the standard is met anyway. So
// [Response] status not_applicable is refused for every entry of
// §§164.308-164.312 and §164.316, required or addressable, with these
// exceptions, where the rule's own text makes the entry conditional
// ([NARuleFor] gives them with the condition a reason must address):
//
//   - §164.308(a)(4)(ii)(A), isolating health care clearinghouse functions:
//     applies only "if a health care clearinghouse is part of a larger
//     organization"; not applicable to an organisation that contains no
//     clearinghouse, or to a clearinghouse that is not part of a larger one.
//   - §164.308(b)(1) and (b)(3), and §164.314(a)(1), (a)(2)(i)-(iii),
//     business associate contracts: not applicable only to an organisation
//     that truly has no business associates (or, for a business associate,
//     no subcontractors) that create, receive, maintain or transmit ePHI on
//     its behalf. §164.314(a)(2)(ii), other arrangements, concerns
//     governmental entities and may also be not applicable to others.
//   - §164.314(b)(1) and (b)(2), requirements for group health plans: apply
//     only to a group health plan (and its plan documents); not applicable
//     to providers, clearinghouses, business associates and plans that are
//     not group health plans.
//
// Even there a reason is required, and the organisation's kind only
// suggests the answer ([NARule.Expected]); it never fills it in.
//
// The package imports the standard library and the catalog and validate
// domain packages only (not identity, whose password hashing brings in
// golang.org/x/crypto): an organisation kind is the string value of an
// identity.OrgKind.
package assess
