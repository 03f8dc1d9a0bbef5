package store

import (
	"bufio"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The row writers append each row to a reused buffer and write it whole:
// an export writes millions of rows, and encoding/csv's and
// encoding/json's per-row work (a []string per row, reflection per
// field) was a large part of its cost. They write the same bytes as
// encoding/csv (comma, no CRLF) and encoding/json; the tests hold them to
// it.

type csvRows struct {
	w        *bufio.Writer
	bucketed bool
	line     []byte
	folder   *exportFolder // the folder tail was made for
	tail     []byte        // ",window_start,shard" of folder, quoted as needed
}

func newCSVRows(w *bufio.Writer, bucketed bool) *csvRows {
	return &csvRows{w: w, bucketed: bucketed}
}

func (c *csvRows) header() error {
	if c.bucketed {
		return c.write("node", "status", "window_start", "shard", "bucket", "count")
	}
	return c.write("node", "status", "window_start", "shard", "count", "invalid", "first", "last", "bytes")
}

// write writes one row of fields.
func (c *csvRows) write(fields ...string) error {
	c.line = c.line[:0]
	for i, f := range fields {
		if i > 0 {
			c.line = append(c.line, ',')
		}
		c.line = appendCSVField(c.line, f)
	}
	c.line = append(c.line, '\n')
	_, err := c.w.Write(c.line)
	return err
}

func (c *csvRows) row(r *exportRow) error {
	if c.folder != r.folder {
		c.folder = r.folder
		c.tail = append(c.tail[:0], ',')
		c.tail = appendCSVField(c.tail, r.folder.windowStart)
		c.tail = append(c.tail, ',')
		c.tail = appendCSVField(c.tail, r.folder.params.Shard)
		c.tail = append(c.tail, ',')
	}
	// node,status,window_start,shard,
	c.line = appendCSVField(c.line[:0], r.Node)
	c.line = append(c.line, ',')
	c.line = append(c.line, r.status()...)
	c.line = append(c.line, c.tail...)
	if c.bucketed {
		if r.dead != nil {
			c.line = append(c.line, ",\n"...)
			_, err := c.w.Write(c.line)
			return err
		}
		n := len(c.line)
		for _, b := range r.buckets { // an ok node without buckets has no bucket row
			if c.line = c.line[:n]; b.canonical {
				c.line = append(c.line, b.key...)
			} else {
				c.line = appendCSVField(c.line, b.key)
			}
			c.line = append(c.line, ',')
			c.line = strconv.AppendInt(c.line, b.count, 10)
			c.line = append(c.line, '\n')
			if _, err := c.w.Write(c.line); err != nil {
				return err
			}
		}
		return nil
	}
	if r.dead != nil {
		c.line = append(c.line, ",,,,\n"...)
	} else {
		c.line = strconv.AppendInt(c.line, r.Count, 10)
		c.line = append(c.line, ',')
		c.line = strconv.AppendInt(c.line, r.Invalid, 10)
		c.line = append(c.line, ',')
		c.line = appendOptInt(c.line, r.First)
		c.line = append(c.line, ',')
		c.line = appendOptInt(c.line, r.Last)
		c.line = append(c.line, ',')
		c.line = strconv.AppendInt(c.line, r.Bytes, 10)
		c.line = append(c.line, '\n')
	}
	_, err := c.w.Write(c.line)
	return err
}

func (c *csvRows) flush() error { return nil }

// appendCSVField appends f as encoding/csv's Writer writes a field with
// Comma ',' and UseCRLF false.
func appendCSVField(dst []byte, f string) []byte {
	if !csvNeedsQuotes(f) {
		return append(dst, f...)
	}
	dst = append(dst, '"')
	for {
		i := strings.IndexByte(f, '"')
		if i < 0 {
			break
		}
		dst = append(dst, f[:i+1]...)
		dst = append(dst, '"')
		f = f[i+1:]
	}
	dst = append(dst, f...)
	return append(dst, '"')
}

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes for Comma ','.
func csvNeedsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` {
		return true
	}
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '\n', '\r', '"', ',':
			return true
		}
	}
	r1, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r1)
}

func appendOptInt(dst []byte, p *int64) []byte {
	if p == nil {
		return dst
	}
	return strconv.AppendInt(dst, *p, 10)
}

type ndjsonRows struct {
	w        *bufio.Writer
	bucketed bool
	line     []byte
	folder   *exportFolder // the folder tail was made for
	tail     []byte        // `,"window_start":…,"shard":…` of folder
}

// ndjsonRow is one line of the NDJSON export. Its schema is the same for
// every node and every day: buckets are an array, not an object keyed by
// time (which a reader like DuckDB turns into a struct whose fields change
// with the data). The ok rows are written by appendOK, in the same bytes;
// the dead ones, rare, through encoding/json.
type ndjsonRow struct {
	Node        string        `json:"node"`
	Status      string        `json:"status"`
	WindowStart string        `json:"window_start"`
	Shard       string        `json:"shard"`
	Count       *int64        `json:"count"`
	Invalid     *int64        `json:"invalid"`
	First       *int64        `json:"first"`
	Last        *int64        `json:"last"`
	Bytes       *int64        `json:"bytes"`
	Attempts    int           `json:"attempts"`
	Error       string        `json:"error,omitempty"`
	HTTPStatus  int           `json:"http_status,omitempty"`
	Buckets     *[]jsonBucket `json:"buckets,omitempty"`
}

type jsonBucket struct {
	Bucket string `json:"bucket"`
	Count  int64  `json:"count"`
}

func (n *ndjsonRows) header() error { return nil }

func (n *ndjsonRows) row(r *exportRow) error {
	if d := r.dead; d != nil {
		l := ndjsonRow{Node: r.Node, Status: r.status(), WindowStart: r.folder.windowStart, Shard: r.folder.params.Shard,
			Attempts: d.Attempts, Error: d.Error, HTTPStatus: d.Status}
		data, err := json.Marshal(l)
		if err != nil {
			return err
		}
		n.w.Write(data)
		return n.w.WriteByte('\n')
	}
	if n.folder != r.folder {
		n.folder = r.folder
		n.tail = append(n.tail[:0], `,"window_start":`...)
		n.tail = appendJSONString(n.tail, r.folder.windowStart)
		n.tail = append(n.tail, `,"shard":`...)
		n.tail = appendJSONString(n.tail, r.folder.params.Shard)
	}
	n.line = n.appendOK(n.line[:0], r)
	_, err := n.w.Write(n.line)
	return err
}

// appendOK appends the line of an ok node: ndjsonRow as encoding/json
// writes it.
func (n *ndjsonRows) appendOK(b []byte, r *exportRow) []byte {
	b = append(b, `{"node":`...)
	b = appendJSONString(b, r.Node)
	b = append(b, `,"status":"ok"`...)
	b = append(b, n.tail...)
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, r.Count, 10)
	b = append(b, `,"invalid":`...)
	b = strconv.AppendInt(b, r.Invalid, 10)
	b = append(b, `,"first":`...)
	b = appendJSONOptInt(b, r.First)
	b = append(b, `,"last":`...)
	b = appendJSONOptInt(b, r.Last)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, r.Bytes, 10)
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(r.Attempts), 10)
	if n.bucketed {
		b = append(b, `,"buckets":[`...)
		for i, bc := range r.buckets {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"bucket":`...)
			if bc.canonical {
				b = append(b, '"')
				b = append(b, bc.key...)
				b = append(b, '"')
			} else {
				b = appendJSONString(b, bc.key)
			}
			b = append(b, `,"count":`...)
			b = strconv.AppendInt(b, bc.count, 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

func appendJSONOptInt(dst []byte, p *int64) []byte {
	if p == nil {
		return append(dst, "null"...)
	}
	return strconv.AppendInt(dst, *p, 10)
}

func (n *ndjsonRows) flush() error { return nil }
