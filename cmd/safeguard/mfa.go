package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/safeguard-health/safeguard/internal/store"
)

// resetMFA is `safeguard user reset-mfa EMAIL`: it removes the second
// factors of someone who lost them (authenticator app, passkeys, recovery
// codes) and ends their sessions. At their next sign-in they enrol again if
// their account must have a second factor. The change is audited as the
// CLI's user.
func (m *Main) resetMFA(ctx context.Context, f *instanceFlags, fs *flag.FlagSet, email string) error {
	target := email
	if fs.NArg() == 1 && target == "" {
		target = fs.Arg(0)
	}
	if target == "" || fs.NArg() > 1 {
		return usagef("user reset-mfa: give the user's EMAIL")
	}
	return m.withInstance(ctx, f, func(in *instance) error {
		u, err := in.db.UserByEmail(ctx, target)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no user with email %s", target)
		} else if err != nil {
			return err
		}
		if err := in.db.ResetMFA(ctx, cliActor(), u.ID); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Removed the second factors of %s (authenticator app, passkeys, recovery codes) and ended their sessions.\n"+
			"If their account requires two-step sign-in, they set it up again when they next sign in.\n", u.Email)
		return nil
	})
}
