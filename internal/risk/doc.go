// Package risk holds the rules of the risk analysis and risk management of
// §164.308(a)(1)(ii)(A)-(B), the process HHS describes: find where ePHI is
// created, received, maintained and transmitted ([Asset], the inventory) and
// how it moves ([Flow]); name the threats and the vulnerabilities they could
// exploit ([Threat], [Vulnerability], a shipped [Library] in Safeguard's own
// words, each tied to the catalogue entries whose safeguards address it);
// weigh each [Risk] — the measures in place, likelihood and impact with
// their reasons, on the organisation's [Scale] — into a level; decide its
// [Treatment] (mitigate with [Task]s, accept with a dated [Acceptance],
// transfer or avoid).
//
// This is the risk analysis; the assessment (package assess) is the gap
// analysis beside it. [Suggest] turns what the inventory and the assessment
// show into suggested risks, so that every gap of the assessment lands in
// the register.
//
// A rating records the scale it was made on ([Risk.ScaleID]), so changing an
// organisation's scale never rewrites earlier ratings; [Rescale] proposes
// the nearest rating on a new scale for a bulk re-rating that a person
// confirms.
//
// The package imports the standard library and the catalog, assess and
// validate domain packages only.
package risk
