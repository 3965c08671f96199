package identity

import "github.com/safeguard-health/safeguard/internal/problem"

// ErrLastSecondFactor refuses the removal of a user's only second factor
// while an organisation of the user requires one.
var ErrLastSecondFactor = problem.New(problem.Conflict,
	"This is your only second factor and your organisation requires one: add another passkey or an authenticator app first.", nil)

// FactorRemoval is what follows from removing one of a user's second
// factors (an authenticator app or a passkey).
type FactorRemoval struct {
	// DropRecoveryCodes says no second factor is left: the recovery codes
	// stand in for one, so they go too.
	DropRecoveryCodes bool
}

// RemoveSecondFactor decides the removal of a second factor that would
// leave the user left factors (authenticator app and passkeys counted
// together). A user whose organisation requires a second factor
// (mfaRequired) may not remove the last one: ErrLastSecondFactor.
func RemoveSecondFactor(mfaRequired bool, left int) (FactorRemoval, error) {
	if left > 0 {
		return FactorRemoval{}, nil
	}
	if mfaRequired {
		return FactorRemoval{}, ErrLastSecondFactor
	}
	return FactorRemoval{DropRecoveryCodes: true}, nil
}
