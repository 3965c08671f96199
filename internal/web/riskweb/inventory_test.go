package riskweb

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

func newServer(t *testing.T, db *store.DB) *web.Server {
	t.Helper()
	return webtest.NewServer(t, db, web.Config{Capabilities: []web.Capability{New()}})
}

// TestInventoryTemplatesRenderZeroValues renders every page of the
// inventory with its zero value.
func TestInventoryTemplatesRenderZeroValues(t *testing.T) {
	t.Parallel()
	s := newServer(t, storetest.SQLite(t))
	webtest.RenderZeroValues(t, s, New().Templates(), map[string]web.PageData{
		"inventory":      &inventoryView{},
		"inventory_item": &assetView{},
		"flows":          &flowsView{},
		"threats":        &threatsView{},
		"risk_map":       &mapView{},
		"risk_register":  &registerView{},
		"risk_item":      &riskView{},
		"risk_suggested": &suggestedView{},
		"risk_plan":      &planView{},
		"risk_scale":     &scaleView{},
		// import*.go
		"inventory_import": &importView{},
		// analysis*.go
		"risk_analyses": &analysesView{}, "risk_analysis": &analysisView{}, "risk_analysis_compare": &compareView{},
		// rerate.go, task_evidence.go
		"risk_rerate": &rerateView{}, "risk_task_done": &taskDoneView{},
		"risk_confirm_delete": &confirmView{},
	})
}

// inventoryFixture is two organisations and their people: priya (a
// contributor of riverside), lena (a viewer of riverside) and eve (an
// owner of the other organisation).
type inventoryFixture struct {
	db               *store.DB
	s                *web.Server
	org, other       identity.Org
	priya, lena, eve *webtest.Client
	priyaID          int64
}

func newInventoryFixture(t *testing.T, db *store.DB) inventoryFixture {
	t.Helper()
	ctx := context.Background()
	f := inventoryFixture{db: db, s: newServer(t, db)}
	var err error
	if f.org, err = db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider}); err != nil {
		t.Fatal(err)
	}
	if f.other, err = db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider}); err != nil {
		t.Fatal(err)
	}
	webtest.CreateUser(t, db, "priya@example.org", false, f.org.ID, identity.RoleContributor)
	webtest.CreateUser(t, db, "lena@example.org", false, f.org.ID, identity.RoleViewer)
	webtest.CreateUser(t, db, "eve@example.org", false, f.other.ID, identity.RoleOwner)
	f.priya = webtest.LoginFull(t, f.s, db, "priya@example.org", webtest.Password)
	f.lena = webtest.LoginFull(t, f.s, db, "lena@example.org", webtest.Password)
	f.eve = webtest.LoginFull(t, f.s, db, "eve@example.org", webtest.Password)
	members, err := db.Members(ctx, f.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m.User.Email == "priya@example.org" {
			f.priyaID = m.User.ID
		}
	}
	return f
}

func countAssets(t *testing.T, db *store.DB, orgID int64) int {
	t.Helper()
	list, _, err := db.Assets(context.Background(), orgID, store.AssetFilter{}, store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestAssetAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newInventoryFixture(t, db)
		const base = "/api/v1/orgs/riverside/assets"
		outsider, err := db.CreateAsset(context.Background(), store.Actor{Name: "test"}, f.other.ID, risk.Asset{Name: "Their site", Kind: "site"})
		if err != nil {
			t.Fatal(err)
		}

		// Bad input, per field: 422 naming the field, nothing saved.
		for _, c := range []struct{ body, field string }{
			{`{"kind": "laptop"}`, "name"},
			{`{"name": "x", "kind": "spaceship"}`, "kind"},
			{`{"name": "x", "kind": "laptop", "records": -3}`, "records"},
			{`{"name": "x", "kind": "laptop", "encrypted_at_rest": "sort of"}`, "encrypted_at_rest"},
			{`{"name": "x", "kind": "laptop", "hosting": "moon"}`, "hosting"},
			{`{"name": "x", "kind": "laptop", "criticality": "extreme"}`, "criticality"},
			{`{"name": "x", "kind": "laptop", "lifecycle": "zombie"}`, "lifecycle"},
			{`{"name": "x", "kind": "laptop", "owner_id": 999999}`, "owner_id"},
			{fmt.Sprintf(`{"name": "x", "kind": "laptop", "place_id": %d}`, outsider.ID), "place_id"},
		} {
			w := webtest.SendJSON(t, f.priya, http.MethodPost, base, c.body)
			var e web.ErrorBody
			webtest.MustJSON(t, w, http.StatusUnprocessableEntity, &e)
			if e.Error.Fields[c.field] == "" {
				t.Errorf("POST %s: fields = %v, want a problem on %s", c.body, e.Error.Fields, c.field)
			}
		}
		if n := countAssets(t, db, f.org.ID); n != 0 {
			t.Fatalf("assets after bad input = %d", n)
		}
		if w := webtest.SendJSON(t, f.lena, http.MethodPost, base, `{"name": "x", "kind": "laptop"}`); w.Code != http.StatusForbidden {
			t.Errorf("viewer POST = %d, want 403", w.Code)
		}

		var a risk.Asset
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, http.MethodPost, base,
			fmt.Sprintf(`{"name": "Billing laptop", "kind": "laptop", "owner_id": %d, "records": 1200, "use": {"maintains": true}, "encrypted_at_rest": "no"}`, f.priyaID)),
			http.StatusCreated, &a)
		if a.ID == 0 || a.Version != 1 || a.OwnerID != f.priyaID {
			t.Fatalf("created %+v", a)
		}
		item := fmt.Sprintf("%s/%d", base, a.ID)
		var got risk.Asset
		webtest.DecodeJSON200(t, f.lena, item, &got)
		if got.Name != "Billing laptop" || got.AtRest != risk.EncryptionNo {
			t.Errorf("GET = %+v", got)
		}
		// Another organisation gets 404, for every method.
		for _, c := range []struct{ method, path, body string }{
			{http.MethodGet, item, ""}, {http.MethodPatch, item, `{"version": 1, "notes": "x"}`},
			{http.MethodDelete, item, ""}, {http.MethodGet, item + "/history", ""},
			{http.MethodGet, strings.Replace(item, "riverside", "other", 1), ""},
		} {
			c2 := f.eve
			if strings.Contains(c.path, "/other/") {
				c2 = f.priya
			}
			if w := webtest.SendJSON(t, c2, c.method, c.path, c.body); w.Code != http.StatusNotFound {
				t.Errorf("%s %s from another organisation = %d, want 404", c.method, c.path, w.Code)
			}
		}

		// PATCH changes what it gives; version is required and checked.
		var up risk.Asset
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, http.MethodPatch, item, `{"version": 1, "encrypted_at_rest": "yes"}`), http.StatusOK, &up)
		if up.Version != 2 || up.AtRest != risk.EncryptionYes || up.Records != 1200 || up.Name != "Billing laptop" {
			t.Errorf("PATCH = %+v", up)
		}
		if w := webtest.SendJSON(t, f.priya, http.MethodPatch, item, `{"version": 1, "notes": "stale"}`); w.Code != http.StatusConflict {
			t.Errorf("stale PATCH = %d, want 409", w.Code)
		}
		if w := webtest.SendJSON(t, f.priya, http.MethodPatch, item, `{"notes": "no version"}`); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("PATCH without a version = %d, want 422", w.Code)
		}
		if w := webtest.SendJSON(t, f.priya, http.MethodPatch, item, `{"version": 2, "kind": "toaster"}`); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("PATCH bad kind = %d, want 422", w.Code)
		}
		hist := webtest.WalkAPI[store.AssetVersion](t, f.lena, item+"/history?limit=1", func(int) {})
		if len(hist) != 2 || hist[0].Asset.Version != 2 || hist[1].Asset.Version != 1 {
			t.Errorf("history = %+v", hist)
		}

		// Filters as query parameters; a bad one is 422 on its name.
		var list web.List[risk.Asset]
		webtest.DecodeJSON200(t, f.lena, base+"?kind=laptop&ephi=1&q=BILL", &list)
		if len(list.Items) != 1 {
			t.Errorf("filtered list = %+v", list.Items)
		}
		webtest.DecodeJSON200(t, f.lena, base+"?unencrypted=1", &list)
		if len(list.Items) != 0 {
			t.Errorf("unencrypted list = %+v", list.Items)
		}
		for _, q := range []string{"kind=toaster", "class=castle", "hosting=moon", "owner=abc", "ephi=maybe", "limit=0", "cursor=nope"} {
			w := f.lena.Get(t, base+"?"+q)
			var e web.ErrorBody
			webtest.MustJSON(t, w, http.StatusUnprocessableEntity, &e)
			name, _, _ := strings.Cut(q, "=")
			if name == "cursor" && e.Error.Fields["cursor"] == "" || name != "cursor" && e.Error.Fields[name] == "" {
				t.Errorf("GET ?%s: fields = %v", q, e.Error.Fields)
			}
		}

		if w := webtest.SendJSON(t, f.priya, http.MethodDelete, item, ""); w.Code != http.StatusNoContent {
			t.Errorf("DELETE = %d", w.Code)
		}
		if w := f.lena.Get(t, item); w.Code != http.StatusNotFound {
			t.Errorf("GET deleted = %d", w.Code)
		}
	})
}

func TestAssetAPIPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newInventoryFixture(t, db)
		var in []risk.Asset
		for i := range 17 {
			in = append(in, risk.Asset{Name: fmt.Sprintf("Workstation %02d", i%5), Kind: "workstation"})
		}
		if _, err := db.CreateAssets(context.Background(), store.Actor{Name: "test"}, f.org.ID, in); err != nil {
			t.Fatal(err)
		}
		added := false
		all := webtest.WalkAPI[risk.Asset](t, f.lena, "/api/v1/orgs/riverside/assets?limit=4", func(page int) {
			if page == 2 && !added {
				// A row added behind the cursor between pages neither
				// repeats a row nor hides one ahead of it.
				added = true
				if _, err := db.CreateAsset(context.Background(), store.Actor{Name: "test"}, f.org.ID, risk.Asset{Name: "Aardvark", Kind: "server"}); err != nil {
					t.Fatal(err)
				}
			}
		})
		seen := map[int64]bool{}
		for _, a := range all {
			if seen[a.ID] {
				t.Errorf("asset %d twice", a.ID)
			}
			seen[a.ID] = true
		}
		if len(seen) != 17 {
			t.Errorf("walked %d assets, want the 17 there at the start", len(seen))
		}
		rows := webtest.WalkPages(t, f.lena, "/orgs/riverside/inventory?limit=5", regexp.MustCompile(`<th scope="row"><a href="/orgs/riverside/inventory/(\d+)">`), func(int) {})
		if len(rows) != 18 {
			t.Errorf("inventory pages showed %d rows, want 18", len(rows))
		}
	})
}

func TestInventoryPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newInventoryFixture(t, db)
		ctx := context.Background()
		site, err := db.CreateAsset(ctx, store.Actor{Name: "test"}, f.org.ID, risk.Asset{Name: "Main clinic", Kind: "site"})
		if err != nil {
			t.Fatal(err)
		}

		// The page: counts by class, kind labels, the add form for a writer
		// only, and the map's place.
		w := f.priya.Get(t, "/orgs/riverside/inventory")
		webtest.WantPage(t, w, http.StatusOK, "Add an asset", `data-class="place">1<`, "Site (building, clinic)", `id="data-flow-map"`, "Test priya@example.org")
		w = f.lena.Get(t, "/orgs/riverside/inventory")
		webtest.WantPage(t, w, http.StatusOK, "Main clinic")
		if strings.Contains(w.Body.String(), "Add an asset") {
			t.Error("a viewer sees the add form")
		}
		if w := f.eve.Get(t, "/orgs/riverside/inventory"); w.Code != http.StatusNotFound {
			t.Errorf("another organisation's inventory = %d, want 404", w.Code)
		}
		if w := f.eve.Get(t, fmt.Sprintf("/orgs/other/inventory/%d", site.ID)); w.Code != http.StatusNotFound {
			t.Errorf("an asset through another organisation = %d, want 404", w.Code)
		}

		// Bad input per field: 422, the problem next to its field, what
		// was typed kept, nothing saved.
		for _, c := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"name": {""}, "kind": {"laptop"}}, `id="asset-name-problem">The name is required`},
			{url.Values{"name": {"Tablet"}, "kind": {""}}, `id="asset-kind-problem"`},
			{url.Values{"name": {"Tablet"}, "kind": {"tablet"}, "records": {"lots"}}, `id="asset-records-problem">The number of records must be a whole number`},
			{url.Values{"name": {"Tablet"}, "kind": {"tablet"}, "owner_id": {"999999"}}, `id="asset-owner-problem">The owner is not a member`},
			{url.Values{"name": {"Tablet"}, "kind": {"tablet"}, "place_id": {"abc"}}, `id="asset-place-problem"`},
			{url.Values{"name": {"Tablet"}, "kind": {"tablet"}, "last_reviewed": {"yesterday"}}, `id="asset-reviewed-problem"`},
			{url.Values{"name": {"Tablet"}, "kind": {"tablet"}, "encrypted_at_rest": {"maybe"}}, `id="asset-at-rest-problem"`},
		} {
			w := webtest.PostForm(t, f.priya, "/orgs/riverside/inventory", c.form)
			webtest.WantPage(t, w, http.StatusUnprocessableEntity, c.want)
			if name := c.form.Get("name"); name != "" && !strings.Contains(w.Body.String(), `value="`+name+`"`) {
				t.Errorf("the name typed is not kept: %v", c.form)
			}
		}
		if n := countAssets(t, db, f.org.ID); n != 1 {
			t.Fatalf("assets after bad forms = %d, want 1", n)
		}
		if w := webtest.PostForm(t, f.lena, "/orgs/riverside/inventory", url.Values{"name": {"x"}, "kind": {"laptop"}}); w.Code != http.StatusForbidden {
			t.Errorf("viewer POST = %d", w.Code)
		}

		w = webtest.PostForm(t, f.priya, "/orgs/riverside/inventory", url.Values{"name": {"Reception PC"}, "kind": {"workstation"},
			"owner_id": {fmt.Sprint(f.priyaID)}, "place_id": {fmt.Sprint(site.ID)}, "maintains": {"1"}, "records": {"3,500"},
			"ephi": {"clinical notes\nbilling"}, "encrypted_at_rest": {"no"}, "hosting": {"on_site"}, "criticality": {"high"}, "lifecycle": {"active"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("add = %d %s", w.Code, w.Body)
		}
		itemURL := strings.TrimSuffix(w.Header().Get("Location"), "?added=1")
		w = f.lena.Get(t, itemURL)
		webtest.WantPage(t, w, http.StatusOK, "Reception PC", "Workstation", "Main clinic", "clinical notes, billing", "about 3500 patients", "Not encrypted", "Test priya@example.org", "Added to the inventory")

		// Edit: a new version; the history names what changed; a stale
		// form is refused with the reason and nothing saved.
		a, err := db.Asset(ctx, f.org.ID, mustID(t, itemURL))
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"name": {"Reception PC"}, "kind": {"workstation"}, "owner_id": {fmt.Sprint(f.priyaID)}, "place_id": {fmt.Sprint(site.ID)},
			"maintains": {"1"}, "records": {"3500"}, "ephi": {"clinical notes, billing"}, "encrypted_at_rest": {"yes"}, "hosting": {"on_site"}, "criticality": {"high"}, "lifecycle": {"active"},
			"version": {"1"}}
		if w := webtest.PostForm(t, f.priya, itemURL, form); w.Code != http.StatusSeeOther {
			t.Fatalf("edit = %d %s", w.Code, w.Body)
		}
		w = f.lena.Get(t, itemURL)
		webtest.WantPage(t, w, http.StatusOK, "version 2", "Changed encryption at rest<")
		form.Set("notes", "stale change")
		w = webtest.PostForm(t, f.priya, itemURL, form)
		webtest.WantPage(t, w, http.StatusConflict, `id="asset-version-problem"`, "Someone else changed")
		form.Set("version", "2")
		form.Set("name", "")
		webtest.WantPage(t, webtest.PostForm(t, f.priya, itemURL, form), http.StatusUnprocessableEntity, `id="asset-name-problem"`)
		if got, _ := db.Asset(ctx, f.org.ID, a.ID); got.Version != 2 || got.Notes != "" {
			t.Errorf("after refused edits: %+v", got)
		}

		// Delete: refused while a flow uses it, with the reason on the page.
		if _, err := db.CreateFlow(ctx, store.Actor{Name: "test"}, f.org.ID, risk.Flow{From: risk.Endpoint{AssetID: a.ID}, To: risk.Endpoint{Party: "Lab"}, Channel: "hl7"}); err != nil {
			t.Fatal(err)
		}
		webtest.WantPage(t, f.priya.Get(t, itemURL), http.StatusOK, `<details class="confirm-delete">`, `name="confirm" value="yes"`)
		w = webtest.PostForm(t, f.priya, itemURL+"/delete", url.Values{})
		webtest.WantPage(t, w, http.StatusOK, "from the inventory?", `name="confirm" value="yes"`, `action="`+itemURL+`/delete"`)
		w = webtest.PostForm(t, f.priya, itemURL+"/delete", url.Values{"confirm": {"yes"}})
		webtest.WantPage(t, w, http.StatusConflict, `id="refused"`, "data flows start or end there")
		webtest.WantPage(t, f.lena.Get(t, itemURL), http.StatusOK, "Lab", "HL7 or other interface")

		// An asset without flows goes once confirmed, and only then.
		spare, err := db.CreateAsset(ctx, store.Actor{Name: "test"}, f.org.ID, risk.Asset{Name: "Spare tablet", Kind: "tablet"})
		if err != nil {
			t.Fatal(err)
		}
		spareURL := fmt.Sprintf("/orgs/riverside/inventory/%d", spare.ID)
		webtest.WantPage(t, webtest.PostForm(t, f.priya, spareURL+"/delete", url.Values{}), http.StatusOK, "Delete Spare tablet?")
		if _, err := db.Asset(ctx, f.org.ID, spare.ID); err != nil {
			t.Errorf("the asset is gone after an unconfirmed delete: %v", err)
		}
		webtest.WantPage(t, webtest.PostForm(t, f.priya, spareURL+"/delete", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
		if _, err := db.Asset(ctx, f.org.ID, spare.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Asset after a confirmed delete: %v, want not found", err)
		}
	})
}

func mustID(t *testing.T, u string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscanf(u[strings.LastIndex(u, "/")+1:], "%d", &id); err != nil {
		t.Fatalf("no ID in %q", u)
	}
	return id
}
