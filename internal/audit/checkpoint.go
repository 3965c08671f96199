package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Checkpoint is a signed statement that the log held TreeSize entries whose
// Merkle tree hash was Root at time At. Exported and kept elsewhere, it lets a
// later verification notice a log cut short or rewritten.
type Checkpoint struct {
	TreeSize  int64
	Root      Hash
	At        time.Time
	KeyID     string
	Signature []byte
}

const checkpointHeader = "safeguard audit checkpoint v1"

// Body is the text a checkpoint's signature covers.
func (c *Checkpoint) Body() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n%s\n%s\n", checkpointHeader, c.TreeSize,
		base64.StdEncoding.EncodeToString(c.Root[:]), c.At.UTC().Format(time.RFC3339Nano), c.KeyID)
}

// MarshalText writes the checkpoint as a small text file: the signed body, a
// blank line and a "sig" line.
func (c *Checkpoint) MarshalText() ([]byte, error) {
	b := c.Body()
	b = fmt.Appendf(b, "\nsig %s %s\n", c.KeyID, base64.StdEncoding.EncodeToString(c.Signature))
	return b, nil
}

// UnmarshalText reads what MarshalText wrote. It checks the form, not the
// signature: that is Keys.Check's job.
func (c *Checkpoint) UnmarshalText(text []byte) error {
	body, sigLine, ok := bytes.Cut(text, []byte("\n\n"))
	bad := func(why string) error { return fmt.Errorf("malformed audit checkpoint: %s", why) }
	if !ok {
		return bad("no signature line")
	}
	lines := strings.Split(string(body), "\n")
	if len(lines) != 5 || lines[0] != checkpointHeader {
		return bad("unexpected header or line count")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return bad("tree size")
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != HashSize {
		return bad("root hash")
	}
	at, err := time.Parse(time.RFC3339Nano, lines[3])
	if err != nil {
		return bad("time")
	}
	f := strings.Fields(strings.TrimSpace(string(sigLine)))
	if len(f) != 3 || f[0] != "sig" || f[1] != lines[4] {
		return bad("signature line")
	}
	sig, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil {
		return bad("signature")
	}
	*c = Checkpoint{TreeSize: size, At: at.UTC(), KeyID: lines[4], Signature: sig}
	copy(c.Root[:], root)
	return nil
}

// KeyID names an Ed25519 public key: "ed25519:" and the first 8 bytes of the
// SHA-256 of the key, in hexadecimal.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(sum[:8])
}

// Signer signs checkpoints with one Ed25519 key.
type Signer struct {
	id  string
	key ed25519.PrivateKey
}

// NewSigner makes a signer with a fresh random key.
func NewSigner() (*Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return &Signer{id: KeyID(priv.Public().(ed25519.PublicKey)), key: priv}, nil
}

// ID is the key's identifier.
func (s *Signer) ID() string { return s.id }

// Public is the key's public half.
func (s *Signer) Public() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// Sign returns a checkpoint for a tree of size n with root hash root at time at.
func (s *Signer) Sign(n int64, root Hash, at time.Time) Checkpoint {
	c := Checkpoint{TreeSize: n, Root: root, At: at.UTC().Truncate(time.Microsecond), KeyID: s.id}
	c.Signature = ed25519.Sign(s.key, c.Body())
	return c
}

const signerHeader = "safeguard audit signing key v1"

// MarshalText writes the private key; keep it out of the database, readable
// by its owner only.
func (s *Signer) MarshalText() ([]byte, error) {
	return fmt.Appendf(nil, "%s\n%s %s\n", signerHeader, s.id, base64.StdEncoding.EncodeToString(s.key.Seed())), nil
}

// ParseSigner reads what Signer.MarshalText wrote.
func ParseSigner(text []byte) (*Signer, error) {
	lines := strings.Split(strings.TrimSpace(string(text)), "\n")
	if len(lines) != 2 || strings.TrimSpace(lines[0]) != signerHeader {
		return nil, errors.New("not a safeguard audit signing key")
	}
	f := strings.Fields(lines[1])
	if len(f) != 2 {
		return nil, errors.New("malformed audit signing key")
	}
	seed, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("malformed audit signing key")
	}
	priv := ed25519.NewKeyFromSeed(seed)
	s := &Signer{id: KeyID(priv.Public().(ed25519.PublicKey)), key: priv}
	if s.id != f[0] {
		return nil, fmt.Errorf("audit signing key: its ID %s does not match the key (%s)", f[0], s.id)
	}
	return s, nil
}

// Keys are the public keys checkpoints are trusted under, by key ID.
type Keys map[string]ed25519.PublicKey

// Add trusts pub.
func (k Keys) Add(pub ed25519.PublicKey) { k[KeyID(pub)] = pub }

// Errors Keys.Check returns.
var (
	ErrUnknownKey   = errors.New("signed by an unknown key")
	ErrBadSignature = errors.New("signature does not match")
)

// Check verifies c's signature.
func (k Keys) Check(c *Checkpoint) error {
	pub, ok := k[c.KeyID]
	if !ok {
		return fmt.Errorf("checkpoint of size %d: %w %s", c.TreeSize, ErrUnknownKey, c.KeyID)
	}
	if !ed25519.Verify(pub, c.Body(), c.Signature) {
		return fmt.Errorf("checkpoint of size %d: %w", c.TreeSize, ErrBadSignature)
	}
	return nil
}
