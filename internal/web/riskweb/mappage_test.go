package riskweb

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// The data-flow map: drawn on the inventory page for a small inventory, and
// on its own page with grouping, filters, focus and the map in words; an
// unencrypted flow and an unencrypted device holding ePHI are marked in
// both the drawing and the words.
func TestMapPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newInventoryFixture(t, db)
		ctx := context.Background()
		actor := store.Actor{Name: "test"}
		site, err := db.CreateAsset(ctx, actor, f.org.ID, risk.Asset{Name: "Main clinic", Kind: "site"})
		if err != nil {
			t.Fatal(err)
		}
		ehr, err := db.CreateAsset(ctx, actor, f.org.ID, risk.Asset{Name: "Cloud EHR", Kind: "ehr", Hosting: risk.HostingCloud, AtRest: risk.EncryptionYes, Use: risk.Use{Maintains: true}})
		if err != nil {
			t.Fatal(err)
		}
		drive, err := db.CreateAsset(ctx, actor, f.org.ID, risk.Asset{Name: "Backup drive", Kind: "removable_media", PlaceID: site.ID, AtRest: risk.EncryptionNo, Use: risk.Use{Maintains: true}, Records: 6000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateFlow(ctx, actor, f.org.ID, risk.Flow{From: risk.Endpoint{AssetID: ehr.ID}, To: risk.Endpoint{AssetID: drive.ID}, Channel: "sync", InTransit: risk.EncryptionNo}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateFlow(ctx, actor, f.org.ID, risk.Flow{From: risk.Endpoint{AssetID: ehr.ID}, To: risk.Endpoint{Party: "Valley Labs"}, Channel: "hl7", InTransit: risk.EncryptionYes}); err != nil {
			t.Fatal(err)
		}

		w := f.lena.Get(t, "/orgs/riverside/inventory")
		webtest.WantPage(t, w, http.StatusOK, `<svg`, `class="risk-map"`, "Backup drive", "Open the map")
		w = f.lena.Get(t, "/orgs/riverside/map")
		webtest.WantPage(t, w, http.StatusOK, `class="risk-map"`, `id="map-flows"`, `id="map-exposed"`, "Valley Labs", "Cloud services", "Main clinic")
		words := w.Body.String()[strings.Index(w.Body.String(), `id="map-text-h"`):]
		if !strings.Contains(words, "Backup drive") || !strings.Contains(words, "not encrypted") {
			t.Errorf("the map in words does not name the unencrypted drive and flow:\n%s", words)
		}
		w = f.lena.Get(t, fmt.Sprintf("/orgs/riverside/map?exposed=1&group=hosting&focus=%d", drive.ID))
		webtest.WantPage(t, w, http.StatusOK, `class="risk-map"`, "Backup drive")
		if strings.Contains(w.Body.String(), "Valley Labs</text>") {
			t.Error("showing only what is unencrypted still draws the encrypted lab flow")
		}
		webtest.WantPage(t, f.lena.Get(t, "/orgs/riverside/map?focus=abc"), http.StatusOK, "not an asset of this organisation")
		webtest.WantPage(t, f.lena.Get(t, "/orgs/riverside/map?group=colour"), http.StatusUnprocessableEntity, "cannot be drawn")
		if w := f.eve.Get(t, "/orgs/riverside/map"); w.Code != http.StatusNotFound {
			t.Errorf("another organisation's map = %d, want 404", w.Code)
		}
		if strings.Contains(f.eve.Get(t, "/orgs/other/map").Body.String(), "Backup drive") {
			t.Error("another organisation's map shows this one's assets")
		}
	})
}

// A large inventory: the unfiltered map is refused with a way forward,
// without reading every asset; an asset's neighbourhood is drawn from its
// flows however far down the inventory it sits.
func TestMapPageLargeInventory(t *testing.T) {
	db := storetest.SQLite(t)
	f := newInventoryFixture(t, db)
	ctx := context.Background()
	actor := store.Actor{Name: "test"}
	many := make([]risk.Asset, mapAssetLimit+1)
	for i := range many {
		many[i] = risk.Asset{Name: fmt.Sprintf("Workstation %04d", i), Kind: "workstation", AtRest: risk.EncryptionYes}
	}
	saved, err := db.CreateAssets(ctx, actor, f.org.ID, many)
	if err != nil {
		t.Fatal(err)
	}
	last := saved[len(saved)-1] // last by name: beyond what an unfiltered read would reach
	if _, err := db.CreateFlow(ctx, actor, f.org.ID, risk.Flow{From: risk.Endpoint{AssetID: last.ID}, To: risk.Endpoint{Party: "Valley Labs"}, Channel: "hl7", InTransit: risk.EncryptionNo}); err != nil {
		t.Fatal(err)
	}
	w := f.lena.Get(t, "/orgs/riverside/map")
	webtest.WantPage(t, w, http.StatusOK, `id="map-too-many"`, fmt.Sprintf("holds %d assets", len(many)))
	if strings.Contains(w.Body.String(), "<svg") || strings.Contains(w.Body.String(), `id="m-focus"`) {
		t.Error("the map of a large inventory is drawn, or offers every asset to focus on")
	}
	w = f.lena.Get(t, fmt.Sprintf("/orgs/riverside/map?focus=%d", last.ID))
	webtest.WantPage(t, w, http.StatusOK, `class="risk-map"`, last.Name, "Valley Labs")
	if strings.Contains(w.Body.String(), "Workstation 0000") {
		t.Error("the focused map draws assets the focus does not exchange ePHI with")
	}
	w = f.lena.Get(t, "/orgs/riverside/map?exposed=1")
	webtest.WantPage(t, w, http.StatusOK, `class="risk-map"`, last.Name, "Valley Labs")
	webtest.WantPage(t, f.lena.Get(t, fmt.Sprintf("/orgs/riverside/inventory/%d", last.ID)), http.StatusOK, `id="show-on-map"`)
}
