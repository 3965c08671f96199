package crypt_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"testing"
	"time"
)

// The baseline of these benchmarks is bare AES-256-GCM from crypto/cipher
// on the same 4 KiB, measured in the same run; the "x-bare-gcm" metric is
// the ratio of the two. What crypt adds is the version byte and copying the
// additional data.

const benchSize = 4 << 10

// bareGCM returns AES-256-GCM with a random key, the baseline.
func bareGCM(b *testing.B) cipher.AEAD {
	b.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		b.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		b.Fatal(err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		b.Fatal(err)
	}
	return aead
}

// reportRatio runs baseline as many times as b.Loop ran the measured code
// and reports the ratio of their times per operation. It times the baseline
// itself because testing.Benchmark cannot run inside a benchmark. Call it
// after b.Loop has returned false: b.N is then final and b's timer stopped.
func reportRatio(b *testing.B, baseline func() error) {
	b.Helper()
	if b.N == 0 {
		return
	}
	start := time.Now()
	for range b.N {
		if err := baseline(); err != nil {
			b.Fatal(err)
		}
	}
	basePerOp := float64(time.Since(start).Nanoseconds()) / float64(b.N)
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(basePerOp, "bare-gcm-ns/op")
	b.ReportMetric(perOp/basePerOp, "x-bare-gcm")
}

func BenchmarkSeal4KiB(b *testing.B) {
	dk := newDataKey(b)
	plaintext := make([]byte, benchSize)
	aad := []byte("org 12/evidence 3456")
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dk.Seal(plaintext, aad); err != nil {
			b.Fatal(err)
		}
	}
	aead := bareGCM(b)
	out := make([]byte, 0, benchSize+aead.Overhead())
	reportRatio(b, func() error {
		// Allocate as Seal does, for a fair comparison.
		out = aead.Seal(make([]byte, 0, cap(out)), nil, plaintext, aad)
		return nil
	})
}

func BenchmarkOpen4KiB(b *testing.B) {
	dk := newDataKey(b)
	aad := []byte("org 12/evidence 3456")
	sealed := seal(b, dk, make([]byte, benchSize), aad)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dk.Open(sealed, aad); err != nil {
			b.Fatal(err)
		}
	}
	aead := bareGCM(b)
	bare := aead.Seal(nil, nil, make([]byte, benchSize), aad)
	reportRatio(b, func() error {
		_, err := aead.Open(nil, nil, bare, aad)
		return err
	})
}
