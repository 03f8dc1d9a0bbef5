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
	if q < 0 && s.blocks != blocksOff {
		q = s.closeQuoteSlow(s.pos)
	}
	if q >= 0 && s.ix.plain(s.pos+1, q) {
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

// The states of skipStrict, for its whitespace step, and what each says of
// an input that ends there.
const (
	atValue = iota
	atMore
	atFirstValue
	atFirstKey
	atKey
	atColon
)

var strictEOF = [...]string{
	atValue:      "looking for value",
	atMore:       "in object or array",
	atFirstValue: "in array",
	atFirstKey:   "in object",
	atKey:        "looking for object key",
	atColon:      "after object key",
}

// skipStrict consumes the value at s.pos (after whitespace) and validates it
// and everything in it per RFC 8259. Nesting is tracked in the bit stack, not
// by recursion. The walk is a state machine whose states are the labels
// below (what it expects next); it keeps its position and depth in locals
// and handles the common tokens inline (a string the index shows plain, an
// integer or a literal within the buffer). Anything else, and the
// buffer's end, goes through s.pos to the token's own function; ws reloads
// the buffer after it.
func (s *streamScanner) skipStrict() error {
	d0 := s.depth
	d := d0
	buf, i := s.buf[:s.end], s.pos
	var c byte
	var at int // the state ws returns to
	var obj, ok bool
	var q int // a closing quote

	// A value: at the start, after ':' and after ',' in an array.
value:
	if i >= len(buf) || buf[i] <= ' ' {
		at = atValue
		goto ws
	}
	c = buf[i]
valueC:
	switch c {
	case '{', '[':
		if d >= maxDepth {
			s.depth = d
			return s.tooDeep(i)
		}
		i++
		if c == '{' {
			s.stack[d>>6] |= 1 << (d & 63)
			d++
			goto firstKey
		}
		s.stack[d>>6] &^= 1 << (d & 63)
		d++
		goto firstValue
	case '"':
		q = s.ix.quoteInWord(i)
		if (q < 0 || !s.ix.plainShort(i+1, q)) && s.blocks != blocksOff {
			q = s.strictClose(i)
		}
		if q >= 0 {
			i = q + 1
			goto more
		}
	case 't':
		if i+4 <= len(buf) && string(buf[i:i+4]) == "true" {
			i += 4
			goto more
		}
	case 'f':
		if i+5 <= len(buf) && string(buf[i:i+5]) == "false" {
			i += 5
			goto more
		}
	case 'n':
		if i+4 <= len(buf) && string(buf[i:i+4]) == "null" {
			i += 4
			goto more
		}
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		// An integer that ends within the buffer (see strictNumber).
		j := digitsEnd(buf, i+1)
		if j < len(buf) {
			if e := buf[j]; e != '.' && e|0x20 != 'e' {
				i = j
				goto more
			}
		}
	}
	s.pos, s.depth = i, d
	if err := s.strictToken(c); err != nil {
		return err
	}
	buf, i = s.buf[:s.end], s.pos

	// After a value: ',' or a closing bracket, unless the skip is done.
more:
	if d == d0 {
		s.pos, s.depth = i, d
		return nil
	}
	if i >= len(buf) || buf[i] <= ' ' {
		at = atMore
		goto ws
	}
	c = buf[i]
moreC:
	obj = s.stack[(d-1)>>6]&(1<<((d-1)&63)) != 0
	switch {
	case c == ',':
		i++
		if obj {
			goto key
		}
		goto value
	case obj && c == '}' || !obj && c == ']':
		i++
		d--
		goto more
	case obj:
		return s.fail(i, "invalid character "+quoteChar(c)+" after object member (want ',' or '}')")
	}
	return s.fail(i, "invalid character "+quoteChar(c)+" after array element (want ',' or ']')")

	// After '[': a value or ']'.
firstValue:
	if i >= len(buf) || buf[i] <= ' ' {
		at = atFirstValue
		goto ws
	}
	c = buf[i]
firstValueC:
	if c == ']' {
		i++
		d--
		goto more
	}
	goto valueC

	// After '{': a key or '}'.
firstKey:
	if i >= len(buf) || buf[i] <= ' ' {
		at = atFirstKey
		goto ws
	}
	c = buf[i]
firstKeyC:
	if c == '}' {
		i++
		d--
		goto more
	}
	goto keyC

	// After ',' in an object: a key, then ':'.
key:
	if i >= len(buf) || buf[i] <= ' ' {
		at = atKey
		goto ws
	}
	c = buf[i]
keyC:
	if c != '"' {
		return s.fail(i, "invalid character "+quoteChar(c)+" looking for object key")
	}
	q = s.ix.quoteInWord(i)
	if (q < 0 || !s.ix.plainShort(i+1, q)) && s.blocks != blocksOff {
		q = s.strictClose(i)
	}
	if q >= 0 {
		i = q + 1
	} else {
		s.pos, s.depth = i, d
		if err := s.strictString(); err != nil {
			return err
		}
		buf, i = s.buf[:s.end], s.pos
	}
	if i < len(buf) && buf[i] == ':' {
		i++
		goto value
	}
	at = atColon
	if i < len(buf) && buf[i] > ' ' {
		c = buf[i]
		goto colonC
	}

	// Whitespace, or the buffer's end, before the byte that state at
	// wants.
ws:
	s.pos, s.depth = i, d
	if c, ok = s.peekSlow(); !ok {
		return s.eofErr(strictEOF[at])
	}
	buf, i = s.buf[:s.end], s.pos
	switch at {
	case atValue:
		goto valueC
	case atMore:
		goto moreC
	case atFirstValue:
		goto firstValueC
	case atFirstKey:
		goto firstKeyC
	case atKey:
		goto keyC
	}
colonC:
	if c != ':' {
		return s.fail(i, "invalid character "+quoteChar(c)+" after object key")
	}
	i++
	goto value
}

// strictClose returns the index of the quote that closes the string whose
// opening quote is at i if the index has it and shows the string valid
// (no odd byte in it), or -1. Callers inline the common case, a short
// string within one index word (quoteInWord and plainShort).
func (s *streamScanner) strictClose(i int) int {
	if q := s.closeQuoteSlow(i); q >= 0 && s.ix.plain(i+1, q) {
		return q
	}
	return -1
}

// strictToken consumes the string, literal or number that starts with c
// at s.pos.
func (s *streamScanner) strictToken(c byte) error {
	switch c {
	case '"':
		return s.strictString()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return s.strictNumber(c)
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
				i = digitsEnd(s.buf[:s.end], i)
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
