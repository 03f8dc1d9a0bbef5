package batch

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketBounds(t *testing.T) {
	// Every value lies in its bucket, buckets are ordered and tight.
	prevUpper := int64(-1)
	for b := range latencyBuckets - 1 {
		up := bucketUpper(b)
		if int64(up) <= prevUpper {
			t.Fatalf("bucket %d upper %d not above %d", b, up, prevUpper)
		}
		if got := bucketOf(up); got != b {
			t.Fatalf("bucketOf(upper(%d)=%d) = %d", b, up, got)
		}
		if got := bucketOf(up + 1); got != b+1 {
			t.Fatalf("bucketOf(upper(%d)+1) = %d", b, got)
		}
		prevUpper = int64(up)
	}
	if bucketOf(1<<62) != latencyBuckets-1 {
		t.Fatal("huge value not in the last bucket")
	}
}

func TestLatencyQuantiles(t *testing.T) {
	var h latencyHist
	if s := h.stats(); s != (latencyStats{}) {
		t.Fatalf("empty stats = %+v", s)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var samples []time.Duration
	var sum time.Duration
	for range 20000 {
		d := time.Duration(r.ExpFloat64() * float64(800*time.Millisecond))
		samples = append(samples, d)
		sum += d
		h.add(d)
	}
	slices.Sort(samples)
	s := h.stats()
	exact := func(q float64) time.Duration { return samples[int(q*float64(len(samples))+0.999)-1] }
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{{"p50", s.P50, exact(0.5)}, {"p95", s.P95, exact(0.95)}} {
		if c.got < c.want || float64(c.got) > float64(c.want)*(1+1.0/subBuckets)+float64(time.Microsecond) {
			t.Errorf("%s = %v, exact %v: outside one bucket", c.name, c.got, c.want)
		}
	}
	if s.Max != samples[len(samples)-1] || s.N != 20000 || s.Mean != sum/20000 {
		t.Errorf("max %v n %d mean %v; want %v 20000 %v", s.Max, s.N, s.Mean, samples[len(samples)-1], sum/20000)
	}
}
