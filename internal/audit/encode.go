package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Version is the canonical encoding version new entries are written with.
// A stored entry keeps the version it was written with, so that an old entry
// still hashes the same after the encoding gains a field.
const Version = 1

// HashSize is the size of a Hash in bytes.
const HashSize = sha256.Size

// Hash is a SHA-256 hash: an entry's leaf hash, a chain link or a tree node.
type Hash [HashSize]byte

// String returns h in hexadecimal.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zeroes, the previous hash of the first entry.
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash reads a hash written by String.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != HashSize {
		return h, fmt.Errorf("malformed hash %q", s)
	}
	copy(h[:], b)
	return h, nil
}

// Record is an entry as the log stores it: the entry, the encoding version it
// was written with, the leaf hash of the entry before it and its own leaf hash.
type Record struct {
	Entry
	Version  int
	PrevHash Hash
	Hash     Hash
}

// Encode returns the canonical encoding of e chained to prev, in the given
// encoding version:
//
//	version  1 byte
//	prev     32 bytes, the previous entry's leaf hash (zero for the first)
//	at       8 bytes, microseconds since 1970 UTC, big-endian two's complement
//	org      8 bytes, big-endian
//	actor, action, object, source, request ID, summary:
//	         each a uvarint length then that many bytes
//
// The sequence number is not part of the encoding: the chain (prev) and the
// entry's leaf index in the Merkle tree fix its position, which lets Verify
// tell an entry moved from elsewhere in the log from one that was edited.
func Encode(version int, e Entry, prev Hash) ([]byte, error) {
	if version != 1 {
		return nil, fmt.Errorf("audit encoding version %d is not known", version)
	}
	n := 1 + HashSize + 16
	fields := e.fields()
	for _, f := range fields {
		n += binary.MaxVarintLen64 + len(f)
	}
	return appendEncoding(make([]byte, 0, n), version, &e, prev), nil
}

// appendEncoding appends the encoding of e in version (which the caller has
// checked) to b.
func appendEncoding(b []byte, version int, e *Entry, prev Hash) []byte {
	fields := e.fields()
	b = append(b, byte(version))
	b = append(b, prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.At.UnixMicro()))
	b = binary.BigEndian.AppendUint64(b, uint64(e.OrgID))
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

func (e *Entry) fields() [6]string {
	return [6]string{e.Actor, e.Action, e.Object, e.Source, e.RequestID, e.Summary}
}

// ErrNotCanonical means bytes do not decode, or decode to an entry whose
// canonical encoding differs from them.
var ErrNotCanonical = errors.New("not a canonical audit entry encoding")

// Decode reads a canonical encoding. It accepts exactly the bytes Encode
// produces: anything else, including a longer varint or trailing bytes, is
// ErrNotCanonical. The entry's Seq is left zero.
func Decode(b []byte) (version int, e Entry, prev Hash, err error) {
	if len(b) < 1+HashSize+16 {
		return 0, e, prev, ErrNotCanonical
	}
	version = int(b[0])
	if version != 1 {
		return 0, e, prev, fmt.Errorf("%w: unknown version %d", ErrNotCanonical, version)
	}
	copy(prev[:], b[1:1+HashSize])
	p := b[1+HashSize:]
	e.At = time.UnixMicro(int64(binary.BigEndian.Uint64(p))).UTC()
	e.OrgID = int64(binary.BigEndian.Uint64(p[8:]))
	p = p[16:]
	var fields [6]string
	for i := range fields {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return 0, Entry{}, Hash{}, ErrNotCanonical
		}
		fields[i] = string(p[k : k+int(n)])
		p = p[k+int(n):]
	}
	if len(p) != 0 {
		return 0, Entry{}, Hash{}, ErrNotCanonical
	}
	e.Actor, e.Action, e.Object, e.Source, e.RequestID, e.Summary = fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]
	again, err := Encode(version, e, prev)
	if err != nil || !bytes.Equal(again, b) {
		return 0, Entry{}, Hash{}, ErrNotCanonical
	}
	return version, e, prev, nil
}

// LeafHash is the RFC 6962 leaf hash of data, SHA-256(0x00 || data): the
// record hash of golang.org/x/mod/sumdb/tlog, which the store uses for the
// tree's stored hashes and proofs.
func LeafHash(data []byte) Hash {
	return Hash(tlog.RecordHash(data))
}

// NodeHash is the RFC 6962 interior node hash, SHA-256(0x01 || left || right),
// as tlog computes it.
func NodeHash(left, right Hash) Hash {
	return Hash(tlog.NodeHash(tlog.Hash(left), tlog.Hash(right)))
}

// Seal computes the leaf hash of e chained to prev in the current version,
// and returns the record to store.
func Seal(e Entry, prev Hash) (Record, error) {
	b, err := Encode(Version, e, prev)
	if err != nil {
		return Record{}, err
	}
	return Record{Entry: e, Version: Version, PrevHash: prev, Hash: LeafHash(b)}, nil
}

// Rehash recomputes r's leaf hash from its fields, as Verify does.
func (r *Record) Rehash() (Hash, error) {
	h, _, err := r.rehash(nil)
	return h, err
}

// rehash is Rehash reusing scratch for the bytes hashed, which it returns
// for the next call: verifying a log of millions of entries allocates once.
// The leaf hash is RFC 6962's SHA-256(0x00 || encoding), as LeafHash.
func (r *Record) rehash(scratch []byte) (Hash, []byte, error) {
	if r.Version != 1 {
		return Hash{}, scratch, fmt.Errorf("audit encoding version %d is not known", r.Version)
	}
	scratch = appendEncoding(append(scratch[:0], 0x00), r.Version, &r.Entry, r.PrevHash)
	return Hash(sha256.Sum256(scratch)), scratch, nil
}

// Tree accumulates leaf hashes and gives the RFC 6962 root of the leaves added
// so far, in memory logarithmic in their number (tlog computes roots from
// stored hashes, two per leaf, which a verification streaming through the
// whole log does not keep). The zero value is empty.
type Tree struct {
	size int64
	// frontier holds the roots of the perfect subtrees the leaves form, the
	// largest (leftmost) first.
	frontier []Hash
}

// Add appends a leaf hash.
func (t *Tree) Add(leaf Hash) {
	h := leaf
	for n := t.size; n&1 == 1; n >>= 1 {
		h = NodeHash(t.frontier[len(t.frontier)-1], h)
		t.frontier = t.frontier[:len(t.frontier)-1]
	}
	t.frontier = append(t.frontier, h)
	t.size++
}

// Size is the number of leaves added.
func (t *Tree) Size() int64 { return t.size }

// Root is the RFC 6962 Merkle tree hash of the leaves; for no leaves, the
// hash of the empty string.
func (t *Tree) Root() Hash {
	if len(t.frontier) == 0 {
		return sha256.Sum256(nil)
	}
	h := t.frontier[len(t.frontier)-1]
	for i := len(t.frontier) - 2; i >= 0; i-- {
		h = NodeHash(t.frontier[i], h)
	}
	return h
}
