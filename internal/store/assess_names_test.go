package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// TestAssessmentNamesUnique: a second assessment of a name the
// organisation already has (letter case aside) is refused on the field
// name, by a new start or a copy; another organisation may use it.
func TestAssessmentNamesUnique(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "harbor", Name: "Harbor", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		a, err := db.CreateAssessment(ctx, cli, org.ID, newAssessment(t, "2026 assessment", db.Now()))
		if err != nil {
			t.Fatal(err)
		}
		var p validate.Error
		if _, err := db.CreateAssessment(ctx, cli, org.ID, newAssessment(t, "2026 Assessment", db.Now())); !errors.As(err, &p) || !strings.Contains(p["name"], "already the name") {
			t.Errorf("CreateAssessment(a taken name) = %v, want a problem on name", err)
		}
		if _, err := db.CopyAssessment(ctx, cli, org.ID, a.ID, newAssessment(t, "2026 ASSESSMENT", db.Now())); !errors.As(err, &p) || p["name"] == "" {
			t.Errorf("CopyAssessment(a taken name) = %v, want a problem on name", err)
		}
		if _, err := db.CreateAssessment(ctx, cli, other.ID, newAssessment(t, "2026 assessment", db.Now())); err != nil {
			t.Errorf("another organisation's assessment of the same name: %v", err)
		}
		if as, _ := db.Assessments(ctx, org.ID); len(as) != 1 {
			t.Errorf("%d assessments, want 1", len(as))
		}
	})
}

// TestMigrationRenamesDuplicateNames: schema 20 renames assessments that
// share a name within an organisation, finals first then by id, " (2)",
// " (3)", with the id added where that name is taken too, and then holds
// names unique.
func TestMigrationRenamesDuplicateNames(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db, err := store.Open(ctx, url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "harbor", Name: "Harbor", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		// As an older Safeguard left them: four in one organisation, three
		// of one name, two of them final; one more elsewhere.
		names := []string{"a1", "a2", "a3", "a4"}
		ids := map[string]int64{}
		for _, n := range names {
			a, err := db.CreateAssessment(ctx, cli, org.ID, newAssessment(t, n, db.Now()))
			if err != nil {
				t.Fatal(err)
			}
			ids[n] = a.ID
		}
		b, err := db.CreateAssessment(ctx, cli, other.ID, newAssessment(t, "b", db.Now()))
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`DROP INDEX assessments_org_name`,
			`DELETE FROM schema_migrations WHERE version = 20`,
			`UPDATE assessments SET name = '2025 Assessment' WHERE id = ` + itoa(ids["a1"]),
			`UPDATE assessments SET name = '2025 assessment', status = 'final', finalised_at = started_at WHERE id = ` + itoa(ids["a2"]),
			`UPDATE assessments SET name = '2025 ASSESSMENT', status = 'final', finalised_at = started_at WHERE id = ` + itoa(ids["a3"]),
			`UPDATE assessments SET name = '2025 assessment (2)' WHERE id = ` + itoa(ids["a4"]),
			`UPDATE assessments SET name = '2025 assessment' WHERE id = ` + itoa(b.ID),
		} {
			if err := store.ExecForTest(ctx, db, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		db.Close()
		if db, err = store.Open(ctx, url, store.Options{}); err != nil {
			t.Fatalf("migrating again: %v", err)
		}
		defer db.Close()
		want := map[int64]string{
			ids["a2"]: "2025 assessment",                                   // the first final keeps its name
			ids["a3"]: "2025 ASSESSMENT (2)",                               // the second final
			ids["a1"]: "2025 Assessment (3)",                               // then the draft
			ids["a4"]: "2025 assessment (2) (no. " + itoa(ids["a4"]) + ")", // its name was taken by a3's new one
			b.ID:      "2025 assessment",                                   // another organisation's
		}
		for _, orgID := range []int64{org.ID, other.ID} {
			as, err := db.Assessments(ctx, orgID)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range as {
				if a.Name != want[a.ID] {
					t.Errorf("after migration, assessment %d = %q, want %q", a.ID, a.Name, want[a.ID])
				}
			}
		}
		if err := store.ExecForTest(ctx, db, `UPDATE assessments SET name = 'x' WHERE id = `+itoa(ids["a2"])); err == nil || !strings.Contains(err.Error(), "final") {
			t.Errorf("renaming a final assessment after the migration = %v, want refused by the trigger", err)
		}
		if err := store.ExecForTest(ctx, db, `UPDATE assessments SET name = '2025 ASSESSMENT (3)' WHERE id = `+itoa(ids["a4"])); err == nil {
			t.Errorf("a duplicate name written past the store was accepted: the unique index is missing")
		}
	})
}
