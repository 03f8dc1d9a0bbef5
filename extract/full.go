//go:build amd64 || arm64

package extract

// Full mode is built where sonic is (64-bit amd64 and arm64);
// full_unavailable.go stands in elsewhere.

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"unsafe"

	"github.com/bytedance/sonic/ast"
	"github.com/bytedance/sonic/encoder"
)

// keepBodyBuffer is the largest body buffer a Full extractor keeps for the
// next Run; a larger one is dropped so that one huge body does not pin its
// memory for the extractor's lifetime.
const keepBodyBuffer = 128 << 20

// fullScanner is the Full mode scanner. It reads the whole body into
// memory (O(body) memory, about 2.5× the body at peak when its size is
// not known in advance; capped by MaxBodySize), then walks the selectors
// with sonic's lazy ast: only the containers on a selector's path are
// parsed, everything else is skipped, and small objects on the path are
// searched with sonic's native path search. All selectors are walked
// together in one pass over the document, so values come out in document
// order.
//
// Checks, so that Full and Stream accept the same documents and report
// the same errors: by default, sonic's validating skip of the document
// (the RFC 8259 grammar, not what is inside strings), only whitespace
// after it, and every selected value validated in full (UTF-8, escapes,
// control characters), as the stream scanner validates selected values.
// With Strict, the stream scanner's strict validation runs over the body
// first. When a body is rejected, the stream scanner is asked where and
// why, so the *SyntaxError names the same offset and problem as in Stream
// mode wherever that scanner sees the problem too.
type fullScanner struct {
	sels    [][]Step
	conts   []container // per selector: where Reached looks
	reached []bool      // of the current scan
	maxBody int64
	maxVal  int
	check   scanner // the stream scanner: strict validation and diagnoses
	strict  bool
	body    []byte   // reused between runs up to keepBodyBuffer
	pieces  [][]byte // readBody scratch when the size is not known
	scratch []byte   // the value handed to emit
	root    []byte   // the body during a walk, to find a value's offset
	// valueCheck validates one selected value on its own (strict; what its
	// selector finds inside the value is ignored).
	valueCheck scanner
	// active holds, per depth, the selectors still following the path.
	active [][]int
	hits   [][]fullHit // per depth: scratch for searchObject
}

func newFullScanner(opts Options, sels []Selector) (scanner, error) {
	s := &fullScanner{maxBody: opts.MaxBodySize, maxVal: opts.MaxValueSize}
	maxDepth := 0
	for _, sel := range sels {
		s.sels = append(s.sels, sel.Steps())
		s.conts = append(s.conts, containerOf(sel.Steps()))
		maxDepth = max(maxDepth, len(sel.Steps()))
	}
	s.active = make([][]int, maxDepth+1)
	s.hits = make([][]fullHit, maxDepth+1)
	check, err := newStreamScanner(opts, sels)
	if err != nil {
		return nil, err
	}
	s.check, s.strict = check, opts.Strict
	// Any selector will do: the values it finds inside a value are
	// ignored, and they cannot be longer than the value.
	nothing, err := ParseSelector("a")
	if err != nil {
		return nil, err
	}
	if s.valueCheck, err = newStreamScanner(Options{Strict: true, BufferSize: 4 << 10, MaxValueSize: opts.MaxValueSize}, []Selector{nothing}); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *fullScanner) scan(r io.Reader, emit EmitFunc, reached []bool) (int64, error) {
	defer func() { // also after a failed read, which may have grown it
		if cap(s.body) > keepBodyBuffer {
			s.body = nil
		}
	}()
	n, err := s.readBody(r)
	if err != nil {
		return n, err
	}
	body := s.body
	s.root, s.reached = body, reached
	defer func() { s.root, s.reached = nil, nil }()
	if s.strict {
		if _, err := s.check.scan(bytes.NewReader(body), func(int, []byte) error { return nil }, nil); err != nil {
			return n, err
		}
	}
	// Sonic parses what follows a byte order mark; s.root keeps it, so
	// offsets count it as the stream scanner's do.
	doc := body
	if hasBOM(doc) {
		doc = doc[len(utf8BOM):]
	}
	// The ast parses a string; alias the buffer instead of copying it. The
	// buffer is not written while the nodes live (until scan returns), and
	// emit gets copies of the values, never the aliased memory.
	//
	// NewRaw skips the document with sonic's validating skip, which is the
	// syntax check of the default mode; only the bytes after it are left
	// to look at.
	root := ast.NewRaw(unsafe.String(unsafe.SliceData(doc), len(doc)))
	if err := s.checkRoot(&root, body); err != nil {
		return n, err
	}
	all := s.active[0][:0]
	for i := range s.sels {
		all = append(all, i)
	}
	s.active[0] = all
	return n, s.walk(&root, 0, all, emit)
}

// checkRoot reports a *SyntaxError if sonic could not skip the document or
// something other than whitespace follows it.
func (s *fullScanner) checkRoot(root *ast.Node, body []byte) error {
	if root.Check() != nil || !root.Exists() {
		return s.diagnose(body)
	}
	raw, err := root.Raw()
	if err != nil {
		return s.diagnose(body)
	}
	end := s.offset(raw) + int64(len(raw))
	if end <= 0 || len(bytes.TrimLeft(body[end:], " \t\r\n")) > 0 {
		return s.diagnose(body)
	}
	if t := root.TypeSafe(); t != ast.V_OBJECT && t != ast.V_ARRAY {
		// sonic 1.15 takes a top-level string left open after a multiple
		// of 32 bytes for a whole one: check a scalar document again.
		if _, err := s.valueCheck.scan(bytes.NewReader(body), func(int, []byte) error { return nil }, nil); err != nil {
			return s.diagnose(body)
		}
	}
	return nil
}

// readBody reads r to its end into s.body, within MaxBodySize.
//
// When the size is not known, the body is read in pieces that are joined
// once at the end into a buffer of its exact size: doubling one buffer
// would leave up to twice the body allocated (and the garbage collector
// sizes its target from that), for the whole walk.
func (s *fullScanner) readBody(r io.Reader) (int64, error) {
	src := r
	if s.maxBody > 0 {
		src = io.LimitReader(r, s.maxBody+1)
	}
	if l, ok := r.(interface{ Len() int }); ok && (s.maxBody == 0 || int64(l.Len()) <= s.maxBody) {
		// The size is known (bytes.Reader, strings.Reader, bytes.Buffer).
		// ReadFrom wants MinRead bytes free to try the read that sees EOF.
		if cap(s.body) < l.Len()+bytes.MinRead {
			s.body = make([]byte, 0, l.Len()+bytes.MinRead)
		}
		buf := bytes.NewBuffer(s.body[:0])
		n, err := buf.ReadFrom(src)
		s.body = buf.Bytes()
		return n, s.readErr(n, err)
	}
	pieces := s.pieces[:0]
	defer func() { clear(pieces); s.pieces = pieces[:0] }()
	var n int64
	var err error
	for size := 64 << 10; err == nil; size = min(2*size, 16<<20) {
		p := make([]byte, size)
		var k int
		k, err = io.ReadFull(src, p)
		pieces = append(pieces, p[:k])
		n += int64(k)
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	if err = s.readErr(n, err); err != nil {
		return n, err // not joined: a body over the cap is not copied whole
	}
	if cap(s.body) < int(n) {
		s.body = make([]byte, 0, n)
	}
	s.body = s.body[:0]
	for _, p := range pieces {
		s.body = append(s.body, p...)
	}
	return n, nil
}

func (s *fullScanner) readErr(n int64, err error) error {
	if err != nil {
		return fmt.Errorf("extract: read at offset %d: %w", n, err)
	}
	if s.maxBody > 0 && n > s.maxBody {
		return fmt.Errorf("extract: full mode reads the whole body and it is longer than %d bytes: %w", s.maxBody, ErrBodyTooLarge)
	}
	return nil
}

// diagnose explains why body was rejected: the stream scanner's
// *SyntaxError if it finds one, else a *SyntaxError where sonic's
// validator stops.
func (s *fullScanner) diagnose(body []byte) error {
	ok, at := encoder.Valid(body)
	switch {
	case ok:
		return s.diagnoseAt(body, 0, "document rejected by sonic")
	case at < 0 || at >= len(body):
		return s.diagnoseAt(body, int64(len(body)), "unexpected end of input")
	}
	return s.diagnoseAt(body, int64(at), "invalid JSON at "+quoteChar(body[at]))
}

// sonicMaxDepth is the deepest nesting sonic parses (its MAX_RECURSE).
const sonicMaxDepth = 4096

// diagnoseAt is diagnose with what to report if the stream scanner finds
// nothing wrong.
func (s *fullScanner) diagnoseAt(body []byte, at int64, msg string) error {
	if _, err := s.check.scan(bytes.NewReader(body), func(int, []byte) error { return nil }, nil); err != nil {
		return err
	}
	if off := deeperThan(body, sonicMaxDepth); off >= 0 {
		// Valid JSON that sonic cannot take: say so, never "invalid".
		return fmt.Errorf("extract: full mode: nesting at offset %d is deeper than sonic's limit of %d (stream mode takes up to %d)",
			off, sonicMaxDepth, maxDepth)
	}
	if at >= int64(len(body)) {
		return &SyntaxError{Offset: int64(len(body)), Msg: msg, Err: io.ErrUnexpectedEOF}
	}
	return &SyntaxError{Offset: at, Msg: msg}
}

// deeperThan returns the offset of the first bracket in body that opens
// nesting level limit+1, or -1. Brackets inside strings do not count.
func deeperThan(body []byte, limit int) int64 {
	depth, in := 0, false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case in:
			if c == '\\' {
				i++
			} else if c == '"' {
				in = false
			}
		case c == '"':
			in = true
		case c == '[' || c == '{':
			if depth++; depth > limit {
				return int64(i)
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return -1
}

// walk visits n, which the selectors in active reach after depth steps:
// it emits n for those that end here and follows the others into n's
// members or elements, in document order.
func (s *fullScanner) walk(n *ast.Node, depth int, active []int, emit EmitFunc) error {
	if err := n.Check(); err != nil {
		return fmt.Errorf("extract: full mode: %w", err)
	}
	deeper := false
	for _, i := range active {
		if len(s.sels[i]) == depth {
			if err := s.emit(n, i, emit); err != nil {
				return err
			}
		} else {
			deeper = true
		}
	}
	if !deeper {
		return nil
	}
	next := s.active[depth+1][:0]
	defer func() { s.active[depth+1] = next[:0] }()
	t := n.TypeSafe()
	for _, i := range active {
		if c := s.conts[i]; c.depth == depth && c.array == (t == ast.V_ARRAY) && (t == ast.V_ARRAY || t == ast.V_OBJECT) {
			s.reached[i] = true
		}
	}
	switch t {
	case ast.V_OBJECT:
		if done, err := s.searchObject(n, depth, active, emit); done || err != nil {
			return err
		}
		raw, err := n.Raw() // before the iteration parses n
		if err != nil {
			return fmt.Errorf("extract: full mode: %w", err)
		}
		it, err := n.Properties()
		if err != nil {
			return fmt.Errorf("extract: full mode: %w", err)
		}
		last := s.offset(raw) + 1 // after the last member read
		var p ast.Pair
		for it.Next(&p) {
			vraw, err := p.Value.Raw()
			if err != nil {
				return fmt.Errorf("extract: full mode: %w", err)
			}
			last = s.offset(vraw) + int64(len(vraw))
			next = next[:0]
			for _, i := range active {
				if s.follows(i, depth, p.Key) {
					next = append(next, i)
				}
			}
			if len(next) > 0 {
				s.active[depth+1] = next
				if err := s.walk(&p.Value, depth+1, next, emit); err != nil {
					return err
				}
			}
		}
		return s.finished(raw, last)
	case ast.V_ARRAY:
		for _, i := range active {
			if st := s.sels[i]; len(st) > depth && st[depth].Wildcard {
				next = append(next, i)
			}
		}
		if len(next) == 0 {
			return nil
		}
		s.active[depth+1] = next
		raw, err := n.Raw()
		if err != nil {
			return fmt.Errorf("extract: full mode: %w", err)
		}
		it, err := n.Values()
		if err != nil {
			return fmt.Errorf("extract: full mode: %w", err)
		}
		last := s.offset(raw) + 1
		var v ast.Node
		for it.Next(&v) {
			vraw, err := v.Raw()
			if err != nil {
				return fmt.Errorf("extract: full mode: %w", err)
			}
			last = s.offset(vraw) + int64(len(vraw))
			if err := s.walk(&v, depth+1, next, emit); err != nil {
				return err
			}
		}
		return s.finished(raw, last)
	}
	return nil
}

// finished checks that an iteration over the container raw reached its
// end: sonic's iterators stop quietly at what they cannot read (such as a
// bad escape in a key, which its validating skip lets through), and a
// value must not go missing quietly. last is the offset after the last
// member or element read.
func (s *fullScanner) finished(raw string, last int64) error {
	end := s.offset(raw) + int64(len(raw)) - 1 // the closing bracket
	if last < 0 || end < last || len(bytes.TrimLeft(s.root[last:end], " \t\r\n")) > 0 {
		return s.diagnoseAt(s.root, max(last, 0), "sonic cannot read the member or element here")
	}
	return nil
}

// smallObject is the size up to which an object on the path is searched
// with sonic's native path search rather than iterated: iterating parses
// it into a lazy node with a sizeable stack, which for the elements of a
// big array costs more than the search.
const smallObject = 4 << 10

// fullHit is a member found by searchObject.
type fullHit struct {
	off  int64
	key  string
	node ast.Node
}

// searchObject walks the members of a small object n that the selectors
// in active follow, found with sonic's searcher, in document order. It
// declines (done == false) when it could not be sure to find every member
// the iteration would: escapes in the object (a key may be spelled
// differently) or a key whose text occurs more than once (it may be
// duplicated; the searcher finds only the first).
func (s *fullScanner) searchObject(n *ast.Node, depth int, active []int, emit EmitFunc) (done bool, err error) {
	raw, err := n.Raw()
	if err != nil || len(raw) > smallObject || strings.IndexByte(raw, '\\') >= 0 {
		return false, nil
	}
	hits := s.hits[depth][:0]
	defer func() { s.hits[depth] = hits[:0] }()
	for k, i := range active {
		st := s.sels[i]
		if len(st) <= depth || st[depth].Wildcard {
			continue
		}
		key := st[depth].Key
		if slices.ContainsFunc(active[:k], func(j int) bool { return s.follows(j, depth, key) }) {
			continue // searched already
		}
		switch quotedCount(raw, key) {
		case 0:
			continue
		case 1:
		default:
			return false, nil
		}
		sr := ast.NewSearcher(raw)
		sr.ValidateJSON = false // NewRaw validated the document
		v, err := sr.GetByPath(key)
		if err != nil {
			return false, nil // not a member after all (the text was in a value): iterate
		}
		vraw, err := v.Raw()
		if err != nil {
			return false, nil
		}
		hits = append(hits, fullHit{off: s.offset(vraw), key: key, node: v})
	}
	slices.SortFunc(hits, func(a, b fullHit) int { return int(a.off - b.off) })
	for h := range hits {
		next := s.active[depth+1][:0]
		for _, i := range active {
			if s.follows(i, depth, hits[h].key) {
				next = append(next, i)
			}
		}
		s.active[depth+1] = next
		if err := s.walk(&hits[h].node, depth+1, next, emit); err != nil {
			return true, err
		}
	}
	return true, nil
}

// follows reports whether selector i steps into the member key at depth.
func (s *fullScanner) follows(i, depth int, key string) bool {
	st := s.sels[i]
	return len(st) > depth && !st[depth].Wildcard && st[depth].Key == key
}

// quotedCount counts the occurrences of key between quotes in raw, up to 2.
func quotedCount(raw, key string) int {
	count := 0
	for i := 0; count < 2; {
		j := strings.Index(raw[i:], key)
		if j < 0 {
			break
		}
		j += i
		if j > 0 && raw[j-1] == '"' && j+len(key) < len(raw) && raw[j+len(key)] == '"' {
			count++
		}
		i = j + 1
	}
	return count
}

// emit hands the JSON text of n to the caller, copied out of the body.
func (s *fullScanner) emit(n *ast.Node, sel int, emit EmitFunc) error {
	raw, err := n.Raw()
	if err != nil {
		return fmt.Errorf("extract: full mode: %w", err)
	}
	if len(raw) > s.maxVal {
		return fmt.Errorf("extract: full mode: selector %d: value at offset %d is %d bytes: %w",
			sel, s.offset(raw), len(raw), ErrValueTooLarge)
	}
	s.scratch = append(s.scratch[:0], raw...)
	v := bytes.TrimRight(s.scratch, " \t\r\n")
	if !s.strict && !plainString(v) {
		// Sonic's skip checks the grammar but not what is inside strings;
		// the stream scanner validates every selected value per RFC 8259,
		// and so does this mode (all of the document when strict).
		if _, err := s.valueCheck.scan(bytes.NewReader(v), func(int, []byte) error { return nil }, nil); err != nil {
			return s.diagnose(s.root)
		}
	}
	return emit(sel, v)
}

// plainString reports whether v is a string of printable ASCII without
// escapes: valid as it is, the common case of a timestamp.
func plainString(v []byte) bool {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return false
	}
	for _, c := range v[1 : len(v)-1] {
		if c < 0x20 || c >= 0x7f || c == '\\' || c == '"' {
			return false
		}
	}
	return true
}

// offset is the position in the body of raw, a string the ast cut out of
// it (or -1 if it is not).
func (s *fullScanner) offset(raw string) int64 {
	if len(s.root) == 0 {
		return -1
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(s.root)))
	p := uintptr(unsafe.Pointer(unsafe.StringData(raw)))
	if p < base || p >= base+uintptr(len(s.root)) {
		return -1
	}
	return int64(p - base)
}
