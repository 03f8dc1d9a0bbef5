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
//   - Stretches. A stretch runs from one cut (or the gate's reopening)
//     to the next 429. After a 429 the server's bucket is empty, so a
//     stretch that starts at a cut is spent in overload as soon as the
//     client sends faster than R: its admitted rate is R. A stretch that
//     starts with the bucket full (the run's first, or one after a
//     Retry-After pause) admits n = 1 + B + R·d: burst and rate mixed.
//     Admitted answers count in the stretch their request was sent in,
//     even when they come after the 429 (a body takes longer than a
//     refusal: at the first 429 of an unlimited client most of its
//     admitted answers are still on their way).
//   - First cut: one stretch from a full bucket cannot tell B from R, so
//     guess B = R·100 ms: rate = 0.95·(n−1)/(d + 100 ms) (prior); a first
//     stretch longer than 300 ms was no fast start: 0.95·n/d. The run's
//     first stretch lasts d from the first request to the sending of the
//     first refused one, not to its answer: the first answers of a
//     client carry its connections' set-up (a dial each, tens of ms on a
//     loaded machine), which the server did not spend admitting; timed
//     to the answer, an unlimited start at 32 workers with 30 ms of
//     set-up guessed 72/s against nginx's 100/s and, with Retry-After
//     (whose probe is slow), the run reached 80 % of the limit
//     (TestControlLawFirstConnections). Late
//     answers of the stretch raise the guess. Without Retry-After the
//     probe after a guess is quick (30 %/s of the guess): a 429 is cheap
//     and the next one measures R. It must be quick rather than merely
//     fast: the server's bucket refills at R − rate while the client is
//     under R, and a ramp of slope s that crosses R with a full bucket
//     overshoots to about R + √(2·B·s) before the next 429. At 10 %/s
//     the ramp crossed R 2–3 s after the first 429, the bucket full
//     again, and that second's requests read 108 % of R; at 30 %/s it
//     reaches R within about a second, while the bucket is still nearly
//     empty, and every second from 2 s after the first 429 on stays
//     within 96–102 % of R (TestControlLaw asserts 85–105 %).
//   - Short stretch after a guess: a 429 less than aimdProof after a
//     cut that guessed (without Retry-After) ends a stretch spent on the
//     guess's ramp. When the guess was low and that 429 came early (a
//     timing hiccup, the client's own goroutines bunched on a loaded
//     machine), the stretch's admitted rate is the ramp's, below R, and
//     the 1 %/s probe of a measure then took the whole run back up: at
//     3× the limit with one such 429 450 ms in, the run reached 92.7 % of
//     the limit (real nginx at 32 workers: cuts to 89/s, 84–92 %). So
//     that cut keeps the guess's quick probe: the next 429 measures R
//     (TestControlLawEarlyRefusalAfterGuess).
//   - Cut from a stretch that began at a cut: rate = clamp(0.95·admitted,
//     0.5·rate, 0.95·rate), admitted over the stretch (at most its last
//     2 s, at least 100 ms). 0.95 leaves the burst room for jitter; the
//     floor of half the rate bounds one bad measurement; the cap makes
//     every cut a cut. A cut deeper than 0.8·rate was measured on a
//     stretch that misread (a fixed window spent for part of it): it
//     probes back quickly too. A stretch with fewer than aimdMinAdmitted
//     admitted answers says nothing (a spent window): no cut.
//   - Retry-After (the gate): every 429 pauses every worker, so a second
//     pause must be avoided rather than measured. Two stretches from a
//     full bucket (the first and the one after the pause) fit
//     n = B + R·d; its slope is R. A stretch longer than 2 s was not spent
//     in overload and is measured as above instead. Once R is known
//     (a fit over stretches 2 s apart, or a measure of 2 s), the probe
//     runs 5× slower, and 25× slower past 97 % of R: an overshoot costs a
//     second of every worker's time, a probe step a fraction of a request.
//   - Jitter at the configured rate: a client told the true limit
//     (--rate R) sends at R, and timing jitter (two requests a few µs
//     closer than 1/R) sometimes finds the bucket a hair short: one 429
//     while everything else was admitted. That stretch is no overload,
//     so neither a fit nor a measure of it means anything: it began
//     full and ran for seconds, and n/d of it or a fit through it read
//     far below R (the client settled near 60 % of R and stayed there).
//     So a 429 is jitter when the configured rate is finite, the client
//     sends within aimdDecrease of it (and not over a learned limit),
//     the stretch lasted aimdLongFirst or more (a burst spent by
//     overload lasts B/(rate−R): 50 ms at 3× the limit) and the server
//     admitted at least aimdDecrease of the send rate over it. The gate
//     still pauses for the Retry-After; the rate is cut only to
//     aimdDecrease of the configured rate, never to a stretch's estimate,
//     the stretch stays out of the fit, and the probe back is quick (as
//     after a guess). A second such 429 within aimdJitterGap means the
//     configured rate is over the limit: the law below measures it
//     (TestControlLawConfiguredOverTheLimit).
//   - Stalls: a server that stops for longer than B/R (nginx on a
//     loaded machine: its one worker is not scheduled) then handles the
//     requests that came meanwhile at one instant, a bunch, and refuses
//     its tail however far under R the client sends. Read as overload,
//     that 429 makes the stretch's fit or measure read the send rate less
//     B over the stretch's length (70 % of R for a stall 0.8 s after a
//     pause), and each later stall cut 5 % more: runs against a real
//     nginx fell to 16–69 % of R. Such a bunch shows in its answers'
//     time: the admitted ones before the refusals took the stall's
//     length, not the usual few ms. So a 429 that itself took more than
//     aimdHeld× the admitted answers' average (plus aimdHeldMin), or came
//     within aimdHeldMin of an admitted answer that did, was held by a
//     stall: the gate still pauses for its Retry-After, the rate, the
//     probe and the fit stay as they were, and the next stretch starts at
//     the reopening. At most one 429 in aimdHeldGap is read so: overload
//     on a server whose answers are slow now and then is still cut. The
//     average takes each answer at most at twice its
//     value, so a stall's bunch does not become the usual time. A server
//     that is slow for every answer moves the average with it; a 429
//     under real overload comes at once (GCRA, windows)
//     (TestControlLawServerStall).
//   - Proof: a stretch of aimdProof or more that ended at its first 429
//     shows the server admits what it admitted over it (at most its last
//     2 s): proven is the highest such rate. No cut goes below
//     aimdDecrease·proven (a client starved of CPU sends and is admitted
//     under its own rate, and a measure then reads the client, not the
//     server; the reference told the limit fell 100 → 90 → 72 → 59 on a
//     loaded machine, TestControlLawIsolatedRefusals). A 429 within
//     aimdJitterGap of a cut the proof held up, while sending at or
//     under proven, means it no longer holds (the limit fell, or the
//     burst was far larger than guessed): it is dropped.
//   - A blind first guess: when not one answer was admitted before the
//     first 429 (refusals come back before bodies), the cut is half the
//     send rate, and, for an unlimited client (whose send rate says
//     nothing about the server), the first admitted answers of that
//     stretch replace it with the guess above, up or down
//     (TestControlLawFirstAnswerRefused); a configured rate keeps its
//     half, as a guess from three answers of a slow start reads far
//     lower (7 % of the limit for a client told it).
//   - Epoch: 429s for requests sent before the cut plus aimdSettle are
//     answers to the old rate and are ignored (after a pause, nothing is
//     in flight: the epoch is the reopening). aimdSettle is short (200 ms)
//     because GCRA answers at once.
//   - Turns already handed out at the old rate are revoked at a cut
//     (pacer.go): 32 workers at 300/s hold 100 ms of turns, which would
//     otherwise go out after the cut and spend the server's burst.
//   - Probe: after the epoch the rate grows by 1 % of the cut rate per
//     second (additive): every overshoot costs refusals (GCRA refuses
//     (rate−R) per second once the burst is spent); 1 %/s keeps the
//     saw-tooth between 95 % and ~100 % of the limit.
//
// TestControlLawServerStall, TestControlLawIsolatedRefusals,
// TestControlLawFirstAnswerRefused, TestControlLawFirstConnections and
// TestControlLawEarlyRefusalAfterGuess hold the rules for stalls, the
// proof, a blind first guess, the first stretch's length and a short
// stretch after a guess; TestControlLaw holds the guess's quick probe
// (the band after the first 429).
// TestControlLawJitterAtTheConfiguredRate (sim_test.go) holds the jitter
// rule: a client at the configured rate keeps ≥ 97 % of it after jitter
// 429s, with and without Retry-After.
// TestControlLaw (sim_test.go) is the simulation that tunes these numbers:
// nginx's GCRA (100/s, burst 10) with and without Retry-After, clients at
// 3× the limit and unlimited, 8 and 32 workers, over BenchmarkNginxLimit's
// run lengths (6 s, and 30 s with Retry-After); it prints the share of the
// limit achieved, the 429 share and the rate after the first 429.
// TestLimitsSettleUnderServerLimit is its fixed-window counterpart (the
// mock's shape, with and without X-RateLimit-* headers).
const (
	aimdDecrease      = 0.95              // cut to this fraction of the admitted rate, and at least this much
	aimdDeepest       = 0.5               // never below this fraction of the rate in one cut
	aimdFitDeepest    = 0.25              // nor below this fraction when two stretches fit the limit
	aimdLongFirst     = 3 * aimdBurstSpan // a first stretch this long is measured, not guessed (prior)
	aimdDeepCut       = 0.8               // a cut below this fraction of the rate is deep: it probes back quickly
	aimdIncrease      = 0.01              // per second, as a fraction of the rate after the last cut
	aimdGuessIncrease = 0.1               // the same after a 429 read as jitter, and after a deep cut
	aimdGuessProbe    = 0.3               // the same after a cut that guessed (prior), without Retry-After
	aimdFloor         = 0.05              // requests per second; never slower than one per 20 s
	aimdSettle        = 200 * time.Millisecond
	aimdMinAdmitted   = 3                      // admitted answers a stretch needs to be measured
	aimdStretch       = 2 * time.Second        // longest stretch measured
	aimdFitSpan       = 2 * time.Second        // stretches this far apart in length make a fit precise
	aimdBurstSpan     = 100 * time.Millisecond // a server's burst, guessed as this much of its rate
	aimdPausedSlow    = 5                      // with Retry-After, the probe is this many times slower
	aimdHold          = 0.97                   // with a fitted limit, the probe slows again past this fraction of it
	aimdJitterGap     = 5 * time.Second        // a second 429 at the configured rate within this is overload, not jitter
	aimdHeld          = 4                      // a 429 this many times slower than admitted answers (plus aimdHeldMin) was held by a stall
	aimdHeldMin       = 50 * time.Millisecond
	aimdHeldGap       = 500 * time.Millisecond // at most one 429 a stall's in this: overload that looks held is still cut
	aimdProof         = time.Second            // a stretch this long, all admitted, proves a lower bound of the limit
	aimdLatencyGain   = 8                      // the admitted answers' latency average moves by 1/8 of each new one
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
	gated   bool    // the last cut came with a client-wide pause (Retry-After)

	jittered time.Time     // the last 429 read as jitter at the configured rate; zero: none
	latency  time.Duration // moving average of the admitted answers' time to headers; 0: none yet
	heldAns  time.Time     // the last admitted answer a stall held (see heldAt); zero: none
	skipped  time.Time     // the last 429 read as a stall's; zero: none
	proven   float64       // a limit the server has shown it admits; 0: none (see proveAt)
	floored  time.Time     // the last cut that proven held up; zero: none

	// The stretch of the last point, [pointFrom, closed): admitted
	// answers to its requests that arrive after the cut still count in
	// it (closedAt: npoints when it was closed). guessCur > 0: the
	// last cut guessed from that one point (prior), from the rate
	// guessCur.
	pointFrom, closed time.Time
	closedAt          int
	guessCur          float64
	blind             bool // the guess was made with nothing admitted: half the send rate
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
	if gated {
		// Nothing sent before the pause is still in flight when
		// it ends: every later 429 answers the new rate.
		a.epoch = resume
	}
	a.grown = a.epoch
	cur := a.rate
	adm, n := a.admittedRateAt(t)
	if math.IsInf(cur, 1) {
		cur = max(a.sent.rateAt(t), adm)
	}
	if a.heldAt(t, sent) && (a.skipped.IsZero() || t.Sub(a.skipped) >= aimdHeldGap) {
		a.skipped = t
		// A refusal the server held far longer than its admitted
		// answers take: a stall's bunch, not overload (see the control
		// law, Stalls). The gate pauses for the Retry-After; the rate,
		// its probe and the fit are left as they were.
		a.from, a.full, a.fullN = resume, gated, 0
		return a.rate, false
	}
	if a.jitterAt(t, cur, adm) {
		// Not overload: see the control law (Jitter). Pause for the
		// Retry-After (the gate does), cut a little, probe back
		// quickly, and keep the stretch out of the fit.
		a.jittered = t
		r, changed := a.apply(min(cur, aimdDecrease*a.ceiling), resume, gated)
		a.step = r * aimdGuessIncrease
		return r, changed
	}
	a.proveAt(t, cur)
	var r float64
	startFull := a.full || a.from.IsZero()
	if startFull && !a.from.IsZero() && t.Sub(a.from) > aimdStretch {
		// A long stretch from a full bucket was not spent in overload
		// (the probe crossed the limit near its end): B + R·d does not
		// hold, the admitted rate of its last seconds does.
		startFull = false
	}
	var last point
	if startFull {
		last = point{d: t.Sub(a.from), n: a.fullN}
		pointFrom := a.from
		if a.from.IsZero() { // the first stretch: since the first request
			first := a.sent.first
			if first.IsZero() || (!a.admitted.first.IsZero() && a.admitted.first.Before(first)) {
				first = a.admitted.first
			}
			// to the refused request's sending, not its answer: the
			// first answers carry the connections' set-up (see the
			// control law, First cut)
			pointFrom, last = first, point{d: max(0, sent.Sub(first)), n: n}
		}
		a.points[a.npoints%len(a.points)] = last
		a.npoints++
		a.pointFrom, a.closed, a.closedAt = pointFrom, t, a.npoints
	}
	guessed, stretch := a.guessCur > 0, t.Sub(a.from)
	a.guessCur, a.blind = 0, false
	switch est, span, ok := a.slope(); {
	case startFull && ok:
		if span >= aimdFitSpan {
			a.known = est // precise enough to slow the probe near it
		}
		return a.apply(a.cut(aimdDecrease*est, cur, aimdFitDeepest, t), resume, gated)
	case startFull:
		// One stretch from a full bucket holds B + R·d: burst and
		// rate cannot be told apart, so take the burst to be
		// aimdBurstSpan of the rate. The next stretch from a full
		// bucket corrects the guess through the fit; one from an
		// empty bucket (after this cut) measures R itself.
		a.guessCur = cur
		r := aimdDeepest * cur // refused from the start, so far
		// Only an unlimited client's send rate is no base at all: a
		// configured one keeps its half (the guess from a few answers
		// would read far lower).
		a.blind = last.n < aimdMinAdmitted && math.IsInf(a.ceiling, 1)
		if last.n >= aimdMinAdmitted {
			r = prior(last)
		}
		r, changed := a.apply(a.cut(r, cur, 0, t), resume, gated)
		if !gated {
			// A guess: probe quickly to the next 429, which measures
			// the limit. With Retry-After that 429 would cost a
			// pause of the client: probe as after a measure.
			a.step = r * aimdGuessProbe
		}
		return r, changed
	case n < aimdMinAdmitted && !math.IsInf(a.rate, 1):
		a.from, a.full, a.fullN = resume, gated, 0
		return a.rate, false // nothing admitted to measure: wait and see
	case n < aimdMinAdmitted:
		r = aimdDeepest * cur // unlimited, and refused from the start
	default:
		r = aimdDecrease * adm
		if gated && t.Sub(a.from) > aimdStretch {
			a.known = adm // measured over seconds near the limit
		}
	}
	r, changed := a.apply(a.cut(r, cur, aimdDeepest, t), resume, gated)
	switch {
	case gated:
	case guessed && stretch < aimdProof:
		// A short stretch after a guess, still on the guess's ramp:
		// it reads the ramp, not the limit (see the control law,
		// Short stretch after a guess). Probe on as after the guess.
		a.step = r * aimdGuessProbe
	case r < aimdDeepCut*cur:
		// A deep cut measured a short stretch (a fixed window spent in
		// part of it reads low): probe back quickly, as after a guess.
		a.step = r * aimdGuessIncrease
	}
	return r, changed
}

// jitterAt reports whether a 429 at t, while sending at cur with adm
// admitted per second over the stretch, is timing jitter at the
// configured rate rather than overload (see the control law).
func (a *aimd) jitterAt(t time.Time, cur, adm float64) bool {
	if math.IsInf(a.ceiling, 1) || cur < aimdDecrease*a.ceiling || (a.known > 0 && cur > a.known) {
		return false // no configured rate, or sending under its band, or over the learned limit
	}
	if !a.jittered.IsZero() && t.Sub(a.jittered) < aimdJitterGap {
		return false // refused again soon: the configured rate is over the limit
	}
	from := a.from
	if from.IsZero() {
		from = a.sent.first
	}
	return !from.IsZero() && t.Sub(from) >= aimdLongFirst && adm >= aimdDecrease*cur
}

// heldAt reports whether the 429 answered at t to a request sent at sent
// took far longer than the server's admitted answers do (see the control
// law, Stalls).
func (a *aimd) heldAt(t, sent time.Time) bool {
	if a.latency == 0 {
		return false
	}
	if t.Sub(sent) > aimdHeld*a.latency+aimdHeldMin {
		return true // itself held
	}
	// the admitted answers just before it were held: it is the end of
	// their bunch
	return !a.heldAns.IsZero() && t.Sub(a.heldAns) <= aimdHeldMin
}

// prior is the rate to send at after one stretch from a full bucket, p:
// its first admitted request found the bucket full, the next B were the
// burst and the rest came at the rate R, so n − 1 = B + R·d; with B taken
// as R·aimdBurstSpan, R = (n − 1) / (d + aimdBurstSpan).
//
// A stretch longer than aimdLongFirst was not a fast start (a client
// told about the limit, or near it, refused for jitter): its admitted
// rate n/d is the better measure, the burst being a small part of n.
func prior(p point) float64 {
	if p.d > aimdLongFirst {
		return aimdDecrease * float64(p.n) / p.d.Seconds()
	}
	return aimdDecrease * float64(p.n-1) / (p.d + aimdBurstSpan).Seconds()
}

// apply sets the rate r of a cut and starts the next stretch at resume.
func (a *aimd) apply(r float64, resume time.Time, gated bool) (float64, bool) {
	changed := r != a.rate
	a.rate, a.step = r, r*aimdIncrease
	a.from, a.full, a.fullN, a.gated = resume, gated, 0, gated
	return a.rate, changed
}

// cut bounds a new rate r from the current cur: a cut by at least
// aimdDecrease, by at most (1-deepest), within the floor and the ceiling.
// at is the instant of the 429 the cut answers: a cut the proof holds up
// is remembered from it (see proveAt).
func (a *aimd) cut(r, cur, deepest float64, at time.Time) float64 {
	r = max(min(r, aimdDecrease*cur), deepest*cur)
	if p := aimdDecrease * a.proven; p > r && p < cur {
		r, a.floored = p, at // held up by the proof
	}
	return max(aimdFloor, min(a.ceiling, r))
}

// proveAt updates the limit the server has proven, from the stretch that
// a 429 at t, sending at cur, ends (see the control law, Proof): a
// stretch of aimdProof or more whose n answers were all admitted shows
// about R ≥ n/d. That counts the burst too (a stretch that began with
// credit reads up to B/d above R: 10 % for a second at 100/s, burst 10);
// the bound without it, (n − 1)/(d + aimdBurstSpan), held the law lower
// in TestControlLawIsolatedRefusals (83.5 % of the limit outside the
// pauses against 87 %), and an overestimate costs one 429 more: a 429
// within aimdJitterGap of a cut that the proof held up, at the rate it
// held, says the proof was wrong (or the limit fell): it is dropped.
func (a *aimd) proveAt(t time.Time, cur float64) {
	if a.proven > 0 && !a.floored.IsZero() && t.Sub(a.floored) < aimdJitterGap && cur <= a.proven {
		a.proven, a.floored = 0, time.Time{}
		return
	}
	if from := a.from; !from.IsZero() && t.Sub(from) >= aimdProof {
		if f := t.Add(-aimdStretch); f.After(from) {
			from = f
		}
		n := a.admitted.countAt(from, t)
		if p := float64(n) / t.Sub(from).Seconds(); p > a.proven {
			a.proven = p
		}
	}
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
func (a *aimd) succeededAt(t, sent time.Time) (float64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.admitted.addAt(t)
	switch d := t.Sub(sent); {
	case a.latency == 0:
		a.latency = d
	case d > aimdHeld*a.latency+aimdHeldMin:
		a.heldAns = t // held by a stall: the bunch's refusals come next
		fallthrough
	default:
		// at most twice the average: a stall's bunch must not
		// become the typical answer time
		a.latency += (min(d, 2*a.latency) - a.latency) / aimdLatencyGain
	}
	switch {
	case !sent.Before(a.pointFrom) && sent.Before(a.closed) && !t.Before(a.closed) && a.npoints == a.closedAt:
		// A late answer of the stretch the last cut measured (a body
		// takes longer than a 429): it belongs to that stretch, and a
		// guess made from it rises with it.
		p := &a.points[(a.npoints-1)%len(a.points)]
		p.n++
		// A blind guess (nothing admitted yet at the 429: refusals
		// come back before bodies) is replaced by the first real one.
		// The guess answers the 429 that closed the stretch.
		if r := a.cut(prior(*p), a.guessCur, 0, a.closed); a.guessCur > 0 && p.n >= aimdMinAdmitted && (r > a.rate || a.blind) {
			a.blind = false
			a.rate, a.step = r, a.step*r/a.rate
			return a.rate, true
		}
	case !sent.Before(a.from):
		a.fullN++
	}
	if a.rate >= a.ceiling || !t.After(a.grown) {
		return a.rate, false
	}
	step := a.step
	if a.gated && a.known > 0 {
		step /= aimdPausedSlow // every overshoot costs a pause of every worker
		if a.rate >= aimdHold*a.known {
			step /= aimdPausedSlow // past the fitted limit's margin
		}
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
