package allweb_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// TestAddingAnotherOrgsUserNeedsConsent performs the attack from the
// security review: the owner of Harbor adds the owner of Riverside by email.
// The answer must be the one a never-seen email gets (no name, no status or
// shape that differs), no membership may exist until the person accepts,
// signed in as themselves, and until then Harbor's MFA and idle-logout
// policy must not reach their account.
func TestAddingAnotherOrgsUserNeedsConsent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		db.Now = func() time.Time { return now }
		s, _ := newServer(t, db, web.Config{})
		riverside, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		harbor, _ := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "harbor", Name: "Harbor", Kind: identity.KindBusinessAssociate})
		webtest.CreateUser(t, db, "alice@riverside.example", false, riverside.ID, identity.RoleContributor)
		webtest.CreateUser(t, db, "bob@harbor.example", false, harbor.ID, identity.RoleOwner)
		// Harbor's policy is stricter than Riverside's.
		if err := db.SetOrgSecurity(ctx, store.Actor{Name: "test"}, harbor.ID, store.OrgSecurity{RequireMFA: true, IdleTimeout: 5 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		alice, _ := db.UserByEmail(ctx, "alice@riverside.example")
		idle0, mfa0, err := db.UserOrgPolicy(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		bob := webtest.LoginFull(t, s, db, "bob@harbor.example", webtest.Password)

		// The JSON answers for an existing account and for an unknown email
		// are the same once the email and the link's secret are set aside.
		secret := regexp.MustCompile(`sgi_[A-Za-z0-9_-]+`)
		add := func(email string) (int, string, invitationAnswer) {
			quoted, _ := json.Marshal(email)
			w := bob.Do(t, "POST", "/api/v1/orgs/harbor/members", "application/json", strings.NewReader(`{"email":`+string(quoted)+`,"role":"auditor"}`))
			var got invitationAnswer
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("add %s = %d %s", email, w.Code, w.Body)
			}
			body := strings.ReplaceAll(w.Body.String(), email, "EMAIL")
			body = secret.ReplaceAllString(body, "SECRET")
			return w.Code, body, got
		}
		existingCode, existingBody, existingInv := add("alice@riverside.example")
		newCode, newBody, _ := add("nobody@nowhere.example")
		if existingCode != newCode || existingBody != newBody {
			t.Errorf("adding an existing account = %d %s\nadding an unknown email = %d %s\nwant the same answer", existingCode, existingBody, newCode, newBody)
		}
		if strings.Contains(existingBody, "Test alice") || strings.Contains(existingBody, `"name"`) || strings.Contains(existingBody, `"user_id"`) {
			t.Errorf("the answer discloses the account: %s", existingBody)
		}
		// The same for the page.
		page := func(email string) (int, string) {
			w := webtest.PostForm(t, bob, "/orgs/harbor/members", url.Values{"email": {email}, "role": {"viewer"}})
			body := w.Body.String()
			notice := regexp.MustCompile(`<p class="notice" role="status">[^<]*</p>`).FindString(body)
			return w.Code, strings.ReplaceAll(notice, email, "EMAIL")
		}
		c1, n1 := page("carol@riverside.example2")
		webtest.CreateUser(t, db, "dave@riverside.example", false, riverside.ID, identity.RoleViewer)
		c2, n2 := page("dave@riverside.example")
		if c1 != c2 || n1 != n2 || n1 == "" {
			t.Errorf("members page: unknown email = %d %q, existing account = %d %q; want the same", c1, n1, c2, n2)
		}
		if body := bob.Get(t, "/orgs/harbor/members").Body.String(); strings.Contains(body, "Test alice") || strings.Contains(body, "Test dave") {
			t.Error("the members page names an invited person's account")
		}

		// No membership, no policy change, until Alice answers.
		if _, err := db.Membership(ctx, harbor.ID, alice.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Alice's membership of Harbor before she accepted = %v, want ErrNotFound", err)
		}
		if idle, mfa, _ := db.UserOrgPolicy(ctx, alice.ID); idle != idle0 || mfa != mfa0 {
			t.Errorf("Alice's policy after the invitation = %v %t, want %v %t (unchanged)", idle, mfa, idle0, mfa0)
		}
		// The link Bob holds cannot set Alice's password.
		link := existingInv.InvitationURL[strings.Index(existingInv.InvitationURL, "/invite/"):]
		anon := webtest.NewClient(s)
		if w := anon.Get(t, link); w.Code != 200 || !strings.Contains(w.Body.String(), "Sign in to answer") || strings.Contains(w.Body.String(), `name="new"`) {
			t.Errorf("Alice's invitation link opened by someone else = %d, want the sign-in prompt without a password form", w.Code)
		}
		// The link's holder brings a valid pre-session form token (from the sign-in page),
		// so only the invitation's own rule can refuse them.
		thief := webtest.NewClient(s)
		signIn := thief.Get(t, "/login")
		webtest.WantPage(t, signIn, http.StatusOK)
		stolen := url.Values{"csrf": {webtest.FormToken(t, signIn.Body.String())}, "new": {"lantern orchard velvet"}, "confirm": {"lantern orchard velvet"}}
		if w := thief.Do(t, "POST", link, "application/x-www-form-urlencoded", strings.NewReader(stolen.Encode())); w.Code != http.StatusGone {
			t.Errorf("setting a password through Alice's invitation link = %d, want 410", w.Code)
		}
		// Alice is told, and only she can answer; a token of hers cannot.
		aliceWeb := webtest.LoginFull(t, s, db, "alice@riverside.example", webtest.Password)
		if body := aliceWeb.Get(t, "/").Body.String(); !strings.Contains(body, `id="pending-invitations"`) {
			t.Error("Alice's home page does not mention the invitation")
		}
		if body := aliceWeb.Get(t, "/notifications").Body.String(); !strings.Contains(body, "You are invited to join Harbor") {
			t.Error("Alice was not notified")
		}
		invs, err := db.PendingInvitations(ctx, alice.ID)
		if err != nil || len(invs) != 1 {
			t.Fatalf("Alice's pending invitations = %v, %v", invs, err)
		}
		accept := "/account/invitations/" + strconv.FormatInt(invs[0].ID, 10) + "/accept"
		if w := webtest.PostForm(t, bob, accept, nil); w.Code != 404 {
			t.Errorf("Bob accepting Alice's invitation = %d, want 404", w.Code)
		}
		tokenSecret, _ := identity.NewSecret(identity.PrefixToken)
		if _, err := db.CreateToken(ctx, store.Actor{Name: "test"}, identity.HashSecret(tokenSecret), store.Token{UserID: alice.ID, Scope: identity.ScopeAdmin}, time.Hour); err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("POST", accept, nil)
		r.Header.Set("Authorization", "Bearer "+tokenSecret)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 403 {
			t.Errorf("Alice's admin token accepting = %d, want 403", w.Code)
		}
		if _, err := db.Membership(ctx, harbor.ID, alice.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Alice's membership after refused accepts = %v, want ErrNotFound", err)
		}
		// She accepts: now, and only now, she is a member, audited in Harbor's log.
		if w := webtest.PostForm(t, aliceWeb, accept, nil); w.Code != http.StatusSeeOther {
			t.Fatalf("Alice accepting = %d %s", w.Code, w.Body)
		}
		if m, err := db.Membership(ctx, harbor.ID, alice.ID); err != nil || m.Role != identity.RoleAuditor {
			t.Errorf("Alice's membership after accepting = %+v, %v; want auditor", m, err)
		}
		if _, mfa, _ := db.UserOrgPolicy(ctx, alice.ID); !mfa {
			t.Error("Harbor's policy does not apply after Alice accepted")
		}
		// Harbor's policy now asks her for a second factor first.
		if w := aliceWeb.Get(t, "/account"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account/mfa" {
			t.Errorf("Alice after accepting = %d %s, want Harbor's second-factor enrolment", w.Code, w.Header().Get("Location"))
		}
		aliceWeb = webtest.LoginFull(t, s, db, "alice@riverside.example", webtest.Password)
		if w := webtest.PostForm(t, aliceWeb, accept, nil); w.Code != 409 {
			t.Errorf("accepting twice = %d, want 409", w.Code)
		}
		actions := webtest.AuditActions(t, db, harbor.ID)
		for _, want := range []string{"member.invite", "member.invite_accepted", "member.add"} {
			if !slices.Contains(actions, want) {
				t.Errorf("Harbor's audit lacks %s: %v", want, actions)
			}
		}

		// Dave declines; Bob cancels the invitation of the unknown email.
		dave, _ := db.UserByEmail(ctx, "dave@riverside.example")
		daveInvs, _ := db.PendingInvitations(ctx, dave.ID)
		daveWeb := webtest.LoginFull(t, s, db, "dave@riverside.example", webtest.Password)
		if len(daveInvs) != 1 {
			t.Fatalf("Dave's invitations = %v", daveInvs)
		}
		if w := webtest.PostForm(t, daveWeb, "/account/invitations/"+strconv.FormatInt(daveInvs[0].ID, 10)+"/decline", nil); w.Code != http.StatusSeeOther {
			t.Errorf("decline = %d %s", w.Code, w.Body)
		}
		if _, err := db.Membership(ctx, harbor.ID, dave.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Dave is a member after declining: %v", err)
		}
		pending, _ := db.OrgInvitations(ctx, harbor.ID)
		for _, inv := range pending {
			if w := webtest.PostForm(t, bob, "/orgs/harbor/invitations/"+strconv.FormatInt(inv.ID, 10)+"/cancel", nil); w.Code != http.StatusSeeOther {
				t.Errorf("cancel %s = %d %s", inv.Email, w.Code, w.Body)
			}
		}
		if left, _ := db.OrgInvitations(ctx, harbor.ID); len(left) != 0 {
			t.Errorf("invitations left after cancelling = %v", left)
		}
		if !slices.Contains(webtest.AuditActions(t, db, harbor.ID), "member.invite_cancelled") || !slices.Contains(webtest.AuditActions(t, db, harbor.ID), "member.invite_declined") {
			t.Error("cancel or decline not audited")
		}
	})
}

// invitationAnswer is what the test reads of the answer to an invitation
// to join (orgweb writes it).
type invitationAnswer struct {
	InvitationURL string `json:"invitation_url"`
}
