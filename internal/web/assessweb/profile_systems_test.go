package assessweb

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestProfileSystemsToInventory lists the profile's systems that the
// inventory lacks (by name, ignoring case), adds them all with one button,
// each of the kind its name suggests and audited, and then says the
// inventory is where systems are kept; a viewer is not offered the button
// and may not post it.
func TestProfileSystemsToInventory(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cli := store.Actor{Name: "cli:test"}
		s := newServer(t, db, web.Config{})
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor))
		lena := webtest.LoginFull(t, s, db, "lena@example.org", webtest.CreateUser(t, db, "lena@example.org", false, org.ID, identity.RoleViewer))
		w := webtest.PostForm(t, priya, "/orgs/riverside/profile", url.Values{"legal_name": {"Riverside P.C."}, "kind": {"provider"}, "catalog_profile": {"current"},
			"systems": {"Cloud EHR\nPatient portal\nFax-to-email\nFront desk laptop\nDictation"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("POST profile = %d\n%s", w.Code, w.Body)
		}
		if _, err := db.CreateAsset(ctx, cli, org.ID, risk.Asset{Name: "cloud ehr", Kind: "ehr"}); err != nil {
			t.Fatal(err)
		}

		w = priya.Get(t, "/orgs/riverside/profile")
		webtest.WantPage(t, w, 200, "4 of the systems listed below are not in it yet", "Patient portal <span class=\"muted\">(would be added as: Patient portal)",
			"Front desk laptop <span class=\"muted\">(would be added as: Laptop)", "Dictation <span class=\"muted\">(would be added as: Other application)",
			`action="/orgs/riverside/profile/systems"`, "Add to the inventory")
		missing := w.Body.String()[strings.Index(w.Body.String(), `id="systems-missing"`):]
		if strings.Contains(missing[:strings.Index(missing, "</ul>")], "Cloud EHR") {
			t.Errorf("Cloud EHR is listed as missing though the inventory holds \"cloud ehr\"")
		}
		if w := lena.Get(t, "/orgs/riverside/profile"); strings.Contains(w.Body.String(), `id="add-systems"`) {
			t.Errorf("a viewer is offered to add the systems")
		}
		if w := webtest.PostForm(t, lena, "/orgs/riverside/profile/systems", url.Values{}); w.Code != http.StatusForbidden {
			t.Errorf("viewer POST systems = %d, want 403", w.Code)
		}

		w = webtest.PostForm(t, priya, "/orgs/riverside/profile/systems", url.Values{})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("POST systems = %d\n%s", w.Code, w.Body)
		}
		loc, _, _ := strings.Cut(w.Header().Get("Location"), "#") // a browser keeps the fragment to itself
		webtest.WantPage(t, priya.Get(t, loc), 200, "4 systems added to the inventory",
			"is where systems are kept now", "Every system listed in this profile is in it")
		list, _, err := db.Assets(ctx, org.ID, store.AssetFilter{}, store.Page{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]risk.Kind{}
		for _, a := range list {
			kinds[a.Name] = a.Kind
		}
		want := map[string]risk.Kind{"cloud ehr": "ehr", "Patient portal": "portal", "Fax-to-email": "fax", "Front desk laptop": "laptop", "Dictation": "application"}
		if len(kinds) != len(want) {
			t.Errorf("inventory = %v, want %v", kinds, want)
		}
		for n, k := range want {
			if kinds[n] != k {
				t.Errorf("asset %q is of kind %q, want %q", n, kinds[n], k)
			}
		}
		webtest.FindAudit(t, db, "risk.asset.import", `added the systems listed in the profile to the inventory: "Patient portal" (patient portal)`)
		// A second post adds nothing.
		webtest.PostForm(t, priya, "/orgs/riverside/profile/systems", url.Values{})
		if list, _, err = db.Assets(ctx, org.ID, store.AssetFilter{}, store.Page{Limit: 50}); err != nil || len(list) != 5 {
			t.Errorf("after a second post the inventory holds %d assets (%v), want 5", len(list), err)
		}
	})
}
