package qr

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// numeric returns the numeric-mode data stream of digits for versions 1-9:
// the ISO/IEC 18004 worked example is "01234567" in numeric mode at 1-M.
func numeric(digits string) *bitBuffer {
	var b bitBuffer
	b.append(0b0001, 4)
	b.append(uint32(len(digits)), 10)
	for i := 0; i < len(digits); i += 3 {
		group := digits[i:min(i+3, len(digits))]
		var v uint32
		for _, c := range group {
			v = v*10 + uint32(c-'0')
		}
		b.append(v, []int{0, 4, 7, 10}[len(group)])
	}
	return &b
}

func TestISOWorkedExample(t *testing.T) {
	// ISO/IEC 18004 annex I: "01234567", version 1, level M.
	wantData := []byte{16, 32, 12, 86, 97, 128, 236, 17, 236, 17, 236, 17, 236, 17, 236, 17}
	wantEC := []byte{165, 36, 212, 193, 237, 54, 199, 135, 44, 85}
	data := padData(1, numeric("01234567"))
	if !bytes.Equal(data, wantData) {
		t.Fatalf("data codewords = %v, want %v", data, wantData)
	}
	if ec := rsRemainder(data, 10); !bytes.Equal(ec, wantEC) {
		t.Fatalf("error-correction codewords = %v, want %v", ec, wantEC)
	}
	if cw := codewords(1, numeric("01234567")); !bytes.Equal(cw, append(wantData, wantEC...)) {
		t.Errorf("codewords(1) = %v, want data then EC", cw)
	}
	c := build(1, numeric("01234567"), -1)
	checkStructure(t, c)
	golden(t, "iso-01234567", c)
	if got := zbar(t, c); got != "" && got != "01234567" {
		t.Errorf("zbarimg read %q, want 01234567", got)
	}
}

func TestFormatBits(t *testing.T) {
	// ISO/IEC 18004 table C.1, level M.
	want := []string{
		"101010000010010", "101000100100101", "101111001111100", "101101101001011",
		"100010111111001", "100000011001110", "100111110010111", "100101010100000",
	}
	for mask, w := range want {
		if got := fmt.Sprintf("%015b", formatBits(mask)); got != w {
			t.Errorf("formatBits(%d) = %s, want %s", mask, got, w)
		}
	}
}

func TestVersionBits(t *testing.T) {
	// ISO/IEC 18004 table D.1.
	want := map[int]uint32{7: 0x07C94, 8: 0x085BC, 10: 0x0A4D3, 20: 0x149A6, 40: 0x28C69}
	for v, w := range want {
		if got := versionBits(v); got != w {
			t.Errorf("versionBits(%d) = %#05x, want %#05x", v, got, w)
		}
	}
}

// TestCapacity checks the block table against the layout: the modules left
// for data in each version hold exactly its codewords, plus 0, 3, 4 or 7
// remainder bits.
func TestCapacity(t *testing.T) {
	wantTotal := []int{0, 26, 44, 70, 100, 134, 172, 196, 242, 292, 346, 404, 466, 532, 581, 655, 733, 815, 901, 991, 1085,
		1156, 1258, 1364, 1474, 1588, 1706, 1828, 1921, 2051, 2185, 2323, 2465, 2611, 2761, 2876, 3034, 3196, 3362, 3532, 3706}
	for v := 1; v <= 40; v++ {
		m := newMatrix(v)
		free := 0
		for _, f := range m.function {
			if !f {
				free++
			}
		}
		bl := levelM[v]
		total := dataCodewords(v) + bl.ec*(bl.n1+bl.n2)
		if free/8 != total || total != wantTotal[v] {
			t.Errorf("version %d: %d free modules (%d codewords), blocks give %d, want %d", v, free, free/8, total, wantTotal[v])
		}
		if r := free % 8; r != 0 && r != 3 && r != 4 && r != 7 {
			t.Errorf("version %d: %d remainder bits", v, r)
		}
	}
	// Level M byte capacities from ISO/IEC 18004 table 7.
	for v, want := range map[int]int{1: 14, 2: 26, 5: 84, 10: 213, 40: 2331} {
		c, err := Encode(bytes.Repeat([]byte("a"), want))
		if err != nil || c.Version != v {
			t.Errorf("Encode(%d bytes) = version %v, %v, want %d", want, versionOf(c), err, v)
		}
		if c, _ := Encode(bytes.Repeat([]byte("a"), want+1)); v < 40 && versionOf(c) != v+1 {
			t.Errorf("Encode(%d bytes) = version %d, want %d", want+1, versionOf(c), v+1)
		}
	}
	if _, err := Encode(make([]byte, 2332)); err != ErrTooLong {
		t.Errorf("Encode(2332 bytes) = %v, want ErrTooLong", err)
	}
}

func versionOf(c *Code) int {
	if c == nil {
		return 0
	}
	return c.Version
}

// samples are byte-mode inputs that cover small and large versions.
var samples = []string{
	"",
	"a",
	"HELLO WORLD",
	"otpauth://totp/Safeguard:admin@riverside.example?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Safeguard&algorithm=SHA1&digits=6&period=30",
	"otpauth://totp/Safeguard:someone.with.a.rather.long.address%2Bmfa@a-very-long-hospital-domain.example.org?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Safeguard&algorithm=SHA1&digits=6&period=30",
}

func TestStructure(t *testing.T) {
	inputs := append([]string(nil), samples...)
	for _, n := range []int{30, 60, 100, 150, 250, 400, 700, 1000, 1500, 2331} {
		inputs = append(inputs, text(n))
	}
	seen := map[int]bool{}
	for _, in := range inputs {
		c, err := Encode([]byte(in))
		if err != nil {
			t.Fatalf("Encode(%d bytes) = %v", len(in), err)
		}
		seen[c.Version] = true
		t.Run(fmt.Sprintf("v%d-%dB", c.Version, len(in)), func(t *testing.T) {
			checkStructure(t, c)
			if got := readBytePayload(t, c); got != in {
				t.Errorf("payload read back = %q, want %q", got, in)
			}
		})
	}
	if len(seen) < 8 {
		t.Errorf("samples reached only versions %v", seen)
	}
}

// text is n bytes of printable ASCII.
func text(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%d:Safeguard/", i)
	}
	return b.String()[:n]
}

// checkStructure verifies a symbol without a decoder: finder and timing
// patterns, both copies of the format information (a valid BCH code word
// naming level M and the symbol's mask), the version information, and the
// Reed–Solomon check of every block read back from the modules.
func checkStructure(t *testing.T, c *Code) {
	t.Helper()
	n := c.Size
	if n != 17+4*c.Version {
		t.Fatalf("size %d for version %d", n, c.Version)
	}
	for _, o := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
		for dy := -1; dy <= 7; dy++ {
			for dx := -1; dx <= 7; dx++ {
				x, y := o[0]+dx, o[1]+dy
				if x < 0 || y < 0 || x >= n || y >= n {
					continue
				}
				ring := max(abs(dx-3), abs(dy-3))
				want := ring == 0 || ring == 1 || ring == 3
				if c.Dark(x, y) != want {
					t.Fatalf("finder at %v: module (%d,%d) dark=%t, want %t", o, x, y, !want, want)
				}
			}
		}
	}
	for i := 8; i < n-8; i++ {
		if c.Dark(i, 6) != (i%2 == 0) || c.Dark(6, i) != (i%2 == 0) {
			t.Fatalf("timing pattern broken at %d", i)
		}
	}
	if !c.Dark(8, n-8) {
		t.Error("the dark module beside the bottom-left finder is light")
	}
	// Format information, read the way a decoder reads it.
	var f1, f2 uint32
	readBit := func(v *uint32, i int, x, y int) {
		if c.Dark(x, y) {
			*v |= 1 << uint(i)
		}
	}
	for i := 0; i <= 5; i++ {
		readBit(&f1, i, 8, i)
	}
	readBit(&f1, 6, 8, 7)
	readBit(&f1, 7, 8, 8)
	readBit(&f1, 8, 7, 8)
	for i := 9; i < 15; i++ {
		readBit(&f1, i, 14-i, 8)
	}
	for i := 0; i < 8; i++ {
		readBit(&f2, i, n-1-i, 8)
	}
	for i := 8; i < 15; i++ {
		readBit(&f2, i, 8, n-15+i)
	}
	if f1 != f2 {
		t.Fatalf("format copies differ: %015b, %015b", f1, f2)
	}
	unmasked := f1 ^ 0x5412
	if bchRemainder(unmasked, 0x537, 10) != 0 {
		t.Fatalf("format information %015b is not a BCH(15,5) code word", f1)
	}
	if level, mask := unmasked>>13, int(unmasked>>10&7); level != 0 || mask != c.Mask {
		t.Fatalf("format says level %02b mask %d, want 00 (M) and %d", level, mask, c.Mask)
	}
	if c.Version >= 7 {
		var v1, v2 uint32
		for i := 0; i < 18; i++ {
			readBit(&v1, i, n-11+i%3, i/3)
			readBit(&v2, i, i/3, n-11+i%3)
		}
		if v1 != v2 || int(v1>>12) != c.Version || bchRemainder(v1, 0x1F25, 12) != 0 {
			t.Fatalf("version information %018b / %018b, want version %d with a valid BCH(18,6) code", v1, v2, c.Version)
		}
	}
	// Every block's codewords, read back and de-interleaved, must have zero
	// syndromes.
	for i, blk := range readBlocks(t, c) {
		ec := levelM[c.Version].ec
		for j := 0; j < ec; j++ {
			var s byte
			for _, b := range blk {
				s = gfMul(s, gfExp[j]) ^ b
			}
			if s != 0 {
				t.Fatalf("block %d: syndrome %d is %d, want 0", i, j, s)
			}
		}
	}
}

// readBlocks reads the codewords from the modules in placement order,
// removes the mask, and de-interleaves them into blocks (data then EC).
func readBlocks(t *testing.T, c *Code) [][]byte {
	t.Helper()
	fn := newMatrix(c.Version).function
	n := c.Size
	var bits []bool
	for right, up := n-1, true; right > 0; right, up = right-2, !up {
		if right == 6 {
			right--
		}
		for k := 0; k < n; k++ {
			y := n - 1 - k
			if !up {
				y = k
			}
			for x := right; x >= right-1; x-- {
				if fn[y*n+x] {
					continue
				}
				bits = append(bits, c.Dark(x, y) != maskFuncs[c.Mask](x, y))
			}
		}
	}
	raw := make([]byte, len(bits)/8)
	for i := range raw {
		for j := 0; j < 8; j++ {
			if bits[8*i+j] {
				raw[i] |= 0x80 >> j
			}
		}
	}
	bl := levelM[c.Version]
	nb := bl.n1 + bl.n2
	blocks := make([][]byte, nb)
	k := 0
	for i := 0; i <= bl.d1; i++ {
		for b := 0; b < nb; b++ {
			size := bl.d1
			if b >= bl.n1 {
				size++
			}
			if i < size {
				blocks[b] = append(blocks[b], raw[k])
				k++
			}
		}
	}
	for i := 0; i < bl.ec; i++ {
		for b := 0; b < nb; b++ {
			blocks[b] = append(blocks[b], raw[k])
			k++
		}
	}
	return blocks
}

// readBytePayload decodes the byte-mode segment from the blocks' data.
func readBytePayload(t *testing.T, c *Code) string {
	t.Helper()
	var data []byte
	ec := levelM[c.Version].ec
	for _, blk := range readBlocks(t, c) {
		data = append(data, blk[:len(blk)-ec]...)
	}
	bit := func(i int) uint32 { return uint32(data[i/8]>>uint(7-i%8)) & 1 }
	read := func(pos *int, n int) uint32 {
		var v uint32
		for i := 0; i < n; i++ {
			v = v<<1 | bit(*pos)
			*pos++
		}
		return v
	}
	pos := 0
	if mode := read(&pos, 4); mode != 0b0100 {
		t.Fatalf("mode indicator %04b, want byte mode 0100", mode)
	}
	count := int(read(&pos, countBits(c.Version)))
	out := make([]byte, count)
	for i := range out {
		out[i] = byte(read(&pos, 8))
	}
	return string(out)
}

// golden compares the symbol with testdata/name.txt ('#' dark, '.' light),
// a matrix that zbarimg decoded when it was written with -update.
func golden(t *testing.T, name string, c *Code) {
	t.Helper()
	var b strings.Builder
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if c.Dark(x, y) {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteByte('\n')
	}
	path := filepath.Join("testdata", name+".txt")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("symbol differs from %s:\n%s", path, b.String())
	}
}

// zbar decodes the symbol with zbarimg (Debian's zbar-tools), an
// independent decoder, and returns what it read; "" when zbarimg is not
// installed, except in CI (CI=true), which installs it.
func zbar(t *testing.T, c *Code) string {
	t.Helper()
	path, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("zbarimg not found, and CI requires the QR decoding tests to run")
		}
		return ""
	}
	file := filepath.Join(t.TempDir(), "code.png")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, c.Image(4)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", file).Output()
	if err != nil {
		t.Fatalf("zbarimg could not read the version %d symbol: %v", c.Version, err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

func TestZbarReadsEveryVersion(t *testing.T) {
	if _, err := exec.LookPath("zbarimg"); err != nil && os.Getenv("CI") != "true" {
		t.Skip("zbarimg not installed (Debian package zbar-tools)")
	}
	inputs := append([]string(nil), samples[1:]...)
	// The largest byte count of each version, so every version is drawn.
	for v := 1; v <= 40; v++ {
		inputs = append(inputs, text((8*dataCodewords(v)-4-countBits(v))/8))
	}
	for _, in := range inputs {
		c, err := Encode([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprintf("v%d-%dB", c.Version, len(in)), func(t *testing.T) {
			t.Parallel()
			if got := zbar(t, c); got != in {
				t.Errorf("zbarimg read %q, want %q", got, in)
			}
		})
	}
}

func TestEveryMaskDecodes(t *testing.T) {
	if _, err := exec.LookPath("zbarimg"); err != nil && os.Getenv("CI") != "true" {
		t.Skip("zbarimg not installed (Debian package zbar-tools)")
	}
	in := samples[3]
	for mask := 0; mask < 8; mask++ {
		var b bitBuffer
		b.append(0b0100, 4)
		b.append(uint32(len(in)), 8)
		for _, c := range []byte(in) {
			b.append(uint32(c), 8)
		}
		c := build(8, &b, mask)
		checkStructure(t, c)
		if got := zbar(t, c); got != in {
			t.Errorf("mask %d: zbarimg read %q", mask, got)
		}
	}
}

func TestSVG(t *testing.T) {
	c, err := Encode([]byte("HELLO WORLD"))
	if err != nil {
		t.Fatal(err)
	}
	svg := c.SVG()
	n := c.Size + 8
	if !strings.HasPrefix(svg, fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d"`, n, n)) || !strings.HasSuffix(svg, "</svg>") {
		t.Fatalf("SVG() = %.120s...", svg)
	}
	// Redraw the path's rectangles and compare with the modules.
	d := svg[strings.Index(svg, ` d="`)+4:]
	d = d[:strings.Index(d, `"`)]
	got := make([]bool, c.Size*c.Size)
	for _, cmd := range strings.Split(strings.TrimSuffix(d, "z"), "z") {
		var x, y, w, w2 int
		if _, err := fmt.Sscanf(cmd, "M%d %dh%dv1h-%d", &x, &y, &w, &w2); err != nil || w != w2 {
			t.Fatalf("path command %q: %v", cmd, err)
		}
		for i := 0; i < w; i++ {
			got[(y-QuietZone)*c.Size+x-QuietZone+i] = true
		}
	}
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if got[y*c.Size+x] != c.Dark(x, y) {
				t.Fatalf("SVG module (%d,%d) = %t, want %t", x, y, got[y*c.Size+x], c.Dark(x, y))
			}
		}
	}
	// The bitmap has the quiet zone and the modules at the scale asked.
	img := c.Image(3)
	if b := img.Bounds(); b.Dx() != n*3 {
		t.Errorf("Image(3) is %d pixels wide, want %d", b.Dx(), n*3)
	}
	if img.GrayAt(0, 0).Y != 0xff || img.GrayAt(QuietZone*3, QuietZone*3).Y != 0 {
		t.Error("Image(3): quiet zone not light, or top-left finder not dark")
	}
}

func FuzzEncode(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Encode(data)
		if len(data) > 2331 {
			if err != ErrTooLong {
				t.Fatalf("Encode(%d bytes) = %v, want ErrTooLong", len(data), err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		checkStructure(t, c)
		if got := readBytePayload(t, c); got != string(data) {
			t.Fatalf("payload read back = %q, want %q", got, data)
		}
	})
}
