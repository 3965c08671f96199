package report

import (
	"time"

	"github.com/safeguard-health/safeguard/internal/draw"
	"github.com/safeguard-health/safeguard/internal/risk"
)

// Model is everything a Security Rule report shows, resolved for reading:
// people, assets and catalogue entries by name rather than by id, every
// text in full. Each renderer (HTML, PDF, DOCX, XLSX, CSV, JSON, OSCAL)
// draws this one value and nothing else, so the formats cannot disagree.
type Model struct {
	// Generated is when the report was made; Zone is the organisation's
	// time zone, in which every date of the report is shown.
	Generated time.Time      `json:"generated"`
	Zone      *time.Location `json:"-"`
	ZoneName  string         `json:"time_zone"`
	// Draft is true when the report shows work that is not signed off (the
	// current state, or a draft assessment or analysis): every page says
	// DRAFT.
	Draft bool `json:"draft"`
	// Part is what the report holds: the whole report (PartFull), the cover
	// and one-page executive summary (PartSummary), or one asset with its
	// flows, risks and tasks (PartAsset: Assets holds that asset first).
	Part        Part   `json:"part"`
	PreparedBy  string `json:"prepared_by"`
	Title       string `json:"title"`
	Org         Org    `json:"organisation"`
	CatalogName string `json:"catalogue"` // profile and version, e.g. "HIPAA Security Rule (current) 2026.2"

	Assessment *Assessment `json:"assessment,omitempty"`
	// Posture is one line per safeguard category, in catalogue order.
	Posture []Posture `json:"posture"`
	// Entries are every catalogue entry of the assessment with its answer.
	Entries []Entry `json:"entries"`
	// Decisions is the addressable decision log, in catalogue order.
	Decisions []Decision `json:"decisions"`

	Analysis *Analysis `json:"analysis,omitempty"`
	Scale    Scale     `json:"scale"`
	Assets   []Asset   `json:"assets"`
	Flows    []Flow    `json:"flows"`
	// Map is the data-flow map as an SVG document (empty when there are
	// no assets); MapText says the same in words.
	Map     string   `json:"-"`
	MapText []string `json:"map_text,omitempty"`
	// MapLayout is the same map's geometry, for a renderer that draws it
	// with its own primitives (the PDF); nil when there is no map.
	MapLayout *draw.MapLayout `json:"-"`
	Risks     []Risk          `json:"risks"`
	// Inherent and Current count risks per cell: [likelihood-1][impact-1].
	Inherent HeatMap `json:"inherent_heat_map"`
	Current  HeatMap `json:"current_heat_map"`
	// ByLevel counts risks per current level, lowest first.
	ByLevel []LevelCount `json:"risks_by_level"`
	// Top are the ids of the highest current risks, highest first (at most 10).
	Top   []int64 `json:"top_risks"`
	Tasks []Task  `json:"tasks"`

	Evidence  []Evidence  `json:"evidence"`
	OpenItems []OpenItem  `json:"open_items"`
	Audit     *Checkpoint `json:"audit_checkpoint,omitempty"`
}

// Part is what a report holds.
type Part string

// The parts a report can hold.
const (
	PartFull    Part = "full"
	PartSummary Part = "summary"
	PartAsset   Part = "asset"
)

// Org is the organisation reported on.
type Org struct {
	Slug      string   `json:"slug"`
	Name      string   `json:"name"`
	LegalName string   `json:"legal_name,omitempty"`
	Kind      string   `json:"kind"` // e.g. "Covered entity — health care provider"
	Workforce int      `json:"workforce,omitempty"`
	Patients  int      `json:"patients,omitempty"`
	Sites     []string `json:"sites"`
	Systems   []string `json:"systems"`
	// Official is the current security official (§164.308(a)(2)).
	Official string `json:"security_official,omitempty"`
}

// Assessment is the gap analysis the report draws on.
type Assessment struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Status      string    `json:"status"` // Draft, In review, Final
	Started     time.Time `json:"started"`
	Finalised   time.Time `json:"finalised,omitzero"`
	FinalisedBy string    `json:"finalised_by,omitempty"`
	Attestation string    `json:"attestation,omitempty"`
	// Reviews are the category reviews: who reviewed which category when.
	Reviews []Review `json:"reviews,omitempty"`
}

// Review is one category's review before sign-off.
type Review struct {
	Category string    `json:"category"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Note     string    `json:"note,omitempty"`
}

// Posture counts a safeguard category's entries by answer.
type Posture struct {
	Category       string `json:"category"` // key: administrative, physical, ...
	Label          string `json:"label"`    // "Administrative safeguards"
	Implemented    int    `json:"implemented"`
	Partial        int    `json:"partial"`
	NotImplemented int    `json:"not_implemented"`
	NotApplicable  int    `json:"not_applicable"`
	Unanswered     int    `json:"unanswered"`
}

// Total is the number of entries of the category.
func (p Posture) Total() int {
	return p.Implemented + p.Partial + p.NotImplemented + p.NotApplicable + p.Unanswered
}

// Entry is one catalogue entry with the organisation's answer.
type Entry struct {
	Citation    string    `json:"citation"`
	Title       string    `json:"title"`
	Kind        string    `json:"kind"`        // standard or specification
	Requirement string    `json:"requirement"` // required, addressable or ""
	Category    string    `json:"category"`
	Standard    string    `json:"standard"`
	Status      string    `json:"status"`       // key: implemented, partial, not_implemented, not_applicable, or "" unanswered
	StatusLabel string    `json:"status_label"` // "Implemented", "Not answered"
	Narrative   string    `json:"narrative"`
	NAReason    string    `json:"na_reason,omitempty"`
	Owner       string    `json:"owner,omitempty"`
	Target      time.Time `json:"target_date,omitzero"`
	// Evidence are the ids of Model.Evidence linked to the entry.
	Evidence []int64 `json:"evidence,omitempty"`
	// Decided is true when Model.Decisions holds this entry's decision.
	Decided bool `json:"decided,omitempty"`
}

// Decision is one addressable decision (§164.306(d)(3)).
type Decision struct {
	Citation     string    `json:"citation"`
	Title        string    `json:"title"`
	Outcome      string    `json:"outcome"`       // key
	OutcomeLabel string    `json:"outcome_label"` // "Implemented as specified", "Equivalent alternative", "Neither (documented)"
	Alternative  string    `json:"alternative,omitempty"`
	Rationale    string    `json:"rationale,omitempty"`
	Factors      []Factor  `json:"factors"`
	RiskRef      string    `json:"risk_analysis_ref,omitempty"`
	DecidedBy    string    `json:"decided_by"`
	DecidedAt    time.Time `json:"decided_at"`
}

// Factor is one of the flexibility factors of §164.306(b)(2) as weighed.
type Factor struct {
	Label string `json:"label"`
	Text  string `json:"text"`
}

// Analysis is the documented risk analysis the report draws on.
type Analysis struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Scope       string    `json:"scope"`
	Status      string    `json:"status"` // Draft or Final
	Started     time.Time `json:"started"`
	Finalised   time.Time `json:"finalised,omitzero"`
	FinalisedBy string    `json:"finalised_by,omitempty"`
}

// Scale is the likelihood × impact scale the risks are rated on.
type Scale struct {
	Name       string       `json:"name"`
	Likelihood []risk.Grade `json:"likelihood"`
	Impact     []risk.Grade `json:"impact"`
	Levels     []risk.Level `json:"levels"`
	// Matrix[l-1][i-1] is the index into Levels of likelihood l, impact i.
	Matrix [][]int `json:"matrix"`
}

// Asset is one inventory asset.
type Asset struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Class       string    `json:"class"` // System, Device, Place
	Kind        string    `json:"kind"`  // "Laptop", "Electronic health record"
	Owner       string    `json:"owner,omitempty"`
	Place       string    `json:"place,omitempty"`
	Location    string    `json:"location,omitempty"`
	EPHI        []string  `json:"ephi"`
	Records     int       `json:"records"`
	Use         string    `json:"use"` // "creates, receives, maintains"
	AtRest      string    `json:"encrypted_at_rest"`
	Hosting     string    `json:"hosting"`
	Vendor      string    `json:"vendor,omitempty"`
	Criticality string    `json:"criticality"`
	Lifecycle   string    `json:"lifecycle"`
	Reviewed    time.Time `json:"last_reviewed,omitzero"`
	Notes       string    `json:"notes,omitempty"`
	// Exposed marks an asset holding ePHI that is not encrypted at rest.
	Exposed bool `json:"exposed,omitempty"`
}

// Flow is one movement of ePHI.
type Flow struct {
	ID          int64  `json:"id"`
	From        string `json:"from"`
	To          string `json:"to"`
	Channel     string `json:"channel"`
	InTransit   string `json:"encrypted_in_transit"`
	Frequency   string `json:"frequency,omitempty"`
	Volume      string `json:"volume,omitempty"`
	Description string `json:"description,omitempty"`
	// Exposed marks a flow not encrypted in transit.
	Exposed bool `json:"exposed,omitempty"`
}

// Rating is a likelihood and impact with the level they give.
type Rating struct {
	Likelihood      int    `json:"likelihood"` // 1-based grade; 0 not rated
	Impact          int    `json:"impact"`
	LikelihoodLabel string `json:"likelihood_label,omitempty"`
	ImpactLabel     string `json:"impact_label,omitempty"`
	Level           int    `json:"level"` // index into Scale.Levels; -1 not rated
	LevelLabel      string `json:"level_label,omitempty"`
	Colour          string `json:"colour,omitempty"` // #rrggbb
}

// Risk is one line of the register.
type Risk struct {
	ID            int64    `json:"id"`
	Title         string   `json:"title"`
	Assets        []string `json:"assets"`
	Threat        string   `json:"threat"`
	ThreatSource  string   `json:"threat_source,omitempty"`
	Vulnerability string   `json:"vulnerability"`
	// Measures are the safeguards in place, "§164.312(a)(2)(iv) Encryption
	// and decryption"; MeasuresNote says how.
	Measures      []string  `json:"measures"`
	MeasuresNote  string    `json:"measures_note,omitempty"`
	Inherent      Rating    `json:"inherent"`
	Current       Rating    `json:"current"`
	Target        Rating    `json:"target"`
	LikelihoodWhy string    `json:"likelihood_rationale"`
	ImpactWhy     string    `json:"impact_rationale"`
	Owner         string    `json:"owner,omitempty"`
	Status        string    `json:"status"`   // Open, Treated, Closed
	Strategy      string    `json:"strategy"` // Mitigate, Accept, Transfer, Avoid, or "" not decided
	Party         string    `json:"party,omitempty"`
	Acceptance    *Accept   `json:"acceptance,omitempty"`
	TreatmentNote string    `json:"treatment_note,omitempty"`
	Identified    time.Time `json:"identified,omitzero"`
	// OtherScale names the scale the risk was rated on when it is not
	// Model.Scale (its levels are then those of that scale).
	OtherScale string `json:"other_scale,omitempty"`
}

// Accept is a risk acceptance with its approver.
type Accept struct {
	Approver   string    `json:"approver"`
	Reason     string    `json:"reason"`
	Expires    time.Time `json:"expires"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`
	Expired    bool      `json:"expired,omitempty"`
}

// Task is one task of the risk management plan.
type Task struct {
	ID          int64     `json:"id"`
	RiskID      int64     `json:"risk_id"`
	Risk        string    `json:"risk"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Owner       string    `json:"owner"`
	Due         time.Time `json:"due"`
	Status      string    `json:"status"` // To do, In progress, Done, Dropped
	Entries     []string  `json:"entries,omitempty"`
	Evidence    []int64   `json:"evidence,omitempty"`
	DoneAt      time.Time `json:"done_at,omitzero"`
	Overdue     bool      `json:"overdue,omitempty"`
}

// HeatMap counts risks per likelihood × impact cell.
type HeatMap struct {
	// Counts[l-1][i-1] is the number of risks of likelihood l, impact i.
	Counts [][]int `json:"counts"`
	// Unrated counts risks with no rating on this scale, OtherScale those
	// rated on an earlier scale.
	Unrated    int `json:"unrated"`
	OtherScale int `json:"other_scale"`
}

// LevelCount is the number of risks at one level.
type LevelCount struct {
	Label  string `json:"label"`
	Colour string `json:"colour"`
	Count  int    `json:"count"`
}

// Evidence is one evidence item with the version the report relies on.
type Evidence struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Kind        string    `json:"kind"` // file or link
	FileName    string    `json:"file_name,omitempty"`
	URL         string    `json:"url,omitempty"`
	Version     int       `json:"version,omitempty"`
	SHA256      string    `json:"sha256,omitempty"`
	Size        int64     `json:"size,omitempty"`
	Added       time.Time `json:"added"`
	AddedBy     string    `json:"added_by,omitempty"`
	// Entries are the citations the evidence supports.
	Entries []string `json:"entries"`
	// AuditSeq is the audit entry that recorded the version (0 unknown).
	AuditSeq int64 `json:"audit_seq,omitempty"`
}

// OpenItem is something not finished that a reader should know of.
type OpenItem struct {
	Kind string `json:"kind"` // gap, unanswered, overdue_task, expiring_acceptance, unrated_risk, undecided_risk
	Ref  string `json:"ref"`  // citation or "Risk 12"
	Text string `json:"text"`
}

// Checkpoint is the audit log's latest signed checkpoint when the report
// was made, so a reader can later prove the log was not rewritten.
type Checkpoint struct {
	TreeSize  int64     `json:"tree_size"`
	Root      string    `json:"root_hash"` // hex
	KeyID     string    `json:"key_id"`
	Signature string    `json:"signature"` // base64
	At        time.Time `json:"at"`
	// Text is the checkpoint as signed and exported, for re-verification.
	Text string `json:"text"`
}

// Date formats t as a day in the report's time zone ("5 Dec 2026"); the
// zero time is "". A calendar date (a due, target, expiry or review date,
// kept as midnight UTC) is that day wherever the organisation is.
func (m *Model) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return m.Local(t).Format("2 Jan 2006")
}

// Local is t in the report's time zone, except a calendar date (kept as
// midnight UTC), which stays that day.
func (m *Model) Local(t time.Time) time.Time {
	if u := t.UTC(); u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0 {
		return u
	}
	return t.In(m.zone())
}

// DateTime formats t with the time of day and the zone's abbreviation.
func (m *Model) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(m.zone()).Format("2 Jan 2006 15:04 MST")
}

func (m *Model) zone() *time.Location {
	if m.Zone == nil {
		return time.UTC
	}
	return m.Zone
}

// Risk returns the risk with id, if the model holds it.
func (m *Model) Risk(id int64) (Risk, bool) {
	for _, r := range m.Risks {
		if r.ID == id {
			return r, true
		}
	}
	return Risk{}, false
}

// EvidenceByID returns the evidence item with id, if the model holds it.
func (m *Model) EvidenceByID(id int64) (Evidence, bool) {
	for _, e := range m.Evidence {
		if e.ID == id {
			return e, true
		}
	}
	return Evidence{}, false
}
