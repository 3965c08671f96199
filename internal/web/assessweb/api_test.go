package assessweb

import (
	"context"
	"net/url"
	"strconv"
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

const fullFactorsJSON = `{"size":"two clinics, 14 staff","infrastructure":"cloud EHR","cost":"low","risk":"moderate"}`

func TestAssessmentAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newServer(t, db, web.Config{})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "sam@example.org", false, org.ID, identity.RoleSecurityOfficer)
		webtest.CreateUser(t, db, "priya@example.org", false, org.ID, identity.RoleContributor)
		webtest.CreateUser(t, db, "lena@example.org", false, org.ID, identity.RoleViewer)
		webtest.CreateUser(t, db, "eve@example.org", false, other.ID, identity.RoleOwner)
		webtest.CreateUser(t, db, "olga@example.org", false, org.ID, identity.RoleOwner)
		sam := webtest.LoginFull(t, s, db, "sam@example.org", webtest.Password)
		priya := webtest.LoginFull(t, s, db, "priya@example.org", webtest.Password)
		lena := webtest.LoginFull(t, s, db, "lena@example.org", webtest.Password)
		eve := webtest.LoginFull(t, s, db, "eve@example.org", webtest.Password)
		olga := webtest.LoginFull(t, s, db, "olga@example.org", webtest.Password)
		const base = "/api/v1/orgs/riverside"

		// Profile.
		var prof profileJSON
		webtest.MustJSON(t, webtest.SendJSON(t, priya, "PATCH", base+"/profile", `{"legal_name":"Riverside Family Practice, P.C.","workforce":14,"locations":["Main St","Oak Ave"],"systems":["Cloud EHR"],"official":{"name":"Sam Okafor","email":"sam@example.org","from":"2025-01-01"}}`), 200, &prof)
		if prof.Workforce != 14 || prof.LocationsCount != 2 || prof.Official == nil || prof.Official.Name != "Sam Okafor" || len(prof.Triggers) != 1 || prof.Triggers[0].Kind != assess.TriggerNever {
			t.Errorf("PATCH profile = %+v", prof)
		}
		w := webtest.SendJSON(t, priya, "PATCH", base+"/profile", `{"kind":"shop","workforce":-3}`)
		if w.Code != 422 || !strings.Contains(w.Body.String(), `"kind"`) || !strings.Contains(w.Body.String(), `"workforce"`) {
			t.Errorf("PATCH bad profile = %d %s", w.Code, w.Body)
		}
		webtest.MustJSON(t, lena.Get(t, base+"/profile"), 200, &prof)
		if prof.Workforce != 14 {
			t.Errorf("bad PATCH changed the profile: %+v", prof)
		}
		if w := webtest.SendJSON(t, lena, "PATCH", base+"/profile", `{"workforce":1}`); w.Code != 403 {
			t.Errorf("viewer PATCH profile = %d", w.Code)
		}
		// The sign-off rule is the security official's to change.
		if w := webtest.SendJSON(t, priya, "PATCH", base+"/profile", `{"review_rule":"any"}`); w.Code != 422 || !strings.Contains(w.Body.String(), `"review_rule"`) {
			t.Errorf("contributor changes the sign-off rule = %d %s", w.Code, w.Body)
		}
		if w := webtest.SendJSON(t, sam, "PATCH", base+"/profile", `{"review_rule":"sometimes"}`); w.Code != 422 || !strings.Contains(w.Body.String(), `"review_rule"`) {
			t.Errorf("unknown sign-off rule = %d %s", w.Code, w.Body)
		}
		webtest.MustJSON(t, webtest.SendJSON(t, sam, "PATCH", base+"/profile", `{"review_rule":"separate"}`), 200, &prof)
		webtest.MustJSON(t, webtest.SendJSON(t, sam, "PATCH", base+"/profile", `{"review_rule":""}`), 200, &prof)
		if prof.ReviewRule != assess.ReviewRuleAuto {
			t.Errorf("review rule = %q", prof.ReviewRule)
		}

		// Create.
		if w := webtest.SendJSON(t, priya, "POST", base+"/assessments", `{}`); w.Code != 422 || !strings.Contains(w.Body.String(), `"name"`) {
			t.Errorf("POST without a name = %d %s", w.Code, w.Body)
		}
		var a assessmentJSON
		webtest.MustJSON(t, webtest.SendJSON(t, priya, "POST", base+"/assessments", `{"name":"2026 assessment","due_at":"2099-06-30"}`), 201, &a)
		if a.Status != assess.StatusDraft || a.CatalogVersion == "" || a.EntryCount < 50 {
			t.Errorf("POST assessment = %+v", a)
		}
		path := base + "/assessments/" + itoa64(a.ID)
		if w := eve.Get(t, "/api/v1/orgs/other/assessments/"+itoa64(a.ID)); w.Code != 404 {
			t.Errorf("another organisation reads the assessment: %d", w.Code)
		}

		// Responses: bad input names the field and saves nothing.
		bad := []struct {
			name, method, path, body string
			code                     int
			field                    string
		}{
			{"unknown citation", "PATCH", path + "/responses/164.999(z)", `{"status":"implemented"}`, 422, "citation"},
			{"status not allowed", "PATCH", path + "/responses/" + url.PathEscape("164.312(a)(2)(i)"), `{"status":"not_applicable","na_reason":"x"}`, 422, "status"},
			{"N/A without reason", "PATCH", path + "/responses/164.314(b)(2)", `{"status":"not_applicable"}`, 422, "na_reason"},
			{"unknown status", "PATCH", path + "/responses/164.312(b)", `{"status":"done"}`, 422, "status"},
			{"decision without rationale", "PUT", path + "/decisions/164.312(a)(2)(iv)", `{"outcome":"not_implemented","risk_analysis_ref":"RA 2026","factors":` + fullFactorsJSON + `}`, 422, "rationale"},
			// The factors are the reasons for not implementing the
			// specification as written: required for "neither" and
			// "alternative", optional for "implemented as specified".
			{"decision without factors", "PUT", path + "/decisions/164.312(a)(2)(iii)", `{"outcome":"not_implemented","rationale":"r","risk_analysis_ref":"RA"}`, 422, "factors.size"},
			{"alternative without measure", "PUT", path + "/decisions/164.312(a)(2)(iii)", `{"outcome":"alternative","rationale":"r","risk_analysis_ref":"RA","factors":` + fullFactorsJSON + `}`, 422, "alternative"},
			// No risk register exists yet: a response cannot point at risks.
			{"risk links", "PATCH", path + "/responses/164.312(b)", `{"status":"implemented","risk_ids":[7]}`, 422, "risk_ids"},
			{"decision for a required entry", "PUT", path + "/decisions/164.312(b)", `{"outcome":"implemented","factors":` + fullFactorsJSON + `}`, 422, "citation"},
			{"contributor reviews", "POST", path + "/reviews/financial", `{}`, 403, ""},
		}
		for _, tt := range bad {
			w := webtest.SendJSON(t, priya, tt.method, tt.path, tt.body)
			if w.Code != tt.code || (tt.field != "" && !strings.Contains(w.Body.String(), `"`+tt.field+`"`)) {
				t.Errorf("%s: %s %s = %d %s, want %d naming %s", tt.name, tt.method, tt.path, w.Code, w.Body, tt.code, tt.field)
			}
		}
		if w := webtest.SendJSON(t, sam, "POST", path+"/reviews/financial", `{}`); w.Code != 422 || !strings.Contains(w.Body.String(), `"category"`) {
			t.Errorf("review of an unknown category = %d %s", w.Code, w.Body)
		}
		var sh sheetJSON
		webtest.MustJSON(t, lena.Get(t, path), 200, &sh)
		if len(sh.Responses) != 0 || len(sh.Decisions) != 0 {
			t.Fatalf("bad input saved something: %+v %+v", sh.Responses, sh.Decisions)
		}
		if len(sh.Blockers) == 0 || sh.Posture.Overall.Unanswered == 0 || len(sh.Entries) != a.EntryCount {
			t.Errorf("GET assessment: %d blockers, posture %+v, %d entries", len(sh.Blockers), sh.Posture.Overall, len(sh.Entries))
		}

		// A partial PATCH keeps what it does not mention.
		var resp assess.Response
		webtest.MustJSON(t, webtest.SendJSON(t, priya, "PATCH", path+"/responses/164.312(b)", `{"status":"partial","narrative":"EHR logs only","target_date":"2026-09-30"}`), 200, &resp)
		webtest.MustJSON(t, webtest.SendJSON(t, priya, "PATCH", path+"/responses/"+url.PathEscape("§164.312(b)"), `{"owner":"Sam Okafor"}`), 200, &resp)
		if resp.Status != assess.Partial || resp.Narrative != "EHR logs only" || resp.Owner != "Sam Okafor" || resp.Version != 2 || resp.TargetDate.IsZero() {
			t.Errorf("PATCH response = %+v", resp)
		}
		var versions web.List[assess.Response]
		webtest.MustJSON(t, lena.Get(t, path+"/responses/164.312(b)/versions"), 200, &versions)
		if len(versions.Items) != 2 || versions.Items[0].Owner != "" {
			t.Errorf("versions = %+v", versions.Items)
		}

		// Finalise: a draft must be submitted; then the blockers are listed.
		if w := webtest.SendJSON(t, sam, "POST", path+"/finalise", `{}`); w.Code != 409 || !strings.Contains(w.Body.String(), "submit it for review") {
			t.Errorf("finalise a draft = %d %s", w.Code, w.Body)
		}
		// Submitting needs every entry complete; the refusal lists the
		// entries (not the reviews, which come after).
		var nr notReadyBody
		webtest.MustJSON(t, webtest.SendJSON(t, priya, "POST", path+"/submit", `{}`), 422, &nr)
		if len(nr.Blockers) == 0 || nr.Error.Fields["164.312(a)(2)(iv).decision"] == "" || nr.Error.Fields["review.technical"] != "" ||
			nr.Error.Fields["164.312(b).status"] != "" || nr.Error.Fields["164.312(a)(1).status"] == "" || !strings.Contains(nr.Error.Message, "submitted") {
			t.Errorf("submit not ready = %s: %+v", nr.Error.Message, nr.Error.Fields)
		}
		// A category is reviewed only when its entries are complete.
		nr = notReadyBody{}
		webtest.MustJSON(t, webtest.SendJSON(t, sam, "POST", path+"/reviews/technical", `{}`), 422, &nr)
		if nr.Error.Fields["164.312(a)(2)(iv).decision"] == "" || nr.Error.Fields["164.308(a)(1).status"] != "" {
			t.Errorf("review of an incomplete category = %+v", nr.Error.Fields)
		}

		// Complete it through the API.
		cat, _ := catalog.Default()
		prof2, _ := cat.Profile(catalog.ProfileCurrent)
		for _, e := range prof2.Entries() {
			body := `{"status":"implemented","narrative":"in place"}`
			if e.Citation == "164.314(b)(2)" || e.Citation == "164.314(b)(1)" {
				body = `{"status":"not_applicable","na_reason":"We are a provider, not a group health plan."}`
			}
			webtest.MustJSON(t, webtest.SendJSON(t, priya, "PATCH", path+"/responses/"+url.PathEscape(e.Citation), body), 200, nil)
			if e.Requirement == catalog.Addressable {
				body := `{"outcome":"implemented","factors":` + fullFactorsJSON + `}`
				if e.Citation == "164.312(a)(2)(iv)" {
					body = `{"outcome":"alternative","alternative":"Backups kept in a locked safe","rationale":"The old drive cannot encrypt","risk_analysis_ref":"Risk analysis 2026, R-7","factors":` + fullFactorsJSON + `}`
				}
				var d assess.Decision
				webtest.MustJSON(t, webtest.SendJSON(t, priya, "PUT", path+"/decisions/"+url.PathEscape(e.Citation), body), 200, &d)
				if !strings.Contains(d.DecidedBy, "priya@example.org") {
					t.Errorf("decision DecidedBy = %q", d.DecidedBy)
				}
			}
		}
		webtest.MustJSON(t, webtest.SendJSON(t, priya, "POST", path+"/submit", `{}`), 200, &a)
		if w := webtest.SendJSON(t, priya, "POST", path+"/finalise", `{"attest":true}`); w.Code != 403 {
			t.Errorf("contributor finalises = %d", w.Code)
		}
		nr = notReadyBody{}
		webtest.MustJSON(t, webtest.SendJSON(t, sam, "POST", path+"/finalise", `{"attest":true}`), 422, &nr)
		if len(nr.Blockers) != 5 || nr.Error.Fields["review.technical"] == "" {
			t.Errorf("finalise not reviewed = %+v", nr.Error.Fields)
		}
		for _, c := range []string{"administrative", "physical", "technical", "organizational", "documentation"} {
			if w := webtest.SendJSON(t, priya, "POST", path+"/reviews/"+c, `{}`); w.Code != 403 {
				t.Errorf("contributor reviews = %d", w.Code)
			}
			var rev assess.CategoryReview
			webtest.MustJSON(t, webtest.SendJSON(t, sam, "POST", path+"/reviews/"+c, `{"note":"checked"}`), 200, &rev)
			if !strings.Contains(rev.ReviewedBy, "sam@example.org") {
				t.Errorf("review = %+v", rev)
			}
		}
		// The signer confirms the statement, and is not the only reviewer
		// in an organisation of several members.
		if w := webtest.SendJSON(t, sam, "POST", path+"/finalise", `{}`); w.Code != 422 || !strings.Contains(w.Body.String(), `"attest"`) {
			t.Errorf("finalise without attesting = %d %s", w.Code, w.Body)
		}
		if w := webtest.SendJSON(t, sam, "POST", path+"/finalise", `{"attest":true}`); w.Code != 422 || !strings.Contains(w.Body.String(), `"reviewers"`) {
			t.Errorf("finalise by the only reviewer = %d %s", w.Code, w.Body)
		}
		webtest.MustJSON(t, webtest.SendJSON(t, olga, "POST", path+"/reviews/documentation", `{"note":"second look"}`), 200, nil)
		webtest.MustJSON(t, webtest.SendJSON(t, sam, "POST", path+"/finalise", `{"attest":true}`), 200, &a)
		if a.Attestation != assess.Attestation {
			t.Errorf("finalised attestation = %q", a.Attestation)
		}
		if a.Status != assess.StatusFinal || !a.InEffect || !a.RetainUntil.IsZero() || !strings.Contains(a.FinalisedBy, "sam@example.org") {
			t.Errorf("finalise = %+v", a)
		}

		// Final: immutable, and retained.
		for _, tt := range []struct{ method, path, body string }{
			{"PATCH", path + "/responses/164.312(b)", `{"status":"not_implemented"}`},
			{"PUT", path + "/decisions/" + url.PathEscape("164.312(a)(2)(iii)"), `{"outcome":"implemented","factors":` + fullFactorsJSON + `}`},
			{"POST", path + "/reviews/technical", `{}`},
			{"POST", path + "/submit", `{}`},
			{"POST", path + "/finalise", `{}`},
		} {
			if w := webtest.SendJSON(t, sam, tt.method, tt.path, tt.body); w.Code != 409 || !strings.Contains(w.Body.String(), "cannot be changed") {
				t.Errorf("%s %s on a final assessment = %d %s", tt.method, tt.path, w.Code, w.Body)
			}
		}
		var rb retentionBody
		webtest.MustJSON(t, webtest.SendJSON(t, sam, "DELETE", path, ""), 409, &rb)
		if !rb.InEffect || !rb.RetainUntil.IsZero() || !strings.Contains(rb.Error.Message, "in effect") {
			t.Errorf("DELETE final = %+v", rb)
		}

		// Copy, change, compare.
		var b assessmentJSON
		webtest.MustJSON(t, webtest.SendJSON(t, priya, "POST", path+"/copy", `{"name":"2027 assessment"}`), 201, &b)
		if b.Status != assess.StatusDraft || b.CopiedFrom != a.ID {
			t.Errorf("copy = %+v", b)
		}
		bpath := base + "/assessments/" + itoa64(b.ID)
		webtest.MustJSON(t, webtest.SendJSON(t, priya, "PATCH", bpath+"/responses/164.312(b)", `{"status":"partial"}`), 200, nil)
		var cmp compareJSON
		webtest.MustJSON(t, lena.Get(t, base+"/assessments/compare?a="+itoa64(a.ID)+"&b="+itoa64(b.ID)), 200, &cmp)
		if cmp.Summary[assess.Regressed] != 1 || cmp.Summary[assess.Improved] != 0 {
			t.Errorf("compare summary = %v", cmp.Summary)
		}
		if w := lena.Get(t, base+"/assessments/compare?a=x"); w.Code != 422 || !strings.Contains(w.Body.String(), `"b"`) {
			t.Errorf("compare without ids = %d %s", w.Code, w.Body)
		}
		var l web.List[assessmentJSON]
		webtest.MustJSON(t, lena.Get(t, base+"/assessments"), 200, &l)
		if len(l.Items) != 2 || l.Items[0].ID != b.ID {
			t.Errorf("list = %+v", l.Items)
		}
		// A draft may be deleted by the security official.
		if w := webtest.SendJSON(t, priya, "DELETE", bpath, ""); w.Code != 403 {
			t.Errorf("contributor deletes = %d", w.Code)
		}
		if w := webtest.SendJSON(t, sam, "DELETE", bpath, ""); w.Code != 204 {
			t.Errorf("delete draft = %d %s", w.Code, w.Body)
		}
		// Triggers follow the profile: a new system after the final assessment.
		webtest.MustJSON(t, webtest.SendJSON(t, priya, "PATCH", base+"/profile", `{"systems":["Cloud EHR","Patient portal"]}`), 200, &prof)
		if len(prof.Triggers) != 1 || prof.Triggers[0].Kind != assess.TriggerSystem {
			t.Errorf("triggers = %+v", prof.Triggers)
		}
	})
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
