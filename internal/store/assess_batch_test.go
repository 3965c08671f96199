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
)

// TestSaveEntriesAtomic saves several entries in one change: when the last
// one conflicts with a version saved meanwhile, or has an invalid field,
// none of the others is saved and no audit entry is written; otherwise all
// are saved, each with its audit entry.
func TestSaveEntriesAtomic(t *testing.T) {
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
		// Someone else answers audit controls after the page was loaded.
		if _, err := db.SaveResponse(ctx, cli, org.ID, a.ID, assess.Response{Citation: "164.312(b)", Status: assess.Partial, Narrative: "theirs"}); err != nil {
			t.Fatal(err)
		}
		audits := func() int {
			t.Helper()
			n := 0
			for _, action := range []string{"assess.response", "assess.decision"} {
				es, _, err := db.AuditSearch(ctx, store.AuditFilter{OrgID: org.ID, Action: action})
				if err != nil {
					t.Fatal(err)
				}
				n += len(es)
			}
			return n
		}
		before := audits()
		d := assess.Decision{Outcome: catalog.OutcomeImplemented, Factors: factors(), DecidedBy: "Sam"}
		edits := func(last assess.Response, lastBase int) []assess.Edit {
			return []assess.Edit{
				{Citation: "164.312(a)(2)(i)", Response: &assess.Response{Status: assess.Implemented, Narrative: "unique IDs"}},
				{Citation: "164.312(a)(2)(iii)", Response: &assess.Response{Status: assess.Implemented, Narrative: "screen lock"}, Decision: &d},
				{Citation: "164.312(b)", Response: &last, ResponseBase: lastBase},
			}
		}
		unchanged := func(when string) {
			t.Helper()
			sh, err := db.AssessmentSheet(ctx, org.ID, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(sh.Responses) != 1 || len(sh.Decisions) != 0 {
				t.Errorf("%s: %d responses and %d decisions stored, want only the other person's response", when, len(sh.Responses), len(sh.Decisions))
			}
			if r, _ := sh.Response("164.312(b)"); r.Narrative != "theirs" || r.Version != 1 {
				t.Errorf("%s: 164.312(b) = %q version %d, want theirs, version 1", when, r.Narrative, r.Version)
			}
			if n := audits(); n != before {
				t.Errorf("%s: %d audit entries written, want none", when, n-before)
			}
		}

		// The last entry was edited over "no response yet": a conflict.
		_, err = db.SaveEntries(ctx, cli, org.ID, a.ID, edits(assess.Response{Status: assess.Implemented, Narrative: "mine"}, 0))
		var be *assess.BatchError
		if !errors.As(err, &be) {
			t.Fatalf("SaveEntries(stale last entry) = %v, want *assess.BatchError", err)
		}
		if len(be.Entries) != 1 || be.Entries[0].Citation != "164.312(b)" {
			t.Fatalf("BatchError.Entries = %+v, want 164.312(b) only", be.Entries)
		}
		c, ok := be.Entries[0].Conflict(assess.PartResponse)
		if !ok || c.Edited != 0 || c.Current != 1 || c.By != cli.Name {
			t.Errorf("Conflict(response) = %+v, %v; want edited 0, current 1 by %s", c, ok, cli.Name)
		}
		unchanged("conflict on the last entry")

		// The last entry is invalid: not applicable is not allowed there.
		_, err = db.SaveEntries(ctx, cli, org.ID, a.ID, edits(assess.Response{Status: assess.NotApplicable, NAReason: "x"}, 1))
		if !errors.As(err, &be) || len(be.Entries) != 1 || be.Entries[0].Response["status"] == "" || be.Conflicted() {
			t.Fatalf("SaveEntries(invalid last entry) = %v, want a status problem on 164.312(b)", err)
		}
		unchanged("invalid last entry")

		// A change over the current versions saves everything, one audit entry
		// per response and decision.
		saved, err := db.SaveEntries(ctx, cli, org.ID, a.ID, edits(assess.Response{Status: assess.Implemented, Narrative: "mine"}, 1))
		if err != nil {
			t.Fatalf("SaveEntries(current) = %v", err)
		}
		if saved[2].Response.Version != 2 || saved[1].Decision.Version != 1 {
			t.Errorf("saved versions: %+v %+v", saved[2].Response, saved[1].Decision)
		}
		sh, err := db.AssessmentSheet(ctx, org.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(sh.Responses) != 3 || len(sh.Decisions) != 1 {
			t.Errorf("after saving: %d responses, %d decisions; want 3 and 1", len(sh.Responses), len(sh.Decisions))
		}
		if n := audits() - before; n != 4 {
			t.Errorf("audit entries written = %d, want 4 (three responses, one decision)", n)
		}
	})
}
