package scrape

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sluicehq/sluice/scrape/clock"
)

// Fetch gets node's body and passes it to consume, retrying as the package
// doc describes. On success it returns the Result of the successful
// attempt. A node that fails for good returns a *FetchError; a cancelled
// ctx returns an error wrapping ctx.Err() (not a *FetchError: the node did
// not fail, the run stopped).
func (c *Client) Fetch(ctx context.Context, node string, consume func(body io.Reader) error) (Result, error) {
	// On a replay's clock.Sim, the fetch acts until it returns: time
	// moves only while it (and every other fetch) waits on the clock.
	ctx, done := clock.Act(ctx, c.opts.Clock)
	defer done()
	start := c.now()
	res := Result{Node: node}
	if c.closed.Load() {
		return res, c.fail(&res, start, ErrClosed)
	}
	u, err := c.tmpl.url(node)
	if err != nil {
		return res, c.fail(&res, start, err)
	}
	nodeCtx := ctx
	var nodeDeadline time.Time // zero: no MaxNodeTime
	if c.opts.MaxNodeTime > 0 {
		// A timer of the client's clock, not context.WithDeadline: the
		// node's time must run out on the same clock as its waits.
		var cancel context.CancelCauseFunc
		nodeDeadline = start.Add(c.opts.MaxNodeTime)
		nodeCtx, cancel = context.WithCancelCause(ctx)
		t := c.opts.Clock.AfterFunc(c.opts.MaxNodeTime, func() { cancel(ErrNodeTimeout) })
		defer t.Stop()
		defer cancel(nil)
	}
	var (
		last     error // the last attempt's own error, not the deadline that cut it
		failures int   // attempts that count against MaxAttempts: all but throttled ones
	)
	for {
		sent := res.Attempts
		aerr := c.attempt(nodeCtx, node, u, consume, &res)
		if aerr == nil {
			res.Duration = c.now().Sub(start)
			return res, nil
		}
		if nodeCtx.Err() == nil || last == nil {
			last = aerr.err
		}
		if aerr.throttled {
			// "Not yet", not a failure: the node goes back to wait for
			// its turn behind the shared limiter and gate, and only
			// MaxNodeTime bounds how long that may last.
			res.Throttled++
		} else if res.Attempts > sent {
			failures++
		}
		if err := c.stopped(ctx, nodeCtx, &res, start, last); err != nil {
			return res, err
		}
		if !aerr.retryable || failures >= c.opts.MaxAttempts {
			return res, c.fail(&res, start, aerr.err)
		}
		var wait time.Duration
		if !aerr.throttled {
			wait = c.backoff.delay(failures, c.rand())
		}
		if d := aerr.notBefore.Sub(c.now()); d > wait {
			wait = d // the server's word for this request beats our guess
		}
		// Waiting past MaxNodeTime is pointless (for the gate too); the
		// caller's own deadline is not the node's failure and ends the
		// sleep instead.
		if !nodeDeadline.IsZero() {
			now := c.now()
			if until := c.limits.gate.untilAt(now); c.opts.Budget == nil && until.After(now) && until.Sub(now) > wait {
				wait = until.Sub(now)
			}
			if nodeDeadline.Sub(now) < wait {
				return res, c.fail(&res, start, c.nodeTimeout(&res, start, now, wait, aerr.err))
			}
		}
		c.retries.Add(1)
		c.log.Debug("retry", "node", node, "attempts", res.Attempts, "throttled", res.Throttled,
			"status", res.Status, "wait", wait, "err", c.red.redact(aerr.err.Error()))
		if !aerr.throttled {
			c.log.Warn("retry", "node", node, "attempt", failures, "status", res.Status,
				"wait", wait, "err", c.red.redact(aerr.err.Error()))
		}
		if err := c.sleep(nodeCtx, wait); err != nil {
			if err := c.stopped(ctx, nodeCtx, &res, start, last); err != nil {
				return res, err
			}
		}
	}
}

// nodeTimeout is the error of a node whose MaxNodeTime runs out (now, or
// during the wait it would need next): a throttled node says how long it
// was held and by how many refusals, so that its dead letter is not read
// as a broken node.
func (c *Client) nodeTimeout(res *Result, start, now time.Time, wait time.Duration, last error) error {
	if res.Throttled > 0 {
		return fmt.Errorf("%w (%v): throttled for %v: %d answer%s 429 or 503 with Retry-After (next turn in %v): %w",
			ErrNodeTimeout, c.opts.MaxNodeTime, now.Sub(start).Round(time.Millisecond), res.Throttled, plural(res.Throttled),
			wait.Round(time.Millisecond), last)
	}
	return fmt.Errorf("%w (%v) before attempt %d: %w", ErrNodeTimeout, c.opts.MaxNodeTime, res.Attempts+1, last)
}

// stopped returns the error that ends Fetch because a context ended, with
// res.Duration set: the caller's cancellation (wrapped with the node, not a
// *FetchError) or the node's time running out (a *FetchError wrapping
// ErrNodeTimeout and the last error). nil: carry on.
func (c *Client) stopped(ctx, nodeCtx context.Context, res *Result, start time.Time, last error) error {
	if err := ctx.Err(); err != nil {
		res.Duration = c.now().Sub(start)
		return fmt.Errorf("scrape: node %q: %w", res.Node, err)
	}
	if nodeCtx.Err() != nil {
		if res.Throttled > 0 {
			return c.fail(res, start, fmt.Errorf("%w (%v): throttled for %v: %d answer%s 429 or 503 with Retry-After: %w",
				ErrNodeTimeout, c.opts.MaxNodeTime, c.now().Sub(start).Round(time.Millisecond), res.Throttled, plural(res.Throttled), last))
		}
		return c.fail(res, start, fmt.Errorf("%w (%v): %w", ErrNodeTimeout, c.opts.MaxNodeTime, last))
	}
	return nil
}

// fail counts and logs a final failure and wraps it in a *FetchError whose
// message has no secret.
func (c *Client) fail(res *Result, start time.Time, err error) error {
	res.Duration = c.now().Sub(start)
	c.failures.Add(1)
	err = redactedError{msg: c.red.redact(err.Error()), err: err}
	c.log.Warn("node failed", "node", res.Node, "attempts", res.Attempts, "status", res.Status, "err", err.Error())
	return &FetchError{Node: res.Node, Attempts: res.Attempts, LastStatus: res.Status, Err: err}
}

// redactedError keeps the chain of err for errors.Is but prints msg, its
// redacted text.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// waitTurn waits until the gate is open, the limiter grants a token and
// the server's known quota has room, and returns the request's sequence
// number. The gate is checked again after the token, since a server may
// have closed it while this request waited. It returns only ctx's error.
func (c *Client) waitTurn(ctx context.Context) (uint64, error) {
	if c.opts.Budget != nil {
		return c.sharedTurn(ctx)
	}
	for {
		if d := c.limits.gate.delayAt(c.now()); d > 0 {
			if err := c.sleep(ctx, d); err != nil {
				return 0, err
			}
			continue
		}
		// Reserve rather than Wait: Wait gives up at once when the
		// wait would pass ctx's deadline, which would blame the node
		// for the caller's deadline.
		tn := c.pacer.reserveAt(ctx, c.now())
		err := c.sleep(tn.ctx, tn.d)
		if c.pacer.done(tn) {
			continue // a cut: this turn was at the old rate
		}
		if err != nil {
			tn.res.CancelAt(c.now())
			return 0, err
		}
		if c.limits.gate.delayAt(c.now()) > 0 {
			continue
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

// sleep waits for d on the client's clock, or until ctx ends.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	return clock.Sleep(ctx, c.opts.Clock, d)
}
