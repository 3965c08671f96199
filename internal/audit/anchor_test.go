package audit

import (
	"errors"
	"testing"
	"time"
)

func newTestSigner(t *testing.T) *Signer {
	t.Helper()
	s, err := NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKeyFileTrust covers what the keys file trusts, including the attacks
// of someone who can write the file but holds no signing key.
func TestKeyFileTrust(t *testing.T) {
	first, second, third, mallory := newTestSigner(t), newTestSigner(t), newTestSigner(t), newTestSigner(t)
	now := time.Now()
	var chain KeyFile
	chain.Add(first.Public())
	chain.AddEndorsed(first.Endorse(second.Public(), now))
	chain.AddEndorsed(second.Endorse(third.Public(), now))

	appended := append(KeyFile{}, chain...)
	appended.Add(mallory.Public())
	selfEndorsed := append(KeyFile{}, chain...)
	forged := mallory.Endorse(mallory.Public(), now)
	forged.By = first.ID() // claims the first key, signed by its own
	selfEndorsed.AddEndorsed(forged)
	replaced := KeyFile{{Public: mallory.Public()}, chain[1], chain[2]}
	var alone KeyFile
	alone.Add(mallory.Public())
	reversed := KeyFile{chain[2], chain[1], chain[0]}

	tests := []struct {
		name     string
		file     KeyFile
		pins     []string
		want     Damage // "" for trusted
		wantKeys int
	}{
		{name: "no keys", file: nil, want: NoPinnedKeys},
		{name: "first key only", file: chain[:1], wantKeys: 1},
		{name: "endorsement chain", file: chain, wantKeys: 3},
		{name: "endorsements out of order", file: reversed, wantKeys: 3},
		{name: "chain pinned", file: chain, pins: []string{first.Fingerprint()}, wantKeys: 3},
		{name: "appended key", file: appended, want: UnendorsedKey},
		{name: "forged endorsement", file: selfEndorsed, want: UnendorsedKey},
		{name: "first key replaced", file: replaced, want: UnendorsedKey},
		{name: "whole file replaced, pinned", file: alone, pins: []string{first.Fingerprint()}, want: PinnedKeyGone},
		{name: "whole file replaced, unpinned", file: alone, wantKeys: 1}, // only a pin or an exported checkpoint catches this
		{name: "pin a later key", file: chain, pins: []string{second.Fingerprint()}, want: UnendorsedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, _ := tt.file.MarshalText()
			f, err := ParseKeyFile(text)
			if err != nil {
				t.Fatalf("ParseKeyFile(%q) = %v", text, err)
			}
			keys, err := f.Trust(tt.pins)
			var te *TrustError
			switch {
			case tt.want == "" && (err != nil || len(keys) != tt.wantKeys):
				t.Fatalf("Trust = %d keys, %v, want %d keys", len(keys), err, tt.wantKeys)
			case tt.want != "" && (!errors.As(err, &te) || te.Kind != tt.want):
				t.Fatalf("Trust = %v, want %s", err, tt.want)
			}
			if te != nil && tt.want == UnendorsedKey && te.KeyID == first.ID() && tt.name != "pin a later key" {
				t.Errorf("Trust blamed the first key: %v", err)
			}
		})
	}
}

func TestParseKeyFileErrors(t *testing.T) {
	s := newTestSigner(t)
	var f KeyFile
	f.Add(s.Public())
	good, _ := f.MarshalText()
	for _, text := range []string{
		string(good) + string(good[len("# safeguard audit public keys v1\n"):]),
		s.ID() + " AAAA\n",
		"ed25519:0000000000000000 " + "ZmFrZWtleWZha2VrZXlmYWtla2V5ZmFrZWtleTEyMzQ=\n",
		s.ID() + " x endorsed-by y z w\n",
		s.ID() + " a b\n",
	} {
		if _, err := ParseKeyFile([]byte(text)); err == nil {
			t.Errorf("ParseKeyFile(%q) = nil error", text)
		}
	}
	if _, err := ParseFingerprint("ed25519:abcd"); err == nil {
		t.Error("ParseFingerprint accepted a key ID")
	}
	if fp, err := ParseFingerprint(" " + s.Fingerprint() + " "); err != nil || fp != s.Fingerprint() {
		t.Errorf("ParseFingerprint = %q, %v", fp, err)
	}
}
