package assessweb

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestAssessmentPages drives the assessment pages with plain form posts, as
// a browser without JavaScript would: validation re-renders the form with
// its problems and saves nothing, a viewer sees no edit controls, and a
// final assessment cannot be changed or deleted.
func TestAssessmentPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newServer(t, db, web.Config{})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "sam@example.org", false, org.ID, identity.RoleSecurityOfficer)
		webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		webtest.CreateUser(t, db, "lena@example.org", false, org.ID, identity.RoleViewer)
		webtest.CreateUser(t, db, "olga@example.org", false, org.ID, identity.RoleOwner)
		sam := webtest.LoginFull(t, s, db, "sam@example.org", webtest.Password)
		olga := webtest.LoginFull(t, s, db, "olga@example.org", webtest.Password)
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.Password)
		lena := webtest.LoginFull(t, s, db, "lena@example.org", webtest.Password)

		// The profile. (The dashboard on the organisation page is orgweb's,
		// tested there by TestOrgDashboard.)
		w := webtest.PostForm(t, priya, "/orgs/riverside/profile", url.Values{"legal_name": {"Riverside P.C."}, "kind": {"provider"}, "workforce": {"many"}, "catalog_profile": {"current"}})
		webtest.WantPage(t, w, 422, `id="workforce-problem"`, `aria-invalid="true"`)
		sam0, err := db.UserByEmail(ctx, "sam@example.org")
		if err != nil {
			t.Fatal(err)
		}
		w = webtest.PostForm(t, priya, "/orgs/riverside/profile", url.Values{"legal_name": {"Riverside P.C."}, "kind": {"provider"}, "workforce": {"14"},
			"systems": {"EHR\nPatient portal"}, "catalog_profile": {"current"}, "official_user": {itoa64(sam0.ID)}, "official_from": {"2024-01-01"}})
		webtest.WantPage(t, w, 303)
		webtest.WantPage(t, lena.Get(t, "/orgs/riverside/profile"), 200, "Riverside P.C.", "Test sam@example.org", "current")
		if p, _ := db.OrgProfile(ctx, org.ID); len(p.Systems) != 2 || p.Workforce != 14 {
			t.Errorf("profile saved as %+v", p)
		}

		// A new assessment from the list page.
		w = webtest.PostForm(t, priya, "/orgs/riverside/assessments", url.Values{"name": {""}, "catalog_profile": {"current"}})
		webtest.WantPage(t, w, 422, `id="name-problem"`)
		w = webtest.PostForm(t, priya, "/orgs/riverside/assessments", url.Values{"name": {"2026 assessment"}, "catalog_profile": {"current"}, "due_at": {"2027-01-31"}})
		webtest.WantPage(t, w, 303)
		base := w.Header().Get("Location")
		if !strings.HasPrefix(base, "/orgs/riverside/assessments/") {
			t.Fatalf("created at %q", base)
		}
		as, err := db.Assessments(ctx, org.ID)
		if err != nil || len(as) != 1 {
			t.Fatalf("assessments %v %v", as, err)
		}
		// The gates show on the page: nothing to submit or review yet, and
		// a submit posted anyway is refused with the reason.
		w = sam.Get(t, base)
		webtest.WantPage(t, w, 200, `id="submit-waits"`, `id="review-technical-waits"`)
		if strings.Contains(w.Body.String(), `id="submit-review"`) || strings.Contains(w.Body.String(), `id="review-technical-submit"`) {
			t.Error("an incomplete assessment offers to submit it or review a category")
		}
		webtest.WantPage(t, webtest.PostForm(t, priya, base+"/submit", nil), 422, "Not submitted")
		webtest.WantPage(t, webtest.PostForm(t, sam, base+"/reviews/technical", nil), 422, "was not recorded")
		id := as[0].ID
		webtest.WantPage(t, priya.Get(t, base), 200, "What blocks sign-off", "has no answer", `<svg class="posture-chart" role="img"`, "<desc")

		// Expert mode: one row at a time; a status the entry does not allow
		// comes back beside the field.
		w = webtest.PostForm(t, priya, base+"/table", url.Values{"citation": {"164.312(b)"}, "status": {"not_applicable"}, "narrative": {"n/a"}})
		webtest.WantPage(t, w, 422, `id="f-e-164-312-b-status-problem"`, "not_applicable is not allowed")
		if sh, _ := db.AssessmentSheet(ctx, org.ID, id); len(sh.Responses) != 0 {
			t.Errorf("a refused row was saved: %+v", sh.Responses)
		}
		w = webtest.PostForm(t, priya, base+"/table", url.Values{"citation": {"164.312(b)"}, "status": {"implemented"}, "narrative": {"EHR audit log reviewed monthly."}, "owner": {"Sam"}, "target_date": {"2026-12-01"}})
		webtest.WantPage(t, w, 303)
		if !strings.Contains(w.Header().Get("Location"), "/table?saved=") {
			t.Errorf("table row saved, redirected to %q", w.Header().Get("Location"))
		}

		// The addressable decision: without factors, problems beside them.
		entry := base + "/entries/164.312(a)(2)(iii)"
		w = webtest.PostForm(t, priya, entry+"/decision", url.Values{"outcome": {"alternative"}, "alternative": {"Screen lock after 5 minutes."},
			"rationale": {"Shared exam-room PCs."}, "risk_analysis_ref": {"RA 2026"}})
		webtest.WantPage(t, w, 422, `id="factor-size-problem"`, `id="factor-risk-problem"`, "Screen lock after 5 minutes.")
		form := url.Values{"outcome": {"alternative"}, "alternative": {"Screen lock after 5 minutes."}, "rationale": {"Shared exam-room PCs."}, "risk_analysis_ref": {"RA 2026"}}
		for _, f := range catalog.Factors() {
			form.Set("factor_"+string(f), "Considered: "+string(f))
		}
		webtest.WantPage(t, webtest.PostForm(t, priya, entry+"/decision", form), 303)
		webtest.WantPage(t, priya.Get(t, entry), 200, "Decided by Test priya@example.org", "version 1")
		// The response form of the entry page, with an invalid date.
		webtest.WantPage(t, webtest.PostForm(t, priya, entry, url.Values{"status": {"implemented"}, "target_date": {"next week"}}), 422, `id="target_date-problem"`)

		// Guided mode: opens at the first standard with unanswered entries;
		// a problem in any entry saves none of them.
		w = priya.Get(t, base+"/guided")
		webtest.WantPage(t, w, 200, `<progress id="guided-progress"`, `data-standard="164.308(a)(1)"`)
		w = webtest.PostForm(t, priya, base+"/guided", url.Values{"standard": {"164.308(a)(1)"}, "s0-status": {"implemented"}, "s1-status": {"not_applicable"}})
		webtest.WantPage(t, w, 422, `id="s1-status-problem"`)
		if sh, _ := db.AssessmentSheet(ctx, org.ID, id); len(sh.Responses) != 1 {
			t.Errorf("guided mode saved part of a refused standard: %d responses", len(sh.Responses))
		}
		w = webtest.PostForm(t, priya, base+"/guided", url.Values{"standard": {"164.308(a)(1)"}, "s0-status": {"implemented"}, "s0-narrative": {"Done."}})
		webtest.WantPage(t, w, 303)
		if loc := w.Header().Get("Location"); !strings.Contains(loc, "/guided?standard=") {
			t.Errorf("save and continue went to %q", loc)
		}

		// A viewer reads but has no edit controls, and cannot post.
		w = lena.Get(t, base+"/table")
		webtest.WantPage(t, w, 200)
		if strings.Contains(w.Body.String(), "<select") || strings.Contains(w.Body.String(), `action="`+base+`/table"`) {
			t.Error("the viewer's table has edit controls")
		}
		if w := webtest.PostForm(t, lena, base+"/table", url.Values{"citation": {"164.312(b)"}, "status": {"partial"}}); w.Code != http.StatusForbidden {
			t.Errorf("viewer's edit = %d", w.Code)
		}

		// Complete everything else in the store, then submit, review and sign
		// off through the pages.
		sh, err := db.AssessmentSheet(ctx, org.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range sh.Assessment.Entries {
			if !e.Assessable() {
				continue
			}
			if r, ok := sh.Response(e.Citation); !ok {
				if _, err := db.SaveResponse(ctx, store.Actor{Name: "test"}, org.ID, id, assess.Response{Citation: e.Citation, Status: assess.Implemented, Narrative: "In place."}); err != nil {
					t.Fatal(err)
				}
			} else if _, decided := sh.Decision(e.Citation); decided && r.Narrative == "" {
				// A decision's alternative needs the response to say what is
				// in place.
				r.Narrative = "In place as the decision describes."
				if _, err := db.SaveResponse(ctx, store.Actor{Name: "test"}, org.ID, id, r); err != nil {
					t.Fatal(err)
				}
			}
			if _, ok := sh.Decision(e.Citation); !ok && e.Requirement == catalog.Addressable {
				// The decision agrees with the response: implemented as
				// specified, an alternative for what is partly in place,
				// neither for what is not.
				d := assess.Decision{Citation: e.Citation, Outcome: catalog.OutcomeImplemented, DecidedBy: "test", Factors: map[catalog.Factor]string{}}
				if r, ok := sh.Response(e.Citation); ok {
					switch r.Status {
					case assess.Partial:
						d.Outcome, d.Alternative, d.Rationale, d.RiskAnalysisRef = catalog.OutcomeAlternative, "a compensating measure", "r", "RA"
						if r.Narrative == "" {
							r.Narrative = "In place in part."
							if _, err := db.SaveResponse(ctx, store.Actor{Name: "test"}, org.ID, id, r); err != nil {
								t.Fatal(err)
							}
						}
					case assess.NotImplemented:
						d.Outcome, d.Rationale, d.RiskAnalysisRef = catalog.OutcomeNotImplemented, "r", "RA"
					}
				}
				for _, f := range catalog.Factors() {
					d.Factors[f] = "ok"
				}
				if _, err := db.SaveDecision(ctx, store.Actor{Name: "test"}, org.ID, id, d); err != nil {
					t.Fatal(err)
				}
			}
		}
		webtest.WantPage(t, webtest.PostForm(t, priya, base+"/submit", nil), 303)
		webtest.WantPage(t, webtest.PostForm(t, sam, base+"/finalise", nil), 422, "cannot be signed off yet", "have not been reviewed")
		if w := webtest.PostForm(t, priya, base+"/reviews/technical", nil); w.Code != http.StatusForbidden {
			t.Errorf("a contributor's review = %d", w.Code)
		}
		for _, c := range sh.Assessment.Categories() {
			webtest.WantPage(t, webtest.PostForm(t, sam, base+"/reviews/"+string(c), url.Values{"note": {"ok"}}), 303)
		}
		// Sign-off: the statement must be confirmed, and somebody other
		// than the signer must have reviewed a category.
		webtest.WantPage(t, webtest.PostForm(t, sam, base+"/finalise", nil), 422, `id="attest-problem"`, `aria-invalid="true"`)
		webtest.WantPage(t, webtest.PostForm(t, sam, base+"/finalise", url.Values{"attest": {"yes"}}), 422, `id="reviewers-problem"`, "somebody other than the signer")
		webtest.WantPage(t, webtest.PostForm(t, olga, base+"/reviews/physical", url.Values{"note": {"second look"}}), 303)
		if w := webtest.PostForm(t, sam, base+"/finalise", url.Values{"attest": {"yes"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("finalise = %d: %s", w.Code, regexp.MustCompile(`(?s)id="blockers-h".{0,999}`).FindString(w.Body.String()))
		}
		webtest.WantPage(t, sam.Get(t, base), 200, `id="signed-statement"`, "not the risk analysis")
		webtest.WantPage(t, sam.Get(t, base), 200, "Final — signed off by Test sam@example.org", "kept while in effect, then six years", "the one in effect: it must be kept while it is")
		w = sam.Get(t, base+"/table")
		webtest.WantPage(t, w, 200, "Final — signed off")
		if strings.Contains(w.Body.String(), "<select") || strings.Contains(w.Body.String(), "<textarea") {
			t.Error("a final assessment's table has edit controls")
		}
		webtest.WantPage(t, sam.Get(t, entry), 200)
		if strings.Contains(sam.Get(t, entry).Body.String(), "<textarea") {
			t.Error("a final assessment's entry page has edit controls")
		}
		if w := webtest.PostForm(t, priya, base+"/table", url.Values{"citation": {"164.312(b)"}, "status": {"partial"}}); w.Code != http.StatusConflict {
			t.Errorf("editing a final assessment = %d, want 409", w.Code)
		}
		webtest.WantPage(t, webtest.PostForm(t, sam, base+"/delete", nil), 409, "cannot be deleted before")

		// The comparison with a copy; a draft is deleted
		// only when confirmed.
		w = webtest.PostForm(t, priya, "/orgs/riverside/assessments", url.Values{"name": {"Scratch"}, "catalog_profile": {"current"}})
		scratch := w.Header().Get("Location")
		webtest.WantPage(t, webtest.PostForm(t, sam, scratch+"/delete", nil), 422, `id="delete-confirm-problem"`)
		webtest.WantPage(t, webtest.PostForm(t, sam, scratch+"/delete", url.Values{"confirm": {"yes"}}), 303)
		if w := sam.Get(t, scratch); w.Code != http.StatusNotFound {
			t.Errorf("deleted draft = %d", w.Code)
		}

		w = webtest.PostForm(t, priya, "/orgs/riverside/assessments", url.Values{"name": {"2027 assessment"}, "catalog_profile": {"current"}, "copy_from": {itoa64(id)}})
		webtest.WantPage(t, w, 303)
		as, _ = db.Assessments(ctx, org.ID)
		w = lena.Get(t, "/orgs/riverside/assessments/compare?a="+itoa64(id)+"&b="+itoa64(as[0].ID))
		webtest.WantPage(t, w, 200, `id="compare-counts"`, "Unchanged")
		webtest.WantPage(t, lena.Get(t, "/orgs/riverside/assessments/compare?a=x&b="), 422)
	})
}
