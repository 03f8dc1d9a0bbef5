package batch

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape/clock"
)

// BenchmarkRunOverhead measures the runner's own cost per node (pool,
// extractor borrow, tally, record, commit) over small in-memory bodies,
// against BenchmarkExtractOnly, the extraction of the same bodies alone.
func BenchmarkRunOverhead(b *testing.B) {
	nodes := testNodes(1024)
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody(node)} })
	var size int64
	for _, n := range nodes {
		size += int64(len(f.render(okBody(n))))
	}
	p, _ := NewPlan(nodes, PlanOptions{})
	o := quietOptions(clock.NewFake(t0))
	o.StatusPath = "status"
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(context.Background(), p, f, newMemStore(), o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(nodes)), "ns/node")
}

func BenchmarkExtractOnly(b *testing.B) {
	nodes := testNodes(1024)
	f := newFakeFetcher(nil)
	bodies := make([][]byte, len(nodes))
	var size int64
	for i, n := range nodes {
		bodies[i] = f.render(okBody(n))
		size += int64(len(bodies[i]))
	}
	r, err := newRunner(f, Options{StatusPath: "status"})
	if err != nil {
		b.Fatal(err)
	}
	ex, _ := r.extractor()
	st := &nodeState{tally: extract.Tally{Unit: r.o.Unit, Bucket: r.o.Bucket}}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, body := range bodies {
			st.tally.Reset()
			if _, err := ex.Run(bytes.NewReader(body), func(sel int, raw []byte) error {
				if sel == 0 {
					st.tally.Add(raw)
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(nodes)), "ns/node")
}

// BenchmarkRunWindow compares Windows 1, 2 and 4 on a fetcher with a heavy
// tail (1 node in 20 takes 20 times longer), the shape of real answers:
// with Window 1 every batch waits for its slowest node with idle workers.
func BenchmarkRunWindow(b *testing.B) {
	nodes := testNodes(256)
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody("")} })
	f.before = func(_ context.Context, node string) {
		d := 10 * time.Millisecond
		if fnv1a(node)%20 == 0 {
			d = 200 * time.Millisecond
		}
		time.Sleep(d)
	}
	p, _ := NewPlan(nodes, PlanOptions{Size: 32})
	for _, w := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("window=%d", w), func(b *testing.B) {
			o := quietOptions(clock.NewFake(t0))
			o.Concurrency, o.Window = 8, w
			for b.Loop() {
				if _, err := Run(context.Background(), p, f, newMemStore(), o); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(nodes))*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
		})
	}
}
