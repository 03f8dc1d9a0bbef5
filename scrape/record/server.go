package record

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/sluicehq/sluice/scrape/clock"
)

// Pace is how fast a Handler sends recorded bodies.
type Pace string

// The paces.
const (
	// PaceFast sends everything as fast as the client reads.
	PaceFast Pace = "fast"
	// PaceRecorded waits the recorded time to first byte and spreads the
	// body as it arrived (Attempt.Pace).
	PaceRecorded Pace = "recorded"
)

// ServerOptions configures a Handler. The zero value matches as
// TransportOptions does, sends at PaceFast, holds a recorded stall for
// twice its recorded length (at least 2 s), logs nothing and keeps time
// with the system clock.
type ServerOptions struct {
	Matcher Matcher
	Pace    Pace
	// Hold is how long a recorded stall keeps the connection silent
	// before it is reset, for a client that waits longer than the
	// recorded one did; 0: twice the recorded wait, at least 2 s.
	Hold time.Duration
	// Clock times the recorded pace and the stalls; nil: the system
	// clock. (A test passes a clock.Fake to step through a paced body.)
	Clock clock.Clock
	// Strict, when set, also fails the test on an unrecorded request.
	Strict TB
	// Logger receives one line per request (Debug) and each unrecorded
	// request (Warn); nil means none.
	Logger *slog.Logger
}

// Handler is an http.Handler that answers each request with the next
// recorded attempt of its key, as the server sent it: status, header,
// body streamed from disk, and the ending (a body cut short, a reset
// connection, a stall: no more bytes until the client gives up, or a
// reset after ServerOptions.Hold). An unrecorded request gets 404 with
// the header X-Sluice-Unrecorded: 1. Create it with NewHandler; it is
// safe for concurrent use.
type Handler struct {
	f     *Folder
	q     *queue
	pace  Pace
	hold  time.Duration // 0: holdFor's default
	clock clock.Clock
	log   *slog.Logger
}

// NewHandler returns a Handler over f.
func NewHandler(f *Folder, o ServerOptions) (*Handler, error) {
	q, err := newQueue(f, o.Matcher, o.Strict)
	if err != nil {
		return nil, err
	}
	if o.Pace == "" {
		o.Pace = PaceFast
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{f: f, q: q, pace: o.Pace, hold: o.Hold, clock: clock.Or(o.Clock), log: o.Logger}, nil
}

// Unrecorded returns the requests that found no recorded attempt.
func (h *Handler) Unrecorded() []string { return h.q.unrecordedList() }

// Unused returns the recorded attempts no request used.
func (h *Handler) Unused() []*Attempt { return h.q.unusedList() }

// NewTestServer starts an httptest.Server over the recording in dir, in
// strict mode (an unrecorded request fails t), and closes it when t ends.
// Point the code under test at its URL instead of the real API.
func NewTestServer(t interface {
	TB
	Fatalf(string, ...any)
	Cleanup(func())
}, dir string, o ServerOptions) *httptest.Server {
	t.Helper()
	f, err := Open(dir)
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	if o.Strict == nil {
		o.Strict = t
	}
	h, err := NewHandler(f, o)
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, err := h.q.next(r)
	if err != nil {
		h.log.Warn("unrecorded request", "method", r.Method, "url", h.q.redact(r.URL.String()))
		w.Header().Set("X-Sluice-Unrecorded", "1")
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	h.log.Debug("serve", "node", a.Node, "seq", a.Seq, "status", a.Status, "end", a.End, "bytes", a.BodyBytes)
	ctx := r.Context()
	if h.pace == PaceRecorded && !h.wait(ctx, time.Duration(a.TTFB)) {
		return
	}
	if a.Status == 0 {
		switch a.End {
		case EndStall, EndTimeout:
			// No answer until the client gives up (or, if it never
			// does, a reset).
			if h.wait(ctx, h.holdFor(a)) {
				abort(w, true)
			}
		case EndReset:
			abort(w, true)
		default:
			abort(w, false)
		}
		return
	}
	body, err := h.f.Body(a)
	if err != nil {
		h.log.Error("recorded body", "node", a.Node, "seq", a.Seq, "err", err)
		abort(w, false)
		return
	}
	defer body.Close()
	hdr := w.Header()
	for k, vs := range a.Header {
		hdr[k] = append([]string(nil), vs...)
	}
	hdr.Del("Transfer-Encoding")
	hdr.Del("Connection")
	switch a.End {
	case EndClosed:
		// Only a prefix was read: a recorded length would promise more.
		hdr.Del("Content-Length")
	case EndStall, EndTimeout:
		// The client gave up before it saw the end: with the length it
		// might not, so the body goes chunked and never ends.
		hdr.Del("Content-Length")
	}
	if hdr.Get("Content-Type") == "" {
		hdr["Content-Type"] = nil // no sniffing: send what was recorded
	}
	w.WriteHeader(a.Status)
	if !h.send(ctx, w, body, a) {
		return
	}
	switch a.End {
	case EndComplete, EndClosed:
		return
	case EndStall, EndTimeout:
		flush(w)
		if h.wait(ctx, h.holdFor(a)) {
			abort(w, true)
		}
	case EndReset:
		abort(w, true)
	default: // cut, error: the connection ends early
		abort(w, false)
	}
}

// send copies the body, at the recorded pace if asked: each recorded
// point's bytes go out once its time since the headers has passed (the
// recorded headers are sent when send starts). false: the client went
// away.
func (h *Handler) send(ctx context.Context, w http.ResponseWriter, body io.Reader, a *Attempt) bool {
	if h.pace != PaceRecorded || len(a.Pace) == 0 {
		_, err := io.Copy(w, body)
		return err == nil
	}
	flush(w) // the headers, at the recorded time to first byte
	start := h.clock.Now()
	var sent int64
	for _, p := range a.Pace {
		if !h.wait(ctx, start.Add(time.Duration(p.At)).Sub(h.clock.Now())) {
			return false
		}
		if p.Bytes > sent {
			n, err := io.CopyN(w, body, p.Bytes-sent)
			sent += n
			if err != nil {
				return false
			}
			flush(w)
		}
	}
	_, err := io.Copy(w, body)
	return err == nil
}

// holdFor is how long a recorded stall lasts before the connection is
// reset, for a client that waits longer than the recorded one:
// ServerOptions.Hold, or twice the recorded wait, at least two seconds.
func (h *Handler) holdFor(a *Attempt) time.Duration {
	if h.hold > 0 {
		return h.hold
	}
	return max(2*time.Duration(a.Idle), 2*time.Second)
}

// wait waits for d on the handler's clock or until ctx ends; false: ctx
// ended.
func (h *Handler) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	return clock.Sleep(ctx, h.clock, d) == nil
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// abort ends the connection without finishing the response: with a TCP
// reset when reset is true, else with a plain close (the client sees the
// body cut).
func abort(w http.ResponseWriter, reset bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: the server resets the stream
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	flushBuf(buf)
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		tc.SetLinger(0) // close sends RST
	}
	conn.Close()
}

func flushBuf(b *bufio.ReadWriter) {
	if b != nil {
		b.Flush()
	}
}
