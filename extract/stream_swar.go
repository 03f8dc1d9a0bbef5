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

// scanStruct returns the index of the first '"', '[', ']', '{' or '}' in buf
// at or after i, or len(buf) if there is none. OR-ing 0x20 into a byte maps
// '[' to '{' and ']' to '}' and no other byte onto either.
func scanStruct(buf []byte, i int) int {
	for ; i+8 <= len(buf); i += 8 {
		x := binary.LittleEndian.Uint64(buf[i:])
		y := x | 0x20*swarLo
		if m := zeroBytes(y^('{'*swarLo)) | zeroBytes(y^('}'*swarLo)) | zeroBytes(x^('"'*swarLo)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(buf); i++ {
		if skipClass[buf[i]] != clsOther {
			return i
		}
	}
	return len(buf)
}

// scanStrStrict returns the index of the first byte at or after i that
// needs a closer look in a string: '"', '\\', a control character or a
// non-ASCII byte; len(buf) if there is none.
func scanStrStrict(buf []byte, i int) int {
	for ; i+8 <= len(buf); i += 8 {
		x := binary.LittleEndian.Uint64(buf[i:])
		// x - 0x20 per byte borrows (sets the high bit) for bytes < 0x20;
		// x & 0x80 flags non-ASCII. Both may flag wrongly only above a true hit.
		m := zeroBytes(x^('"'*swarLo)) | zeroBytes(x^('\\'*swarLo)) | (x-0x20*swarLo)&^x&swarHi | x&swarHi
		if m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(buf); i++ {
		if !strSafe[buf[i]] {
			return i
		}
	}
	return len(buf)
}
