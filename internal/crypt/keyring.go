package crypt

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// ErrUnknownKEK is returned when a wrapped data key names a key-encryption
// key that the keyring does not hold: it was retired, or the keyring is not
// the one the data was written with.
var ErrUnknownKEK = errors.New("crypt: unknown key-encryption key")

const (
	// wrapVersion is the first byte of a wrapped data key.
	wrapVersion byte = 1

	// wrappedSize is the size of every wrapped data key.
	wrappedSize = 1 + gcmOverhead + keySize

	// idSize is the number of bytes in a KEK ID (shown as twice as many hex
	// digits).
	idSize = 8

	// HKDF labels. Each use of a KEK gets its own derived value, so the KEK
	// itself is never used directly by two primitives.
	hkdfInfoWrap = "safeguard-crypt v1 kek wrap"
	hkdfInfoID   = "safeguard-crypt v1 kek id"
	// hkdfInfoDerive prefixes the purpose of a key from DeriveKey.
	hkdfInfoDerive = "safeguard-crypt v1 derived "
)

// A Keyring holds one or more key-encryption keys (KEKs), each under a short
// ID. Exactly one of them is primary: it wraps new data keys. The others
// remain only to unwrap data keys not yet rewrapped after a rotation.
//
// Get a Keyring from [NewKeyring], [ParseKeyring], [ParseMasterKey],
// [LoadKeyFile] or [CreateKeyFile]. The zero Keyring holds no keys; it can be
// given its first one with [Keyring.Rotate]. A Keyring is safe for concurrent
// use. It must not be copied after first use.
//
// A Keyring prints its primary ID and number of keys, never key material,
// with every fmt verb.
type Keyring struct {
	mu sync.RWMutex
	// keks are in the order they were added (or listed in the key file),
	// oldest first. They are pointers so that even reflection-based
	// printing of a Keyring shows addresses rather than keys.
	keks    []*kek
	primary *kek // nil only in a keyring without keys
}

// A kek is one key-encryption key. It is immutable once made, so it may be
// used without holding the keyring's lock.
type kek struct {
	id   string      // hex of HKDF(key, hkdfInfoID), see deriveID
	key  []byte      // the KEK itself, kept only to write the key file
	wrap cipher.AEAD // AES-256-GCM keyed with HKDF(key, hkdfInfoWrap)
}

// newKEK prepares the 32-byte KEK key for use.
func newKEK(key []byte) (*kek, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("crypt: key-encryption key is %d bytes, want %d", len(key), keySize)
	}
	id, err := deriveID(key)
	if err != nil {
		return nil, err
	}
	wrapKey, err := hkdf.Key(sha256.New, key, nil, hkdfInfoWrap, keySize)
	if err != nil {
		return nil, fmt.Errorf("crypt: derive wrapping key: %w", err)
	}
	aead, err := newAEAD(wrapKey)
	if err != nil {
		return nil, err
	}
	return &kek{id: id, key: slices.Clone(key), wrap: aead}, nil
}

// deriveID returns the ID of a KEK: 8 bytes of HKDF-SHA256 of the key, in
// hex.
//
// The ID is derived rather than random because SAFEGUARD_MASTER_KEY is only
// the key: an ID drawn at random would differ on every start, and the data
// keys wrapped under it would no longer be found. Derived, the same key has
// the same ID whether it comes from the environment or from a key file, so a
// deployment can move between the two without rewrapping, and a key file
// whose key or ID was altered is caught when it is parsed. The ID is a
// one-way, domain-separated function of the key, so publishing it in the
// database and in logs reveals nothing usable about the key; 64 bits are
// plenty to tell a handful of keys apart.
func deriveID(key []byte) (string, error) {
	id, err := hkdf.Key(sha256.New, key, nil, hkdfInfoID, idSize)
	if err != nil {
		return "", fmt.Errorf("crypt: derive key ID: %w", err)
	}
	return hex.EncodeToString(id), nil
}

// randomKEK returns a new KEK made of fresh random bytes.
func randomKEK() (*kek, error) {
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("crypt: read random key: %w", err)
	}
	return newKEK(key)
}

// seal wraps the raw data key under this KEK, bound to the KEK's ID.
func (c *kek) seal(raw []byte) []byte {
	out := make([]byte, 1, wrappedSize)
	out[0] = wrapVersion
	return c.wrap.Seal(out, nil, raw, withVersion(wrapVersion, []byte(c.id)))
}

// open unwraps a data key wrapped by seal and returns its raw bytes.
func (c *kek) open(wrapped []byte) ([]byte, error) {
	if len(wrapped) != wrappedSize {
		return nil, fmt.Errorf("%w: wrapped data key is %d bytes, want %d", ErrDecrypt, len(wrapped), wrappedSize)
	}
	if wrapped[0] != wrapVersion {
		return nil, fmt.Errorf("%w: unknown wrapped data key version %d", ErrDecrypt, wrapped[0])
	}
	raw, err := c.wrap.Open(nil, nil, wrapped[1:], withVersion(wrapVersion, []byte(c.id)))
	if err != nil {
		return nil, ErrDecrypt
	}
	return raw, nil
}

// NewKeyring returns a keyring holding one fresh random KEK, its primary.
func NewKeyring() (*Keyring, error) {
	c, err := randomKEK()
	if err != nil {
		return nil, err
	}
	return &Keyring{keks: []*kek{c}, primary: c}, nil
}

// ParseMasterKey returns a keyring holding the single KEK given as s, the
// value of SAFEGUARD_MASTER_KEY: the base64 encoding, standard or URL-safe,
// padded or not, of exactly 32 bytes (for example the output of
// "openssl rand -base64 32"). Surrounding white space is ignored. The error
// never repeats s.
//
// The KEK's ID depends only on the key, so it is the same on every start and
// matches the ID of the same key in a key file.
func ParseMasterKey(s string) (*Keyring, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("parse master key: empty; want the base64 encoding of 32 random bytes (openssl rand -base64 32)")
	}
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(s, "=") {
		enc = enc.WithPadding(base64.NoPadding)
	}
	key, err := enc.DecodeString(s)
	if err != nil {
		// base64's error names only an offset, not the input.
		return nil, fmt.Errorf("parse master key: not valid base64 (standard or URL-safe alphabet, padded or not): %w", err)
	}
	if len(key) != keySize {
		return nil, fmt.Errorf("parse master key: decodes to %d bytes, want exactly %d (openssl rand -base64 32)", len(key), keySize)
	}
	c, err := newKEK(key)
	if err != nil {
		return nil, fmt.Errorf("parse master key: %w", err)
	}
	return &Keyring{keks: []*kek{c}, primary: c}, nil
}

// PrimaryID returns the ID of the primary KEK, or "" if the keyring holds no
// keys.
func (k *Keyring) PrimaryID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.primary == nil {
		return ""
	}
	return k.primary.id
}

// DeriveKey returns a 32-byte key for purpose, derived with HKDF-SHA256 from
// the primary KEK under a label of its own, so that it reveals nothing about
// the KEK or about keys derived for other purposes. Every replica that holds
// the same key file derives the same key, and it changes when the primary
// KEK is rotated. It fails on a keyring without keys.
func (k *Keyring) DeriveKey(purpose string) ([]byte, error) {
	k.mu.RLock()
	primary := k.primary
	k.mu.RUnlock()
	if primary == nil {
		return nil, errors.New("crypt: no key-encryption key to derive from")
	}
	key, err := hkdf.Key(sha256.New, primary.key, nil, hkdfInfoDerive+purpose, keySize)
	if err != nil {
		return nil, fmt.Errorf("crypt: derive key for %s: %w", purpose, err)
	}
	return key, nil
}

// IDs returns the IDs of all KEKs in the keyring, oldest first.
func (k *Keyring) IDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	ids := make([]string, len(k.keks))
	for i, c := range k.keks {
		ids[i] = c.id
	}
	return ids
}

// Rotate adds a new random KEK and makes it primary, and returns its ID. The
// previous KEKs stay in the keyring, so data keys wrapped under them still
// unwrap, until they are rewrapped with [Keyring.Rewrap] and the old KEK is
// removed with [Keyring.Retire]. Rotate changes only this keyring in memory;
// save it (see [Keyring.Save]) before wrapping anything under the new KEK.
func (k *Keyring) Rotate() (newID string, err error) {
	c, err := randomKEK()
	if err != nil {
		return "", fmt.Errorf("rotate: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.find(c.id) != nil {
		// Two random 256-bit keys with the same 64-bit ID: astronomically
		// unlikely, but an ID must name one key.
		return "", fmt.Errorf("rotate: new key ID %s collides with an existing key; try again", c.id)
	}
	k.keks = append(k.keks, c)
	k.primary = c
	return c.id, nil
}

// Retire removes the non-primary KEK id from the keyring. Data keys still
// wrapped under it can no longer be unwrapped, so retire a KEK only after
// every data key has been rewrapped under the primary. Retiring the primary
// KEK is an error, and so is an ID the keyring does not hold (it wraps
// [ErrUnknownKEK]). Like Rotate, Retire changes only this keyring in memory.
func (k *Keyring) Retire(id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	i := slices.IndexFunc(k.keks, func(c *kek) bool { return c.id == id })
	if i < 0 {
		return fmt.Errorf("retire %q: %w", id, ErrUnknownKEK)
	}
	if k.keks[i] == k.primary {
		return fmt.Errorf("retire %s: it is the primary key; rotate to a new primary first", id)
	}
	k.keks = slices.Delete(k.keks, i, i+1)
	return nil
}

// NewDataKey returns a new random data key for one object, together with what
// the caller stores to get it back later: the ID of the primary KEK and the
// data key wrapped under it (always 61 bytes). Pass both to
// [Keyring.Unwrap].
func (k *Keyring) NewDataKey() (dk DataKey, kekID string, wrapped []byte, err error) {
	p := k.primaryKEK()
	if p == nil {
		return DataKey{}, "", nil, errors.New("new data key: keyring has no primary key")
	}
	raw := make([]byte, keySize)
	if _, err := rand.Read(raw); err != nil {
		return DataKey{}, "", nil, fmt.Errorf("new data key: read random key: %w", err)
	}
	dk, err = newDataKey(raw)
	if err != nil {
		return DataKey{}, "", nil, fmt.Errorf("new data key: %w", err)
	}
	return dk, p.id, p.seal(raw), nil
}

// Unwrap returns the data key that was wrapped under the KEK kekID, as
// returned by [Keyring.NewDataKey] or [Keyring.Rewrap]. If the keyring does
// not hold kekID the error wraps [ErrUnknownKEK]. If wrapped was altered, or
// was wrapped under a different KEK than kekID, the error wraps
// [ErrDecrypt].
func (k *Keyring) Unwrap(kekID string, wrapped []byte) (DataKey, error) {
	raw, err := k.unwrap(kekID, wrapped)
	if err != nil {
		return DataKey{}, fmt.Errorf("unwrap data key: %w", err)
	}
	dk, err := newDataKey(raw)
	if err != nil {
		return DataKey{}, fmt.Errorf("unwrap data key: %w", err)
	}
	return dk, nil
}

// Rewrap unwraps a data key wrapped under kekID and wraps it again under the
// primary KEK, returning the primary's ID and the new wrapped key for the
// caller to store in place of the old. The data sealed with the data key is
// untouched. Errors are those of [Keyring.Unwrap].
func (k *Keyring) Rewrap(kekID string, wrapped []byte) (newKEKID string, newWrapped []byte, err error) {
	raw, err := k.unwrap(kekID, wrapped)
	if err != nil {
		return "", nil, fmt.Errorf("rewrap data key: %w", err)
	}
	p := k.primaryKEK()
	if p == nil {
		// Unreachable: a keyring that just unwrapped holds a key, and
		// every non-empty keyring has a primary.
		return "", nil, errors.New("rewrap data key: keyring has no primary key")
	}
	return p.id, p.seal(raw), nil
}

// unwrap returns the raw data key wrapped under kekID.
func (k *Keyring) unwrap(kekID string, wrapped []byte) ([]byte, error) {
	k.mu.RLock()
	c := k.find(kekID)
	k.mu.RUnlock()
	if c == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownKEK, kekID)
	}
	return c.open(wrapped)
}

// primaryKEK returns the primary KEK, or nil.
func (k *Keyring) primaryKEK() *kek {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.primary
}

// find returns the KEK id, or nil. The caller holds k.mu.
func (k *Keyring) find(id string) *kek {
	for _, c := range k.keks {
		if c.id == id {
			return c
		}
	}
	return nil
}

// String describes the keyring without key material, for example
// "crypt.Keyring(primary 1f2e3d4c5b6a7988, 2 keys)".
func (k *Keyring) String() string {
	if k == nil {
		return "crypt.Keyring(nil)"
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.primary == nil {
		return "crypt.Keyring(no keys)"
	}
	n := "1 key"
	if len(k.keks) != 1 {
		n = fmt.Sprintf("%d keys", len(k.keks))
	}
	return fmt.Sprintf("crypt.Keyring(primary %s, %s)", k.primary.id, n)
}

// GoString returns the same as String, so that %#v does not print key
// material either.
func (k *Keyring) GoString() string { return k.String() }

// Format writes the same as String for every verb, including %x, %d and %+v,
// which would otherwise print the fields.
func (k *Keyring) Format(f fmt.State, _ rune) {
	// fmt.State writes into fmt's own buffer and cannot fail, and Format
	// has no way to report an error anyway.
	_, _ = f.Write([]byte(k.String()))
}
