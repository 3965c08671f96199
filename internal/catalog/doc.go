// Package catalog is the HIPAA Security Rule as data: every standard and
// implementation specification of 45 CFR 164.308 (administrative safeguards),
// 164.310 (physical), 164.312 (technical), 164.314 (organizational
// requirements) and 164.316 (policies, procedures and documentation), as
// amended in 2013, with plain-language guidance, assessment questions, NIST
// crosswalks, the HHS Security Rule FAQ and the January 2025 proposed rule
// (90 FR 898) as a second profile.
//
// The content lives in versioned JSON files under data/, embedded in the
// binary. [Load] parses and validates them into a read-only [Catalog]; methods
// hand out copies, so callers cannot change what other callers see.
//
// How the types map onto the rule:
//
//   - [Entry] is one standard ("Standard: ...") or implementation
//     specification of §§164.308-164.316, keyed by its CFR paragraph
//     ([Entry.Citation]). [Kind] says which; [Requirement] carries the
//     "(Required)" or "(Addressable)" label of §164.306(d). A standard with no
//     separate specifications is itself required; a standard that has
//     specifications has an empty requirement.
//   - [Category] is the safeguard family: one per CFR section.
//   - [Profile] is one version of the rule: "current" (in force) or
//     "nprm-2025" (proposed, not final).
//   - [Objective], [Factor] and [Outcome] are the general rules of §164.306:
//     the security objectives of (a)(1), the flexibility factors of
//     (b)(2)(i)-(iv), and the three outcomes (d)(3) allows for an addressable
//     specification. [GeneralRules] describes them.
//   - [Crosswalk] pairs an entry with NIST CSF subcategories and SP 800-53
//     controls: NIST's own mapping from SP 800-66r2 (CSF 1.1, SP 800-53
//     Rev. 5.1.1) apart from what Safeguard adds for the proposed rule's new
//     entries, each with its [CrosswalkSource].
//   - [Citation] parses references such as "45 CFR § 164.312(a)(2)(iv)".
//
// The package imports the standard library only.
package catalog
