package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// spoolChunk is how much plaintext a Spool seals at a time.
const spoolChunk = 64 << 10

// A Spool is a temporary file sealed under a key that exists only in the
// memory of the process, for holding an upload while it streams in. What
// reaches the disk is AES-256-GCM ciphertext, so an upload that is never
// stored, or a file left behind by a crash, shows nothing of its content.
//
// The plaintext is sealed in chunks of 64 KiB; each chunk's nonce is its
// number, so chunks cannot be reordered, and Bytes checks that every chunk
// written is read back. Where the platform allows it the file is unlinked as
// soon as it is created: it then never has a name another process could
// open, and disappears when closed however the process ends.
//
// A Spool is not safe for concurrent use. Close it when done.
type Spool struct {
	f       *os.File
	name    string // the file's path while it still has one
	aead    cipher.AEAD
	buf     []byte // plaintext not yet sealed, less than one chunk
	size    int64  // plaintext bytes written
	chunks  uint64 // chunks sealed and written
	sealed  []byte // scratch for one sealed chunk
	err     error  // the first write error; later writes fail with it
	written bool   // Bytes has flushed the last chunk
}

// NewSpool creates an empty spool in dir (os.TempDir() when empty).
func NewSpool(dir string) (*Spool, error) {
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("spool key: %w", err)
	}
	block, err := aes.NewCipher(key)
	clear(key)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	// Counter nonces, not random ones: each key seals one spool, and the
	// chunk number in the nonce fixes each chunk's place.
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	f, err := os.CreateTemp(dir, "safeguard-upload-*")
	if err != nil {
		return nil, fmt.Errorf("create spool: %w", err)
	}
	s := &Spool{f: f, name: f.Name(), aead: aead, buf: make([]byte, 0, spoolChunk)}
	if os.Remove(s.name) == nil {
		s.name = ""
	}
	return s, nil
}

// Write adds p to the spool.
func (s *Spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.written {
		return 0, errors.New("crypt: write to a spool after Bytes")
	}
	n := 0
	for len(p) > 0 {
		k := min(len(p), spoolChunk-len(s.buf))
		s.buf = append(s.buf, p[:k]...)
		p, n = p[k:], n+k
		s.size += int64(k)
		if len(s.buf) == spoolChunk {
			if err := s.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (s *Spool) nonce(i uint64) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	binary.BigEndian.PutUint64(nonce[len(nonce)-8:], i)
	return nonce
}

// flush seals and writes the buffered plaintext as the next chunk.
func (s *Spool) flush() error {
	s.sealed = s.aead.Seal(s.sealed[:0], s.nonce(s.chunks), s.buf, nil)
	if _, err := s.f.Write(s.sealed); err != nil {
		s.err = fmt.Errorf("write spool: %w", err)
		return s.err
	}
	clear(s.buf)
	s.buf = s.buf[:0]
	s.chunks++
	return nil
}

// Size is the number of plaintext bytes written.
func (s *Spool) Size() int64 { return s.size }

// Bytes reads the whole plaintext back into memory. Nothing can be written
// after it.
func (s *Spool) Bytes() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if !s.written {
		if len(s.buf) > 0 {
			if err := s.flush(); err != nil {
				return nil, err
			}
		}
		s.written = true
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read spool: %w", err)
	}
	out := make([]byte, 0, s.size)
	chunk := make([]byte, spoolChunk+s.aead.Overhead())
	for i := uint64(0); i < s.chunks; i++ {
		want := spoolChunk
		if i == s.chunks-1 {
			want = int(s.size - int64(i)*spoolChunk)
		}
		c := chunk[:want+s.aead.Overhead()]
		if _, err := io.ReadFull(s.f, c); err != nil {
			return nil, fmt.Errorf("read spool: %w", err)
		}
		var err error
		if out, err = s.aead.Open(out, s.nonce(i), c, nil); err != nil {
			return nil, ErrDecrypt
		}
	}
	if int64(len(out)) != s.size {
		return nil, ErrDecrypt
	}
	return out, nil
}

// Close closes the spool's file and removes it if it still has a name.
func (s *Spool) Close() error {
	err := s.f.Close()
	if s.name != "" {
		if rerr := os.Remove(s.name); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
		s.name = ""
	}
	clear(s.buf)
	return err
}
