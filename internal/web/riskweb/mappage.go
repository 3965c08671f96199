package riskweb

import (
	"html/template"
	"net/http"
	"slices"
	"strconv"

	"github.com/safeguard-health/safeguard/internal/draw"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The data-flow map page: where ePHI lives and moves, drawn on the server
// (draw.FlowMap) with its text alternative, grouped and filtered as the reader
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
	Flows    []draw.MapFlow
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
		v.GroupBy = string(draw.GroupByPlace)
	}
	if f := q.Get("focus"); f != "" {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			v.Problem = "The asset to focus on is not an asset of this organisation."
		}
		v.Focus = id
	}
	counts, err := h.s.DB().AssetCounts(r.Context(), a.Org.ID)
	if err != nil {
		return err
	}
	for _, n := range counts {
		v.Count += n
	}
	var assets []risk.Asset
	var flows []risk.Flow
	switch {
	case v.Focus != 0:
		// One asset and its neighbours: its flows and the assets at their
		// other ends (with the places they are in), read by index however
		// large the inventory.
		if assets, flows, err = h.neighbourhood(r, a.Org.ID, v.Focus); err != nil {
			return err
		}
		if len(assets) == 0 {
			v.Problem = "The asset to focus on is not an asset of this organisation."
			v.Focus = 0
		}
	case v.Count > mapAssetLimit && !v.Exposure:
		v.TooMany = true
	default:
		complete := false
		f := store.AssetFilter{EPHIOnly: v.OnlyEPHI, Unencrypted: v.Exposure}
		if assets, complete, err = h.mapAssets(r, a.Org.ID, f); err != nil {
			return err
		}
		if !complete {
			v.TooMany = true
			break
		}
		if flows, err = h.mapFlows(r, a.Org.ID, store.FlowFilter{Unencrypted: v.Exposure}); err != nil {
			return err
		}
		if v.Exposure {
			// The ends of unencrypted flows are drawn even when the asset
			// itself is encrypted.
			if assets, err = h.withEnds(r, a.Org.ID, assets, flows); err != nil {
				return err
			}
		}
	}
	if v.Count <= inlineMapLimit*4 {
		// Offer every asset to focus on while the list stays short; a
		// larger inventory focuses from an asset's own page.
		if v.Assets, _, err = h.mapAssets(r, a.Org.ID, store.AssetFilter{}); err != nil {
			return err
		}
	}
	if v.TooMany {
		h.s.Render(w, r, http.StatusOK, "risk_map", v)
		return nil
	}
	m, err := draw.FlowMap(assets, flows, draw.MapOptions{Title: "Where " + a.Org.Name + "'s ePHI lives and moves", GroupBy: draw.GroupBy(v.GroupBy),
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

// neighbourhood reads asset id, its flows, the assets at their other ends
// and the places those are in.
func (h *Handler) neighbourhood(r *http.Request, orgID, id int64) ([]risk.Asset, []risk.Flow, error) {
	flows, err := h.mapFlows(r, orgID, store.FlowFilter{AssetID: id})
	if err != nil {
		return nil, nil, err
	}
	assets, err := h.withEnds(r, orgID, nil, append(flows, risk.Flow{From: risk.Endpoint{AssetID: id}}))
	if err != nil {
		return nil, nil, err
	}
	if !slices.ContainsFunc(assets, func(a risk.Asset) bool { return a.ID == id }) {
		return nil, nil, nil
	}
	return assets, flows, nil
}

// withEnds adds to assets the assets at the ends of flows, and the places
// they are in, that it lacks.
func (h *Handler) withEnds(r *http.Request, orgID int64, assets []risk.Asset, flows []risk.Flow) ([]risk.Asset, error) {
	have := map[int64]bool{}
	for _, a := range assets {
		have[a.ID] = true
	}
	var want []int64
	for _, f := range flows {
		for _, e := range []risk.Endpoint{f.From, f.To} {
			if e.AssetID != 0 && !have[e.AssetID] {
				want = append(want, e.AssetID)
				have[e.AssetID] = true
			}
		}
	}
	for range 2 { // the ends, then the places they are in
		if len(want) == 0 {
			break
		}
		more, err := h.s.DB().AssetsByID(r.Context(), orgID, want)
		if err != nil {
			return nil, err
		}
		assets = append(assets, more...)
		want = want[:0]
		for _, a := range more {
			if a.PlaceID != 0 && !have[a.PlaceID] {
				want = append(want, a.PlaceID)
				have[a.PlaceID] = true
			}
		}
	}
	return assets, nil
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
	flows, err := h.mapFlows(r, org.ID, store.FlowFilter{})
	if err != nil {
		return "", err
	}
	m, err := draw.FlowMap(assets, flows, draw.MapOptions{Title: "Where " + org.Name + "'s ePHI lives and moves"})
	if err != nil {
		return "", err
	}
	return m.SVG, nil
}

// mapAssets reads up to mapAssetLimit assets matching f; complete is
// false when there are more.
func (h *Handler) mapAssets(r *http.Request, orgID int64, f store.AssetFilter) ([]risk.Asset, bool, error) {
	return store.Collect(func(p store.Page) ([]risk.Asset, *store.Key, error) {
		return h.s.DB().Assets(r.Context(), orgID, f, p)
	}, mapAssetLimit)
}

// mapFlows reads the organisation's flows matching f, up to four per asset
// drawn at most.
func (h *Handler) mapFlows(r *http.Request, orgID int64, f store.FlowFilter) ([]risk.Flow, error) {
	list, _, err := store.Collect(func(p store.Page) ([]risk.Flow, *store.Key, error) {
		return h.s.DB().Flows(r.Context(), orgID, f, p)
	}, 4*mapAssetLimit)
	return list, err
}
