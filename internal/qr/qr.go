// Package qr draws QR codes (ISO/IEC 18004) on the server, so that a person
// can enrol an authenticator app by pointing a phone at the screen without
// the page loading a script or an image from elsewhere.
//
// It encodes bytes in byte mode at error-correction level M (15% of the
// symbol may be damaged), in the smallest of versions 1 to 40 that holds
// them, with the mask whose penalty score is lowest.
package qr

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"
)

// QuietZone is the light margin, in modules, around every symbol drawn; the
// standard asks for four.
const QuietZone = 4

// ErrTooLong says the data does not fit in a version 40 symbol.
var ErrTooLong = errors.New("qr: data too long for a QR code")

// Code is one QR symbol: a square of dark and light modules.
type Code struct {
	Version int // 1 to 40
	Size    int // modules on a side: 17 + 4*Version
	Mask    int // the mask pattern applied, 0 to 7
	dark    []bool
}

// Dark reports whether the module at column x, row y is dark. Outside the
// symbol every module is light.
func (c *Code) Dark(x, y int) bool {
	if x < 0 || y < 0 || x >= c.Size || y >= c.Size {
		return false
	}
	return c.dark[y*c.Size+x]
}

// Encode returns the QR code of data in byte mode at level M.
func Encode(data []byte) (*Code, error) {
	for v := 1; v <= 40; v++ {
		need := 4 + countBits(v) + 8*len(data)
		if need <= 8*dataCodewords(v) {
			var b bitBuffer
			b.append(0b0100, 4) // byte mode
			b.append(uint32(len(data)), countBits(v))
			for _, c := range data {
				b.append(uint32(c), 8)
			}
			return build(v, &b, -1), nil
		}
	}
	return nil, ErrTooLong
}

// countBits is the length of byte mode's character count for a version.
func countBits(version int) int {
	if version <= 9 {
		return 8
	}
	return 16
}

// SVG draws the code as an SVG image: dark modules on a light square that
// includes the quiet zone, one unit per module.
func (c *Code) SVG() string {
	n := c.Size + 2*QuietZone
	var b strings.Builder
	ns := strconv.Itoa(n)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + ns + ` ` + ns +
		`" shape-rendering="crispEdges"><rect width="` + ns + `" height="` + ns + `" fill="#fff"/><path fill="#000" d="`)
	// Each horizontal run of dark modules is one rectangle.
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; {
			if !c.Dark(x, y) {
				x++
				continue
			}
			run := 1
			for c.Dark(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+QuietZone, y+QuietZone, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}

// Image draws the code as a grey-scale bitmap, scale pixels per module,
// with the quiet zone.
func (c *Code) Image(scale int) *image.Gray {
	scale = max(scale, 1)
	n := (c.Size + 2*QuietZone) * scale
	img := image.NewGray(image.Rect(0, 0, n, n))
	for py := 0; py < n; py++ {
		for px := 0; px < n; px++ {
			v := color.Gray{Y: 0xff}
			if c.Dark(px/scale-QuietZone, py/scale-QuietZone) {
				v = color.Gray{Y: 0}
			}
			img.SetGray(px, py, v)
		}
	}
	return img
}

// bitBuffer collects the bits of the data stream, most significant first.
type bitBuffer struct {
	bits []bool
}

func (b *bitBuffer) append(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		b.bits = append(b.bits, v>>uint(i)&1 == 1)
	}
}

// blocks describes how a version's codewords at level M are split into
// error-correction blocks: ec codewords per block, then n1 blocks of d1 data
// codewords and n2 blocks of d1+1 (ISO/IEC 18004 table 9).
type blocks struct {
	ec, n1, d1, n2 int
}

var levelM = [41]blocks{
	{},
	{10, 1, 16, 0}, {16, 1, 28, 0}, {26, 1, 44, 0}, {18, 2, 32, 0}, {24, 2, 43, 0},
	{16, 4, 27, 0}, {18, 4, 31, 0}, {22, 2, 38, 2}, {22, 3, 36, 2}, {26, 4, 43, 1},
	{30, 1, 50, 4}, {22, 6, 36, 2}, {22, 8, 37, 1}, {24, 4, 40, 5}, {24, 5, 41, 5},
	{28, 7, 45, 3}, {28, 10, 46, 1}, {26, 9, 43, 4}, {26, 3, 44, 11}, {26, 3, 41, 13},
	{26, 17, 42, 0}, {28, 17, 46, 0}, {28, 4, 47, 14}, {28, 6, 45, 14}, {28, 8, 47, 13},
	{28, 19, 46, 4}, {28, 22, 45, 3}, {28, 3, 45, 23}, {28, 21, 45, 7}, {28, 19, 47, 10},
	{28, 2, 46, 29}, {28, 10, 46, 23}, {28, 14, 46, 21}, {28, 14, 46, 23}, {28, 12, 47, 26},
	{28, 6, 47, 34}, {28, 29, 46, 14}, {28, 13, 46, 32}, {28, 40, 47, 7}, {28, 18, 47, 31},
}

// dataCodewords is how many data codewords a version holds at level M.
func dataCodewords(version int) int {
	b := levelM[version]
	return b.n1*b.d1 + b.n2*(b.d1+1)
}

// alignment lists the row and column centres of the alignment patterns of
// each version (ISO/IEC 18004 annex E).
var alignment = [41][]int{
	{}, {},
	{6, 18}, {6, 22}, {6, 26}, {6, 30}, {6, 34},
	{6, 22, 38}, {6, 24, 42}, {6, 26, 46}, {6, 28, 50}, {6, 30, 54}, {6, 32, 58}, {6, 34, 62},
	{6, 26, 46, 66}, {6, 26, 48, 70}, {6, 26, 50, 74}, {6, 30, 54, 78}, {6, 30, 56, 82}, {6, 30, 58, 86}, {6, 34, 62, 90},
	{6, 28, 50, 72, 94}, {6, 26, 50, 74, 98}, {6, 30, 54, 78, 102}, {6, 28, 54, 80, 106}, {6, 32, 58, 84, 110}, {6, 30, 58, 86, 114}, {6, 34, 62, 90, 118},
	{6, 26, 50, 74, 98, 122}, {6, 30, 54, 78, 102, 126}, {6, 26, 52, 78, 104, 130}, {6, 30, 56, 82, 108, 134}, {6, 34, 60, 86, 112, 138}, {6, 30, 58, 86, 114, 142}, {6, 34, 62, 90, 118, 146},
	{6, 30, 54, 78, 102, 126, 150}, {6, 24, 50, 76, 102, 128, 154}, {6, 28, 54, 80, 106, 132, 158}, {6, 32, 58, 84, 110, 136, 162}, {6, 26, 54, 82, 110, 138, 166}, {6, 30, 58, 86, 114, 142, 170},
}

// codewords turns the data stream into the final codeword sequence: the
// terminator and padding, then the data split into blocks, each block's
// Reed–Solomon error-correction codewords, and the blocks interleaved.
func codewords(version int, b *bitBuffer) []byte {
	data := padData(version, b)
	bl := levelM[version]
	var dataBlocks, ecBlocks [][]byte
	off := 0
	for i := 0; i < bl.n1+bl.n2; i++ {
		n := bl.d1
		if i >= bl.n1 {
			n++
		}
		blk := data[off : off+n]
		off += n
		dataBlocks = append(dataBlocks, blk)
		ecBlocks = append(ecBlocks, rsRemainder(blk, bl.ec))
	}
	out := make([]byte, 0, len(data)+bl.ec*(bl.n1+bl.n2))
	for i := 0; i <= bl.d1; i++ {
		for _, blk := range dataBlocks {
			if i < len(blk) {
				out = append(out, blk[i])
			}
		}
	}
	for i := 0; i < bl.ec; i++ {
		for _, blk := range ecBlocks {
			out = append(out, blk[i])
		}
	}
	return out
}

// padData ends the bit stream with the terminator, fills the last byte with
// zeros and the remaining capacity with the pad bytes 0xEC and 0x11.
func padData(version int, b *bitBuffer) []byte {
	capBits := 8 * dataCodewords(version)
	bits := append([]bool(nil), b.bits...)
	for i := 0; i < 4 && len(bits) < capBits; i++ {
		bits = append(bits, false)
	}
	for len(bits)%8 != 0 {
		bits = append(bits, false)
	}
	out := make([]byte, 0, capBits/8)
	for i := 0; i < len(bits); i += 8 {
		var c byte
		for j := 0; j < 8; j++ {
			if bits[i+j] {
				c |= 0x80 >> j
			}
		}
		out = append(out, c)
	}
	for pad := byte(0xEC); len(out) < capBits/8; pad ^= 0xEC ^ 0x11 {
		out = append(out, pad)
	}
	return out
}

// build lays out a symbol of the version holding the data stream b, with
// the given mask, or the best one when mask is -1.
func build(version int, b *bitBuffer, mask int) *Code {
	m := newMatrix(version)
	m.placeData(codewords(version, b))
	if mask < 0 {
		best := -1
		for k := 0; k < 8; k++ {
			trial := m.masked(k)
			if p := trial.penalty(); best < 0 || p < best {
				best, mask = p, k
			}
		}
	}
	final := m.masked(mask)
	return &Code{Version: version, Size: final.size, Mask: mask, dark: final.dark}
}
