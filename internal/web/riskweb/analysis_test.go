package riskweb

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestRiskAnalyses starts, signs off and compares analyses through the
// pages and the API, with bad input per field and another organisation.
func TestRiskAnalyses(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		f := newRegFixture(t, dsn)
		const page, api = "/orgs/riverside/analyses", "/api/v1/orgs/riverside/analyses"

		webtest.WantPage(t, f.lena.Get(t, page), http.StatusOK, "no risk analysis has been signed off yet", "No risk analysis yet.")
		if w := f.lena.Get(t, page); strings.Contains(w.Body.String(), "Start the analysis") {
			t.Error("a viewer is offered the form that starts an analysis")
		}

		// Bad input, per field, from the form and the API: nothing saved.
		webtest.WantPage(t, webtest.PostForm(t, f.priya, page, url.Values{"name": {" "}, "scope": {""}}), http.StatusUnprocessableEntity,
			"The name is required", "The scope is required")
		w := webtest.SendJSON(t, f.priya, "POST", api, `{"name":"","scope":""}`)
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"name"`) || !strings.Contains(w.Body.String(), `"scope"`) {
			t.Errorf("POST bad analysis = %d %s, want 422 on name and scope", w.Code, w.Body)
		}
		if w := webtest.SendJSON(t, f.lena, "POST", api, `{"name":"x","scope":"y"}`); w.Code != 403 {
			t.Errorf("viewer POST = %d, want 403", w.Code)
		}
		if got := webtest.WalkAPI[analysisJSON](t, f.lena, api, func(int) {}); len(got) != 0 {
			t.Fatalf("refused analyses were saved: %d", len(got))
		}

		// A risk to document, then last year's analysis, signed off.
		var rk riskJSON
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "POST", "/api/v1/orgs/riverside/risks", f.riskBody("")), 201, &rk)
		var first analysisJSON
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "POST", api, `{"name":"2025 risk analysis","scope":"Both clinics and the cloud EHR."}`), 201, &first)
		if w := webtest.SendJSON(t, f.priya, "POST", api, `{"name":"2025 RISK ANALYSIS","scope":"x"}`); w.Code != 422 || !strings.Contains(w.Body.String(), "already the name") {
			t.Errorf("POST same name = %d %s, want 422 on name", w.Code, w.Body)
		}
		draftURL := fmt.Sprintf("%s/%d", page, first.ID)
		webtest.WantPage(t, f.priya.Get(t, draftURL), http.StatusOK, "What it will document", "2 assets", "1 risk not closed", "A security officer signs the analysis off.")
		if w := webtest.PostForm(t, f.priya, draftURL+"/finalise", url.Values{"attest": {"yes"}}); w.Code != http.StatusForbidden {
			t.Errorf("contributor sign-off = %d, want 403", w.Code)
		}
		webtest.WantPage(t, webtest.PostForm(t, f.sam, draftURL+"/finalise", url.Values{}), http.StatusUnprocessableEntity,
			"The statement must be confirmed", `aria-invalid="true"`)
		if w := webtest.SendJSON(t, f.sam, "POST", fmt.Sprintf("%s/%d/finalise", api, first.ID), `{"attest":false}`); w.Code != 422 || !strings.Contains(w.Body.String(), `"attest"`) {
			t.Errorf("API sign-off without attest = %d %s, want 422 on attest", w.Code, w.Body)
		}
		var got analysisJSON
		webtest.DecodeJSON200(t, f.lena, fmt.Sprintf("%s/%d", api, first.ID), &got)
		if got.Status != risk.AnalysisDraft || got.Snapshot != nil {
			t.Fatalf("after refused sign-offs the analysis = %s, snapshot %v", got.Status, got.Snapshot)
		}
		webtest.MustJSON(t, webtest.SendJSON(t, f.sam, "POST", fmt.Sprintf("%s/%d/finalise", api, first.ID), `{"attest":true}`), 200, &got)
		if got.Status != risk.AnalysisFinal || got.Snapshot == nil || len(got.Snapshot.Assets) != 2 || len(got.Snapshot.Risks) != 1 || !strings.Contains(got.FinalisedBy, "<sam@example.org>") {
			t.Fatalf("signed off = %+v, want final with 2 assets and 1 risk, signed by sam", got.AnalysisRecord)
		}
		webtest.WantPage(t, f.lena.Get(t, draftURL), http.StatusOK, "Signed off, in effect", "Front desk laptop", "Laptop stolen from a car", "confirming:")
		if w := webtest.SendJSON(t, f.sam, "POST", fmt.Sprintf("%s/%d/finalise", api, first.ID), `{"attest":true}`); w.Code != 409 {
			t.Errorf("signing off twice = %d, want 409", w.Code)
		}

		// Things change: a new asset, the risk rated higher.
		regAsset(t, dsn, f.org.ID, "New tablet")
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "PATCH", fmt.Sprintf("/api/v1/orgs/riverside/risks/%d", rk.ID),
			fmt.Sprintf(`{"current":{"likelihood":3,"impact":3},"version":%d}`, rk.Version)), 200, &rk)
		webtest.WantPage(t, f.lena.Get(t, page), http.StatusOK, "A new risk analysis is due", "New tablet was added after")

		// This year's starts from the last one: its scope is prefilled.
		webtest.WantPage(t, f.priya.Get(t, page), http.StatusOK, "It starts from “2025 risk analysis”", "Both clinics and the cloud EHR.")
		w = webtest.PostForm(t, f.priya, page, url.Values{"name": {"2026 risk analysis"}, "scope": {""}, "from_last": {"1"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("start from the last = %d %s", w.Code, w.Body)
		}
		secondURL := strings.TrimSuffix(w.Header().Get("Location"), "?done=started")
		var second analysisJSON
		webtest.DecodeJSON200(t, f.lena, "/api/v1"+secondURL, &second)
		if second.Scope != "Both clinics and the cloud EHR." || second.CopiedFrom != first.ID {
			t.Errorf("second analysis = %+v, want the first's scope", second.AnalysisRecord)
		}
		if w := webtest.PostForm(t, f.sam, secondURL+"/finalise", url.Values{"attest": {"yes"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("form sign-off = %d %s", w.Code, w.Body)
		}

		// The comparison: the risk raised, the tablet added.
		cmp := fmt.Sprintf("%s/compare?a=%d&b=%d", page, first.ID, second.ID)
		webtest.WantPage(t, f.lena.Get(t, cmp), http.StatusOK, `<strong data-kind="raised">1</strong>`, `<strong data-kind="new">0</strong>`, "New tablet")
		webtest.WantPage(t, f.lena.Get(t, page+"/compare"), http.StatusOK, `<strong data-kind="raised">1</strong>`)
		var c comparisonJSON
		webtest.DecodeJSON200(t, f.lena, fmt.Sprintf("%s/compare?a=%d&b=%d", api, first.ID, second.ID), &c)
		if c.Counts["raised"] != 1 || len(c.Assets) != 1 || c.Assets[0].Name != "New tablet" || c.Assets[0].Kind != "added" {
			t.Errorf("API compare = %+v", c)
		}
		var draft analysisJSON
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "POST", api, `{"name":"Draft","scope":"x"}`), 201, &draft)
		var theirs analysisJSON
		webtest.MustJSON(t, webtest.SendJSON(t, f.eve, "POST", "/api/v1/orgs/other/analyses", `{"name":"Theirs","scope":"x"}`), 201, &theirs)
		for _, c := range []struct{ query, field, want string }{
			{"a=abc&b=" + fmt.Sprint(second.ID), "a", "must be chosen from the list"},
			{fmt.Sprintf("a=%d&b=%d", draft.ID, second.ID), "a", "a draft"},
			{fmt.Sprintf("a=%d&b=%d", first.ID, theirs.ID), "b", "must be one of the organisation"},
			{fmt.Sprintf("a=%d&b=%d", first.ID, first.ID), "b", "another analysis"},
			{fmt.Sprintf("a=%d", first.ID), "b", "is required"},
		} {
			webtest.WantPage(t, f.lena.Get(t, page+"/compare?"+c.query), http.StatusUnprocessableEntity, c.want)
			w := f.lena.Get(t, api+"/compare?"+c.query)
			if w.Code != 422 || !strings.Contains(w.Body.String(), `"`+c.field+`"`) {
				t.Errorf("API compare?%s = %d %s, want 422 on %s", c.query, w.Code, w.Body, c.field)
			}
		}

		// Another organisation's analysis is not found.
		for _, path := range []string{fmt.Sprintf("/orgs/other/analyses/%d", first.ID), fmt.Sprintf("/api/v1/orgs/other/analyses/%d", first.ID)} {
			if w := f.eve.Get(t, path); w.Code != 404 {
				t.Errorf("GET %s as eve = %d, want 404", path, w.Code)
			}
		}
		if w := webtest.SendJSON(t, f.eve, "POST", fmt.Sprintf("/api/v1/orgs/other/analyses/%d/finalise", first.ID), `{"attest":true}`); w.Code != 404 {
			t.Errorf("eve signs off riverside's analysis = %d, want 404", w.Code)
		}

		// Retention: a replaced analysis is kept six years; a draft goes.
		webtest.WantPage(t, f.sam.Get(t, draftURL), http.StatusOK, "Signed off, replaced", "is kept until")
		if w := webtest.SendJSON(t, f.sam, "DELETE", fmt.Sprintf("%s/%d", api, first.ID), ""); w.Code != 409 || !strings.Contains(w.Body.String(), "kept until") {
			t.Errorf("DELETE within retention = %d %s, want 409", w.Code, w.Body)
		}
		if w := webtest.SendJSON(t, f.priya, "DELETE", fmt.Sprintf("%s/%d", api, draft.ID), ""); w.Code != 403 {
			t.Errorf("contributor DELETE = %d, want 403", w.Code)
		}
		if w := webtest.PostForm(t, f.sam, fmt.Sprintf("%s/%d/delete", page, draft.ID), url.Values{}); w.Code != http.StatusSeeOther {
			t.Errorf("delete the draft = %d %s", w.Code, w.Body)
		}
		if got := webtest.WalkAPI[analysisJSON](t, f.lena, api+"?limit=1", func(int) {}); len(got) != 2 {
			t.Errorf("analyses after deleting the draft: %d, want 2", len(got))
		}
	})
}
