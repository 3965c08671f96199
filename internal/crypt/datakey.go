package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
)

// ErrDecrypt is returned when sealed data or a wrapped data key cannot be
// decrypted: it was altered, truncated, sealed under another key or with other
// additional data, or carries an unknown format version. The cause is
// deliberately not told apart further, because GCM cannot tell them apart
// either.
var ErrDecrypt = errors.New("crypt: decryption failed")

// errZeroDataKey is returned by the methods of the zero DataKey, which has no
// key to use.
var errZeroDataKey = errors.New("crypt: DataKey has no key (zero value)")

const (
	// keySize is the size of every key in this package: AES-256.
	keySize = 32

	// gcmOverhead is what cipher.NewGCMWithRandomNonce adds to a message:
	// the 12-byte nonce it prepends and the 16-byte tag.
	gcmOverhead = 12 + 16

	// sealVersion is the first byte of sealed data.
	sealVersion byte = 1

	// maxPlaintext is the largest message GCM can encrypt under one nonce
	// (2^39 - 256 bits). Checked so that Seal returns an error where
	// crypto/cipher would panic.
	maxPlaintext = 1<<36 - 32
)

// redactedDataKey is how a DataKey prints, whatever the verb.
const redactedDataKey = "crypt.DataKey(redacted)"

// A DataKey is the AES-256-GCM key of one object. Get one from
// [Keyring.NewDataKey] for a new object, or from [Keyring.Unwrap] for a stored
// one. The zero DataKey holds no key; its methods return errors.
//
// A DataKey is safe for concurrent use and cheap to copy. It prints as
// "crypt.DataKey(redacted)" with every fmt verb.
type DataKey struct {
	// aead is keyed with the data key; the raw key bytes are not kept.
	// Holding only this reference, and no byte array, means that even
	// reflection-based printing of a struct that embeds a DataKey in an
	// unexported field (where fmt cannot call Format) shows a pointer, not
	// the key.
	aead cipher.AEAD
}

// newDataKey returns the DataKey for the 32-byte key raw.
func newDataKey(raw []byte) (DataKey, error) {
	aead, err := newAEAD(raw)
	if err != nil {
		return DataKey{}, err
	}
	return DataKey{aead: aead}, nil
}

// newAEAD returns AES-256-GCM with random 96-bit nonces, keyed with key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("crypt: key is %d bytes, want %d", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	return aead, nil
}

// Seal encrypts and authenticates plaintext, and authenticates aad, which is
// not stored. Pass as aad whatever identifies the object (for example its
// table, organisation and row ID), so that a sealed value copied to another
// row fails to open. The result is a version byte, a random nonce, the
// ciphertext and the tag: len(plaintext)+29 bytes.
func (dk DataKey) Seal(plaintext, aad []byte) ([]byte, error) {
	if dk.aead == nil {
		return nil, errZeroDataKey
	}
	if uint64(len(plaintext)) > maxPlaintext {
		return nil, fmt.Errorf("crypt: seal: plaintext is %d bytes, more than GCM allows (%d)", len(plaintext), uint64(maxPlaintext))
	}
	out := make([]byte, 1, 1+gcmOverhead+len(plaintext))
	out[0] = sealVersion
	return dk.aead.Seal(out, nil, plaintext, withVersion(sealVersion, aad)), nil
}

// Open decrypts and authenticates the output of [DataKey.Seal], given the
// same aad. Any change to sealed, a different aad, a different key, a
// truncated value or an unknown version byte gives an error wrapping
// [ErrDecrypt], and no plaintext.
func (dk DataKey) Open(sealed, aad []byte) ([]byte, error) {
	if dk.aead == nil {
		return nil, errZeroDataKey
	}
	if len(sealed) < 1+gcmOverhead {
		return nil, fmt.Errorf("%w: sealed data is %d bytes, shorter than the minimum %d", ErrDecrypt, len(sealed), 1+gcmOverhead)
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: unknown sealed data version %d", ErrDecrypt, sealed[0])
	}
	plaintext, err := dk.aead.Open(nil, nil, sealed[1:], withVersion(sealVersion, aad))
	if err != nil {
		// crypto/cipher's error says nothing more than ErrDecrypt does.
		return nil, ErrDecrypt
	}
	if plaintext == nil {
		plaintext = []byte{}
	}
	return plaintext, nil
}

// String returns "crypt.DataKey(redacted)".
func (dk DataKey) String() string { return redactedDataKey }

// GoString returns "crypt.DataKey(redacted)", so that %#v does not print the
// key either.
func (dk DataKey) GoString() string { return redactedDataKey }

// Format writes "crypt.DataKey(redacted)" for every verb, including %x, %d
// and %+v, which would otherwise print the fields.
func (dk DataKey) Format(f fmt.State, _ rune) {
	// fmt.State writes into fmt's own buffer and cannot fail, and Format
	// has no way to report an error anyway.
	_, _ = f.Write([]byte(redactedDataKey))
}

// withVersion returns the GCM additional data for format version v: the
// version byte followed by aad. Authenticating the version means a later
// format can never be fed ciphertext of this one under a different reading.
func withVersion(v byte, aad []byte) []byte {
	ad := make([]byte, 1+len(aad))
	ad[0] = v
	copy(ad[1:], aad)
	return ad
}
