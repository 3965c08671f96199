package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// TestConstraintViolations: unique and foreign-key violations are told apart
// by the drivers' error codes on both engines, and nothing else passes for
// one — not even an error whose text says it is.
func TestConstraintViolations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		exec := func(q string) error { return store.ExecForTest(ctx, db, q) }
		for _, q := range []string{
			"CREATE TABLE cv_parent (id INTEGER PRIMARY KEY, name TEXT UNIQUE)",
			"CREATE TABLE cv_child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES cv_parent (id))",
			"INSERT INTO cv_parent (id, name) VALUES (1, 'a')",
		} {
			if err := exec(q); err != nil {
				t.Fatal(err)
			}
		}
		unique := exec("INSERT INTO cv_parent (id, name) VALUES (2, 'a')")
		primary := exec("INSERT INTO cv_parent (id, name) VALUES (1, 'b')")
		foreign := exec("INSERT INTO cv_child (id, parent_id) VALUES (1, 99)")
		notNull := exec("INSERT INTO cv_child (id) VALUES (2)")
		for _, tt := range []struct {
			name            string
			err             error
			unique, foreign bool
		}{
			{"unique column", unique, true, false},
			{"primary key", primary, true, false},
			{"foreign key", foreign, false, true},
			{"not null", notNull, false, false},
			{"wrapped unique", fmt.Errorf("add thing: %w", unique), true, false},
			{"text that only looks like one", errors.New("UNIQUE constraint failed: x (SQLSTATE 23505)"), false, false},
			{"nil", nil, false, false},
		} {
			if tt.err == nil && tt.name != "nil" {
				t.Fatalf("%s: the statement succeeded", tt.name)
			}
			if got := store.IsUniqueViolation(tt.err); got != tt.unique {
				t.Errorf("IsUniqueViolation(%s: %v) = %t, want %t", tt.name, tt.err, got, tt.unique)
			}
			if got := store.IsForeignKeyViolation(tt.err); got != tt.foreign {
				t.Errorf("IsForeignKeyViolation(%s: %v) = %t, want %t", tt.name, tt.err, got, tt.foreign)
			}
		}
	})
}
