package riskweb

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Suggested risks: what the inventory and the assessment point to that the
// register does not hold yet (risk.Suggest) — portable devices holding ePHI
// that are not encrypted, flows of ePHI not encrypted in transit, and every
// gap of the assessment — each with an "Add this risk" link to the new-risk
// form filled from it. A risk made from a suggestion keeps its key, so the
// suggestion goes once the risk is in the register. They are listed on a
// page of their own (GET /orgs/{org}/risks/suggested); the register shows
// only how many there are, with a link.

// suggestPage bounds what is read for suggestions: the first hundred
// exposed assets and flows (by name and by age). A hospital with more sees
// the rest come up as these are added to the register.
const suggestPage = 100

// suggestionRow is one suggestion as the suggestions page shows it.
type suggestionRow struct {
	Title  string
	Reason string
	Assets []string
	Threat string
	// AddURL is the new-risk form filled from the suggestion ("" for a
	// reader who may not add risks).
	AddURL string
}

// suggestionGroup is one kind of suggestion on the suggestions page.
type suggestionGroup struct {
	ID, Title, Hint string
	Rows            []suggestionRow
}

// suggestedView is the suggested-risks page.
type suggestedView struct {
	web.Page
	Org    identity.Org
	Groups []suggestionGroup
	Total  int
	// Capped is set when the inventory read for suggestions was cut at
	// suggestPage devices or flows: there may be more.
	Capped bool
	// Sheet names the assessment the gaps come from ("" for none).
	Sheet    string
	CanWrite bool
}

// suggestions lists what the organisation's inventory and its current
// assessment suggest and no risk was made from yet. They are worked out
// once a request (n keeps them): a new risk's form made from a suggestion
// reads them twice.
func (h *Handler) suggestions(n *regNames) ([]risk.Suggestion, *assess.Sheet, error) {
	if n.suggestedRead {
		return n.suggested, n.sheet, nil
	}
	ss, sheet, err := h.suggest(n.ctx, n)
	if err != nil {
		return nil, nil, err
	}
	n.suggested, n.suggestedRead = ss, true
	return ss, sheet, nil
}

func (h *Handler) suggest(ctx context.Context, n *regNames) ([]risk.Suggestion, *assess.Sheet, error) {
	db, orgID := h.s.DB(), n.org.ID
	assets, _, err := db.Assets(ctx, orgID, store.AssetFilter{EPHIOnly: true, Unencrypted: true}, store.Page{Limit: suggestPage})
	if err != nil {
		return nil, nil, err
	}
	flows, _, err := db.Flows(ctx, orgID, store.FlowFilter{Unencrypted: true}, store.Page{Limit: suggestPage})
	if err != nil {
		return nil, nil, err
	}
	n.suggestCapped = len(assets) == suggestPage || len(flows) == suggestPage
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
	sheet, err := h.sheetOf(n)
	if err != nil {
		return nil, nil, err
	}
	taken, err := db.SuggestionKeys(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	return risk.Suggest(n.lib, assets, flows, sheet, taken), sheet, nil
}

// sheetOf is currentSheet read once a request.
func (h *Handler) sheetOf(n *regNames) (*assess.Sheet, error) {
	if n.sheetRead {
		return n.sheet, nil
	}
	sh, err := h.currentSheet(n.ctx, n.org.ID)
	if err != nil {
		return nil, err
	}
	n.sheet, n.sheetRead = sh, true
	return sh, nil
}

// currentSheet is the assessment whose gaps are suggested: the newest one
// in draft or in review, else the last finalised one; nil when there is
// none.
func (h *Handler) currentSheet(ctx context.Context, orgID int64) (*assess.Sheet, error) {
	return h.s.DB().CurrentSheet(ctx, orgID)
}

// suggestionCount is how many risks are suggested, for the register's
// link to the suggestions page.
func (h *Handler) suggestionCount(n *regNames) (int, error) {
	ss, _, err := h.suggestions(n)
	return len(ss), err
}

// suggestionKinds names the groups of the suggestions page, by the prefix
// of the suggestions' keys.
var suggestionKinds = []suggestionGroup{
	{ID: "asset", Title: "Devices holding ePHI that are not encrypted", Hint: "A lost or stolen device gives away what it holds unless it is encrypted."},
	{ID: "flow", Title: "ePHI sent without encryption", Hint: "What travels unencrypted can be read on the way."},
	{ID: "gap", Title: "Gaps of the assessment", Hint: "Safeguards the assessment says are missing or only partly in place."},
}

func (h *Handler) suggestedPage(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	n, err := h.regNames(r)
	if err != nil {
		return err
	}
	ss, sheet, err := h.suggestions(n)
	if err != nil {
		return err
	}
	v := &suggestedView{Page: web.Page{Title: "Suggested risks", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "Risk register", URL: "/orgs/" + a.Org.Slug + "/risks"}, web.Crumb{Label: "Suggested risks"})},
		Org: a.Org, Total: len(ss), CanWrite: a.Allows(identity.PermOrgWrite)}
	if sheet != nil {
		v.Sheet = sheet.Assessment.Name
	}
	// One read for the names of every suggestion's assets.
	var ids []int64
	for _, s := range ss {
		ids = append(ids, s.AssetIDs...)
	}
	if err := n.loadAssets(ids); err != nil {
		return err
	}
	v.Groups = slices.Clone(suggestionKinds)
	for _, s := range ss {
		row := suggestionRow{Title: s.Title, Reason: s.Reason, Assets: n.assetNames(s.AssetIDs)}
		if s.Threat != "" {
			row.Threat = n.threat(s.Threat)
		}
		if v.CanWrite {
			row.AddURL = "/orgs/" + n.org.Slug + "/risks/new?suggestion=" + url.QueryEscape(s.Key)
		}
		kind, _, _ := strings.Cut(s.Key, ":")
		i := slices.IndexFunc(v.Groups, func(g suggestionGroup) bool { return g.ID == kind })
		if i < 0 {
			v.Groups = append(v.Groups, suggestionGroup{ID: kind, Title: "Other suggestions"})
			i = len(v.Groups) - 1
		}
		v.Groups[i].Rows = append(v.Groups[i].Rows, row)
	}
	v.Capped = n.suggestCapped
	v.Groups = slices.DeleteFunc(v.Groups, func(g suggestionGroup) bool { return len(g.Rows) == 0 })
	h.s.Render(w, r, http.StatusOK, "risk_suggested", v)
	return nil
}

// suggested fills a new risk from the suggestion keyed key; the suggestion
// is nil when key is no longer suggested (its risk is in the register).
func (h *Handler) suggested(r *http.Request, n *regNames, key string) (risk.Risk, *risk.Suggestion, error) {
	rk := risk.Risk{ScaleID: n.scale.ID}
	ss, sheet, err := h.suggestions(n)
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
