package scrape

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer is the client's request limiter, whose waits a cut revokes. A
// worker reserves its turn and sleeps until it; when a 429 lowers the
// rate, turns handed out at the old rate but not yet due would still go
// out at the old rate (32 workers at 300/s hold 100 ms of turns) and
// spend the server's burst before the cut takes effect. So a lower rate
// starts a new bucket, empty, and ends the wait of every turn not yet
// due: each worker reserves again at the new rate. A higher rate (the
// probe) only changes the limit. The revocation cancels the waits' own
// contexts from the goroutine that cuts, so a simulated clock (clock.Sim)
// sees it at once. Safe for concurrent use.
type pacer struct {
	mu      sync.Mutex
	lim     *rate.Limiter
	burst   int
	waiting map[*turn]struct{} // turns not yet due
}

// turn is one reserved request: wait d under ctx, which a cut cancels
// (revoked is then true).
type turn struct {
	d       time.Duration
	res     *rate.Reservation
	ctx     context.Context
	cancel  context.CancelFunc
	revoked bool // guarded by pacer.mu
}

func newPacer(r float64, burst int) *pacer {
	return &pacer{lim: rate.NewLimiter(limitOf(r), burst), burst: burst, waiting: map[*turn]struct{}{}}
}

// reserveAt reserves one turn at now, its wait bound to ctx. Call done
// when the wait is over.
func (p *pacer) reserveAt(ctx context.Context, now time.Time) *turn {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.lim.ReserveN(now, 1)
	t := &turn{d: r.DelayFrom(now), res: r, ctx: ctx}
	if t.d > 0 {
		t.ctx, t.cancel = context.WithCancel(ctx)
		p.waiting[t] = struct{}{}
	}
	return t
}

// done ends t's wait and reports whether a cut revoked it.
func (p *pacer) done(t *turn) (revoked bool) {
	if t.cancel == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.waiting, t)
	t.cancel()
	return t.revoked
}

// setRateAt applies the rate r (requests per second, +Inf: none) at t.
func (p *pacer) setRateAt(t time.Time, r float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := limitOf(r)
	if l >= p.lim.Limit() {
		p.lim.SetLimitAt(t, l)
		return
	}
	p.lim = rate.NewLimiter(l, p.burst)
	p.lim.ReserveN(t, p.burst) // empty: the next turn is 1/r after the cut
	for w := range p.waiting {
		w.revoked = true
		w.cancel()
		delete(p.waiting, w)
	}
}
