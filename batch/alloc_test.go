package batch

import (
	"context"
	"runtime"
	"testing"

	"github.com/sluicehq/sluice/scrape/clock"
)

// Issue 10 item 7: a batch size far above the node count allocates for
// the nodes there are, not for the flag (184 B per slot of the batch size
// made --batch-size 100000000 a 18 GB allocation).
func TestHugeBatchSizeAllocatesForTheNodes(t *testing.T) {
	p, err := NewPlan([]string{"AS1", "AS2", "AS3"}, PlanOptions{Size: 100_000_000})
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody(node)} })
	st := newMemStore()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sum, err := Run(context.Background(), p, f, st, quietOptions(clock.NewFake(t0)))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK != 3 || len(st.batches[0]) != 3 {
		t.Fatalf("summary %+v, batch 0 has %d records", sum, len(st.batches[0]))
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Fatalf("a run of 3 nodes allocated %d bytes with batch size 100000000", got)
	}
}
