// Package demo loads Riverside Family Practice, the sample organisation that
// `safeguard demo` serves, through the same store methods a user's actions
// go through. Each capability adds its part of the story here.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Actor is who the demo data is recorded as having been entered by.
var Actor = store.Actor{Name: "demo:loader"}

// Orgs are the demo's organisations: a two-clinic family practice (a covered
// entity) and the billing company that serves it (a business associate).
var Orgs = []identity.Org{
	{Slug: "riverside", Name: "Riverside Family Practice", Kind: identity.KindProvider, TimeZone: "America/New_York"},
	{Slug: "harbor-billing", Name: "Harbor Medical Billing", Kind: identity.KindBusinessAssociate},
}

// Person is one demo user and where they work.
type Person struct {
	Email   string
	Name    string
	Admin   bool
	OrgSlug string
	Role    identity.Role
	// OneTime: the password must be changed at first sign-in.
	OneTime bool
	// Note says what else the demo has in store for the person.
	Note string
}

// People are the demo's users: one per role, and a platform administrator
// who owns the practice's account.
var People = []Person{
	{Email: "admin@riverside.example", Name: "Alex Morgan", Admin: true, OrgSlug: "riverside", Role: identity.RoleOwner, OneTime: true},
	{Email: "maria.alvarez@riverside.example", Name: "Dr Maria Alvarez", OrgSlug: "riverside", Role: identity.RoleOwner},
	{Email: "sam.okafor@riverside.example", Name: "Sam Okafor", OrgSlug: "riverside", Role: identity.RoleSecurityOfficer},
	{Email: "priya.shah@riverside.example", Name: "Priya Shah", OrgSlug: "riverside", Role: identity.RoleContributor},
	{Email: "tom.becker@audit.example", Name: "Tom Becker", OrgSlug: "riverside", Role: identity.RoleAuditor},
	{Email: "lena.fischer@riverside.example", Name: "Lena Fischer", OrgSlug: "riverside", Role: identity.RoleViewer},
	{Email: "jordan.lee@harbor-billing.example", Name: "Jordan Lee", OrgSlug: "harbor-billing", Role: identity.RoleOwner,
		Note: "(invited to riverside as auditor: accept on the account page)"},
}

// Credential is a demo user's sign-in, printed once when the demo is made.
type Credential struct {
	Person
	Password string
}

// Load writes the demo data into an empty database and returns the demo
// users' sign-in details. keys seals the demo's evidence files.
func Load(ctx context.Context, db *store.DB, hasher *identity.Hasher, keys *crypt.Keyring) ([]Credential, error) {
	ids := map[string]int64{}
	for _, o := range Orgs {
		created, err := db.CreateOrg(ctx, Actor, o)
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		ids[o.Slug] = created.ID
	}
	var creds []Credential
	for _, p := range People {
		pw, err := password()
		if err != nil {
			return nil, err
		}
		hash, err := hasher.Hash(ctx, pw)
		if err != nil {
			return nil, err
		}
		_, err = db.CreateUser(ctx, Actor, store.NewUser{
			User:         identity.User{Email: p.Email, Name: p.Name, Admin: p.Admin, MustChangePassword: p.OneTime},
			PasswordHash: hash,
			OrgID:        ids[p.OrgSlug],
			Role:         p.Role,
		})
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		creds = append(creds, Credential{Person: p, Password: pw})
	}
	if err := loadAssessments(ctx, db, ids["riverside"]); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := loadInventory(ctx, db, ids["riverside"]); err != nil {
		return nil, err
	}
	if err := loadRegister(ctx, db, ids["riverside"]); err != nil {
		return nil, err
	}
	if err := loadAnalyses(ctx, db, ids["riverside"]); err != nil {
		return nil, err
	}
	if err := loadInvitation(ctx, db, ids["riverside"]); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return creds, loadEvidence(ctx, db, keys, ids["riverside"])
}

// loadInvitation has Riverside's owner invite the billing company's owner
// to read the practice's records as an auditor: an existing account of
// another organisation, so it waits for Jordan to accept it (on the account
// page) before any membership exists.
func loadInvitation(ctx context.Context, db *store.DB, orgID int64) error {
	secret, err := identity.NewSecret(identity.PrefixInvitation)
	if err != nil {
		return err
	}
	_, err = db.InviteMember(ctx, Actor, store.InviteMember{
		OrgID: orgID, Email: "jordan.lee@harbor-billing.example", Role: identity.RoleAuditor,
		TokenHash: identity.HashSecret(secret), TTL: identity.InvitationLifetime,
	})
	return err
}

// password returns a random password that is easy to read aloud: four
// groups of four letters and digits.
func password() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	s := strings.ToLower(base32.StdEncoding.EncodeToString(b))[:16]
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16], nil
}
