package batch

import (
	"fmt"
	"time"
)

// AdaptOptions configure adaptive concurrency: the runner grows its pool
// one worker at a time while the achieved rate is below Target and the
// latency holds, and shrinks it by a quarter on 429s or stalls. The zero
// value (with Options.Adapt set) grows from Options.Concurrency up to
// 4 × Options.Concurrency while latency holds, deciding every 5 s.
type AdaptOptions struct {
	// Min and Max bound the pool; zero means 1 and 4 × Options.Concurrency.
	Min, Max int
	// Target is the node rate (nodes/s) worth growing for; zero means
	// grow while latency holds, up to Max.
	Target float64
	// Interval is the time between decisions; zero means 5 s. A decision
	// needs a window long enough for several nodes to finish.
	Interval time.Duration
	// LatencySlack is how far the mean node latency of a window may rise
	// above the best window seen before growth stops; zero means 1.5.
	LatencySlack float64
}

// AdaptSample is the runner's cumulative counters at one instant; the
// Adapter works on the differences between two samples.
type AdaptSample struct {
	Done      int64         // nodes finished (succeeded or dead)
	Latency   time.Duration // sum of the latencies of those nodes
	Status429 int64         // 429 answers seen by the Fetcher
	Stalls    int64         // stalled bodies seen by the Fetcher
}

// An Adapter decides the pool size from samples at explicit times; it has
// no clock or goroutine of its own, so its tests are step tables. It is
// not safe for concurrent use.
type Adapter struct {
	o        AdaptOptions
	size     int
	last     time.Time
	prev     AdaptSample
	baseline time.Duration // best window mean latency so far; 0: none yet
	cooldown bool          // the last decision shrank: do not grow right after
}

// NewAdapter returns an Adapter starting at size at time now. Zero
// fields of o take the defaults described on AdaptOptions, with Max
// derived from size.
func NewAdapter(o AdaptOptions, size int, now time.Time) (*Adapter, error) {
	if o.Min == 0 {
		o.Min = 1
	}
	if o.Max == 0 {
		o.Max = 4 * size
	}
	if o.Interval == 0 {
		o.Interval = 5 * time.Second
	}
	if o.LatencySlack == 0 {
		o.LatencySlack = 1.5
	}
	switch {
	case o.Min < 1 || o.Max < o.Min:
		return nil, fmt.Errorf("batch: adaptive concurrency: want 1 <= min (%d) <= max (%d)", o.Min, o.Max)
	case o.Interval < 0 || o.Target < 0 || o.LatencySlack < 1:
		return nil, fmt.Errorf("batch: adaptive concurrency: negative interval or target, or latency slack %.2f below 1", o.LatencySlack)
	}
	return &Adapter{o: o, size: min(max(size, o.Min), o.Max), last: now}, nil
}

// Size is the current pool size.
func (a *Adapter) Size() int { return a.size }

// A Decision is what one Observe call concluded.
type Decision struct {
	Size    int    // the pool size from now on
	Changed bool   // Size differs from the previous one
	Reason  string // why, for the log; "" when no window closed
	Rate    float64
	Latency time.Duration // mean latency of the window
}

// Observe takes the counters at now. It decides only when Interval has
// passed since the last decision, on the window since then:
//
//   - 429s or stalls in the window: shrink by a quarter (at least 1),
//     not below Min, and skip the next chance to grow;
//   - no node finished: hold (no evidence);
//   - window latency above LatencySlack × the best window so far: hold;
//   - rate below Target (or no Target) and below Max: grow by 1;
//   - otherwise hold.
func (a *Adapter) Observe(now time.Time, s AdaptSample) Decision {
	d := Decision{Size: a.size}
	dt := now.Sub(a.last)
	if dt < a.o.Interval || dt <= 0 {
		return d
	}
	done := s.Done - a.prev.Done
	d.Rate = float64(done) / dt.Seconds()
	if done > 0 {
		d.Latency = (s.Latency - a.prev.Latency) / time.Duration(done)
	}
	throttled := s.Status429 > a.prev.Status429 || s.Stalls > a.prev.Stalls
	a.last, a.prev = now, s

	switch {
	case throttled:
		step := max(1, a.size/4)
		d.Size = max(a.o.Min, a.size-step)
		d.Reason = "429s or stalls"
		a.cooldown = true
	case done == 0:
		d.Reason = "no node finished"
	case a.cooldown:
		a.cooldown = false
		d.Reason = "cooling down after a shrink"
		a.noteLatency(d.Latency)
	case a.baseline > 0 && float64(d.Latency) > float64(a.baseline)*a.o.LatencySlack:
		d.Reason = "latency above baseline"
	case (a.o.Target == 0 || d.Rate < a.o.Target) && a.size < a.o.Max:
		a.noteLatency(d.Latency)
		d.Size = a.size + 1
		d.Reason = "rate below target, latency holds"
	default:
		a.noteLatency(d.Latency)
		d.Reason = "holding"
	}
	d.Changed = d.Size != a.size
	a.size = d.Size
	return d
}

// noteLatency lowers the baseline to a window's mean latency.
func (a *Adapter) noteLatency(l time.Duration) {
	if l > 0 && (a.baseline == 0 || l < a.baseline) {
		a.baseline = l
	}
}
