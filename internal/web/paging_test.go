package web

import (
	"testing"

	"github.com/safeguard-health/safeguard/internal/store"
)

// TestCursorRoundTrip: a cursor the server issued decodes to the key it was
// made from. (That every list refuses a cursor it did not issue is tested
// across the capabilities in allweb.)
func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	for _, k := range []store.Key{{ID: 1}, {Sort: "Riverside: Family Practice", ID: 42}, {Sort: "ünï:cödé", ID: 1 << 62}} {
		if got, ok := decodeCursor(encodeCursor(k)); !ok || got != k {
			t.Errorf("decodeCursor(encodeCursor(%+v)) = %+v, %v", k, got, ok)
		}
	}
}

// FuzzDecodeCursor: any string either is refused or decodes to a key that
// encodes back to the same cursor.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(store.Key{Sort: "Alpha", ID: 3}))
	f.Add("not-a-cursor")
	f.Add("")
	f.Fuzz(func(t *testing.T, c string) {
		k, ok := decodeCursor(c)
		if ok && encodeCursor(k) != c {
			t.Errorf("decodeCursor(%q) = %+v, which encodes as %q", c, k, encodeCursor(k))
		}
	})
}
