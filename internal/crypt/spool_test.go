package crypt_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/safeguard-health/safeguard/internal/crypt"
)

func TestSpoolRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 3<<20 + 17} {
		dir := t.TempDir()
		s, err := crypt.NewSpool(dir)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, size)
		rand.Read(want)
		// Write in uneven pieces, as a network read would.
		for rest := want; len(rest) > 0; {
			k := min(len(rest), 1000+len(rest)%7000)
			if n, err := s.Write(rest[:k]); n != k || err != nil {
				t.Fatalf("Write(%d bytes) = %d, %v", k, n, err)
			}
			rest = rest[k:]
		}
		if s.Size() != int64(size) {
			t.Errorf("Size() = %d, want %d", s.Size(), size)
		}
		got, err := s.Bytes()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Bytes() of %d bytes = %d bytes, %v", size, len(got), err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("after Close the spool folder holds %v", left)
		}
	}
}

// TestSpoolKeepsNoPlaintext checks that the bytes on disk are not the
// upload: the file is unlinked at once and, read through /proc while open,
// holds only ciphertext.
func TestSpoolKeepsNoPlaintext(t *testing.T) {
	dir := t.TempDir()
	s, err := crypt.NewSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("an open spool has a name in its folder: %v", left)
	}
	secret := bytes.Repeat([]byte("patient 4711 diagnosis "), 10000)
	s.Write(secret)
	if _, err := s.Bytes(); err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc to look at the open file through")
	}
	found := false
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err != nil || !bytes.Contains([]byte(target), []byte("safeguard-upload-")) || !bytes.HasPrefix([]byte(target), []byte(dir)) {
			continue
		}
		found = true
		disk, err := os.ReadFile(filepath.Join("/proc/self/fd", fd.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if len(disk) < len(secret) || bytes.Contains(disk, []byte("patient 4711")) {
			t.Errorf("the spool file holds %d bytes with the plaintext in them", len(disk))
		}
	}
	if !found {
		t.Error("the open spool file was not found")
	}
}
