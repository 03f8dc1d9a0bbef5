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
type quota struct {
	seq       uint64
	remaining int64
	reset     time.Time // zero: no quota known
}

// admitAt asks to send a request at t. It returns the request's sequence
// number, or how long to wait when the known quota of the server's window
// is spent.
func (l *limits) admitAt(t time.Time) (seq uint64, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.quota
	if q.reset.After(t) && int64(l.nextSeq-q.seq-1) >= q.remaining {
		return 0, min(q.reset.Sub(t), maxServerDelay)
	}
	seq = l.nextSeq
	l.nextSeq++
	return seq, 0
}

// outcome is what one response changed.
type outcome struct {
	delay       serverDelay // zero: the response set no delay
	gateMoved   bool        // the gate now opens later than before
	rate        float64     // the rate after this response (+Inf: none)
	rateChanged bool
}

// observeAt applies a response (status and headers) to request seq, sent
// at sent and answered at got.
func (l *limits) observeAt(status int, h http.Header, seq uint64, sent, got time.Time) outcome {
	var o outcome
	if o.delay = parseServerDelay(h, got); !o.delay.until.IsZero() {
		o.gateMoved = l.gate.closeUntilAt(got, o.delay.until)
	}
	if rem, reset, ok := parseQuota(h, got); ok {
		l.mu.Lock()
		// A later window replaces the quota; within a window, a later
		// request's answer does. An old answer arriving late changes
		// nothing.
		if q := l.quota; reset.After(q.reset) || (reset.Equal(q.reset) && seq > q.seq) {
			l.quota = quota{seq: seq, remaining: rem, reset: reset}
		}
		l.mu.Unlock()
	}
	switch {
	case status == http.StatusTooManyRequests:
		o.rate, o.rateChanged = l.aimd.throttledAt(got, sent, l.gate.untilAt(got))
	case status >= 200 && status <= 299:
		o.rate, o.rateChanged = l.aimd.succeededAt(got)
	default:
		o.rate = l.aimd.rateAt(got)
	}
	return o
}
