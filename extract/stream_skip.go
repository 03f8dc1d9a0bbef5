package extract

import "bytes"

// This file skips unselected values in default (non-strict) mode: it checks
// that brackets balance and match and that strings end, and little else, so
// that the bulk of a document is passed over at memory speed. Strict mode
// skips with the validator in strict.go instead.

// Byte classes for skipFast.
const (
	clsOther = iota
	clsQuote
	clsOpen
	clsClose
)

var skipClass = [256]uint8{'"': clsQuote, '{': clsOpen, '[': clsOpen, '}': clsClose, ']': clsClose}

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

// skipString skips the string whose opening quote is at s.pos, finding the
// closing quote with bytes.IndexByte. A quote is escaped when an odd run of
// backslashes precedes it; esc carries the parity of a run cut by a refill.
func (s *streamScanner) skipString() error {
	i := s.pos + 1
	esc := false // buf[i] is escaped by a backslash before it
	for {
		if j := bytes.IndexByte(s.buf[i:s.end], '"'); j >= 0 {
			q := i + j
			k := q
			for k > i && s.buf[k-1] == '\\' {
				k--
			}
			if (q-k)&1 == 0 != (k == i && esc) {
				s.pos = q + 1
				return nil
			}
			i, esc = q+1, false
			continue
		}
		k := s.end
		for k > i && s.buf[k-1] == '\\' {
			k--
		}
		esc = (s.end-k)&1 == 1 != (k == i && esc)
		s.pos = s.end
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
			switch s.buf[i] {
			case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.', 'e', 'E', '+', '-':
				i++
				continue
			}
			s.pos = i
			return nil
		}
		s.pos = i
		if !s.more() {
			return s.err // the end of input ends a number; the caller decides if that is too early
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
// tracks nesting in the bit stack, jumps over strings, and checks that each
// closing bracket matches its opening one.
func (s *streamScanner) skipFast() error {
	d0 := s.depth
	buf, i, end := s.buf, s.pos, s.end
	d := d0
	for {
		for i < end {
			c := buf[i]
			switch skipClass[c] {
			case clsOther:
				i++
			case clsQuote:
				// Most strings end within the buffer without escapes.
				if j := bytes.IndexByte(buf[i+1:end], '"'); j >= 0 && buf[i+j] != '\\' {
					i += j + 2
					continue
				}
				s.pos, s.depth = i, d
				if err := s.skipString(); err != nil {
					return err
				}
				buf, i, end = s.buf, s.pos, s.end
			case clsOpen:
				if d >= maxDepth {
					s.depth = d
					return s.fail(i, "nesting deeper than 10000")
				}
				if c == '{' {
					s.stack[d>>6] |= 1 << (d & 63)
				} else {
					s.stack[d>>6] &^= 1 << (d & 63)
				}
				d++
				i++
			case clsClose:
				if d == d0 {
					s.depth = d
					return s.fail(i, "unexpected "+quoteChar(c))
				}
				d--
				if obj := s.stack[d>>6]&(1<<(d&63)) != 0; obj != (c == '}') {
					s.depth = d
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
		}
		s.pos, s.depth = i, d
		if !s.more() {
			return s.eofErr("in skipped value")
		}
		buf, i, end = s.buf, s.pos, s.end
	}
}
