package measure

import (
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/batch"
)

// heapMetric is the bytes of live and not-yet-swept heap objects.
const heapMetric = "/memory/classes/heap/objects:bytes"

// heapSampler records the largest heap it sees, sampled by a goroutine
// every period and at each mark. Reading the metric does not
// stop the world and does not allocate.
type heapSampler struct {
	peak atomic.Uint64
	own  []metrics.Sample // used by the caller's goroutine
	stop chan struct{}
	wg   sync.WaitGroup
}

func startHeapSampler(period time.Duration) *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), own: newHeapSample()}
	h.sample(h.own)
	h.wg.Go(func() {
		buf := newHeapSample()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				h.sample(buf)
			}
		}
	})
	return h
}

func newHeapSample() []metrics.Sample { return []metrics.Sample{{Name: heapMetric}} }

// sample reads the heap size into s (allocated once per goroutine, so
// that sampling allocates nothing) and raises the peak.
func (h *heapSampler) sample(s []metrics.Sample) {
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	v := s[0].Value.Uint64()
	for {
		old := h.peak.Load()
		if v <= old || h.peak.CompareAndSwap(old, v) {
			return
		}
	}
}

// mark samples now, from the goroutine that started the sampler.
func (h *heapSampler) mark() { h.sample(h.own) }

// finish stops the sampler, waits for its goroutine and returns the peak.
func (h *heapSampler) finish() uint64 {
	close(h.stop)
	h.wg.Wait()
	h.sample(h.own)
	return h.peak.Load()
}

// peakRSS returns this process's peak resident set in bytes (VmHWM, read
// by batch.ReadMemory, the one /proc/self/status reader), or 0 where
// there is none.
func peakRSS() int64 {
	m, err := batch.ReadMemory()
	if err != nil {
		return 0
	}
	return m.Peak
}
