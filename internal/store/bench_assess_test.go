package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// BenchmarkAssessmentList reads an organisation's assessments as the list
// page, the API and the dashboard do (8 assessments, each with its
// catalogue copy), and saves one response, which reads the assessment.
//
//	go test -run '^$' -bench AssessmentList -cpuprofile cpu.out ./internal/store
func BenchmarkAssessmentList(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
	if err != nil {
		b.Fatal(err)
	}
	var last assess.Assessment
	for i := range 8 {
		if last, err = db.CreateAssessment(ctx, cli, org.ID, newAssessment(b, fmt.Sprintf("%d", 2019+i), time.Date(2019+i, 1, 5, 0, 0, 0, 0, time.UTC))); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Assessments", func(b *testing.B) {
		for b.Loop() {
			as, err := db.Assessments(ctx, org.ID)
			if err != nil || len(as) != 8 {
				b.Fatal(len(as), err)
			}
		}
	})
	b.Run("AssessmentPage", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := db.AssessmentPage(ctx, org.ID, store.Page{Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SaveResponse", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.SaveResponse(ctx, cli, org.ID, last.ID, assess.Response{Citation: "164.312(b)", Status: assess.Implemented, Narrative: "logs reviewed"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
