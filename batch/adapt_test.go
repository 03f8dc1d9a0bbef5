package batch

import (
	"testing"
	"time"
)

func TestAdapterSteps(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	a, err := NewAdapter(AdaptOptions{Min: 2, Max: 6, Target: 10, Interval: 5 * time.Second, LatencySlack: 1.5}, 4, t0)
	if err != nil {
		t.Fatal(err)
	}
	// Counters are cumulative; each row is one call.
	steps := []struct {
		t       int
		s       AdaptSample
		size    int
		changed bool
		reason  string
	}{
		{t: 1, s: AdaptSample{Done: 5, Latency: 5 * time.Second}, size: 4, reason: ""},                                                  // window not closed
		{t: 5, s: AdaptSample{Done: 20, Latency: 20 * time.Second}, size: 5, changed: true, reason: "rate below target, latency holds"}, // 4/s < 10, baseline 1s
		{t: 10, s: AdaptSample{Done: 45, Latency: 45 * time.Second}, size: 6, changed: true, reason: "rate below target, latency holds"},
		{t: 15, s: AdaptSample{Done: 70, Latency: 70 * time.Second}, size: 6, reason: "holding"}, // at Max
		{t: 20, s: AdaptSample{Done: 80, Latency: 90 * time.Second, Status429: 3}, size: 5, changed: true, reason: "429s or stalls"},
		{t: 25, s: AdaptSample{Done: 90, Latency: 100 * time.Second, Status429: 3}, size: 5, reason: "cooling down after a shrink"},
		{t: 30, s: AdaptSample{Done: 100, Latency: 120 * time.Second, Status429: 3}, size: 5, reason: "latency above baseline"}, // 2s mean > 1.5 × 1s
		{t: 35, s: AdaptSample{Done: 100, Latency: 120 * time.Second, Status429: 3}, size: 5, reason: "no node finished"},
		{t: 40, s: AdaptSample{Done: 150, Latency: 170 * time.Second, Status429: 3}, size: 5, reason: "holding"}, // 10/s: at target
		{t: 45, s: AdaptSample{Done: 160, Latency: 180 * time.Second, Status429: 3, Stalls: 1}, size: 4, changed: true, reason: "429s or stalls"},
		{t: 50, s: AdaptSample{Done: 160, Latency: 180 * time.Second, Status429: 9, Stalls: 1}, size: 3, changed: true, reason: "429s or stalls"},
		{t: 55, s: AdaptSample{Done: 160, Latency: 180 * time.Second, Status429: 20, Stalls: 1}, size: 2, changed: true, reason: "429s or stalls"},
		{t: 60, s: AdaptSample{Done: 160, Latency: 180 * time.Second, Status429: 30, Stalls: 1}, size: 2, reason: "429s or stalls"}, // at Min
		{t: 62, s: AdaptSample{Done: 170, Latency: 190 * time.Second, Status429: 30, Stalls: 1}, size: 2, reason: ""},
		{t: 65, s: AdaptSample{Done: 175, Latency: 195 * time.Second, Status429: 30, Stalls: 1}, size: 2, reason: "cooling down after a shrink"},
		{t: 70, s: AdaptSample{Done: 180, Latency: 200 * time.Second, Status429: 30, Stalls: 1}, size: 3, changed: true, reason: "rate below target, latency holds"},
	}
	for _, st := range steps {
		d := a.Observe(at(st.t), st.s)
		if d.Size != st.size || d.Changed != st.changed || d.Reason != st.reason || a.Size() != st.size {
			t.Fatalf("t=%ds: got %+v, want size %d changed %v reason %q", st.t, d, st.size, st.changed, st.reason)
		}
	}
}

func TestAdapterNoTarget(t *testing.T) {
	t0 := time.Unix(0, 0)
	a, err := NewAdapter(AdaptOptions{}, 2, t0)
	if err != nil {
		t.Fatal(err)
	}
	done := int64(0)
	for i := 1; i <= 20; i++ {
		done += 100
		d := a.Observe(t0.Add(time.Duration(i)*5*time.Second), AdaptSample{Done: done, Latency: time.Duration(done) * time.Second})
		if want := min(2+i, 8); d.Size != want {
			t.Fatalf("step %d: size %d, want %d (defaults: max 4 × 2)", i, d.Size, want)
		}
	}
}

func TestNewAdapterErrors(t *testing.T) {
	for _, o := range []AdaptOptions{{Min: 3, Max: 2}, {Min: -1}, {Target: -1}, {LatencySlack: 0.5}, {Interval: -time.Second}} {
		if _, err := NewAdapter(o, 4, time.Time{}); err == nil {
			t.Errorf("NewAdapter(%+v) accepted", o)
		}
	}
}
