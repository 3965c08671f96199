package riskweb

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The data-flow map page: where ePHI lives and moves, drawn on the server
// (DrawMap) with its text alternative, grouped and filtered as the reader
// asks. The inventory page shows the same map, unfiltered, for a small
// inventory.

// mapAssetLimit bounds what one map reads and draws. Beyond it the page asks
// for a filter (only ePHI, only unencrypted, or one asset and its
// neighbours) instead of drawing thousands of boxes nobody can read.
const mapAssetLimit = 1500

// inlineMapLimit is the largest inventory whose map the inventory page
// draws itself; larger ones link to the map page.
const inlineMapLimit = 150

type mapView struct {
	web.Page
	Org      identity.Org
	Map      template.HTML
	Flows    []MapFlow
	Exposed  []string
	Desc     string
	GroupBy  string
	OnlyEPHI bool
	Exposure bool
	Focus    int64
	Assets   []risk.Asset
	// TooMany is set when the inventory is too large to draw unfiltered.
	TooMany bool
	Count   int
	Problem string
}

func (h *Handler) mapPage(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	q := r.URL.Query()
	v := &mapView{Page: web.Page{Title: "Data-flow map", Breadcrumbs: web.OrgCrumbs(a, web.Crumb{Label: "ePHI inventory", URL: "/orgs/" + a.Org.Slug + "/inventory"}, web.Crumb{Label: "Data-flow map"})},
		Org: a.Org, GroupBy: q.Get("group"), OnlyEPHI: q.Get("ephi") == "1", Exposure: q.Get("exposed") == "1"}
	if v.GroupBy == "" {
		v.GroupBy = string(GroupByPlace)
	}
	if f := q.Get("focus"); f != "" {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			v.Problem = "The asset to focus on is not an asset of this organisation."
		}
		v.Focus = id
	}
	assets, complete, err := h.mapAssets(r, a.Org.ID, store.AssetFilter{EPHIOnly: v.OnlyEPHI})
	if err != nil {
		return err
	}
	v.Assets, v.Count = assets, len(assets)
	if !complete && v.Focus == 0 && !v.Exposure {
		v.TooMany = true
		h.s.Render(w, r, http.StatusOK, "risk_map", v)
		return nil
	}
	flows, err := h.mapFlows(r, a.Org.ID)
	if err != nil {
		return err
	}
	m, err := DrawMap(assets, flows, MapOptions{Title: "Where " + a.Org.Name + "'s ePHI lives and moves", GroupBy: GroupBy(v.GroupBy),
		OnlyEPHI: v.OnlyEPHI, OnlyExposed: v.Exposure, Focus: v.Focus})
	if err != nil {
		v.Problem = "The map cannot be drawn with these choices: " + err.Error()
		h.s.Render(w, r, http.StatusUnprocessableEntity, "risk_map", v)
		return nil
	}
	v.Map, v.Flows, v.Exposed, v.Desc = m.SVG, m.Flows, m.Exposed, m.Desc
	h.s.Render(w, r, http.StatusOK, "risk_map", v)
	return nil
}

// inlineMap draws the inventory page's map when the inventory is small.
func (h *Handler) inlineMap(r *http.Request, org identity.Org, total int) (template.HTML, error) {
	if total == 0 || total > inlineMapLimit {
		return "", nil
	}
	assets, _, err := h.mapAssets(r, org.ID, store.AssetFilter{})
	if err != nil {
		return "", err
	}
	flows, err := h.mapFlows(r, org.ID)
	if err != nil {
		return "", err
	}
	m, err := DrawMap(assets, flows, MapOptions{Title: "Where " + org.Name + "'s ePHI lives and moves"})
	if err != nil {
		return "", err
	}
	return m.SVG, nil
}

// mapAssets reads up to mapAssetLimit assets, page by page; complete is
// false when there are more.
func (h *Handler) mapAssets(r *http.Request, orgID int64, f store.AssetFilter) ([]risk.Asset, bool, error) {
	var out []risk.Asset
	p := store.Page{Limit: store.MaxPageLimit}
	for {
		list, next, err := h.s.DB().Assets(r.Context(), orgID, f, p)
		if err != nil {
			return nil, false, err
		}
		out = append(out, list...)
		if next == nil {
			return out, true, nil
		}
		if len(out) >= mapAssetLimit {
			return out, false, nil
		}
		p.After = *next
	}
}

// mapFlows reads the organisation's flows, page by page, up to four per
// asset drawn at most.
func (h *Handler) mapFlows(r *http.Request, orgID int64) ([]risk.Flow, error) {
	var out []risk.Flow
	p := store.Page{Limit: store.MaxPageLimit}
	for {
		list, next, err := h.s.DB().Flows(r.Context(), orgID, store.FlowFilter{}, p)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
		if next == nil || len(out) >= 4*mapAssetLimit {
			return out, nil
		}
		p.After = *next
	}
}
