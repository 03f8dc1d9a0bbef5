package store

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchRecords returns n records shaped like a day of hourly buckets.
func benchRecords(n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		r := rec(fmt.Sprintf("AS%d", 64500+i), int64(1000+i))
		r.Buckets = make(Buckets, 24)
		for h := range 24 {
			r.Buckets[h] = Bucket{fmt.Sprintf("2022-09-12T%02d:00:00Z", h), int64(40 + h + i%7)}
		}
		recs[i] = r
	}
	return recs
}

// BenchmarkEncodeBatch: the CPU side of a commit, per batch of 128 nodes.
// SetBytes counts the uncompressed NDJSON.
func BenchmarkEncodeBatch(b *testing.B) {
	enc, err := newEncoder()
	if err != nil {
		b.Fatal(err)
	}
	recs := benchRecords(128)
	var raw int64
	for i := range recs {
		line, err := json.Marshal(&recs[i])
		if err != nil {
			b.Fatal(err)
		}
		raw += int64(len(line)) + 1
	}
	b.SetBytes(raw)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeBatch(enc, recs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommitBatch includes the fsyncs, so it measures the disk more
// than the code; compare it with BenchmarkEncodeBatch in the same run.
func BenchmarkCommitBatch(b *testing.B) {
	r, err := Open(b.TempDir(), testParams, OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	recs := benchRecords(128)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := r.CommitBatch(n, recs, nil); err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// BenchmarkExport reads back and writes CSV; SetBytes counts the batch
// files read.
func BenchmarkExport(b *testing.B) {
	dir := b.TempDir()
	r, err := Open(dir, testParams, OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.SetPlan(16*128, 16); err != nil {
		b.Fatal(err)
	}
	for i := range 16 {
		recs := benchRecords(128)
		for j := range recs {
			recs[j].Node = fmt.Sprintf("AS%d-%d", i, j)
		}
		if err := r.CommitBatch(i, recs, nil); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		b.Fatal(err)
	}
	m, err := readManifest(dir)
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	for _, e := range m.Batches {
		fi, err := os.Stat(filepath.Join(dir, e.File))
		if err != nil {
			b.Fatal(err)
		}
		size += fi.Size()
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if err := Export(io.Discard, dir, ExportOptions{Bucketed: true}); err != nil {
			b.Fatal(err)
		}
	}
}
