package scrape

import (
	"math"
	"testing"
	"time"
)

// TestAIMDSteps drives the control law of aimd.go through fixed instants
// (milliseconds after t0): the first 429 guesses from the first stretch,
// each later one cuts to 95 % of the rate the server admitted over the
// stretch, never by more than half in one cut.
func TestAIMDSteps(t *testing.T) {
	a := newAIMD(100)
	oks := func(from, to, every int) { // admitted answers at from+every, …, to
		for ms := from + every; ms <= to; ms += every {
			a.succeededAt(at(ms), at(ms))
		}
	}
	type step struct {
		name        string
		before      func() // answers before the step
		now, sent   int    // ms
		open        int    // ms; 0: gate open
		wantRate    float64
		wantChanged bool
	}
	guess := aimdDecrease * 100 / 1.0 // the first stretch, from a full bucket, longer than aimdLongFirst: n/d
	steps := []step{
		{"first stretch: a guess", func() { oks(-10, 990, 10) }, 1000, 999, 0, guess, true},
		{"429 in flight during the cut is ignored", nil, 1010, 1005, 0, guess, false},
		{"429 inside the settling time is ignored", nil, 1150, 1190, 0, guess, false},
		// grown at 30 %/s (the guess's probe) from the epoch at 1200 for 0.8 s, to the ceiling; halved
		{"40/s admitted: cut at most by half", func() { oks(1000, 2000, 25) }, 2000, 1999, 0, min(100, guess*(1+0.8*aimdGuessProbe)) / 2, true},
		// 41 counted: 20 ms buckets
		{"40/s again: cut to 95 % of it", func() { oks(2000, 3000, 25) }, 3000, 2999, 0, 41 * 0.95, true},
		{"nothing admitted (a spent window): no cut", nil, 3300, 3250, 0, 41 * 0.95, false},
		{"growth: 1 %/s of the cut rate after the epoch", func() { oks(3400, 4500, 1100) }, 4500, 4500 - 1, 0, 38, false},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		var open time.Time
		if s.open > 0 {
			open = at(s.open)
		}
		r, changed := a.throttledAt(at(s.now), at(s.sent), open)
		if s.name == "growth: 1 %/s of the cut rate after the epoch" {
			continue
		}
		if math.Abs(r-s.wantRate) > 1e-6 || changed != s.wantChanged {
			t.Errorf("%s: rate %v changed %v, want %v %v", s.name, r, changed, s.wantRate, s.wantChanged)
		}
	}
}

// TestAIMDGrowth: after the epoch a guess probes at 30 % of its rate per
// second, a measured cut at 1 %, up to the ceiling.
func TestAIMDGrowth(t *testing.T) {
	a := newAIMD(200)
	for ms := 0; ms < 1000; ms += 10 {
		a.succeededAt(at(ms), at(ms))
	}
	g, _ := a.throttledAt(at(1000), at(1000), time.Time{}) // a guess, epoch at 1200
	if r, _ := a.succeededAt(at(1100), at(1100)); r != g {
		t.Errorf("grew before the epoch: %v", r)
	}
	for ms := 1200; ms < 2200; ms += 10 { // 100/s admitted
		a.succeededAt(at(ms), at(ms))
	}
	if r, _ := a.succeededAt(at(2200), at(2200)); math.Abs(r-g*(1+aimdGuessProbe)) > 1e-9 {
		t.Errorf("after 1 s of a guess's growth: %v, want %v", r, g*(1+aimdGuessProbe))
	}
	// 166/s admitted, measured: a cut to 95 % of the rate, not deep
	// (a deep one probes back quickly)
	for ms := 2206; ms <= 3200; ms += 6 {
		a.succeededAt(at(ms), at(ms))
	}
	m, _ := a.throttledAt(at(3200), at(3200), time.Time{}) // epoch at 3400
	if r, _ := a.succeededAt(at(4400), at(4400)); math.Abs(r-m*1.01) > 1e-9 {
		t.Errorf("after 1 s of a measured cut's growth: %v, want %v", r, m*1.01)
	}
}

// TestAIMDRetryAfterFit: stretches that begin after a pause (a full
// bucket) fit n = B + R·d; the second cut lands just under R even though
// each stretch alone (burst included) looks faster than R.
func TestAIMDRetryAfterFit(t *testing.T) {
	const R, B = 40.0, 10.0
	a := newAIMD(120)
	a.sentAt(t0)
	// stretch 1 from t0 at 120/s: B + R·d admitted, d = B/(120−R) = 125 ms
	for i := 1; i <= 15; i++ {
		a.succeededAt(at(i*125/15), at(i*125/15))
	}
	r, _ := a.throttledAt(at(125), at(125), at(1125))
	if want := aimdDecrease * 14 / 0.225; math.Abs(r-want) > 1e-9 {
		t.Fatalf("first cut with Retry-After: %v, want the guess %v", r, want)
	}
	// stretch 2 from the reopening at 60/s: d = B/(60−R) = 500 ms, 30 admitted
	for i := 1; i <= 30; i++ {
		a.succeededAt(at(1125+i*500/30), at(1125+i*500/30))
	}
	r, _ = a.throttledAt(at(1625), at(1625), at(2625))
	if want := aimdDecrease * R; math.Abs(r-want) > 1 {
		t.Fatalf("second cut: %v, want about %v", r, want)
	}
}

func TestAIMDNeverPassesCeilingOrFloor(t *testing.T) {
	a := newAIMD(10)
	for i := range 200 { // 200 cuts, 2 s apart, 5/s admitted before each
		for k := range 10 {
			a.succeededAt(at(2000*i-1900+200*k), at(2000*i-1900+200*k))
		}
		a.throttledAt(at(2000*i), at(2000*i), time.Time{})
	}
	if r := a.rateAt(t0); r < aimdFloor || r > 5 {
		t.Fatalf("after 200 cuts at 5/s admitted, rate = %v, want under 5 and not under the floor %v", r, aimdFloor)
	}
	b := newAIMD(10)
	for i := range 3 {
		b.succeededAt(at(2000*i-10), at(2000*i-10))
		b.throttledAt(at(2000*i), at(2000*i), time.Time{})
	}
	for i := range 1000 { // 1000 s of successes
		b.succeededAt(at(500_000+1000*i), at(500_000+1000*i))
	}
	if r := b.rateAt(t0); r != 10 {
		t.Fatalf("after growth rate = %v, want the ceiling 10", r)
	}
}

// TestAIMDUnlimitedFirstCut: an unlimited client's first 429 guesses from
// what was admitted so far; answers to requests of that stretch that come
// after the 429 (bodies take longer than refusals) raise the guess.
func TestAIMDUnlimitedFirstCut(t *testing.T) {
	a := newAIMD(0)
	for i := range 20 { // 20 requests in 200 ms: 100/s
		a.sentAt(at(800 + 10*i))
	}
	for i := range 16 { // 16 of them admitted
		a.succeededAt(at(805+12*i), at(800+12*i))
	}
	r, changed := a.throttledAt(at(1000), at(990), time.Time{})
	// the stretch: from the first request (800) to the sending of the
	// refused one (990), not to its answer
	if want := aimdDecrease * 15 / 0.29; !changed || math.Abs(r-want) > 1e-9 {
		t.Fatalf("rate %v changed %v, want %v", r, changed, want)
	}
	for i := range 5 { // late answers of the stretch
		a.succeededAt(at(1001+i), at(980+i))
	}
	if r, _ := a.succeededAt(at(1010), at(985)); math.Abs(r-aimdDecrease*21/0.29) > 1e-9 {
		t.Fatalf("after 6 late answers: %v, want %v", r, aimdDecrease*21/0.29)
	}

	// A first stretch longer than aimdLongFirst is measured: n/d.
	long := newAIMD(0)
	for i := range 50 { // 50 requests in 500 ms
		long.sentAt(at(500 + 10*i))
	}
	for i := range 40 { // 40 admitted
		long.succeededAt(at(505+12*i), at(500+12*i))
	}
	if r, _ := long.throttledAt(at(1000), at(990), time.Time{}); math.Abs(r-aimdDecrease*40/0.49) > 1e-9 {
		t.Fatalf("long first stretch: rate %v, want %v", r, aimdDecrease*40/0.49)
	}

	b := newAIMD(0)
	for i := range 50 {
		b.sentAt(at(500 + 10*i))
	}
	if r, _ := b.throttledAt(at(1000), at(990), time.Time{}); r != 50 {
		t.Fatalf("nothing admitted: rate %v, want half the send rate", r)
	}
}

func TestMeter(t *testing.T) {
	var m meter
	if r := m.rateAt(t0); r != 0 {
		t.Fatalf("empty meter: %v", r)
	}
	m.addAt(at(0))
	if r := m.rateAt(at(1)); r != 10 { // one event, 100 ms minimum span
		t.Errorf("young meter: %v/s, want 10", r)
	}
	for i := 1; i < 300; i++ { // 100/s for 3 s
		m.addAt(at(10 * i))
	}
	if r := m.rateAt(at(2995)); r < 95 || r > 105 {
		t.Errorf("steady meter: %v/s, want ~100", r)
	}
	if r := m.rateAt(at(10_000)); r != 0 {
		t.Errorf("stale meter: %v/s, want 0", r)
	}
}
