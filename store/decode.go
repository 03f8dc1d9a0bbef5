package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// recordDecoder decodes the lines of batch files into Records without
// reflection: reading a folder back is export's whole cost, and
// encoding/json spent most of it (about 30,000 rows/s). It accepts what
// encoding/json with DisallowUnknownFields accepts for a Record, except
// that it refuses a key given twice (sluice never writes one), and gives
// the same values; the fuzz test holds it to that.
//
// It keeps the strings it has made for bucket keys and modes, which
// repeat from one node to the next, so that a folder of a day's hourly
// buckets allocates each key once per file rather than once per node. A
// recordDecoder is not safe for concurrent use.
type recordDecoder struct {
	data []byte // the line being decoded
	pos  int    // index of the next byte of data

	reuse    bool              // decode buckets into the last line's map (the caller does not keep it)
	skip     bool              // check the buckets but leave Buckets nil (the caller does not read it)
	last     map[string]int64  // the map given out with the last line, when reuse
	interned map[string]string // bucket keys and modes seen, by their text
	keys     []string          // the i-th bucket key of the last line: the next line's likely i-th key
}

// maxInterned bounds the strings kept across lines (a file of wild
// timestamps has a new key on every line).
const maxInterned = 1 << 12

// errSyntax is wrapped with the byte offset in the line.
var errSyntax = errors.New("invalid JSON")

func (d *recordDecoder) fail(what string) error {
	return fmt.Errorf("offset %d: %w: %s", d.pos, errSyntax, what)
}

// decode parses line into rec, which it overwrites. It does not keep line.
func (d *recordDecoder) decode(line []byte, rec *Record) error {
	*rec = Record{}
	d.data, d.pos = line, 0
	defer func() { d.data = nil }()
	if err := d.expect('{'); err != nil {
		return err
	}
	var seen uint16 // bit per field
	if d.peek() == '}' {
		d.pos++
	} else {
		for {
			key, err := d.rawString()
			if err != nil {
				return err
			}
			if err := d.expect(':'); err != nil {
				return err
			}
			bit, err := d.field(key, rec)
			if err != nil {
				return err
			}
			if seen&bit != 0 {
				return fmt.Errorf("field %q given twice", key)
			}
			seen |= bit
			c, err := d.next()
			if err != nil {
				return err
			}
			if c == '}' {
				break
			}
			if c != ',' {
				d.pos--
				return d.fail("want ',' or '}' after a value")
			}
		}
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return errors.New("data after the JSON object")
	}
	return nil
}

// field decodes the value of key into rec and returns the key's bit.
func (d *recordDecoder) field(key []byte, rec *Record) (uint16, error) {
	var err error
	switch string(key) {
	case "node":
		rec.Node, err = d.str(false)
		return 1 << 0, err
	case "count":
		rec.Count, err = d.int()
		return 1 << 1, err
	case "invalid":
		rec.Invalid, err = d.int()
		return 1 << 2, err
	case "first":
		rec.First, err = d.optInt()
		return 1 << 3, err
	case "last":
		rec.Last, err = d.optInt()
		return 1 << 4, err
	case "buckets":
		rec.Buckets, err = d.buckets()
		return 1 << 5, err
	case "bytes":
		rec.Bytes, err = d.int()
		return 1 << 6, err
	case "attempts":
		var n int64
		n, err = d.int()
		if err == nil && int64(int(n)) != n {
			err = fmt.Errorf("attempts %d out of range", n)
		}
		rec.Attempts = int(n)
		return 1 << 7, err
	case "duration_ms":
		rec.DurationMS, err = d.int()
		return 1 << 8, err
	case "mode":
		rec.Mode, err = d.str(true)
		return 1 << 9, err
	case "outside":
		rec.Outside, err = d.int()
		return 1 << 10, err
	}
	return 0, fmt.Errorf("json: unknown field %q", key)
}

func (d *recordDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, 0 at the end.
func (d *recordDecoder) peek() byte {
	d.skipSpace()
	if d.pos == len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

// next consumes and returns the next byte after white space.
func (d *recordDecoder) next() (byte, error) {
	c := d.peek()
	if c == 0 {
		return 0, d.fail("unexpected end of line")
	}
	d.pos++
	return c, nil
}

func (d *recordDecoder) expect(want byte) error {
	c, err := d.next()
	if err != nil {
		return err
	}
	if c != want {
		d.pos--
		return d.fail(fmt.Sprintf("want %q", want))
	}
	return nil
}

// null consumes a null if one comes next.
func (d *recordDecoder) null() bool {
	if d.peek() == 'n' && len(d.data)-d.pos >= 4 && string(d.data[d.pos:d.pos+4]) == "null" {
		d.pos += 4
		return true
	}
	return false
}

// rawString consumes a string and returns its text between the quotes,
// escapes as they are. It checks the escapes and control characters only
// as far as finding the closing quote needs; str does the rest.
func (d *recordDecoder) rawString() ([]byte, error) {
	if err := d.expect('"'); err != nil {
		return nil, err
	}
	start := d.pos
	for d.pos < len(d.data) {
		switch c := d.data[d.pos]; {
		case c == '"':
			d.pos++
			return d.data[start : d.pos-1], nil
		case c == '\\':
			d.pos += 2
		case c < 0x20:
			return nil, d.fail("control character in a string")
		default:
			d.pos++
		}
	}
	return nil, d.fail("unterminated string")
}

// plain reports whether s (a string's text) needs no unescaping or UTF-8
// repair.
func plain(s []byte) bool {
	for _, c := range s {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// str decodes a string (or null: ""). Strings with escapes or non-ASCII
// bytes go through encoding/json, so that they decode exactly as it
// decodes them (invalid UTF-8 becomes U+FFFD). intern keeps the result.
func (d *recordDecoder) str(intern bool) (string, error) {
	if d.null() {
		return "", nil
	}
	start := d.pos
	raw, err := d.rawString()
	if err != nil {
		return "", err
	}
	if !plain(raw) {
		var s string
		if err := json.Unmarshal(d.data[start:d.pos], &s); err != nil {
			return "", fmt.Errorf("offset %d: %w", start, err)
		}
		return s, nil
	}
	if !intern {
		return string(raw), nil
	}
	if s, ok := d.interned[string(raw)]; ok {
		return s, nil
	}
	s := string(raw)
	if d.interned == nil {
		d.interned = make(map[string]string)
	}
	if len(d.interned) < maxInterned {
		d.interned[s] = s
	}
	return s, nil
}

// key decodes the i-th bucket key of a line. Lines of a batch file list
// the same hours in the same order, so the key is most often the i-th
// key of the line before, found without hashing.
func (d *recordDecoder) key(i int) (string, error) {
	if i < len(d.keys) {
		if raw, ok := d.quoted(); ok && string(raw) == d.keys[i] {
			d.pos += len(raw) + 2
			return d.keys[i], nil
		}
	}
	k, err := d.str(true)
	if err != nil {
		return "", err
	}
	if i < len(d.keys) {
		d.keys[i] = k
	} else if i < maxInterned {
		d.keys = append(d.keys, k)
	}
	return k, nil
}

// quoted returns the text of the plain string (no escapes, ASCII) that
// starts at pos, without consuming it; ok is false for any other token.
func (d *recordDecoder) quoted() (raw []byte, ok bool) {
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return nil, false
	}
	for j := d.pos + 1; j < len(d.data); j++ {
		switch c := d.data[j]; {
		case c == '"':
			return d.data[d.pos+1 : j], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// int decodes an integer that fits an int64 (or null: 0). Like
// encoding/json it refuses fractions and exponents.
func (d *recordDecoder) int() (int64, error) {
	if d.null() {
		return 0, nil
	}
	start := d.pos
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	digits := d.pos
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
	}
	switch {
	case d.pos == digits:
		return 0, d.fail("want a number")
	case d.data[digits] == '0' && d.pos-digits > 1:
		return 0, d.fail("leading zero")
	case d.pos < len(d.data) && (d.data[d.pos] == '.' || d.data[d.pos] == 'e' || d.data[d.pos] == 'E'):
		return 0, fmt.Errorf("offset %d: number is not an integer", start)
	}
	text := d.data[start:d.pos]
	if len(text) < 19 { // no overflow possible: add up the digits
		var n int64
		for _, c := range text[digits-start:] {
			n = n*10 + int64(c-'0')
		}
		if digits > start {
			n = -n
		}
		return n, nil
	}
	n, err := strconv.ParseInt(string(text), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("offset %d: number %s out of range", start, text)
	}
	return n, nil
}

func (d *recordDecoder) optInt() (*int64, error) {
	if d.null() {
		return nil, nil
	}
	n, err := d.int()
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// buckets decodes the buckets object (or null: nil).
func (d *recordDecoder) buckets() (map[string]int64, error) {
	if d.null() {
		return nil, nil
	}
	if err := d.expect('{'); err != nil {
		return nil, err
	}
	if d.skip {
		return nil, d.skipBuckets()
	}
	var m map[string]int64
	if d.reuse && d.last != nil {
		m = d.last
		clear(m)
	} else {
		m = make(map[string]int64, max(len(d.keys), 1))
		if d.reuse {
			d.last = m
		}
	}
	if d.peek() == '}' {
		d.pos++
		return m, nil
	}
	for i := 0; ; i++ {
		if d.peek() != '"' {
			return nil, d.fail("want a bucket key")
		}
		k, err := d.key(i)
		if err != nil {
			return nil, err
		}
		if err := d.expect(':'); err != nil {
			return nil, err
		}
		n, err := d.int()
		if err != nil {
			return nil, err
		}
		switch m[k] = n; {
		case len(m) != i+1:
			return nil, fmt.Errorf("bucket %q given twice", k)
		case k == "":
			return nil, errors.New("empty bucket key")
		case n < 0:
			return nil, fmt.Errorf("bucket %s: negative count %d", k, n)
		}
		c, err := d.next()
		if err != nil {
			return nil, err
		}
		if c == '}' {
			return m, nil
		}
		if c != ',' {
			d.pos--
			return nil, d.fail("want ',' or '}' in buckets")
		}
	}
}

// skipBuckets reads a buckets object after its '{' and checks its keys
// and counts as buckets does, except that a key given twice goes
// unnoticed: nothing is kept to compare with.
func (d *recordDecoder) skipBuckets() error {
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.fail("want a bucket key")
		}
		k, err := d.rawString()
		if err != nil {
			return err
		}
		if !plain(k) { // escapes: check them as str does
			d.pos -= len(k) + 2
			if _, err := d.str(false); err != nil {
				return err
			}
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		n, err := d.int()
		switch {
		case err != nil:
			return err
		case len(k) == 0:
			return errors.New("empty bucket key")
		case n < 0:
			return fmt.Errorf("bucket %s: negative count %d", k, n)
		}
		c, err := d.next()
		if err != nil {
			return err
		}
		if c == '}' {
			return nil
		}
		if c != ',' {
			d.pos--
			return d.fail("want ',' or '}' in buckets")
		}
	}
}
