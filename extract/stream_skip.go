package extract

import (
	"encoding/binary"
	"math/bits"
)

// This file skips unselected values in default (non-strict) mode: it checks
// that brackets balance and match and that strings end, and little else, so
// that the bulk of a document is passed over in a few instructions a byte.
// Strict mode skips with the validator in strict.go instead.

// Byte classes for skipFast.
const (
	clsOther = iota
	clsDigit
	clsQuote
	clsOpen
	clsClose
)

var skipClass = [256]uint8{'"': clsQuote, '{': clsOpen, '[': clsOpen, '}': clsClose, ']': clsClose,
	'0': clsDigit, '1': clsDigit, '2': clsDigit, '3': clsDigit, '4': clsDigit,
	'5': clsDigit, '6': clsDigit, '7': clsDigit, '8': clsDigit, '9': clsDigit}

// strStop marks the bytes that end a run of plain string content.
var strStop = [256]uint8{'"': 1, '\\': 1}

// numChar marks the bytes numbers are made of.
var numChar = [256]bool{'0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true,
	'7': true, '8': true, '9': true, '.': true, 'e': true, 'E': true, '+': true, '-': true}

// skipValue skips the value that starts with c at s.pos.
func (s *streamScanner) skipValue(c byte) error {
	if s.strict {
		return s.skipStrict()
	}
	switch c {
	case '"':
		return s.skipString()
	case '{', '[':
		return s.skipFast()
	}
	return s.skipScalar(c)
}

// skipString skips the string whose opening quote is at s.pos. A backslash
// escapes the byte after it, so the pair is stepped over; a backslash at the
// end of the buffer is kept for the next refill.
func (s *streamScanner) skipString() error {
	// Most strings are short and end within the buffer without escapes.
	buf := s.buf[:s.end]
	i := s.pos + 1
	for lim := min(i+32, len(buf)); i < lim; i++ {
		if c := buf[i]; strStop[c] != 0 {
			if c == '"' {
				s.pos = i + 1
				return nil
			}
			break
		}
	}
	for {
		buf := s.buf[:s.end]
		j := scanStr(buf, i)
		if j < len(buf) {
			if buf[j] == '"' {
				s.pos = j + 1
				return nil
			}
			if j+1 < len(buf) {
				i = j + 2
				continue
			}
		}
		s.pos = j
		if !s.more() {
			return s.eofErr("in string")
		}
		i = s.pos
	}
}

// skipScalar skips a number or a literal in default mode: literals must be
// spelled right; a number is any run of the bytes numbers are made of.
func (s *streamScanner) skipScalar(c byte) error {
	switch c {
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	if c != '-' && (c < '0' || c > '9') {
		return s.fail(s.pos, "invalid character "+quoteChar(c)+" looking for beginning of value")
	}
	i := s.pos + 1
	for {
		for i < s.end {
			if numChar[s.buf[i]] {
				i++
				continue
			}
			s.pos = i
			return nil
		}
		s.pos = i
		if !s.more() {
			if s.err != nil || s.depth > 0 {
				return s.eofErr("in number")
			}
			return nil // the end of input ends a top-level number
		}
		i = s.pos
	}
}

// literal consumes lit (true, false or null) at s.pos.
func (s *streamScanner) literal(lit string) error {
	for k := 1; k < len(lit); k++ {
		if !s.ensure(k + 1) {
			return s.eofErr("in literal " + lit)
		}
		if c := s.buf[s.pos+k]; c != lit[k] {
			return s.fail(s.pos+k, "invalid character "+quoteChar(c)+" in literal "+lit)
		}
	}
	s.pos += len(lit)
	return nil
}

// skipFast skips the object or array whose opening bracket is at s.pos. It
// tracks nesting in the bit stack, checks that each closing bracket matches
// its opening one, and steps over strings. Between tokens it goes byte by
// byte over a class table: in typical documents a quote or bracket comes
// every few bytes, and a word-at-a-time search there costs more than it
// saves (measured). Strings and runs of digits are crossed eight bytes at a
// time (SWAR). With the structural index (stream_blocks.go), ixSkip visits
// only the brackets, and the byte loop takes what the index does not cover.
func (s *streamScanner) skipFast() error {
	d0 := s.depth
	d := d0
	buf, i := s.buf[:s.end], s.pos
	for {
		if s.blocks != blocksOff && s.ixAt(i) {
			var done bool
			var err error
			if i, d, done, err = s.ixSkip(i, d, d0); err != nil || done {
				s.pos, s.depth = i, d
				return err
			}
		}
		for i < len(buf) {
			c := buf[i]
			switch skipClass[c] {
			case clsOther:
				i++
				continue
			case clsDigit:
				// Numbers come in runs (arrays of them): jump eight bytes
				// at a time, or straight to the next quote or bracket.
				if i+8 <= len(buf) {
					x := binary.LittleEndian.Uint64(buf[i:])
					y := x | 0x20*swarLo
					if m := zeroBytes(x^('"'*swarLo)) | zeroBytes(y^('{'*swarLo)) | zeroBytes(y^('}'*swarLo)); m != 0 {
						i += bits.TrailingZeros64(m) >> 3
					} else {
						i += 8
					}
					continue
				}
				i++
				continue
			case clsQuote:
				// Find the next quote eight bytes at a time. It ends the
				// string unless a backslash precedes it; then skipString
				// sorts out the escapes.
				j := scanQuote(buf, i+1)
				if j < len(buf) && buf[j-1] != '\\' {
					i = j + 1
					continue
				}
				s.pos, s.depth = i, d
				if err := s.skipString(); err != nil {
					return err
				}
				buf, i = s.buf[:s.end], s.pos
				continue
			case clsOpen:
				if d >= maxDepth {
					s.depth = d
					return s.tooDeep(i)
				}
				if c == '{' {
					s.stack[d>>6] |= 1 << (d & 63)
				} else {
					s.stack[d>>6] &^= 1 << (d & 63)
				}
				d++
				i++
				continue
			}
			d--
			if obj := s.stack[d>>6]&(1<<(d&63)) != 0; obj != (c == '}') {
				s.depth = d + 1
				if obj {
					return s.fail(i, "mismatched "+quoteChar(c)+" closing an object (want '}')")
				}
				return s.fail(i, "mismatched "+quoteChar(c)+" closing an array (want ']')")
			}
			i++
			if d == d0 {
				s.pos, s.depth = i, d
				return nil
			}
		}
		s.pos, s.depth = i, d
		if !s.more() {
			return s.eofErr("in skipped value")
		}
		buf, i = s.buf[:s.end], s.pos
	}
}
