package scrape

import (
	"math"
	"sync"
	"time"
)

// The control law, and why.
//
// Without headers the only truth about a server's limit is what it
// admits. Two limiter shapes matter: a leaky bucket / GCRA (nginx
// limit_req, Envoy, most gateways: R per second with a burst of B, excess
// refused at once) and fixed or sliding windows (N per window, then
// refusals until the window ends). Under sustained overload both admit
// exactly their limit, so the admitted rate measured over a stretch of
// overload is the limit; the send rate is not (it counts the refusals),
// nor is the configured ceiling.
//
//   - Measure: admitted answers (anything but 429) per second over the
//     current stretch: from the later of the last cut, the gate's last
//     reopening and 2 s ago, to now; a stretch shorter than 100 ms counts
//     as 100 ms.
//   - Cut, on a 429 for a request sent after the epoch: rate =
//     clamp(0.95·admitted, 0.5·rate, 0.95·rate). 0.95 leaves the server's
//     burst room to absorb jitter; the floor of half the rate keeps one
//     short stretch (the burst of a fresh bucket inflates a short
//     stretch's count) from cutting too deep or too shallow twice in a
//     row; the cap of 0.95·rate makes every cut a cut. A stretch with
//     fewer than aimdMinAdmitted admitted answers says nothing (a fixed
//     window is spent, or the server refuses everything for now): no cut,
//     only a new epoch, so a spent window cannot collapse the rate.
//   - Epoch: 429s for requests sent before the cut plus aimdSettle (or
//     before the gate reopens, plus aimdSettle) are answers to the old
//     rate and are ignored. aimdSettle is short (200 ms) because GCRA
//     answers at once: the next cut can follow as soon as the new rate
//     has been seen by the server, which is what brings a client started
//     at 3× the limit inside 85–105 % of it within a second.
//   - Probe: after the epoch the rate grows by 1 % of the cut rate per
//     second (additive). Slowly, because every overshoot costs refusals
//     (GCRA refuses (rate−R) per second once the burst is spent) and,
//     with Retry-After, a whole pause of the client; 1 %/s keeps the
//     saw-tooth between 95 % and ~100 % of the limit.
//
// TestControlLaw (sim_test.go) is the simulation that tunes these numbers:
// a GCRA server with and without Retry-After and a fixed-window server,
// clients at 3× the limit and unlimited, 8 and 32 workers; it prints the
// share of the limit achieved, the 429 share and the rate after the first
// 429.
const (
	aimdDecrease    = 0.95 // cut to this fraction of the admitted rate, and at least this much
	aimdDeepest     = 0.5  // never below this fraction of the rate in one cut
	aimdIncrease    = 0.01 // per second, as a fraction of the rate after the last cut
	aimdFloor       = 0.05 // requests per second; never slower than one per 20 s
	aimdSettle      = 200 * time.Millisecond
	aimdMinAdmitted = 3               // admitted answers a stretch needs to be measured
	aimdStretch     = 2 * time.Second // longest stretch measured
	aimdFitSpan     = 2 * time.Second // stretches this far apart in length make a fit precise
)

// aimd adapts the shared request rate to a server's limit as the control
// law above says. It is safe for concurrent use; every method takes the
// current instant so that tests drive it step by step.
type aimd struct {
	mu       sync.Mutex
	ceiling  float64   // the configured rate, +Inf for none; never exceeded
	rate     float64   // current rate, requests per second; +Inf until the first cut when unlimited
	step     float64   // additive increase per second since the last cut
	epoch    time.Time // requests sent before this instant cannot cut again
	grown    time.Time // instant up to which the increase has been applied
	from     time.Time // start of the stretch measured (last cut or reopening); zero: first answer
	sent     meter     // recent send rate, the base of the first cut when rate is +Inf
	admitted meter     // answers that were not 429, by the instant they came

	// Stretches that began with the server's bucket full (the start, or
	// the end of a pause): admitted count n after d, for the regression
	// n = B + R·d whose slope is the limit.
	full    bool     // the current stretch began full
	fullN   int64    // admitted answers in the current stretch
	points  [4]point // the last stretches that began full, oldest overwritten
	npoints int
	known   float64 // the last limit the fit found; 0: none
}

// point is one stretch that began with a full bucket: n admitted in d.
type point struct {
	d time.Duration
	n int64
}

// newAIMD returns an aimd starting (and capped) at ceiling requests per
// second; ceiling <= 0 means unlimited.
func newAIMD(ceiling float64) *aimd {
	if ceiling <= 0 {
		ceiling = math.Inf(1)
	}
	return &aimd{ceiling: ceiling, rate: ceiling}
}

// rateAt reports the current rate (+Inf: unlimited).
func (a *aimd) rateAt(time.Time) float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rate
}

// sentAt records a request sent at t.
func (a *aimd) sentAt(t time.Time) {
	a.mu.Lock()
	a.sent.addAt(t)
	a.mu.Unlock()
}

// admittedRateAt is the admitted answers per second over the current
// stretch, and how many there were.
func (a *aimd) admittedRateAt(t time.Time) (float64, int64) {
	from := t.Add(-aimdStretch)
	if a.from.After(from) {
		from = a.from
	}
	if a.admitted.first.After(from) {
		from = a.admitted.first
	}
	n := a.admitted.countAt(from, t)
	span := max(t.Sub(from), meterMinSpan)
	return float64(n) / span.Seconds(), n
}

// throttledAt records a 429 received at t for a request sent at sent. open
// is when the client-wide gate opens (zero if it is open). It returns the
// new rate and whether it changed.
func (a *aimd) throttledAt(t, sent, open time.Time) (float64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if sent.Before(a.epoch) {
		return a.rate, false
	}
	resume, gated := t, open.After(t)
	if gated {
		resume = open
	}
	a.epoch = resume.Add(aimdSettle)
	a.grown = a.epoch
	cur := a.rate
	adm, n := a.admittedRateAt(t)
	if math.IsInf(cur, 1) {
		cur = max(a.sent.rateAt(t), adm)
	}
	var r float64
	startFull := a.full || a.from.IsZero()
	if startFull {
		a.points[a.npoints%len(a.points)] = point{d: t.Sub(a.from), n: a.fullN}
		if a.from.IsZero() { // the first stretch: since the first request
			a.points[a.npoints%len(a.points)] = point{d: t.Sub(a.sent.first), n: n}
		}
		a.npoints++
	}
	switch est, span, ok := a.slope(); {
	case startFull && ok:
		r = aimdDecrease * est
		if span >= aimdFitSpan {
			a.known = est // precise enough to slow the probe near it
		}
	case startFull && gated && a.points[(a.npoints-1)%len(a.points)].d < aimdFitSpan:
		// One short stretch from a full bucket mixes burst and rate:
		// halve, so that the next stretch differs enough to tell them
		// apart. A long one is mostly rate: it is measured as below.
		r = aimdDeepest * cur
	case n < aimdMinAdmitted && !math.IsInf(a.rate, 1):
		a.from, a.full, a.fullN = resume, gated, 0
		return a.rate, false // nothing admitted to measure: wait and see
	case n < aimdMinAdmitted:
		r = aimdDeepest * cur // unlimited, and refused from the start
	default:
		r = aimdDecrease * adm
	}
	r = max(min(r, aimdDecrease*cur), aimdDeepest*cur)
	r = max(aimdFloor, min(a.ceiling, r))
	changed := r != a.rate
	a.rate, a.step = r, r*aimdIncrease
	a.from, a.full, a.fullN = resume, gated, 0
	return a.rate, changed
}

// slope fits n = B + R·d to the stretches that began full and returns R,
// when there are two stretches of lengths far enough apart and the fit is
// positive.
func (a *aimd) slope() (float64, time.Duration, bool) {
	k := min(a.npoints, len(a.points))
	if k < 2 {
		return 0, 0, false
	}
	var sd, sn, sdd, sdn float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range a.points[:k] {
		d := p.d.Seconds()
		sd, sn, sdd, sdn = sd+d, sn+float64(p.n), sdd+d*d, sdn+d*float64(p.n)
		lo, hi = min(lo, d), max(hi, d)
	}
	if hi-lo < 0.05 {
		return 0, 0, false
	}
	fk := float64(k)
	r := (fk*sdn - sd*sn) / (fk*sdd - sd*sd)
	return r, seconds(hi - lo), r > 0 && !math.IsNaN(r)
}

// succeededAt records an admitted answer at t and grows the rate by the
// time elapsed since the last growth. It returns the new rate and whether
// it changed.
func (a *aimd) succeededAt(t time.Time) (float64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.admitted.addAt(t)
	if !t.Before(a.from) {
		a.fullN++
	}
	if a.rate >= a.ceiling || !t.After(a.grown) {
		return a.rate, false
	}
	step := a.step
	if a.known > 0 && a.rate >= aimdDecrease*a.known {
		step /= 5 // past the fitted limit's margin: every overshoot costs a pause
	}
	a.rate = min(a.ceiling, a.rate+step*t.Sub(a.grown).Seconds())
	a.grown = t
	return a.rate, true
}

// meterBuckets × meterBucket is the window over which meter counts.
const (
	meterBuckets = 100
	meterBucket  = 20 * time.Millisecond
	meterMinSpan = 100 * time.Millisecond // a shorter span is counted as this long
)

// meter counts events over the last 2 s in 20 ms buckets. The zero
// value is ready; it is not safe for concurrent use (aimd locks it).
type meter struct {
	slot  [meterBuckets]int64 // slot index → bucket number it counts (unix ns / meterBucket)
	count [meterBuckets]int64
	first time.Time // first event: a younger meter divides by its age, not by its window
}

func (m *meter) addAt(t time.Time) {
	if m.first.IsZero() {
		m.first = t
	}
	b := t.UnixNano() / int64(meterBucket)
	i := b % meterBuckets
	if m.slot[i] != b {
		m.slot[i], m.count[i] = b, 0
	}
	m.count[i]++
}

// countAt reports the events in the buckets from the one holding from to
// the one holding t.
func (m *meter) countAt(from, t time.Time) int64 {
	lo, hi := from.UnixNano()/int64(meterBucket), t.UnixNano()/int64(meterBucket)
	var n int64
	for i := range m.slot {
		if b := m.slot[i]; b >= lo && b <= hi && b > hi-meterBuckets {
			n += m.count[i]
		}
	}
	return n
}

// rateAt reports events per second over the second before t (or since
// the first event, if younger, but at least 100 ms).
func (m *meter) rateAt(t time.Time) float64 {
	span := time.Second
	if age := t.Sub(m.first); age < span {
		span = max(age, meterMinSpan)
	}
	return float64(m.countAt(t.Add(-span), t)) / span.Seconds()
}
