package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// The gates to sign-off come in one order: a gap in a required entry needs a
// plan item, an incomplete assessment is not submitted, an incomplete
// category is not reviewed, and the signer is not the only reviewer where
// the organisation's rule asks for a second person.
func TestSignOffGates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "two", Name: "Two-person practice", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		var actors []store.Actor
		for _, email := range []string{"ana@two.example", "ben@two.example"} {
			u, err := db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: email, Name: email}, OrgID: org.ID, Role: identity.RoleSecurityOfficer})
			if err != nil {
				t.Fatal(err)
			}
			actors = append(actors, store.Actor{Name: fmt.Sprintf("user:%d", u.ID)})
		}
		ana, ben := actors[0], actors[1]
		a, err := db.CreateAssessment(ctx, cli, org.ID, newAssessment(t, "2026", db.Now()))
		if err != nil {
			t.Fatal(err)
		}

		// Standards are answered in their own right: 164.312(a)(1) has
		// specifications and still needs its own answer.
		if e, ok := a.Entry("164.312(a)(1)"); !ok || !e.Assessable() || e.Requirement != catalog.Required {
			t.Fatalf("standard 164.312(a)(1) in a new assessment = %+v, want assessable and required", e)
		}
		fillAs(t, db, ana, org.ID, a, false)

		// A required specification that is not implemented needs an owner
		// and a target date before anything moves on.
		gap := assess.Response{Citation: "164.312(b)", Status: assess.NotImplemented, Narrative: "No audit log review yet."}
		if _, err := db.SaveResponse(ctx, ana, org.ID, a.ID, gap); err != nil {
			t.Fatal(err)
		}
		var nr *assess.NotReadyError
		if _, err := db.SubmitAssessment(ctx, ana, org.ID, a.ID); !errors.As(err, &nr) || len(nr.Blockers) != 1 ||
			nr.Blockers[0].Citation != "164.312(b)" || nr.Blockers[0].Field != "plan" {
			t.Fatalf("SubmitAssessment with an unplanned gap = %v (%+v), want one plan blocker", err, nr)
		}
		// The technical category cannot be reviewed while the gap is
		// unplanned; another category can.
		if _, err := db.ReviewCategory(ctx, ana, org.ID, a.ID, assess.CategoryReview{Category: catalog.Technical, ReviewedBy: "Ana"}); !errors.As(err, &nr) ||
			nr.Step != assess.StepReview || len(nr.Blockers) != 1 {
			t.Errorf("ReviewCategory(technical, incomplete) = %v, want NotReadyError with one blocker", err)
		}
		gap.Owner, gap.TargetDate = "Ana", db.Now().AddDate(0, 3, 0)
		if _, err := db.SaveResponse(ctx, ana, org.ID, a.ID, gap); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SubmitAssessment(ctx, ana, org.ID, a.ID); err != nil {
			t.Fatalf("SubmitAssessment(complete) = %v", err)
		}
		for _, c := range a.Categories() {
			if _, err := db.ReviewCategory(ctx, ana, org.ID, a.ID, assess.CategoryReview{Category: c, ReviewedBy: "Ana"}); err != nil {
				t.Fatal(err)
			}
		}

		// Two members, automatic rule: Ana reviewed everything and may not
		// sign off alone; Ben may.
		var v validate.Error
		if _, err := db.FinaliseAssessment(ctx, ana, org.ID, a.ID, assess.SignOff{By: "Ana", Attested: true}); !errors.As(err, &v) || v["reviewers"] == "" {
			t.Fatalf("FinaliseAssessment by the only reviewer = %v, want a problem with reviewers", err)
		}
		if need, err := db.NeedsSecondReviewer(ctx, org.ID); err != nil || !need {
			t.Errorf("NeedsSecondReviewer(two members, automatic) = %v, %v; want true", need, err)
		}
		// Rule "any": the only reviewer may sign off.
		p, err := db.OrgProfile(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.ReviewRule = "sometimes"
		if _, err := db.UpdateOrgProfile(ctx, ana, org.ID, p, nil); !errors.As(err, &v) || v["review_rule"] == "" {
			t.Errorf("UpdateOrgProfile(bad rule) = %v, want a problem with review_rule", err)
		}
		p.ReviewRule = assess.ReviewRuleAny
		if _, err := db.UpdateOrgProfile(ctx, ana, org.ID, p, nil); err != nil {
			t.Fatal(err)
		}
		b, err := db.CopyAssessment(ctx, ana, org.ID, a.ID, newAssessment(t, "2026 copy", db.Now()))
		if err != nil {
			t.Fatal(err)
		}
		final, err := db.FinaliseAssessment(ctx, ben, org.ID, a.ID, assess.SignOff{By: "Ben", Attested: true})
		if err != nil || final.FinalisedBy != "Ben" {
			t.Fatalf("FinaliseAssessment by a second person = %+v, %v", final, err)
		}

		// The copy: rule any lets Ana review and sign alone; rule separate
		// does not, even in a one-person organisation.
		fillAs(t, db, ana, org.ID, b, true)
		if _, err := db.SubmitAssessment(ctx, ana, org.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		p.ReviewRule = assess.ReviewRuleSeparate
		if _, err := db.UpdateOrgProfile(ctx, ana, org.ID, p, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FinaliseAssessment(ctx, ana, org.ID, b.ID, assess.SignOff{By: "Ana", Attested: true}); !errors.As(err, &v) || v["reviewers"] == "" {
			t.Fatalf("FinaliseAssessment under rule separate = %v, want a problem with reviewers", err)
		}
		p.ReviewRule = assess.ReviewRuleAny
		if _, err := db.UpdateOrgProfile(ctx, ana, org.ID, p, nil); err != nil {
			t.Fatal(err)
		}
		if need, err := db.NeedsSecondReviewer(ctx, org.ID); err != nil || need {
			t.Errorf("NeedsSecondReviewer(rule any) = %v, %v; want false", need, err)
		}
		db.Now = func() time.Time { return time.Now().AddDate(0, 0, 1) }
		if _, err := db.FinaliseAssessment(ctx, ana, org.ID, b.ID, assess.SignOff{By: "Ana", Attested: true}); err != nil {
			t.Fatalf("FinaliseAssessment under rule any = %v", err)
		}
	})
}

// fillAs answers every entry as actor (implemented, with decisions), and
// with review also reviews every category.
func fillAs(t *testing.T, db *store.DB, actor store.Actor, orgID int64, a assess.Assessment, review bool) {
	t.Helper()
	ctx := context.Background()
	for _, e := range a.Entries {
		if !e.Assessable() {
			continue
		}
		r := assess.Response{Citation: e.Citation, Status: assess.Implemented, Narrative: "done"}
		if _, ok := assess.NARuleFor(e.Citation); ok {
			r = assess.Response{Citation: e.Citation, Status: assess.NotApplicable, NAReason: "none of these here"}
		}
		if _, err := db.SaveResponse(ctx, actor, orgID, a.ID, r); err != nil {
			t.Fatalf("SaveResponse(%s) = %v", e.Citation, err)
		}
		if e.Requirement == catalog.Addressable && r.Status == assess.Implemented {
			if _, err := db.SaveDecision(ctx, actor, orgID, a.ID, assess.Decision{Citation: e.Citation, Outcome: catalog.OutcomeImplemented, Factors: factors(), DecidedBy: "Ana"}); err != nil {
				t.Fatalf("SaveDecision(%s) = %v", e.Citation, err)
			}
		}
	}
	if !review {
		return
	}
	for _, c := range a.Categories() {
		if _, err := db.ReviewCategory(ctx, actor, orgID, a.ID, assess.CategoryReview{Category: c, ReviewedBy: "Ana"}); err != nil {
			t.Fatal(err)
		}
	}
}
