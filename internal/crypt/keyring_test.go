package crypt_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/safeguard-health/safeguard/internal/crypt"
)

// newKeyring returns a fresh keyring, failing the test on error.
func newKeyring(t testing.TB) *crypt.Keyring {
	t.Helper()
	k, err := crypt.NewKeyring()
	if err != nil {
		t.Fatalf("NewKeyring() error = %v", err)
	}
	return k
}

func TestNewKeyring(t *testing.T) {
	k := newKeyring(t)
	id := k.PrimaryID()
	if len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Errorf("PrimaryID() = %q, want 16 lowercase hex digits", id)
	}
	if got, want := k.IDs(), []string{id}; !slices.Equal(got, want) {
		t.Errorf("IDs() = %q, want %q", got, want)
	}
	if other := newKeyring(t).PrimaryID(); other == id {
		t.Errorf("two NewKeyring() have the same PrimaryID() %q", id)
	}
}

func TestWrapUnwrapRoundTrip(t *testing.T) {
	k := newKeyring(t)
	dk, kekID, wrapped, err := k.NewDataKey()
	if err != nil {
		t.Fatalf("NewDataKey() error = %v", err)
	}
	if kekID != k.PrimaryID() {
		t.Errorf("NewDataKey() kekID = %q, want PrimaryID() %q", kekID, k.PrimaryID())
	}
	if len(wrapped) != 61 {
		t.Errorf("len(NewDataKey() wrapped) = %d, want 61", len(wrapped))
	}
	sealed := seal(t, dk, []byte("secret"), []byte("aad"))

	dk2, err := k.Unwrap(kekID, wrapped)
	if err != nil {
		t.Fatalf("Unwrap(%q, wrapped) error = %v", kekID, err)
	}
	if got, err := dk2.Open(sealed, []byte("aad")); err != nil || string(got) != "secret" {
		t.Errorf("Unwrap(...).Open(sealed) = %q, %v, want %q, nil", got, err, "secret")
	}

	_, _, wrapped2, err := k.NewDataKey()
	if err != nil {
		t.Fatalf("NewDataKey() error = %v", err)
	}
	other, err := k.Unwrap(kekID, wrapped2)
	if err != nil {
		t.Fatalf("Unwrap(%q, wrapped2) error = %v", kekID, err)
	}
	if got, err := other.Open(sealed, []byte("aad")); !errors.Is(err, crypt.ErrDecrypt) {
		t.Errorf("second data key Open(sealed by first) = %q, %v, want %v", got, err, crypt.ErrDecrypt)
	}
}

func TestUnwrapTampered(t *testing.T) {
	k := newKeyring(t)
	_, kekID, wrapped, err := k.NewDataKey()
	if err != nil {
		t.Fatalf("NewDataKey() error = %v", err)
	}
	for i := range wrapped {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(wrapped)
			bad[i] ^= flip
			if _, err := k.Unwrap(kekID, bad); !errors.Is(err, crypt.ErrDecrypt) {
				t.Errorf("Unwrap(%q, wrapped with byte %d ^ %#x) error = %v, want %v", kekID, i, flip, err, crypt.ErrDecrypt)
			}
		}
	}
	for n := range len(wrapped) {
		if _, err := k.Unwrap(kekID, wrapped[:n]); !errors.Is(err, crypt.ErrDecrypt) {
			t.Errorf("Unwrap(%q, wrapped[:%d]) error = %v, want %v", kekID, n, err, crypt.ErrDecrypt)
		}
	}
	if _, err := k.Unwrap(kekID, append(bytes.Clone(wrapped), 0)); !errors.Is(err, crypt.ErrDecrypt) {
		t.Errorf("Unwrap(%q, wrapped + 1 byte) error = %v, want %v", kekID, err, crypt.ErrDecrypt)
	}
}

func TestUnwrapUnderWrongKEKID(t *testing.T) {
	k := newKeyring(t)
	_, oldID, wrapped, err := k.NewDataKey()
	if err != nil {
		t.Fatalf("NewDataKey() error = %v", err)
	}
	newID, err := k.Rotate()
	if err != nil {
		t.Fatalf("Rotate() error = %v", err)
	}
	// The wrapped key is bound to the KEK that wrapped it: filed under
	// another KEK of the same keyring, it does not unwrap.
	if _, err := k.Unwrap(newID, wrapped); !errors.Is(err, crypt.ErrDecrypt) {
		t.Errorf("Unwrap(%q (not the wrapping KEK), wrapped) error = %v, want %v", newID, err, crypt.ErrDecrypt)
	}
	for _, id := range []string{"", "0000000000000000", strings.ToUpper(oldID), oldID + " "} {
		if _, err := k.Unwrap(id, wrapped); !errors.Is(err, crypt.ErrUnknownKEK) {
			t.Errorf("Unwrap(%q, wrapped) error = %v, want %v", id, err, crypt.ErrUnknownKEK)
		}
		if _, _, err := k.Rewrap(id, wrapped); !errors.Is(err, crypt.ErrUnknownKEK) {
			t.Errorf("Rewrap(%q, wrapped) error = %v, want %v", id, err, crypt.ErrUnknownKEK)
		}
	}
	// Another keyring does not hold this KEK at all.
	if _, err := newKeyring(t).Unwrap(oldID, wrapped); !errors.Is(err, crypt.ErrUnknownKEK) {
		t.Errorf("other keyring Unwrap(%q, wrapped) error = %v, want %v", oldID, err, crypt.ErrUnknownKEK)
	}
}

func TestRotation(t *testing.T) {
	k := newKeyring(t)
	oldID := k.PrimaryID()
	dk, kekID, wrapped, err := k.NewDataKey()
	if err != nil {
		t.Fatalf("NewDataKey() error = %v", err)
	}
	aad := []byte("org 3/evidence 14")
	sealed := seal(t, dk, []byte("scan of a signed BAA"), aad)

	newID, err := k.Rotate()
	if err != nil {
		t.Fatalf("Rotate() error = %v", err)
	}
	if newID == oldID {
		t.Fatalf("Rotate() = %q, the old primary ID", newID)
	}
	if got := k.PrimaryID(); got != newID {
		t.Errorf("PrimaryID() after Rotate() = %q, want %q", got, newID)
	}
	if got, want := k.IDs(), []string{oldID, newID}; !slices.Equal(got, want) {
		t.Errorf("IDs() after Rotate() = %q, want %q", got, want)
	}
	// Before rewrapping, the old KEK still unwraps.
	if _, err := k.Unwrap(kekID, wrapped); err != nil {
		t.Errorf("Unwrap(old KEK, wrapped) after Rotate() error = %v", err)
	}
	// New data keys go under the new primary.
	if _, id, _, err := k.NewDataKey(); err != nil || id != newID {
		t.Errorf("NewDataKey() after Rotate() kekID = %q, %v, want %q, nil", id, err, newID)
	}

	gotID, rewrapped, err := k.Rewrap(kekID, wrapped)
	if err != nil {
		t.Fatalf("Rewrap(%q, wrapped) error = %v", kekID, err)
	}
	if gotID != newID {
		t.Errorf("Rewrap(...) kekID = %q, want %q", gotID, newID)
	}
	if err := k.Retire(oldID); err != nil {
		t.Fatalf("Retire(%q) error = %v", oldID, err)
	}
	if got, want := k.IDs(), []string{newID}; !slices.Equal(got, want) {
		t.Errorf("IDs() after Retire() = %q, want %q", got, want)
	}

	dk2, err := k.Unwrap(gotID, rewrapped)
	if err != nil {
		t.Fatalf("Unwrap(%q, rewrapped) error = %v", gotID, err)
	}
	if got, err := dk2.Open(sealed, aad); err != nil || string(got) != "scan of a signed BAA" {
		t.Errorf("Open(sealed) after rotation = %q, %v, want %q, nil", got, err, "scan of a signed BAA")
	}
	if _, err := k.Unwrap(oldID, wrapped); !errors.Is(err, crypt.ErrUnknownKEK) {
		t.Errorf("Unwrap(retired %q, wrapped) error = %v, want %v", oldID, err, crypt.ErrUnknownKEK)
	}
}

func TestRetireErrors(t *testing.T) {
	k := newKeyring(t)
	primary := k.PrimaryID()
	if err := k.Retire(primary); err == nil || errors.Is(err, crypt.ErrUnknownKEK) {
		t.Errorf("Retire(primary %q) = %v, want an error that it is primary", primary, err)
	}
	if err := k.Retire("0123456789abcdef"); !errors.Is(err, crypt.ErrUnknownKEK) {
		t.Errorf("Retire(unknown) = %v, want %v", err, crypt.ErrUnknownKEK)
	}
	if got, want := k.IDs(), []string{primary}; !slices.Equal(got, want) {
		t.Errorf("IDs() after failed Retire() = %q, want %q", got, want)
	}
}

func TestZeroKeyring(t *testing.T) {
	var k crypt.Keyring
	if got := k.PrimaryID(); got != "" {
		t.Errorf("Keyring{}.PrimaryID() = %q, want \"\"", got)
	}
	if got := k.IDs(); len(got) != 0 {
		t.Errorf("Keyring{}.IDs() = %q, want none", got)
	}
	if _, _, _, err := k.NewDataKey(); err == nil {
		t.Errorf("Keyring{}.NewDataKey() error = nil, want an error")
	}
	if got, err := k.MarshalKeyFile(); err == nil {
		t.Errorf("Keyring{}.MarshalKeyFile() = %q, nil, want an error", got)
	}
	if err := k.Save(t.TempDir() + "/keys"); err == nil {
		t.Errorf("Keyring{}.Save(...) = nil, want an error")
	}
	id, err := k.Rotate()
	if err != nil {
		t.Fatalf("Keyring{}.Rotate() error = %v", err)
	}
	if got := k.PrimaryID(); got != id {
		t.Errorf("PrimaryID() after Rotate() = %q, want %q", got, id)
	}
	if _, _, _, err := k.NewDataKey(); err != nil {
		t.Errorf("NewDataKey() after Rotate() error = %v", err)
	}
}

// TestConcurrentUse is for the race detector: wrapping and unwrapping while
// the keyring rotates, retires and marshals.
func TestConcurrentUse(t *testing.T) {
	k := newKeyring(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				dk, id, wrapped, err := k.NewDataKey()
				if err != nil {
					errs <- err
					return
				}
				sealed, err := dk.Seal([]byte("x"), nil)
				if err != nil {
					errs <- err
					return
				}
				// The KEK may be retired meanwhile; anything else is a bug.
				if _, _, err := k.Rewrap(id, wrapped); err != nil && !errors.Is(err, crypt.ErrUnknownKEK) {
					errs <- err
					return
				}
				if _, err := dk.Open(sealed, nil); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			old := k.PrimaryID()
			if _, err := k.Rotate(); err != nil {
				errs <- err
				return
			}
			if err := k.Retire(old); err != nil {
				errs <- err
				return
			}
			if _, err := k.MarshalKeyFile(); err != nil {
				errs <- err
				return
			}
			_ = k.String() + k.PrimaryID() + strings.Join(k.IDs(), ",")
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent use: %v", err)
	}
}

func TestParseMasterKey(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(0xf0 + i) // forces '+' '/' or '-' '_' and padding differences
	}
	std := base64.StdEncoding.EncodeToString(key)
	accept := map[string]string{
		"std padded":      std,
		"std unpadded":    base64.RawStdEncoding.EncodeToString(key),
		"url padded":      base64.URLEncoding.EncodeToString(key),
		"url unpadded":    base64.RawURLEncoding.EncodeToString(key),
		"trailing return": std + "\n",
		"surrounding":     "  " + std + "\t",
	}
	if !strings.ContainsAny(base64.RawURLEncoding.EncodeToString(key), "-_") {
		t.Fatalf("test key does not exercise the URL-safe alphabet")
	}
	var want string
	for name, s := range accept {
		k, err := crypt.ParseMasterKey(s)
		if err != nil {
			t.Errorf("ParseMasterKey(%s) error = %v, want nil", name, err)
			continue
		}
		if want == "" {
			want = k.PrimaryID()
		}
		if got := k.PrimaryID(); got != want {
			t.Errorf("ParseMasterKey(%s).PrimaryID() = %q, want %q (same key, same ID)", name, got, want)
		}
	}

	// The ID depends only on the key: the key file of a master key parses to
	// the same ID.
	k, err := crypt.ParseMasterKey(std)
	if err != nil {
		t.Fatalf("ParseMasterKey(std) error = %v", err)
	}
	_, kekID, wrapped, err := k.NewDataKey()
	if err != nil {
		t.Fatalf("NewDataKey() error = %v", err)
	}
	text, err := k.MarshalKeyFile()
	if err != nil {
		t.Fatalf("MarshalKeyFile() error = %v", err)
	}
	k2, err := crypt.ParseKeyring(text)
	if err != nil {
		t.Fatalf("ParseKeyring(MarshalKeyFile()) error = %v", err)
	}
	if _, err := k2.Unwrap(kekID, wrapped); err != nil {
		t.Errorf("Unwrap() through the key file of a master key: %v", err)
	}

	reject := map[string]struct{ s, wantErr string }{
		"empty":        {"", "empty"},
		"blank":        {" \n", "empty"},
		"31 bytes":     {base64.StdEncoding.EncodeToString(key[:31]), "31 bytes"},
		"33 bytes":     {base64.StdEncoding.EncodeToString(append(key, 1)), "33 bytes"},
		"31 bytes raw": {base64.RawURLEncoding.EncodeToString(key[:31]), "31 bytes"},
		"16 bytes":     {base64.StdEncoding.EncodeToString(key[:16]), "16 bytes"},
		"not base64":   {strings.Repeat("*", 44), "base64"},
		"mixed":        {"+" + base64.RawURLEncoding.EncodeToString(key)[1:], "base64"},
		"bad padding":  {std + "=", "base64"},
		"inner space":  {std[:20] + " " + std[20:], "base64"},
		"hex":          {strings.Repeat("ab", 32), "48 bytes"},
	}
	for name, tt := range reject {
		k, err := crypt.ParseMasterKey(tt.s)
		if err == nil {
			t.Errorf("ParseMasterKey(%s) = %v, nil, want an error", name, k)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseMasterKey(%s) error = %q, want it to mention %q", name, err, tt.wantErr)
		}
		if s := strings.TrimSpace(tt.s); len(s) > 8 && strings.Contains(err.Error(), s[:8]) {
			t.Errorf("ParseMasterKey(%s) error = %q, repeats the input", name, err)
		}
	}
}

func TestDeriveKey(t *testing.T) {
	master := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	k, err := crypt.ParseMasterKey(master)
	if err != nil {
		t.Fatal(err)
	}
	a, err := k.DeriveKey("pre-session csrf")
	if err != nil {
		t.Fatal(err)
	}
	// The same key (another replica, a restart) gives the same key.
	same, err := crypt.ParseMasterKey(master)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := same.DeriveKey("pre-session csrf"); !bytes.Equal(a, b) {
		t.Errorf("DeriveKey from the same KEK = %x, want %x", b, a)
	}
	if c, _ := k.DeriveKey("something else"); bytes.Equal(a, c) {
		t.Errorf("DeriveKey for two purposes gave the same key")
	}
	if len(a) != 32 || bytes.Equal(a, bytes.Repeat([]byte{7}, 32)) {
		t.Errorf("DeriveKey = %x, want 32 bytes apart from the KEK", a)
	}
	if _, err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	if d, _ := k.DeriveKey("pre-session csrf"); bytes.Equal(a, d) {
		t.Errorf("DeriveKey after rotation gave the old key")
	}
	if _, err := (&crypt.Keyring{}).DeriveKey("x"); err == nil {
		t.Errorf("DeriveKey on an empty keyring succeeded")
	}
}
