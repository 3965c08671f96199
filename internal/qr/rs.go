package qr

// Reed–Solomon error correction over GF(256) with the QR code's field
// polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) and generator element 2.

// gfExp and gfLog are the field's antilogarithm and logarithm tables;
// gfExp is doubled so that products need no reduction modulo 255.
var gfExp, gfLog = func() (exp [512]byte, log [256]byte) {
	x := 1
	for i := 0; i < 255; i++ {
		exp[i] = byte(x)
		log[x] = byte(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11D
		}
	}
	for i := 255; i < 512; i++ {
		exp[i] = exp[i-255]
	}
	return exp, log
}()

func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[int(gfLog[a])+int(gfLog[b])]
}

// rsGenerator is the generator polynomial (x - 2^0)(x - 2^1)...(x - 2^(n-1)),
// coefficients from the highest power down, without the leading 1.
func rsGenerator(n int) []byte {
	g := []byte{1}
	for i := 0; i < n; i++ {
		next := make([]byte, len(g)+1)
		root := gfExp[i]
		for j, c := range g {
			next[j] ^= c
			next[j+1] ^= gfMul(c, root)
		}
		g = next
	}
	return g[1:]
}

// rsRemainder returns the n error-correction codewords of data: the
// remainder of data(x)·x^n divided by the generator polynomial.
func rsRemainder(data []byte, n int) []byte {
	gen := rsGenerator(n)
	rem := make([]byte, n)
	for _, d := range data {
		factor := d ^ rem[0]
		copy(rem, rem[1:])
		rem[n-1] = 0
		for i, g := range gen {
			rem[i] ^= gfMul(g, factor)
		}
	}
	return rem
}
