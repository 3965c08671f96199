package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/validate"
)

func TestSSOProviderSaveAndLoad(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SSOProvider(ctx, org.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("SSOProvider before saving = %v, want ErrNotFound", err)
		}
		roles, _ := identity.ParseRoleMap("staff = contributor\ncn=x,dc=y = auditor")
		cfg := identity.SSOConfig{OrgID: org.ID, Enabled: true, Issuer: "https://login.example.org", ClientID: "sg",
			ClientSecret: "do-not-store-me", Scopes: []string{"email", "groups"}, GroupsClaim: "groups", RoleMap: roles,
			DefaultRole: identity.RoleViewer, JIT: true, AllowedDomains: []string{"riverside.example"}}
		// Without a secret, a first save is refused.
		var verr validate.Error
		if err := db.SaveSSOProvider(ctx, cli, cfg, nil); !errors.As(err, &verr) || verr["client_secret"] == "" {
			t.Fatalf("SaveSSOProvider without a secret = %v, want a client_secret problem", err)
		}
		sealed := &store.SealedSecret{KEKID: "kek-1", Wrapped: []byte("wrapped-key"), Sealed: []byte("sealed-secret")}
		if err := db.SaveSSOProvider(ctx, cli, cfg, sealed); err != nil {
			t.Fatalf("SaveSSOProvider = %v", err)
		}
		p, err := db.SSOProvider(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := cfg
		want.ClientSecret = ""
		if p.Config.Issuer != want.Issuer || p.Config.ClientID != want.ClientID || !p.Config.Enabled || !p.Config.JIT ||
			p.Config.GroupsClaim != "groups" || p.Config.DefaultRole != identity.RoleViewer || p.Config.ClientSecret != "" ||
			p.Config.RoleMap.String() != roles.String() || strings.Join(p.Config.Scopes, " ") != "email groups" ||
			strings.Join(p.Config.AllowedDomains, " ") != "riverside.example" || p.OrgSlug != "riverside" {
			t.Errorf("SSOProvider = %+v, want %+v", p, want)
		}
		if p.Secret.KEKID != "kek-1" || !bytes.Equal(p.Secret.Wrapped, []byte("wrapped-key")) || !bytes.Equal(p.Secret.Sealed, []byte("sealed-secret")) || p.Secret.DataKeyID == 0 {
			t.Errorf("Secret = %+v", p.Secret)
		}
		if p.UpdatedBy != cli.Name || p.UpdatedAt.IsZero() {
			t.Errorf("updated = %v by %q", p.UpdatedAt, p.UpdatedBy)
		}

		if p.Config.TrustMFA {
			t.Error("a provider is trusted for second factors without being told so")
		}
		// Every owner hears of it (the outbox emails it when mail is set up).
		owner, err := db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: "owner@riverside.example"}, OrgID: org.ID, Role: identity.RoleOwner})
		if err != nil {
			t.Fatal(err)
		}
		officer, err := db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: "so@riverside.example"}, OrgID: org.ID, Role: identity.RoleSecurityOfficer})
		if err != nil {
			t.Fatal(err)
		}
		cfg.TrustMFA = true
		if err := db.SaveSSOProvider(ctx, cli, cfg, nil); err != nil {
			t.Fatal(err)
		}
		if p, _ := db.SSOProvider(ctx, org.ID); !p.Config.TrustMFA {
			t.Error("TrustMFA was not stored")
		}
		if ns, _, err := db.NotificationPage(ctx, owner.ID, store.Page{Limit: 10}); err != nil || len(ns) != 1 || ns[0].Kind != "sso" ||
			!strings.Contains(ns[0].Message, "login.example.org") || ns[0].Link != "/orgs/riverside/settings/sso" {
			t.Errorf("owner's notifications = %+v, %v; want one about the change", ns, err)
		}
		if ns, _, _ := db.NotificationPage(ctx, officer.ID, store.Page{Limit: 10}); len(ns) != 0 {
			t.Errorf("a security officer was notified as an owner: %+v", ns)
		}
		if out, err := db.Outbox(ctx, 10); err != nil || len(out) != 1 || out[0].Email != "owner@riverside.example" {
			t.Errorf("Outbox = %+v, %v; want the owner's email", out, err)
		}

		// A change without a new secret keeps the sealed one.
		cfg.Enabled, cfg.JIT, cfg.TrustMFA = false, false, false
		if err := db.SaveSSOProvider(ctx, cli, cfg, nil); err != nil {
			t.Fatal(err)
		}
		p2, _ := db.SSOProvider(ctx, org.ID)
		if p2.Config.Enabled || p2.Config.JIT || p2.Secret.DataKeyID != p.Secret.DataKeyID || !bytes.Equal(p2.Secret.Sealed, p.Secret.Sealed) {
			t.Errorf("after a change without secret: %+v", p2)
		}
		// Invalid settings change nothing.
		bad := cfg
		bad.Issuer = "http://login.example.org"
		if err := db.SaveSSOProvider(ctx, cli, bad, nil); !errors.As(err, &verr) || verr["issuer"] == "" {
			t.Errorf("SaveSSOProvider(http issuer) = %v, want an issuer problem", err)
		}

		entries, err := db.AuditEntries(ctx, org.ID, 20)
		if err != nil {
			t.Fatal(err)
		}
		var configured int
		for _, e := range entries {
			if strings.Contains(e.Summary, "do-not-store-me") || strings.Contains(e.Summary, "sealed-secret") {
				t.Errorf("audit entry holds the secret: %+v", e)
			}
			if e.Action == "sso.configure" {
				configured++
			}
		}
		if configured != 3 {
			t.Errorf("sso.configure entries = %d, want 3", configured)
		}
	})
}

func TestSSOState(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st, err := db.CreateSSOState(ctx, store.SSOState{StateHash: "h1", BrowserHash: "b1", Nonce: "n1", Verifier: "v1",
			RedirectURL: "https://sg.example/login/sso/callback", Next: "/account"})
		if err != nil {
			t.Fatal(err)
		}
		if st.ID == 0 || st.CreatedAt.IsZero() {
			t.Errorf("CreateSSOState = %+v", st)
		}
		got, err := db.ConsumeSSOState(ctx, "h1")
		if err != nil || got.Nonce != "n1" || got.Verifier != "v1" || got.Next != "/account" || got.BrowserHash != "b1" || got.OrgID != 0 || got.UsedAt.IsZero() {
			t.Fatalf("ConsumeSSOState = %+v, %v", got, err)
		}
		if _, err := db.ConsumeSSOState(ctx, "h1"); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "used already") {
			t.Errorf("second ConsumeSSOState = %v, want ErrConflict (used already)", err)
		}
		if _, err := db.ConsumeSSOState(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ConsumeSSOState(unknown) = %v, want ErrNotFound", err)
		}

		// Older than ten minutes: refused, and used up all the same.
		if _, err := db.CreateSSOState(ctx, store.SSOState{StateHash: "h2", BrowserHash: "b", Nonce: "n", Verifier: "v", RedirectURL: "x"}); err != nil {
			t.Fatal(err)
		}
		db.Now = func() time.Time { return time.Now().Add(identity.SSOLoginLifetime + time.Second) }
		defer func() { db.Now = time.Now }()
		if _, err := db.ConsumeSSOState(ctx, "h2"); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "longer than") {
			t.Errorf("ConsumeSSOState(expired) = %v, want ErrConflict (took longer)", err)
		}
		db.Now = time.Now
		if _, err := db.ConsumeSSOState(ctx, "h2"); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "used already") {
			t.Errorf("ConsumeSSOState(expired, again) = %v, want used already", err)
		}
	})
}

func TestSSOIdentities(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		u, err := db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: "a@riverside.example"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.UserBySSOIdentity(ctx, "https://idp", "s1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UserBySSOIdentity before linking = %v, want ErrNotFound", err)
		}
		l, err := db.LinkSSOIdentity(ctx, cli, store.SSOIdentity{Issuer: "https://idp", Subject: "s1", UserID: u.ID, Email: u.Email, Origin: identity.LinkAccount})
		if err != nil || l.ID == 0 {
			t.Fatalf("LinkSSOIdentity = %+v, %v", l, err)
		}
		got, gu, err := db.UserBySSOIdentity(ctx, "https://idp", "s1")
		if err != nil || gu.ID != u.ID || got.Email != u.Email || got.OrgID != 0 || got.Origin != identity.LinkAccount {
			t.Errorf("UserBySSOIdentity = %+v, %+v, %v", got, gu, err)
		}
		if _, err := db.LinkSSOIdentity(ctx, cli, store.SSOIdentity{Issuer: "https://idp", Subject: "s1", UserID: u.ID, Origin: identity.LinkAccount}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("linking the same account twice = %v, want ErrConflict", err)
		}
		// The same subject at another issuer is another account.
		if _, err := db.LinkSSOIdentity(ctx, cli, store.SSOIdentity{Issuer: "https://other", Subject: "s1", UserID: u.ID, OrgID: org.ID, Origin: identity.LinkEmail}); err != nil {
			t.Errorf("same subject, other issuer = %v", err)
		}
		if err := db.TouchSSOIdentity(ctx, l.ID); err != nil {
			t.Error(err)
		}
		links, err := db.SSOIdentities(ctx, u.ID)
		if err != nil || len(links) != 2 || links[1].OrgID != org.ID {
			t.Errorf("SSOIdentities = %+v, %v", links, err)
		}

		// Just-in-time: user, membership and link together.
		nu, err := db.CreateSSOUser(ctx, cli, store.NewUser{User: identity.User{Email: "New@Riverside.example", Name: "New"}, OrgID: org.ID, Role: identity.RoleContributor},
			store.SSOIdentity{Issuer: "https://idp", Subject: "s2", OrgID: org.ID, Email: "new@riverside.example"})
		if err != nil || nu.ID == 0 || nu.Email != "new@riverside.example" {
			t.Fatalf("CreateSSOUser = %+v, %v", nu, err)
		}
		if m, err := db.Membership(ctx, org.ID, nu.ID); err != nil || m.Role != identity.RoleContributor {
			t.Errorf("membership = %+v, %v", m, err)
		}
		if hash, _ := db.PasswordHash(ctx, nu.ID); hash != "" {
			t.Error("a just-in-time account has a password")
		}
		if l, _, err := db.UserBySSOIdentity(ctx, "https://idp", "s2"); err != nil || l.Origin != identity.LinkJIT {
			t.Errorf("just-in-time link = %+v, %v; want origin jit", l, err)
		}
		if has, err := db.UserHasSignInCredential(ctx, nu.ID); err != nil || has {
			t.Errorf("UserHasSignInCredential(just in time) = %t, %v; want false", has, err)
		}
		if _, err := db.LinkSSOIdentity(ctx, cli, store.SSOIdentity{Issuer: "https://idp", Subject: "s9", UserID: u.ID}); err == nil {
			t.Error("a link without an origin was stored")
		}
		// A user removes their own link, not someone else's.
		if err := db.UnlinkSSOIdentity(ctx, cli, nu.ID, l.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UnlinkSSOIdentity(another user's link) = %v, want ErrNotFound", err)
		}
		if err := db.UnlinkSSOIdentity(ctx, cli, u.ID, l.ID); err != nil {
			t.Errorf("UnlinkSSOIdentity = %v", err)
		}
		if _, _, err := db.UserBySSOIdentity(ctx, "https://idp", "s1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after unlinking, UserBySSOIdentity = %v, want ErrNotFound", err)
		}
		// An email in use or a linked account fails whole.
		before, _, _ := db.UserPage(ctx, store.Page{Limit: store.MaxPageLimit})
		if _, err := db.CreateSSOUser(ctx, cli, store.NewUser{User: identity.User{Email: "a@riverside.example"}}, store.SSOIdentity{Issuer: "https://idp", Subject: "s3"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateSSOUser(email in use) = %v, want ErrConflict", err)
		}
		if _, err := db.CreateSSOUser(ctx, cli, store.NewUser{User: identity.User{Email: "other@riverside.example"}}, store.SSOIdentity{Issuer: "https://idp", Subject: "s2"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateSSOUser(linked account) = %v, want ErrConflict", err)
		}
		if after, _, _ := db.UserPage(ctx, store.Page{Limit: store.MaxPageLimit}); len(after) != len(before) {
			t.Errorf("users = %d after failed creations, want %d", len(after), len(before))
		}
	})
}
