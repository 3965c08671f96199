package qr

// matrix is a symbol being built: its modules, and which of them belong to
// function patterns (finders, timing, alignment, format and version
// information) rather than to the data.
type matrix struct {
	version  int
	size     int
	dark     []bool
	function []bool
}

func (m *matrix) set(x, y int, dark bool) {
	m.dark[y*m.size+x] = dark
	m.function[y*m.size+x] = true
}

func (m *matrix) at(x, y int) bool { return m.dark[y*m.size+x] }

// newMatrix draws the function patterns of a version, with the format
// information area reserved (drawn for mask 0; masked draws the real one).
func newMatrix(version int) *matrix {
	size := 17 + 4*version
	m := &matrix{version: version, size: size, dark: make([]bool, size*size), function: make([]bool, size*size)}
	// Timing patterns along row 6 and column 6; the finders cover their ends.
	for i := 0; i < size; i++ {
		m.set(6, i, i%2 == 0)
		m.set(i, 6, i%2 == 0)
	}
	// Finder patterns with their light separators.
	for _, c := range [][2]int{{3, 3}, {size - 4, 3}, {3, size - 4}} {
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x < 0 || y < 0 || x >= size || y >= size {
					continue
				}
				d := max(abs(dx), abs(dy))
				m.set(x, y, d != 2 && d != 4)
			}
		}
	}
	// Alignment patterns, except where they would overlap a finder.
	pos := alignment[version]
	for i, cy := range pos {
		for j, cx := range pos {
			last := len(pos) - 1
			if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) {
				continue
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					m.set(cx+dx, cy+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	m.drawFormat(0)
	if version >= 7 {
		bits := versionBits(version)
		for i := 0; i < 18; i++ {
			dark := bits>>uint(i)&1 == 1
			a, b := size-11+i%3, i/3
			m.set(a, b, dark) // left of the top-right finder
			m.set(b, a, dark) // above the bottom-left finder
		}
	}
	return m
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// drawFormat writes the format information for level M and mask in both of
// its places, and the dark module beside the bottom-left finder.
func (m *matrix) drawFormat(mask int) {
	bits := formatBits(mask)
	bit := func(i int) bool { return bits>>uint(i)&1 == 1 }
	// Around the top-left finder: bits 0-7 down column 8 (skipping the
	// timing row), bits 8-14 leftwards along row 8 (skipping the timing
	// column).
	for i := 0; i <= 5; i++ {
		m.set(8, i, bit(i))
	}
	m.set(8, 7, bit(6))
	m.set(8, 8, bit(7))
	m.set(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		m.set(14-i, 8, bit(i))
	}
	// The second copy: bits 0-7 along row 8 from the right edge, bits 8-14
	// down column 8 towards the bottom edge.
	for i := 0; i < 8; i++ {
		m.set(m.size-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		m.set(8, m.size-15+i, bit(i))
	}
	m.set(8, m.size-8, true)
}

// formatBits is the 15-bit format information for level M (indicator 00)
// and the mask: five data bits, ten BCH(15,5) check bits, XOR 0x5412.
func formatBits(mask int) uint32 {
	data := uint32(0b00<<3 | mask)
	return (data<<10 | bchRemainder(data<<10, 0x537, 10)) ^ 0x5412
}

// versionBits is the 18-bit version information: six data bits and twelve
// BCH(18,6) check bits.
func versionBits(version int) uint32 {
	v := uint32(version)
	return v<<12 | bchRemainder(v<<12, 0x1F25, 12)
}

// bchRemainder is the remainder of the polynomial v divided by gen over
// GF(2), where gen has degree deg.
func bchRemainder(v, gen uint32, deg int) uint32 {
	for i := 31; i >= deg; i-- {
		if v>>uint(i)&1 == 1 {
			v ^= gen << uint(i-deg)
		}
	}
	return v
}

// placeData writes the codewords into the non-function modules: two columns
// at a time from the right, upwards then downwards in turn, skipping the
// vertical timing column. Modules left over (the remainder bits) stay light.
func (m *matrix) placeData(data []byte) {
	i, total := 0, 8*len(data)
	up := true
	for right := m.size - 1; right > 0; right -= 2 {
		if right == 6 {
			right = 5
		}
		for k := 0; k < m.size; k++ {
			y := k
			if up {
				y = m.size - 1 - k
			}
			for _, x := range [2]int{right, right - 1} {
				if m.function[y*m.size+x] {
					continue
				}
				if i < total {
					m.dark[y*m.size+x] = data[i/8]>>uint(7-i%8)&1 == 1
					i++
				}
			}
		}
		up = !up
	}
}

// maskFuncs are the eight data mask patterns; a module is inverted where
// the pattern is true (x is the column, y the row).
var maskFuncs = [8]func(x, y int) bool{
	func(x, y int) bool { return (x+y)%2 == 0 },
	func(x, y int) bool { return y%2 == 0 },
	func(x, y int) bool { return x%3 == 0 },
	func(x, y int) bool { return (x+y)%3 == 0 },
	func(x, y int) bool { return (y/2+x/3)%2 == 0 },
	func(x, y int) bool { return x*y%2+x*y%3 == 0 },
	func(x, y int) bool { return (x*y%2+x*y%3)%2 == 0 },
	func(x, y int) bool { return ((x+y)%2+x*y%3)%2 == 0 },
}

// masked returns a copy of m with the mask applied to the data modules and
// the format information for it drawn.
func (m *matrix) masked(mask int) *matrix {
	c := &matrix{version: m.version, size: m.size, dark: append([]bool(nil), m.dark...), function: append([]bool(nil), m.function...)}
	f := maskFuncs[mask]
	for y := 0; y < c.size; y++ {
		for x := 0; x < c.size; x++ {
			if !c.function[y*c.size+x] && f(x, y) {
				c.dark[y*c.size+x] = !c.dark[y*c.size+x]
			}
		}
	}
	c.drawFormat(mask)
	return c
}

// Penalty weights of ISO/IEC 18004 section 7.8.3.
const (
	penaltyRun     = 3  // N1: five or more modules of one colour in a line
	penaltyBlock   = 3  // N2: a 2x2 block of one colour
	penaltyFinder  = 40 // N3: 1:1:3:1:1 with four light modules on a side
	penaltyBalance = 10 // N4: per 5% away from half dark
)

// penalty scores how hard the symbol is to read; the mask with the lowest
// score is used.
func (m *matrix) penalty() int {
	p := 0
	n := m.size
	line := make([]bool, n)
	for _, vertical := range []bool{false, true} {
		for a := 0; a < n; a++ {
			for b := 0; b < n; b++ {
				if vertical {
					line[b] = m.at(a, b)
				} else {
					line[b] = m.at(b, a)
				}
			}
			p += linePenalty(line)
		}
	}
	for y := 0; y+1 < n; y++ {
		for x := 0; x+1 < n; x++ {
			c := m.at(x, y)
			if c == m.at(x+1, y) && c == m.at(x, y+1) && c == m.at(x+1, y+1) {
				p += penaltyBlock
			}
		}
	}
	dark := 0
	for _, d := range m.dark {
		if d {
			dark++
		}
	}
	// k is how many whole 5% steps the dark share lies away from 50%.
	total := n * n
	k := abs(dark*20-total*10) / total
	p += penaltyBalance * k
	return p
}

var finderLike = [2][11]bool{
	{true, false, true, true, true, false, true, false, false, false, false},
	{false, false, false, false, true, false, true, true, true, false, true},
}

// linePenalty scores one row or column for rules N1 and N3.
func linePenalty(line []bool) int {
	p := 0
	run := 1
	for i := 1; i <= len(line); i++ {
		if i < len(line) && line[i] == line[i-1] {
			run++
			continue
		}
		if run >= 5 {
			p += penaltyRun + run - 5
		}
		run = 1
	}
	for i := 0; i+11 <= len(line); i++ {
		for _, pat := range finderLike {
			match := true
			for j := 0; j < 11; j++ {
				if line[i+j] != pat[j] {
					match = false
					break
				}
			}
			if match {
				p += penaltyFinder
			}
		}
	}
	return p
}
