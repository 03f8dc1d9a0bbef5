package batch

import (
	"context"
	"io"
	"testing"

	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/bench/testenv"
	"github.com/sluicehq/sluice/scrape"
)

// streamFetcher hands consume a synth body as it is generated: the body
// never exists whole, so the process's memory shows what the runner and
// the extractor keep.
type streamFetcher struct{ size int64 }

func (f streamFetcher) Fetch(ctx context.Context, node string, consume func(io.Reader) error) (scrape.Result, error) {
	if err := consume(synth.NewReader(largeBody(node, f.size))); err != nil {
		return scrape.Result{Node: node, Attempts: 1}, &scrape.FetchError{Node: node, Attempts: 1, Err: err}
	}
	return scrape.Result{Node: node, Attempts: 1, Status: 200}, nil
}

func largeBody(node string, size int64) synth.Options {
	return synth.Options{Resource: node, Updates: synth.UpdatesForSize(size)}
}

// Four 1 GiB bodies, two at a time: the peak RSS of the whole test process
// stays within 64 MiB + concurrency × the extractor's buffer, and every
// count is right.
func TestLargeRunMemory(t *testing.T) {
	testenv.SkipUnlessLarge(t, "run the GiB-scale checks")
	const size = 1 << 30
	nodes := []string{"AS1", "AS2", "AS3", "AS4"}
	p, _ := NewPlan(nodes, PlanOptions{Size: 2})
	st := newMemStore()
	o := Options{Concurrency: 2, StatusPath: "status"}
	sum, err := Run(context.Background(), p, streamFetcher{size}, st, o)
	if err != nil {
		t.Fatal(err)
	}
	for b := range p.Batches() {
		for _, rec := range st.batches[b.Index] {
			truth := largeBody(rec.Node, size).Truth()
			if rec.Count != truth.Count || *rec.First != truth.First || *rec.Last != truth.Last {
				t.Errorf("node %s: count %d first %d last %d, truth %+v", rec.Node, rec.Count, *rec.First, *rec.Last, truth)
			}
		}
	}
	m, err := ReadMemory()
	if err != nil {
		t.Skip(err)
	}
	limit := int64(64<<20 + 2*(64<<10))
	t.Logf("%d GiB extracted, peak RSS %.1f MiB (summary %.1f MiB), limit %.1f MiB",
		sum.Bytes>>30, float64(m.Peak)/(1<<20), float64(sum.PeakRSS)/(1<<20), float64(limit)/(1<<20))
	if sum.Bytes < 4*size*9/10 {
		t.Fatalf("only %d bytes extracted", sum.Bytes)
	}
	if m.Peak > limit {
		t.Fatalf("peak RSS %d bytes above %d", m.Peak, limit)
	}
}
