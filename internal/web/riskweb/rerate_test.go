package riskweb

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestRerate re-rates risks after a change from 3 × 3 to 5 × 5: the API
// suggests the nearest grades, the page shows them in words, a bad or
// stale rating saves nothing, and a good set moves every risk at once.
func TestRerate(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		f := newRegFixture(t, dsn)
		const base, page = "/api/v1/orgs/riverside", "/orgs/riverside"
		var ids []int64
		for i := range 3 {
			var rk riskJSON
			webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "POST", base+"/risks", strings.Replace(f.riskBody(""), `"Laptop stolen from a car"`, fmt.Sprintf(`"Risk %d"`, i), 1)), 201, &rk)
			ids = append(ids, rk.ID)
		}
		// Nothing to re-rate yet.
		webtest.WantPage(t, f.lena.Get(t, page+"/risk-scale/rerate"), 200, "there is nothing to re-rate")
		webtest.MustJSON(t, webtest.SendJSON(t, f.sam, "PUT", base+"/risk-scale", `{"preset":"5x5"}`), 200, nil)
		webtest.WantPage(t, f.lena.Get(t, page+"/risk-scale"), 200, "Re-rate the 3 risks on an earlier scale")

		var sug rerateJSON
		webtest.DecodeJSON200(t, f.lena, base+"/risk-scale/rerate", &sug)
		if sug.Total != 3 || len(sug.Items) != 3 || len(sug.Scale.Likelihood) != 5 {
			t.Fatalf("suggestions = %+v", sug)
		}
		if s := sug.Items[0]; s.Was.Current.Likelihood != 2 || s.Suggested.Current.Likelihood != 3 || s.Suggested.Current.Impact != 5 || s.Suggested.Inherent.Likelihood != 5 {
			t.Errorf("suggestion = %+v, want Medium→3 and High→5", s)
		}
		// The page: the old ratings in words, the suggestion selected; a
		// viewer sees no button.
		w := f.lena.Get(t, page+"/risk-scale/rerate")
		webtest.WantPage(t, w, 200, "3 risks are still rated on an earlier scale", "was Likelihood Medium, impact High: High")
		if strings.Contains(w.Body.String(), "Re-rate these") {
			t.Error("a viewer is offered to re-rate")
		}
		webtest.WantPage(t, f.sam.Get(t, page+"/risk-scale/rerate"), 200, "Re-rate these 3 risks")
		if w := webtest.SendJSON(t, f.priya, "POST", base+"/risk-scale/rerate", `{"ratings":[]}`); w.Code != 403 {
			t.Errorf("contributor POST rerate = %d, want 403", w.Code)
		}

		form := func(version int, curL string) url.Values {
			v := url.Values{}
			for _, id := range ids {
				p := fmt.Sprintf("r%d_", id)
				v.Add("risk", fmt.Sprint(id))
				v.Set(p+"version", fmt.Sprint(version))
				v.Set(p+"inherent_likelihood", "5")
				v.Set(p+"inherent_impact", "5")
				v.Set(p+"current_likelihood", "3")
				v.Set(p+"current_impact", "5")
				v.Set(p+"target_likelihood", "0")
				v.Set(p+"target_impact", "0")
			}
			v.Set(fmt.Sprintf("r%d_current_likelihood", ids[1]), curL)
			return v
		}
		// A grade off the scale: nothing saved, the problem beside it.
		w = webtest.PostForm(t, f.sam, page+"/risk-scale/rerate", form(1, "9"))
		webtest.WantPage(t, w, 422, "Nothing was re-rated", "must be from 1 to 5")
		// A stale version: a conflict, nothing saved.
		w = webtest.PostForm(t, f.sam, page+"/risk-scale/rerate", form(7, "2"))
		webtest.WantPage(t, w, 409, "changed by someone else")
		webtest.DecodeJSON200(t, f.lena, base+"/risk-scale/rerate", &sug)
		if sug.Total != 3 {
			t.Fatalf("after refused re-ratings %d risks are left, want 3", sug.Total)
		}
		w = webtest.PostForm(t, f.sam, page+"/risk-scale/rerate", form(1, "2"))
		if w.Code != 303 {
			t.Fatalf("re-rate = %d %s", w.Code, w.Body)
		}
		webtest.WantPage(t, f.sam.Get(t, w.Header().Get("Location")), 200, "3 risks were re-rated", "nothing to re-rate")
		var rk riskJSON
		webtest.DecodeJSON200(t, f.lena, fmt.Sprintf("%s/risks/%d", base, ids[1]), &rk)
		if rk.ScaleID != sug.Scale.ID || rk.Current.Likelihood != 2 || rk.Current.Impact != 5 || rk.Version != 2 {
			t.Errorf("re-rated risk = %+v", rk)
		}

		// The API: back to 3 × 3, the suggestions sent as they are.
		webtest.MustJSON(t, webtest.SendJSON(t, f.sam, "PUT", base+"/risk-scale", `{"preset":"3x3"}`), 200, nil)
		webtest.DecodeJSON200(t, f.lena, base+"/risk-scale/rerate", &sug)
		var body strings.Builder
		body.WriteString(`{"ratings":[`)
		for i, s := range sug.Items {
			if i > 0 {
				body.WriteString(",")
			}
			fmt.Fprintf(&body, `{"risk_id":%d,"version":%d,"inherent":{"likelihood":%d,"impact":%d},"current":{"likelihood":%d,"impact":%d}}`,
				s.RiskID, s.Version, s.Suggested.Inherent.Likelihood, s.Suggested.Inherent.Impact, s.Suggested.Current.Likelihood, s.Suggested.Current.Impact)
		}
		body.WriteString("]}")
		if w := webtest.SendJSON(t, f.eve, "POST", "/api/v1/orgs/other/risk-scale/rerate", body.String()); w.Code != 422 || !strings.Contains(w.Body.String(), "is not a risk of this organisation") {
			t.Errorf("another organisation's re-rating = %d %s, want 422", w.Code, w.Body)
		}
		var out struct{ Rerated int }
		webtest.MustJSON(t, webtest.SendJSON(t, f.sam, "POST", base+"/risk-scale/rerate", body.String()), 200, &out)
		if out.Rerated != 3 {
			t.Errorf("API re-rated %d, want 3", out.Rerated)
		}
		if w := webtest.SendJSON(t, f.sam, "POST", base+"/risk-scale/rerate", body.String()); w.Code != 409 {
			t.Errorf("stale API re-rating = %d %s, want 409", w.Code, w.Body)
		}
	})
}
