package scrape_test

import (
	"context"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/bench/testenv"
	"github.com/sluicehq/sluice/scrape"
)

// heapSampler wraps a body and samples the heap every 64 MiB read.
type heapSampler struct {
	r        io.Reader
	n, next  int64
	peak     uint64
	samples  int
	memStats runtime.MemStats
}

func (h *heapSampler) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.n += int64(n)
	if h.n >= h.next {
		h.next = h.n + 64<<20
		runtime.ReadMemStats(&h.memStats)
		h.peak = max(h.peak, h.memStats.HeapInuse)
		h.samples++
	}
	return n, err
}

// A 2 GiB body (zstd on the wire, as the mock sends it) streams from the
// mock through the client into the extractor with the heap bounded: a few
// MiB above what it was before, whatever the body's size. The mock server
// runs in the same process, so its own buffers are inside the bound.
func TestLargeBodyStreamsWithFlatHeap(t *testing.T) {
	testenv.SkipUnlessLarge(t, "stream a 2 GiB body")
	const size = 2 << 30
	inst := startMock(t, mockapi.Config{Seed: 1, Overrides: map[string]mockapi.Override{"AS3333": {Size: size}}})
	for _, enc := range []string{"zstd, gzip", "identity"} {
		t.Run(enc, func(t *testing.T) {
			c := mockClient(t, inst, func(o *scrape.Options) {
				o.Header = map[string][]string{"Accept-Encoding": {enc}}
				o.MaxAttempts = 1
				o.StallTimeout = 10 * time.Second // the mock computes the Content-Length of 2 GiB first
			})
			cnt := newCounter(t)
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			var hs *heapSampler
			res, err := c.Fetch(context.Background(), "AS3333", func(r io.Reader) error {
				hs = &heapSampler{r: r}
				return cnt.consume(hs)
			})
			if err != nil {
				t.Fatal(err)
			}
			truth, err := inst.Server.Truth("AS3333", winStart, winEnd)
			if err != nil {
				t.Fatal(err)
			}
			if cnt.tally.Count != truth.Count || cnt.tally.First != truth.First || cnt.tally.Last != truth.Last {
				t.Errorf("tally %+v, truth count %d first %d last %d", cnt.tally, truth.Count, truth.First, truth.Last)
			}
			growth := int64(hs.peak) - int64(before.HeapInuse)
			t.Logf("%d MiB body (%d MiB on the wire) in %v: heap in use %.1f MiB before, peak %.1f MiB (+%.1f MiB) over %d samples",
				res.BodyBytes>>20, res.WireBytes>>20, res.Duration, float64(before.HeapInuse)/(1<<20), float64(hs.peak)/(1<<20), float64(growth)/(1<<20), hs.samples)
			if res.BodyBytes < size*9/10 {
				t.Errorf("body %d bytes, want about %d", res.BodyBytes, size)
			}
			if growth > 24<<20 {
				t.Errorf("heap grew by %.1f MiB while streaming, want < 24 MiB", float64(growth)/(1<<20))
			}
		})
	}
}
