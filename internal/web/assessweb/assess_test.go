package assessweb

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// newServer is a server with the assessment capability beside the kernel.
func newServer(t *testing.T, db *store.DB, cfg web.Config) *web.Server {
	t.Helper()
	cfg.Capabilities = []web.Capability{New()}
	return webtest.NewServer(t, db, cfg)
}

// TestTemplatesRenderZeroValues renders every page of assessments and
// evidence with its zero value, so a template that breaks on missing data
// fails here rather than in production.
func TestTemplatesRenderZeroValues(t *testing.T) {
	t.Parallel()
	s := newServer(t, storetest.SQLite(t), web.Config{})
	webtest.RenderZeroValues(t, s, New().Templates(), map[string]web.PageData{
		"evidence":        &evidenceView{},
		"evidence_item":   &evidenceView{},
		"assess_profile":  &profileView{},
		"assess_list":     &assessmentsView{},
		"assess_compare":  &compareView{},
		"assess_overview": &assessmentView{},
		"assess_entry":    &entryView{},
		"assess_table":    &tableView{},
		"assess_guided":   &guidedView{},
	})
}

// TestEmergencyAccessCannotSignOff: emergency access lets a viewer change
// records, never what the rule gives the security official — reviewing a
// category, signing an assessment off, deleting one.
func TestEmergencyAccessCannotSignOff(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newServer(t, db, web.Config{})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		webtest.CreateUser(t, db, "viewer@example.org", false, org.ID, identity.RoleViewer)
		viewer := webtest.Login(t, s, "viewer@example.org", webtest.Password)
		// The session passed a second factor, which emergency access needs.
		webtest.MarkSecondFactor(t, db, viewer)
		u, err := db.UserByEmail(ctx, "viewer@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.StartEmergency(ctx, store.Actor{Name: "test"}, identity.Emergency{OrgID: org.ID, UserID: u.ID,
			Reason: "Ransomware on the front desk", Duration: 30 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		// Raised: the viewer may now write.
		w := webtest.PostForm(t, viewer, "/orgs/riverside/assessments", url.Values{"name": {"Emergency"}})
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/orgs/riverside/assessments/") {
			t.Fatalf("create an assessment under emergency access = %d %s, want 303 to it", w.Code, w.Body)
		}
		a := w.Header().Get("Location")
		for _, tt := range []struct{ path, body string }{
			{a + "/finalise", ""},
			{a + "/delete", "confirm=yes"},
			{a + "/reviews/technical", "note=looked"},
		} {
			v, _ := url.ParseQuery(tt.body)
			if w := webtest.PostForm(t, viewer, tt.path, v); w.Code != http.StatusForbidden {
				t.Errorf("POST %s under emergency access = %d, want 403", tt.path, w.Code)
			}
		}
	})
}
