package extract

import (
	"encoding/binary"
	"math/bits"
)

// This file skips unselected objects and arrays 64 bytes at a time, the way
// simdjson's first stage indexes a document: per block, bitmasks of the
// quotes, backslashes and brackets (block_amd64.s with AVX2, or
// blockMasksGo); the quotes that a backslash escapes are dropped by the
// odd-backslash-run method; a prefix XOR of the remaining quotes marks the
// bytes inside strings; the brackets outside strings are then visited bit
// by bit, with the same bit stack, depth limit and mismatch checks as the
// byte loop of skipFast, so both give the same errors at the same offsets.
//
// The block loop only runs over whole blocks in the buffer and stops at a
// point from which the byte loop can carry on exactly: between tokens, or
// at the opening quote of a string that is still open. It also stops, and
// leaves the byte loop to decide, at a block with a backslash outside a
// string (never in valid JSON), because there the byte loop reads the
// backslash as an ordinary byte and the masks would not.

// Ways of classifying a block (streamScanner.blocks).
const (
	blocksOff  = iota // the byte loop alone (no AVX2, or the purego tag)
	blocksAVX2        // blockMasksAVX2
	blocksGo          // blockMasksGo: the same algorithm in Go, for tests
)

// defaultBlocks is how a new scanner classifies blocks: with AVX2 where
// the CPU has it. The pure-Go masks are slower than the byte loop, so
// without AVX2 the byte loop runs alone.
func defaultBlocks() uint8 {
	if haveAVX2 {
		return blocksAVX2
	}
	return blocksOff
}

// skipBlocks runs the block loop of skipFast from buf[i], at depth d, for
// the subtree that ends when the depth is back to d0. It returns where the
// byte loop takes over (or, done, the index after the subtree's closing
// bracket) and the depth there; err is a nesting or mismatch error.
func (s *streamScanner) skipBlocks(buf []byte, i, d, d0 int) (next, depth int, done bool, err error) {
	var (
		inStr    uint64 // all ones if a string is open at the block's start
		escNext  uint64 // 1 if the block's first byte is escaped
		strStart int    // where the open string's quote is, if inStr
	)
	for i+64 <= len(buf) {
		b := (*[64]byte)(buf[i : i+64])
		var quote, bslash, open, close uint64
		if s.blocks == blocksAVX2 {
			quote, bslash, open, close = blockMasksAVX2(b)
		} else {
			quote, bslash, open, close = blockMasksGo(b)
		}
		escaped := escNext
		if bslash != 0 || escNext != 0 {
			escaped, escNext = escapedChars(bslash, escNext)
		}
		quote &^= escaped
		in := prefixXor(quote) ^ inStr
		if bslash&^in != 0 {
			break // a backslash outside a string: the byte loop decides
		}
		for m := (open | close) &^ in; m != 0; m &= m - 1 {
			bit := bits.TrailingZeros64(m)
			k := i + bit
			c := buf[k]
			if open&(1<<bit) != 0 {
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
		if in>>63 != 0 {
			if quote != 0 {
				strStart = i + 63 - bits.LeadingZeros64(quote)
			}
			inStr = ^uint64(0)
		} else {
			inStr = 0
		}
		i += 64
	}
	if inStr != 0 {
		return strStart, d, false, nil
	}
	return i, d, false, nil
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

// blockMasksGo is blockMasksAVX2 in Go, eight bytes at a time.
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

// eqBytes sets the high bit of exactly the bytes of x equal to c.
func eqBytes(x uint64, c byte) uint64 {
	v := x ^ (uint64(c) * swarLo)
	t := (v&^swarHi + ^uint64(swarHi)) | v // high bit set where v's byte is not zero
	return ^t & swarHi
}

// gatherBytes packs the high bits of the eight bytes of m into eight bits.
func gatherBytes(m uint64) uint64 { return (m >> 7) * 0x0102040810204080 >> 56 }
