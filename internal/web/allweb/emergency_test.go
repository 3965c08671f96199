package allweb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestEmergencyAccess raises a viewer's access in an emergency and tries
// what the raised role must still not reach, across the capabilities: the
// organisation's emergency pages and settings, the audit log, single
// sign-on and tokens.
func TestEmergencyAccess(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		db.Now = func() time.Time { return now }
		s, _ := newServer(t, db, web.Config{Keys: webtest.Keyring(t), IdleTimeout: 2 * time.Hour})
		a, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		webtest.CreateUser(t, db, "viewer@example.org", false, a.ID, identity.RoleViewer)
		webtest.CreateUser(t, db, "so@example.org", false, a.ID, identity.RoleSecurityOfficer)
		viewerUser, err := db.UserByEmail(ctx, "viewer@example.org")
		if err != nil {
			t.Fatal(err)
		}
		viewer := webtest.Login(t, s, "viewer@example.org", webtest.Password)
		if w := viewer.Get(t, "/orgs/riverside/settings/security"); w.Code != 403 {
			t.Fatalf("viewer on security settings = %d, want 403", w.Code)
		}
		reason := "Ransomware on the front desk PC, need to disable accounts now"

		// The attack: a viewer who signed in with a password alone raises
		// the session to a security officer's. Refused, with the way to a
		// second factor, and audited.
		w := webtest.PostForm(t, viewer, "/orgs/riverside/emergency", url.Values{"reason": {reason}, "minutes": {"30"}})
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `id="emergency-mfa"`) || !strings.Contains(w.Body.String(), `href="/account/mfa?next=/orgs/riverside"`) {
			t.Fatalf("emergency access without a second factor = %d, want 403 with a link to set one up; body:\n%s", w.Code, w.Body)
		}
		if _, err := db.ActiveEmergency(ctx, a.ID, viewerUser.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a refused start left emergency access running: %v", err)
		}
		webtest.FindAudit(t, db, "emergency.refused", "no second factor")

		// Emergency access started without a second factor (as before this
		// rule) gives nothing beyond the member's own role.
		e, err := db.StartEmergency(ctx, store.Actor{Name: "test"}, identity.Emergency{OrgID: a.ID, OrgSlug: "riverside", UserID: viewerUser.ID,
			UserEmail: viewerUser.Email, Reason: reason, Duration: 30 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/orgs/riverside/audit", "/api/v1/orgs/riverside/audit"} {
			if w := viewer.Get(t, path); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "second factor") {
				t.Errorf("GET %s under emergency access without a second factor = %d, want 403 naming the second factor", path, w.Code)
			}
		}
		if w := viewer.Get(t, "/orgs/riverside"); w.Code != 200 {
			t.Errorf("the viewer's own access under emergency without a second factor = %d, want 200", w.Code)
		}
		webtest.FindAudit(t, db, "emergency.refused", "needs a second factor")
		if err := db.EndEmergency(ctx, store.Actor{Name: "test"}, a.ID, e.ID); err != nil {
			t.Fatal(err)
		}

		// A token made before the emergency acts with the viewer's own role.
		w = viewer.Do(t, "POST", "/api/v1/tokens", "application/json", strings.NewReader(`{"name":"before","scope":"admin"}`))
		if w.Code != http.StatusCreated {
			t.Fatalf("token before emergency access = %d %s", w.Code, w.Body)
		}
		var tok struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil || tok.Token == "" {
			t.Fatalf("token = %s, %v", w.Body, err)
		}

		// With a second factor set up, emergency access starts.
		webtest.MarkSecondFactor(t, db, viewer)
		w = webtest.PostForm(t, viewer, "/orgs/riverside/emergency", url.Values{"reason": {"help"}, "minutes": {"600"}})
		if w.Code != 422 || !strings.Contains(w.Body.String(), `id="reason-problem"`) || !strings.Contains(w.Body.String(), `id="minutes-problem"`) {
			t.Fatalf("bad emergency request = %d, want 422 with reason and duration problems", w.Code)
		}
		w = webtest.PostForm(t, viewer, "/orgs/riverside/emergency", url.Values{"reason": {reason}, "minutes": {"30"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("start emergency = %d %s", w.Code, w.Body)
		}
		detail := w.Header().Get("Location")
		// Raised at once, with a banner on every page of the organisation.
		w = viewer.Get(t, "/orgs/riverside/audit")
		if w.Code != 200 || !strings.Contains(w.Body.String(), "Emergency access is active") {
			t.Errorf("audit log during emergency access = %d, want 200 with the banner", w.Code)
		}
		// Never what outlasts the emergency: settings, single sign-on,
		// members, tokens (the sign-off, review and deletion of an
		// assessment: assessweb's TestEmergencyAccessCannotSignOff).
		refused := []struct{ method, path, body string }{
			{"GET", "/orgs/riverside/settings/security", ""},
			{"POST", "/orgs/riverside/settings/security", "require_mfa=on"},
			{"GET", "/orgs/riverside/settings/sso", ""},
			{"POST", "/orgs/riverside/settings/sso", "enabled=on&issuer=https://idp.attacker.example&client_id=x&client_secret=y&default_role=owner"},
			{"POST", "/orgs/riverside/members", "email=friend@example.org&role=owner"},
			{"POST", fmt.Sprintf("/orgs/riverside/members/%d/role", viewerUser.ID), "role=owner"},
			{"POST", "/account/tokens", "name=later&scope=admin"},
		}
		for _, tt := range refused {
			var w *httptest.ResponseRecorder
			if tt.method == "GET" {
				w = viewer.Get(t, tt.path)
			} else {
				v, _ := url.ParseQuery(tt.body)
				w = webtest.PostForm(t, viewer, tt.path, v)
			}
			if w.Code != http.StatusForbidden {
				t.Errorf("%s %s under emergency access = %d, want 403", tt.method, tt.path, w.Code)
			}
		}
		if w := viewer.Do(t, "POST", "/api/v1/tokens", "application/json", strings.NewReader(`{"name":"later","scope":"admin"}`)); w.Code != http.StatusForbidden {
			t.Errorf("POST /api/v1/tokens under emergency access = %d, want 403", w.Code)
		}
		if m, err := db.Membership(ctx, a.ID, viewerUser.ID); err != nil || m.Role != identity.RoleViewer {
			t.Errorf("role after emergency access = %s (%v), want viewer", m.Role, err)
		}
		tokenCall := func(path string) int {
			r := httptest.NewRequest("GET", path, nil)
			r.Header.Set("Authorization", "Bearer "+tok.Token)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			return w.Code
		}
		if got := tokenCall("/api/v1/orgs/riverside/audit"); got != http.StatusForbidden {
			t.Errorf("the viewer's token on the audit log during emergency access = %d, want 403 (tokens keep their user's own role)", got)
		}
		// The security officer is notified.
		so := webtest.LoginFull(t, s, db, "so@example.org", webtest.Password)
		if body := so.Get(t, "/notifications").Body.String(); !strings.Contains(body, "Emergency access started by viewer@example.org") {
			t.Errorf("security officer's notifications lack the emergency")
		}
		if body := so.Get(t, "/orgs/riverside").Body.String(); !strings.Contains(body, "Ransomware on the front desk") {
			t.Errorf("org page does not list the unreviewed emergency for the security officer")
		}
		// Running access cannot be reviewed; it ends by itself.
		if w := webtest.PostForm(t, so, detail+"/review", url.Values{"note": {"Checked the audit trail, all fine"}}); w.Code != 409 {
			t.Errorf("review while running = %d, want 409", w.Code)
		}
		now = now.Add(31 * time.Minute)
		if w := viewer.Get(t, "/orgs/riverside/audit"); w.Code != 403 {
			t.Errorf("after emergency access ran out = %d, want 403", w.Code)
		}
		// The user cannot review their own; a security officer closes it.
		if w := webtest.PostForm(t, viewer, detail+"/review", url.Values{"note": {"All fine, I promise"}}); w.Code != 403 {
			t.Errorf("self-review by a viewer = %d, want 403", w.Code)
		}
		if w := webtest.PostForm(t, so, detail+"/review", url.Values{"note": {"short"}}); w.Code != 422 {
			t.Errorf("too short a review = %d, want 422", w.Code)
		}
		if w := webtest.PostForm(t, so, detail+"/review", url.Values{"note": {"Compared every audited request with the ticket; all justified."}}); w.Code != http.StatusSeeOther {
			t.Errorf("review = %d %s", w.Code, w.Body)
		}
		if body := so.Get(t, detail).Body.String(); !strings.Contains(body, "reviewed") {
			t.Errorf("detail after review lacks the review")
		}
		actions := webtest.AuditActions(t, db, a.ID)
		for _, want := range []string{"emergency.start", "emergency.access", "emergency.review", "emergency.read"} {
			if !slices.Contains(actions, want) {
				t.Errorf("audit lacks %s: %v", want, actions)
			}
		}
	})
}
