package riskweb

import (
	"context"
	"fmt"
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

// TestRiskMeasuresInPlace shows a risk's measures in place beside the
// assessment's answers: the status and narrative of each, a link to its
// entry, and a warning for a measure the assessment says is not
// implemented or does not answer.
func TestRiskMeasuresInPlace(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		f := newRegFixture(t, dsn)
		ctx := context.Background()
		cli := store.Actor{Name: "test"}
		rk, err := f.db.CreateRisk(ctx, cli, f.org.ID, risk.Risk{Title: "Laptop stolen from a car", AssetIDs: []int64{f.laptop},
			Threat: "device_theft", Vulnerability: "no_encryption_at_rest", Measures: []string{"164.310(d)(1)", "164.312(a)(2)(iv)", "164.312(b)"},
			Inherent: risk.Rating{Likelihood: 3, Impact: 3}, Current: risk.Rating{Likelihood: 2, Impact: 3},
			LikelihoodWhy: "Laptops leave daily.", ImpactWhy: "A year of schedules."})
		if err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/orgs/riverside/risks/%d", rk.ID)
		// Without an assessment the measures are listed, and the page says
		// there is nothing to compare them with.
		webtest.WantPage(t, f.lena.Get(t, path), 200, `id="measures-in-place"`, "There is no assessment yet")

		cat, err := catalog.Default()
		if err != nil {
			t.Fatal(err)
		}
		a, err := assess.New(cat, catalog.ProfileCurrent, "2026 assessment", time.Now(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if a, err = f.db.CreateAssessment(ctx, cli, f.org.ID, a); err != nil {
			t.Fatal(err)
		}
		for _, resp := range []assess.Response{
			{Citation: "164.310(d)(1)", Status: assess.Implemented, Narrative: "Every laptop is listed with its holder and checked each quarter."},
			{Citation: "164.312(a)(2)(iv)", Status: assess.NotImplemented, Narrative: "Disk encryption is planned for the spring."},
		} {
			if _, err := f.db.SaveResponse(ctx, cli, f.org.ID, a.ID, resp); err != nil {
				t.Fatal(err)
			}
		}
		// html/template writes a citation's brackets in a link as %28 and %29.
		entry := func(c string) string {
			return fmt.Sprintf(`href="/orgs/riverside/assessments/%d/entries/%s"`, a.ID, strings.NewReplacer("(", "%28", ")", "%29").Replace(c))
		}
		w := f.lena.Get(t, path)
		webtest.WantPage(t, w, 200, "assessment in progress", "2026 assessment",
			"Implemented", "Every laptop is listed with its holder and checked each quarter.",
			"Not implemented", "Disk encryption is planned for the spring.", "Not answered",
			entry("164.310(d)(1)"), entry("164.312(a)(2)(iv)"), entry("164.312(b)"),
			`id="measures-missing"`, "2 of the safeguards counted as in place are not implemented or not answered",
			"but the assessment says it is not implemented", "but the assessment says nothing of it yet")
		// The summary lists the chosen measures only, in the order chosen.
		body := w.Body.String()
		summary := body[strings.Index(body, `id="measures-in-place"`):]
		summary = summary[:strings.Index(summary, "</ul>")]
		if strings.Contains(summary, "164.308(a)(1)") {
			t.Errorf("the summary lists a measure the risk does not count on")
		}
		if i, j := strings.Index(summary, "164.310(d)(1)"), strings.Index(summary, "164.312(b)"); i < 0 || j < i {
			t.Errorf("the summary's measures are out of order or missing: %d, %d", i, j)
		}
		if got := strings.Count(summary, `class="measure-row missing"`); got != 2 {
			t.Errorf("measures flagged missing = %d, want 2", got)
		}

		// Once the assessment answers them implemented, the warning goes.
		for _, c := range []string{"164.312(a)(2)(iv)", "164.312(b)"} {
			if _, err := f.db.SaveResponse(ctx, cli, f.org.ID, a.ID, assess.Response{Citation: c, Status: assess.Implemented, Narrative: "Done."}); err != nil {
				t.Fatal(err)
			}
		}
		w = f.lena.Get(t, path)
		webtest.WantPage(t, w, 200, `id="measures-in-place"`)
		if strings.Contains(w.Body.String(), `id="measures-missing"`) {
			t.Errorf("the warning stays once every measure is implemented")
		}
	})
}
