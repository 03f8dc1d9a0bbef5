package scrape

import (
	"context"
	"net/http"
	"time"
)

// SharedBudget is a request budget shared with other processes, the seam
// through which scrape/budget's Redis budget plugs in (Options.Budget).
// Implementations must be safe for concurrent use.
type SharedBudget interface {
	// Reserve takes one request's turn and returns how long to wait
	// before sending it. An error means no turn: the request is not
	// sent, and the attempt fails with it (a budget that can no longer
	// reach its server stops the run through its context first).
	Reserve(ctx context.Context) (time.Duration, error)
	// Throttled passes on what an answer said to every client: wait is
	// its client-wide delay (0: none), age how long ago the request was
	// sent, limited whether it was a 429. It returns the new rate.
	Throttled(ctx context.Context, wait, age time.Duration, limited bool) (float64, error)
	// Rate is the budget's current rate in requests per second (0: no
	// limit).
	Rate() float64
}

// SharedQuota is a SharedBudget that also holds the server's announced
// quota (X-RateLimit-Remaining/Reset, RateLimit), so that processes
// sharing one API key do not each spend the whole window
// (scrape/budget's Budget is one). With it the client's own quota is not
// consulted: the shared one counts every process's requests.
type SharedQuota interface {
	SharedBudget
	// ReserveSeq is Reserve that also returns the request's number in
	// the budget's sequence (every process's requests). A zero seq means
	// the known quota is spent: nothing is reserved; wait, then ask
	// again.
	ReserveSeq(ctx context.Context) (wait time.Duration, seq uint64, err error)
	// NoteQuota passes on what the answer to request seq said of the
	// server's window: remaining requests after it, the time to its
	// reset, and its limit and length (0: unknown).
	NoteQuota(ctx context.Context, seq uint64, remaining, limit int64, reset, span time.Duration) error
}

// SharedSlots is a cap on requests in flight shared with other processes
// (scrape/budget's Slots, on Redis). Implementations must be safe for
// concurrent use.
type SharedSlots interface {
	// Acquire waits for a slot and returns the function that gives it
	// back. An error means no slot: the request is not sent.
	Acquire(ctx context.Context) (release func(), err error)
}

// shareTimeout bounds passing a 429 on: the answer's own attempt is
// waiting to be retried.
const shareTimeout = 5 * time.Second

// sharedTurn is waitTurn with a shared budget: one reservation, the wait
// it says, then the client's own view of the server's quota (the
// sequence number every request needs).
func (c *Client) sharedTurn(ctx context.Context) (uint64, error) {
	if sq, ok := c.opts.Budget.(SharedQuota); ok {
		for {
			wait, seq, err := sq.ReserveSeq(ctx)
			if err != nil {
				return 0, err
			}
			if err := c.sleep(ctx, wait); err != nil {
				return 0, err
			}
			if seq != 0 {
				return seq, nil
			}
		}
	}
	for {
		wait, err := c.opts.Budget.Reserve(ctx)
		if err != nil {
			return 0, err
		}
		if err := c.sleep(ctx, wait); err != nil {
			return 0, err
		}
		seq, wait := c.limits.admitAt(c.now())
		if wait == 0 {
			return seq, nil
		}
		if err := c.sleep(ctx, wait); err != nil {
			return 0, err
		}
	}
}

// share passes a 429, a client-wide delay and the server's quota on to
// the shared budget. seq is the request's (sharedTurn's).
func (c *Client) share(status int, h http.Header, seq uint64, o outcome, sent, got time.Time) {
	if sq, ok := c.opts.Budget.(SharedQuota); ok {
		if q, ok := parseQuota(h, got); ok {
			ctx, cancel := context.WithTimeout(context.Background(), shareTimeout)
			err := sq.NoteQuota(ctx, seq, q.remaining, q.limit, q.reset.Sub(c.now()), q.span)
			cancel()
			if err != nil {
				c.log.Warn("shared budget: pass on the server's quota", "err", err)
			}
		}
	}
	var wait time.Duration
	if !o.delay.until.IsZero() && clientWide(status, o.delay) {
		wait = o.delay.until.Sub(c.now()) // from now: Redis adds it to its own now
	}
	limited := status == http.StatusTooManyRequests
	if !limited && wait <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), shareTimeout)
	defer cancel()
	r, err := c.opts.Budget.Throttled(ctx, wait, got.Sub(sent), limited)
	if err != nil {
		c.log.Warn("shared budget: pass on a 429", "err", err)
		return
	}
	if limited {
		c.log.Info("shared rate lowered", "rate", r, "wait", wait)
	}
}
