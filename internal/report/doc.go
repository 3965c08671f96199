// Package report renders the documentation the Security Rule asks an
// organisation to keep and make available (§164.316(b)): the gap
// analysis with every addressable decision (§164.306(d)(3)), the risk
// analysis and its management plan (§164.308(a)(1)(ii)(A)–(B)), the
// evidence behind them, and the audit log's signed checkpoint at the time
// of writing.
//
// Everything starts from one [Model], built from domain values; the
// renderers (HTML, PDF, DOCX, XLSX, CSV, JSON, OSCAL) draw that value and
// nothing else. The package speaks neither SQL nor HTTP.
package report
