package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

func TestStoredReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		keys, err := crypt.NewKeyring()
		if err != nil {
			t.Fatal(err)
		}
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		var saved []store.StoredReport
		for i := range 3 {
			r, err := db.SaveReport(ctx, cli, keys, org.ID, store.ReportFile{Name: fmt.Sprintf("Report %d", i), Format: "pdf", Part: "full",
				AssessmentID: 4, Draft: i == 2, ContentType: "application/pdf", Data: fmt.Appendf(nil, "%%PDF-1.7 report %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			if r.RetainUntil.Before(r.CreatedAt.AddDate(6, 0, 0)) || len(r.SHA256) != 64 {
				t.Errorf("SaveReport = %+v, want a SHA-256 and six years' retention", r)
			}
			saved = append(saved, r)
		}
		page, next, err := db.Reports(ctx, org.ID, store.Page{Limit: 2})
		if err != nil || len(page) != 2 || next == nil || page[0].ID != saved[2].ID || !page[0].Draft {
			t.Fatalf("Reports page 1 = %+v, %v, %v", page, next, err)
		}
		page, next, err = db.Reports(ctx, org.ID, store.Page{After: *next, Limit: 2})
		if err != nil || len(page) != 1 || next != nil || page[0].ID != saved[0].ID || page[0].AssessmentID != 4 {
			t.Fatalf("Reports page 2 = %+v, %v, %v", page, next, err)
		}
		if l, _, err := db.Reports(ctx, other.ID, store.Page{}); err != nil || len(l) != 0 {
			t.Errorf("another organisation's reports = %+v, %v", l, err)
		}
		r, data, err := db.OpenReport(ctx, cli, keys, org.ID, saved[1].ID)
		if err != nil || string(data) != "%PDF-1.7 report 1" || r.Name != "Report 1" {
			t.Errorf("OpenReport = %+v, %q, %v", r, data, err)
		}
		if _, _, err := db.OpenReport(ctx, cli, keys, other.ID, saved[1].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("OpenReport from another organisation: %v, want not found", err)
		}
		// A stored report never changes and is kept until its retention date.
		if err := store.ExecForTest(ctx, db, fmt.Sprintf(`UPDATE reports SET name = 'x' WHERE id = %d`, saved[0].ID)); err == nil {
			t.Error("a stored report was changed")
		}
		if err := store.ExecForTest(ctx, db, fmt.Sprintf(`DELETE FROM reports WHERE id = %d`, saved[0].ID)); err == nil {
			t.Error("a stored report was deleted inside its retention period")
		}
		// Sealed bytes moved from one report to another do not open there.
		if err := store.ExecForTest(ctx, db, `DROP TRIGGER reports_immutable`); err != nil {
			if err := store.ExecForTest(ctx, db, `DROP TRIGGER reports_guard ON reports`); err != nil {
				t.Fatal(err)
			}
		}
		if err := store.ExecForTest(ctx, db, fmt.Sprintf(`UPDATE reports SET sealed = (SELECT sealed FROM reports WHERE id = %d) WHERE id = %d`, saved[0].ID, saved[1].ID)); err != nil {
			t.Fatal(err)
		}
		if _, data, err := db.OpenReport(ctx, cli, keys, org.ID, saved[1].ID); !errors.Is(err, store.ErrEvidenceTampered) || data != nil {
			t.Errorf("swapped sealed bytes: %q, %v", data, err)
		}
		got := auditActions(t, db, org.ID)
		for action, n := range map[string]int{"report.generate": 3, "report.download": 1, "report.tamper_detected": 1} {
			if got[action] != n {
				t.Errorf("audit %s = %d, want %d", action, got[action], n)
			}
		}
	})
}
