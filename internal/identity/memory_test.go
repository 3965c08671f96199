package identity

import (
	"errors"
	"runtime"
	"runtime/debug"
	"syscall"
	"testing"
	"time"
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

// TestBurnSpendsTimeNotWork: the answer to an unknown account takes about
// as long as a verification, uses next to no processor time, and is shed
// like one when every slot is taken.
func TestBurnSpendsTimeNotWork(t *testing.T) {
	h := NewHasher(2, 16*1024, 1, 1)
	h.QueueWait = 10 * time.Millisecond
	hash, err := h.Hash(t.Context(), "correct-battery-horse-9")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	for range 3 {
		if _, _, err := h.Verify(t.Context(), hash, "wrong"); err != nil {
			t.Fatal(err)
		}
	}
	verify := time.Since(t0) / 3

	cpu0 := processCPU(t)
	t0 = time.Now()
	for range 3 {
		if err := h.Burn(t.Context(), "wrong"); err != nil {
			t.Fatal(err)
		}
	}
	burn, cpu := time.Since(t0)/3, (processCPU(t)-cpu0)/3
	if burn < verify/3 || burn > 3*verify {
		t.Errorf("Burn took %v, a verification %v: want about the same", burn, verify)
	}
	// The first Burn times one real hash; the others hash nothing.
	if cpu > verify {
		t.Errorf("Burn used %v of processor time each, a verification takes %v", cpu, verify)
	}

	if err := h.acquireSlot(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer h.release()
	if err := h.Burn(t.Context(), "wrong"); !errors.Is(err, ErrBusy) {
		t.Errorf("Burn with every slot taken = %v, want ErrBusy", err)
	}
	t.Logf("verification %v, burn %v using %v of processor time", verify, burn, cpu)
}

func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skip("no getrusage here")
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
