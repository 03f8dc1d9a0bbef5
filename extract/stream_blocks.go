package extract

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// This file holds the structural index, the way simdjson's first stage
// indexes a document. After a refill, the first scan step that wants it
// indexes the rest of the buffer in 64-byte blocks (block_amd64.s with
// AVX2 and PCLMULQDQ, or indexBlocksGo): per block, the quotes that no
// backslash escapes (odd-backslash runs) and the brackets outside strings
// (a prefix XOR of those quotes, a carry-less multiply in the assembly).
// The in-string and escape state is carried from block to block; the last,
// partial block is indexed from a copy padded with spaces, so any buffer
// size works, and a bit depends only on the bytes before it, so the bits
// up to the buffer's end are exact whatever comes after.
//
// The scanner then goes from bit to bit: a string ends at the next quote
// bit (ixQuote), and an unselected object or array is skipped by visiting
// only its brackets (ixSkip), with the same bit stack, depth limit and
// mismatch checks as the byte loop of skipFast, so that both give the same
// errors at the same offsets. It looks at bytes only for keys and values
// that a selector needs.
//
// An index always starts at a byte outside any string (the quote of a
// key, a value or a bracket), so its strings are the scanner's. It stops
// at a backslash outside a string (never in valid JSON): there the byte
// loop reads the backslash as an ordinary byte and the masks would not, so
// from it on the byte loop decides. A refill invalidates the index.

// Ways of indexing a block (streamScanner.blocks).
const (
	blocksOff  = iota // no index: the byte loop alone (no AVX2, or the purego tag)
	blocksAVX2        // indexBlocksAVX2
	blocksGo          // indexBlocksGo: the same algorithm in Go, for tests
)

// defaultBlocks is how a new scanner indexes: with AVX2 where the CPU has
// it. The pure-Go index costs more than it saves, so without AVX2 the byte
// loop runs alone.
func defaultBlocks() uint8 {
	if haveAVX2 {
		return blocksAVX2
	}
	return blocksOff
}

// index is the structural index of buf[lo:hi] (see above).
type index struct {
	lo, hi int      // word k covers buf[lo+64k:]; bits at hi and after mean nothing
	open   int      // with hi == end: the opening quote of a string still open there, or -1
	quotes []uint64 // unescaped quotes; empty when stale (no index since the last refill)
	brack  []uint64 // brackets outside strings
	odd    []uint64 // backslashes, control characters and non-ASCII bytes: what a strict string must look at
	tail   [64]byte // the last, partial block, padded with spaces
}

// covers reports whether the index is fresh and has buf[i]; unlike ixAt
// it builds nothing, and it inlines.
func (x *index) covers(i int) bool {
	return len(x.quotes) > 0 && i >= x.lo && i < x.hi
}

// ixAt reports whether the index covers buf[i], building it from i if
// needed. i must be outside any string: a quote, a bracket or the start
// of a token.
func (s *streamScanner) ixAt(i int) bool {
	x := &s.ix
	ok := len(x.quotes) > 0
	if ok && i >= x.lo && i < x.hi {
		return true
	}
	if s.blocks == blocksOff || i >= s.end || ok && i >= x.lo && x.hi == s.end {
		return false // no index, or nothing after it in the buffer
	}
	// Not built since the refill, behind i, or stopped at a stray
	// backslash before i: (re)build from i. After a stray backslash the
	// next build starts past it, so each byte is indexed about once.
	s.buildIndex(i)
	return i < x.hi
}

// buildIndex indexes buf[i:end].
func (s *streamScanner) buildIndex(i int) {
	x := &s.ix
	n := s.end - i
	full, words := n/64, (n+63)/64
	if cap(x.quotes) < words {
		x.quotes = make([]uint64, words, max(words, len(s.buf)/64+1))
		x.brack = make([]uint64, words, cap(x.quotes))
		x.odd = make([]uint64, words, cap(x.quotes))
	}
	x.quotes, x.brack, x.odd = x.quotes[:words], x.brack[:words], x.odd[:words]
	x.lo, x.hi, x.open = i, s.end, -1
	var st [3]uint64
	if full > 0 {
		if k := s.indexBlocks(s.buf[i:s.end], full, x.quotes, x.brack, x.odd, &st); k < full {
			x.hi = i + 64*k + bits.TrailingZeros64(st[2])
			return
		}
	}
	if full < words {
		t := &x.tail
		m := copy(t[:], s.buf[i+64*full:s.end])
		for j := m; j < len(t); j++ {
			t[j] = ' '
		}
		if s.indexBlocks(t[:], 1, x.quotes[full:], x.brack[full:], x.odd[full:], &st) == 0 {
			x.hi = i + 64*full + bits.TrailingZeros64(st[2])
			return
		}
	}
	if st[0] != 0 { // a string is open at the end: its quote is the last one
		for w := words - 1; w >= 0; w-- {
			if q := x.quotes[w]; q != 0 {
				x.open = i + 64*w + 63 - bits.LeadingZeros64(q)
				break
			}
		}
	}
}

// indexBlocks indexes the first n blocks of b into quotes and brackets;
// see indexBlocksAVX2 for st and the result.
func (s *streamScanner) indexBlocks(b []byte, n int, quotes, brackets, odd []uint64, st *[3]uint64) int {
	if s.blocks == blocksAVX2 {
		_ = b[64*n-1]
		_, _, _ = quotes[n-1], brackets[n-1], odd[n-1]
		return indexBlocksAVX2(unsafe.SliceData(b), n, unsafe.SliceData(quotes), unsafe.SliceData(brackets), unsafe.SliceData(odd), st)
	}
	return indexBlocksGo(b, n, quotes, brackets, odd, st)
}

// plainShort is plain for a span within one word, the common case, small
// enough to inline; for a longer span it reports false.
func (x *index) plainShort(i, j int) bool {
	a := uint(i - x.lo)
	w := a >> 6
	return w < uint(len(x.odd)) && uint(j-i) <= 64-a&63 && x.odd[w]>>(a&63)&(1<<uint(j-i)-1) == 0
}

// plain reports whether buf[i:j] has no odd byte (see index.odd). The
// index must cover it.
func (x *index) plain(i, j int) bool {
	a, b := uint(i-x.lo), uint(j-x.lo)
	if a >= b {
		return true
	}
	wa, wb := a>>6, (b-1)>>6
	if wb >= uint(len(x.odd)) {
		return false
	}
	lo := ^uint64(0) << (a & 63)
	hi := ^uint64(0) >> (63 - (b-1)&63)
	if wa == wb {
		return x.odd[wa]&lo&hi == 0
	}
	if x.odd[wa]&lo != 0 || x.odd[wb]&hi != 0 {
		return false
	}
	for w := wa + 1; w < wb; w++ {
		if x.odd[w] != 0 {
			return false
		}
	}
	return true
}

// closeQuote returns the index of the quote that closes the string whose
// opening quote is at i, or -1 if the index does not have it (no index, or
// the string goes on past the buffer). The common case, the quote in the
// same word (quoteInWord), is inlined into callers.
func (s *streamScanner) closeQuote(i int) int {
	if q := s.ix.quoteInWord(i); q >= 0 {
		return q
	}
	return s.closeQuoteSlow(i)
}

// quoteInWord is closeQuote when the closing quote is in the index word of
// i+1, or -1.
func (x *index) quoteInWord(i int) int {
	if off := uint(i + 1 - x.lo); off>>6 < uint(len(x.quotes)) { // a stale index has no words
		if m := x.quotes[off>>6] >> (off & 63); m != 0 {
			if q := i + 1 + bits.TrailingZeros64(m); q < x.hi {
				return q
			}
		}
	}
	return -1
}

func (s *streamScanner) closeQuoteSlow(i int) int {
	if !s.ixAt(i) {
		return -1
	}
	return s.ixQuote(i)
}

// invalidate marks the index stale: the buffer's bytes are about to move.
func (x *index) invalidate() { x.quotes, x.brack = x.quotes[:0], x.brack[:0] }

// ixQuote returns the index of the quote that closes the string opening at
// i, or -1 if it is not in the index. ixAt(i) must hold.
func (s *streamScanner) ixQuote(i int) int {
	x := &s.ix
	off := i + 1 - x.lo
	w := off >> 6
	if w >= len(x.quotes) {
		return -1
	}
	m := x.quotes[w] &^ (1<<(off&63) - 1)
	for m == 0 {
		if w++; w >= len(x.quotes) {
			return -1
		}
		m = x.quotes[w]
	}
	if q := x.lo + w<<6 + bits.TrailingZeros64(m); q < x.hi {
		return q
	}
	return -1
}

// ixSkip visits the brackets of the index from buf[i] at depth d, for the
// subtree that ends when the depth is back to d0. It returns where the
// byte loop takes over (or, done, the index after the subtree's closing
// bracket) and the depth there; err is a nesting or mismatch error.
// ixAt(i) must hold.
//
// From the subtree's opening bracket (d == d0), bracketRun tries first:
// it keeps the kinds of the open containers in a register, not in the bit
// stack, and leaves nothing behind, so that what it cannot decide (the
// subtree goes on past the index, more than 64 levels or the depth limit,
// a mismatch) is walked again from i by ixSkipStack, on the bit stack,
// which gives skipFast's errors at skipFast's offsets.
func (s *streamScanner) ixSkip(i, d, d0 int) (next, depth int, done bool, err error) {
	if x := &s.ix; d == d0 {
		off := i - x.lo
		if k, ok := bracketRun(x.brack, s.buf[x.lo:], x.hi-x.lo, off>>6, x.brack[off>>6]&^(1<<(off&63)-1), min(64, maxDepth-d)); ok {
			return x.lo + k + 1, d, true, nil
		}
	}
	return s.ixSkipStack(i, d, d0)
}

// bracketRunGo visits the brackets of brack from word w, whose bits still to
// visit are m, over buf (index 0 the index's lo) up to hi, for a subtree
// whose opening bracket comes first. It keeps the kinds of the open
// containers in st (bit 0 the innermost, 1 for an object), r of them, and
// returns the subtree's closing bracket k and ok. It returns !ok, and the
// caller walks the subtree on the bit stack, at hi, at a mismatch, at a
// level closing that it did not open, or when r would pass lim.
// bracketRun calls it, or its copy in assembly (bracketRunAMD64).
func bracketRunGo(brack []uint64, buf []byte, hi, w int, m uint64, lim int) (k int, ok bool) {
	base := w << 6
	var st uint64
	r := 0
	for {
		for ; m != 0; m &= m - 1 {
			k = base + bits.TrailingZeros64(m)
			if k >= hi {
				return -1, false
			}
			c := buf[k]
			curly := uint64(c>>5) & 1 // '{' and '}' have bit 5, '[' and ']' do not
			if c&2 != 0 {             // '{' or '['
				if r >= lim {
					return k, false
				}
				st = st<<1 | curly
				r++
				continue
			}
			if r == 0 || st&1 != curly {
				return k, false
			}
			st >>= 1
			if r--; r == 0 {
				return k, true
			}
		}
		if w++; w >= len(brack) {
			return -1, false
		}
		base += 64
		m = brack[w]
	}
}

// ixSkipStack is ixSkip on the bit stack, one bracket at a time.
func (s *streamScanner) ixSkipStack(i, d, d0 int) (next, depth int, done bool, err error) {
	x := &s.ix
	off := i - x.lo
	w := off >> 6
	base := x.lo + w<<6
	m := x.brack[w] &^ (1<<(off&63) - 1)
	buf := s.buf
	for {
		for ; m != 0; m &= m - 1 {
			k := base + bits.TrailingZeros64(m)
			if k >= x.hi {
				goto end
			}
			c := buf[k]
			if c == '{' || c == '[' {
				if d >= maxDepth {
					s.depth = d
					return k, d, false, s.tooDeep(k)
				}
				if c == '{' {
					s.stack[d>>6] |= 1 << (d & 63)
				} else {
					s.stack[d>>6] &^= 1 << (d & 63)
				}
				d++
				continue
			}
			d--
			if obj := s.stack[d>>6]&(1<<(d&63)) != 0; obj != (c == '}') {
				s.depth = d + 1
				if obj {
					return k, d + 1, false, s.fail(k, "mismatched "+quoteChar(c)+" closing an object (want '}')")
				}
				return k, d + 1, false, s.fail(k, "mismatched "+quoteChar(c)+" closing an array (want ']')")
			}
			if d == d0 {
				return k + 1, d, true, nil
			}
		}
		if w++; w >= len(x.brack) {
			break
		}
		base += 64
		m = x.brack[w]
	}
end:
	if x.hi == s.end && x.open >= 0 {
		return x.open, d, false, nil // the byte loop reads the open string
	}
	return x.hi, d, false, nil
}

// indexBlocksGo is indexBlocksAVX2 in Go.
func indexBlocksGo(b []byte, n int, quotes, brackets, odd []uint64, st *[3]uint64) int {
	inStr, esc := st[0], st[1]
	for k := range n {
		q, bs, op, cl := blockMasksGo((*[64]byte)(b[64*k:]))
		odd[k] = bs | oddMaskGo((*[64]byte)(b[64*k:]))
		escaped := esc
		if bs|esc != 0 {
			escaped, esc = escapedChars(bs, esc)
		}
		q &^= escaped
		in := prefixXor(q) ^ inStr
		quotes[k], brackets[k] = q, (op|cl)&^in
		inStr = uint64(int64(in) >> 63)
		if stray := bs &^ in; stray != 0 {
			st[0], st[1], st[2] = inStr, esc, stray
			return k
		}
	}
	st[0], st[1] = inStr, esc
	return n
}

// escapedChars returns the bytes of a block that a backslash escapes: the
// byte after each run of backslashes of odd length (within the run, the
// backslashes escape one another in pairs). escIn is 1 if the previous
// block ended in an odd run, so that this block's first byte is escaped;
// escOut is the same for the next block. This is simdjson's
// odd-backslash-sequence computation.
func escapedChars(bslash, escIn uint64) (escaped, escOut uint64) {
	const even = 0x5555555555555555
	const odd = ^uint64(even)
	bslash &^= escIn // an escaped backslash starts no run
	starts := bslash &^ (bslash << 1)
	evenStarts := starts & even
	oddStarts := starts & odd
	evenCarries := bslash + evenStarts
	oddCarries, carry := bits.Add64(bslash, oddStarts, 0)
	evenEnds := evenCarries &^ bslash & odd // run began on an even bit, ends on an odd one: odd length
	oddEnds := oddCarries &^ bslash & even
	return evenEnds | oddEnds | escIn, carry
}

// prefixXor sets bit i to the XOR of bits 0..i: from each opening quote up
// to (not including) its closing quote.
func prefixXor(x uint64) uint64 {
	x ^= x << 1
	x ^= x << 2
	x ^= x << 4
	x ^= x << 8
	x ^= x << 16
	x ^= x << 32
	return x
}

// blockMasksGo returns, for the 64 bytes at b, the bitmasks (bit i for
// b[i]) of the quotes, the backslashes, the opening brackets { and [, and
// the closing brackets } and ], eight bytes at a time.
func blockMasksGo(b *[64]byte) (quote, bslash, open, close uint64) {
	for w := 0; w < 8; w++ {
		x := binary.LittleEndian.Uint64(b[8*w:])
		f := x | 0x20*swarLo // '[' and ']' become '{' and '}'
		quote |= gatherBytes(eqBytes(x, '"')) << (8 * w)
		bslash |= gatherBytes(eqBytes(x, '\\')) << (8 * w)
		open |= gatherBytes(eqBytes(f, '{')) << (8 * w)
		close |= gatherBytes(eqBytes(f, '}')) << (8 * w)
	}
	return quote, bslash, open, close
}

// oddMaskGo returns the bitmask of the bytes of b below 0x20 or from 0x80.
func oddMaskGo(b *[64]byte) (m uint64) {
	for w := 0; w < 8; w++ {
		x := binary.LittleEndian.Uint64(b[8*w:])
		m |= gatherBytes(eqBytes(x&(0xe0*swarLo), 0)|x&swarHi) << (8 * w)
	}
	return m
}

// eqBytes sets the high bit of exactly the bytes of x equal to c.
func eqBytes(x uint64, c byte) uint64 {
	v := x ^ (uint64(c) * swarLo)
	t := (v&^swarHi + ^uint64(swarHi)) | v // high bit set where v's byte is not zero
	return ^t & swarHi
}

// gatherBytes packs the high bits of the eight bytes of m into eight bits.
func gatherBytes(m uint64) uint64 { return (m >> 7) * 0x0102040810204080 >> 56 }

// digitRun returns how many of the eight bytes of x, from the lowest, are
// ASCII digits in a row.
func digitRun(x uint64) int {
	t := x ^ 0x30*swarLo
	nd := ((t + 0x76*swarLo) | t) & swarHi // high bit set where t > 9; carries only above the lowest such byte
	return bits.TrailingZeros64(nd) >> 3
}
