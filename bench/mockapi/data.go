package mockapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/bench/synth"
)

// serveData answers a request under /data/: limits first (a gateway
// counts every hit), then the route and the parameters, then the body or
// the fault drawn for this request.
func (s *Server) serveData(w http.ResponseWriter, r *http.Request) {
	begin := time.Now()
	now := s.cfg.Now()
	client := clientKey(r)
	s.stats.update(client, func(c *ClientStats) { c.Requests++ })

	v := s.lim.admit(client, now)
	setRateHeaders(w.Header(), v, s.cfg.Limit)
	if v.overRate || v.overOpen {
		w.Header().Set("Retry-After", strconv.FormatInt(retryAfter(now, v.reset), 10))
		msg := fmt.Sprintf("Rate limit exceeded: %d requests per %s for client %q; retry after the window resets", s.cfg.Limit, s.cfg.Window, client)
		if v.overOpen {
			w.Header().Set("Retry-After", s.retryAfterUnits(1))
			msg = fmt.Sprintf("Too many concurrent requests: at most %d open requests per client %q", s.cfg.MaxConcurrent, client)
		}
		n := writeError(w, now, http.StatusTooManyRequests, msg)
		s.stats.update(client, func(c *ClientStats) { c.Status429++; c.Bytes += n })
		s.cfg.Logger.Debug("mockapi: 429", "client", client, "count", v.count, "over_concurrency", v.overOpen)
		return
	}
	defer s.lim.done(client)
	s.stats.update(client, func(c *ClientStats) {
		c.MaxOpen = max(c.MaxOpen, v.open)
		c.MaxInWindow = max(c.MaxInWindow, v.count)
	})

	reject := func(status int, msg string) {
		n := writeError(w, now, status, msg)
		s.stats.update(client, func(c *ClientStats) { c.Status4xx++; c.Bytes += n })
	}
	if r.URL.Path != DataPath {
		reject(http.StatusNotFound, fmt.Sprintf("Unknown data call or path %q (this mock serves %s)", r.URL.Path, DataPath))
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		reject(http.StatusMethodNotAllowed, "Method "+r.Method+" not allowed")
		return
	}
	q, err := parseQuery(r.URL.Query())
	if err != nil {
		reject(http.StatusBadRequest, err.Error())
		return
	}
	s.stats.resource(q.resource)

	rng := s.requestRand(q.resource)
	fault := s.drawFault(q.resource, rng)
	ttfb := s.cfg.Latency.draw(rng)

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stopAfter := context.AfterFunc(s.ctx, cancel)
	defer stopAfter()

	wr := &wire{ResponseWriter: w, bps: s.cfg.Latency.BytesPerSecond, stop: ctx.Done()}
	if !sleep(ttfb, ctx.Done()) {
		// Closing or the client left: drop the connection, lest net/http
		// finish an empty 200 for us.
		s.stats.update(client, func(c *ClientStats) { c.Aborted++ })
		abort(w, false)
		return
	}
	o, _ := s.BodyOptions(q.resource, q.start, q.end, q.unix)
	complete := s.answer(wr, r, o, fault, rng, ctx)
	s.stats.update(client, func(c *ClientStats) {
		c.Bytes += wr.n
		switch {
		case fault != FaultNone:
		case complete:
			c.OK++
		default:
			c.Aborted++
		}
	})
	if fault != FaultNone {
		s.stats.fault(client, fault)
	}
	s.cfg.Logger.Debug("mockapi: answer", "client", client, "resource", q.resource,
		"fault", string(fault), "updates", o.Updates, "wire_bytes", wr.n, "ttfb", ttfb, "took", time.Since(begin))
}

// answer writes the answer for fault and reports whether a correct body
// was written completely.
func (s *Server) answer(w *wire, r *http.Request, o synth.Options, fault Fault, rng *rand.Rand, ctx context.Context) bool {
	now := s.cfg.Now()
	h := w.Header()
	switch fault {
	case Fault500:
		if rng.IntN(3) == 0 {
			h.Set("Retry-After", s.retryAfterUnits(1))
		}
		writeError(w, now, http.StatusInternalServerError, "Internal server error")
		return false
	case Fault502:
		writeHTML(w, http.StatusBadGateway, html502)
		return false
	case Fault503:
		h.Set("Retry-After", s.retryAfterUnits(1+rng.IntN(2)))
		writeError(w, now, http.StatusServiceUnavailable, "Service temporarily unavailable: too many requests in the queue")
		return false
	case FaultHTML:
		writeHTML(w, http.StatusOK, html200)
		return false
	case FaultMaintenance, FaultError:
		o.Status = string(fault)
		o.Updates = min(o.Updates, 100) // plausible data: the status is what tells
	}

	enc := encoding(r.Header.Get("Accept-Encoding"))
	h.Set("Content-Type", "application/json")
	h.Set("Vary", "Accept-Encoding")
	if enc != "" {
		h.Set("Content-Encoding", enc)
	}
	cut := int64(-1) // bytes of the decoded body to send, -1: all
	switch fault {
	case FaultNone, FaultMaintenance, FaultError:
		if enc == "" {
			h.Set("Content-Length", strconv.FormatInt(o.Size(), 10))
		}
	case FaultLength:
		size := o.Size()
		delta := 1 + rng.Int64N(max(size/2, 1))
		if rng.IntN(2) == 0 {
			delta = -delta
		}
		h.Set("Content-Length", strconv.FormatInt(max(size+delta, 0), 10))
	case FaultTruncate, FaultReset:
		cut = rng.Int64N(max(o.Size(), 1))
	case FaultStall:
		cut = rng.Int64N(max(o.Size()/2, 1))
	}
	w.WriteHeader(http.StatusOK)

	var dst io.Writer = w
	var z compressor
	if enc != "" {
		var release func()
		z, release = s.enc.get(enc, w)
		defer release()
		dst = z
	}
	body := synth.NewReader(o)
	var err error
	if cut >= 0 {
		_, err = io.CopyN(dst, body, cut)
	} else {
		_, err = body.WriteTo(dst)
	}
	if err != nil && fault != FaultLength {
		abort(w, true) // the client went away, or the server is closing
		return false
	}

	switch fault {
	case FaultReset, FaultStall:
		if z != nil {
			z.Flush()
		}
		http.NewResponseController(w).Flush()
		if fault == FaultStall {
			// Ends with the request, at Close, or at a graceful Shutdown.
			stalled, cancel := context.WithCancel(s.stalls)
			stopAfter := context.AfterFunc(ctx, cancel)
			sleep(s.cfg.Faults.Stall, stalled.Done())
			stopAfter()
			cancel()
		}
		abort(w, true)
		return false
	}
	if z != nil {
		if z.Close() != nil {
			return false
		}
	}
	return fault == FaultNone && err == nil
}

// abort drops the connection with a TCP reset (SO_LINGER 0), after
// flushing what was written if flush is set (flushing would send a 200
// header of its own when none was written yet), so the client sees the
// answer break off. Where
// the connection cannot be hijacked (HTTP/2), it panics with
// http.ErrAbortHandler, which makes net/http drop the stream.
func abort(w http.ResponseWriter, flush bool) {
	rc := http.NewResponseController(w)
	if flush {
		rc.Flush()
	}
	conn, _, err := rc.Hijack()
	if errors.Is(err, http.ErrNotSupported) {
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		return // already hijacked or broken: nothing left to drop
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}
