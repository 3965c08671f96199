package crypt_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/safeguard-health/safeguard/internal/crypt"
)

func FuzzParseKeyring(f *testing.F) {
	k := newKeyring(f)
	if _, err := k.Rotate(); err != nil {
		f.Fatalf("Rotate() error = %v", err)
	}
	text, err := k.MarshalKeyFile()
	if err != nil {
		f.Fatalf("MarshalKeyFile() error = %v", err)
	}
	f.Add(text)
	f.Add([]byte(""))
	f.Add([]byte("safeguard-keyring v1\n"))
	f.Add([]byte("safeguard-keyring v1\r\nkek 0123456789abcdef AAAA primary\r\n"))
	f.Add(bytes.ReplaceAll(text, []byte(" primary"), nil))
	f.Add(append(bytes.Clone(text), text[len("safeguard-keyring v1\n"):]...))
	f.Fuzz(func(t *testing.T, text []byte) {
		k, err := crypt.ParseKeyring(text)
		if err != nil {
			return
		}
		// Whatever parses must write back to a file that parses to the
		// same keyring.
		out, err := k.MarshalKeyFile()
		if err != nil {
			t.Fatalf("MarshalKeyFile() of a parsed keyring error = %v", err)
		}
		k2, err := crypt.ParseKeyring(out)
		if err != nil {
			t.Fatalf("ParseKeyring(MarshalKeyFile(ParseKeyring(%q))) error = %v", text, err)
		}
		if !slices.Equal(k2.IDs(), k.IDs()) || k2.PrimaryID() != k.PrimaryID() {
			t.Errorf("round trip changed the keyring: %v %q, want %v %q", k2, k2.IDs(), k, k.IDs())
		}
		if _, _, _, err := k.NewDataKey(); err != nil {
			t.Errorf("NewDataKey() on a parsed keyring error = %v", err)
		}
	})
}

func FuzzOpen(f *testing.F) {
	dk := newDataKey(f)
	for _, s := range []struct{ plaintext, aad string }{
		{"", ""},
		{"secret", "org 1/row 2"},
		{string(make([]byte, 300)), ""},
	} {
		sealed, err := dk.Seal([]byte(s.plaintext), []byte(s.aad))
		if err != nil {
			f.Fatalf("Seal() error = %v", err)
		}
		f.Add(sealed, []byte(s.aad))
	}
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte{})
	f.Add(make([]byte, 29), []byte{})
	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		plaintext, err := dk.Open(sealed, aad)
		if err != nil {
			if !errors.Is(err, crypt.ErrDecrypt) {
				t.Errorf("Open(%x, %q) error = %v, want %v", sealed, aad, err, crypt.ErrDecrypt)
			}
			return
		}
		// Only output of Seal opens; it has exactly 29 bytes of overhead.
		if len(sealed) != len(plaintext)+29 {
			t.Errorf("Open(%d bytes) = %d bytes of plaintext, want %d", len(sealed), len(plaintext), len(sealed)-29)
		}
	})
}

func FuzzUnwrap(f *testing.F) {
	k := newKeyring(f)
	_, kekID, wrapped, err := k.NewDataKey()
	if err != nil {
		f.Fatalf("NewDataKey() error = %v", err)
	}
	f.Add(kekID, wrapped)
	f.Add("", []byte{})
	f.Add(kekID, make([]byte, 61))
	f.Fuzz(func(t *testing.T, kekID string, wrapped []byte) {
		if _, err := k.Unwrap(kekID, wrapped); err != nil && !errors.Is(err, crypt.ErrDecrypt) && !errors.Is(err, crypt.ErrUnknownKEK) {
			t.Errorf("Unwrap(%q, %x) error = %v, want %v or %v", kekID, wrapped, err, crypt.ErrDecrypt, crypt.ErrUnknownKEK)
		}
		if _, _, err := k.Rewrap(kekID, wrapped); err != nil && !errors.Is(err, crypt.ErrDecrypt) && !errors.Is(err, crypt.ErrUnknownKEK) {
			t.Errorf("Rewrap(%q, %x) error = %v, want %v or %v", kekID, wrapped, err, crypt.ErrDecrypt, crypt.ErrUnknownKEK)
		}
	})
}
