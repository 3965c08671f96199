package riskweb

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

func countFlows(t *testing.T, db *store.DB, orgID int64) int {
	t.Helper()
	list, _, err := db.Flows(context.Background(), orgID, store.FlowFilter{}, store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestFlowAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newInventoryFixture(t, db)
		ctx := context.Background()
		ehr, err := db.CreateAsset(ctx, store.Actor{Name: "test"}, f.org.ID, risk.Asset{Name: "Cloud EHR", Kind: "ehr"})
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := db.CreateAsset(ctx, store.Actor{Name: "test"}, f.other.ID, risk.Asset{Name: "Their EHR", Kind: "ehr"})
		if err != nil {
			t.Fatal(err)
		}
		const base = "/api/v1/orgs/riverside/flows"
		for _, c := range []struct{ body, field string }{
			{fmt.Sprintf(`{"from": {"asset_id": %d}, "to": {"asset_id": %d}, "channel": "sftp"}`, ehr.ID, theirs.ID), "to.asset_id"},
			{`{"from": {"asset_id": 987654}, "to": {"party": "Lab"}, "channel": "sftp"}`, "from.asset_id"},
			{fmt.Sprintf(`{"from": {"asset_id": %d}, "to": {"party": "Lab"}, "channel": "pigeon"}`, ehr.ID), "channel"},
			{fmt.Sprintf(`{"from": {"asset_id": %d}, "channel": "sftp"}`, ehr.ID), "to"},
			{fmt.Sprintf(`{"from": {"asset_id": %d}, "to": {"party": "Lab"}, "channel": "sftp", "encrypted_in_transit": "kind of"}`, ehr.ID), "encrypted_in_transit"},
		} {
			var e web.ErrorBody
			webtest.MustJSON(t, webtest.SendJSON(t, f.priya, http.MethodPost, base, c.body), http.StatusUnprocessableEntity, &e)
			if e.Error.Fields[c.field] == "" {
				t.Errorf("POST %s: fields = %v, want %s", c.body, e.Error.Fields, c.field)
			}
		}
		if n := countFlows(t, db, f.org.ID); n != 0 {
			t.Fatalf("flows after bad input = %d", n)
		}
		var fl risk.Flow
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, http.MethodPost, base,
			fmt.Sprintf(`{"from": {"asset_id": %d}, "to": {"party": "Quest lab"}, "channel": "hl7", "encrypted_in_transit": "no", "frequency": "daily"}`, ehr.ID)),
			http.StatusCreated, &fl)
		item := fmt.Sprintf("%s/%d", base, fl.ID)
		for _, m := range []string{http.MethodGet, http.MethodDelete} {
			if w := webtest.SendJSON(t, f.eve, m, item, ""); w.Code != http.StatusNotFound {
				t.Errorf("%s from another organisation = %d", m, w.Code)
			}
		}
		// PATCH: an end given replaces the whole end.
		var up risk.Flow
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, http.MethodPatch, item, `{"version": 1, "to": {"party": "LabCorp"}, "encrypted_in_transit": "yes"}`), http.StatusOK, &up)
		if up.Version != 2 || up.To.Party != "LabCorp" || up.From.AssetID != ehr.ID || up.Frequency != "daily" {
			t.Errorf("PATCH = %+v", up)
		}
		if w := webtest.SendJSON(t, f.priya, http.MethodPatch, item, `{"version": 1, "volume": "x"}`); w.Code != http.StatusConflict {
			t.Errorf("stale PATCH = %d", w.Code)
		}
		if w := webtest.SendJSON(t, f.priya, http.MethodPatch, item, fmt.Sprintf(`{"version": 2, "to": {"asset_id": %d}}`, theirs.ID)); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("PATCH to another organisation's asset = %d", w.Code)
		}
		hist := webtest.WalkAPI[store.FlowVersion](t, f.lena, item+"/history?limit=1", func(int) {})
		if len(hist) != 2 {
			t.Errorf("history = %+v", hist)
		}
		for i := range 9 {
			if _, err := db.CreateFlow(ctx, store.Actor{Name: "test"}, f.org.ID, risk.Flow{From: risk.Endpoint{Party: fmt.Sprint("Patient ", i)}, To: risk.Endpoint{AssetID: ehr.ID}, Channel: "portal", InTransit: "yes"}); err != nil {
				t.Fatal(err)
			}
		}
		all := webtest.WalkAPI[risk.Flow](t, f.lena, base+"?limit=3", func(int) {})
		seen := map[int64]bool{}
		for _, x := range all {
			seen[x.ID] = true
		}
		if len(all) != 10 || len(seen) != 10 {
			t.Errorf("walked %d flows (%d distinct), want 10", len(all), len(seen))
		}
		var list web.List[risk.Flow]
		webtest.DecodeJSON200(t, f.lena, base+"?channel=hl7", &list)
		if len(list.Items) != 1 {
			t.Errorf("?channel=hl7 = %d", len(list.Items))
		}
		if w := f.lena.Get(t, base+"?channel=pigeon"); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("?channel=pigeon = %d", w.Code)
		}
		if w := webtest.SendJSON(t, f.priya, http.MethodDelete, item, ""); w.Code != http.StatusNoContent {
			t.Errorf("DELETE = %d", w.Code)
		}
	})
}

func TestFlowsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newInventoryFixture(t, db)
		ctx := context.Background()
		ehr, err := db.CreateAsset(ctx, store.Actor{Name: "test"}, f.org.ID, risk.Asset{Name: "Cloud EHR", Kind: "ehr"})
		if err != nil {
			t.Fatal(err)
		}
		webtest.WantPage(t, f.priya.Get(t, "/orgs/riverside/flows"), http.StatusOK, "Add a data flow", "Cloud EHR — Electronic health record")
		if w := f.eve.Get(t, "/orgs/riverside/flows"); w.Code != http.StatusNotFound {
			t.Errorf("another organisation = %d", w.Code)
		}
		for _, c := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"from_asset_id": {fmt.Sprint(ehr.ID)}, "channel": {"sftp"}}, `id="flow-to-problem">Where it goes is required`},
			{url.Values{"from_asset_id": {"987654"}, "to_party": {"Lab"}, "channel": {"sftp"}}, `id="flow-from-problem">The asset it starts at is not an asset`},
			{url.Values{"from_asset_id": {fmt.Sprint(ehr.ID)}, "to_party": {"Lab"}, "channel": {""}}, `id="flow-channel-problem"`},
			{url.Values{"from_party": {"Patients"}, "to_party": {"Lab"}, "channel": {"email"}}, `id="flow-to-problem">Where it goes one end must be an asset`},
			{url.Values{"from_asset_id": {"x"}, "to_party": {"Lab"}, "channel": {"sftp"}}, `id="flow-from-problem"`},
		} {
			webtest.WantPage(t, webtest.PostForm(t, f.priya, "/orgs/riverside/flows", c.form), http.StatusUnprocessableEntity, c.want)
		}
		if n := countFlows(t, db, f.org.ID); n != 0 {
			t.Fatalf("flows after bad forms = %d", n)
		}
		w := webtest.PostForm(t, f.priya, "/orgs/riverside/flows", url.Values{"from_party": {"Patients"}, "to_asset_id": {fmt.Sprint(ehr.ID)},
			"channel": {"portal"}, "encrypted_in_transit": {"no"}, "frequency": {"daily"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("add flow = %d %s", w.Code, w.Body)
		}
		webtest.WantPage(t, f.lena.Get(t, "/orgs/riverside/flows"), http.StatusOK, "Patients", "Cloud EHR", "Web portal", "Not encrypted", "daily")
		for i := range 6 {
			if _, err := db.CreateFlow(ctx, store.Actor{Name: "test"}, f.org.ID, risk.Flow{From: risk.Endpoint{AssetID: ehr.ID}, To: risk.Endpoint{Party: fmt.Sprint("Lab ", i)}, Channel: "hl7"}); err != nil {
				t.Fatal(err)
			}
		}
		rows := webtest.WalkPages(t, f.lena, "/orgs/riverside/flows?limit=3", regexp.MustCompile(`<td data-label="To">([^<]+) <span class="muted">\(outside\)`), func(int) {})
		if len(rows) != 6 || rows[0] != "Lab 0" || rows[5] != "Lab 5" {
			t.Errorf("flow pages = %v", rows)
		}
		list, _, err := db.Flows(ctx, f.org.ID, store.FlowFilter{}, store.Page{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if w := webtest.PostForm(t, f.lena, fmt.Sprintf("/orgs/riverside/flows/%d/delete", list[0].ID), url.Values{}); w.Code != http.StatusForbidden {
			t.Errorf("viewer delete = %d", w.Code)
		}
		// One click asks first: a post without the second step deletes
		// nothing and shows the question, with the button that confirms.
		del := fmt.Sprintf("/orgs/riverside/flows/%d/delete", list[0].ID)
		webtest.WantPage(t, webtest.PostForm(t, f.priya, del, url.Values{}), http.StatusOK, "Delete this data flow?", `name="confirm" value="yes"`, `action="`+del+`"`)
		if n := countFlows(t, db, f.org.ID); n != 7 {
			t.Errorf("flows after an unconfirmed delete = %d, want 7", n)
		}
		page := f.priya.Get(t, "/orgs/riverside/flows")
		webtest.WantPage(t, page, http.StatusOK, `<details class="confirm-delete">`)
		if strings.Count(page.Body.String(), `name="confirm" value="yes"`) != strings.Count(page.Body.String(), "/delete\"") {
			t.Error("a delete form on the flows page lacks the confirming button")
		}
		if w := webtest.PostForm(t, f.priya, del, url.Values{"confirm": {"yes"}}); w.Code != http.StatusSeeOther {
			t.Errorf("delete = %d", w.Code)
		}
		if n := countFlows(t, db, f.org.ID); n != 6 {
			t.Errorf("flows after delete = %d", n)
		}
	})
}

func TestThreatsPageAndAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newInventoryFixture(t, db)
		w := f.lena.Get(t, "/orgs/riverside/threats")
		webtest.WantPage(t, w, http.StatusOK, "Human, intentional", "Vulnerabilities")
		if strings.Contains(w.Body.String(), "Add a threat") {
			t.Error("a viewer sees the add form")
		}
		if w := f.eve.Get(t, "/orgs/riverside/threats"); w.Code != http.StatusNotFound {
			t.Errorf("another organisation = %d", w.Code)
		}
		before := len(webtest.WalkAPI[risk.Threat](t, f.lena, "/api/v1/orgs/riverside/threats?limit=500", func(int) {}))

		// Bad input per field, on the page and in the API; nothing saved.
		webtest.WantPage(t, webtest.PostForm(t, f.priya, "/orgs/riverside/threats", url.Values{"kind": {"threat"}, "source": {"technical"}, "title": {""}}),
			http.StatusUnprocessableEntity, `id="threat-title-problem">The title is required`)
		webtest.WantPage(t, webtest.PostForm(t, f.priya, "/orgs/riverside/threats", url.Values{"kind": {"threat"}, "source": {"aliens"}, "title": {"x"}}),
			http.StatusUnprocessableEntity, `id="threat-source-problem"`)
		webtest.WantPage(t, webtest.PostForm(t, f.priya, "/orgs/riverside/threats", url.Values{"kind": {"vulnerability"}, "title": {"Door"}, "entries": {"164.999"}}),
			http.StatusUnprocessableEntity, `id="vuln-entries-problem">The parts of the rule: &#34;164.999&#34; is not a citation`)
		var e web.ErrorBody
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, http.MethodPost, "/api/v1/orgs/riverside/threats", `{"source": "technical", "title": "x", "entries": ["nope"]}`), http.StatusUnprocessableEntity, &e)
		if e.Error.Fields["entries.0"] == "" {
			t.Errorf("fields = %v", e.Error.Fields)
		}
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, http.MethodPost, "/api/v1/orgs/riverside/vulnerabilities", `{"title": ""}`), http.StatusUnprocessableEntity, &e)
		if own, err := db.Threats(context.Background(), f.org.ID); err != nil || len(own) != 0 {
			t.Errorf("own threats after bad input = %v, %v", own, err)
		}

		w = webtest.PostForm(t, f.priya, "/orgs/riverside/threats", url.Values{"kind": {"threat"}, "source": {"human_intentional"}, "title": {"Tailgating into the records room"}, "entries": {"164.310(a)(1), 164.310(a)(2)(iii)"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("add threat = %d %s", w.Code, w.Body)
		}
		webtest.WantPage(t, f.lena.Get(t, "/orgs/riverside/threats"), http.StatusOK, "Tailgating into the records room", "the practice's own</span>", "§164.310(a)(1)")
		var v risk.Vulnerability
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, http.MethodPost, "/api/v1/orgs/riverside/vulnerabilities", `{"title": "Records room door propped open"}`), http.StatusCreated, &v)
		if !strings.HasPrefix(v.Key, "org:") {
			t.Errorf("vulnerability = %+v", v)
		}
		threats := webtest.WalkAPI[risk.Threat](t, f.lena, "/api/v1/orgs/riverside/threats?limit=7", func(int) {})
		if len(threats) != before+1 || !threats[len(threats)-1].Own || threats[0].Own {
			t.Errorf("threats = %d (want %d), last %+v", len(threats), before+1, threats[len(threats)-1])
		}
		vulns := webtest.WalkAPI[risk.Vulnerability](t, f.lena, "/api/v1/orgs/riverside/vulnerabilities?limit=500", func(int) {})
		if !vulns[len(vulns)-1].Own {
			t.Errorf("vulnerabilities end with %+v", vulns[len(vulns)-1])
		}
		// Another organisation does not see this one's own.
		others := webtest.WalkAPI[risk.Threat](t, f.eve, "/api/v1/orgs/other/threats?limit=500", func(int) {})
		if len(others) != before {
			t.Errorf("another organisation sees %d threats, want %d", len(others), before)
		}
	})
}
