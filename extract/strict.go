package extract

import (
	"encoding/binary"
	"unicode/utf8"
)

// This file validates JSON per RFC 8259: the whole document in strict mode,
// and every selected value in both modes, so that emitted values are always
// valid JSON text.

// strSafe marks the ASCII bytes that may appear unescaped in a string.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// strictString consumes the string whose opening quote is at s.pos,
// rejecting control characters, malformed escapes and invalid UTF-8.
func (s *streamScanner) strictString() error {
	// With the index: the closing quote, and no byte before it that
	// needs a look (index.odd) means a valid string.
	q := s.ix.quoteInWord(s.pos) // closeQuote, inlined
	if q < 0 {
		q = s.closeQuoteSlow(s.pos)
	}
	if q >= 0 && s.ix.plainShort(s.pos+1, q) {
		s.pos = q + 1
		return nil
	}
	i := s.pos + 1
	for {
		buf, end := s.buf, s.end
		for i < end {
			// Eight plain bytes at a time: no quote, backslash, control
			// character or non-ASCII byte among them.
			for i+8 <= end {
				x := binary.LittleEndian.Uint64(buf[i:])
				if zeroBytes(x^('"'*swarLo))|zeroBytes(x^('\\'*swarLo))|(x-0x20*swarLo)&^x&swarHi|x&swarHi != 0 {
					break
				}
				i += 8
			}
			if i == end {
				break
			}
			c := buf[i]
			if strSafe[c] {
				i++
				continue
			}
			switch {
			case c == '"':
				s.pos = i + 1
				return nil
			case c == '\\':
				if end-i < 2 {
					goto refill
				}
				switch buf[i+1] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					i += 2
					continue
				case 'u':
					for k := 2; k < 6; k++ {
						if i+k >= end {
							goto refill
						}
						if hexVal(buf[i+k]) < 0 {
							return s.fail(i+k, "invalid character "+quoteChar(buf[i+k])+` in \u escape`)
						}
					}
					i += 6
					continue
				}
				return s.fail(i+1, "invalid escape "+quoteChar(buf[i+1])+" in string")
			case c < 0x20:
				return s.fail(i, "control character "+quoteChar(c)+" in string")
			}
			if end-i < utf8.UTFMax && !utf8.FullRune(buf[i:end]) {
				if s.eof {
					return s.eofErr("in string")
				}
				goto refill
			}
			r, size := utf8.DecodeRune(buf[i:end])
			if r == utf8.RuneError && size <= 1 {
				return s.fail(i, "invalid UTF-8 in string")
			}
			i += size
		}
	refill:
		s.pos = i
		if !s.more() {
			return s.eofErr("in string")
		}
		i = s.pos
	}
}

// skipStrict consumes the value at s.pos (after whitespace) and validates it
// and everything in it per RFC 8259. Nesting is tracked in the bit stack, not
// by recursion.
func (s *streamScanner) skipStrict() error {
	d0 := s.depth
	for {
		// A value is expected here. (The fast path of peek is written
		// out: peek is too big to inline.)
		var c byte
		var ok bool
		if s.pos < s.end && s.buf[s.pos] > ' ' {
			c = s.buf[s.pos]
		} else if c, ok = s.peekSlow(); !ok {
			return s.eofErr("looking for value")
		}
		switch c {
		case '{':
			if err := s.push(true); err != nil {
				return err
			}
			if c, ok = s.peek(); !ok {
				return s.eofErr("in object")
			}
			if c == '}' {
				s.pos++
				s.depth--
				break
			}
			if err := s.strictMemberKey(c); err != nil {
				return err
			}
			continue
		case '[':
			if err := s.push(false); err != nil {
				return err
			}
			if c, ok = s.peek(); !ok {
				return s.eofErr("in array")
			}
			if c == ']' {
				s.pos++
				s.depth--
				break
			}
			continue
		case '"':
			// strictString's index path, inlined.
			if q := s.ix.quoteInWord(s.pos); q >= 0 && s.ix.plainShort(s.pos+1, q) {
				s.pos = q + 1
			} else if err := s.strictString(); err != nil {
				return err
			}
		case 't':
			if err := s.literal("true"); err != nil {
				return err
			}
		case 'f':
			if err := s.literal("false"); err != nil {
				return err
			}
		case 'n':
			if err := s.literal("null"); err != nil {
				return err
			}
		default:
			if err := s.strictNumber(c); err != nil {
				return err
			}
		}
		// A value has ended: close containers until one goes on.
		for {
			if s.depth == d0 {
				return nil
			}
			if s.pos < s.end && s.buf[s.pos] > ' ' {
				c = s.buf[s.pos]
			} else if c, ok = s.peekSlow(); !ok {
				return s.eofErr("in object or array")
			}
			d := s.depth - 1
			obj := s.stack[d>>6]&(1<<(d&63)) != 0
			if c == ',' {
				s.pos++
				if obj {
					if c, ok = s.peek(); !ok {
						return s.eofErr("looking for object key")
					}
					if err := s.strictMemberKey(c); err != nil {
						return err
					}
				}
				break
			}
			if obj && c == '}' || !obj && c == ']' {
				s.pos++
				s.depth--
				continue
			}
			if obj {
				return s.fail(s.pos, "invalid character "+quoteChar(c)+" after object member (want ',' or '}')")
			}
			return s.fail(s.pos, "invalid character "+quoteChar(c)+" after array element (want ',' or ']')")
		}
	}
}

// strictMemberKey consumes an object key that starts with c and the colon
// after it.
func (s *streamScanner) strictMemberKey(c byte) error {
	if c != '"' {
		return s.fail(s.pos, "invalid character "+quoteChar(c)+" looking for object key")
	}
	// strictString's index path, inlined.
	if q := s.ix.quoteInWord(s.pos); q >= 0 && s.ix.plainShort(s.pos+1, q) {
		s.pos = q + 1
	} else if err := s.strictString(); err != nil {
		return err
	}
	if s.pos < s.end && s.buf[s.pos] == ':' {
		s.pos++
		return nil
	}
	c, ok := s.peekSlow()
	if !ok {
		return s.eofErr("after object key")
	}
	if c != ':' {
		return s.fail(s.pos, "invalid character "+quoteChar(c)+" after object key")
	}
	s.pos++
	return nil
}

// Number states: what the next byte may be.
const (
	numSign     = iota // after '-': a digit
	numZero            // after a leading 0: '.', 'e', or the end
	numInt             // in the integer digits
	numDot             // after '.': a digit
	numFrac            // in the fraction digits
	numExp             // after 'e': sign or digit
	numExpSign         // after the exponent sign: a digit
	numExpDigit        // in the exponent digits
)

// strictNumber consumes a number that starts with c at s.pos, per the
// grammar -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *streamScanner) strictNumber(c byte) error {
	var st int
	switch {
	case c == '-':
		st = numSign
	case c == '0':
		st = numZero
	case c >= '1' && c <= '9':
		st = numInt
	default:
		return s.fail(s.pos, "invalid character "+quoteChar(c)+" looking for beginning of value")
	}
	i := s.pos + 1
	for {
		for ; i < s.end; i++ {
			if st == numInt || st == numFrac || st == numExpDigit {
				// Runs of digits, without the state machine, eight at
				// a time first.
				for i+8 <= s.end {
					r := digitRun(binary.LittleEndian.Uint64(s.buf[i:]))
					i += r
					if r < 8 {
						break
					}
				}
				for i < s.end && s.buf[i] >= '0' && s.buf[i] <= '9' {
					i++
				}
				if i == s.end {
					break
				}
			}
			c := s.buf[i]
			digit := c >= '0' && c <= '9'
			switch st {
			case numSign:
				if !digit {
					return s.fail(i, "invalid character "+quoteChar(c)+" in number (want digit after '-')")
				}
				st = numInt
				if c == '0' {
					st = numZero
				}
				continue
			case numZero, numInt:
				if digit && st == numInt {
					continue
				}
				if c == '.' {
					st = numDot
					continue
				}
			case numDot, numExpSign:
				if !digit {
					return s.fail(i, "invalid character "+quoteChar(c)+" in number (want digit)")
				}
				st++
				continue
			case numFrac, numExpDigit:
				if digit {
					continue
				}
			case numExp:
				if c == '+' || c == '-' {
					st = numExpSign
					continue
				}
				if !digit {
					return s.fail(i, "invalid character "+quoteChar(c)+" in number exponent")
				}
				st = numExpDigit
				continue
			}
			if (c == 'e' || c == 'E') && st != numExpDigit {
				st = numExp
				continue
			}
			s.pos = i
			return nil // a byte that ends the number; the caller checks it
		}
		s.pos = i
		if !s.more() {
			if s.err != nil {
				return s.err
			}
			switch st {
			case numZero, numInt, numFrac, numExpDigit:
				if s.depth == 0 {
					return nil // the end of input ends a top-level number
				}
			}
			return s.eofErr("in number")
		}
		i = s.pos
	}
}
