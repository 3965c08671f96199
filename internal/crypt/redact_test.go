package crypt

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// This file is in package crypt, not crypt_test: it needs the raw key bytes
// to look for them.

// keyForms returns the ways key bytes could show up in printed output.
func keyForms(key []byte) []string {
	return []string{
		base64.StdEncoding.EncodeToString(key)[:16],
		base64.RawURLEncoding.EncodeToString(key)[:16],
		hex.EncodeToString(key)[:16],
		strings.ToUpper(hex.EncodeToString(key)[:16]),
		strings.Trim(fmt.Sprint(key[:8]), "[]"), // decimal bytes, as %v of a []byte prints them
		fmt.Sprintf("%#v", key[:4])[len("[]byte{"):],
		string(key[:8]),
	}
}

func TestNoKeyMaterialInFormatting(t *testing.T) {
	k, err := NewKeyring()
	if err != nil {
		t.Fatalf("NewKeyring() error = %v", err)
	}
	if _, err := k.Rotate(); err != nil {
		t.Fatalf("Rotate() error = %v", err)
	}
	dk, kekID, wrapped, err := k.NewDataKey()
	if err != nil {
		t.Fatalf("NewDataKey() error = %v", err)
	}
	raw, err := k.find(kekID).open(wrapped)
	if err != nil {
		t.Fatalf("open(wrapped) error = %v", err)
	}
	secrets := [][]byte{raw}
	for _, c := range k.keks {
		secrets = append(secrets, c.key)
	}

	type holder struct {
		dk DataKey // unexported: fmt cannot call DataKey's methods here
		k  *Keyring
		DK DataKey
		K  *Keyring
	}
	h := holder{dk, k, dk, k}
	var out strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		for _, v := range []any{dk, &dk, k, h, &h, []DataKey{dk}, map[string]DataKey{"a": dk}, []*Keyring{k}} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
	}
	fmt.Fprintln(&out, dk, k, dk.String(), dk.GoString(), k.String(), k.GoString())

	var logs bytes.Buffer
	for _, lh := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		slog.New(lh).Info("keys", "dk", dk, "keyring", k, "holder", h)
	}
	out.Write(logs.Bytes())
	for _, v := range []any{dk, k, h} {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%T) error = %v", v, err)
		}
		out.Write(j)
	}

	got := out.String()
	for i, s := range secrets {
		for _, form := range keyForms(s) {
			if strings.Contains(got, form) {
				t.Errorf("formatted output contains key %d as %q:\n%s", i, form, got)
			}
		}
	}
	for _, want := range []string{"crypt.DataKey(redacted)", "crypt.Keyring(primary " + k.PrimaryID() + ", 2 keys)"} {
		if !strings.Contains(got, want) {
			t.Errorf("formatted output does not contain %q:\n%s", want, got)
		}
	}
	if got := fmt.Sprint((*Keyring)(nil)); got != "crypt.Keyring(nil)" {
		t.Errorf("fmt.Sprint(nil *Keyring) = %q, want %q", got, "crypt.Keyring(nil)")
	}
}
