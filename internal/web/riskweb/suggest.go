package riskweb

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Suggested risks: what the inventory and the assessment point to that the
// register does not hold yet (risk.Suggest) — portable devices holding ePHI
// that are not encrypted, flows of ePHI not encrypted in transit, and every
// gap of the assessment — each with an "Add this risk" link to the new-risk
// form filled from it. A risk made from a suggestion keeps its key, so the
// suggestion goes once the risk is in the register.

// suggestionsShown is how many suggestions the register lists before
// folding the rest away.
const suggestionsShown = 10

// suggestionsListed bounds the suggestions one page renders.
const suggestionsListed = 25

// suggestPage bounds what is read for suggestions: the first hundred
// exposed assets and flows (by name and by age). A hospital with more sees
// the rest come up as these are added to the register.
const suggestPage = 100

// suggestionRow is one suggestion as the register shows it.
type suggestionRow struct {
	Title  string
	Reason string
	Assets []string
	Threat string
	// AddURL is the new-risk form filled from the suggestion ("" for a
	// reader who may not add risks).
	AddURL string
}

// suggestionList is the register's "Suggested from your inventory and
// assessment" section.
type suggestionList struct {
	Shown []suggestionRow
	More  []suggestionRow
	// Unlisted counts the suggestions beyond suggestionsListed, which the
	// page does not render: a hospital's inventory can point to thousands,
	// and they come up as the ones listed are added.
	Unlisted int
	// Sheet names the assessment the gaps come from ("" for none).
	Sheet string
}

// suggestions lists what the organisation's inventory and its current
// assessment suggest and no risk was made from yet.
func (h *Handler) suggestions(ctx context.Context, orgID int64, lib risk.Library) ([]risk.Suggestion, *assess.Sheet, error) {
	db := h.s.DB()
	assets, _, err := db.Assets(ctx, orgID, store.AssetFilter{EPHIOnly: true, Unencrypted: true}, store.Page{Limit: suggestPage})
	if err != nil {
		return nil, nil, err
	}
	flows, _, err := db.Flows(ctx, orgID, store.FlowFilter{Unencrypted: true}, store.Page{Limit: suggestPage})
	if err != nil {
		return nil, nil, err
	}
	// The flows' ends are named after their assets, which need not be
	// among the exposed ones read above.
	have := make(map[int64]bool, len(assets))
	for _, a := range assets {
		have[a.ID] = true
	}
	var ends []int64
	for _, f := range flows {
		for _, e := range []risk.Endpoint{f.From, f.To} {
			if e.AssetID != 0 && !have[e.AssetID] {
				ends = append(ends, e.AssetID)
				have[e.AssetID] = true
			}
		}
	}
	names, err := db.AssetNames(ctx, orgID, ends)
	if err != nil {
		return nil, nil, err
	}
	for id, name := range names {
		assets = append(assets, risk.Asset{ID: id, Name: name})
	}
	sheet, err := h.currentSheet(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	taken, err := db.SuggestionKeys(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	return risk.Suggest(lib, assets, flows, sheet, taken), sheet, nil
}

// currentSheet is the assessment whose gaps are suggested: the newest one
// in draft or in review, else the last finalised one; nil when there is
// none.
func (h *Handler) currentSheet(ctx context.Context, orgID int64) (*assess.Sheet, error) {
	as, err := h.s.DB().Assessments(ctx, orgID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(as, func(a assess.Assessment) bool { return a.Status != assess.StatusFinal })
	if i < 0 {
		i = slices.IndexFunc(as, func(a assess.Assessment) bool { return a.Status == assess.StatusFinal })
	}
	if i < 0 {
		return nil, nil
	}
	sh, err := h.s.DB().AssessmentSheet(ctx, orgID, as[i].ID)
	if err != nil {
		return nil, err
	}
	return &sh, nil
}

// suggestionListOf builds the register's section; canWrite adds the links.
func (h *Handler) suggestionListOf(r *http.Request, n *regNames, canWrite bool) (suggestionList, error) {
	ss, sheet, err := h.suggestions(r.Context(), n.org.ID, n.lib)
	if err != nil {
		return suggestionList{}, err
	}
	var l suggestionList
	if sheet != nil {
		l.Sheet = sheet.Assessment.Name
	}
	if len(ss) > suggestionsListed {
		l.Unlisted = len(ss) - suggestionsListed
		ss = ss[:suggestionsListed]
	}
	// One read for the names of every listed suggestion's assets.
	var ids []int64
	for _, s := range ss {
		ids = append(ids, s.AssetIDs...)
	}
	if err := n.loadAssets(ids); err != nil {
		return suggestionList{}, err
	}
	for i, s := range ss {
		row := suggestionRow{Title: s.Title, Reason: s.Reason, Assets: n.assetNames(s.AssetIDs)}
		if s.Threat != "" {
			row.Threat = n.threat(s.Threat)
		}
		if canWrite {
			row.AddURL = "/orgs/" + n.org.Slug + "/risks/new?suggestion=" + url.QueryEscape(s.Key)
		}
		if i < suggestionsShown {
			l.Shown = append(l.Shown, row)
		} else {
			l.More = append(l.More, row)
		}
	}
	return l, nil
}

// suggested fills a new risk from the suggestion keyed key; the suggestion
// is nil when key is no longer suggested (its risk is in the register).
func (h *Handler) suggested(r *http.Request, n *regNames, key string) (risk.Risk, *risk.Suggestion, error) {
	rk := risk.Risk{ScaleID: n.scale.ID}
	ss, sheet, err := h.suggestions(r.Context(), n.org.ID, n.lib)
	if err != nil {
		return rk, nil, err
	}
	i := slices.IndexFunc(ss, func(s risk.Suggestion) bool { return s.Key == key })
	if i < 0 {
		return rk, nil, nil
	}
	s := ss[i]
	rk.Title, rk.AssetIDs, rk.Threat, rk.Vulnerability, rk.Suggestion = s.Title, s.AssetIDs, s.Threat, s.Vulnerability, s.Key
	// The measures in place are the suggestion's entries that the
	// assessment answers implemented, in part or in full.
	for _, c := range s.Entries {
		if sheet == nil {
			break
		}
		if resp, ok := sheet.Response(c); ok && (resp.Status == assess.Implemented || resp.Status == assess.Partial) {
			rk.Measures = append(rk.Measures, c)
		}
	}
	return rk, &s, nil
}
