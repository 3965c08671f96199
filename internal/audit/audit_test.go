package audit

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"iter"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

func sampleEntry() Entry {
	return Entry{At: time.Date(2026, 11, 22, 16, 0, 0, 123456000, time.UTC), OrgID: 7, Actor: "user:42",
		Action: "org.create", Object: "org:riverside", Source: "192.0.2.1", RequestID: "r-1", Summary: "created Riverside"}
}

func TestEncodeRoundTrip(t *testing.T) {
	prev := Hash(sha256.Sum256([]byte("prev")))
	e := sampleEntry()
	b, err := Encode(Version, e, prev)
	if err != nil {
		t.Fatal(err)
	}
	v, got, gotPrev, err := Decode(b)
	if err != nil || v != Version || got != e || gotPrev != prev {
		t.Fatalf("Decode(Encode(e)) = %d, %+v, %v, %v; want %+v", v, got, gotPrev, err, e)
	}
	// Non-canonical forms are refused: a padded varint, trailing bytes.
	padded := append([]byte(nil), b[:1+HashSize+16]...)
	padded = append(padded, 0x87, 0x00) // 7 as a two-byte varint
	padded = append(padded, b[1+HashSize+16+1:]...)
	if _, _, _, err := Decode(padded); !errors.Is(err, ErrNotCanonical) {
		t.Errorf("Decode(padded varint) = %v, want ErrNotCanonical", err)
	}
	if _, _, _, err := Decode(append(b, 0)); !errors.Is(err, ErrNotCanonical) {
		t.Errorf("Decode(trailing byte) = %v, want ErrNotCanonical", err)
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := Encode(Version, sampleEntry(), Hash{})
	f.Add(b)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, e, prev, err := Decode(data)
		if err != nil {
			return
		}
		again, err := Encode(v, e, prev)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("Decode accepted %x, which encodes back to %x", data, again)
		}
	})
}

func TestTreeMatchesTlog(t *testing.T) {
	var tree Tree
	var stored []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for n := int64(0); n < 70; n++ {
		want, err := tlog.TreeHash(n, r)
		if err != nil {
			t.Fatal(err)
		}
		if got := tree.Root(); n > 0 && got != Hash(want) {
			t.Fatalf("Tree.Root() at size %d = %v, want %v", n, got, want)
		}
		leaf := LeafHash([]byte{byte(n)})
		if Hash(tlog.RecordHash([]byte{byte(n)})) != leaf {
			t.Fatal("LeafHash differs from tlog.RecordHash")
		}
		hs, err := tlog.StoredHashesForRecordHash(n, tlog.Hash(leaf), r)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		tree.Add(leaf)
	}
}

func chain(t testing.TB, n int) []Record {
	var out []Record
	var prev Hash
	for i := range n {
		e := sampleEntry()
		e.Seq = int64(i + 1)
		e.Summary = string(rune('a' + i%26))
		r, err := Seal(e, prev)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
		prev = r.Hash
	}
	return out
}

func seq(rs []Record) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for _, r := range rs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func TestCheckpointText(t *testing.T) {
	s, err := NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	c := s.Sign(12, Hash{1, 2, 3}, time.Now())
	text, _ := c.MarshalText()
	var got Checkpoint
	if err := got.UnmarshalText(text); err != nil {
		t.Fatal(err)
	}
	keys := Keys{}
	keys.Add(s.Public())
	if err := keys.Check(&got); err != nil {
		t.Fatalf("Check(parsed) = %v", err)
	}
	key, _ := s.MarshalText()
	s2, err := ParseSigner(key)
	if err != nil || s2.ID() != s.ID() {
		t.Fatalf("ParseSigner = %v, %v", s2, err)
	}
	var f KeyFile
	f.Add(s.Public())
	pubs, _ := f.MarshalText()
	f2, err := ParseKeyFile(pubs)
	if err != nil || len(f2) != 1 || !f2.Has(s.ID()) {
		t.Fatalf("ParseKeyFile = %v, %v", f2, err)
	}
}

func FuzzVerify(f *testing.F) {
	s, _ := NewSigner()
	keys := Keys{}
	keys.Add(s.Public())
	f.Add(uint8(5), uint8(0), uint8(3), []byte("x"))
	f.Fuzz(func(t *testing.T, n, op, at uint8, junk []byte) {
		rs := chain(t, int(n%40)+2)
		var tree Tree
		for _, r := range rs {
			tree.Add(r.Hash)
		}
		cp := s.Sign(tree.Size(), tree.Root(), time.Now())
		i := int(at) % len(rs)
		switch op % 4 {
		case 0:
			rs[i].Summary += string(junk)
			if len(junk) == 0 {
				return
			}
		case 1:
			rs = append(rs[:i:i], rs[i+1:]...)
		case 2:
			if i+1 >= len(rs) {
				return
			}
			rs[i], rs[i+1] = rs[i+1], rs[i]
			rs[i].Seq, rs[i+1].Seq = rs[i+1].Seq, rs[i].Seq
		case 3:
			rs = rs[:i]
		}
		rep, err := Verify(seq(rs), VerifyOptions{Keys: keys, Checkpoints: []Checkpoint{cp}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Problem == nil {
			t.Fatalf("op %d at %d: no problem found", op%4, i)
		}
		if rep.Problem.Seq != int64(i+1) {
			t.Fatalf("op %d at %d: %v", op%4, i, rep.Problem)
		}
	})
}

func TestVerifyIntact(t *testing.T) {
	rs := chain(t, 100)
	rep, err := Verify(seq(rs), VerifyOptions{})
	if err != nil || rep.Problem != nil || rep.Entries != 100 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

// TestHashesStayPut pins the leaf hash of a sample entry and the root of a
// small log as written since version 1: stored logs are verified against
// them, so neither may change, whatever computes them.
func TestHashesStayPut(t *testing.T) {
	rs := chain(t, 37)
	var tree Tree
	for _, r := range rs {
		tree.Add(r.Hash)
	}
	var empty Tree
	for _, tt := range []struct {
		name      string
		got, want string
	}{
		{"leaf of the first entry", rs[0].Hash.String(), "0e885ef4adee0d9946c4140f1268705c33ea2e6bdf9a7b08802f49c939e1aab6"},
		{"leaf of the last entry", rs[36].Hash.String(), "95a6cac7668d419c07e9b5e7a5b5eedcf9fae93c3f73010df4600c8c3ffd0bfc"},
		{"node of the first two", NodeHash(rs[0].Hash, rs[1].Hash).String(), "82591d3b2d6e67198f1ee2ac3afd411549332b34581a775eb7c731588df04619"},
		{"root of 37 entries", tree.Root().String(), "2f68db0420ad1316acb6b20bd48301e41df168e6fc4deafda49c3537b6dff439"},
		{"root of none", empty.Root().String(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}
