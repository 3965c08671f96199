package demo

import (
	"context"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// Riverside's register and plan: about a dozen risks on its assets, a heat
// map with risks in it, a plan with tasks done, one overdue and others due,
// and the backup drive's acceptance running out within the month.
func TestDemoRegister(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	keys, err := crypt.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, db, identity.NewHasher(1, 64, 1, 4), keys); err != nil {
		t.Fatalf("Load = %v", err)
	}
	org, err := db.Org(ctx, "riverside")
	if err != nil {
		t.Fatal(err)
	}
	risks, _, err := db.Risks(ctx, org.ID, store.RiskFilter{}, store.Page{Limit: 100})
	if err != nil || len(risks) < 10 {
		t.Fatalf("risks = %d, %v, want about a dozen", len(risks), err)
	}
	for _, want := range []string{"device_theft", "ransomware", "phishing", "interception", "insider_snooping", "vendor_breach", "power_failure", "former_staff_access"} {
		found := false
		for _, r := range risks {
			found = found || r.Threat == want
		}
		if !found {
			t.Errorf("no demo risk of threat %s", want)
		}
	}
	hm, err := db.HeatMap(ctx, org.ID, "current")
	if err != nil || hm.Total < 10 {
		t.Errorf("current heat map total = %d, %v, want the open risks", hm.Total, err)
	}
	c, err := db.PlanCounts(ctx, org.ID, time.Now())
	if err != nil || c.OverdueTasks != 1 || c.ExpiringAcceptances != 1 {
		t.Errorf("PlanCounts = %+v, %v, want 1 overdue task and 1 expiring acceptance", c, err)
	}
	tasks, _, err := db.Tasks(ctx, org.ID, store.TaskFilter{}, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	done := 0
	for _, task := range tasks {
		if task.Status == risk.TaskDone {
			done++
			if task.DoneAt.IsZero() {
				t.Errorf("task %q is done without a date", task.Title)
			}
		}
	}
	if done == 0 || done == len(tasks) {
		t.Errorf("%d of %d tasks done, want the plan partly done", done, len(tasks))
	}
	// The backup drive's theft and the referral faxes answer their
	// suggestions, which leave the list.
	keys2, err := db.SuggestionKeys(ctx, org.ID)
	if err != nil || len(keys2) != 2 {
		t.Errorf("suggestion keys = %v, %v, want the backup drive's and the fax flow's", keys2, err)
	}
}
