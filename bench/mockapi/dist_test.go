package mockapi

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestLatencyDraws(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 4001
	draws := func(l Latency) []time.Duration {
		d := make([]time.Duration, n)
		for i := range d {
			d[i] = l.draw(r)
		}
		slices.Sort(d)
		return d
	}
	if d := draws(Latency{}); d[n-1] != 0 {
		t.Errorf("none: max %v", d[n-1])
	}
	if d := draws(Latency{Kind: LatencyFixed, A: 20 * time.Millisecond}); d[0] != d[n-1] || d[0] != 20*time.Millisecond {
		t.Errorf("fixed: %v..%v", d[0], d[n-1])
	}
	if d := draws(Latency{Kind: LatencyUniform, A: 5 * time.Millisecond, B: 50 * time.Millisecond}); d[0] < 5*time.Millisecond || d[n-1] > 50*time.Millisecond || d[n/2] < 25*time.Millisecond || d[n/2] > 30*time.Millisecond {
		t.Errorf("uniform: min %v median %v max %v", d[0], d[n/2], d[n-1])
	}
	d := draws(Latency{Kind: LatencyLognormal, A: 20 * time.Millisecond, Sigma: 0.5})
	if med := d[n/2]; med < 18*time.Millisecond || med > 22*time.Millisecond {
		t.Errorf("lognormal: median %v, want ~20ms", med)
	}
	if d[n-1] < 40*time.Millisecond || d[n-1] > maxTTFB {
		t.Errorf("lognormal: max %v, want a tail", d[n-1])
	}
}

func TestSizeDraws(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 20001
	draws := func(d SizeDist) []int64 {
		s := make([]int64, n)
		for i := range s {
			s[i] = d.draw(r)
		}
		slices.Sort(s)
		return s
	}
	s := draws(SizeDist{}) // heavy defaults
	if s[0] < DefaultHeavyMin || s[n-1] > DefaultHeavyMax {
		t.Errorf("heavy: range %d..%d", s[0], s[n-1])
	}
	// Pareto median: Min * 2^(1/alpha) ≈ 15 KiB.
	if med := s[n/2]; med < 13<<10 || med > 17<<10 {
		t.Errorf("heavy: median %d", med)
	}
	if p999 := s[n*999/1000]; p999 < 2<<20 {
		t.Errorf("heavy: 99.9th percentile %d, want a heavy tail (MiBs)", p999)
	}
	if s := draws(SizeDist{Kind: SizeFixed, Min: 100, Max: 100}); s[0] != 100 || s[n-1] != 100 {
		t.Errorf("fixed: %d..%d", s[0], s[n-1])
	}
	if s := draws(SizeDist{Kind: SizeUniform, Min: 10, Max: 20}); s[0] != 10 || s[n-1] != 20 {
		t.Errorf("uniform: %d..%d", s[0], s[n-1])
	}
	if s := draws(SizeDist{Kind: SizeLognormal, Min: 64 << 10, Alpha: 1, Max: 1 << 20}); s[n-1] != 1<<20 || s[n/2] < 60<<10 || s[n/2] > 68<<10 {
		t.Errorf("lognormal: median %d max %d", s[n/2], s[n-1])
	}
}

// The bandwidth cap holds a body back: a lower bound on the time taken,
// which only a broken cap can miss (no upper bound: the machine is shared).
func TestBandwidthCapLowerBound(t *testing.T) {
	inst := start(t, Config{Latency: Latency{BytesPerSecond: 1 << 20},
		Sizes: SizeDist{Kind: SizeFixed, Min: 200 << 10, Max: 200 << 10}})
	begin := time.Now()
	r := get(t, client(), dataURL(inst, "AS1"))
	if r.err != nil || r.status != 200 {
		t.Fatalf("%d %v", r.status, r.err)
	}
	// ~200 KiB at 1 MiB/s, minus one paced chunk of slack.
	if took, min := time.Since(begin), time.Duration(float64(len(r.body)-paceChunk)/(1<<20)*float64(time.Second)); took < min {
		t.Errorf("%d bytes in %v at 1 MiB/s, want at least %v", len(r.body), took, min)
	}
}
