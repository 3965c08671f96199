package orgweb

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/safeguard-health/safeguard/internal/draw"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
)

// The risk part of the organisation's start page: its highest risks, the
// current heat map, and what the plan has overdue or expiring — all counted
// in SQL (store.TopRisks, HeatMap, PlanCounts), with links to the register
// and the plan.

// topRisksShown is how many of the highest risks the start page names.
const topRisksShown = 5

type riskDashboard struct {
	// Total counts the risks that are not closed.
	Total int
	Top   []topRisk
	// HeatMap is the current heat map, each cell linked to its risks.
	HeatMap     template.HTML
	Plan        store.PlanCounts
	RegisterURL string
	PlanURL     string
	// Changes are the changes since the last signed-off analysis; nil
	// when none was signed off.
	Changes *riskChanges
}

// liveCompareLimit bounds the start page's comparison: an organisation with
// more risks or assets than this (a hospital) gets a link to the analyses
// page instead of a comparison read on every visit.
const liveCompareLimit = 2000

// riskChanges counts what changed since the last signed-off analysis
// (risk.Compare of its snapshot and the live state).
type riskChanges struct {
	Analysis    string
	AnalysisURL string
	AnalysesURL string
	Since       string
	// TooLarge is set when the organisation is too large to compare here.
	TooLarge                     bool
	New, Closed, Raised, Lowered int
	AssetsAdded, AssetsRemoved   int
}

// Any reports whether anything changed.
func (c riskChanges) Any() bool {
	return c.New+c.Closed+c.Raised+c.Lowered+c.AssetsAdded+c.AssetsRemoved > 0
}

// changesSinceLast compares the organisation's last signed-off analysis
// with the live state; nil when none was signed off.
func (h *Handler) changesSinceLast(r *http.Request, orgID int64, slug string) (*riskChanges, error) {
	ctx := r.Context()
	db := h.s.DB()
	last, ok, err := db.LastAnalysis(ctx, orgID)
	if err != nil || !ok || last.Status != risk.AnalysisFinal || last.Snapshot == nil {
		return nil, err
	}
	c := &riskChanges{Analysis: last.Name, AnalysisURL: fmt.Sprintf("/orgs/%s/analyses/%d", slug, last.ID), AnalysesURL: "/orgs/" + slug + "/analyses",
		Since: last.FinalisedAt.Format("2 January 2006")}
	live, ok, err := db.LiveSnapshot(ctx, orgID, liveCompareLimit)
	if err != nil {
		return nil, err
	}
	if !ok {
		c.TooLarge = true
		return c, nil
	}
	cmp := risk.Compare(*last.Snapshot, live)
	c.New, c.Closed, c.Raised, c.Lowered = cmp.New, cmp.Closed, cmp.Raised, cmp.Lowered
	for _, a := range cmp.Assets {
		switch a.Kind {
		case "added":
			c.AssetsAdded++
		case "removed":
			c.AssetsRemoved++
		}
	}
	return c, nil
}

type topRisk struct {
	Title, URL string
	Level      string
	Colour     string
	Assets     string
}

func (h *Handler) riskDashboard(r *http.Request, orgID int64, slug string) (*riskDashboard, error) {
	ctx := r.Context()
	db := h.s.DB()
	base := "/orgs/" + slug + "/risks"
	d := &riskDashboard{RegisterURL: base, PlanURL: "/orgs/" + slug + "/plan"}
	var err error
	if d.Changes, err = h.changesSinceLast(r, orgID, slug); err != nil {
		return nil, err
	}
	hm, err := db.HeatMap(ctx, orgID, "current")
	if err != nil {
		return nil, err
	}
	d.Total = hm.Total + hm.OtherScales
	d.HeatMap = draw.HeatMap(hm.Scale, hm.Counts, func(l, i int) string {
		return fmt.Sprintf("%s?which=current&likelihood=%d&impact=%d#list-h", base, l, i)
	}, "Current risk (with the measures in place)")
	if d.Plan, err = db.PlanCounts(ctx, orgID, db.Now()); err != nil {
		return nil, err
	}
	top, err := db.TopRisks(ctx, orgID, topRisksShown)
	if err != nil {
		return nil, err
	}
	scales, err := db.Scales(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, rk := range top {
		ids = append(ids, rk.AssetIDs...)
	}
	names, err := db.AssetNames(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	for _, rk := range top {
		t := topRisk{Title: rk.Title, URL: fmt.Sprintf("%s/%d", base, rk.ID), Level: "Not rated", Colour: "#9e9e9e"}
		sc := hm.Scale
		for _, s := range scales {
			if s.ID == rk.ScaleID {
				sc = s
			}
		}
		if lv, ok := sc.Level(rk.Current); ok {
			t.Level, t.Colour = sc.Levels[lv].Label, sc.Levels[lv].Colour
		}
		for i, id := range rk.AssetIDs {
			if i > 0 {
				t.Assets += ", "
			}
			t.Assets += names[id]
		}
		d.Top = append(d.Top, t)
	}
	return d, nil
}
