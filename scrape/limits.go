package scrape

import (
	"net/http"
	"time"
)

// limits is the client-wide reaction to what servers say: the gate that
// delay headers close and the adaptive rate that 429s cut. It is pure (no
// clock, no limiter): the Client applies the rate it returns to its
// rate.Limiter. Safe for concurrent use.
type limits struct {
	gate gate
	aimd *aimd
}

// outcome is what one response changed.
type outcome struct {
	delay       serverDelay // zero: the response set no delay
	gateMoved   bool        // the gate now opens later than before
	rate        float64     // the rate after this response (+Inf: none)
	rateChanged bool
}

// observeAt applies a response (status and headers) to a request sent at
// sent and answered at got.
func (l *limits) observeAt(status int, h http.Header, sent, got time.Time) outcome {
	var o outcome
	if o.delay = parseServerDelay(h, got); !o.delay.until.IsZero() {
		o.gateMoved = l.gate.closeUntilAt(got, o.delay.until)
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
