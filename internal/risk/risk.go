package risk

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// Status is where a risk stands in risk management.
type Status string

// Risk statuses.
const (
	StatusOpen    Status = "open"    // identified, treatment not decided
	StatusTreated Status = "treated" // a treatment is decided and under way
	StatusClosed  Status = "closed"  // treated to target, or no longer applies
)

// Statuses lists the statuses in form order.
func Statuses() []Status { return []Status{StatusOpen, StatusTreated, StatusClosed} }

// Strategy is how a risk is treated (§164.308(a)(1)(ii)(B): measures that
// reduce it to a reasonable and appropriate level, or a documented decision
// to accept it).
type Strategy string

// Strategies.
const (
	StrategyMitigate Strategy = "mitigate"
	StrategyAccept   Strategy = "accept"
	StrategyTransfer Strategy = "transfer"
	StrategyAvoid    Strategy = "avoid"
)

// Strategies lists the strategies in form order.
func Strategies() []Strategy {
	return []Strategy{StrategyMitigate, StrategyAccept, StrategyTransfer, StrategyAvoid}
}

// Label is s for people.
func (s Strategy) Label() string {
	switch s {
	case StrategyMitigate:
		return "Mitigate: put measures in place"
	case StrategyAccept:
		return "Accept: live with it, for a time"
	case StrategyTransfer:
		return "Transfer: insurance or a vendor carries it"
	case StrategyAvoid:
		return "Avoid: stop doing what causes it"
	}
	return string(s)
}

// Acceptance is the documented decision to live with a risk: who approved
// it, why, and until when (after which it must be decided again).
type Acceptance struct {
	ApproverID int64     `json:"approver_id"`
	Approver   string    `json:"approver,omitempty"`
	Reason     string    `json:"reason"`
	Expires    time.Time `json:"expires"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`
}

// Treatment is the decision on a risk.
type Treatment struct {
	Strategy Strategy `json:"strategy,omitempty"`
	// Party is who carries a transferred risk (an insurer, a vendor).
	Party      string      `json:"party,omitempty"`
	Acceptance *Acceptance `json:"acceptance,omitempty"`
	Note       string      `json:"note,omitempty"`
}

// Risk is one line of the register: a threat exploiting a vulnerability of
// one or more assets, the measures in place, and its ratings — inherent
// (before the measures), current (with them) and target (after the
// treatment) — each with its reasons, all on one scale.
type Risk struct {
	ID    int64  `json:"id"`
	OrgID int64  `json:"org_id"`
	Title string `json:"title"`
	// AssetIDs are the assets it concerns (at least one).
	AssetIDs      []int64 `json:"asset_ids"`
	Threat        string  `json:"threat"`
	Vulnerability string  `json:"vulnerability"`
	// Measures are the catalogue entries whose safeguards are in place
	// against it, as the organisation's assessment answers them.
	Measures      []string  `json:"measures"`
	MeasuresNote  string    `json:"measures_note,omitempty"`
	ScaleID       int64     `json:"scale_id"`
	Inherent      Rating    `json:"inherent"`
	Current       Rating    `json:"current"`
	Target        Rating    `json:"target,omitzero"`
	LikelihoodWhy string    `json:"likelihood_rationale"`
	ImpactWhy     string    `json:"impact_rationale"`
	OwnerID       int64     `json:"owner_id,omitempty"`
	Status        Status    `json:"status"`
	Treatment     Treatment `json:"treatment"`
	// Suggestion is the key of the suggestion the risk came from, if any,
	// so that it is not suggested again.
	Suggestion   string    `json:"suggestion,omitempty"`
	Version      int       `json:"version"`
	UpdatedAt    time.Time `json:"updated_at,omitzero"`
	IdentifiedAt time.Time `json:"identified_at,omitzero"`
}

// Normalize trims what people type and fills defaults.
func (r *Risk) Normalize() {
	r.Title, r.MeasuresNote = strings.TrimSpace(r.Title), strings.TrimSpace(r.MeasuresNote)
	r.LikelihoodWhy, r.ImpactWhy = strings.TrimSpace(r.LikelihoodWhy), strings.TrimSpace(r.ImpactWhy)
	r.Threat, r.Vulnerability = strings.TrimSpace(r.Threat), strings.TrimSpace(r.Vulnerability)
	r.Measures = cleanList(r.Measures)
	r.Treatment.Party, r.Treatment.Note = strings.TrimSpace(r.Treatment.Party), strings.TrimSpace(r.Treatment.Note)
	if a := r.Treatment.Acceptance; a != nil {
		a.Reason = strings.TrimSpace(a.Reason)
	}
	slices.Sort(r.AssetIDs)
	r.AssetIDs = slices.Compact(r.AssetIDs)
	if r.Status == "" {
		r.Status = StatusOpen
	}
}

// Validate reports every problem with r (normalised) rated on s, as of now.
// Whether the assets, threat, vulnerability, owner and approver belong to
// the organisation, and whether the approver's role may accept risks, is
// the store's to check.
func (r Risk) Validate(s Scale, now time.Time) error {
	p := validate.Error{}
	if r.Title == "" {
		p.Add("title", "is required")
	}
	text(p, "title", r.Title, MaxName)
	text(p, "measures_note", r.MeasuresNote, MaxText)
	text(p, "likelihood_rationale", r.LikelihoodWhy, MaxText)
	text(p, "impact_rationale", r.ImpactWhy, MaxText)
	if len(r.AssetIDs) == 0 {
		p.Add("asset_ids", "is required: the asset or assets at risk")
	}
	if len(r.AssetIDs) > MaxItems {
		p.Add("asset_ids", fmt.Sprintf("may name at most %d assets", MaxItems))
	}
	if r.Threat == "" {
		p.Add("threat", "is required")
	}
	if r.Vulnerability == "" {
		p.Add("vulnerability", "is required")
	}
	s.Check(p, "inherent", r.Inherent)
	s.Check(p, "current", r.Current)
	if !r.Target.Zero() {
		s.Check(p, "target", r.Target)
	}
	if r.LikelihoodWhy == "" {
		p.Add("likelihood_rationale", "is required: say why the likelihood is what it is")
	}
	if r.ImpactWhy == "" {
		p.Add("impact_rationale", "is required: say why the impact is what it is")
	}
	if li, ok := s.Level(r.Inherent); ok {
		if lc, ok := s.Level(r.Current); ok && lc > li {
			p.Add("current", "must not be above the inherent level: measures in place do not add risk")
		}
	}
	if !slices.Contains(Statuses(), r.Status) {
		p.Add("status", "must be open, treated or closed")
	}
	t := r.Treatment
	if t.Strategy != "" && !slices.Contains(Strategies(), t.Strategy) {
		p.Add("treatment.strategy", "must be mitigate, accept, transfer or avoid")
	}
	if r.Status != StatusOpen && t.Strategy == "" {
		p.Add("treatment.strategy", "is required once the risk is treated or closed")
	}
	text(p, "treatment.party", t.Party, MaxName)
	text(p, "treatment.note", t.Note, MaxText)
	if t.Strategy == StrategyTransfer && t.Party == "" {
		p.Add("treatment.party", "is required: who carries the risk (an insurer, a vendor)")
	}
	if t.Strategy == StrategyAccept {
		a := t.Acceptance
		switch {
		case a == nil:
			p.Add("treatment.acceptance", "is required: who approved accepting the risk, why, and until when")
		default:
			if a.ApproverID == 0 {
				p.Add("treatment.acceptance.approver_id", "is required")
			}
			if a.Reason == "" {
				p.Add("treatment.acceptance.reason", "is required")
			}
			text(p, "treatment.acceptance.reason", a.Reason, MaxText)
			switch {
			case a.Expires.IsZero():
				p.Add("treatment.acceptance.expires", "is required: an acceptance is decided again when it expires")
			case !a.Expires.After(now):
				p.Add("treatment.acceptance.expires", "must be in the future")
			case a.Expires.After(now.AddDate(3, 0, 0)):
				p.Add("treatment.acceptance.expires", "must be within three years: accepted risks are decided again at least that often")
			}
		}
	} else if t.Acceptance != nil {
		p.Add("treatment.acceptance", "is only for a risk that is accepted")
	}
	return p.Err()
}

// Expired reports whether r's acceptance has run out as of now.
func (r Risk) Expired(now time.Time) bool {
	a := r.Treatment.Acceptance
	return r.Treatment.Strategy == StrategyAccept && a != nil && !a.Expires.After(now)
}

// TaskStatus is where a task of the plan stands.
type TaskStatus string

// Task statuses.
const (
	TaskTodo    TaskStatus = "todo"
	TaskDoing   TaskStatus = "in_progress"
	TaskDone    TaskStatus = "done"
	TaskDropped TaskStatus = "dropped"
)

// TaskStatuses lists them in form order.
func TaskStatuses() []TaskStatus { return []TaskStatus{TaskTodo, TaskDoing, TaskDone, TaskDropped} }

// Task is one measure of the risk management plan: who does what by when,
// for which risk and catalogue entries, and the evidence once done.
type Task struct {
	ID          int64      `json:"id"`
	OrgID       int64      `json:"org_id"`
	RiskID      int64      `json:"risk_id"`
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	OwnerID     int64      `json:"owner_id"`
	Due         time.Time  `json:"due"`
	Status      TaskStatus `json:"status"`
	Entries     []string   `json:"entries,omitempty"`
	EvidenceIDs []int64    `json:"evidence_ids,omitempty"`
	DoneAt      time.Time  `json:"done_at,omitzero"`
	Version     int        `json:"version"`
}

// Normalize trims what people type.
func (t *Task) Normalize() {
	t.Title, t.Description = strings.TrimSpace(t.Title), strings.TrimSpace(t.Description)
	t.Entries = cleanList(t.Entries)
	if t.Status == "" {
		t.Status = TaskTodo
	}
}

// Validate reports every problem with t (normalised). The owner's
// membership and the risk's organisation are the store's to check.
func (t Task) Validate() error {
	p := validate.Error{}
	if t.Title == "" {
		p.Add("title", "is required")
	}
	text(p, "title", t.Title, MaxName)
	text(p, "description", t.Description, MaxText)
	if t.RiskID <= 0 {
		p.Add("risk_id", "is required")
	}
	if t.OwnerID <= 0 {
		p.Add("owner_id", "is required: a member who does it")
	}
	if t.Due.IsZero() {
		p.Add("due", "is required")
	}
	if !slices.Contains(TaskStatuses(), t.Status) {
		p.Add("status", "must be todo, in_progress, done or dropped")
	}
	if len(t.Entries) > MaxItems {
		p.Add("entries", fmt.Sprintf("may name at most %d catalogue entries", MaxItems))
	}
	return p.Err()
}

// Overdue reports whether t is unfinished past its due date as of now.
func (t Task) Overdue(now time.Time) bool {
	return (t.Status == TaskTodo || t.Status == TaskDoing) && t.Due.Before(now.Truncate(24*time.Hour))
}

// Label is the status for people.
func (s Status) Label() string {
	switch s {
	case StatusOpen:
		return "Open"
	case StatusTreated:
		return "Being treated"
	case StatusClosed:
		return "Closed"
	}
	return string(s)
}

// Label is the task status for people.
func (s TaskStatus) Label() string {
	switch s {
	case TaskTodo:
		return "To do"
	case TaskDoing:
		return "In progress"
	case TaskDone:
		return "Done"
	case TaskDropped:
		return "Dropped"
	}
	return string(s)
}
