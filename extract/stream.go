package extract

// This file holds the stream scanner: its state and buffer (streamScanner,
// more), and the descent along the selectors (document, value, object,
// array, key). Skipping unselected subtrees is in stream_skip.go; the
// RFC 8259 validators used by strict mode and for selected values are in
// strict.go.
//
// The descent recurses only along selector steps, so its Go stack depth is
// bounded by the longest selector; every other subtree is skipped by loops
// that track nesting in a bit stack.

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"strconv"
)

// maxDepth is the deepest nesting accepted, the same limit as encoding/json.
// It bounds the bit stack, so memory stays O(buffer) whatever the input.
const maxDepth = 10000

// minBufferSize keeps room for the longest token piece that must be looked at
// whole (a \uXXXX escape, a UTF-8 sequence, a literal).
const minBufferSize = 16

// streamScanner is the Stream mode. The buffer holds a window of the input:
//
//	buf[:pos]     already consumed (kept only if mark says so)
//	buf[pos:end]  read from r, not consumed yet
//	buf[end:]     free space for the next Read
//
// and base is the input offset of buf[0], so buf[i] is input byte base+i.
// When more input is needed, more moves buf[min(pos, mark):end] to the front
// (compaction) and reads after it. The buffer grows only when the kept part
// fills it, which happens for a selected value (bounded by MaxValueSize), a
// document key being compared (bounded by keyLimit) or a token piece of at
// most minBufferSize bytes.
type streamScanner struct {
	// Configuration, fixed by newStreamScanner.
	root     *pathNode // trie of the selectors
	strict   bool      // validate everything per RFC 8259
	blocks   uint8     // how the buffer is indexed (stream_blocks.go)
	maxValue int       // Options.MaxValueSize
	keyLimit int       // longest escaped key that can still equal a selector key
	bufSize  int       // Options.BufferSize: the buffer's size at the start of each run

	// State of one Run.
	r         io.Reader
	emit      EmitFunc
	reached   []bool                  // per selector: its container was entered
	buf       []byte                  // window on the input (see above); reused across runs
	pos, end  int                     // see above
	base      int64                   // input offset of buf[0]
	eof       bool                    // r reported io.EOF
	err       error                   // first error; sticky
	mark      int                     // if >= 0, buf[mark:] is kept on refill (a value or key being read)
	markLimit int                     // the kept part may not exceed this many bytes
	markDrop  bool                    // over markLimit: drop the mark (keys) instead of failing (values)
	depth     int                     // current nesting depth
	stack     [maxDepth/64 + 1]uint64 // bit d set: the container at depth d is an object
	scratch   []byte                  // unescaped key, reused
	ix        index                   // structural index of the buffer (stream_blocks.go)
}

func newStreamScanner(opts Options, sels []Selector) (scanner, error) {
	if len(sels) == 0 {
		return nil, fmt.Errorf("extract: stream mode needs at least one selector")
	}
	for i, sel := range sels {
		if len(sel.steps) == 0 {
			return nil, fmt.Errorf("extract: selector %d is empty", i)
		}
	}
	root, maxKey := buildTrie(sels)
	size := max(opts.BufferSize, minBufferSize) // New applied the defaults
	return &streamScanner{
		root:     root,
		strict:   opts.Strict,
		blocks:   defaultBlocks(),
		maxValue: opts.MaxValueSize,
		keyLimit: 6*maxKey + 2, // \u00XX is the longest escape per byte; +2 quotes
		bufSize:  size,
		buf:      make([]byte, size),
	}, nil
}

func (s *streamScanner) scan(r io.Reader, emit EmitFunc, reached []bool) (int64, error) {
	s.r, s.emit, s.reached = r, emit, reached
	if len(s.buf) != s.bufSize {
		s.buf = make([]byte, s.bufSize) // a long value grew it last time: give the memory back
	}
	s.pos, s.end, s.base = 0, 0, 0
	s.eof, s.err = false, nil
	s.mark, s.depth = -1, 0
	s.ix.invalidate()
	if cap(s.ix.quotes) > s.bufSize/32 {
		s.ix.quotes, s.ix.brack = nil, nil // sized for a grown buffer: give it back too
	}
	err := s.document()
	s.r, s.emit, s.reached = nil, nil, nil // do not keep the caller's reader alive
	return s.base + int64(s.end), err
}

// more reads more input after compacting the buffer. It returns false at the
// end of the input or on an error (then in s.err). Callers store their read
// position in s.pos before the call and reload s.pos, s.end and s.buf after it.
func (s *streamScanner) more() bool {
	if s.err != nil || s.eof {
		return false
	}
	s.ix.invalidate() // the bytes move
	keep := s.pos
	if s.mark >= 0 {
		if s.end-s.mark > s.markLimit {
			if !s.markDrop {
				s.tooLarge(s.mark)
				return false
			}
			s.mark = -1
		} else {
			keep = min(keep, s.mark)
		}
	}
	if keep > 0 {
		s.end = copy(s.buf, s.buf[keep:s.end])
		s.pos -= keep
		if s.mark >= 0 {
			s.mark -= keep
		}
		s.base += int64(keep)
	}
	if s.end == len(s.buf) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		if n < 0 || n > len(s.buf)-s.end {
			s.err = fmt.Errorf("extract: read at offset %d: invalid count %d from Read", s.base+int64(s.end), n)
			return false
		}
		s.end += n
		if err == io.EOF {
			s.eof = true
		} else if err != nil {
			s.err = fmt.Errorf("extract: read at offset %d: %w", s.base+int64(s.end), err)
		}
		if n > 0 || err != nil {
			return n > 0
		}
	}
	s.err = fmt.Errorf("extract: read at offset %d: %w", s.base+int64(s.end), io.ErrNoProgress)
	return false
}

// ensure makes at least n bytes available at s.pos, unless the input ends
// first. It reports whether they are.
func (s *streamScanner) ensure(n int) bool {
	for s.end-s.pos < n {
		if !s.more() {
			return false
		}
	}
	return true
}

// fail records a syntax error at buffer index i.
func (s *streamScanner) fail(i int, msg string) error {
	if s.err == nil {
		s.err = &SyntaxError{Offset: s.base + int64(i), Msg: msg}
	}
	return s.err
}

// eofErr records that the input ended too early (or returns the read error
// that ended it). where says what was being read.
func (s *streamScanner) eofErr(where string) error {
	if s.err == nil {
		s.err = &SyntaxError{Offset: s.base + int64(s.end), Msg: "unexpected end of input " + where, Err: io.ErrUnexpectedEOF}
	}
	return s.err
}

// peek skips whitespace and returns the next byte without consuming it. It
// reports false at the end of the input or on a read error. The common case
// (no whitespace, byte in the buffer) is inlined into callers.
func (s *streamScanner) peek() (byte, bool) {
	if s.pos < s.end {
		if c := s.buf[s.pos]; c > ' ' {
			return c, true
		}
	}
	return s.peekSlow()
}

func (s *streamScanner) peekSlow() (byte, bool) {
	for {
		for i := s.pos; i < s.end; i++ {
			if c := s.buf[i]; c > ' ' || !isSpace(c) {
				s.pos = i
				return c, true
			}
		}
		s.pos = s.end
		if !s.more() {
			return 0, false
		}
	}
}

// utf8BOM is the UTF-8 encoding of U+FEFF, the byte order mark.
const utf8BOM = "\xef\xbb\xbf"

func hasBOM(b []byte) bool { return len(b) >= 3 && string(b[:3]) == utf8BOM }

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// document reads one JSON value and checks that only whitespace follows.
// A UTF-8 byte order mark before it is skipped (RFC 8259 §8.1 lets a
// parser ignore one); offsets still count its three bytes.
func (s *streamScanner) document() error {
	s.ensure(len(utf8BOM)) // fewer at the end of a short input: then no BOM
	if s.err != nil {
		return s.err
	}
	if hasBOM(s.buf[s.pos:s.end]) {
		s.pos += len(utf8BOM)
	}
	c, ok := s.peek()
	if !ok {
		if s.err != nil {
			return s.err
		}
		if s.base+int64(s.end) == 0 {
			return s.eofErr("(empty input, no JSON document)")
		}
		return s.eofErr("(only whitespace, no JSON document)")
	}
	if err := s.value(s.root, c); err != nil {
		return err
	}
	if c, ok := s.peek(); ok {
		return s.fail(s.pos, "invalid character "+quoteChar(c)+" after top-level value")
	}
	return s.err // nil, or a read error met while looking for more
}

// value reads the value that starts with c at s.pos, following node n of
// the selector trie (nil: nothing selected below).
func (s *streamScanner) value(n *pathNode, c byte) error {
	if n == nil {
		return s.skipValue(c)
	}
	if len(n.sels) > 0 {
		return s.capture(n, c)
	}
	switch {
	case c == '{' && len(n.keys) > 0:
		return s.object(n)
	case c == '[' && n.wild != nil:
		s.reach(n.arrSels)
		return s.array(n.wild)
	}
	return s.skipValue(c)
}

// reach marks the selectors sels reached (see Extractor.Reached).
func (s *streamScanner) reach(sels []int) {
	if s.reached == nil {
		return // a check run of Full mode: nobody asks
	}
	for _, i := range sels {
		s.reached[i] = true
	}
}

// capture reads a selected value, validated per RFC 8259, and emits it for
// each selector that ends at n; then it descends into it for the selectors
// that go deeper. The whole value stays in the buffer while it is read.
func (s *streamScanner) capture(n *pathNode, c byte) error {
	s.mark, s.markLimit, s.markDrop = s.pos, s.maxValue, false
	var err error
	if c == '"' {
		// The index finds the closing quote; a string without odd bytes
		// (index.odd) up to it is valid. Anything else goes to
		// strictString, which finds the first fault.
		q := s.ix.quoteInWord(s.pos) // closeQuote, inlined
		if q < 0 && s.blocks != blocksOff {
			q = s.closeQuoteSlow(s.pos)
		}
		if q >= 0 && s.ix.plain(s.pos+1, q) {
			s.pos = q + 1
			goto captured
		}
		err = s.strictString()
	} else {
		err = s.skipStrict()
	}
captured:
	start := s.mark
	s.mark = -1
	if err != nil {
		return err
	}
	if s.pos-start > s.maxValue {
		return s.tooLarge(start)
	}
	raw := s.buf[start:s.pos:s.pos]
	for _, sel := range n.sels {
		if err := s.emit(sel, raw); err != nil {
			s.err = err
			return err
		}
	}
	switch {
	case c == '{' && len(n.keys) > 0:
		s.pos = start // still in the buffer: read it again for the deeper selectors
		return s.object(n)
	case c == '[' && n.wild != nil:
		s.pos = start
		s.reach(n.arrSels)
		return s.array(n.wild)
	}
	return nil
}

func (s *streamScanner) tooDeep(i int) error {
	return s.fail(i, "nesting deeper than "+strconv.Itoa(maxDepth))
}

func (s *streamScanner) tooLarge(start int) error {
	s.err = fmt.Errorf("extract: value at offset %d longer than %d bytes: %w",
		s.base+int64(start), s.maxValue, ErrValueTooLarge)
	return s.err
}

// push enters a container at s.pos (its opening bracket) and consumes the
// bracket.
func (s *streamScanner) push(obj bool) error {
	d := s.depth
	if d >= maxDepth {
		return s.tooDeep(s.pos)
	}
	if obj {
		s.stack[d>>6] |= 1 << (d & 63)
	} else {
		s.stack[d>>6] &^= 1 << (d & 63)
	}
	s.depth = d + 1
	s.pos++
	return nil
}

// object reads an object whose keys lead to the children of n. Between
// calls it keeps its position in locals (buf, i; s.pos is set before each
// call and read back after it), and it handles inline what most members
// are: a key whose end the index has, and an unselected string, number or
// container after it. peek is too big to inline, so its fast path (the
// next byte is in the buffer and is not whitespace) is written out.
func (s *streamScanner) object(n *pathNode) error {
	// push(true), inline.
	d := s.depth
	if d >= maxDepth {
		return s.tooDeep(s.pos)
	}
	s.stack[d>>6] |= 1 << (d & 63)
	s.depth = d + 1
	s.reach(n.objSels)
	buf, i := s.buf[:s.end], s.pos+1
	var c byte
	var ok bool
	if i < len(buf) && buf[i] > ' ' {
		c = buf[i]
	} else {
		s.pos = i
		if c, ok = s.peekSlow(); !ok {
			return s.eofErr("in object")
		}
		buf, i = s.buf[:s.end], s.pos
	}
	if c == '}' {
		s.pos = i + 1
		s.depth--
		return nil
	}
	for {
		if c != '"' {
			return s.fail(i, "invalid character "+quoteChar(c)+" looking for object key")
		}
		var child *pathNode
		if q := s.ix.quoteInWord(i); q >= 0 && (!s.strict || s.ix.plainShort(i+1, q)) {
			// key's fast path: the index has the key's end, and in
			// strict mode shows it valid.
			if l := q - i - 1; l >= n.minKey && l <= s.keyLimit {
				child = n.match(buf[i+1:q], &s.scratch)
			}
			i = q + 1
		} else {
			s.pos = i
			var err error
			if child, err = s.key(n); err != nil {
				return err
			}
			buf, i = s.buf[:s.end], s.pos
		}
		if i < len(buf) && buf[i] == ':' {
			i++
		} else {
			s.pos = i
			if c, ok = s.peekSlow(); !ok {
				return s.eofErr("after object key")
			}
			if c != ':' {
				return s.fail(s.pos, "invalid character "+quoteChar(c)+" after object key")
			}
			buf, i = s.buf[:s.end], s.pos+1
		}
		if i < len(buf) && buf[i] > ' ' {
			c = buf[i]
		} else {
			s.pos = i
			if c, ok = s.peekSlow(); !ok {
				return s.eofErr("looking for object value")
			}
			buf, i = s.buf[:s.end], s.pos
		}
		if child != nil && c == '"' && len(child.sels) > 0 {
			// A selected string the index shows plain and whole in the
			// buffer: capture, inline.
			q := s.ix.quoteInWord(i)
			if q < 0 && s.ix.covers(i) {
				q = s.ixQuote(i)
			}
			if q >= 0 && q+1-i <= s.maxValue && (s.ix.plainShort(i+1, q) || s.ix.plain(i+1, q)) {
				raw := buf[i : q+1 : q+1]
				for _, sel := range child.sels {
					if err := s.emit(sel, raw); err != nil {
						s.err = err
						return err
					}
				}
				i = q + 1
				goto next
			}
		}
		if child == nil && !s.strict {
			// An unselected value in default mode: skipValue, with the
			// common cases inline.
			switch {
			case c == '{' || c == '[':
				// ixSkip's first try, when the index has the whole
				// subtree; anything else goes to member, which walks
				// it again (bracketRun leaves nothing behind).
				if x := &s.ix; x.covers(i) {
					off := i - x.lo
					if k, ok := bracketRun(x.brack, buf[x.lo:], x.hi-x.lo, off>>6, x.brack[off>>6]&^(1<<(off&63)-1), min(64, maxDepth-s.depth)); ok {
						i = x.lo + k + 1
						goto next
					}
				}
			case c == '"':
				if q := s.ix.quoteInWord(i); q >= 0 {
					i = q + 1
					goto next
				}
				if s.blocks == blocksOff {
					// Without the index: the next quote, eight bytes
					// at a time, ends the string unless a backslash
					// precedes it (then skipString sorts it out).
					j := scanQuote(buf, i+1)
					if j < len(buf) && buf[j-1] != '\\' {
						i = j + 1
						goto next
					}
				}
			case c >= '0' && c <= '9' || c == '-':
				// skipScalar's number: digits eight at a time, then
				// the other number bytes, if it ends in the buffer.
				j := digitsEnd(buf, i+1)
				for j < len(buf) && numChar[buf[j]] {
					j++
				}
				if j < len(buf) {
					i = j
					goto next
				}
			}
		}
		s.pos = i
		if err := s.member(child, c); err != nil {
			return err
		}
		buf, i = s.buf[:s.end], s.pos
	next:
		if i < len(buf) && buf[i] > ' ' {
			c = buf[i]
		} else {
			s.pos = i
			if c, ok = s.peekSlow(); !ok {
				return s.eofErr("in object")
			}
			buf, i = s.buf[:s.end], s.pos
		}
		switch c {
		case ',':
			i++
			if i < len(buf) && buf[i] > ' ' {
				c = buf[i]
			} else {
				s.pos = i
				if c, ok = s.peekSlow(); !ok {
					return s.eofErr("looking for object key")
				}
				buf, i = s.buf[:s.end], s.pos
			}
		case '}':
			s.pos = i + 1
			s.depth--
			return nil
		default:
			return s.fail(i, "invalid character "+quoteChar(c)+" after object member (want ',' or '}')")
		}
	}
}

// member reads the value of an object member that starts with c at s.pos
// and follows child (nil: not selected).
func (s *streamScanner) member(child *pathNode, c byte) error {
	switch {
	case child != nil:
		return s.value(child, c)
	case s.strict:
		return s.skipStrict()
	case c == '"':
		q := s.ix.quoteInWord(s.pos) // closeQuote, inlined
		if q < 0 && s.blocks != blocksOff {
			q = s.closeQuoteSlow(s.pos)
		}
		if q >= 0 {
			s.pos = q + 1
			return nil
		}
		// Inline fast path of skipString: an unescaped quote in the buffer.
		buf := s.buf[:s.end]
		j := scanQuote(buf, s.pos+1)
		if j < len(buf) && buf[j-1] != '\\' {
			s.pos = j + 1
			return nil
		}
		return s.skipString()
	case c == '{' || c == '[':
		return s.skipFast()
	}
	return s.skipScalar(c)
}

// array reads an array whose elements all follow node elem.
func (s *streamScanner) array(elem *pathNode) error {
	if err := s.push(false); err != nil {
		return err
	}
	c, ok := s.peek()
	if !ok {
		return s.eofErr("in array")
	}
	if c == ']' {
		s.pos++
		s.depth--
		return nil
	}
	// value(elem, c), with its common case, an object with selected
	// keys, called straight.
	direct := elem != nil && len(elem.sels) == 0 && len(elem.keys) > 0
	for {
		var err error
		if c == '{' && direct {
			err = s.object(elem)
		} else {
			err = s.value(elem, c)
		}
		if err != nil {
			return err
		}
		if s.pos < s.end && s.buf[s.pos] > ' ' {
			c = s.buf[s.pos]
		} else if c, ok = s.peekSlow(); !ok {
			return s.eofErr("in array")
		}
		switch c {
		case ',':
			s.pos++
			if s.pos < s.end && s.buf[s.pos] > ' ' {
				c = s.buf[s.pos]
			} else if c, ok = s.peekSlow(); !ok {
				return s.eofErr("looking for array element")
			}
		case ']':
			s.pos++
			s.depth--
			return nil
		default:
			return s.fail(s.pos, "invalid character "+quoteChar(c)+" after array element (want ',' or ']')")
		}
	}
}

// key reads the object key at s.pos (its opening quote) and returns the
// child of n it leads to, or nil. A key too long to equal any selector key
// is not kept in the buffer.
func (s *streamScanner) key(n *pathNode) (*pathNode, error) {
	if !s.strict {
		// Fast path: the index has the closing quote. A key too long to
		// equal a selector key once unescaped is not compared.
		q := s.ix.quoteInWord(s.pos) // closeQuote, inlined
		if q < 0 && s.blocks != blocksOff {
			q = s.closeQuoteSlow(s.pos)
		}
		if q >= 0 {
			start := s.pos + 1
			s.pos = q + 1
			if q-start < n.minKey || q-start > s.keyLimit {
				return nil, nil
			}
			return n.match(s.buf[start:q], &s.scratch), nil
		}
		// Without it: a key without escapes that ends within the buffer.
		buf := s.buf[:s.end]
		j := s.pos + 1
		if j+8 <= len(buf) {
			if m := zeroBytes(binary.LittleEndian.Uint64(buf[j:]) ^ ('"' * swarLo)); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				goto found
			}
			j += 8
		}
		for j < len(buf) && buf[j] != '"' {
			j++
		}
	found:
		if j < len(buf) && buf[j-1] != '\\' {
			start := s.pos + 1
			s.pos = j + 1
			if j-start < n.minKey {
				return nil, nil // unescaping never makes a key longer
			}
			return n.match(buf[start:j], &s.scratch), nil
		}
	}
	if s.strict {
		// A key the index shows valid (see strictClose) is compared as
		// it stands, as in default mode.
		q := s.ix.quoteInWord(s.pos)
		if (q < 0 || !s.ix.plainShort(s.pos+1, q)) && s.blocks != blocksOff {
			q = s.strictClose(s.pos)
		}
		if q >= 0 {
			start := s.pos + 1
			s.pos = q + 1
			if q-start < n.minKey || q-start > s.keyLimit {
				return nil, nil
			}
			return n.match(s.buf[start:q], &s.scratch), nil
		}
	}
	s.mark, s.markLimit, s.markDrop = s.pos, s.keyLimit, true
	var err error
	if s.strict {
		err = s.strictString()
	} else {
		err = s.skipString()
	}
	start := s.mark
	s.mark = -1
	if err != nil || start < 0 {
		return nil, err
	}
	return n.match(s.buf[start+1:s.pos-1], &s.scratch), nil
}
