package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password rules follow NIST SP 800-63B: a minimum length, no composition
// rules, and a refusal of passwords that are common, predictable or about the
// user.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

//go:embed passwords.txt
var commonPasswordText string

// commonPasswords holds the shipped list, normalised the way candidates are.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordText, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[line] = true
	}
	return m
}()

// ErrWeakPassword wraps every reason a password is refused.
var ErrWeakPassword = errors.New("weak password")

// CheckPassword reports why pw may not be used by the person with the given
// email and name, or nil when it may.
func CheckPassword(pw, email, name string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return fmt.Errorf("%w: must be valid text", ErrWeakPassword)
	case n < MinPasswordLen:
		return fmt.Errorf("%w: must be at least %d characters; a few unrelated words make a good one", ErrWeakPassword, MinPasswordLen)
	case n > MaxPasswordLen:
		return fmt.Errorf("%w: must be at most %d characters", ErrWeakPassword, MaxPasswordLen)
	}
	lower := strings.ToLower(pw)
	if distinct(lower) < 5 {
		return fmt.Errorf("%w: uses too few different characters", ErrWeakPassword)
	}
	if isSequence(lower) {
		return fmt.Errorf("%w: is a keyboard or alphabet sequence", ErrWeakPassword)
	}
	core := deleet(stripAffixes(lower))
	if commonPasswords[lower] || commonPasswords[core] || commonPasswords[deleet(lower)] || repeatsCommon(core) {
		return fmt.Errorf("%w: is one of the passwords attackers try first, or a small variation of one", ErrWeakPassword)
	}
	for _, part := range personalParts(email, name) {
		if strings.Contains(lower, part) || strings.Contains(deleet(lower), part) {
			return fmt.Errorf("%w: must not contain your name or email address", ErrWeakPassword)
		}
	}
	return nil
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// sequences are runs people type instead of choosing a password.
var sequences = []string{
	"abcdefghijklmnopqrstuvwxyz", "zyxwvutsrqponmlkjihgfedcba",
	"01234567890123456789", "98765432109876543210",
	"qwertyuiopasdfghjklzxcvbnm", "qwertzuiopasdfghjklyxcvbnm", "azertyuiopqsdfghjklmwxcvbn",
	"1qaz2wsx3edc4rfv5tgb6yhn", "qazwsxedcrfvtgbyhnujmikolp", "!@#$%^&*()_+",
}

// isSequence reports whether s is made of stretches of the runs above,
// ignoring a short tail.
func isSequence(s string) bool {
	cleaned := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	covered := 0
	for i := 0; i < len(cleaned); {
		best := 0
		for _, seq := range sequences {
			for l := len(cleaned) - i; l >= 3; l-- {
				if strings.Contains(seq, cleaned[i:i+l]) {
					best = max(best, l)
					break
				}
			}
		}
		if best == 0 {
			i++
			continue
		}
		covered += best
		i += best
	}
	return covered*10 >= len(cleaned)*8
}

// stripAffixes removes the digits and symbols people add around a word to
// satisfy composition rules ("Password123!" -> "password").
func stripAffixes(s string) string {
	notLetter := func(r rune) bool { return !unicode.IsLetter(r) }
	return strings.TrimFunc(s, notLetter)
}

var leet = strings.NewReplacer("0", "o", "1", "l", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s", "!", "i", "|", "l", "+", "t")

func deleet(s string) string { return leet.Replace(s) }

// repeatsCommon catches a common word typed twice or more ("passwordpassword").
func repeatsCommon(s string) bool {
	for l := 3; l <= len(s)/2; l++ {
		if len(s)%l != 0 {
			continue
		}
		if strings.Repeat(s[:l], len(s)/l) == s && (commonPasswords[s[:l]] || l <= 4) {
			return true
		}
	}
	return false
}

// personalParts are the pieces of a person's email and name a password must
// not contain: the mailbox name and each name of at least four letters.
func personalParts(email, name string) []string {
	var parts []string
	if local, _, ok := strings.Cut(strings.ToLower(email), "@"); ok && len(local) >= 4 {
		parts = append(parts, local)
		for _, p := range strings.FieldsFunc(local, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if len(p) >= 4 {
				parts = append(parts, p)
			}
		}
	}
	for _, p := range strings.Fields(strings.ToLower(name)) {
		if utf8.RuneCountInString(p) >= 4 {
			parts = append(parts, p)
		}
	}
	return parts
}

// Hasher hashes passwords with argon2id and bounds how many hashes run at
// once: each holds MemoryKiB while it runs, and on a machine with n cores
// more than n at once only adds memory, not throughput. A few more callers
// may wait briefly for a slot; beyond those, and after the wait, a hash is
// refused with ErrBusy at once, so that a flood of sign-ins is shed early
// instead of queueing for seconds and holding memory.
type Hasher struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
	// QueueWait is the longest a caller waits for a slot.
	QueueWait time.Duration
	// WithinMemoryLimit says a hash starts only when it fits under the
	// process's memory limit (a server's sign-ins, shed otherwise); a
	// command that hashes a few passwords has no need.
	WithinMemoryLimit bool
	slots             chan struct{}
	queue             chan struct{}
	running           atomic.Int64
	peak              atomic.Int64
	// calibrate times one real hash, once, for Burn; verifyTime is how
	// long verifications take lately, in nanoseconds.
	calibrate  sync.Once
	verifyTime atomic.Int64
}

// ErrBusy says every hashing slot and every place in the queue was taken:
// the caller should ask the client to try again shortly.
var ErrBusy = errors.New("password hashing is at capacity")

// NewHasher returns a hasher with the given cost that runs at most
// concurrent hashes at a time and lets twice as many more wait, each for at
// most a second.
func NewHasher(time, memoryKiB uint32, threads uint8, concurrent int) *Hasher {
	concurrent = max(concurrent, 1)
	return &Hasher{Time: time, MemoryKiB: memoryKiB, Threads: threads, QueueWait: defaultQueueWait,
		slots: make(chan struct{}, concurrent), queue: make(chan struct{}, 2*concurrent)}
}

const defaultQueueWait = time.Second

// DefaultHasher is the production cost, measured on a 2-core machine at about
// 90 ms a hash: t=3, 64 MiB, 2 lanes, and as many hashes at once as the
// process may use cores (runtime.GOMAXPROCS). Hashing then holds at most
// GOMAXPROCS x 64 MiB: 128 MiB on two cores.
func DefaultHasher() *Hasher { return NewHasher(3, 64*1024, 2, runtime.GOMAXPROCS(0)) }

// Concurrency is the most hashes that run at once.
func (h *Hasher) Concurrency() int { return cap(h.slots) }

// PeakConcurrency is the most hashes that have run at once so far.
func (h *Hasher) PeakConcurrency() int { return int(h.peak.Load()) }

// MemoryCeiling is the most memory hashing holds at once, in bytes.
func (h *Hasher) MemoryCeiling() int64 { return int64(cap(h.slots)) * int64(h.MemoryKiB) * 1024 }

const hashPrefix = "$argon2id$v=19$"

// acquire takes a hashing slot for a hash that needs memory bytes, or
// fails with ErrBusy.
func (h *Hasher) acquire(ctx context.Context, memory int64) error {
	if err := h.acquireSlot(ctx); err != nil {
		return err
	}
	if h.WithinMemoryLimit && !roomFor(memory, h.running.Load() > 1, time.Now()) {
		h.release()
		return ErrBusy
	}
	return nil
}

// admitted is when the last hash was let start: argon2 takes its memory
// at once, so a hash admitted moments ago may not show in the process's
// memory yet, and is counted as if it did not.
var admitted struct {
	sync.Mutex
	at time.Time
}

// admitWindow is how long after its admission a hash is taken not to have
// taken its memory yet.
const admitWindow = 50 * time.Millisecond

// roomFor reports whether a hash of memory bytes fits beside what the
// process holds within its memory limit (debug.SetMemoryLimit; without one
// there is always room). Each hash leaves its whole block behind as
// garbage; when that is what stands in the way, the garbage is collected
// and the memory given back to the system first. others says another hash
// is running.
func roomFor(memory int64, others bool, now time.Time) bool {
	limit := debug.SetMemoryLimit(-1)
	if limit <= 0 || limit == math.MaxInt64 {
		return true
	}
	admitted.Lock()
	defer admitted.Unlock()
	need := memory
	if others && now.Sub(admitted.at) < admitWindow {
		need += memory
	}
	held, _ := MemoryHeld()
	if held+need > limit {
		debug.FreeOSMemory()
		if held, _ = MemoryHeld(); held+need > limit {
			return false
		}
	}
	admitted.at = now
	return true
}

// MemoryHeld is the memory the process holds of its own, and how much of it
// is free heap the Go runtime would reuse before asking the system for
// more. On Linux the first is what the system counts (RssAnon: the Go
// runtime's memory and what SQLite allocates outside it); elsewhere the
// runtime's own count of what it holds and has not given back.
func MemoryHeld() (held, free int64) {
	s := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(s)
	for _, v := range s {
		if v.Value.Kind() != metrics.KindUint64 {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return int64(m.Sys - m.HeapReleased), int64(m.HeapIdle - m.HeapReleased)
		}
	}
	held, free = int64(s[0].Value.Uint64()-s[1].Value.Uint64()), int64(s[2].Value.Uint64())
	if anon, ok := rssAnon(); ok {
		held = anon
	}
	return held, free
}

// rssAnon reads the process's resident anonymous memory from
// /proc/self/status, where there is one.
func rssAnon() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	_, rest, ok := bytes.Cut(b, []byte("\nRssAnon:"))
	if !ok {
		return 0, false
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(line), []byte(" kB"))), 10, 64)
	if err != nil {
		return 0, false
	}
	return kb * 1024, true
}

func (h *Hasher) acquireSlot(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		h.started()
		return nil
	default:
	}
	// Every slot is taken: wait in the short queue, or give up now.
	select {
	case h.queue <- struct{}{}:
	default:
		return ErrBusy
	}
	defer func() { <-h.queue }()
	t := time.NewTimer(h.QueueWait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		h.started()
		return nil
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) started() {
	n := h.running.Add(1)
	for {
		p := h.peak.Load()
		if n <= p || h.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func (h *Hasher) release() {
	h.running.Add(-1)
	<-h.slots
}

// Hash returns pw's argon2id hash in the PHC string format.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx, int64(h.MemoryKiB)*1024); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, h.Time, h.MemoryKiB, h.Threads, 32)
	h.release()
	enc := base64.RawStdEncoding
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s", hashPrefix, h.MemoryKiB, h.Time, h.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify reports whether pw matches encoded, and whether encoded was made
// with other parameters than h's and should be replaced.
func (h *Hasher) Verify(ctx context.Context, encoded, pw string) (ok, rehash bool, err error) {
	var m, t uint32
	var p uint8
	rest, found := strings.CutPrefix(encoded, hashPrefix)
	parts := strings.Split(rest, "$")
	if !found || len(parts) != 3 {
		return false, false, errors.New("password hash: not an argon2id PHC string")
	}
	if _, err := fmt.Sscanf(parts[0], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, false, fmt.Errorf("password hash: parameters: %w", err)
	}
	if m == 0 || m > 1<<22 || t == 0 || t > 20 || p == 0 {
		return false, false, errors.New("password hash: parameters out of range")
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[1])
	want, err2 := enc.DecodeString(parts[2])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, false, errors.New("password hash: bad encoding")
	}
	if err := h.acquire(ctx, int64(m)*1024); err != nil {
		return false, false, err
	}
	t0 := time.Now()
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	if m == h.MemoryKiB && t == h.Time && p == h.Threads {
		h.noteVerify(time.Since(t0))
	}
	h.release()
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && (m != h.MemoryKiB || t != h.Time || p != h.Threads), nil
}

// Burn spends the time of one verification, for sign-in attempts on unknown
// accounts, so response times do not reveal which addresses have accounts.
// It holds a hashing slot for as long as verifications take lately (the
// first call times a real one), without hashing: the answer takes as long
// and is shed alike (ErrBusy when hashing is at capacity, or would not fit
// under the memory limit), but costs no processor time or memory, so a
// flood of made-up addresses cannot take the processor from people at
// work.
func (h *Hasher) Burn(ctx context.Context, pw string) error {
	h.calibrate.Do(func() {
		// Without a slot: it runs once, and must not fail for being busy.
		salt := make([]byte, 16)
		_, _ = rand.Read(salt)
		t0 := time.Now()
		argon2.IDKey([]byte(pw), salt, h.Time, h.MemoryKiB, h.Threads, 32)
		h.noteVerify(time.Since(t0))
	})
	if err := h.acquire(ctx, int64(h.MemoryKiB)*1024); err != nil {
		return err
	}
	defer h.release()
	t := time.NewTimer(time.Duration(h.verifyTime.Load()))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// noteVerify keeps a running average of how long verifications take (each
// new one counts for an eighth), which Burn spends.
func (h *Hasher) noteVerify(d time.Duration) {
	for {
		old := h.verifyTime.Load()
		v := int64(d)
		if old != 0 {
			v = old + (int64(d)-old)/8
		}
		if h.verifyTime.CompareAndSwap(old, v) {
			return
		}
	}
}
