package scrape

import (
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"
)

// gcraServer is nginx's limit_req (rate R, burst B, nodelay) in virtual
// time: a request is admitted while the excess, drained at R per second
// and raised by one per admitted request, stays within B. A refused
// request does not change the state (as in ngx_http_limit_req_module).
type gcraServer struct {
	rate, burst float64
	retryAfter  string // sent with every 429; "" none
	excess      float64
	last        time.Time
	fresh       bool
}

func (s *gcraServer) handle(t time.Time) (int, http.Header) {
	if !s.fresh {
		s.fresh, s.last = true, t
		return http.StatusOK, http.Header{}
	}
	e := max(0, s.excess-s.rate*t.Sub(s.last).Seconds()) + 1
	if e > s.burst+1e-9 {
		h := http.Header{}
		if s.retryAfter != "" {
			h.Set("Retry-After", s.retryAfter)
		}
		return http.StatusTooManyRequests, h
	}
	s.excess, s.last = e, t
	return http.StatusOK, http.Header{}
}

var simTrace func(string)

// simServer is a server model of the simulation.
type simServer interface {
	handle(t time.Time) (int, http.Header)
}

// simResult is what one simulated run measured.
type simResult struct {
	ok, refused int       // answers over the whole run
	first429    time.Time // zero: none
	pauses      int       // answers that moved the client-wide gate (a Retry-After pause each)
	rates       []float64 // admitted+refused requests sent per 250 ms slot, as a rate
	slot        time.Duration
}

// simulate runs a client (start rate, workers in flight, answer latency)
// against srv for d of virtual time, through the limits and gate the
// Client uses, and returns what happened.
func simulate(srv simServer, start float64, workers int, latency, d time.Duration) simResult {
	l := limits{aimd: newAIMD(start)}
	type answer struct {
		at, sent time.Time
		seq      uint64
		status   int
		h        http.Header
	}
	res := simResult{slot: 250 * time.Millisecond}
	res.rates = make([]float64, int(d/res.slot)+1)
	var pending []answer
	t0 := time.Unix(1795953600, 0)
	end := t0.Add(d)
	now, next := t0, t0
	for now.Before(end) {
		send := next
		if send.Before(now) {
			send = now
		}
		if w := l.gate.delayAt(send); w > 0 {
			send = send.Add(w)
		}
		if len(pending) > 0 && (len(pending) == workers || !pending[0].at.After(send)) {
			a := pending[0]
			pending = pending[1:]
			now = a.at
			before := l.aimd.rateAt(a.at)
			if l.observeAt(a.status, a.h, a.seq, a.sent, a.at).gateMoved {
				res.pauses++
			}
			if simTrace != nil && l.aimd.rateAt(a.at) < before {
				simTrace(fmt.Sprintf("%v: %d → rate %.1f (was %.1f) gate %v", a.at.Sub(t0), a.status, l.aimd.rateAt(a.at), before, l.gate.untilAt(a.at).Sub(t0)))
			}
			continue
		}
		now = send
		if !now.Before(end) {
			break
		}
		seq, wait := l.admitAt(now)
		if wait > 0 {
			next = now.Add(wait)
			continue
		}
		l.aimd.sentAt(now)
		status, h := srv.handle(now)
		// answers come in order of arrival: insert sorted
		a := answer{at: now.Add(latency), sent: now, seq: seq, status: status, h: h}
		if sb, ok := srv.(*slowBodies); ok && status == http.StatusOK {
			a.at = now.Add(sb.body) // a body takes longer than a refusal
		}
		if st, ok := srv.(interface{ stallAt(time.Time) time.Duration }); ok {
			a.at = a.at.Add(st.stallAt(now)) // held by a stalled server
		}
		i := len(pending)
		for i > 0 && pending[i-1].at.After(a.at) {
			i--
		}
		pending = append(pending[:i], append([]answer{a}, pending[i:]...)...)
		res.rates[now.Sub(t0)/res.slot] += 1 / res.slot.Seconds()
		if status == http.StatusOK {
			res.ok++
		} else {
			res.refused++
			if res.first429.IsZero() {
				res.first429 = now
			}
		}
		r := l.aimd.rateAt(now)
		if math.IsInf(r, 1) {
			next = now
		} else {
			next = now.Add(time.Duration(float64(time.Second) / r))
		}
	}
	return res
}

// TestControlLaw is the simulation that tunes aimd (see the control law in
// aimd.go): nginx-like GCRA without and with Retry-After, clients at 3×
// the limit and unlimited, 8 and 32 workers, 1 ms answers. It is virtual
// time, so its figures do not depend on the machine; the bounds it checks
// are the targets with the margin a real run needs, and, without
// headers, the band of 85–105 % of the limit for every second from 2 s
// after the first 429 on (108 % with the guess's probe at 10 %/s).
func TestControlLaw(t *testing.T) {
	const limit, burst = 100.0, 10.0
	for _, tt := range []struct {
		retryAfter       string
		run              time.Duration // BenchmarkNginxLimit's run lengths
		minShare, max429 float64
	}{
		{"", 6 * time.Second, 0.95, 0.05},
		{"1", 30 * time.Second, 0.90, 0.05},
	} {
		run := tt.run
		for _, start := range []float64{3 * limit, 0} {
			for _, workers := range []int{8, 32} {
				name := fmt.Sprintf("retry-after=%q/start=%v/workers=%d", tt.retryAfter, start, workers)
				t.Run(name, func(t *testing.T) {
					srv := &gcraServer{rate: limit, burst: burst, retryAfter: tt.retryAfter}
					r := simulate(srv, start, workers, time.Millisecond, run)
					share := float64(r.ok) / run.Seconds() / limit
					refused := float64(r.refused) / float64(r.ok+r.refused)
					// the rate from 2 s after the first 429 on, per slot
					lo, hi := math.Inf(1), 0.0
					from := int((r.first429.Sub(time.Unix(1795953600, 0)) + 2*time.Second) / r.slot)
					for i := from; i < len(r.rates)-1; i++ {
						// average over a second: slots are 250 ms
						if i+4 > len(r.rates)-1 {
							break
						}
						m := (r.rates[i] + r.rates[i+1] + r.rates[i+2] + r.rates[i+3]) / 4
						lo, hi = min(lo, m), max(hi, m)
					}
					t.Logf("%.1f%% of the limit, %.2f%% refused (%d), per-second rate after first 429 + 2 s: %.0f%%–%.0f%% of the limit",
						100*share, 100*refused, r.refused, 100*lo/limit, 100*hi/limit)
					if share < tt.minShare {
						t.Errorf("achieved %.1f%% of the limit, want ≥ %.0f%%", 100*share, 100*tt.minShare)
					}
					if refused > tt.max429 {
						t.Errorf("%.2f%% of requests refused, want ≤ %.0f%%", 100*refused, 100*tt.max429)
					}
					// Issue 9's band, the sent rate every second from 2 s
					// after the first 429 on, burst included. With
					// Retry-After the pause that learns the limit comes
					// later than that and reads as a second of nothing.
					if tt.retryAfter == "" && (lo < 0.85*limit || hi > 1.05*limit) {
						t.Errorf("per-second rate from 2 s after the first 429 on: %.0f%%–%.0f%% of the limit, want within 85%%–105%%", 100*lo/limit, 100*hi/limit)
					}
				})
			}
		}
	}
}

// jitterServer refuses, with a 429, the first request at or after each
// instant of at, as timing jitter does to a client sending exactly at a
// GCRA limit (the bucket is a few microseconds short of a token); every
// other request goes to the limiter inside.
type jitterServer struct {
	simServer
	at []time.Duration // after the first request
	t0 time.Time
	h  http.Header
}

func (s *jitterServer) handle(t time.Time) (int, http.Header) {
	if s.t0.IsZero() {
		s.t0 = t
	}
	if len(s.at) > 0 && t.Sub(s.t0) >= s.at[0] {
		s.at = s.at[1:]
		return http.StatusTooManyRequests, s.h.Clone()
	}
	return s.simServer.handle(t)
}

// TestControlLawJitterAtTheConfiguredRate: a client told the exact limit
// (Options.Rate = 100 against nginx's 100/s) that gets one 429 from timing
// jitter, with Retry-After: 1, pauses for it and comes back to the
// configured rate; it must not read the stretch before the 429 as
// overload (it settled near 60 % of the limit and stayed there).
func TestControlLawJitterAtTheConfiguredRate(t *testing.T) {
	const limit, burst = 100.0, 10.0
	const run = 30 * time.Second
	for _, tt := range []struct {
		name       string
		retryAfter string
		at         []time.Duration
	}{
		{"retry-after/one", "1", []time.Duration{5 * time.Second}},
		{"retry-after/early", "1", []time.Duration{500 * time.Millisecond}},
		{"retry-after/three", "1", []time.Duration{3 * time.Second, 4500 * time.Millisecond, 15 * time.Second}},
		{"no-header/one", "", []time.Duration{5 * time.Second}},
	} {
		for _, workers := range []int{8, 32} {
			t.Run(fmt.Sprintf("%s/workers=%d", tt.name, workers), func(t *testing.T) {
				t.Parallel()
				h := http.Header{}
				if tt.retryAfter != "" {
					h.Set("Retry-After", tt.retryAfter)
				}
				srv := &jitterServer{simServer: &gcraServer{rate: limit, burst: burst, retryAfter: tt.retryAfter}, at: tt.at, h: h}
				r := simulate(srv, limit, workers, time.Millisecond, run)
				// every pause of Retry-After costs its second
				paused := 0.0
				if tt.retryAfter != "" {
					paused = float64(len(tt.at))
				}
				share := float64(r.ok) / (run.Seconds() - paused) / limit
				t.Logf("%.1f%% of the limit outside the pauses, %d refused", 100*share, r.refused)
				if share < 0.97 {
					t.Errorf("achieved %.1f%% of the limit outside the pauses, want ≥ 97%%", 100*share)
				}
				if r.refused > 2*len(tt.at) {
					t.Errorf("%d refused, want at most %d (the jitter's and one more each)", r.refused, 2*len(tt.at))
				}
			})
		}
	}
}

// TestControlLawConfiguredOverTheLimit: reading a 429 at the configured
// rate as jitter must not hide a configured rate a little over the limit
// (each cut back to the ceiling would overload again): a second 429 within
// aimdJitterGap goes to the measure, and the law still learns the limit.
// The bounds leave the one pause per learned overshoot its second.
func TestControlLawConfiguredOverTheLimit(t *testing.T) {
	const limit, burst = 100.0, 10.0
	for _, ra := range []string{"", "1"} {
		run := 6 * time.Second
		if ra != "" {
			run = 30 * time.Second
		}
		for _, start := range []float64{1.02 * limit, 1.05 * limit, 1.2 * limit, 1.5 * limit} {
			for _, workers := range []int{8, 32} {
				t.Run(fmt.Sprintf("retry-after=%q/start=%v/workers=%d", ra, start, workers), func(t *testing.T) {
					t.Parallel()
					r := simulate(&gcraServer{rate: limit, burst: burst, retryAfter: ra}, start, workers, time.Millisecond, run)
					share := float64(r.ok) / run.Seconds() / limit
					refused := float64(r.refused) / float64(r.ok+r.refused)
					t.Logf("%.1f%% of the limit, %.2f%% refused (%d)", 100*share, 100*refused, r.refused)
					if share < 0.8 {
						t.Errorf("achieved %.1f%% of the limit, want ≥ 80%%", 100*share)
					}
					if refused > 0.02 {
						t.Errorf("%.2f%% of requests refused, want ≤ 2%%", 100*refused)
					}
				})
			}
		}
	}
}

// stallServer is a limiter on a loaded machine: at each instant of at
// (after the first request) it stops for stall, and then handles every
// request that came meanwhile at one instant, as nginx does after a stall
// (its clock is read once per event loop). A GCRA then sees a bunch where
// the client sent evenly: after a stall longer than burst/rate it refuses
// some of them, however far under the limit the client sends.
type stallServer struct {
	simServer
	at    []time.Duration
	stall time.Duration
	t0    time.Time
}

// stallAt reports how long a request arriving at t waits for the server.
func (s *stallServer) stallAt(t time.Time) time.Duration {
	if s.t0.IsZero() {
		s.t0 = t
	}
	for _, a := range s.at {
		if from := s.t0.Add(a); !t.Before(from) && t.Before(from.Add(s.stall)) {
			return from.Add(s.stall).Sub(t)
		}
	}
	return 0
}

func (s *stallServer) handle(t time.Time) (int, http.Header) {
	return s.simServer.handle(t.Add(s.stallAt(t)))
}

// TestControlLawServerStall: a server that stalls now and then (nginx on
// a loaded machine: BenchmarkNginxLimit fell to 16–69 % of the limit in
// some runs) refuses a few requests of a client under its limit. With
// Retry-After each such 429 costs a pause, which the law cannot avoid; it
// must not also read the refusal as overload (a fit or a measure of the
// stretch reads the send rate minus burst/length: 70 % of the limit for a
// stall 0.8 s after a pause, and every later stall cut 5 % more, to 55 %).
// Five stalls of 200 ms in 30 s, 1 ms answers otherwise.
func TestControlLawServerStall(t *testing.T) {
	const limit, burst = 100.0, 10.0
	const run = 30 * time.Second
	for _, ra := range []string{"", "1"} {
		for _, start := range []float64{3 * limit, 0, limit} {
			for _, workers := range []int{8, 32} {
				t.Run(fmt.Sprintf("retry-after=%q/start=%v/workers=%d", ra, start, workers), func(t *testing.T) {
					srv := &stallServer{simServer: &gcraServer{rate: limit, burst: burst, retryAfter: ra},
						at: []time.Duration{1600 * time.Millisecond, 2500 * time.Millisecond, 6 * time.Second, 14 * time.Second, 22 * time.Second}, stall: 200 * time.Millisecond}
					r := simulate(srv, start, workers, time.Millisecond, run)
					paused := float64(r.pauses)
					share := float64(r.ok) / (run.Seconds() - paused) / limit
					t.Logf("%.1f%% of the limit outside %d pauses, %d refused", 100*share, r.pauses, r.refused)
					if share < 0.9 {
						t.Errorf("achieved %.1f%% of the limit outside the pauses, want ≥ 90%%", 100*share)
					}
					if ra != "" && r.pauses > len(srv.at)+2 {
						t.Errorf("%d pauses, want at most %d (one a stall, the first 429 and one to learn the limit)", r.pauses, len(srv.at)+2)
					}
				})
			}
		}
	}
}

// TestControlLawIsolatedRefusals: five 429s in 30 s while the client
// sends under a limit the server has long admitted (what a loaded machine
// did to a client told the limit: each such refusal, read as overload,
// cut 5–20 % more and the slow probe with Retry-After never came back;
// BenchmarkNginxLimit's reference fell to 60 % of the limit). The proof
// (aimd.go, Proof) holds the cuts near the admitted rate. Each refusal
// still costs its pause and a cut of 5 %, which the probe with
// Retry-After is too slow to win back between them: the bound is the
// share outside the pauses that the law reaches (80–86 % without the
// proof).
func TestControlLawIsolatedRefusals(t *testing.T) {
	const limit, burst = 100.0, 10.0
	const run = 30 * time.Second
	for _, ra := range []string{"", "1"} {
		for _, start := range []float64{3 * limit, 0} {
			for _, workers := range []int{8, 32} {
				t.Run(fmt.Sprintf("retry-after=%q/start=%v/workers=%d", ra, start, workers), func(t *testing.T) {
					h := http.Header{}
					if ra != "" {
						h.Set("Retry-After", ra)
					}
					at := []time.Duration{8 * time.Second, 11 * time.Second, 17 * time.Second, 20 * time.Second, 25 * time.Second}
					srv := &jitterServer{simServer: &gcraServer{rate: limit, burst: burst, retryAfter: ra}, at: at, h: h}
					r := simulate(srv, start, workers, time.Millisecond, run)
					share := float64(r.ok) / (run.Seconds() - float64(r.pauses)) / limit
					t.Logf("%.1f%% of the limit outside %d pauses, %d refused", 100*share, r.pauses, r.refused)
					if share < 0.86 {
						t.Errorf("achieved %.1f%% of the limit outside the pauses, want ≥ 86%%", 100*share)
					}
				})
			}
		}
	}
}

// slowBodies is a limiter whose admitted answers take body (a body to
// send) where its refusals take the simulation's latency.
type slowBodies struct {
	simServer
	body time.Duration
}

// TestControlLawFirstAnswerRefused: an unlimited client whose first
// answers are 429s (a refusal comes back before any body does, as nginx's
// did on a loaded machine) must still guess the limit from the first
// stretch once its admitted answers arrive. The first stretch was timed
// from the zero instant when nothing had been admitted yet (the guess was
// half the send rate, 160/s against nginx's 100/s, which cost a second
// pause).
func TestControlLawFirstAnswerRefused(t *testing.T) {
	const limit, burst = 100.0, 10.0
	const run = 30 * time.Second
	for _, workers := range []int{16, 32} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			srv := &slowBodies{simServer: &gcraServer{rate: limit, burst: burst, retryAfter: "1"}, body: 20 * time.Millisecond}
			r := simulate(srv, 0, workers, time.Millisecond, run)
			share := float64(r.ok) / run.Seconds() / limit
			t.Logf("%.1f%% of the limit, %d pauses, %d refused", 100*share, r.pauses, r.refused)
			if r.pauses > 2 {
				t.Errorf("%d pauses, want at most 2 (the first 429 and one to learn the limit)", r.pauses)
			}
			if share < 0.9 {
				t.Errorf("achieved %.1f%% of the limit, want ≥ 90%%", 100*share)
			}
		})
	}
}

// TestControlLawFirstAnswerRefusedConfigured: a client told the limit
// whose first 429 (timing jitter, 50 ms in) comes before any body: its
// half of the configured rate stays, where a guess from the first three
// admitted answers fell to 8–13/s, the run to 28 % of the limit. An early 429 at the configured
// rate still costs this client about half the limit, as before (left:
// it cannot be told from the overload of a fast start).
func TestControlLawFirstAnswerRefusedConfigured(t *testing.T) {
	const limit, burst = 100.0, 10.0
	const run = 30 * time.Second
	h := http.Header{}
	h.Set("Retry-After", "1")
	srv := &slowBodies{simServer: &jitterServer{simServer: &gcraServer{rate: limit, burst: burst, retryAfter: "1"},
		at: []time.Duration{50 * time.Millisecond}, h: h}, body: 200 * time.Millisecond}
	r := simulate(srv, limit, 32, time.Millisecond, run)
	share := float64(r.ok) / run.Seconds() / limit
	t.Logf("%.1f%% of the limit, %d pauses, %d refused", 100*share, r.pauses, r.refused)
	if share < 0.5 {
		t.Errorf("achieved %.1f%% of the limit, want ≥ 50%%", 100*share)
	}
}

// firstConnections delays the answers to a client's first requests, one
// per worker, by dial: each opens a connection (on a loaded machine tens
// of ms) before the server sees it.
type firstConnections struct {
	simServer
	workers, n int
	dial       time.Duration
}

func (s *firstConnections) stallAt(time.Time) time.Duration {
	if s.n++; s.n <= s.workers {
		return s.dial
	}
	return 0
}

// TestControlLawFirstConnections: an unlimited client whose first answers
// carry 30 ms of connection set-up each must not read that time as part
// of the server's first stretch: timed to the first refusal's answer, the
// guess was 72–76/s against nginx's 100/s, and with Retry-After (a slow
// probe) the run reached 80–85 % of the limit.
func TestControlLawFirstConnections(t *testing.T) {
	const limit, burst = 100.0, 10.0
	const run = 30 * time.Second
	for _, workers := range []int{8, 32} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			srv := &firstConnections{simServer: &gcraServer{rate: limit, burst: burst, retryAfter: "1"}, workers: workers, dial: 30 * time.Millisecond}
			r := simulate(srv, 0, workers, time.Millisecond, run)
			share := float64(r.ok) / run.Seconds() / limit
			t.Logf("%.1f%% of the limit, %d pauses, %d refused", 100*share, r.pauses, r.refused)
			if share < 0.9 {
				t.Errorf("achieved %.1f%% of the limit, want ≥ 90%%", 100*share)
			}
		})
	}
}

// TestControlLawEarlyRefusalAfterGuess: one 429 without overload (timing
// jitter, or the client's own workers bunched on a loaded machine) less
// than a second after the first guess ends a stretch spent on the guess's
// ramp; read as a measure with its 1 %/s probe, it held a client started
// at 3× the limit near the low guess for the rest of the run (92.7 % of
// the limit for the 429 at 450 ms, 95.0 % at 800 ms).
func TestControlLawEarlyRefusalAfterGuess(t *testing.T) {
	const limit, burst = 100.0, 10.0
	const run = 6 * time.Second
	for _, start := range []float64{3 * limit, 0} {
		for _, workers := range []int{8, 32} {
			for _, at := range []time.Duration{450 * time.Millisecond, 800 * time.Millisecond} {
				t.Run(fmt.Sprintf("start=%v/workers=%d/at=%v", start, workers, at), func(t *testing.T) {
					srv := &jitterServer{simServer: &gcraServer{rate: limit, burst: burst}, at: []time.Duration{at}, h: http.Header{}}
					r := simulate(srv, start, workers, time.Millisecond, run)
					share := float64(r.ok) / run.Seconds() / limit
					refused := float64(r.refused) / float64(r.ok+r.refused)
					t.Logf("%.1f%% of the limit, %.2f%% refused", 100*share, 100*refused)
					if share < 0.95 {
						t.Errorf("achieved %.1f%% of the limit, want ≥ 95%%", 100*share)
					}
					if refused > 0.05 {
						t.Errorf("%.2f%% refused, want ≤ 5%%", 100*refused)
					}
				})
			}
		}
	}
}
