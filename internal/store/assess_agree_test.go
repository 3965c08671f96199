package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// TestDecisionMustAgreeWithResponse: a decision that contradicts the
// response to its specification is refused on its outcome and saves
// nothing, alone or in a multi-entry save; one that agrees with the response
// saved in the same change is accepted.
func TestDecisionMustAgreeWithResponse(t *testing.T) {
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
		const enc = "164.312(a)(2)(iv)"
		if _, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: enc, Status: assess.NotImplemented, Narrative: "Nothing encrypted yet."}); err != nil {
			t.Fatal(err)
		}
		implemented := assess.Decision{Citation: enc, Outcome: catalog.OutcomeImplemented, DecidedBy: "Sam"}
		_, err = db.SaveDecision(ctx, cli, org.ID, a.ID, implemented)
		var v validate.Error
		if !errors.As(err, &v) || v["outcome"] == "" {
			t.Fatalf("SaveDecision(implemented over not implemented) = %v, want a problem on the outcome", err)
		}
		sh, err := db.AssessmentSheet(ctx, org.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := sh.Decision(enc); ok {
			t.Error("the contradicting decision was saved")
		}

		// In one change: the decision is judged against the response of the
		// same change.
		_, err = db.SaveEntries(ctx, cli, org.ID, a.ID, []assess.Edit{{Citation: enc, ResponseBase: 1,
			Response: &assess.Response{Status: assess.Partial, Narrative: "Laptops encrypted."}, Decision: &implemented}})
		var be *assess.BatchError
		if !errors.As(err, &be) || len(be.Entries) != 1 || be.Entries[0].Decision["outcome"] == "" {
			t.Fatalf("SaveEntries(implemented over partial) = %v, want the entry's decision refused on its outcome", err)
		}
		if sh, _ = db.AssessmentSheet(ctx, org.ID, a.ID); sh.Responses[0].Status != assess.NotImplemented {
			t.Errorf("a refused change saved its response: %+v", sh.Responses[0])
		}
		if _, err = db.SaveEntries(ctx, cli, org.ID, a.ID, []assess.Edit{{Citation: enc, ResponseBase: 1,
			Response: &assess.Response{Status: assess.Implemented, Narrative: "Every device encrypted."}, Decision: &implemented}}); err != nil {
			t.Fatalf("SaveEntries(implemented over implemented, in one change) = %v", err)
		}
	})
}
