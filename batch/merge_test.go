package batch

import (
	"testing"
	"time"
)

// Two rounds of one process merge into the figures of both: counts add
// up, the Fetcher's cumulative counters are the later round's, and the
// latency quantiles are those of all the nodes, not an average of two.
func TestSummaryMerge(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	round := func(start time.Time, lat time.Duration, n int, requests int64) Summary {
		var h latencyHist
		for range n {
			h.add(lat)
		}
		s := Summary{Nodes: 100, Start: start, End: start.Add(time.Minute), Elapsed: time.Minute,
			OK: int64(n), Processed: int64(n), Committed: 1, Bytes: 10 * int64(n), PeakRSS: int64(n),
			Requests: requests, Retries: requests - int64(n), ByStatus: map[int]int64{200: requests}, WireBytes: 7 * requests}
		s.lat = h.snapshot()
		ls := h.stats()
		s.Mean, s.P50, s.P95, s.Max = ls.Mean, ls.P50, ls.P95, ls.Max
		return s
	}
	first := round(t0, time.Millisecond, 60, 70)
	second := round(t0.Add(2*time.Minute), 100*time.Millisecond, 40, 120) // the client's counters since its start
	m := first.Merge(second)
	switch {
	case m.OK != 100 || m.Processed != 100 || m.Committed != 2 || m.Bytes != 1000 || m.PeakRSS != 60:
		t.Errorf("counts: %+v", m)
	case m.Requests != 120 || m.Retries != 80 || m.WireBytes != 840 || m.ByStatus[200] != 120:
		t.Errorf("fetcher counters: requests %d, retries %d, wire %d", m.Requests, m.Retries, m.WireBytes)
	case !m.Start.Equal(t0) || m.Elapsed != 3*time.Minute:
		t.Errorf("span: %v for %v", m.Start, m.Elapsed)
	case m.P50 > 1100*time.Microsecond || m.P95 < 94*time.Millisecond || m.Max != 100*time.Millisecond:
		t.Errorf("latency p50 %v p95 %v max %v; want ~1ms, ~100ms, 100ms", m.P50, m.P95, m.Max)
	case m.Mean != (60*time.Millisecond+40*100*time.Millisecond)/100:
		t.Errorf("mean %v", m.Mean)
	}
	if z := (Summary{}).Merge(first); z.OK != first.OK || !z.Start.Equal(first.Start) {
		t.Errorf("merge into the zero summary: %+v", z)
	}
	if z := first.Merge(Summary{}); z.OK != first.OK || z.Requests != first.Requests {
		t.Errorf("merge of an empty round: %+v", z)
	}
}
