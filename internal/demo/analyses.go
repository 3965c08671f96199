package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
)

// riversideScope is what Riverside's risk analyses cover.
const riversideScope = "Both clinics (120 Main Street and 45 Oak Avenue) and everything in the inventory that creates, receives, keeps or sends ePHI: " +
	"the cloud EHR and patient portal (ClearChart), billing with Harbor Medical Billing, the lab interface with Valley Labs, fax-to-email, " +
	"email, the shared drive and its backups, and the practice's computers, laptops, phones, printers and medical devices.\n" +
	"Paper records are out of scope here: they are covered by the privacy policies."

// loadAnalyses gives Riverside last year's risk analysis, signed off by
// Sam Okafor with the clock moved back, what changed since (a check-in
// tablet added, the patient portal grown), and this year's analysis
// started from last year's as a draft. The snapshot holds what the
// inventory, the register and the plan hold when it is taken.
func loadAnalyses(ctx context.Context, db *store.DB, orgID int64) error {
	u, err := db.UserByEmail(ctx, "sam.okafor@riverside.example")
	if err != nil {
		return fmt.Errorf("demo analyses: %w", err)
	}
	samActor := store.Actor{Name: fmt.Sprintf("user:%d", u.ID)}
	realNow := db.Now
	defer func() { db.Now = realNow }()
	today := realNow().UTC()
	at := func(t time.Time) { db.Now = func() time.Time { return t } }

	lastStart := today.AddDate(-1, -1, 0)
	at(lastStart)
	last, err := db.CreateAnalysis(ctx, samActor, orgID, risk.Analysis{Name: fmt.Sprintf("%d risk analysis", lastStart.Year()), Scope: riversideScope}, false)
	if err != nil {
		return fmt.Errorf("demo analysis: %w", err)
	}
	at(lastStart.AddDate(0, 0, 25))
	if _, err := db.FinaliseAnalysis(ctx, samActor, orgID, last.ID, sam, true); err != nil {
		return fmt.Errorf("demo analysis sign-off: %w", err)
	}

	// Since then: a check-in tablet at Main Street, and more patients on
	// the portal.
	at(today.AddDate(0, -3, 0))
	places, _, err := db.Assets(ctx, orgID, store.AssetFilter{Query: "Main Street clinic"}, store.Page{Limit: 5})
	if err != nil || len(places) == 0 {
		return fmt.Errorf("demo analyses: no Main Street clinic: %v", err)
	}
	if _, err := db.CreateAsset(ctx, samActor, orgID, risk.Asset{Name: "Tablet for patient check-in (Main Street)", Kind: "tablet", PlaceID: places[0].ID,
		OwnerID: u.ID, AtRest: risk.EncryptionYes, Use: risk.Use{Creates: true}, Reviewed: today.AddDate(0, -3, 0)}); err != nil {
		return fmt.Errorf("demo analyses: %w", err)
	}
	portal, _, err := db.Assets(ctx, orgID, store.AssetFilter{Query: "Patient portal"}, store.Page{Limit: 5})
	if err != nil || len(portal) == 0 {
		return fmt.Errorf("demo analyses: no patient portal: %v", err)
	}
	p := portal[0]
	p.Records = 3100
	if _, err := db.UpdateAsset(ctx, samActor, orgID, p); err != nil {
		return fmt.Errorf("demo analyses: %w", err)
	}

	// This year's, started from last year's, in progress.
	at(today.AddDate(0, 0, -10))
	if _, err := db.CreateAnalysis(ctx, samActor, orgID, risk.Analysis{Name: fmt.Sprintf("%d risk analysis", today.Year())}, true); err != nil {
		return fmt.Errorf("demo analysis: %w", err)
	}
	return nil
}
