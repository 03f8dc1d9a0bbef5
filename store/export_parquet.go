package store

import (
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
)

// parquetRow is one row of the Parquet export: typed columns, so that a
// reader gets timestamps as UTC timestamps and counts as int64 without
// parsing. Columns without a value (a dead node's counts, the first and
// last of a node without valid timestamps) are null.
type parquetRow struct {
	Node        string          `parquet:"node"`
	Status      string          `parquet:"status,dict"`
	WindowStart *time.Time      `parquet:"window_start,optional,timestamp(millisecond)"`
	Shard       string          `parquet:"shard,dict"`
	Count       *int64          `parquet:"count,optional"`
	Invalid     *int64          `parquet:"invalid,optional"`
	First       *time.Time      `parquet:"first,optional,timestamp(millisecond)"`
	Last        *time.Time      `parquet:"last,optional,timestamp(millisecond)"`
	Bytes       *int64          `parquet:"bytes,optional"`
	Attempts    int64           `parquet:"attempts"`
	Error       *string         `parquet:"error,optional"`
	HTTPStatus  *int64          `parquet:"http_status,optional"`
	Buckets     []parquetBucket `parquet:"buckets,list"`
}

// parquetBucket is one element of a row's buckets list.
type parquetBucket struct {
	Bucket time.Time `parquet:"bucket,timestamp(millisecond)"`
	Count  int64     `parquet:"count"`
}

// parquetRows buffers rows and writes them in row groups of
// parquetGroup, so memory holds one group, not the export.
// The rows' buckets and pointed-to values live in slabs that the next
// group reuses, rather than in allocations per row.
type parquetRows struct {
	w       *parquet.GenericWriter[parquetRow]
	rows    []parquetRow
	buckets []parquetBucket // of the rows of the group
	ints    []int64         // values that the rows' *int64 point to
	times   []time.Time     // values that the rows' *time.Time point to
}

const parquetGroup = 4096

func newParquetRows(w io.Writer) *parquetRows {
	return &parquetRows{w: parquet.NewGenericWriter[parquetRow](w, parquet.Compression(&parquet.Zstd))}
}

func (p *parquetRows) header() error { return nil }

func (p *parquetRows) row(r *exportRow) error {
	x := parquetRow{Node: r.Node, Status: r.status(), Shard: r.folder.params.Shard}
	if !r.folder.start.IsZero() {
		x.WindowStart = p.time(r.folder.start)
	}
	if d := r.dead; d != nil {
		msg := d.Error
		x.Error, x.HTTPStatus, x.Attempts = &msg, p.int(int64(d.Status)), int64(d.Attempts)
	} else {
		x.Count, x.Invalid, x.Bytes, x.Attempts = p.int(r.Count), p.int(r.Invalid), p.int(r.Bytes), int64(r.Attempts)
		if r.First != nil {
			x.First, x.Last = p.time(time.Unix(*r.First, 0).UTC()), p.time(time.Unix(*r.Last, 0).UTC())
		}
		start := len(p.buckets)
		for _, b := range r.buckets {
			if !b.t.IsZero() {
				p.buckets = append(p.buckets, parquetBucket{b.t, b.count})
			}
		}
		x.Buckets = p.buckets[start:len(p.buckets):len(p.buckets)]
	}
	p.rows = append(p.rows, x)
	if len(p.rows) >= parquetGroup {
		return p.write()
	}
	return nil
}

func (p *parquetRows) write() error {
	if _, err := p.w.Write(p.rows); err != nil {
		return err
	}
	clear(p.rows)
	p.rows = p.rows[:0]
	// The group is written: its slabs serve the next one.
	p.buckets, p.ints, p.times = p.buckets[:0], p.ints[:0], p.times[:0]
	return nil
}

// int returns a pointer to n in the group's slab. A full slab is
// replaced, not grown, so that the pointers given out stay valid.
func (p *parquetRows) int(n int64) *int64 {
	if len(p.ints) == cap(p.ints) {
		p.ints = make([]int64, 0, 4*parquetGroup)
	}
	p.ints = append(p.ints, n)
	return &p.ints[len(p.ints)-1]
}

// time is int for times (3 per row).
func (p *parquetRows) time(t time.Time) *time.Time {
	if len(p.times) == cap(p.times) {
		p.times = make([]time.Time, 0, 3*parquetGroup)
	}
	p.times = append(p.times, t)
	return &p.times[len(p.times)-1]
}

func (p *parquetRows) flush() error {
	if err := p.write(); err != nil {
		return err
	}
	return p.w.Close()
}
