package scrape

import (
	"net/http"
	"sync"
	"time"
)

// limits is the client-wide reaction to what servers say: the gate that
// delay headers close, the quota that X-RateLimit-Remaining announces, and
// the adaptive rate that 429s cut. It is pure (no clock, no limiter): the
// Client applies the rate it returns to its rate.Limiter. Safe for
// concurrent use.
type limits struct {
	gate gate
	aimd *aimd

	mu      sync.Mutex
	nextSeq uint64 // sequence number of the next request sent
	quota   quota  // the freshest X-RateLimit-Remaining/Reset seen
}

// quota is what one answer said about the server's current window: after
// request seq, remaining more requests fit until reset. Requests sent
// after seq spend it, whether or not they have been answered yet: that is
// what keeps the requests in flight when the window fills from being
// refused.
//
// When a window ends before any answer told the next one's quota, the
// quota is rolled forward as a guess: the server's X-RateLimit-Limit,
// until the previous reset plus the window's length (the gap between two
// resets seen). Without it, every worker would send at the full rate into
// the new window until the first answer came back, which on a loaded
// machine can be more than the limit.
type quota struct {
	seq       uint64
	remaining int64
	reset     time.Time     // zero: no quota known
	guess     bool          // rolled forward, not said by the server
	limit     int64         // X-RateLimit-Limit; 0: unknown
	span      time.Duration // window length, from two resets; 0: unknown
}

// quotaPoll bounds a wait on a guessed quota: an answer may replace the
// guess sooner.
const quotaPoll = 20 * time.Millisecond

// admitAt asks to send a request at t. It returns the request's sequence
// number, or how long to wait when the known quota of the server's window
// is spent.
func (l *limits) admitAt(t time.Time) (seq uint64, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := &l.quota
	if !q.reset.IsZero() && !q.reset.After(t) && q.limit > 0 && q.span > 0 {
		n := t.Sub(q.reset)/q.span + 1 // windows passed, the current included
		*q = quota{seq: l.nextSeq - 1, remaining: q.limit, reset: q.reset.Add(n * q.span),
			guess: true, limit: q.limit, span: q.span}
	}
	if q.reset.After(t) && int64(l.nextSeq-q.seq-1) >= q.remaining {
		wait = min(q.reset.Sub(t), maxServerDelay)
		if q.guess {
			wait = min(wait, quotaPoll)
		}
		return 0, wait
	}
	seq = l.nextSeq
	l.nextSeq++
	return seq, 0
}

// noteQuota applies X-RateLimit-* of the answer to request seq.
func (l *limits) noteQuota(seq uint64, rem, limit int64, reset time.Time, span time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := &l.quota
	if limit > 0 {
		q.limit = limit
	}
	if span > 0 {
		q.span = span // a policy said it: better than a gap between resets
	}
	switch {
	case reset.After(q.reset) && !q.guess && !q.reset.IsZero():
		// A new window: the gap between two resets said by the
		// server is (a multiple of) its length.
		if gap := reset.Sub(q.reset); q.span == 0 || gap < q.span {
			q.span = gap
		}
		fallthrough
	case reset.After(q.reset), q.guess && seq > q.seq, reset.Equal(q.reset) && seq > q.seq:
		// A later window replaces the quota, and so does a later
		// request's answer within a window, or any answer sent after
		// a guess. An old answer arriving late changes nothing.
		q.seq, q.remaining, q.reset, q.guess = seq, rem, reset, false
	}
}

// outcome is what one response changed.
type outcome struct {
	delay       serverDelay // zero: the response set no delay
	gateMoved   bool        // the gate now opens later than before
	rate        float64     // the rate after this response (+Inf: none)
	rateChanged bool
}

// clientWide reports whether a delay binds every request of the client or
// only the retry of the request that got it. A 429 or a 503 speaks of the
// server (its window is spent, it is overloaded), and so does a spent
// X-RateLimit quota; a Retry-After on another error (a 500 from one
// backend) is about that request, and pausing every worker for it would
// stall a whole run on one bad node.
func clientWide(status int, d serverDelay) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable ||
		d.quota
}

// observeAt applies a response (status and headers) to request seq, sent
// at sent and answered at got.
func (l *limits) observeAt(status int, h http.Header, seq uint64, sent, got time.Time) outcome {
	var o outcome
	if o.delay = parseServerDelay(h, got); !o.delay.until.IsZero() && clientWide(status, o.delay) {
		o.gateMoved = l.gate.closeUntilAt(got, o.delay.until)
	}
	if q, ok := parseQuota(h, got); ok {
		l.noteQuota(seq, q.remaining, q.limit, q.reset, q.span)
	}
	switch {
	case status == http.StatusTooManyRequests:
		o.rate, o.rateChanged = l.aimd.throttledAt(got, sent, l.gate.untilAt(got))
	case status >= 200 && status <= 299:
		o.rate, o.rateChanged = l.aimd.succeededAt(got, sent)
	default:
		o.rate = l.aimd.rateAt(got)
	}
	return o
}
