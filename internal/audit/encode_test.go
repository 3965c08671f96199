package audit

import (
	"strings"
	"testing"
	"time"
)

// rehash, which verification uses with a reused buffer, gives exactly the
// leaf hash of the canonical encoding, entry after entry.
func TestRehashMatchesLeafHashOfEncoding(t *testing.T) {
	var scratch []byte
	prev := Hash{}
	for i, e := range []Entry{
		{At: time.Unix(1, 0), Actor: "user:1", Action: "a", Summary: "short"},
		{At: time.Unix(2, 0), OrgID: 7, Actor: "cli:root", Action: "assess.finalise", Object: "assessment:3", Source: "127.0.0.1", RequestID: "r", Summary: strings.Repeat("long ", 200)},
		{At: time.Unix(3, 0), Actor: "system", Action: "x"},
	} {
		b, err := Encode(1, e, prev)
		if err != nil {
			t.Fatal(err)
		}
		r := Record{Entry: e, Version: 1, PrevHash: prev}
		var h Hash
		h, scratch, err = r.rehash(scratch)
		if err != nil || h != LeafHash(b) {
			t.Fatalf("rehash #%d = %x, %v; want %x", i+1, h, err, LeafHash(b))
		}
		prev = h
	}
	if _, _, err := (&Record{Version: 2}).rehash(scratch); err == nil {
		t.Error("rehash of an unknown version succeeded")
	}
}
