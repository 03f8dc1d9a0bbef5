package store

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"strconv"
)

type csvRows struct {
	w        *csv.Writer
	bucketed bool
	buf      []string
}

func newCSVRows(w *bufio.Writer, bucketed bool) *csvRows {
	return &csvRows{w: csv.NewWriter(w), bucketed: bucketed}
}

func (c *csvRows) header() error {
	if c.bucketed {
		return c.w.Write([]string{"node", "status", "window_start", "shard", "bucket", "count"})
	}
	return c.w.Write([]string{"node", "status", "window_start", "shard", "count", "invalid", "first", "last", "bytes"})
}

func (c *csvRows) row(r *exportRow) error {
	c.buf = append(c.buf[:0], r.Node, r.status(), r.folder.windowStart, r.folder.params.Shard)
	if c.bucketed {
		if r.dead != nil || len(r.buckets) == 0 {
			if r.dead == nil {
				return nil // an ok node without buckets has no bucket row
			}
			return c.w.Write(append(c.buf, "", ""))
		}
		n := len(c.buf)
		for _, b := range r.buckets {
			c.buf = append(c.buf[:n], b.key, strconv.FormatInt(b.count, 10))
			if err := c.w.Write(c.buf); err != nil {
				return err
			}
		}
		return nil
	}
	if r.dead != nil {
		return c.w.Write(append(c.buf, "", "", "", "", ""))
	}
	return c.w.Write(append(c.buf, strconv.FormatInt(r.Count, 10), strconv.FormatInt(r.Invalid, 10),
		optInt(r.First), optInt(r.Last), strconv.FormatInt(r.Bytes, 10)))
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

// ndjsonRow is one line of the NDJSON export. Its schema is the same for
// every node and every day: buckets are an array, not an object keyed by
// time (which a reader like DuckDB turns into a struct whose fields change
// with the data).
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
	l := ndjsonRow{Node: r.Node, Status: r.status(), WindowStart: r.folder.windowStart, Shard: r.folder.params.Shard}
	if d := r.dead; d != nil {
		l.Attempts, l.Error, l.HTTPStatus = d.Attempts, d.Error, d.Status
	} else {
		l.Count, l.Invalid, l.First, l.Last, l.Bytes = &r.Count, &r.Invalid, r.First, r.Last, &r.Bytes
		l.Attempts = r.Attempts
		if n.bucketed {
			bs := make([]jsonBucket, len(r.buckets))
			for i, b := range r.buckets {
				bs[i] = jsonBucket{b.key, b.count}
			}
			l.Buckets = &bs
		}
	}
	data, err := json.Marshal(l)
	if err != nil {
		return err
	}
	n.w.Write(data)
	return n.w.WriteByte('\n')
}

func (n *ndjsonRows) flush() error { return nil }
