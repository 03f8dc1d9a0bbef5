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
type parquetRows struct {
	w    *parquet.GenericWriter[parquetRow]
	rows []parquetRow
}

const parquetGroup = 4096

func newParquetRows(w io.Writer) *parquetRows {
	return &parquetRows{w: parquet.NewGenericWriter[parquetRow](w, parquet.Compression(&parquet.Zstd))}
}

func (p *parquetRows) header() error { return nil }

func (p *parquetRows) row(r *exportRow) error {
	x := parquetRow{Node: r.Node, Status: r.status(), Shard: r.folder.params.Shard}
	if !r.folder.start.IsZero() {
		ws := r.folder.start
		x.WindowStart = &ws
	}
	if d := r.dead; d != nil {
		msg, code := d.Error, int64(d.Status)
		x.Error, x.HTTPStatus, x.Attempts = &msg, &code, int64(d.Attempts)
	} else {
		count, invalid, bytes := r.Count, r.Invalid, r.Bytes
		x.Count, x.Invalid, x.Bytes, x.Attempts = &count, &invalid, &bytes, int64(r.Attempts)
		x.First, x.Last = unixPtr(r.First), unixPtr(r.Last)
		x.Buckets = make([]parquetBucket, 0, len(r.buckets))
		for _, b := range r.buckets {
			if !b.t.IsZero() {
				x.Buckets = append(x.Buckets, parquetBucket{b.t, b.count})
			}
		}
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
	return nil
}

func (p *parquetRows) flush() error {
	if err := p.write(); err != nil {
		return err
	}
	return p.w.Close()
}

func unixPtr(s *int64) *time.Time {
	if s == nil {
		return nil
	}
	t := time.Unix(*s, 0).UTC()
	return &t
}
