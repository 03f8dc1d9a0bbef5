package store

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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

	reuse    bool              // decode buckets into the last line's storage (the caller does not keep it)
	slab     []Bucket          // the last line's buckets; with spare capacity for the next line's
	ints     []int64           // storage of First and Last; see optInt
	interned map[string]string // bucket keys and modes seen, by their text
	keys     []string          // the i-th bucket key of the last line if plain, else "": the next line's likely i-th key
	ordered  []bool            // ordered[i]: keys[i-1] < keys[i], both plain; see setOrdered
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
		guess := 0 // the field sluice writes next
		for {
			j := d.fastKey(guess)
			if j < 0 {
				key, err := d.rawString()
				if err != nil {
					return err
				}
				if err := d.expect(':'); err != nil {
					return err
				}
				if j = slices.Index(fieldNames[:], string(key)); j < 0 {
					return fmt.Errorf("json: unknown field %q", key)
				}
			}
			guess = j + 1
			if err := d.field(j, rec); err != nil {
				return err
			}
			if bit := uint16(1) << j; seen&bit != 0 {
				return fmt.Errorf("field %q given twice", fieldNames[j])
			} else {
				seen |= bit
			}
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

// fieldNames are Record's JSON keys in the order encoding/json writes
// them; field and the bits of decode's seen are by index in it.
var fieldNames = [...]string{"node", "count", "invalid", "first", "last", "buckets", "outside", "bytes", "attempts", "duration_ms", "mode"}

// fieldKeys are fieldNames as they start a member: `"node":`.
var fieldKeys = func() (k [len(fieldNames)]string) {
	for i, n := range fieldNames {
		k[i] = `"` + n + `":`
	}
	return k
}()

// fastKey consumes the key and colon of the member at pos when it is the
// guess-th field, or the next one (outside is omitted when zero), written
// without white space; it returns the field's index, or -1 having
// consumed nothing.
func (d *recordDecoder) fastKey(guess int) int {
	rest := d.data[d.pos:]
	for j := guess; j < len(fieldKeys) && j <= guess+1; j++ {
		if k := fieldKeys[j]; len(rest) >= len(k) && string(rest[:len(k)]) == k {
			d.pos += len(k)
			return j
		}
	}
	return -1
}

// field decodes the value of the j-th field (fieldNames) into rec.
func (d *recordDecoder) field(j int, rec *Record) error {
	var err error
	switch fieldNames[j] {
	case "node":
		rec.Node, err = d.str(false)
	case "count":
		rec.Count, err = d.int()
	case "invalid":
		rec.Invalid, err = d.int()
	case "first":
		rec.First, err = d.optInt()
	case "last":
		rec.Last, err = d.optInt()
	case "buckets":
		rec.Buckets, err = d.buckets()
	case "bytes":
		rec.Bytes, err = d.int()
	case "attempts":
		var n int64
		n, err = d.int()
		if err == nil && int64(int(n)) != n {
			err = fmt.Errorf("attempts %d out of range", n)
		}
		rec.Attempts = int(n)
	case "duration_ms":
		rec.DurationMS, err = d.int()
	case "mode":
		rec.Mode, err = d.str(true)
	case "outside":
		rec.Outside, err = d.int()
	}
	return err
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
	start := d.pos
	k, err := d.str(true)
	if err != nil {
		return "", err
	}
	known := k
	if !plain(d.data[start+1 : d.pos-1]) {
		known = "" // keys holds plain keys only: fastBucket matches their text
	}
	if i < len(d.keys) {
		d.keys[i] = known
	} else if i < maxInterned {
		d.keys = append(d.keys, known)
		d.ordered = append(d.ordered, false)
	}
	d.setOrdered(i)
	d.setOrdered(i + 1)
	return k, nil
}

// setOrdered records whether keys[i-1] < keys[i], both plain.
func (d *recordDecoder) setOrdered(i int) {
	if i > 0 && i < len(d.keys) {
		d.ordered[i] = d.keys[i-1] != "" && d.keys[i-1] < d.keys[i]
	}
}

// fastBucket decodes `"key":count` followed by ',' or '}' (returned as
// end) when it is written as sluice writes it: no white space, key the
// i-th key of the line before, count of at most 18 digits. ok is false,
// and nothing consumed, for anything else, which the general path then
// reads (and reports).
func (d *recordDecoder) fastBucket(i int) (k string, n int64, end byte, ok bool) {
	if i >= len(d.keys) || d.keys[i] == "" {
		return "", 0, 0, false
	}
	k = d.keys[i]
	data, p := d.data, d.pos
	if p+len(k)+4 > len(data) || data[p] != '"' || data[p+1+len(k)] != '"' || data[p+2+len(k)] != ':' ||
		string(data[p+1:p+1+len(k)]) != k {
		return "", 0, 0, false
	}
	p += len(k) + 3
	digits := p
	for p < len(data) && p-digits < 18 && data[p] >= '0' && data[p] <= '9' {
		n = n*10 + int64(data[p]-'0')
		p++
	}
	if p == digits || p == len(data) || (data[digits] == '0' && p-digits > 1) {
		return "", 0, 0, false
	}
	if end = data[p]; end != ',' && end != '}' {
		return "", 0, 0, false
	}
	d.pos = p + 1
	return k, n, end, true
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

// optInt decodes an integer or null. The integers live in a chunk
// shared by the records of a file (one allocation per chunk, not two per
// record).
func (d *recordDecoder) optInt() (*int64, error) {
	if d.null() {
		return nil, nil
	}
	n, err := d.int()
	if err != nil {
		return nil, err
	}
	if len(d.ints) == cap(d.ints) {
		d.ints = make([]int64, 0, 1024)
	}
	d.ints = append(d.ints, n)
	return &d.ints[len(d.ints)-1], nil
}

// buckets decodes the buckets object (or null: nil) into the decoder's
// slab: a reused one when the caller does not keep the records (reuse),
// otherwise chunks shared by the records of a file, each record's part
// capped so that appending to it cannot reach the next record's.
func (d *recordDecoder) buckets() (Buckets, error) {
	if d.null() {
		return nil, nil
	}
	if err := d.expect('{'); err != nil {
		return nil, err
	}
	switch {
	case d.reuse:
		d.slab = d.slab[:0]
	case cap(d.slab)-len(d.slab) < max(len(d.keys), 1):
		d.slab = make([]Bucket, 0, max(slabBuckets, 2*len(d.keys)))
	default:
		d.slab = d.slab[len(d.slab):] // a reallocation copies this record's buckets only
	}
	bs := d.slab
	if d.peek() == '}' {
		d.pos++
		return bs[:0:0], nil
	}
	sorted := true
	for i := 0; ; i++ {
		if k, n, end, ok := d.fastBucket(i); ok {
			// The last bucket is keys[i-1] whenever ordered[i] (the slow
			// path sets keys[i-1] to what it read, or "" when not plain).
			if i > 0 && !d.ordered[i] && k <= bs[len(bs)-1].Start {
				if k == bs[len(bs)-1].Start {
					return nil, fmt.Errorf("bucket %q given twice", k)
				}
				sorted = false
			}
			bs = append(bs, Bucket{k, n})
			if end == '}' {
				break
			}
			continue
		}
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
		switch {
		case k == "":
			return nil, errors.New("empty bucket key")
		case n < 0:
			return nil, fmt.Errorf("bucket %s: negative count %d", k, n)
		case len(bs) > 0 && k <= bs[len(bs)-1].Start:
			if k == bs[len(bs)-1].Start {
				return nil, fmt.Errorf("bucket %q given twice", k)
			}
			sorted = false // not written by sluice, which sorts the keys
		}
		bs = append(bs, Bucket{k, n})
		c, err := d.next()
		if err != nil {
			return nil, err
		}
		if c == '}' {
			break
		}
		if c != ',' {
			d.pos--
			return nil, d.fail("want ',' or '}' in buckets")
		}
	}
	d.slab = bs
	bs = bs[:len(bs):len(bs)]
	if !sorted {
		slices.SortFunc(bs, func(a, b Bucket) int { return cmp.Compare(a.Start, b.Start) })
		for i := 1; i < len(bs); i++ {
			if bs[i-1].Start == bs[i].Start {
				return nil, fmt.Errorf("bucket %q given twice", bs[i].Start)
			}
		}
	}
	return bs, nil
}

// slabBuckets is the size of a chunk of buckets shared by records.
const slabBuckets = 4096
