package store

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// ExportOptions selects the output of Export. The zero value writes CSV
// with one row per node.
type ExportOptions struct {
	Format   string // "csv" (default when empty) or "ndjson"
	Bucketed bool   // one row per node and bucket instead of one per node
}

// Export writes the records of the run folder dir to w, in the order of
// ReadRecords.
//
// CSV has the header node,count,invalid,first,last,bytes (first and last
// in unix seconds, empty when the node has no valid value); NDJSON has
// one Record per line, as in the batch files. With Bucketed, CSV rows are
// node,bucket,count and NDJSON lines {"node":…,"bucket":…,"count":…}, one
// per bucket in time order; nodes without buckets give none.
//
// A format other than "csv" or "ndjson" is an error wrapping
// ErrUnknownFormat, reported before dir is read. Read errors name the
// file and line.
func Export(w io.Writer, dir string, o ExportOptions) error {
	var rows rowWriter
	bw := bufio.NewWriterSize(w, 64<<10)
	switch o.Format {
	case "", "csv":
		cw := csv.NewWriter(bw)
		rows = &csvRows{w: cw, bucketed: o.Bucketed}
	case "ndjson":
		rows = &ndjsonRows{w: bw, bucketed: o.Bucketed}
	default:
		return fmt.Errorf("store: export: %w %q (want csv or ndjson)", ErrUnknownFormat, o.Format)
	}
	if err := rows.header(); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	// The row writers keep no Buckets map, and only bucketed rows and
	// NDJSON read it.
	ro := readOptions{reuseBuckets: true, skipBuckets: !o.Bucketed && o.Format != "ndjson"}
	if err := readRecords(dir, ro, rows.record); err != nil {
		return err
	}
	if err := rows.flush(); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

// rowWriter writes one export format.
type rowWriter interface {
	header() error
	record(Record) error
	flush() error
}

// sortedBuckets returns rec's bucket keys in time order. Keys that
// time.Parse refuses (years past 9999) are ordered by length, then text,
// which is time order for the UTC keys that sluice writes.
func sortedBuckets(rec Record) []string {
	type key struct {
		s  string
		t  time.Time
		ok bool // s parsed as t
	}
	keys := make([]key, 0, len(rec.Buckets))
	for s := range rec.Buckets {
		t, err := time.Parse(time.RFC3339, s)
		keys = append(keys, key{s, t, err == nil})
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.ok && b.ok {
			return cmp.Or(a.t.Compare(b.t), cmp.Compare(a.s, b.s))
		}
		return cmp.Or(cmp.Compare(len(a.s), len(b.s)), cmp.Compare(a.s, b.s))
	})
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.s
	}
	return out
}

type csvRows struct {
	w        *csv.Writer
	bucketed bool
	row      []string
}

func (c *csvRows) header() error {
	if c.bucketed {
		return c.w.Write([]string{"node", "bucket", "count"})
	}
	return c.w.Write([]string{"node", "count", "invalid", "first", "last", "bytes"})
}

func (c *csvRows) record(rec Record) error {
	if c.bucketed {
		for _, k := range sortedBuckets(rec) {
			c.row = append(c.row[:0], rec.Node, k, strconv.FormatInt(rec.Buckets[k], 10))
			if err := c.w.Write(c.row); err != nil {
				return fmt.Errorf("store: export: %w", err)
			}
		}
		return nil
	}
	c.row = append(c.row[:0], rec.Node, strconv.FormatInt(rec.Count, 10), strconv.FormatInt(rec.Invalid, 10),
		optInt(rec.First), optInt(rec.Last), strconv.FormatInt(rec.Bytes, 10))
	if err := c.w.Write(c.row); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

func (c *csvRows) flush() error {
	c.w.Flush()
	return c.w.Error()
}

func optInt(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

type ndjsonRows struct {
	w        *bufio.Writer
	bucketed bool
}

// bucketRow is one line of a bucketed NDJSON export.
type bucketRow struct {
	Node   string `json:"node"`
	Bucket string `json:"bucket"`
	Count  int64  `json:"count"`
}

func (n *ndjsonRows) header() error { return nil }

func (n *ndjsonRows) record(rec Record) error {
	if !n.bucketed {
		return n.line(&rec)
	}
	for _, k := range sortedBuckets(rec) {
		if err := n.line(bucketRow{rec.Node, k, rec.Buckets[k]}); err != nil {
			return err
		}
	}
	return nil
}

func (n *ndjsonRows) line(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	n.w.Write(data)
	if err := n.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

func (n *ndjsonRows) flush() error { return nil }
