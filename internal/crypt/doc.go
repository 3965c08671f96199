// Package crypt encrypts Safeguard's secrets at rest with envelope encryption.
//
// It is Safeguard's own implementation of the encryption and decryption
// specification of the access control standard, 45 CFR §164.312(a)(2)(iv)
// (addressable): "Implement a mechanism to encrypt and decrypt electronic
// protected health information." The store uses it for everything DESIGN.md
// lists as a secret — evidence files, TOTP seeds, API token material, OIDC
// client secrets.
//
// It also serves the encryption specification of the transmission security
// standard, §164.312(e)(2)(ii) (addressable): a value is sealed inside the
// Safeguard process, so it is already ciphertext when it travels to a
// PostgreSQL server, to a replica, or into a backup that is copied off the
// machine. TLS protects the connection. This package makes sure that the
// protection of a secret does not depend on the connection alone.
//
// # Key hierarchy
//
// Every object is sealed with its own [DataKey], a random AES-256 key used
// with GCM (NIST SP 800-38D). The data key is never stored in the clear: the
// [Keyring] wraps it (again AES-256-GCM) under a key-encryption key (KEK), and
// the caller stores the wrapped bytes with the KEK's ID, in the store's
// data_keys table. Wrapping and sealing are separate operations for that
// reason. Rotating the KEK ([Keyring.Rotate], then [Keyring.Rewrap] for each
// stored data key, then [Keyring.Retire]) touches only the small wrapped keys,
// never the data.
//
// A KEK is 32 random bytes. Two values are derived from it with HKDF-SHA256
// (RFC 5869), each under its own label: the AES-256 key that actually wraps
// data keys, and the KEK's public ID. The wrap is bound to that ID (the ID is
// GCM additional data), so a wrapped key filed under another KEK's ID fails to
// unwrap instead of being silently accepted.
//
// # Where the keys live
//
// HHS guidance on rendering PHI unusable to unauthorised persons (74 FR 42740)
// points to NIST SP 800-111 for data at rest. Under that guidance, encryption
// protects the data only while the decryption key has not been breached, so
// the key is kept apart from the data. The KEKs therefore never enter the
// database. They come from a key file in the data folder (mode 0600, see
// [LoadKeyFile], [CreateKeyFile], [Keyring.Save]), or from the
// SAFEGUARD_MASTER_KEY environment variable ([ParseMasterKey]) when a secret
// manager supplies it. A backup of the database alone cannot be decrypted.
// Losing the key file or master key makes every sealed secret unrecoverable,
// so it must be backed up separately.
//
// # Formats
//
// A sealed value is a version byte (1), then the 96-bit random nonce, the
// ciphertext and the 128-bit GCM tag: 29 bytes more than the plaintext. A
// wrapped data key has the same layout and is always 61 bytes. The version
// byte is authenticated as part of the additional data. Random nonces limit
// each key to 2^32 encryptions (SP 800-38D §8.3). A data key seals one object
// and its later versions, and a KEK should be rotated long before it has
// wrapped four billion data keys.
//
// # What this package does not promise
//
// Go cannot guarantee that key bytes are erased from memory (the garbage
// collector moves and copies values), so this package does not try. It does
// make sure that keys do not leak through formatting: [DataKey] and [Keyring]
// print as redacted placeholders with every fmt verb, and log handlers built
// on fmt or encoding/json (log/slog's text and JSON handlers) show no key
// material either.
package crypt
