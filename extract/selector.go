package extract

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Step is one step of a selector: an object key, or the wildcard [*] that
// selects every element of an array.
type Step struct {
	Key      string // the unescaped key; meaningful when !Wildcard
	Wildcard bool   // [*]
}

// A Selector is a parsed path such as data.updates[*].timestamp. The zero
// value has no steps and is not accepted by New; build one with
// ParseSelector. A Selector is immutable and safe for concurrent use.
type Selector struct {
	text  string
	steps []Step
}

// Steps returns the selector's steps; the caller must not modify them.
func (s Selector) Steps() []Step { return s.steps }

// String returns the selector as it was written.
func (s Selector) String() string { return s.text }

// ParseSelector parses a path of object keys and array wildcards:
//
//	data.updates[*].timestamp   keys joined by dots, [*] for every array element
//	["odd.key"][*].ts           a bracketed JSON string for any key (dots, spaces, escapes)
//	[*]                         the elements of a top-level array
//	a["b"]  a[*][*]             brackets may follow a key or each other
//
// A bare key is one or more bytes other than . [ ] " \ and ASCII space or
// control characters; any other key needs brackets. A bracketed key is a
// JSON string and is unescaped ("times\u0074amp" is the key timestamp).
// Document keys are unescaped before they are compared. An error is a
// *SelectorError with the byte position of the problem.
func ParseSelector(path string) (Selector, error) {
	fail := func(pos int, msg string) (Selector, error) {
		return Selector{}, &SelectorError{Selector: path, Pos: pos, Msg: msg}
	}
	if path == "" {
		return fail(0, "empty selector")
	}
	var steps []Step
	i := 0
	for i < len(path) {
		c := path[i]
		switch {
		case c == '[':
			if i+2 < len(path) && path[i+1] == '*' && path[i+2] == ']' {
				steps = append(steps, Step{Wildcard: true})
				i += 3
				continue
			}
			if i+1 >= len(path) {
				return fail(i+1, "unterminated bracket")
			}
			if path[i+1] != '"' {
				if path[i+1] >= '0' && path[i+1] <= '9' {
					return fail(i+1, "array indexes are not supported (use [*])")
				}
				return fail(i+1, "expected * or a quoted key after [")
			}
			key, n, pos, msg := parseQuotedKey(path, i+1)
			if msg != "" {
				return fail(pos, msg)
			}
			i = i + 1 + n
			if i >= len(path) || path[i] != ']' {
				return fail(i, "expected ] after quoted key")
			}
			i++
			steps = append(steps, Step{Key: key})
		case c == '.' && i == 0:
			return fail(0, "selector starts with '.'")
		case c == '.' || i == 0:
			if c == '.' {
				i++
			}
			start := i
			for i < len(path) && bareKeyByte(path[i]) {
				i++
			}
			if i == start {
				if i < len(path) && path[i] == '*' {
					return fail(i, "use [*] for array elements")
				}
				if i < len(path) {
					return fail(i, "unexpected "+quoteChar(path[i])+" (quote odd keys as [\"...\"])")
				}
				return fail(i, "empty key")
			}
			if i < len(path) && path[i] != '.' && path[i] != '[' {
				return fail(i, "unexpected "+quoteChar(path[i])+" in key (quote odd keys as [\"...\"])")
			}
			steps = append(steps, Step{Key: path[start:i]})
		default:
			return fail(i, "unexpected "+quoteChar(c)+" (want . or [ between steps)")
		}
	}
	return Selector{text: path, steps: steps}, nil
}

// bareKeyByte reports whether c may appear in an unquoted selector key.
func bareKeyByte(c byte) bool {
	switch c {
	case '.', '[', ']', '"', '\\', '*':
		return false
	}
	return c > ' ' && c != 0x7f
}

// parseQuotedKey parses the JSON string starting at path[q] (a quote). It
// returns the unescaped key and the length of the quoted text, or the
// position and text of an error.
func parseQuotedKey(path string, q int) (key string, n int, pos int, msg string) {
	i := q + 1
	for i < len(path) {
		switch c := path[i]; {
		case c == '"':
			out, ok := appendUnescaped(nil, []byte(path[q+1:i]))
			if !ok {
				return "", 0, q, "invalid escape in quoted key"
			}
			return string(out), i + 1 - q, 0, ""
		case c == '\\':
			if i+1 >= len(path) {
				return "", 0, i, "unterminated quoted key"
			}
			switch path[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(path) || !isHex4(path[i+2:i+6]) {
					return "", 0, i, `invalid \u escape in quoted key`
				}
				i += 6
			default:
				return "", 0, i, "invalid escape " + quoteChar(path[i+1]) + " in quoted key"
			}
		case c < 0x20:
			return "", 0, i, "control character in quoted key"
		default:
			i++
		}
	}
	return "", 0, len(path), "unterminated quoted key"
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		if hexVal(s[i]) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// getu4 decodes the four hex digits of a \uXXXX escape at s[0:6], or
// returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		v := hexVal(c)
		if v < 0 {
			return -1
		}
		r = r<<4 | v
	}
	return r
}

// appendUnescaped appends the unescaped form of the contents of a JSON
// string (without its quotes) to dst, decoding escapes the way
// encoding/json does: a surrogate pair becomes one rune, a lone surrogate
// becomes U+FFFD. Bytes that are not escapes are copied as they are. It
// reports false for a malformed escape.
func appendUnescaped(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return dst, false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			dst = append(dst, s[i+1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := getu4(s[i:])
			if r < 0 {
				return dst, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2 := getu4(s[i:]); r2 >= 0 {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						i += 6
						dst = utf8.AppendRune(dst, dec)
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, false
		}
		i += 2
	}
	return dst, true
}

// container is where a selector looks for what it selects: the prefix of
// its steps that must exist for the selector to be able to find anything.
type container struct {
	depth int    // number of steps to it: 0 is the top-level value
	array bool   // it must be an array (the next step is [*]); else an object
	path  string // its steps written as a selector; "" for the top level
}

// containerOf returns the container of a selector: drop a final key, then
// the wildcards that end what is left. data.updates[*].timestamp and
// data.updates[*] both look in data.updates, status in the top-level
// object. An empty array container is reached: its elements are simply
// none.
func containerOf(steps []Step) container {
	n := len(steps)
	if n > 0 && !steps[n-1].Wildcard {
		n--
	}
	for n > 0 && steps[n-1].Wildcard {
		n--
	}
	c := container{depth: n}
	if n < len(steps) {
		c.array = steps[n].Wildcard
	}
	c.path = formatSteps(steps[:n])
	return c
}

// formatSteps writes steps as a selector: bare keys where ParseSelector
// takes them, bracketed JSON strings otherwise.
func formatSteps(steps []Step) string {
	var b []byte
	for i, st := range steps {
		switch {
		case st.Wildcard:
			b = append(b, "[*]"...)
		case isBareKey(st.Key):
			if i > 0 {
				b = append(b, '.')
			}
			b = append(b, st.Key...)
		default:
			b = append(b, `["`...)
			b = append(b, jsonKeyText(st.Key)...)
			b = append(b, `"]`...)
		}
	}
	return string(b)
}

func isBareKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !bareKeyByte(k[i]) {
			return false
		}
	}
	return true
}
