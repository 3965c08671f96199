package risk

import (
	"fmt"
	"slices"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
)

// Suggestion is a risk the inventory or the assessment points to, for a
// person to confirm, rate and add to the register.
type Suggestion struct {
	// Key identifies the suggestion across calls ("asset:12:device_theft",
	// "flow:7", "gap:164.312(b)"); a risk made from it keeps it, so it is
	// not suggested again.
	Key           string   `json:"key"`
	Title         string   `json:"title"`
	AssetIDs      []int64  `json:"asset_ids"`
	Threat        string   `json:"threat,omitempty"`
	Vulnerability string   `json:"vulnerability,omitempty"`
	Reason        string   `json:"reason"`
	Entries       []string `json:"entries,omitempty"`
}

// Suggest lists the risks that assets, flows and the assessment sheet (nil
// when there is none) point to and that no risk of the register was made
// from yet (taken holds their suggestion keys):
//
//   - a portable device holding ePHI that is not known to be encrypted:
//     theft or loss of the device;
//   - a flow of ePHI not known to be encrypted in transit: interception;
//   - every gap of the assessment — a required standard or specification
//     partially or not implemented, or an addressable one decided
//     "neither" — so that each lands in the register, with the threat and
//     vulnerability of the library that name its entry where one does.
func Suggest(lib Library, assets []Asset, flows []Flow, sheet *assess.Sheet, taken []string) []Suggestion {
	out := []Suggestion{}
	used := make(map[string]bool, len(taken))
	for _, k := range taken {
		used[k] = true
	}
	add := func(s Suggestion) {
		if !used[s.Key] {
			out = append(out, s)
		}
	}
	names := map[int64]string{}
	for _, a := range assets {
		names[a.ID] = a.Name
	}
	for _, a := range assets {
		if a.Lifecycle == LifecycleRetired || !a.Portable() || !a.HoldsEPHI() || !a.AtRest.Exposed() {
			continue
		}
		for _, threat := range []string{"device_theft", "device_loss"} {
			t, _ := lib.Threat(threat)
			add(Suggestion{Key: fmt.Sprintf("asset:%d:%s", a.ID, threat), Title: fmt.Sprintf("%s of %s", t.Title, a.Name),
				AssetIDs: []int64{a.ID}, Threat: threat, Vulnerability: "no_encryption_at_rest",
				Reason:  fmt.Sprintf("%s holds ePHI and is %s.", a.Name, exposure(a.AtRest)),
				Entries: []string{"164.312(a)(2)(iv)", "164.310(d)(1)"}})
		}
	}
	for _, f := range flows {
		if !f.InTransit.Exposed() {
			continue
		}
		var ids []int64
		for _, e := range []Endpoint{f.From, f.To} {
			if e.AssetID != 0 {
				ids = append(ids, e.AssetID)
			}
		}
		add(Suggestion{Key: fmt.Sprintf("flow:%d", f.ID),
			Title:    fmt.Sprintf("Interception of ePHI sent from %s to %s", f.From.Name(names), f.To.Name(names)),
			AssetIDs: ids, Threat: "interception", Vulnerability: "no_encryption_in_transit",
			Reason:  fmt.Sprintf("ePHI goes by %s and is %s in transit.", strings.ToLower(f.Channel.Label()), exposure(f.InTransit)),
			Entries: []string{"164.312(e)(1)", "164.312(e)(2)(ii)"}})
	}
	if sheet == nil {
		return out
	}
	for _, e := range sheet.Assessment.Entries {
		if !e.Assessable() {
			continue
		}
		r, _ := sheet.Response(e.Citation)
		d, decided := sheet.Decision(e.Citation)
		var why string
		switch {
		case e.Requirement == catalog.Addressable && decided && d.Outcome == catalog.OutcomeNotImplemented:
			why = "The assessment records that neither the specification nor an alternative is implemented."
		case e.Requirement == catalog.Required && assess.NeedsPlan(r):
			why = fmt.Sprintf("The assessment answers it %q.", strings.ToLower(r.Status.Label()))
		default:
			continue
		}
		s := Suggestion{Key: "gap:" + e.Citation, Title: fmt.Sprintf("Gap: %s %s", e.Citation, e.Title), AssetIDs: []int64{},
			Reason: why, Entries: []string{e.Citation}}
		if i := slices.IndexFunc(lib.Vulnerabilities, func(v Vulnerability) bool { return slices.Contains(v.Entries, e.Citation) }); i >= 0 {
			s.Vulnerability = lib.Vulnerabilities[i].Key
		}
		if i := slices.IndexFunc(lib.Threats, func(t Threat) bool { return slices.Contains(t.Entries, e.Citation) }); i >= 0 {
			s.Threat = lib.Threats[i].Key
		}
		add(s)
	}
	return out
}

// exposure is an encryption state that leaves data readable, in words that
// follow "is" ("not known to be encrypted").
func exposure(e Encryption) string {
	if e == EncryptionUnknown {
		return "not known to be encrypted"
	}
	return strings.ToLower(e.Label())
}
