package scrape

import (
	"math"
	"testing"
	"time"
)

func TestAIMDSteps(t *testing.T) {
	a := newAIMD(100)
	type step struct {
		name        string
		kind        string // "ok", "429"
		now, sent   int    // ms
		open        int    // ms; 0: gate open
		wantRate    float64
		wantChanged bool
	}
	steps := []step{
		{"success at ceiling keeps it", "ok", 10, 9, 0, 100, false},
		{"429 cuts to 85%", "429", 20, 19, 120, 85, true},
		{"429 in flight during the cut is ignored", "429", 21, 15, 0, 85, false},
		{"429 sent before the gate opened is ignored", "429", 100, 60, 0, 85, false},
		{"no growth before the epoch", "ok", 110, 105, 0, 85, false},
		{"growth: 4.25/s for 1 s after the epoch", "ok", 1120, 1119, 0, 89.25, true},
		{"a new window's 429 cuts again", "429", 1200, 1150, 0, 89.25 * 0.85, true},
		{"bare 429 in the quiet second is ignored", "429", 2100, 1500, 0, 89.25 * 0.85, false},
		{"bare 429 after the quiet second cuts", "429", 2300, 2250, 0, 89.25 * 0.85 * 0.85, true},
	}
	for _, s := range steps {
		var r float64
		var changed bool
		switch s.kind {
		case "ok":
			r, changed = a.succeededAt(at(s.now))
		case "429":
			var open time.Time
			if s.open > 0 {
				open = at(s.open)
			}
			r, changed = a.throttledAt(at(s.now), at(s.sent), open)
		}
		if math.Abs(r-s.wantRate) > 1e-9 || changed != s.wantChanged {
			t.Errorf("%s: rate %v changed %v, want %v %v", s.name, r, changed, s.wantRate, s.wantChanged)
		}
	}
}

func TestAIMDNeverPassesCeilingOrFloor(t *testing.T) {
	a := newAIMD(10)
	for i := range 200 { // 200 cuts, a second apart
		a.throttledAt(at(2000*i), at(2000*i), time.Time{})
	}
	if r := a.rateAt(t0); r != aimdFloor {
		t.Fatalf("after 200 cuts rate = %v, want the floor %v", r, aimdFloor)
	}
	b := newAIMD(10)
	for i := range 3 {
		b.throttledAt(at(2000*i), at(2000*i), time.Time{})
	}
	for i := range 1000 { // 1000 s of successes
		b.succeededAt(at(500_000 + 1000*i))
	}
	if r := b.rateAt(t0); r != 10 {
		t.Fatalf("after growth rate = %v, want the ceiling 10", r)
	}
}

func TestAIMDUnlimitedCutsFromMeasuredRate(t *testing.T) {
	a := newAIMD(0)
	for i := range 50 { // 50 requests in 500 ms: 100/s
		a.sentAt(at(500 + 10*i))
	}
	r, changed := a.throttledAt(at(1000), at(990), time.Time{})
	if !changed || r != 100*aimdDecrease {
		t.Fatalf("rate %v changed %v, want %v", r, changed, 100*aimdDecrease)
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
