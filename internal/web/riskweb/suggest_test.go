package riskweb

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestSuggestedRisks shows the register's suggestions — an unencrypted
// laptop holding ePHI, an unencrypted flow and a required specification the
// assessment answers not implemented — adds one through its prefilled
// form, and checks it leaves the list; another organisation's unencrypted
// laptop never shows.
func TestSuggestedRisks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newInventoryFixture(t, db)
		cli := store.Actor{Name: "test"}
		if _, err := db.CreateAsset(ctx, cli, f.org.ID, risk.Asset{Name: "Billing laptop", Kind: "laptop", Records: 900,
			Use: risk.Use{Maintains: true}, AtRest: risk.EncryptionNo}); err != nil {
			t.Fatal(err)
		}
		ehr, err := db.CreateAsset(ctx, cli, f.org.ID, risk.Asset{Name: "Cloud EHR", Kind: "ehr", Records: 9000, Use: risk.Use{Maintains: true}, AtRest: risk.EncryptionYes})
		if err != nil {
			t.Fatal(err)
		}
		flow, err := db.CreateFlow(ctx, cli, f.org.ID, risk.Flow{From: risk.Endpoint{AssetID: ehr.ID}, To: risk.Endpoint{Party: "Valley Cardiology"},
			Channel: "fax", InTransit: risk.EncryptionNo})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateAsset(ctx, cli, f.other.ID, risk.Asset{Name: "Their laptop", Kind: "laptop", Records: 5,
			Use: risk.Use{Maintains: true}, AtRest: risk.EncryptionNo}); err != nil {
			t.Fatal(err)
		}
		cat, err := catalog.Default()
		if err != nil {
			t.Fatal(err)
		}
		a, err := assess.New(cat, catalog.ProfileCurrent, "2026 assessment", time.Now(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if a, err = db.CreateAssessment(ctx, cli, f.org.ID, a); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveResponse(ctx, cli, f.org.ID, a.ID, assess.Response{Citation: "164.312(b)", Status: assess.NotImplemented}); err != nil {
			t.Fatal(err)
		}

		const page, list = "/orgs/riverside/risks", "/orgs/riverside/risks/suggested"
		flowKey := fmt.Sprintf("flow:%d", flow.ID)
		addFlow := page + "/new?suggestion=" + url.QueryEscape(flowKey)
		// The register says how many, and links to the list.
		webtest.WantPage(t, f.priya.Get(t, page), 200, `id="suggested-count"`, `href="`+list+`"`, ">4 suggested risks</a>")
		w := f.priya.Get(t, list)
		webtest.WantPage(t, w, 200, "Suggested risks", `id="suggest-asset"`, `id="suggest-flow"`, `id="suggest-gap"`, "Theft of a device of Billing laptop",
			"Billing laptop holds ePHI", "Interception of ePHI sent from Cloud EHR to Valley Cardiology", "Gap: 164.312(b)",
			`href="`+strings.ReplaceAll(addFlow, "&", "&amp;")+`"`, `suggestion=asset%3A`, `suggestion=gap%3A164.312%28b%29`)
		if body := w.Body.String(); strings.Contains(body, "Their laptop") {
			t.Errorf("the suggestions list another organisation's laptop")
		}
		// Another organisation's member does not reach the list.
		if w := f.eve.Get(t, list); w.Code != http.StatusNotFound && w.Code != http.StatusForbidden {
			t.Errorf("another organisation's owner GET %s = %d, want 404 or 403", list, w.Code)
		}
		// A viewer reads the suggestions but is not offered to add them.
		w = f.lena.Get(t, list)
		webtest.WantPage(t, w, 200, "Gap: 164.312(b)")
		if strings.Contains(w.Body.String(), "Add this risk") {
			t.Errorf("a viewer is offered to add a suggested risk")
		}

		// The form comes filled from the suggestion, with its key.
		w = f.priya.Get(t, addFlow)
		webtest.WantPage(t, w, 200, `value="Interception of ePHI sent from Cloud EHR to Valley Cardiology"`,
			`name="suggestion" value="`+flowKey+`"`, "ePHI goes by fax or fax-to-email and is not encrypted in transit.")
		if !strings.Contains(w.Body.String(), fmt.Sprintf(`value="%d" checked`, ehr.ID)) {
			t.Errorf("the suggested risk's asset is not checked")
		}
		if w := f.priya.Get(t, page+"/new?suggestion=flow%3A999999"); w.Code != http.StatusNotFound {
			t.Errorf("GET an unknown suggestion = %d, want 404", w.Code)
		}
		form := url.Values{"title": {"Faxed referrals intercepted"}, "asset_ids": {fmt.Sprint(ehr.ID)}, "threat": {"interception"},
			"vulnerability": {"no_encryption_in_transit"}, "suggestion": {flowKey},
			"inherent_likelihood": {"2"}, "inherent_impact": {"2"}, "current_likelihood": {"2"}, "current_impact": {"2"},
			"likelihood_rationale": {"Faxes go out every day"}, "impact_rationale": {"A few patients each time"}}
		w = webtest.PostForm(t, f.priya, page, form)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("POST the suggested risk = %d, want 303\n%s", w.Code, w.Body)
		}
		// Once in the register it is no longer suggested; the others stay.
		webtest.WantPage(t, f.priya.Get(t, page), 200, ">3 suggested risks</a>")
		w = f.priya.Get(t, list)
		webtest.WantPage(t, w, 200, "Theft of a device of Billing laptop", "Gap: 164.312(b)")
		if strings.Contains(w.Body.String(), "suggestion="+url.QueryEscape(flowKey)) || strings.Contains(w.Body.String(), "Interception of ePHI sent from") {
			t.Errorf("the flow is still suggested once its risk is in the register")
		}
		if w := f.priya.Get(t, addFlow); w.Code != http.StatusNotFound {
			t.Errorf("GET a suggestion already taken = %d, want 404", w.Code)
		}
		// Taking it again (a second tab) is refused.
		if w := webtest.PostForm(t, f.priya, page, form); w.Code != http.StatusConflict {
			t.Errorf("POST the same suggestion again = %d, want 409", w.Code)
		}
	})
}
