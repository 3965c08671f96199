// Package demo loads Riverside Family Practice, the sample organisation that
// `safeguard demo` serves, through the same store methods a user's actions
// go through. Each capability adds its part of the story here.
package demo

import (
	"context"
	"fmt"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Actor is who the demo data is recorded as having been entered by.
var Actor = store.Actor{Name: "demo:loader"}

// Orgs are the demo's organisations: a two-clinic family practice (a covered
// entity) and the billing company that serves it (a business associate).
var Orgs = []identity.Org{
	{Slug: "riverside", Name: "Riverside Family Practice", Kind: identity.KindProvider},
	{Slug: "harbor-billing", Name: "Harbor Medical Billing", Kind: identity.KindBusinessAssociate},
}

// Load writes the demo data into an empty database.
func Load(ctx context.Context, db *store.DB) error {
	for _, o := range Orgs {
		if _, err := db.CreateOrg(ctx, Actor, o); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}
