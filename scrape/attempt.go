package scrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice/scrape/clock"
)

// visibleWait is the client-wide wait from which the log says so at INFO:
// shorter pauses are the ordinary pace of a rate-limited run.
const visibleWait = 3 * time.Second

// snippetLen is how much of an error response's body goes in its error.
const snippetLen = 256

// errorDrain is how much of an error response's body past the snippet is
// read (and thrown away) so that its connection can be reused; a longer
// body's connection is closed instead.
const errorDrain = 64 << 10

// attempt sends one request for node and, on a 2xx answer, streams its
// body to consume. It returns nil on success, or the classified error.
func (c *Client) attempt(ctx context.Context, node, u string, consume func(io.Reader) error, res *Result) *attemptError {
	// The time until the request goes out (a connection slot, the rate
	// limiter, the server's gate and quota) is waiting, not fetching:
	// it is counted apart so that latency figures show the server.
	waitFrom := c.now()
	waited := func() {
		w := c.now().Sub(waitFrom)
		res.Waited += w
		c.waited.Add(int64(w))
	}
	if err := c.slots.Acquire(ctx); err != nil {
		waited()
		return &attemptError{err: err}
	}
	defer c.slots.Release()
	if c.opts.Slots != nil {
		release, err := c.opts.Slots.Acquire(ctx)
		if err != nil {
			waited()
			return &attemptError{err: err}
		}
		defer release()
	}
	seq, err := c.waitTurn(ctx)
	waited()
	if err != nil {
		return &attemptError{err: err}
	}

	// The attempt's own context ends on the client's clock: at
	// RequestTimeout, or when the stall timer fires (no response headers,
	// or no body byte, for StallTimeout).
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if c.opts.RequestTimeout > 0 {
		t := c.opts.Clock.AfterFunc(c.opts.RequestTimeout, func() { cancel(errRequestTimeout) })
		defer t.Stop()
	}
	// The stall timer is armed once the request is written (a dial has
	// its own timeout), and re-armed by every body byte.
	stall := c.opts.Clock.AfterFunc(c.opts.StallTimeout, func() { cancel(ErrStalled) })
	stall.Stop()
	defer stall.Stop()
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { stall.Reset(c.opts.StallTimeout) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(actx, trace), http.MethodGet, u, nil)
	if err != nil {
		return &attemptError{err: fmt.Errorf("request: %w", err)}
	}
	req.Header = c.header.Clone()
	res.TTFB, res.WireBytes, res.BodyBytes = 0, 0, 0 // Status stays the last one received

	sent := c.now()
	c.limits.aimd.sentAt(sent)
	c.requests.Add(1)
	res.Attempts++
	resp, err := c.hc.Do(req)
	got := c.now()
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = c.red.redact(ue.URL)
		}
		switch {
		case ctx.Err() != nil:
			return &attemptError{err: ctx.Err()}
		case errors.Is(err, errCrossHost):
			return &attemptError{err: err}
		case context.Cause(actx) == errRequestTimeout:
			return &attemptError{err: fmt.Errorf("request timeout (%v): %w", c.opts.RequestTimeout, err), retryable: true}
		case context.Cause(actx) == ErrStalled, isTimeout(err):
			// A transport's own timeout before the headers (a dial, a
			// replayed stall) is the same stall.
			c.stalls.Add(1)
			return &attemptError{err: fmt.Errorf("%w: no response headers for %v", ErrStalled, c.opts.StallTimeout), retryable: true}
		}
		return &attemptError{err: err, retryable: true}
	}
	// Headers came: from here the stall timer counts from the last body
	// byte (armed here too for transports that never write a request).
	stall.Reset(c.opts.StallTimeout)
	res.Status = resp.StatusCode
	res.TTFB = got.Sub(sent)
	o := c.observe(resp, node, seq, sent, got)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		aerr := c.statusError(resp, res)
		aerr.throttled = resp.StatusCode == http.StatusTooManyRequests ||
			resp.StatusCode == http.StatusServiceUnavailable && !o.delay.until.IsZero()
		if !o.gateMoved && o.delay.until.After(got) {
			aerr.notBefore = o.delay.until
		}
		return aerr
	}
	aerr := c.readBody(ctx, actx, cancel, stall, resp, node, consume, res)
	c.log.Debug("attempt", "node", node, "status", resp.StatusCode, "wire", res.WireBytes,
		"body", res.BodyBytes, "ttfb", res.TTFB, "took", c.now().Sub(sent), "ok", aerr == nil)
	return aerr
}

// observe applies what a response says about the server's limits to the
// whole client: its delay headers to the gate, a 429 or a success to the
// rate.
func (c *Client) observe(resp *http.Response, node string, seq uint64, sent, got time.Time) outcome {
	o := c.limits.observeAt(resp.StatusCode, resp.Header, seq, sent, got)
	if c.opts.Budget != nil {
		c.share(resp.StatusCode, resp.Header, seq, o, sent, got)
	}
	if o.gateMoved {
		// The wait the client will really make (the gate caps what the
		// header asked), at INFO when a person would wonder why the run
		// stands still.
		wait := c.limits.gate.untilAt(got).Sub(got)
		level := slog.LevelDebug
		if wait >= visibleWait {
			level = slog.LevelInfo
		}
		c.log.Log(context.Background(), level, "server asks every worker to wait", "wait", wait.Round(time.Millisecond),
			"header", o.delay.source, "value", resp.Header.Get(o.delay.source), "asked", o.delay.until.Sub(got).Round(time.Millisecond),
			"status", resp.StatusCode, "node", node)
	}
	if o.rateChanged {
		c.pacer.setRateAt(got, o.rate)
		if resp.StatusCode == http.StatusTooManyRequests {
			c.log.Info("rate lowered", "rate", o.rate)
		}
	}
	if code := resp.StatusCode; code >= 0 && code < len(c.codes) {
		c.codes[code].Add(1)
	}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		c.s429.Add(1)
	case code >= 500:
		c.s5xx.Add(1)
	}
	return o
}

// statusError reads the start of an error response for its message and
// drains a little more (errorDrain) so that the connection can be reused.
// What it read counts as wire bytes: the figure is every body byte read
// from the connection.
func (c *Client) statusError(resp *http.Response, res *Result) *attemptError {
	defer resp.Body.Close()
	buf := make([]byte, snippetLen)
	n, _ := io.ReadFull(resp.Body, buf)
	drained, _ := io.CopyN(io.Discard, resp.Body, errorDrain)
	res.WireBytes = int64(n) + drained
	c.wire.Add(res.WireBytes)
	snippet := buf[:n]
	for len(snippet) > 0 && !utf8.Valid(snippet) {
		snippet = snippet[:len(snippet)-1] // cut inside a rune
	}
	code := resp.StatusCode
	return &attemptError{
		err:       &StatusError{Code: code, Snippet: c.red.redact(string(snippet))},
		retryable: code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code == http.StatusTooEarly || code >= 500,
	}
}

// readBody streams a 2xx body through the decoders, the cap and the
// capture to consume, then drains what consume left so that a truncated
// body is noticed and the capture is whole. The capture is renamed into
// place only when everything succeeded.
func (c *Client) readBody(ctx, actx context.Context, cancel context.CancelCauseFunc, stall clock.Timer, resp *http.Response,
	node string, consume func(io.Reader) error, res *Result) *attemptError {
	defer resp.Body.Close()
	encs, err := parseEncodings(resp.Header.Get("Content-Encoding"))
	if err != nil {
		return &attemptError{err: err}
	}
	limit := c.opts.MaxBodySize
	if len(encs) == 0 && limit >= 0 && resp.ContentLength > limit {
		return &attemptError{err: fmt.Errorf("%w (%d bytes): Content-Length is %d", ErrBodyTooLarge, limit, resp.ContentLength)}
	}

	stall.Reset(c.opts.StallTimeout)
	wire := &wireReader{r: resp.Body, stall: stall, stallD: c.opts.StallTimeout, bw: c.bw, clock: c.opts.Clock, ctx: actx}
	if c.opts.SpeedLimit > 0 {
		need := int64(float64(c.opts.SpeedLimit) * c.opts.SpeedTime.Seconds())
		sc := startSpeedCheck(c.opts.Clock, c.opts.SpeedTime, need, &wire.moved, func() { cancel(ErrTooSlow) })
		defer sc.stop()
	}
	body := &bodyReader{r: wire, max: limit}
	defer func() {
		res.WireBytes, res.BodyBytes = wire.n, body.n
		c.wire.Add(wire.n)
		c.body.Add(body.n)
	}()

	dec, release, derr := c.dec.open(wire, encs)
	if derr == nil {
		defer release()
		body.r = dec
	}
	var capt *capture
	if derr == nil && c.opts.CaptureDir != "" {
		if capt, err = openCapture(c.opts.CaptureDir, node, &c.enc); err != nil {
			return &attemptError{err: err}
		}
		body.capture = capt
	}
	var cerr error
	if derr == nil {
		cerr = consume(body)
		if cerr == nil && body.err == nil {
			_, _ = io.Copy(io.Discard, body) // the error stays in body.err
		}
		if cerr == nil && body.readErr() == nil && len(encs) > 0 {
			body.err = checkWireEnd(wire)
		}
	}

	aerr := c.classify(ctx, actx, wire, body, derr, cerr)
	if capt != nil {
		if aerr != nil {
			capt.abort()
		} else if err := capt.commit(); err != nil {
			return &attemptError{err: err}
		}
	}
	return aerr
}

// checkWireEnd reads what follows the end of an encoded body: nothing,
// cleanly. A decoder can finish its last frame before the connection
// reports that the body was cut or longer than announced; such framing is
// broken and the attempt is retried. Reading to the end also lets the
// connection be reused.
func checkWireEnd(wire *wireReader) error {
	n, err := io.Copy(io.Discard, io.LimitReader(wire, 64<<10))
	switch {
	case err != nil:
		return fmt.Errorf("after the encoded body: %w", err)
	case n > 0:
		return fmt.Errorf("%d or more bytes after the end of the encoded body", n)
	}
	return io.EOF
}

// classify turns what happened to a body into an attempt's outcome. The
// body's own failure (stall, timeout, cap, network) comes first: consume
// usually fails because of it, and its error then says less.
func (c *Client) classify(ctx, actx context.Context, wire *wireReader, body *bodyReader, derr, cerr error) *attemptError {
	rerr := body.readErr()
	if rerr == nil {
		rerr = derr
	}
	switch {
	case context.Cause(actx) == ErrStalled:
		c.stalls.Add(1)
		return &attemptError{err: fmt.Errorf("%w: no byte for %v after %d bytes", ErrStalled, c.opts.StallTimeout, wire.n), retryable: true}
	case ctx.Err() != nil:
		return &attemptError{err: ctx.Err()}
	case context.Cause(actx) == ErrTooSlow:
		c.stalls.Add(1)
		return &attemptError{err: fmt.Errorf("%w: under %d bytes/s for %v, after %d bytes", ErrTooSlow,
			c.opts.SpeedLimit, c.opts.SpeedTime, wire.n), retryable: true}
	case context.Cause(actx) == errRequestTimeout:
		return &attemptError{err: fmt.Errorf("request timeout (%v) after %d bytes", c.opts.RequestTimeout, wire.n), retryable: true}
	case errors.Is(rerr, ErrBodyTooLarge):
		return &attemptError{err: rerr}
	case body.capErr != nil:
		return &attemptError{err: body.capErr}
	case rerr != nil:
		return &attemptError{err: fmt.Errorf("read body after %d bytes: %w", wire.n, rerr), retryable: true}
	case cerr != nil:
		return &attemptError{err: fmt.Errorf("consume: %w", cerr), retryable: true}
	}
	return nil
}

// isTimeout reports whether err is a net.Error that timed out.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
