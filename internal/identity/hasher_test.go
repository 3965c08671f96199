package identity

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHasherShedsAFlood starts far more hashes at once than the hasher may
// run: never more than its bound run together, a few wait, and the rest are
// refused with ErrBusy straight away rather than queueing.
func TestHasherShedsAFlood(t *testing.T) {
	h := NewHasher(2, 16*1024, 1, 2)
	h.QueueWait = 50 * time.Millisecond
	const clients = 64
	var ok, busy atomic.Int64
	var slowestBusy atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			t0 := time.Now()
			_, err := h.Hash(context.Background(), "a password for the flood")
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrBusy):
				busy.Add(1)
				for d := int64(time.Since(t0)); ; {
					s := slowestBusy.Load()
					if d <= s || slowestBusy.CompareAndSwap(s, d) {
						break
					}
				}
			default:
				t.Errorf("Hash() = %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if p := h.PeakConcurrency(); p > h.Concurrency() || p < 1 {
		t.Errorf("PeakConcurrency() = %d, want 1..%d", p, h.Concurrency())
	}
	if busy.Load() == 0 || ok.Load() < int64(h.Concurrency()) {
		t.Errorf("ok = %d, busy = %d, want at least %d done and the rest refused", ok.Load(), busy.Load(), h.Concurrency())
	}
	// A refusal never waits longer than the queue wait (plus scheduling).
	if d := time.Duration(slowestBusy.Load()); d > h.QueueWait+time.Second {
		t.Errorf("slowest refusal took %s, want about %s at most", d, h.QueueWait)
	}
	if got, want := h.MemoryCeiling(), int64(2*16*1024*1024); got != want {
		t.Errorf("MemoryCeiling() = %d, want %d", got, want)
	}
	// Once the flood is over, hashing works again.
	if _, err := h.Hash(context.Background(), "a password after the flood"); err != nil {
		t.Errorf("Hash() after the flood = %v", err)
	}
}

func TestDefaultHasherBoundFollowsCores(t *testing.T) {
	h := DefaultHasher()
	if h.Concurrency() < 1 || h.MemoryCeiling() != int64(h.Concurrency())*64<<20 {
		t.Errorf("DefaultHasher: concurrency %d, ceiling %d", h.Concurrency(), h.MemoryCeiling())
	}
}
