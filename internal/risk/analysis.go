package risk

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/validate"
)

// Analysis is one documented risk analysis: a dated snapshot of the scope,
// the inventory, the flows, the risks with their ratings and the plan,
// signed off like an assessment (§164.316(b)(1)): immutable once final and
// kept six years from when it was last in effect (§164.316(b)(2)(i)).
type Analysis struct {
	ID          int64     `json:"id"`
	OrgID       int64     `json:"org_id"`
	Name        string    `json:"name"`
	Scope       string    `json:"scope"`
	Status      string    `json:"status"` // draft or final
	StartedAt   time.Time `json:"started_at"`
	FinalisedAt time.Time `json:"finalised_at,omitzero"`
	FinalisedBy string    `json:"finalised_by,omitempty"`
	// LastEffective is the finalisation of the analysis that replaced this
	// one (zero while it is the one in effect).
	LastEffective time.Time `json:"last_effective,omitzero"`
	CopiedFrom    int64     `json:"copied_from,omitempty"`
	Snapshot      *Snapshot `json:"snapshot,omitempty"`
}

// Analysis statuses.
const (
	AnalysisDraft = "draft"
	AnalysisFinal = "final"
)

// Snapshot is what a final analysis documents, as it stood at sign-off.
type Snapshot struct {
	TakenAt time.Time `json:"taken_at"`
	Scale   Scale     `json:"scale"`
	Assets  []Asset   `json:"assets"`
	Flows   []Flow    `json:"flows"`
	Risks   []Risk    `json:"risks"`
	Tasks   []Task    `json:"tasks"`
}

// ValidateAnalysis reports the problems with a new analysis's fields.
func ValidateAnalysis(a Analysis) error {
	p := validate.Error{}
	if strings.TrimSpace(a.Name) == "" {
		p.Add("name", "is required")
	}
	text(p, "name", a.Name, MaxName)
	text(p, "scope", a.Scope, MaxText)
	if strings.TrimSpace(a.Scope) == "" {
		p.Add("scope", "is required: say what the analysis covers (sites, systems, business associates)")
	}
	return p.Err()
}

// RetainUntil is the end of the six years a final analysis is kept after it
// was last in effect; the one still in effect has none yet (ok false).
func (a Analysis) RetainUntil() (time.Time, bool) {
	if a.Status != AnalysisFinal || a.LastEffective.IsZero() {
		return time.Time{}, false
	}
	return a.LastEffective.AddDate(6, 0, 0), true
}

// Deletable reports whether a may be deleted at now: a draft always; a
// final analysis only once its retention has run out.
func (a Analysis) Deletable(now time.Time) error {
	if a.Status != AnalysisFinal {
		return nil
	}
	until, ok := a.RetainUntil()
	switch {
	case !ok:
		return fmt.Errorf("the analysis in effect is kept while it is in effect and six years after (§164.316(b)(2)(i))")
	case now.Before(until):
		return fmt.Errorf("the analysis is kept until %s, six years after it was last in effect (§164.316(b)(2)(i))", until.Format("2 January 2006"))
	}
	return nil
}

// RiskChange is how one risk moved between two analyses.
type RiskChange struct {
	RiskID int64  `json:"risk_id"`
	Title  string `json:"title"`
	// Kind is new, closed, raised, lowered or unchanged.
	Kind string `json:"kind"`
	// From and To are the current levels' labels (empty where absent).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// AssetChange is an asset added to or removed from the inventory.
type AssetChange struct {
	AssetID int64  `json:"asset_id"`
	Name    string `json:"name"`
	Kind    string `json:"kind"` // added, removed or changed
}

// Comparison is what changed from one analysis to the next.
type Comparison struct {
	Risks  []RiskChange  `json:"risks"`
	Assets []AssetChange `json:"assets"`
	// Counts by kind of risk change.
	New, Closed, Raised, Lowered, Unchanged int
}

// Compare tells what changed from snapshot a to snapshot b, risk by risk
// (by ID; a risk closed in b, or missing from it, is closed) and asset by
// asset. Levels are compared by their rank on each snapshot's own scale,
// as a share of the scale's top level, so a change of scale between the
// two does not read as a change of risk.
func Compare(a, b Snapshot) Comparison {
	var c Comparison
	rank := func(s Scale, r Risk) (float64, string, bool) {
		lv, ok := s.Level(r.Current)
		if !ok || len(s.Levels) < 2 {
			return 0, "", false
		}
		return float64(lv) / float64(len(s.Levels)-1), s.Levels[lv].Label, true
	}
	before := map[int64]Risk{}
	for _, r := range a.Risks {
		before[r.ID] = r
	}
	seen := map[int64]bool{}
	for _, r := range b.Risks {
		seen[r.ID] = true
		to, toLabel, _ := rank(b.Scale, r)
		old, ok := before[r.ID]
		ch := RiskChange{RiskID: r.ID, Title: r.Title, To: toLabel}
		switch {
		case !ok || old.Status == StatusClosed:
			ch.Kind = "new"
		case r.Status == StatusClosed:
			ch.Kind = "closed"
		default:
			from, fromLabel, _ := rank(a.Scale, old)
			ch.From = fromLabel
			switch {
			case to > from:
				ch.Kind = "raised"
			case to < from:
				ch.Kind = "lowered"
			default:
				ch.Kind = "unchanged"
			}
		}
		if ch.Kind == "closed" {
			_, ch.From, _ = rank(a.Scale, old)
			ch.To = ""
		}
		c.Risks = append(c.Risks, ch)
	}
	for _, r := range a.Risks {
		if !seen[r.ID] && r.Status != StatusClosed {
			_, from, _ := rank(a.Scale, r)
			c.Risks = append(c.Risks, RiskChange{RiskID: r.ID, Title: r.Title, Kind: "closed", From: from})
		}
	}
	for _, ch := range c.Risks {
		switch ch.Kind {
		case "new":
			c.New++
		case "closed":
			c.Closed++
		case "raised":
			c.Raised++
		case "lowered":
			c.Lowered++
		default:
			c.Unchanged++
		}
	}
	assetsBefore := map[int64]Asset{}
	for _, x := range a.Assets {
		assetsBefore[x.ID] = x
	}
	assetSeen := map[int64]bool{}
	for _, x := range b.Assets {
		assetSeen[x.ID] = true
		old, ok := assetsBefore[x.ID]
		switch {
		case !ok:
			c.Assets = append(c.Assets, AssetChange{x.ID, x.Name, "added"})
		case old.Version != x.Version:
			c.Assets = append(c.Assets, AssetChange{x.ID, x.Name, "changed"})
		}
	}
	for _, x := range a.Assets {
		if !assetSeen[x.ID] {
			c.Assets = append(c.Assets, AssetChange{x.ID, x.Name, "removed"})
		}
	}
	order := map[string]int{"new": 0, "raised": 1, "closed": 2, "lowered": 3, "unchanged": 4}
	slices.SortStableFunc(c.Risks, func(x, y RiskChange) int { return order[x.Kind] - order[y.Kind] })
	return c
}

// Trigger is why a new risk analysis is due.
type Trigger struct {
	Kind   string `json:"kind"` // never, annual, new_system, new_location, hosting_change, inventory_review
	Reason string `json:"reason"`
}

// Due lists why a new analysis is due at now, given the one last in effect
// (nil when none was finalised) and the inventory as it is: a year has
// passed; an asset was added, or a system's hosting changed, since the
// analysis was signed off. proposed is true under the proposed rule's
// profile, where the inventory and network map are reviewed at least every
// twelve months: an asset not reviewed for a year is named.
func Due(last *Analysis, assets []Asset, now time.Time, proposed bool) []Trigger {
	out := []Trigger{}
	if last == nil || last.Snapshot == nil {
		return append(out, Trigger{"never", "no risk analysis has been signed off yet"})
	}
	if due := last.FinalisedAt.AddDate(1, 0, 0); !now.Before(due) {
		out = append(out, Trigger{"annual", fmt.Sprintf("a year has passed since %q was signed off on %s", last.Name, last.FinalisedAt.Format("2 January 2006"))})
	}
	then := map[int64]Asset{}
	for _, a := range last.Snapshot.Assets {
		then[a.ID] = a
	}
	for _, a := range assets {
		if a.Lifecycle == LifecycleRetired {
			continue
		}
		old, ok := then[a.ID]
		switch {
		case !ok && a.Kind.Class() == ClassPlace:
			out = append(out, Trigger{"new_location", fmt.Sprintf("%s was added after %q was signed off", a.Name, last.Name)})
		case !ok:
			out = append(out, Trigger{"new_system", fmt.Sprintf("%s was added after %q was signed off", a.Name, last.Name)})
		case old.Hosting != a.Hosting:
			out = append(out, Trigger{"hosting_change", fmt.Sprintf("%s moved from %s to %s", a.Name, strings.ToLower(old.Hosting.Label()), strings.ToLower(a.Hosting.Label()))})
		}
		if proposed && (a.Reviewed.IsZero() || now.Sub(a.Reviewed) > 365*24*time.Hour) {
			out = append(out, Trigger{"inventory_review", fmt.Sprintf("%s has not been reviewed in the last twelve months (the proposed rule asks for a yearly review of the inventory)", a.Name)})
		}
	}
	return out
}
