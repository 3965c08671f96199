package store_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/validate"
)

func newAssessment(t testing.TB, name string, now time.Time) assess.Assessment {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	a, err := assess.New(cat, catalog.ProfileCurrent, name, now, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func factors() map[catalog.Factor]string {
	return map[catalog.Factor]string{"size": "small practice", "infrastructure": "cloud EHR", "cost": "modest", "risk": "moderate"}
}

// fill answers every entry and decision and reviews every category.
func fill(t *testing.T, db *store.DB, orgID int64, a assess.Assessment) {
	t.Helper()
	ctx := context.Background()
	for _, e := range a.Entries {
		if !e.Assessable() {
			continue
		}
		if _, err := db.SaveResponse(ctx, cli, orgID, a.ID, assess.Response{Citation: e.Citation, Status: assess.Implemented, Narrative: "done"}); err != nil {
			t.Fatalf("SaveResponse(%s) = %v", e.Citation, err)
		}
		if e.Requirement == catalog.Addressable {
			if _, err := db.SaveDecision(ctx, cli, orgID, a.ID, assess.Decision{Citation: e.Citation, Outcome: catalog.OutcomeImplemented, Factors: factors(), DecidedBy: "Sam"}); err != nil {
				t.Fatalf("SaveDecision(%s) = %v", e.Citation, err)
			}
		}
	}
	for _, c := range a.Categories() {
		if _, err := db.ReviewCategory(ctx, cli, orgID, a.ID, assess.CategoryReview{Category: c, ReviewedBy: "Sam Okafor"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAssessmentLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		a, err := db.CreateAssessment(ctx, cli, org.ID, newAssessment(t, "2026", db.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Assessment(ctx, other.ID, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Assessment(other org) = %v, want ErrNotFound", err)
		}

		// Versions: every save is kept.
		for i, st := range []assess.ResponseStatus{assess.NotImplemented, assess.Partial, assess.Implemented} {
			r, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: "164.312(b)", Status: st, Narrative: "v" + string(st)})
			if err != nil || r.Version != i+1 {
				t.Fatalf("SaveResponse #%d = %+v, %v", i+1, r, err)
			}
		}
		vs, next, err := db.ResponseHistory(ctx, org.ID, a.ID, "164.312(b)", store.Page{Limit: 10})
		if err != nil || next != nil || len(vs) != 3 || vs[2].Status != assess.NotImplemented || vs[0].Status != assess.Implemented {
			t.Fatalf("ResponseHistory = %+v, %v", vs, err)
		}

		// Bad input is refused with the field named and nothing saved.
		bad := []struct {
			name  string
			save  func() error
			field string
		}{
			{"unknown citation", func() error {
				_, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: "164.999(z)", Status: assess.Implemented})
				return err
			}, "citation"},
			{"N/A not allowed", func() error {
				_, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: "164.312(a)(2)(i)", Status: assess.NotApplicable, NAReason: "x"})
				return err
			}, "status"},
			{"decision without rationale", func() error {
				_, err := db.SaveDecision(ctx, cli, org.ID, a.ID, assess.Decision{Citation: "164.312(a)(2)(iv)", Outcome: catalog.OutcomeNotImplemented, Factors: factors(), DecidedBy: "Sam"})
				return err
			}, "rationale"},
			{"decision on a required entry", func() error {
				_, err := db.SaveDecision(ctx, cli, org.ID, a.ID, assess.Decision{Citation: "164.312(b)", Outcome: catalog.OutcomeImplemented, Factors: factors(), DecidedBy: "Sam"})
				return err
			}, "citation"},
			{"unknown category", func() error {
				_, err := db.ReviewCategory(ctx, cli, org.ID, a.ID, assess.CategoryReview{Category: "financial", ReviewedBy: "Sam"})
				return err
			}, "category"},
		}
		for _, tt := range bad {
			var v validate.Error
			if err := tt.save(); !errors.As(err, &v) || v[tt.field] == "" {
				t.Errorf("%s = %v, want a problem with %s", tt.name, err, tt.field)
			}
		}

		// Not ready: a draft is not signed off, an incomplete one is not
		// submitted, and both say what is in the way.
		sam := assess.SignOff{By: "Sam Okafor", Attested: true}
		if _, err := db.FinaliseAssessment(ctx, cli, org.ID, a.ID, sam); !errors.Is(err, store.ErrConflict) {
			t.Errorf("FinaliseAssessment(draft) = %v, want ErrConflict", err)
		}
		var nr *assess.NotReadyError
		if _, err := db.SubmitAssessment(ctx, cli, org.ID, a.ID); !errors.As(err, &nr) || nr.Step != assess.StepSubmit || len(nr.Blockers) == 0 {
			t.Fatalf("SubmitAssessment(incomplete) = %v, want NotReadyError", err)
		}
		fill(t, db, org.ID, a)
		if _, err := db.SubmitAssessment(ctx, cli, org.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		var v validate.Error
		if _, err := db.FinaliseAssessment(ctx, cli, org.ID, a.ID, assess.SignOff{By: "Sam Okafor"}); !errors.As(err, &v) || v["attest"] == "" {
			t.Fatalf("FinaliseAssessment(not attested) = %v, want a problem with attest", err)
		}
		final, err := db.FinaliseAssessment(ctx, cli, org.ID, a.ID, sam)
		if err != nil {
			t.Fatalf("FinaliseAssessment = %v", err)
		}
		if final.Status != assess.StatusFinal || final.FinalisedBy != "Sam Okafor" || !final.RetainUntil.Equal(assess.RetainUntil(final.FinalisedAt)) ||
			final.Attestation != assess.Attestation {
			t.Errorf("FinaliseAssessment = %+v", final)
		}
		if got, _ := db.Assessment(ctx, org.ID, a.ID); got.Attestation != assess.Attestation {
			t.Errorf("stored attestation = %q", got.Attestation)
		}

		// A final assessment refuses every change, in Go and in SQL.
		writes := map[string]func() error{
			"response": func() error {
				_, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: "164.312(b)", Status: assess.Partial})
				return err
			},
			"decision": func() error {
				_, err := db.SaveDecision(ctx, cli, org.ID, a.ID, assess.Decision{Citation: "164.312(a)(2)(iv)", Outcome: catalog.OutcomeImplemented, Factors: factors(), DecidedBy: "x"})
				return err
			},
			"review": func() error {
				_, err := db.ReviewCategory(ctx, cli, org.ID, a.ID, assess.CategoryReview{Category: catalog.Technical, ReviewedBy: "x"})
				return err
			},
			"submit": func() error { _, err := db.SubmitAssessment(ctx, cli, org.ID, a.ID); return err },
			"finalise": func() error {
				_, err := db.FinaliseAssessment(ctx, cli, org.ID, a.ID, sam)
				return err
			},
		}
		for name, w := range writes {
			if err := w(); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "cannot be changed") {
				t.Errorf("%s on a final assessment = %v, want ErrConflict", name, err)
			}
		}
		for _, q := range []string{
			`UPDATE assess_responses SET status = 'partial' WHERE assessment_id = ` + itoa(a.ID),
			`UPDATE assessments SET name = 'changed' WHERE id = ` + itoa(a.ID),
			`UPDATE assessments SET attestation = 'something else' WHERE id = ` + itoa(a.ID),
			`INSERT INTO assess_reviews (assessment_id, category, reviewed_by, reviewed_at) VALUES (` + itoa(a.ID) + `, 'x', 'y', CURRENT_TIMESTAMP)`,
		} {
			if err := store.ExecForTest(ctx, db, q); err == nil || !strings.Contains(err.Error(), "final") {
				t.Errorf("%s = %v, want refused by a trigger", q, err)
			}
		}

		// Retention: the assessment in effect cannot be deleted at all (it
		// has no end date until a newer one replaces it).
		var re *assess.RetentionError
		if err := db.DeleteAssessment(ctx, cli, org.ID, a.ID); !errors.As(err, &re) || !errors.Is(err, store.ErrConflict) || !re.Until.IsZero() {
			t.Errorf("DeleteAssessment(final in effect) = %v, want RetentionError with no end date yet", err)
		}

		// A copy starts a new draft with the answers; finalising it moves the
		// old one's last effective date on.
		later := db.Now
		db.Now = func() time.Time { return later().AddDate(1, 0, 0) }
		b, err := db.CopyAssessment(ctx, cli, org.ID, a.ID, newAssessment(t, "2027", db.Now()))
		if err != nil {
			t.Fatal(err)
		}
		sb, err := db.AssessmentSheet(ctx, org.ID, b.ID)
		if err != nil || sb.Assessment.Status != assess.StatusDraft || sb.Assessment.CopiedFrom != a.ID || len(sb.Responses) == 0 || len(sb.Decisions) == 0 || len(sb.Reviews) != 0 {
			t.Fatalf("copy = %+v, %v", sb.Assessment, err)
		}
		if got := assess.Blockers(sb.Assessment, sb.Responses, sb.Decisions, sb.Reviews); len(got) != 5 {
			t.Errorf("copy blockers = %v, want the five reviews", got)
		}
		fill(t, db, org.ID, b)
		if _, err := db.SubmitAssessment(ctx, cli, org.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		fb, err := db.FinaliseAssessment(ctx, cli, org.ID, b.ID, sam)
		if err != nil {
			t.Fatal(err)
		}
		old, _ := db.Assessment(ctx, org.ID, a.ID)
		if !old.LastEffective.Equal(fb.FinalisedAt) || !old.RetainUntil.Equal(fb.FinalisedAt.AddDate(6, 0, 0)) {
			t.Errorf("replaced assessment: last effective %v, retain until %v; want %v", old.LastEffective, old.RetainUntil, fb.FinalisedAt)
		}
		db.Now = func() time.Time { return later().AddDate(8, 0, 0) }
		if err := db.DeleteAssessment(ctx, cli, org.ID, a.ID); err != nil {
			t.Errorf("DeleteAssessment after retention = %v", err)
		}
		list, err := db.Assessments(ctx, org.ID)
		if err != nil || len(list) != 1 || list[0].ID != b.ID {
			t.Errorf("Assessments = %v, %v", list, err)
		}
		// Drafts may be deleted.
		c, err := db.CreateAssessment(ctx, cli, org.ID, newAssessment(t, "scratch", db.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteAssessment(ctx, cli, org.ID, c.ID); err != nil {
			t.Errorf("DeleteAssessment(draft) = %v", err)
		}
		entries, _, err := db.AuditSearch(ctx, store.AuditFilter{OrgID: org.ID, Action: "assess.", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.Action] = true
		}
		for _, act := range []string{"assess.create", "assess.response", "assess.decision", "assess.review", "assess.submit", "assess.finalise", "assess.delete"} {
			if !seen[act] {
				t.Errorf("no %s audit entry", act)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestOrgProfile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		p, err := db.OrgProfile(ctx, org.ID)
		if err != nil || p.LegalName != "Riverside" || p.Kind != string(identity.KindProvider) || p.CatalogProfile != "current" {
			t.Fatalf("OrgProfile(new) = %+v, %v", p, err)
		}
		p.LegalName, p.Workforce, p.Systems, p.Locations = "Riverside Family Practice, P.C.", 14, []string{"EHR"}, []string{"Main St", "Oak Ave"}
		from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		p, err = db.UpdateOrgProfile(ctx, cli, org.ID, p, &assess.OfficialTerm{Name: "Maria", Email: "maria@example.org", From: from})
		if err != nil {
			t.Fatal(err)
		}
		p, err = db.UpdateOrgProfile(ctx, cli, org.ID, p, &assess.OfficialTerm{Name: "Sam", Email: "sam@example.org", From: from.AddDate(1, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		cur, ok := p.Official()
		if p.Workforce != 14 || p.LocationsCount != 2 || len(p.Officials) != 2 || !ok || cur.Name != "Sam" || !p.Officials[0].To.Equal(from.AddDate(1, 0, 0)) {
			t.Errorf("UpdateOrgProfile = %+v", p)
		}
		var v validate.Error
		_, err = db.UpdateOrgProfile(ctx, cli, org.ID, p, &assess.OfficialTerm{Name: "Early", From: from})
		if !errors.As(err, &v) || v["official.from"] == "" {
			t.Errorf("official before the current term = %v", err)
		}
		p.Kind, p.CatalogProfile = "shop", "nope"
		if _, err := db.UpdateOrgProfile(ctx, cli, org.ID, p, nil); !errors.As(err, &v) || v["kind"] == "" || v["catalog_profile"] == "" {
			t.Errorf("bad profile = %v", err)
		}
	})
}

// TestReviewLapsesWhenEntryChanges: a category review covers what the
// reviewer saw; changing an entry in that category afterwards withdraws it,
// and sign-off is blocked until the category is reviewed again.
func TestReviewLapsesWhenEntryChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		a, err := db.CreateAssessment(ctx, cli, org.ID, newAssessment(t, "2026", db.Now()))
		if err != nil {
			t.Fatal(err)
		}
		fill(t, db, org.ID, a)
		sheet, err := db.AssessmentSheet(ctx, org.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b := assess.Blockers(sheet.Assessment, sheet.Responses, sheet.Decisions, sheet.Reviews); len(b) != 0 {
			t.Fatalf("Blockers after fill = %v, want none", b)
		}
		if _, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: "164.312(b)", Status: assess.Partial, Narrative: "logs kept for 30 days only", Owner: "Sam", TargetDate: db.Now().AddDate(0, 1, 0)}); err != nil {
			t.Fatal(err)
		}
		sheet, err = db.AssessmentSheet(ctx, org.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		blockers := assess.Blockers(sheet.Assessment, sheet.Responses, sheet.Decisions, sheet.Reviews)
		if len(blockers) != 1 || !strings.Contains(fmt.Sprint(blockers[0]), "technical") {
			t.Errorf("Blockers after a technical entry changed = %v, want the technical review only", blockers)
		}
		for _, r := range sheet.Reviews {
			if r.Category == catalog.Technical {
				t.Errorf("the technical review survived a later change: %+v", r)
			}
		}
		lapsed, _, err := db.AuditSearch(ctx, store.AuditFilter{OrgID: org.ID, Action: "assess.review_lapsed"})
		if err != nil || len(lapsed) != 1 {
			t.Errorf("assess.review_lapsed entries = %d, %v; want 1", len(lapsed), err)
		}
	})
}
