package riskweb

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestTaskDoneWithEvidence marks a task done from the risk's page with
// evidence found by a title search: only the organisation's current
// evidence is offered, another organisation's is refused, and the task
// then shows its evidence on the risk's page and in My tasks.
func TestTaskDoneWithEvidence(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, dsn string) {
		f := newRegFixture(t, dsn)
		ctx := context.Background()
		const base, page = "/api/v1/orgs/riverside", "/orgs/riverside"
		var rk riskJSON
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "POST", base+"/risks", f.riskBody("")), 201, &rk)
		var task risk.Task
		webtest.MustJSON(t, webtest.SendJSON(t, f.priya, "POST", base+"/tasks",
			fmt.Sprintf(`{"risk_id":%d,"title":"Encrypt the laptop","owner_id":%d,"due":"2030-01-31"}`, rk.ID, f.priyaID)), 201, &task)
		link := func(org int64, title string) assess.Evidence {
			ev, err := f.db.CreateEvidence(ctx, store.Actor{Name: "test"}, nil, org, assess.Evidence{Title: title, Kind: assess.EvidenceLink, URL: "https://example.org/" + strings.ReplaceAll(title, " ", "-")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return ev
		}
		report, _ := link(f.org.ID, "Laptop encryption report"), link(f.org.ID, "Visitor log")
		theirs := link(f.other.ID, "Their encryption report")

		w := f.priya.Get(t, fmt.Sprintf("%s/risks/%d", page, rk.ID))
		doneURL := fmt.Sprintf("%s/tasks/%d/done", page, task.ID)
		webtest.WantPage(t, w, 200, "Mark done, with evidence", doneURL)
		if strings.Contains(f.lena.Get(t, fmt.Sprintf("%s/risks/%d", page, rk.ID)).Body.String(), "Mark done, with evidence") {
			t.Error("a viewer is offered to mark a task done")
		}
		if w := f.lena.Get(t, doneURL); w.Code != 403 {
			t.Errorf("viewer GET done page = %d, want 403", w.Code)
		}
		w = f.priya.Get(t, doneURL+"?q=encryption&return=%2Ftasks")
		body := w.Body.String()
		webtest.WantPage(t, w, 200, "Mark a task done", "No evidence is linked yet", "Laptop encryption report", fmt.Sprintf(`name="evidence" value="%d"`, report.ID))
		if strings.Contains(body, "Visitor log") || strings.Contains(body, "Their encryption report") {
			t.Errorf("the search offers evidence that does not match or is another organisation's:\n%s", body)
		}
		post := func(ids ...int64) *url.Values {
			v := url.Values{"status": {"done"}, "version": {fmt.Sprint(task.Version)}, "evidence_offered": {"1"}}
			for _, id := range ids {
				v.Add("evidence", fmt.Sprint(id))
			}
			return &v
		}
		// Another organisation's evidence: refused on the page, nothing saved.
		w = webtest.PostForm(t, f.priya, fmt.Sprintf("%s/tasks/%d?return=%%2Ftasks", page, task.ID), *post(report.ID, theirs.ID))
		webtest.WantPage(t, w, 422, "The task was not saved")
		if got, _ := f.db.Task(ctx, f.org.ID, task.ID); got.Status == risk.TaskDone {
			t.Fatal("the task was marked done with another organisation's evidence")
		}
		w = webtest.PostForm(t, f.priya, fmt.Sprintf("%s/tasks/%d?return=%%2Ftasks", page, task.ID), *post(report.ID))
		if w.Code != 303 || w.Header().Get("Location") != "/tasks" {
			t.Fatalf("mark done = %d %s %s", w.Code, w.Header().Get("Location"), w.Body)
		}
		got, err := f.db.Task(ctx, f.org.ID, task.ID)
		if err != nil || got.Status != risk.TaskDone || len(got.EvidenceIDs) != 1 || got.EvidenceIDs[0] != report.ID {
			t.Fatalf("task after marking done = %+v, %v", got, err)
		}
		evLink := fmt.Sprintf(`<a href="/orgs/riverside/evidence/%d">Laptop encryption report</a>`, report.ID)
		webtest.WantPage(t, f.priya.Get(t, "/tasks"), 200, "Evidence:", evLink)
		webtest.WantPage(t, f.lena.Get(t, fmt.Sprintf("%s/risks/%d", page, rk.ID)), 200, evLink)
		webtest.WantPage(t, f.priya.Get(t, doneURL), 200, "Evidence for a done task", fmt.Sprintf(`name="evidence" value="%d" checked`, report.ID))
		// A stale version from the done page is a conflict shown there.
		w = webtest.PostForm(t, f.priya, fmt.Sprintf("%s/tasks/%d", page, task.ID), *post())
		webtest.WantPage(t, w, 409, "Evidence for a done task")
	})
}
