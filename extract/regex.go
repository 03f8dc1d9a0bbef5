package extract

// Regex mode, organised as follows: regex_pattern.go checks and compiles a
// pattern, regex_reach.go runs its program as a lazy DFA that tells how far
// a match starting at a place could reach, and this file runs the patterns
// over a window of the stream. The window is the carried tail of the
// previous chunk followed by the next chunk:
//
//	buf[0:len(buf)]   the window; buf[0] is byte base of the stream
//	next[i]           stream offset where pattern i resumes (>= base)
//
// A place where a match of pattern i may start (an occurrence of its
// literal prefix, or any byte if it has none) is decided when every way of
// matching from there has failed before the window's end, or at the end of
// the input: then whether and how the pattern matches there cannot change
// with more input, and the DFA also says where the leftmost-first match
// ends. The first place that is not decided ("the cut") and everything
// after it is carried into the next window. Each value is therefore found
// exactly once, the same at every chunk size. Undecided text longer than
// the pattern's limit (MaxValueSize + prefix + limitSlack) is an error, so
// the carried tail is bounded.

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
)

// regexScanner is the Regex mode scanner. It matches text, not paths: a
// pattern derived from data.updates[*].timestamp finds every "timestamp"
// key anywhere in the document, even inside strings, and does not check
// that the document is JSON.
type regexScanner struct {
	// pats are the patterns of the selectors (pattern i reports sel i),
	// then the container patterns: pattern nsel+k finds the container of
	// selector owner[k] (its key, a colon and the bracket), which is all
	// Regex mode can tell of Extractor.Reached. A selector without a
	// container pattern (its container is the top-level value, or its
	// pattern was given) is always reported reached.
	pats     []*regexPattern
	nsel     int
	owner    []int
	chunk    int   // bytes read per window
	maxValue int   // cap on a captured value
	limit    []int // per pattern: longest match (or text that could become one) allowed
	buf      []byte
	next     []int64
	found    []regexMatch // matches of the current window, all patterns
	base     int64        // stream offset of buf[0] in the current window, for errors
	reached  []bool       // of the current scan
}

// regexMatch is one match in the window, in window indexes.
type regexMatch struct {
	start, end int // the whole match
	vs, ve     int // the captured value; vs < 0 if the group took no part
	sel        int
}

// maxRegexChunk bounds BufferSize in Regex mode: the chunk is allocated.
const maxRegexChunk = 1 << 30

// limitSlack is room in a match for what lies between the literal prefix
// and the captured value (spaces, a colon).
const limitSlack = 256

func newRegexScanner(opts Options, sels []Selector) (scanner, error) {
	srcs := opts.Patterns
	if len(srcs) == 0 {
		srcs = make([]string, len(sels))
		for i, sel := range sels {
			p, err := derivedPattern(sel)
			if err != nil {
				return nil, fmt.Errorf("extract: regex mode: %w", err)
			}
			srcs[i] = p
		}
	}
	if opts.BufferSize > maxRegexChunk {
		return nil, fmt.Errorf("extract: regex mode: chunk size %d above %d bytes", opts.BufferSize, maxRegexChunk)
	}
	s := &regexScanner{chunk: opts.BufferSize, maxValue: opts.MaxValueSize}
	for i, src := range srcs {
		p, err := compileRegexPattern(src)
		if err != nil {
			return nil, fmt.Errorf("extract: regex pattern %d %q: %w", i, src, err)
		}
		if len(opts.Patterns) == 0 {
			p.derivedKey = len(jsonKeyText(sels[i].Steps()[len(sels[i].Steps())-1].Key)) + 2
		}
		s.pats = append(s.pats, p)
	}
	s.nsel = len(s.pats)
	if len(opts.Patterns) == 0 {
		for i, sel := range sels {
			c := containerOf(sel.Steps())
			if c.depth == 0 {
				continue
			}
			bracket := `\{`
			if c.array {
				bracket = `\[`
			}
			src := `"` + regexp.QuoteMeta(jsonKeyText(sel.Steps()[c.depth-1].Key)) + `"[ \t\r\n]*:[ \t\r\n]*(` + bracket + `)`
			p, err := compileRegexPattern(src)
			if err != nil {
				return nil, fmt.Errorf("extract: regex container pattern %d %q: %w", i, src, err)
			}
			s.pats = append(s.pats, p)
			s.owner = append(s.owner, i)
		}
	}
	for _, p := range s.pats {
		s.limit = append(s.limit, len(p.lit)+min(opts.MaxValueSize, math.MaxInt32)+limitSlack) // no overflow
	}
	s.next = make([]int64, len(s.pats))
	return s, nil
}

func (s *regexScanner) scan(r io.Reader, emit EmitFunc, reached []bool) (int64, error) {
	buf := s.buf[:0]
	s.reached = reached
	defer func() { s.buf, s.reached = buf[:0], nil }()
	for i := range reached {
		reached[i] = true
	}
	for _, i := range s.owner {
		reached[i] = false
	}
	clear(s.next)
	var base int64 // stream offset of buf[0]
	for {
		// Append one chunk (short only at the end of the input).
		start := len(buf)
		buf = slices.Grow(buf, s.chunk)[:start+s.chunk]
		n, err := io.ReadFull(r, buf[start:])
		buf = buf[:start+n]
		eof := false
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			eof = true
		default:
			return base + int64(len(buf)), fmt.Errorf("extract: read at offset %d: %w", base+int64(start), err)
		}

		cut, err := s.window(buf, base, eof)
		if err != nil {
			return base + int64(len(buf)), err
		}
		for _, m := range s.found {
			if m.sel >= s.nsel {
				reached[s.owner[m.sel-s.nsel]] = true
				continue
			}
			if m.start >= cut {
				continue
			}
			var v []byte
			if m.vs >= 0 {
				if m.ve-m.vs > s.maxValue {
					return base + int64(len(buf)), fmt.Errorf("extract: regex pattern %d: value at offset %d is %d bytes: %w",
						m.sel, base+int64(m.vs), m.ve-m.vs, ErrValueTooLarge)
				}
				v = buf[m.vs:m.ve]
			}
			if err := emit(m.sel, v); err != nil {
				return base + int64(len(buf)), err
			}
		}
		if eof {
			return base + int64(len(buf)), nil
		}
		// Keep the undecided tail; every pattern resumes at or after cut.
		buf = buf[:copy(buf, buf[cut:])]
		base += int64(cut)
	}
}

// window finds the matches of every pattern in buf (whose first byte is
// stream offset base) that are decided, and returns the cut: the window
// index before which every place is decided for every pattern. The
// matches, in document order, are left in s.found; those that start at or
// after the cut are found again in the next window.
func (s *regexScanner) window(buf []byte, base int64, eof bool) (int, error) {
	s.found = s.found[:0]
	cut := len(buf)
	s.base = base
	for i, p := range s.pats {
		if i >= s.nsel && s.reached[s.owner[i-s.nsel]] {
			continue // found already: no need to look further
		}
		from := int(s.next[i] - base)
		c, err := s.scanPattern(i, p, buf, from, eof)
		if err != nil {
			return 0, fmt.Errorf("extract: regex pattern %d: %w", i, err)
		}
		cut = min(cut, c)
	}
	// Matches of several patterns interleave: sort by start, then by
	// pattern (matches of one pattern never share a start).
	if len(s.pats) > 1 {
		slices.SortStableFunc(s.found, func(a, b regexMatch) int {
			if a.start != b.start {
				return a.start - b.start
			}
			return a.sel - b.sel
		})
	}
	// Each pattern resumes after its last match that starts before the
	// cut, and never before the cut.
	for i := range s.pats {
		s.next[i] = base + int64(cut)
	}
	for _, m := range s.found {
		if m.start < cut {
			s.next[m.sel] = max(s.next[m.sel], base+int64(m.end))
		}
	}
	return cut, nil
}

// scanPattern appends to s.found the matches of pattern sel in buf[from:]
// that are decided, and returns the first place from which nothing is
// decided (len(buf) at the end of the input).
func (s *regexScanner) scanPattern(sel int, p *regexPattern, buf []byte, from int, eof bool) (int, error) {
	n := len(buf)
	if len(p.lit) == 0 {
		// Every byte may start a match: runs from each would cost
		// O(window × match length).
		return s.scanLinear(sel, p, buf, from, eof)
	}
	// Runs from places whose text overlaps (a prefix that repeats inside
	// a long near-match) could add up to O(window²): past this budget the
	// rest of the window goes the linear way.
	budget := 8*(n-from) + 4096
	pos := from
	for pos < n {
		k := indexFrom(buf, pos, p.lit)
		if k < 0 {
			if eof {
				return n, nil
			}
			// The last len(lit)-1 bytes may start the prefix.
			return max(pos, n-len(p.lit)+1), nil
		}
		end, alive, mend := p.reach.run(buf[k:], eof)
		if budget -= end; budget < 0 {
			return s.scanLinear(sel, p, buf, k, eof)
		}
		if alive && !eof {
			return s.carry(sel, k, n)
		}
		if mend < 0 {
			pos = k + 1
			continue
		}
		if p.derivedKey > 0 {
			// A derived pattern is the key's text, JSON spaces, a colon,
			// spaces, then the captured value up to the match's end: the
			// capture needs no second run of the regexp.
			s.found = append(s.found, regexMatch{start: k, end: k + mend, vs: derivedValueStart(buf, k+p.derivedKey), ve: k + mend, sel: sel})
			pos = k + mend
			continue
		}
		// The match is buf[k:k+mend]; the pattern anchored at both ends
		// finds its capture on that short span, and regexp can run it
		// with its one-pass matcher.
		loc := p.exact.FindSubmatchIndex(buf[k : k+mend])
		if loc == nil {
			return 0, fmt.Errorf("internal error: match at offset %d not confirmed by regexp", s.base+int64(k))
		}
		s.addMatch(sel, k, loc)
		pos = k + loc[1]
	}
	return n, nil
}

// scanLinear is scanPattern in time linear in the window: the first place
// that more input could still turn into a match is found in one pass
// (leftmostAlive), and the matches before it with regexp's own search.
func (s *regexScanner) scanLinear(sel int, p *regexPattern, buf []byte, from int, eof bool) (int, error) {
	n := len(buf)
	cut := n
	if !eof {
		if c := p.reach.leftmostAlive(buf[from:], false); c >= 0 {
			if _, err := s.carry(sel, from+c, n); err != nil {
				return 0, err
			}
			cut = from + c
		}
	}
	for pos := from; pos < cut; {
		loc := p.unanchored.FindSubmatchIndex(buf[pos:])
		if loc == nil || pos+loc[0] >= cut {
			break
		}
		s.addMatch(sel, pos, loc)
		pos += loc[1]
	}
	return cut, nil
}

// carry returns k as the cut of pattern sel, or an error if the text from
// k that is still undecided is longer than the pattern's limit.
func (s *regexScanner) carry(sel, k, n int) (int, error) {
	if n-k > s.limit[sel] {
		return 0, fmt.Errorf("text at offset %d could still be a match after %d bytes (limit %d: MaxValueSize + prefix + %d)",
			s.base+int64(k), n-k, s.limit[sel], limitSlack)
	}
	return k, nil
}

// derivedValueStart skips the spaces, colon and spaces that follow the key
// in a match of a derived pattern.
func derivedValueStart(buf []byte, i int) int {
	for buf[i] != ':' {
		i++
	}
	i++
	for buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n' {
		i++
	}
	return i
}

// addMatch records a match of FindSubmatchIndex run on buf[at:].
func (s *regexScanner) addMatch(sel, at int, loc []int) {
	m := regexMatch{start: at + loc[0], end: at + loc[1], vs: -1, ve: -1, sel: sel}
	if loc[2] >= 0 {
		m.vs, m.ve = at+loc[2], at+loc[3]
	}
	s.found = append(s.found, m)
}

// indexFrom is bytes.Index of lit in buf[from:], as an index into buf.
func indexFrom(buf []byte, from int, lit []byte) int {
	k := bytes.Index(buf[from:], lit)
	if k < 0 {
		return -1
	}
	return from + k
}
