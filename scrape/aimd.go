package scrape

import (
	"math"
	"sync"
	"time"
)

// AIMD tuning. A cut to 85 % and a recovery of 5 % of the cut rate per
// second make a saw-tooth between 85 % and 100 % of the server's limit:
// about 92 % of it on average, with one throttled window every few
// seconds. Halving (TCP's choice) would average 75 %.
const (
	aimdDecrease = 0.85 // rate *= aimdDecrease after a 429
	aimdIncrease = 0.05 // per second, as a fraction of the rate after the last cut
	aimdFloor    = 0.05 // requests per second; never slower than one per 20 s
	// aimdQuiet is the epoch after a 429 that came without a Retry-After
	// or reset: the server's window is unknown, and most are 1 s or less.
	aimdQuiet = time.Second
)

// aimd adapts the shared request rate to a server's limit: additive
// increase, multiplicative decrease. It is safe for concurrent use; every
// method takes the current instant so that tests drive it step by step.
//
// A cut opens an epoch: 429s for requests sent before the epoch began
// (in flight during the cut, or sent into the window the server had
// already closed) say nothing new about the new rate and are ignored.
// Without that, one exhausted server window would cut the rate once per
// request in it and collapse it to the floor.
type aimd struct {
	mu      sync.Mutex
	ceiling float64   // the configured rate, +Inf for none; never exceeded
	rate    float64   // current rate, requests per second; +Inf until the first cut when unlimited
	step    float64   // additive increase per second since the last cut
	epoch   time.Time // requests sent before this instant cannot cut again
	grown   time.Time // instant up to which the increase has been applied
	sent    meter     // recent send rate, the base of the first cut when rate is +Inf
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

// throttledAt records a 429 received at t for a request sent at sent. open
// is when the client-wide gate opens (zero if it is open): the new epoch,
// and the recovery, start then, or aimdQuiet after t when the server said
// nothing about its window. It returns the new rate and whether it
// changed.
func (a *aimd) throttledAt(t, sent, open time.Time) (float64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if sent.Before(a.epoch) {
		return a.rate, false
	}
	base := a.rate
	if math.IsInf(base, 1) {
		base = a.sent.rateAt(t)
	}
	a.rate = max(aimdFloor, min(a.ceiling, base*aimdDecrease))
	a.step = a.rate * aimdIncrease
	a.epoch = t.Add(aimdQuiet)
	if open.After(t) {
		a.epoch = open
	}
	a.grown = a.epoch
	return a.rate, true
}

// succeededAt records a successful response at t and grows the rate by the
// time elapsed since the last growth. It returns the new rate and whether
// it changed.
func (a *aimd) succeededAt(t time.Time) (float64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rate >= a.ceiling || !t.After(a.grown) {
		return a.rate, false
	}
	a.rate = min(a.ceiling, a.rate+a.step*t.Sub(a.grown).Seconds())
	a.grown = t
	return a.rate, true
}

// meterBuckets × meterBucket is the window over which meter measures.
const (
	meterBuckets = 10
	meterBucket  = 100 * time.Millisecond
)

// meter counts events over the last second in 100 ms buckets. The zero
// value is ready; it is not safe for concurrent use (aimd locks it).
type meter struct {
	slot  [meterBuckets]int64 // slot index → bucket number it counts (unix ns / meterBucket)
	count [meterBuckets]int64
	first time.Time // first event: a younger meter divides by its age, not by a second
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

// rateAt reports events per second over the second before t (or since
// the first event, if younger, but at least 100 ms).
func (m *meter) rateAt(t time.Time) float64 {
	now := t.UnixNano() / int64(meterBucket)
	var n int64
	for i := range m.slot {
		if b := m.slot[i]; b > now-meterBuckets && b <= now {
			n += m.count[i]
		}
	}
	span := meterBuckets * meterBucket
	if age := t.Sub(m.first); age < span {
		span = max(age, meterBucket)
	}
	return float64(n) / span.Seconds()
}
