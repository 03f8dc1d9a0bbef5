package scrape

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// fixedWindowServer models a server that allows limit requests per fixed
// window, the way bench/mockapi does, optionally with rate-limit headers.
type fixedWindowServer struct {
	limit   int
	window  time.Duration
	headers bool
	counts  map[int64]int
}

func (s *fixedWindowServer) handle(t time.Time) (int, http.Header) {
	w := t.UnixNano() / int64(s.window)
	s.counts[w]++
	h := http.Header{}
	end := time.Unix(0, (w+1)*int64(s.window))
	status := http.StatusOK
	if s.counts[w] > s.limit {
		status = http.StatusTooManyRequests
	}
	if s.headers {
		h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, s.limit-s.counts[w])))
		h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(end.UnixNano())/1e9, 'f', 3, 64))
		if status == http.StatusTooManyRequests {
			h.Set("Retry-After", strconv.FormatFloat(end.Sub(t).Seconds(), 'f', 3, 64))
		}
	}
	return status, h
}

// TestLimitsSettleUnderServerLimit drives the gate, the quota and the
// AIMD with a simulated client that starts at three times the server's
// limit, sends evenly at its current rate (a token bucket of burst 1) with
// up to 8 requests in flight and a 5 or 500 ms round trip, against a fixed-window
// server with and without rate-limit headers. After a warm-up the client
// must get at least 90 % of the limit with at most 5 % of its requests
// refused. Time is simulated: the test does not sleep.
func TestLimitsSettleUnderServerLimit(t *testing.T) {
	for _, tt := range []struct {
		headers bool
		limit   int
		window  time.Duration
		warmup  time.Duration
		latency time.Duration
	}{
		{true, 20, 200 * time.Millisecond, 200 * time.Millisecond, 5 * time.Millisecond},
		{true, 100, time.Second, time.Second, 5 * time.Millisecond},
		// Answers slower than the spacing of requests: at each window's
		// start several requests leave before any answer tells its quota.
		{true, 5, time.Second, time.Second, 500 * time.Millisecond},
		{false, 20, 200 * time.Millisecond, 12 * time.Second, 5 * time.Millisecond},
		{false, 100, time.Second, 12 * time.Second, 5 * time.Millisecond},
	} {
		t.Run(fmt.Sprintf("headers=%v/limit=%d/%v/rtt=%v", tt.headers, tt.limit, tt.window, tt.latency), func(t *testing.T) {
			srv := &fixedWindowServer{limit: tt.limit, window: tt.window, headers: tt.headers, counts: map[int64]int{}}
			serverRate := float64(tt.limit) / tt.window.Seconds()
			l := limits{aimd: newAIMD(3 * serverRate)}
			const inFlight = 8
			latency := tt.latency
			type answer struct {
				at, sent time.Time
				seq      uint64
				status   int
				h        http.Header
			}
			var pending []answer              // in order of at
			start := time.Unix(1795953600, 0) // on a window boundary
			measureFrom, end := start.Add(tt.warmup), start.Add(tt.warmup+40*time.Second)
			var ok, refused, sent int
			now, next := start, start
			for now.Before(end) {
				send := next
				if send.Before(now) {
					send = now
				}
				if d := l.gate.delayAt(send); d > 0 {
					send = send.Add(d)
				}
				if len(pending) > 0 && (len(pending) == inFlight || !pending[0].at.After(send)) {
					a := pending[0]
					pending = pending[1:]
					now = a.at
					l.observeAt(a.status, a.h, a.seq, a.sent, a.at)
					continue
				}
				now = send
				seq, wait := l.admitAt(now)
				if wait > 0 {
					next = now.Add(wait)
					continue
				}
				status, h := srv.handle(now)
				pending = append(pending, answer{at: now.Add(latency), sent: now, seq: seq, status: status, h: h})
				if !now.Before(measureFrom) {
					sent++
					if status == http.StatusOK {
						ok++
					} else {
						refused++
					}
				}
				next = now.Add(time.Duration(float64(time.Second) / l.aimd.rateAt(now)))
			}
			got := float64(ok) / end.Sub(measureFrom).Seconds()
			t.Logf("achieved %.1f/s of %.1f/s (%.1f%%), %d of %d refused (%.2f%%), final rate %.1f/s",
				got, serverRate, 100*got/serverRate, refused, sent, 100*float64(refused)/float64(sent), l.aimd.rateAt(end))
			if got < 0.9*serverRate {
				t.Errorf("achieved %.1f/s < 90%% of the limit %.1f/s", got, serverRate)
			}
			if float64(refused) > 0.05*float64(sent) {
				t.Errorf("%d of %d requests refused, > 5%%", refused, sent)
			}
		})
	}
}

func TestQuotaCountsRequestsInFlight(t *testing.T) {
	var l limits
	l.aimd = newAIMD(0)
	h := http.Header{"X-Ratelimit-Remaining": {"2"}, "X-Ratelimit-Reset": {"0.5"}}
	seqs := make([]uint64, 0, 3)
	for range 3 { // three sent before any answer
		seq, wait := l.admitAt(at(0))
		if wait != 0 {
			t.Fatal("no quota known yet, but told to wait")
		}
		seqs = append(seqs, seq)
	}
	// The first answer: 2 left after it; two more are already in flight.
	l.observeAt(200, h, seqs[0], at(0), at(10))
	if _, wait := l.admitAt(at(10)); wait != 500*time.Millisecond {
		t.Fatalf("wait %v, want the rest of the window (500ms)", wait)
	}
	// A late answer for an older request changes nothing.
	l.observeAt(200, http.Header{"X-Ratelimit-Remaining": {"9"}, "X-Ratelimit-Reset": {"0.49"}}, seqs[0], at(0), at(20))
	if _, wait := l.admitAt(at(20)); wait != 490*time.Millisecond {
		t.Fatalf("wait %v after a stale answer", wait)
	}
	// The window is over: admitted again.
	if _, wait := l.admitAt(at(510)); wait != 0 {
		t.Fatalf("wait %v after the reset", wait)
	}
}

func TestQuotaGuessesNextWindow(t *testing.T) {
	l := limits{aimd: newAIMD(0)}
	answer := func(seq uint64, now int, rem int, resetMS int) {
		h := http.Header{"X-Ratelimit-Limit": {"3"}, "X-Ratelimit-Remaining": {strconv.Itoa(rem)},
			"X-Ratelimit-Reset": {strconv.FormatFloat(float64(resetMS-now)/1000, 'f', 3, 64)}}
		l.observeAt(200, h, seq, at(now), at(now))
	}
	send := func(now int) (uint64, time.Duration) { return l.admitAt(at(now)) }
	// Window [0, 1000): three requests, answered.
	for i := range 3 {
		seq, wait := send(10 * i)
		if wait != 0 {
			t.Fatalf("window 1 request %d waits %v", i, wait)
		}
		answer(seq, 10*i+1, 2-i, 1000)
	}
	if _, wait := send(100); wait != 900*time.Millisecond {
		t.Fatalf("spent window: wait %v, want 900ms", wait)
	}
	// Window [1000, 2000): one answered request teaches the window's length.
	seq, _ := send(1000)
	answer(seq, 1001, 2, 2000)
	seq, _ = send(1010)
	answer(seq, 1011, 1, 2000)
	seq, _ = send(1020)
	answer(seq, 1021, 0, 2000)
	// Window [2000, 3000): no answer yet, but the guess allows the limit, 3.
	for i := range 3 {
		if _, wait := send(2000 + i); wait != 0 {
			t.Fatalf("guessed window request %d waits %v", i, wait)
		}
	}
	if _, wait := send(2003); wait != quotaPoll {
		t.Fatalf("guessed quota spent: wait %v, want a poll of %v", wait, quotaPoll)
	}
	// The first answer of the window replaces the guess: 1 left after it,
	// and the two other requests sent after it spend that and more.
	answer(6, 2100, 1, 3000)
	if _, wait := send(2100); wait != 900*time.Millisecond {
		t.Fatalf("after the answer: wait %v, want 900ms", wait)
	}
}

// TestDelayScope: a Retry-After on a 429 or a 503, or a spent
// X-RateLimit quota, pauses the whole client; a Retry-After on another
// error binds only the retry of the request that got it.
func TestDelayScope(t *testing.T) {
	t0 := time.Unix(1795953600, 0)
	ra := http.Header{"Retry-After": {"2"}}
	spent := http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"3"}}
	for _, tt := range []struct {
		name     string
		status   int
		h        http.Header
		wantGate bool
	}{
		{"429 Retry-After", http.StatusTooManyRequests, ra, true},
		{"503 Retry-After", http.StatusServiceUnavailable, ra, true},
		{"500 Retry-After", http.StatusInternalServerError, ra, false},
		{"502 Retry-After", http.StatusBadGateway, ra, false},
		{"200 quota spent", http.StatusOK, spent, true},
		{"500 quota spent", http.StatusInternalServerError, spent, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := limits{aimd: newAIMD(10)}
			seq, _ := l.admitAt(t0)
			o := l.observeAt(tt.status, tt.h, seq, t0, t0)
			if o.delay.until.IsZero() {
				t.Fatal("the headers set no delay")
			}
			if o.gateMoved != tt.wantGate || (l.gate.delayAt(t0) > 0) != tt.wantGate {
				t.Errorf("gate moved %v (delay %v), want %v", o.gateMoved, l.gate.delayAt(t0), tt.wantGate)
			}
		})
	}
}
