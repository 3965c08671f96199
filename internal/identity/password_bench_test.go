package identity

import (
	"context"
	"testing"
)

// BenchmarkDefaultHasher measures one production-cost password hash; it sets
// how long a sign-in takes and how many a flood can run at once.
func BenchmarkDefaultHasher(b *testing.B) {
	h := DefaultHasher()
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "lantern orchard velvet 42"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDefaultHasherParallel shows the cap on concurrent hashes at work:
// throughput stops growing at the cap instead of memory growing without end.
func BenchmarkDefaultHasherParallel(b *testing.B) {
	h := DefaultHasher()
	ctx := context.Background()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Hash(ctx, "lantern orchard velvet 42"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkCheckPassword(b *testing.B) {
	for b.Loop() {
		if err := CheckPassword("lantern orchard velvet 42", "sam.okafor@riverside.example", "Sam Okafor"); err != nil {
			b.Fatal(err)
		}
	}
}
