package batch

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultMaxIDLength is the longest node ID ReadNodes accepts when
// ListOptions.MaxIDLength is zero. RIPEstat resources (ASNs, prefixes) are
// far shorter; anything longer is more likely a pasted document than an ID.
const DefaultMaxIDLength = 256

// maxReported caps how many duplicates and invalid lines a List keeps, so
// that feeding a binary file by mistake reports the problem without
// holding a copy of the file. The totals count them all.
const maxReported = 1000

// ListOptions says how to read a node list. The zero value reads one ID per
// line.
type ListOptions struct {
	// Column, when set, reads the list as CSV and takes this column: a
	// 1-based index ("2") or a header name ("resource"). A name implies
	// Header.
	Column string
	// Header says that the first CSV record is a header, not a node.
	Header bool
	// Comma is the CSV field separator; zero means ','.
	Comma rune
	// MaxIDLength is the longest accepted ID in bytes; zero means
	// DefaultMaxIDLength.
	MaxIDLength int
}

// A List is a node list as read by ReadNodes.
type List struct {
	// Nodes are the valid IDs in the order of their first appearance,
	// without duplicates.
	Nodes []string
	// Duplicates are the repeated IDs that were dropped (at most the
	// first 1000; DuplicateCount counts all).
	Duplicates     []Duplicate
	DuplicateCount int
	// Invalid are the rejected lines (at most the first 1000;
	// InvalidCount counts all).
	Invalid      []Invalid
	InvalidCount int
}

// A Duplicate is an ID seen again on Line after FirstLine.
type Duplicate struct {
	Node      string
	Line      int
	FirstLine int
}

// An Invalid is a rejected line.
type Invalid struct {
	Line   int    // 1-based line number in the input
	Text   string // the offending text, quoted and shortened for messages
	Reason string // why it was rejected
}

func (iv Invalid) String() string {
	return fmt.Sprintf("line %d: %s: %s", iv.Line, iv.Reason, iv.Text)
}

// ReadNodes reads a node list from r. Blank lines and comments (a '#' at the
// start of a line or after white space) are skipped, surrounding space is
// trimmed, duplicates are dropped and invalid IDs are rejected; both are
// reported in the List with their line numbers rather than failing the
// read. The error is for a reader that fails or CSV that cannot be parsed,
// and names the line.
func ReadNodes(r io.Reader, o ListOptions) (*List, error) {
	if o.MaxIDLength == 0 {
		o.MaxIDLength = DefaultMaxIDLength
	}
	if o.MaxIDLength < 0 {
		return nil, fmt.Errorf("batch: read nodes: negative MaxIDLength %d", o.MaxIDLength)
	}
	b := listBuilder{opts: o, seen: make(map[string]int), list: &List{}}
	if o.Column == "" {
		return b.list, b.readLines(r)
	}
	return b.list, b.readCSV(r)
}

// listBuilder accumulates a List; seen maps an ID to the line it first
// appeared on.
type listBuilder struct {
	opts ListOptions
	seen map[string]int
	list *List
}

// add checks one trimmed candidate from line and files it. id may be
// the reader's buffer: only a new node is copied into a string.
func (b *listBuilder) add(line int, id []byte) {
	if reason := checkID(id, b.opts.MaxIDLength); reason != "" {
		b.invalid(line, string(id), reason)
		return
	}
	if first, dup := b.seen[string(id)]; dup {
		b.list.DuplicateCount++
		if len(b.list.Duplicates) < maxReported {
			b.list.Duplicates = append(b.list.Duplicates, Duplicate{Node: string(id), Line: line, FirstLine: first})
		}
		return
	}
	node := string(id)
	b.seen[node] = line
	b.list.Nodes = append(b.list.Nodes, node)
}

func (b *listBuilder) invalid(line int, text, reason string) {
	b.list.InvalidCount++
	if len(b.list.Invalid) < maxReported {
		b.list.Invalid = append(b.list.Invalid, Invalid{Line: line, Text: shorten(text), Reason: reason})
	}
}

// readLines reads one ID per line. It reads with ReadSlice so that a
// runaway line (a binary file, a missing newline in a huge document) is
// reported as too long without ever being held whole.
func (b *listBuilder) readLines(r io.Reader) error {
	br := bufio.NewReaderSize(r, 4096)
	var scratch []byte
	for line := 1; ; line++ {
		text, tooLong, err := readLine(br, b.opts.MaxIDLength, &scratch)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("batch: read nodes: line %d: %w", line, err)
		}
		if errors.Is(err, io.EOF) && len(text) == 0 && !tooLong {
			return nil
		}
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\ufeff"))
		}
		if tooLong {
			b.invalid(line, string(text), fmt.Sprintf("longer than %d bytes", b.opts.MaxIDLength))
		} else if id := stripComment(text); len(id) > 0 {
			b.add(line, id)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// readLine returns the next line without its "\n" or "\r\n". A line longer
// than max+slack bytes is consumed to its end but only its start is
// returned, with tooLong set. The slack leaves room for surrounding space
// and a trailing comment before deciding that the ID itself is too long.
// The line is valid until the next call: it is the reader's buffer, or
// scratch (reused) for a line longer than the reader's buffer.
func readLine(br *bufio.Reader, max int, scratch *[]byte) (text []byte, tooLong bool, err error) {
	limit := max + 1024
	chunk, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		text = chunk
		if len(text) > limit {
			text, tooLong = text[:limit], true
		}
	} else {
		buf := append((*scratch)[:0], chunk...)
		for errors.Is(err, bufio.ErrBufferFull) {
			chunk, err = br.ReadSlice('\n')
			if room := limit - len(buf); room > 0 {
				buf = append(buf, chunk[:min(room, len(chunk))]...)
			}
			if len(buf) >= limit {
				tooLong = true
			}
		}
		*scratch = buf
		text = buf
	}
	text = bytes.TrimSuffix(text, []byte("\n"))
	text = bytes.TrimSuffix(text, []byte("\r"))
	return text, tooLong, err
}

// stripComment removes a comment and surrounding space from a line.
func stripComment(s []byte) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			s = s[:i]
			break
		}
	}
	return bytes.TrimSpace(s)
}

// readCSV reads the column named or numbered by Column.
func (b *listBuilder) readCSV(r io.Reader) error {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if b.opts.Comma != 0 {
		cr.Comma = b.opts.Comma
	}
	col, err := strconv.Atoi(b.opts.Column)
	byName := err != nil
	if !byName && col < 1 {
		return fmt.Errorf("batch: read nodes: CSV column %d: columns are numbered from 1", col)
	}
	col-- // 0-based from here on
	header := b.opts.Header || byName
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			if header && byName {
				return fmt.Errorf("batch: read nodes: CSV has no header (looking for column %q)", b.opts.Column)
			}
			return nil
		}
		if err != nil {
			// csv.ParseError names the line and column already.
			return fmt.Errorf("batch: read nodes: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if header {
			header = false
			if byName {
				if col = findColumn(rec, b.opts.Column); col < 0 {
					return fmt.Errorf("batch: read nodes: line %d: CSV header has no column %q", line, b.opts.Column)
				}
			}
			continue
		}
		if col >= len(rec) {
			b.invalid(line, strings.Join(rec, string(cr.Comma)), fmt.Sprintf("row has %d fields, no column %d", len(rec), col+1))
			continue
		}
		line, _ = cr.FieldPos(col)
		if id := strings.TrimSpace(rec[col]); id != "" || len(rec) > 1 {
			b.add(line, []byte(id))
		}
	}
}

// findColumn returns the index of name in a header row, or -1. Names are
// compared after trimming space and a byte-order mark, ignoring case.
func findColumn(header []string, name string) int {
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if strings.EqualFold(h, strings.TrimSpace(name)) {
			return i
		}
	}
	return -1
}

// checkID returns why id is not a usable node ID, or "".
func checkID(id []byte, max int) string {
	switch {
	case len(id) == 0:
		return "empty ID"
	case len(id) > max:
		return fmt.Sprintf("longer than %d bytes", max)
	case !utf8.Valid(id):
		return "not valid UTF-8"
	}
	for i := 0; i < len(id); {
		c, size := rune(id[i]), 1
		if c >= utf8.RuneSelf {
			c, size = utf8.DecodeRune(id[i:])
		}
		switch {
		case unicode.IsControl(c):
			return fmt.Sprintf("control character %U at byte %d", c, i)
		case unicode.IsSpace(c):
			return fmt.Sprintf("space inside the ID at byte %d", i)
		}
		i += size
	}
	return ""
}

// shorten quotes s for a message, cut to a readable length.
func shorten(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
