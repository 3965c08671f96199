package identity

import (
	"slices"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		kind     ThrottleKind
		failures int
		want     time.Duration
	}{
		{ThrottleAccount, 0, 0},
		{ThrottleAccount, 4, 0},
		{ThrottleAccount, 5, time.Second},
		{ThrottleAccount, 6, 2 * time.Second},
		{ThrottleAccount, 7, 4 * time.Second},
		{ThrottleAccount, 14, 512 * time.Second},
		{ThrottleAccount, 15, MaxLock},
		{ThrottleAccount, 60, MaxLock},
		{ThrottleAccount, 1 << 30, MaxLock},
		{ThrottlePair, 5, time.Second},
		{ThrottleDevice, 5, time.Second},
		{ThrottleSecondFactor, 5, time.Second},
		{ThrottleAddress, 20, 0},
		{ThrottleAddress, 100, 0},
		{ThrottleAddress, 101, time.Second},
		{ThrottleAddress, 103, 4 * time.Second},
	}
	for _, tt := range tests {
		if got := Backoff(tt.kind, tt.failures); got != tt.want {
			t.Errorf("Backoff(%v, %d) = %v, want %v", tt.kind, tt.failures, got, tt.want)
		}
	}
}

func TestThrottleKindOf(t *testing.T) {
	tests := []struct {
		key  string
		want ThrottleKind
	}{
		{"acct:a@example.org", ThrottleAccount},
		{"pair:10.0.0.1|a@example.org", ThrottlePair},
		{"ip:10.0.0.1", ThrottleAddress},
		{"dev:abc", ThrottleDevice},
		{SecondFactorKey(42), ThrottleSecondFactor},
		{"something else", ThrottleAccount},
	}
	for _, tt := range tests {
		if got := ThrottleKindOf(tt.key); got != tt.want {
			t.Errorf("ThrottleKindOf(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
	if got := SecondFactorKey(42); got != "mfa:42" {
		t.Errorf("SecondFactorKey(42) = %q, want mfa:42", got)
	}
}

func TestSignInKeys(t *testing.T) {
	const ip, email = "10.0.0.1", "a@example.org"
	k := NewSignInKeys(ip, email, "")
	want := []string{"acct:" + email, "pair:" + ip + "|" + email, "ip:" + ip}
	if !slices.Equal(k.Check, want) || !slices.Equal(k.Record, want) || k.Device {
		t.Errorf("NewSignInKeys(no device) = %+v, want check and record %v", k, want)
	}
	if got := k.ClearOnSuccess(false); !slices.Equal(got, []string{"pair:" + ip + "|" + email, "acct:" + email}) {
		t.Errorf("ClearOnSuccess(false) = %v, want the pair and the account", got)
	}
	if got := k.ClearOnSuccess(true); !slices.Equal(got, []string{"pair:" + ip + "|" + email}) {
		t.Errorf("ClearOnSuccess(passed lock) = %v, want the pair only: the account stays locked", got)
	}

	d := NewSignInKeys(ip, email, "h")
	if !slices.Equal(d.Check, []string{"dev:h"}) || !slices.Equal(d.Record, []string{"dev:h", "ip:" + ip}) || !d.Device || d.Pair != "" {
		t.Errorf("NewSignInKeys(known device) = %+v, want check dev:h, record dev:h and the address", d)
	}
	if got := d.ClearOnSuccess(false); !slices.Equal(got, []string{"dev:h"}) {
		t.Errorf("ClearOnSuccess(device) = %v, want dev:h", got)
	}
}

func TestSignInLock(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	const ip, email = "10.0.0.1", "a@example.org"
	k := NewSignInKeys(ip, email, "")
	d := NewSignInKeys(ip, email, "h")
	locked := func(keys ...string) map[string]Throttle {
		m := map[string]Throttle{}
		for i, key := range keys {
			m[key] = Throttle{Key: key, Failures: 5, LockedUntil: now.Add(time.Duration(i+1) * time.Minute)}
		}
		return m
	}
	tests := []struct {
		name      string
		keys      SignInKeys
		states    map[string]Throttle
		want      Lock
		passes    bool // without a code
		passesTwo bool // with a code
	}{
		{"nothing locked", k, nil, Lock{}, true, true},
		{"lock over", k, map[string]Throttle{k.Account: {LockedUntil: now.Add(-time.Second)}}, Lock{}, true, true},
		{"account only", k, locked(k.Account), Lock{Wait: time.Minute, OnlyAccount: true}, false, true},
		{"account and pair", k, locked(k.Account, k.Pair), Lock{Wait: 2 * time.Minute}, false, false},
		{"address", k, locked(k.Address), Lock{Wait: time.Minute}, false, false},
		{"known device locked", d, locked("dev:h"), Lock{Wait: time.Minute}, false, false},
		{"account locked, known device not", d, locked(k.Account), Lock{}, true, true},
	}
	for _, tt := range tests {
		got := tt.keys.Lock(tt.states, now)
		if got != tt.want {
			t.Errorf("%s: Lock = %+v, want %+v", tt.name, got, tt.want)
		}
		if p := got.Passes(false); p != tt.passes {
			t.Errorf("%s: Passes(no code) = %v, want %v", tt.name, p, tt.passes)
		}
		if p := got.Passes(true); p != tt.passesTwo {
			t.Errorf("%s: Passes(code) = %v, want %v", tt.name, p, tt.passesTwo)
		}
	}
}
