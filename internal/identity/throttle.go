package identity

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Throttling of sign-in (45 CFR 164.312(d), and the log-in monitoring of
// 164.308(a)(5)(ii)(C)): after a few failures a key is locked for a time
// that doubles with each further failure, up to a ceiling, so that a key
// under attack is never locked for good. A password sign-in counts its
// failures on three keys:
//
//   - the account, from anywhere: this stops guessing spread over many
//     addresses;
//   - the account from one address (the pair): this keeps stopping an
//     attacker at one address once the account lock is passed (below);
//   - the address, for every account, with a much larger allowance, because
//     many people can share one address (a clinic's NAT), and one attacker
//     among them should lock out only the accounts he tries.
//
// The account lock would shut the owner out of every new browser while
// someone elsewhere keeps failing, so two proofs pass it:
//
//   - a known device: a browser that signed in as the user before carries a
//     cookie; its failures count on the device's key (and the address)
//     instead;
//   - a second factor: a sign-in that brings the password and a valid code
//     in the same request passes the account lock (not the pair or address
//     locks), and its session has passed the second factor. While the
//     account is locked such an attempt is answered alike whether the
//     password or the code was wrong, so the lock still hides whether a
//     guessed password was right.
const (
	// AccountFreeFailures is how many failures a key other than an
	// address's may have before it is locked.
	AccountFreeFailures = 4
	// AddressFreeFailures is the larger allowance of an address.
	AddressFreeFailures = 100
	// MaxLock is the longest lock.
	MaxLock = 15 * time.Minute
	// KnownDeviceLifetime is how long a browser stays known after its last
	// sign-in.
	KnownDeviceLifetime = 90 * 24 * time.Hour
)

// ThrottleKind is what a throttle key counts the failures of.
type ThrottleKind int

// The kinds of throttle key.
const (
	ThrottleAccount      ThrottleKind = iota + 1 // an account, from anywhere
	ThrottlePair                                 // an account from one address
	ThrottleAddress                              // every account from one address
	ThrottleDevice                               // an account from its owner's known browser
	ThrottleSecondFactor                         // the second-factor codes of a user
)

var throttlePrefixes = map[ThrottleKind]string{
	ThrottleAccount: "acct:", ThrottlePair: "pair:", ThrottleAddress: "ip:", ThrottleDevice: "dev:", ThrottleSecondFactor: "mfa:",
}

// ThrottleKindOf is the kind of a throttle key, by its prefix; a key of no
// known kind counts as an account's.
func ThrottleKindOf(key string) ThrottleKind {
	for k, p := range throttlePrefixes {
		if strings.HasPrefix(key, p) {
			return k
		}
	}
	return ThrottleAccount
}

// Backoff is the lock after the given number of consecutive failures on a
// key of kind: none within the allowance, then one second doubling with
// each failure, up to MaxLock.
func Backoff(kind ThrottleKind, failures int) time.Duration {
	free := AccountFreeFailures
	if kind == ThrottleAddress {
		free = AddressFreeFailures
	}
	over := failures - free
	if over <= 0 {
		return 0
	}
	d := time.Duration(math.Pow(2, float64(min(over-1, 20)))) * time.Second
	return min(d, MaxLock)
}

// KeyBackoff is Backoff for a key, of the kind its prefix says.
func KeyBackoff(key string, failures int) time.Duration {
	return Backoff(ThrottleKindOf(key), failures)
}

// SecondFactorKey is the throttle of a user's second-factor codes: a
// six-digit code is guessable without one.
func SecondFactorKey(userID int64) string {
	return throttlePrefixes[ThrottleSecondFactor] + strconv.FormatInt(userID, 10)
}

// Throttle is the failure state of one key.
type Throttle struct {
	Key         string
	Failures    int
	LockedUntil time.Time
}

// SignInKeys are the throttle keys one password sign-in is checked against,
// the ones its failure counts on, and the ones its success clears.
type SignInKeys struct {
	// Account is the key that a second factor may pass: the account's, or
	// the known device's.
	Account string
	// Pair is the account from this address; empty from a known device.
	Pair    string
	Address string
	Check   []string
	Record  []string
	// Device says the sign-in comes from the owner's known browser.
	Device bool
}

// NewSignInKeys returns the keys of a sign-in as email from address ip;
// deviceHash is the hash of the browser's known-device token when the
// store knows it as the user's, else empty.
func NewSignInKeys(ip, email, deviceHash string) SignInKeys {
	k := SignInKeys{
		Account: throttlePrefixes[ThrottleAccount] + email,
		Pair:    throttlePrefixes[ThrottlePair] + ip + "|" + email,
		Address: throttlePrefixes[ThrottleAddress] + ip,
	}
	if deviceHash != "" {
		// The owner's own browser: its failures count on their own, so an
		// attacker elsewhere, or behind the same address, cannot lock the
		// owner out of it.
		dev := throttlePrefixes[ThrottleDevice] + deviceHash
		k.Account, k.Pair, k.Device = dev, "", true
		k.Check, k.Record = []string{dev}, []string{dev, k.Address}
		return k
	}
	k.Check = []string{k.Account, k.Pair, k.Address}
	k.Record = k.Check
	return k
}

// Lock is what the throttles say of a sign-in before its password is
// checked.
type Lock struct {
	// Wait is the longest lock among the keys checked; 0 when none is
	// locked.
	Wait time.Duration
	// OnlyAccount says that only the account's key is locked, so that a
	// second factor would pass the lock.
	OnlyAccount bool
}

// Lock returns the lock of the sign-in at now, given the state of its keys
// (keys with no state have none).
func (k SignInKeys) Lock(states map[string]Throttle, now time.Time) Lock {
	lockOf := func(keys ...string) time.Duration {
		var wait time.Duration
		for _, key := range keys {
			if key == "" {
				continue
			}
			if d := states[key].LockedUntil.Sub(now); d > wait {
				wait = d
			}
		}
		return wait
	}
	l := Lock{Wait: lockOf(k.Check...)}
	l.OnlyAccount = !k.Device && l.Wait > 0 && lockOf(k.Pair, k.Address) == 0
	return l
}

// Passes reports whether the sign-in may go on to check its password: no
// key is locked, or only the account's and a second factor came with it.
func (l Lock) Passes(withCode bool) bool {
	return l.Wait <= 0 || (l.OnlyAccount && withCode)
}

// ClearOnSuccess are the keys a successful sign-in clears: the failures of
// this account from this address (or of this device), and of the account
// itself, unless its lock was passed with a second factor, which leaves the
// attacker elsewhere throttled.
func (k SignInKeys) ClearOnSuccess(passedLock bool) []string {
	var clear []string
	if k.Pair != "" {
		clear = append(clear, k.Pair)
	}
	if !passedLock {
		clear = append(clear, k.Account)
	}
	return clear
}
