package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/cputime"
)

// The export benchmarks read one generated folder of 100,000 nodes (100
// batch files of 1,000), each node with a day of hourly buckets: the
// shape of a daily RIPEstat job.
const (
	benchFolderNodes = 100_000
	benchFolderBatch = 1_000
)

var benchFolder struct {
	once  sync.Once
	dir   string
	bytes int64 // of the batch files
	err   error
}

// benchRunFolder returns the generated folder, made once per process.
func benchRunFolder(b *testing.B) (string, int64) {
	benchFolder.once.Do(func() {
		dir, err := os.MkdirTemp("", "sluice-bench-folder-")
		if err != nil {
			benchFolder.err = err
			return
		}
		benchFolder.dir = dir
		benchFolder.bytes, benchFolder.err = writeBenchFolder(dir, benchFolderNodes, benchFolderBatch)
	})
	if benchFolder.err != nil {
		b.Fatal(benchFolder.err)
	}
	return benchFolder.dir, benchFolder.bytes
}

func writeBenchFolder(dir string, nodes, size int) (int64, error) {
	r, err := Open(dir, testParams, OpenOptions{})
	if err != nil {
		return 0, err
	}
	if err := r.SetPlan(nodes, (nodes+size-1)/size); err != nil {
		return 0, err
	}
	recs := benchRecords(size)
	for i := 0; i*size < nodes; i++ {
		for j := range recs {
			recs[j].Node = fmt.Sprintf("AS%d", i*size+j)
		}
		if err := r.CommitBatch(i, recs, nil); err != nil {
			return 0, err
		}
	}
	if err := r.Close(); err != nil {
		return 0, err
	}
	var total int64
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		if isBatchName(e.Name()) {
			fi, err := os.Stat(filepath.Join(dir, e.Name()))
			if err != nil {
				return 0, err
			}
			total += fi.Size()
		}
	}
	return total, nil
}

// BenchmarkReadRecords100k reads the 100,000-node folder; rows/s is the
// figure export is quoted by. The encoding/json peer is the reader as it
// was (every file read twice, each line through encoding/json), kept in
// the tests as the oracle of the fuzz test.
func BenchmarkReadRecords100k(b *testing.B) {
	dir, size := benchRunFolder(b)
	for _, bc := range []struct {
		name string
		read func(string, func(Record) error) error
	}{
		{"sluice", ReadRecords},
		{"peer=encoding-json-two-pass", readRecordsReference},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			rows := 0
			cpu0 := cputime.Process()
			for b.Loop() {
				if err := bc.read(dir, func(Record) error { rows++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			reportRows(b, rows, cputime.Process()-cpu0)
		})
	}
}

// BenchmarkExport100k is the whole export, reading and writing, per format.
func BenchmarkExport100k(b *testing.B) {
	dir, size := benchRunFolder(b)
	for _, o := range []ExportOptions{{Format: "csv"}, {Format: "ndjson"}, {Format: "csv", Bucketed: true}} {
		name := o.Format
		if o.Bucketed {
			name += "-bucketed"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			cpu0 := cputime.Process()
			for b.Loop() {
				if err := Export(io.Discard, dir, o); err != nil {
					b.Fatal(err)
				}
			}
			reportRows(b, benchFolderNodes*b.N, cputime.Process()-cpu0)
		})
	}
}

// reportRows reports rows per second of wall time and per second of CPU
// time (the figure that a busy machine does not distort).
func reportRows(b *testing.B, rows int, cpu time.Duration) {
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	if cpu > 0 {
		b.ReportMetric(float64(rows)/cpu.Seconds(), "rows/cpu-s")
	}
}

// BenchmarkVsReference100k alternates, in every iteration, one read of
// the 100,000-node folder by sluice (ReadRecords, or an export) with one
// by the old two-pass encoding/json reader, so that both meet the same
// machine load; it reports each one's rows per CPU second and per wall
// second and the ratios (x-cpu, x-wall: how many times faster sluice
// is), and MB of batch files read per second. CPU time is the process's, so the old reader's garbage collection
// that spills into sluice's turn counts against sluice.
func BenchmarkVsReference100k(b *testing.B) {
	dir, size := benchRunFolder(b)
	read := func(dir string) error { return ReadRecords(dir, func(Record) error { return nil }) }
	export := func(o ExportOptions) func(string) error {
		return func(dir string) error { return Export(io.Discard, dir, o) }
	}
	for _, bc := range []struct {
		name string
		run  func(string) error
	}{
		{"ReadRecords", read},
		{"csv", export(ExportOptions{Format: "csv"})},
		{"ndjson", export(ExportOptions{Format: "ndjson"})},
		{"csv-bucketed", export(ExportOptions{Format: "csv", Bucketed: true})},
		{"ndjson-bucketed", export(ExportOptions{Format: "ndjson", Bucketed: true})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var cpu, refCPU, wall, refWall time.Duration
			for b.Loop() {
				c0, w0 := cputime.Process(), time.Now()
				if err := bc.run(dir); err != nil {
					b.Fatal(err)
				}
				c1, w1 := cputime.Process(), time.Now()
				if err := readRecordsReference(dir, func(Record) error { return nil }); err != nil {
					b.Fatal(err)
				}
				c2, w2 := cputime.Process(), time.Now()
				cpu, refCPU = cpu+c1-c0, refCPU+c2-c1
				wall, refWall = wall+w1.Sub(w0), refWall+w2.Sub(w1)
			}
			rows := float64(benchFolderNodes * b.N)
			b.ReportMetric(rows/cpu.Seconds(), "rows/cpu-s")
			b.ReportMetric(rows/wall.Seconds(), "rows/s")
			b.ReportMetric(rows/refCPU.Seconds(), "ref-rows/cpu-s")
			mb := float64(size*int64(b.N)) / 1e6 // of batch files read
			b.ReportMetric(mb/cpu.Seconds(), "MB/cpu-s")
			b.ReportMetric(mb/wall.Seconds(), "MB/s")
			b.ReportMetric(refCPU.Seconds()/cpu.Seconds(), "x-cpu")
			b.ReportMetric(refWall.Seconds()/wall.Seconds(), "x-wall")
		})
	}
}
