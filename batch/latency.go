package batch

import (
	"math"
	"math/bits"
	"sync"
	"time"
)

// latencyHist is a fixed-size log-linear histogram of durations: values are
// grouped by their power of two in microseconds, each power split into
// subBuckets linear steps, so a quantile is off by at most 1/subBuckets
// (~6%) whatever the number of samples. Its memory is constant: a run of
// 80,000 nodes keeps counts, not samples. Count, sum and max are exact.
//
// The zero value is empty and ready; it is safe for concurrent use.
type latencyHist struct {
	mu     sync.Mutex
	counts [latencyBuckets]int64
	n      int64
	sum    time.Duration
	max    time.Duration
}

const (
	subBits        = 4
	subBuckets     = 1 << subBits // linear steps per power of two
	latencyPowers  = 40           // 2^40 µs ≈ 12.7 days: anything longer lands in the last bucket
	latencyBuckets = latencyPowers * subBuckets
)

// bucketOf returns the bucket of a value in microseconds. Values below
// subBuckets µs have a bucket each; above, bucket = power*subBuckets +
// the next subBits bits below the leading one.
func bucketOf(us uint64) int {
	if us < subBuckets {
		return int(us)
	}
	p := bits.Len64(us) - 1 // position of the leading one, >= subBits
	sub := int(us>>(p-subBits)) & (subBuckets - 1)
	b := (p-subBits+1)*subBuckets + sub
	return min(b, latencyBuckets-1)
}

// bucketUpper is the largest value (µs) that falls into bucket b.
func bucketUpper(b int) uint64 {
	if b < subBuckets {
		return uint64(b)
	}
	p := b/subBuckets + subBits - 1
	sub := uint64(b % subBuckets)
	lo := (uint64(1) << p) | sub<<(p-subBits)
	return lo + (uint64(1) << (p - subBits)) - 1
}

func (h *latencyHist) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	b := bucketOf(uint64(d / time.Microsecond))
	h.mu.Lock()
	h.counts[b]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
	h.mu.Unlock()
}

// latencyCounts is a copy of a histogram's figures, kept by a Summary so
// that the summaries of two rounds merge into exact quantiles.
type latencyCounts struct {
	counts [latencyBuckets]int64
	n      int64
	sum    time.Duration
	max    time.Duration
}

// snapshot copies the histogram's figures.
func (h *latencyHist) snapshot() *latencyCounts {
	h.mu.Lock()
	defer h.mu.Unlock()
	return &latencyCounts{counts: h.counts, n: h.n, sum: h.sum, max: h.max}
}

// merged is a histogram of the values of a and b; either may be nil.
func merged(a, b *latencyCounts) *latencyHist {
	h := &latencyHist{}
	for _, c := range []*latencyCounts{a, b} {
		if c == nil {
			continue
		}
		for i, n := range c.counts {
			h.counts[i] += n
		}
		h.n += c.n
		h.sum += c.sum
		h.max = max(h.max, c.max)
	}
	return h
}

// latencyStats are the figures a summary prints.
type latencyStats struct {
	N             int64
	Mean          time.Duration
	P50, P95, Max time.Duration
}

func (h *latencyHist) stats() latencyStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := latencyStats{N: h.n, Max: h.max}
	if h.n == 0 {
		return s
	}
	s.Mean = h.sum / time.Duration(h.n)
	s.P50 = h.quantile(0.50)
	s.P95 = h.quantile(0.95)
	return s
}

// quantile returns the upper bound of the bucket that holds the q-th
// value, never more than the exact maximum. Callers hold mu.
func (h *latencyHist) quantile(q float64) time.Duration {
	rank := int64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var seen int64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketUpper(b))*time.Microsecond, h.max)
		}
	}
	return h.max
}
