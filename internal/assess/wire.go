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
	LastEffective  time.Time `json:"last_effective,omitzero"`
	RetainUntil    time.Time `json:"retain_until,omitzero"`
	CopiedFrom     int64     `json:"copied_from,omitempty"`
	Scope          Scope     `json:"scope"`
}

// JSON returns a's wire form.
func (a Assessment) JSON() AssessmentJSON {
	return AssessmentJSON{ID: a.ID, Name: a.Name, CatalogProfile: a.CatalogProfile, CatalogVersion: a.CatalogVersion,
		Status: a.Status, EntryCount: len(a.Entries), StartedAt: a.StartedAt, DueAt: a.DueAt, FinalisedAt: a.FinalisedAt,
		FinalisedBy: a.FinalisedBy, LastEffective: a.LastEffective, RetainUntil: a.RetainUntil, CopiedFrom: a.CopiedFrom, Scope: a.Scope}
}
