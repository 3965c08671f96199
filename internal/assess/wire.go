package assess

import "time"

// AssessmentJSON is an assessment without its entries, as the API and
// "safeguard assess list --format json" give it.
type AssessmentJSON struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	CatalogProfile string    `json:"catalog_profile"`
	CatalogVersion string    `json:"catalog_version"`
	Status         Status    `json:"status"`
	EntryCount     int       `json:"entry_count"`
	StartedAt      time.Time `json:"started_at"`
	DueAt          time.Time `json:"due_at,omitzero"`
	FinalisedAt    time.Time `json:"finalised_at,omitzero"`
	FinalisedBy    string    `json:"finalised_by,omitempty"`
	// Attestation is the statement the signer confirmed.
	Attestation   string    `json:"attestation,omitempty"`
	LastEffective time.Time `json:"last_effective,omitzero"`
	// RetainUntil is when a replaced final assessment may be deleted; the
	// one in effect (InEffect) has none yet: it is kept while in effect and
	// six years after.
	RetainUntil time.Time `json:"retain_until,omitzero"`
	InEffect    bool      `json:"in_effect,omitempty"`
	CopiedFrom  int64     `json:"copied_from,omitempty"`
	Scope       Scope     `json:"scope"`
}

// JSON returns a's wire form.
func (a Assessment) JSON() AssessmentJSON {
	out := AssessmentJSON{ID: a.ID, Name: a.Name, CatalogProfile: a.CatalogProfile, CatalogVersion: a.CatalogVersion,
		Status: a.Status, EntryCount: len(a.Entries), StartedAt: a.StartedAt, DueAt: a.DueAt, FinalisedAt: a.FinalisedAt,
		FinalisedBy: a.FinalisedBy, Attestation: a.Attestation, LastEffective: a.LastEffective, CopiedFrom: a.CopiedFrom, Scope: a.Scope, InEffect: a.InEffect()}
	if a.Status == StatusFinal && !out.InEffect {
		out.RetainUntil = a.RetainUntil
	}
	if out.InEffect {
		out.LastEffective = time.Time{}
	}
	return out
}

// RetentionLabel is how long a final assessment is kept, in a few words:
// "while in effect, then six years" or "until 2 December 2031".
func (a AssessmentJSON) RetentionLabel() string {
	switch {
	case a.InEffect:
		return "while in effect, then six years"
	case a.RetainUntil.IsZero():
		return ""
	}
	return "until " + a.RetainUntil.UTC().Format("2 January 2006")
}
