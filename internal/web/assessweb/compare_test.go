package assessweb

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
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestComparePage: the comparison opens on the newest assessment against
// the one before it without being asked (the last final one when there is
// one: TestCompareDefaults), offers every other assessment in
// each picker, counts not applicable → implemented as a change, shows a
// revised narrative and decision, links each row to the entry in both, and
// shows only the changes when asked.
func TestComparePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newServer(t, db, web.Config{})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "tom@example.org", false, org.ID, identity.RoleAuditor)
		tom := webtest.LoginFull(t, s, db, "tom@example.org", webtest.Password)
		actor := store.Actor{Name: "Sam"}

		// With one assessment there is nothing to compare, and the page says so.
		first := newAssessment(t, db, org.ID, "2024 assessment")
		webtest.WantPage(t, tom.Get(t, "/orgs/riverside/assessments/compare"), 200, `id="compare-single"`)

		// 2024, 2025 and 2026, started a day apart.
		const na, narr, dec = "164.314(b)(2)", "164.308(a)(1)(ii)(A)", "164.312(a)(2)(iv)"
		last := db.Now
		db.Now = func() time.Time { return last().Add(24 * time.Hour) }
		y2025 := newAssessment(t, db, org.ID, "2025 assessment")
		save := func(id int64, r assess.Response) {
			t.Helper()
			if _, err := db.SaveResponse(ctx, actor, org.ID, id, r); err != nil {
				t.Fatal(err)
			}
		}
		decide := func(id int64, d assess.Decision) {
			t.Helper()
			d.Factors = map[catalog.Factor]string{catalog.FactorSize: "14 staff", catalog.FactorInfrastructure: "cloud EHR", catalog.FactorCost: "low", catalog.FactorRisk: "medium"}
			d.Rationale, d.RiskAnalysisRef, d.DecidedBy = "Reasons recorded.", "RA-2025", "Sam"
			if _, err := db.SaveDecision(ctx, actor, org.ID, id, d); err != nil {
				t.Fatal(err)
			}
		}
		save(y2025.ID, assess.Response{Citation: na, Status: assess.NotApplicable, NAReason: "We are a provider, not a group health plan."})
		save(y2025.ID, assess.Response{Citation: narr, Status: assess.Implemented, Narrative: "A consultant did it."})
		save(y2025.ID, assess.Response{Citation: dec, Status: assess.NotImplemented})
		decide(y2025.ID, assess.Decision{Citation: dec, Outcome: catalog.OutcomeNotImplemented})
		db.Now = func() time.Time { return last().Add(48 * time.Hour) }
		y2026 := newAssessment(t, db, org.ID, "2026 assessment")
		save(y2026.ID, assess.Response{Citation: na, Status: assess.Implemented})
		save(y2026.ID, assess.Response{Citation: narr, Status: assess.Implemented, Narrative: "We did it ourselves this year."})
		save(y2026.ID, assess.Response{Citation: dec, Status: assess.Implemented, Narrative: "Backups are encrypted by the EHR vendor."})
		decide(y2026.ID, assess.Decision{Citation: dec, Outcome: catalog.OutcomeAlternative, Alternative: "Encrypted backups at the EHR vendor"})
		db.Now = last // back to the time of the session

		w := tom.Get(t, "/orgs/riverside/assessments/compare")
		body := w.Body.String()
		webtest.WantPage(t, w, 200, `id="changes"`, "2025 assessment</a> → <a", `id="changes-only"`)
		for _, want := range []string{
			fmt.Sprintf(`<option value="%d" selected>2025 assessment`, y2025.ID), // the earlier: the one before
			fmt.Sprintf(`<option value="%d">2024 assessment`, first.ID),          // every other one may be picked
			fmt.Sprintf(`<option value="%d" selected>2026 assessment`, y2026.ID), // the later: the newest
		} {
			if !strings.Contains(body, want) {
				t.Errorf("compare page lacks %s", want)
			}
		}
		row := func(body, citation string) string {
			i := strings.Index(body, `id="c-`+citation+`"`)
			if i < 0 {
				t.Fatalf("no row for %s", citation)
			}
			j := strings.Index(body[i:], "</tr>")
			return body[i : i+j]
		}
		if r := row(body, na); !strings.Contains(r, "Changed") || !strings.Contains(r, `class="trend-changed"`) && !strings.Contains(body, `<tr class="trend-changed" id="c-`+na) {
			t.Errorf("not applicable → implemented row = %s, want Changed", r)
		}
		r := row(body, narr)
		if !strings.Contains(r, "narrative revised") || !strings.Contains(r, "A consultant did it.") || !strings.Contains(r, "We did it ourselves this year.") {
			t.Errorf("narrative row = %s", r)
		}
		for _, href := range []string{fmt.Sprintf("/orgs/riverside/assessments/%d/entries/%s", y2025.ID, narr), fmt.Sprintf("/orgs/riverside/assessments/%d/entries/%s", y2026.ID, narr)} {
			if !strings.Contains(r, `href="`+strings.NewReplacer("(", "%28", ")", "%29").Replace(href)+`"`) && !strings.Contains(r, `href="`+href+`"`) {
				t.Errorf("row %s does not link to %s", narr, href)
			}
		}
		if r := row(body, dec); !strings.Contains(r, "Improved") || !strings.Contains(r, "decision revised") || !strings.Contains(r, "Encrypted backups at the EHR vendor") {
			t.Errorf("decision row = %s", r)
		}
		if !strings.Contains(body, `id="c-164.308(a)(5)(ii)(A)"`) {
			t.Errorf("the full comparison lacks an unchanged entry")
		}

		// Changes only: the three that changed; unchanged ones are left out.
		q := url.Values{"a": {itoa64(y2025.ID)}, "b": {itoa64(y2026.ID)}, "changes": {"only"}}
		w = tom.Get(t, "/orgs/riverside/assessments/compare?"+q.Encode())
		body = w.Body.String()
		webtest.WantPage(t, w, 200, `id="c-`+na+`"`, `id="c-`+narr+`"`, `id="c-`+dec+`"`, `id="changes-only" checked`)
		if n := strings.Count(body, `<tr class="trend-`); n != 3 {
			t.Errorf("changes only shows %d rows, want 3", n)
		}

		// The same assessment on both sides, or one of no such id, is refused
		// by the field.
		w = tom.Get(t, fmt.Sprintf("/orgs/riverside/assessments/compare?a=%d&b=%d", y2026.ID, y2026.ID))
		webtest.WantPage(t, w, http.StatusUnprocessableEntity, `id="a-problem"`)
		w = tom.Get(t, fmt.Sprintf("/orgs/riverside/assessments/compare?a=%d&b=999999", y2025.ID))
		webtest.WantPage(t, w, http.StatusUnprocessableEntity, `id="b-problem"`)

		// From an assessment's pages the comparison opens on it.
		webtest.WantPage(t, tom.Get(t, fmt.Sprintf("/orgs/riverside/assessments/%d", y2026.ID)), 200, fmt.Sprintf("/orgs/riverside/assessments/compare?b=%d", y2026.ID))
	})
}

// TestAssessmentNameTakenPage: the start form refuses a name the
// organisation already has, beside the field, by form and by API.
func TestAssessmentNameTakenPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newServer(t, db, web.Config{})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.Password)
		a := newAssessment(t, db, org.ID, "2026 assessment")
		w := webtest.PostForm(t, priya, "/orgs/riverside/assessments", url.Values{"name": {"2026 Assessment"}, "catalog_profile": {"current"}})
		webtest.WantPage(t, w, http.StatusUnprocessableEntity, `id="name-problem"`, "already the name of the assessment started on")
		w = webtest.PostForm(t, priya, "/orgs/riverside/assessments", url.Values{"name": {"2026 assessment"}, "catalog_profile": {"current"}, "copy_from": {itoa64(a.ID)}})
		webtest.WantPage(t, w, http.StatusUnprocessableEntity, `id="name-problem"`)
		w = webtest.SendJSON(t, priya, "POST", "/api/v1/orgs/riverside/assessments", `{"name":"2026 assessment"}`)
		var bad web.ErrorBody
		webtest.MustJSON(t, w, http.StatusUnprocessableEntity, &bad)
		if bad.Error.Fields["name"] == "" {
			t.Errorf("API: %+v, want a problem on name", bad)
		}
		if as, _ := db.Assessments(ctx, org.ID); len(as) != 1 {
			t.Errorf("%d assessments, want 1", len(as))
		}
	})
}

// TestCompareDefaults: without a choice, the later is the newest and the
// earlier the last final one started before it; from an older assessment's
// page (b given), the last final one before that.
func TestCompareDefaults(t *testing.T) {
	day := func(n int) time.Time { return time.Date(2026, 1, n, 0, 0, 0, 0, time.UTC) }
	choices := []store.AssessmentChoice{ // newest first
		{ID: 5, Status: assess.StatusDraft, StartedAt: day(5)},
		{ID: 4, Status: assess.StatusDraft, StartedAt: day(4)},
		{ID: 3, Status: assess.StatusFinal, StartedAt: day(3), FinalisedAt: day(10)},
		{ID: 2, Status: assess.StatusFinal, StartedAt: day(2), FinalisedAt: day(3)},
		{ID: 1, Status: assess.StatusDraft, StartedAt: day(1)},
	}
	for _, tt := range []struct{ a, b, wantA, wantB int64 }{
		{0, 0, 3, 5}, // the newest against the last final one
		{0, 4, 3, 4},
		{0, 3, 2, 3}, // the last final one before it
		{0, 2, 1, 2}, // no final one before it: the newest before it
		{0, 1, 3, 1}, // nothing before it: the last final one
		{2, 0, 2, 5},
		{5, 0, 5, 4}, // the later is never the earlier
	} {
		if a, b := compareDefaults(choices, tt.a, tt.b); a != tt.wantA || b != tt.wantB {
			t.Errorf("compareDefaults(a=%d, b=%d) = %d, %d, want %d, %d", tt.a, tt.b, a, b, tt.wantA, tt.wantB)
		}
	}
}
