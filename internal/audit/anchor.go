package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Fingerprint is the whole SHA-256 of a public key, in hexadecimal after
// "sha256:". Operators record the first key's fingerprint somewhere the
// server cannot write, and verification can be held to it; KeyID, a prefix
// of it, is short enough to read but too short to pin.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ParseFingerprint checks that s reads as a fingerprint and returns it in
// the form Fingerprint writes.
func ParseFingerprint(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	hexPart, ok := strings.CutPrefix(s, "sha256:")
	if b, err := hex.DecodeString(hexPart); !ok || err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("audit key fingerprint %q: want sha256: and 64 hexadecimal digits, as init and rotate-key print", s)
	}
	return s, nil
}

// Endorsement is a key transition: a statement signed by a trusted key that
// introduces the key succeeding it. Only a key that holds the old private
// key can write one, so a key added to the keys file by whoever can write
// the file, but not sign with the old key, stays untrusted.
type Endorsement struct {
	Key       ed25519.PublicKey // the key introduced
	By        string            // ID of the key that signed the statement
	At        time.Time
	Signature []byte
}

const endorsementHeader = "safeguard audit key transition v1"

// Body is the text an endorsement's signature covers.
func (e *Endorsement) Body() []byte {
	return fmt.Appendf(nil, "%s\n%s\n%s\n%s\n%s\n", endorsementHeader, KeyID(e.Key),
		base64.StdEncoding.EncodeToString(e.Key), e.By, e.At.UTC().Format(time.RFC3339Nano))
}

// Endorse signs the statement that pub succeeds s's key.
func (s *Signer) Endorse(pub ed25519.PublicKey, at time.Time) Endorsement {
	e := Endorsement{Key: pub, By: s.id, At: at.UTC().Truncate(time.Microsecond)}
	e.Signature = ed25519.Sign(s.key, e.Body())
	return e
}

// Fingerprint is the fingerprint of the signer's public key.
func (s *Signer) Fingerprint() string { return Fingerprint(s.Public()) }

// PinnedKey is one key of a keys file, with the endorsement that introduced
// it (nil for a first key).
type PinnedKey struct {
	Public      ed25519.PublicKey
	Endorsement *Endorsement
}

// ID is the key's identifier.
func (k PinnedKey) ID() string { return KeyID(k.Public) }

// KeyFile is the public keys file kept outside the database, oldest key
// first: the first key, then each later key with its endorsement by an
// earlier one.
type KeyFile []PinnedKey

const keyFileHeader = "# safeguard audit public keys v1"

// MarshalText writes one key a line: "KEY-ID PUBLIC-KEY", and for an
// endorsed key also "endorsed-by KEY-ID TIME SIGNATURE".
func (f KeyFile) MarshalText() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(keyFileHeader + "\n")
	b.WriteString("# Each key after the first is endorsed by an earlier one. Record the first key's\n")
	b.WriteString("# fingerprint elsewhere and give it to 'safeguard audit verify --trust-key'.\n")
	for _, k := range f {
		fmt.Fprintf(&b, "%s %s", k.ID(), base64.StdEncoding.EncodeToString(k.Public))
		if e := k.Endorsement; e != nil {
			fmt.Fprintf(&b, " endorsed-by %s %s %s", e.By, e.At.UTC().Format(time.RFC3339Nano), base64.StdEncoding.EncodeToString(e.Signature))
		}
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}

// ParseKeyFile reads what KeyFile.MarshalText wrote; lines starting with #
// are comments. It checks the form; Trust checks the endorsements.
func ParseKeyFile(text []byte) (KeyFile, error) {
	var f KeyFile
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(why string) error { return fmt.Errorf("audit public keys line %d: %s", n, why) }
		fl := strings.Fields(line)
		if len(fl) != 2 && (len(fl) != 6 || fl[2] != "endorsed-by") {
			return nil, bad("want KEY-ID PUBLIC-KEY [endorsed-by KEY-ID TIME SIGNATURE]")
		}
		pub, err := base64.StdEncoding.DecodeString(fl[1])
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return nil, bad("malformed key")
		}
		if KeyID(pub) != fl[0] {
			return nil, bad("ID " + fl[0] + " does not match the key")
		}
		k := PinnedKey{Public: pub}
		if len(fl) == 6 {
			at, err := time.Parse(time.RFC3339Nano, fl[4])
			if err != nil {
				return nil, bad("malformed endorsement time")
			}
			sig, err := base64.StdEncoding.DecodeString(fl[5])
			if err != nil {
				return nil, bad("malformed endorsement signature")
			}
			k.Endorsement = &Endorsement{Key: pub, By: fl[3], At: at.UTC(), Signature: sig}
		}
		if slices.ContainsFunc(f, func(o PinnedKey) bool { return o.ID() == k.ID() }) {
			return nil, bad("key " + k.ID() + " is listed twice")
		}
		f = append(f, k)
	}
	return f, sc.Err()
}

// Add appends a first key, unendorsed.
func (f *KeyFile) Add(pub ed25519.PublicKey) { *f = append(*f, PinnedKey{Public: pub}) }

// AddEndorsed appends the key e introduces.
func (f *KeyFile) AddEndorsed(e Endorsement) {
	*f = append(*f, PinnedKey{Public: e.Key, Endorsement: &e})
}

// Has reports whether the file lists the key id.
func (f KeyFile) Has(id string) bool {
	return slices.ContainsFunc(f, func(k PinnedKey) bool { return k.ID() == id })
}

// The kinds of trouble Trust finds in the keys.
const (
	NoPinnedKeys  Damage = "no pinned keys"
	UnendorsedKey Damage = "unknown/unendorsed key"
	PinnedKeyGone Damage = "pinned key missing"
)

// TrustError says why the keys file cannot be trusted as it is.
type TrustError struct {
	Kind   Damage
	KeyID  string
	Detail string
}

func (e *TrustError) Error() string { return e.Problem().Error() }

// Problem is the error as a verification result: no sequence number, since
// no entry is at fault.
func (e *TrustError) Problem() *Problem {
	d := e.Detail
	if e.KeyID != "" {
		d = e.KeyID + ": " + d
	}
	return &Problem{Kind: e.Kind, Detail: d}
}

func (d Damage) untrustedKeys() bool {
	return d == NoPinnedKeys || d == UnendorsedKey || d == PinnedKeyGone
}

// Trust works out which keys of the file checkpoints may be signed with. The
// roots are the keys whose fingerprints are in pins; without pins, the one
// key of the file that no earlier key endorsed (the first key). Every other
// key is trusted only when a trusted key endorsed it. A file with no keys, a
// pin the file lacks, a second unendorsed key or an endorsement whose
// signature does not hold is a *TrustError.
func (f KeyFile) Trust(pins []string) (Keys, error) {
	if len(f) == 0 {
		return nil, &TrustError{Kind: NoPinnedKeys, Detail: "the public keys file lists no key"}
	}
	trusted := Keys{}
	if len(pins) > 0 {
		for _, pin := range pins {
			i := slices.IndexFunc(f, func(k PinnedKey) bool { return Fingerprint(k.Public) == pin })
			if i < 0 {
				return nil, &TrustError{Kind: PinnedKeyGone, Detail: "no key in the public keys file has the fingerprint " + pin}
			}
			trusted.Add(f[i].Public)
		}
	} else {
		for _, k := range f {
			if k.Endorsement != nil {
				continue
			}
			if len(trusted) > 0 {
				return nil, &TrustError{Kind: UnendorsedKey, KeyID: k.ID(),
					Detail: "it follows the first key but no trusted key endorsed it; a rotation by 'safeguard audit rotate-key' is endorsed by the old key"}
			}
			trusted.Add(k.Public)
		}
		if len(trusted) == 0 {
			return nil, &TrustError{Kind: UnendorsedKey, KeyID: f[0].ID(), Detail: "every key claims an endorsement, so none is the first key"}
		}
	}
	// Endorsements may be listed in any order: add keys until no more can be.
	for grew := true; grew; {
		grew = false
		for _, k := range f {
			e := k.Endorsement
			if _, ok := trusted[k.ID()]; ok || e == nil {
				continue
			}
			if by, ok := trusted[e.By]; ok && ed25519.Verify(by, e.Body(), e.Signature) {
				trusted.Add(k.Public)
				grew = true
			}
		}
	}
	for _, k := range f {
		if _, ok := trusted[k.ID()]; ok {
			continue
		}
		why := "no trusted key endorsed it"
		if e := k.Endorsement; e != nil {
			if by, ok := trusted[e.By]; ok && !ed25519.Verify(by, e.Body(), e.Signature) {
				why = "its endorsement by " + e.By + " does not hold"
			} else if !ok {
				why = "it claims an endorsement by " + e.By + ", which is not trusted"
			}
		}
		return nil, &TrustError{Kind: UnendorsedKey, KeyID: k.ID(), Detail: why}
	}
	return trusted, nil
}

// IsTrustError reports whether err is a *TrustError.
func IsTrustError(err error) bool {
	var te *TrustError
	return errors.As(err, &te)
}
