package crypt_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/safeguard-health/safeguard/internal/crypt"
)

// newDataKey returns a fresh data key from a fresh keyring.
func newDataKey(t testing.TB) crypt.DataKey {
	t.Helper()
	k, err := crypt.NewKeyring()
	if err != nil {
		t.Fatalf("NewKeyring() error = %v", err)
	}
	dk, _, _, err := k.NewDataKey()
	if err != nil {
		t.Fatalf("NewDataKey() error = %v", err)
	}
	return dk
}

// seal seals plaintext with dk, failing the test on error.
func seal(t testing.TB, dk crypt.DataKey, plaintext, aad []byte) []byte {
	t.Helper()
	sealed, err := dk.Seal(plaintext, aad)
	if err != nil {
		t.Fatalf("Seal(%d bytes, %q) error = %v", len(plaintext), aad, err)
	}
	return sealed
}

func TestSealOpenRoundTrip(t *testing.T) {
	dk := newDataKey(t)
	big := make([]byte, 1<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		plaintext, aad []byte
	}{
		{"empty", []byte{}, nil},
		{"nil", nil, nil},
		{"one byte", []byte{0}, []byte("x")},
		{"text with aad", []byte("JBSWY3DPEHPK3PXP"), []byte("org 7/user 12/totp_seed")},
		{"1 MiB", big, []byte("evidence 99")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed := seal(t, dk, tt.plaintext, tt.aad)
			if got, want := len(sealed), len(tt.plaintext)+29; got != want {
				t.Errorf("len(Seal(...)) = %d, want %d", got, want)
			}
			if len(tt.plaintext) >= 8 && bytes.Contains(sealed, tt.plaintext) {
				t.Errorf("Seal(...) output contains the plaintext")
			}
			got, err := dk.Open(sealed, tt.aad)
			if err != nil {
				t.Fatalf("Open(Seal(...)) error = %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open(Seal(p)) = %d bytes, want the %d bytes of p", len(got), len(tt.plaintext))
			}
			if got == nil {
				t.Errorf("Open(Seal(...)) = nil, want a non-nil slice")
			}
		})
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	dk := newDataKey(t)
	p := []byte("same plaintext, same aad")
	a, b := seal(t, dk, p, nil), seal(t, dk, p, nil)
	if bytes.Equal(a, b) {
		t.Errorf("Seal(p) twice gave identical output %x, want different nonces", a)
	}
}

func TestOpenTampered(t *testing.T) {
	dk := newDataKey(t)
	aad := []byte("org 1/evidence 2")
	sealed := seal(t, dk, []byte("a sealed secret"), aad)

	for i := range sealed {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(sealed)
			bad[i] ^= flip
			if got, err := dk.Open(bad, aad); !errors.Is(err, crypt.ErrDecrypt) {
				t.Errorf("Open(sealed with byte %d ^ %#x) = %q, %v, want %v", i, flip, got, err, crypt.ErrDecrypt)
			}
		}
	}
	for n := range len(sealed) {
		if got, err := dk.Open(sealed[:n], aad); !errors.Is(err, crypt.ErrDecrypt) {
			t.Errorf("Open(sealed[:%d]) = %q, %v, want %v", n, got, err, crypt.ErrDecrypt)
		}
	}
	if got, err := dk.Open(append(bytes.Clone(sealed), 0), aad); !errors.Is(err, crypt.ErrDecrypt) {
		t.Errorf("Open(sealed + 1 byte) = %q, %v, want %v", got, err, crypt.ErrDecrypt)
	}
}

func TestOpenWrongAAD(t *testing.T) {
	dk := newDataKey(t)
	sealed := seal(t, dk, []byte("secret"), []byte("org 1/row 2"))
	for _, aad := range [][]byte{nil, []byte("org 1/row 3"), []byte("org 1/row 2 "), []byte("org 1/row ")} {
		if got, err := dk.Open(sealed, aad); !errors.Is(err, crypt.ErrDecrypt) {
			t.Errorf("Open(sealed, %q) = %q, %v, want %v", aad, got, err, crypt.ErrDecrypt)
		}
	}
}

func TestOpenWrongKey(t *testing.T) {
	sealed := seal(t, newDataKey(t), []byte("secret"), nil)
	if got, err := newDataKey(t).Open(sealed, nil); !errors.Is(err, crypt.ErrDecrypt) {
		t.Errorf("Open(sealed under another key) = %q, %v, want %v", got, err, crypt.ErrDecrypt)
	}
}

func TestZeroDataKey(t *testing.T) {
	var dk crypt.DataKey
	if got, err := dk.Seal([]byte("x"), nil); err == nil {
		t.Errorf("DataKey{}.Seal(...) = %x, nil, want an error", got)
	}
	if got, err := dk.Open(make([]byte, 64), nil); err == nil {
		t.Errorf("DataKey{}.Open(...) = %x, nil, want an error", got)
	}
}
