package identity

import (
	"errors"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestMemoryHeld reads the process's memory: the figure the hashing and the
// sign-in gate keep within the memory limit.
func TestMemoryHeld(t *testing.T) {
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = 1
	}
	held, free := MemoryHeld()
	if held < 64<<20 || free < 0 || free > held {
		t.Errorf("MemoryHeld() = %d, %d; want at least the 64 MiB this test touched, and free within it", held, free)
	}
	if _, ok := rssAnon(); !ok {
		t.Log("no /proc/self/status here: the runtime's own count is used")
	}
	runtime.KeepAlive(buf)
}

// TestHashingWithinMemoryLimit: a hash that would take the process past its
// memory limit is refused with ErrBusy (the garbage of earlier hashes given
// back first), and hashes one after another stay within the limit.
// Not parallel: the memory limit is the process's.
func TestHashingWithinMemoryLimit(t *testing.T) {
	const mib = 1 << 20
	h := NewHasher(1, 32*1024, 1, 1)
	h.WithinMemoryLimit = true
	hash, err := h.Hash(t.Context(), "correct-battery-horse-9")
	if err != nil {
		t.Fatal(err)
	}
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)

	debug.FreeOSMemory()
	held, _ := MemoryHeld()
	debug.SetMemoryLimit(held + 16*mib)
	if _, _, err := h.Verify(t.Context(), hash, "correct-battery-horse-9"); !errors.Is(err, ErrBusy) {
		t.Errorf("hash of 32 MiB with 16 MiB to spare: err = %v, want ErrBusy", err)
	}

	limit := held + 48*mib
	debug.SetMemoryLimit(limit)
	for i := range 8 {
		ok, _, err := h.Verify(t.Context(), hash, "correct-battery-horse-9")
		if err != nil || !ok {
			t.Fatalf("hash %d with room for one: ok %v, err %v", i, ok, err)
		}
		if now, _ := MemoryHeld(); now > limit+8*mib {
			t.Errorf("after hash %d the process holds %d MiB, above the %d MiB limit", i, now/mib, limit/mib)
		}
	}
}
