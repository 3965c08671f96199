package orgweb

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/webtest"
)

// peopleFixture is an organisation with an owner signed in and a viewer who
// has never signed in.
type peopleFixture struct {
	db            *store.DB
	owner         *webtest.Client
	org           identity.Org
	ownerID, lena int64
}

func newPeopleFixture(t *testing.T, db *store.DB) *peopleFixture {
	t.Helper()
	ctx := context.Background()
	s := newServer(t, db)
	org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
	if err != nil {
		t.Fatal(err)
	}
	webtest.CreateUser(t, db, "owner@example.org", false, org.ID, identity.RoleOwner)
	webtest.CreateUser(t, db, "lena@example.org", false, org.ID, identity.RoleViewer)
	f := &peopleFixture{db: db, org: org, owner: webtest.LoginFull(t, s, db, "owner@example.org", webtest.Password)}
	for email, id := range map[string]*int64{"owner@example.org": &f.ownerID, "lena@example.org": &f.lena} {
		u, err := db.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		*id = u.ID
	}
	return f
}

// memberRowHTML returns the members page's row of one user.
func memberRowHTML(t *testing.T, body string, userID int64) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr id="member-` + strconv.FormatInt(userID, 10) + `">.*?</tr>`).FindString(body)
	if m == "" {
		t.Fatalf("the members page has no row for user %d", userID)
	}
	return m
}

// TestMemberRemoveAsksFirst: Remove without confirmation shows what
// removing means and changes nothing; confirmed, it removes the member and
// records it.
func TestMemberRemoveAsksFirst(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newPeopleFixture(t, db)
		path := "/orgs/riverside/members/" + strconv.FormatInt(f.lena, 10) + "/remove"

		w := webtest.PostForm(t, f.owner, path, url.Values{})
		webtest.WantPage(t, w, http.StatusOK, "Remove Test lena@example.org from Riverside?", `name="confirm" value="yes"`,
			`id="remove-cancel"`, "will no longer see or change anything in Riverside")
		if _, err := db.Membership(ctx, f.org.ID, f.lena); err != nil {
			t.Fatalf("after Remove without confirmation, the membership = %v, want it kept", err)
		}
		if slices.Contains(webtest.AuditActions(t, db, f.org.ID), "member.remove") {
			t.Error("a removal was recorded without confirmation")
		}

		w = webtest.PostForm(t, f.owner, path, url.Values{"confirm": {"yes"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/orgs/riverside/members?removed=1" {
			t.Fatalf("confirmed removal = %d to %q, want 303 to the members page", w.Code, w.Header().Get("Location"))
		}
		if _, err := db.Membership(ctx, f.org.ID, f.lena); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after confirmed removal, the membership = %v, want not found", err)
		}
		if !slices.Contains(webtest.AuditActions(t, db, f.org.ID), "member.remove") {
			t.Error("the removal was not recorded in the audit log")
		}
		webtest.WantPage(t, f.owner.Get(t, "/orgs/riverside/members?removed=1"), http.StatusOK, "The member was removed.")
	})
}

// TestMembersShowSecondFactorsAndLastSignIn: each member's row says which
// second factors they hold and when they last signed in.
func TestMembersShowSecondFactorsAndLastSignIn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newPeopleFixture(t, db)
		keys := webtest.Keyring(t)
		secret, err := identity.NewTOTPSecret()
		if err != nil {
			t.Fatal(err)
		}
		actor := store.Actor{Name: "test"}
		if err := db.BeginTOTP(ctx, actor, keys, f.ownerID, secret); err != nil {
			t.Fatal(err)
		}
		if err := db.ConfirmTOTP(ctx, actor, keys, f.ownerID, identity.TOTPCode(secret, identity.TOTPStep(db.Now())), nil); err != nil {
			t.Fatal(err)
		}
		w := f.owner.Get(t, "/orgs/riverside/members")
		webtest.WantPage(t, w, http.StatusOK, "Two-step sign-in", "Last sign-in")
		body := w.Body.String()
		owner, err := db.User(ctx, f.ownerID)
		if err != nil {
			t.Fatal(err)
		}
		if owner.LastLoginAt.IsZero() {
			t.Fatal("the owner's sign-in was not recorded")
		}
		if row := memberRowHTML(t, body, f.ownerID); !strings.Contains(row, "authenticator app") || !strings.Contains(row, owner.LastLoginAt.UTC().Format("2 Jan 2006")) {
			t.Errorf("owner's row = %s, want the authenticator app and the last sign-in %v", row, owner.LastLoginAt)
		}
		var api web.List[memberJSON]
		webtest.DecodeJSON200(t, f.owner, "/api/v1/orgs/riverside/members", &api)
		for _, m := range api.Items {
			switch m.UserID {
			case f.ownerID:
				if !m.TOTP || m.Passkeys != 0 || m.LastSignInAt == nil {
					t.Errorf("API: owner = %+v, want the authenticator app and a last sign-in", m)
				}
			case f.lena:
				if m.TOTP || m.Passkeys != 0 || m.LastSignInAt != nil {
					t.Errorf("API: Lena = %+v, want no second factor and no sign-in", m)
				}
			}
		}
		if row := memberRowHTML(t, body, f.lena); !strings.Contains(row, `<span class="pill bad">none</span>`) || !strings.Contains(row, ">never<") {
			t.Errorf("Lena's row = %s, want no second factor and never signed in", row)
		}
	})
}

// TestRolesExplainedFromPermissions: the members page says what each role
// may and may not do, worked out here from Role.Allows over every
// organisation permission, so the explanation cannot drift from the rules
// routes enforce.
func TestRolesExplainedFromPermissions(t *testing.T) {
	t.Parallel()
	var orgPerms []identity.Permission
	for p := identity.PermPublic; p <= identity.PermCredentials; p++ {
		if p.OrgScoped() {
			orgPerms = append(orgPerms, p)
			if permissionDuties[p] == "" {
				t.Errorf("organisation permission %v has no description in permissionDuties", p)
			}
		}
	}
	if len(permissionDuties) != len(orgPerms) {
		t.Errorf("permissionDuties describes %d permissions, want the %d organisation permissions", len(permissionDuties), len(orgPerms))
	}
	f := newPeopleFixture(t, storetest.SQLite(t))
	w := f.owner.Get(t, "/orgs/riverside/members")
	webtest.WantPage(t, w, http.StatusOK, `id="roles-h"`)
	body := w.Body.String()
	for _, r := range identity.Roles {
		m := regexp.MustCompile(`(?s)<dt id="role-` + string(r) + `">(.*?)</dt>\s*<dd>(.*?)</dd>`).FindStringSubmatch(body)
		if m == nil {
			t.Errorf("the roles explanation lacks %s", r)
			continue
		}
		if m[1] != html.EscapeString(r.Label()) {
			t.Errorf("role %s is named %q, want %q", r, m[1], r.Label())
		}
		may := regexp.MustCompile(`(?s)<p class="role-may">(.*?)</p>`).FindStringSubmatch(m[2])
		mayNot := regexp.MustCompile(`(?s)<p class="role-may-not muted">(.*?)</p>`).FindStringSubmatch(m[2])
		for _, p := range orgPerms {
			duty := html.EscapeString(permissionDuties[p])
			inMay := may != nil && strings.Contains(may[1], duty)
			inMayNot := mayNot != nil && strings.Contains(mayNot[1], duty)
			if r.Allows(p) && (!inMay || inMayNot) {
				t.Errorf("%s holds %v, but the page does not list %q under what it may do: %s", r, p, permissionDuties[p], m[2])
			}
			if !r.Allows(p) && (inMay || !inMayNot) {
				t.Errorf("%s lacks %v, but the page does not list %q under what it may not do: %s", r, p, permissionDuties[p], m[2])
			}
		}
		if needs := strings.Contains(m[2], "Must use two-step sign-in"); needs != r.NeedsMFA() {
			t.Errorf("%s: the page says it must use two-step sign-in = %v, want %v", r, needs, r.NeedsMFA())
		}
	}
}
