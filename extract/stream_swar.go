package extract

import (
	"encoding/binary"
	"math/bits"
)

// SWAR ("SIMD within a register") search: eight input bytes are tested at
// once in a uint64, which lets the skip loops step over runs of ordinary
// bytes without a branch per byte.

const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// zeroBytes flags (with their high bit) the zero bytes of v. Bytes above a
// true zero may be flagged wrongly, so only the lowest flag is used.
func zeroBytes(v uint64) uint64 { return (v - swarLo) &^ v & swarHi }

// scanStr returns the index of the first '"' or '\\' in buf at or after i,
// or len(buf) if there is none.
func scanStr(buf []byte, i int) int {
	for ; i+8 <= len(buf); i += 8 {
		x := binary.LittleEndian.Uint64(buf[i:])
		if m := zeroBytes(x^('"'*swarLo)) | zeroBytes(x^('\\'*swarLo)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(buf); i++ {
		if c := buf[i]; c == '"' || c == '\\' {
			return i
		}
	}
	return len(buf)
}

// scanQuote returns the index of the first '"' in buf at or after i, or
// len(buf) if there is none.
func scanQuote(buf []byte, i int) int {
	for ; i+8 <= len(buf); i += 8 {
		if m := zeroBytes(binary.LittleEndian.Uint64(buf[i:]) ^ ('"' * swarLo)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(buf) && buf[i] != '"' {
		i++
	}
	return i
}

// digitsEnd returns the index of the first byte in buf at or after i that
// is not a digit, or len(buf): eight bytes at a time, then one by one.
func digitsEnd(buf []byte, i int) int {
	for i+8 <= len(buf) {
		r := digitRun(binary.LittleEndian.Uint64(buf[i:]))
		i += r
		if r < 8 {
			return i
		}
	}
	for i < len(buf) && buf[i]-'0' <= 9 {
		i++
	}
	return i
}
