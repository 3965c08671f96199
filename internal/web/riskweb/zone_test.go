package riskweb

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestTaskTimesInOrgZone: a task done shows the time it was done in its
// organisation's zone, the same on My tasks (which spans organisations)
// as on the plan and the risk's page; its due date, a calendar date kept
// as midnight UTC, shows as that day on all three, not the day before in a
// zone west of Greenwich.
func TestTaskTimesInOrgZone(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newRegFixture(t, dsn)
		const zone = "America/Los_Angeles"
		if err := f.db.SetOrgTimeZone(ctx, store.Actor{Name: "test"}, f.org.ID, zone); err != nil {
			t.Fatal(err)
		}
		base := "/api/v1/orgs/riverside"
		var rk struct{ ID int64 }
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "POST", base+"/risks", f.riskBody("")), 201, &rk)
		var task taskJSON
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "POST", base+"/tasks", fmt.Sprintf(`{"risk_id":%d,"title":"Encrypt the laptops","owner_id":%d,"due":"2031-03-02"}`, rk.ID, f.priyaID)), 201, &task)
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "PATCH", fmt.Sprintf("%s/tasks/%d", base, task.ID), fmt.Sprintf(`{"status":"done","version":%d}`, task.Version)), 200, &task)

		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Skipf("no zone data: %v", err)
		}
		done := "done " + task.DoneAt.In(loc).Format("2 Jan 2006 15:04 MST")
		for _, path := range []string{"/tasks", "/orgs/riverside/plan", fmt.Sprintf("/orgs/riverside/risks/%d", rk.ID)} {
			w := f.priya.Get(t, path)
			webtest.WantPage(t, w, 200, "Encrypt the laptops", done, "2 March 2031")
			if body := w.Body.String(); strings.Contains(body, "1 March 2031") || strings.Contains(body, task.DoneAt.UTC().Format("15:04 UTC")) {
				t.Errorf("%s shows the task in UTC, or its due date a day early", path)
			}
		}
	})
}
