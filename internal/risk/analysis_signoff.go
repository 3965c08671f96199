package risk

// AnalysisAttestation is the statement the security official confirms when
// signing a risk analysis off. It is stored with the final analysis, so a
// later change of wording never changes what somebody signed.
const AnalysisAttestation = "I have reviewed this risk analysis. To the best of my knowledge it covers " +
	"every place, system and device where our ePHI is created, received, kept or sent, and how it moves; " +
	"the risks are rated honestly with the measures we actually have in place; and every risk we do not " +
	"accept has a plan with an owner and a date (§164.308(a)(1)(ii)(A)–(B))."
