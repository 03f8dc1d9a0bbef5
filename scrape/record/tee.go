package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/scrape"
)

// recordingTransport records each exchange through next.
type recordingTransport struct {
	r    *Recorder
	next http.RoundTripper
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := t.r
	node := r.nodeOf(req)
	nl, seq, err := r.begin(node)
	if err != nil {
		// The folder cannot take this node: the error is kept for
		// Close (the run ends with it), the fetch itself goes on.
		return t.next.RoundTrip(req)
	}
	start := r.o.Now()
	a := &Attempt{
		Node: node, Seq: seq, Start: start.UTC(), Method: req.Method,
		URL: r.red(req.URL.String()), ReqHdr: redactHeader(req.Header, r.o.Names, r.red),
	}
	resp, err := t.next.RoundTrip(req)
	got := r.o.Now()
	if err != nil {
		a.TTFB = Duration(got.Sub(start))
		a.Total = a.TTFB
		a.End = r.endOf(req, err, true)
		a.Err = r.red(err.Error())
		r.finish(nl, a)
		return nil, err
	}
	a.Status, a.Proto = resp.StatusCode, resp.Proto
	a.Header = redactHeader(resp.Header, r.o.Names, r.red)
	a.TTFB = Duration(got.Sub(start))
	resp.Body = &teeBody{r: r, nl: nl, a: a, req: req, body: resp.Body, start: start, got: got, last: got}
	return resp, nil
}

// endOf classifies the error that ended an attempt. beforeResponse: no
// response arrived (a timeout then is the transport's wait for headers:
// the client's stall rule).
func (r *Recorder) endOf(req *http.Request, err error, beforeResponse bool) End {
	ctx := req.Context()
	ctxErr, cause := ctx.Err(), context.Cause(ctx)
	var ne net.Error
	switch {
	case ctxErr != nil && r.o.Stopping != nil && r.o.Stopping():
		return EndInterrupted
	case errors.Is(cause, scrape.ErrStalled):
		// The client's stall timer: no headers, or no next byte, in
		// time (the body may even have reached its end first: a
		// cancelled connection can report io.EOF).
		return EndStall
	case errors.Is(ctxErr, context.DeadlineExceeded), ctxErr != nil && cause != ctxErr:
		// A deadline, or a cancellation with a cause of its own (the
		// client's request or node timeout).
		return EndTimeout
	case ctxErr != nil:
		// Cancelled with no reason given: whoever called the client
		// stopped it.
		return EndInterrupted
	case err == io.EOF:
		return EndComplete
	case beforeResponse && errors.As(err, &ne) && ne.Timeout():
		// The transport's wait for headers: a stall.
		return EndStall
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return EndTimeout
	case errors.Is(err, io.ErrUnexpectedEOF):
		return EndCut
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return EndReset
	case beforeResponse && errors.Is(err, io.EOF):
		return EndReset // the server closed the connection without an answer
	}
	return EndError
}

// teeBody writes the body to the folder as the client reads it and
// finishes the attempt at the first error or at Close. Read and Close may
// come from different goroutines (a stall's cancel), hence mu.
type teeBody struct {
	r     *Recorder
	nl    *nodeLog
	a     *Attempt
	req   *http.Request
	body  io.ReadCloser
	start time.Time // request sent
	got   time.Time // headers received
	last  time.Time // last byte received

	mu   sync.Mutex
	file *bodyFile // nil until the first byte
	eof  bool      // the body reached io.EOF
	done bool      // the attempt is finished
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done || b.eof {
		return n, err
	}
	if n > 0 {
		b.last = b.r.o.Now()
		b.a.BodyBytes += int64(n)
		if b.file == nil {
			b.a.BodyFile = seqName(b.a.Seq) + bodyExt
			f, ferr := createBody(filepath.Join(b.nl.dir, b.a.BodyFile), &b.r.pool)
			if ferr != nil {
				b.r.mu.Lock()
				b.r.fail(fmt.Errorf("record: node %q attempt %d: body: %w", b.a.Node, b.a.Seq, ferr))
				b.r.mu.Unlock()
				b.done = true
				return n, err
			}
			b.file = f
		}
		b.file.write(p[:n])
		b.pace()
	}
	switch {
	case err == io.EOF:
		// Finish at Close: a client that gives up on the attempt after
		// the last byte (a stall timer that fired while it was still
		// decoding) has cancelled the request by then.
		b.eof = true
	case err != nil:
		b.end(err)
	}
	return n, err
}

// pace samples the arrival of bytes, thinning the samples by half when
// they fill up.
func (b *teeBody) pace() {
	at := b.last.Sub(b.got)
	ps := b.a.Pace
	step := paceStep
	if len(ps) > 0 {
		if at-time.Duration(ps[len(ps)-1].At) < step {
			ps[len(ps)-1].Bytes = b.a.BodyBytes
			if len(ps) == 1 {
				return
			}
			// the last point moves until a step has passed since
			// the one before it
			if at-time.Duration(ps[len(ps)-2].At) < step {
				ps[len(ps)-1].At = Duration(at)
				return
			}
		}
	}
	if len(ps) >= maxPace {
		k := 0
		for i := 1; i < len(ps); i += 2 {
			ps[k] = ps[i]
			k++
		}
		ps = ps[:k]
	}
	b.a.Pace = append(ps, PacePoint{At: Duration(at), Bytes: b.a.BodyBytes})
}

// end finishes the attempt; the caller holds b.mu.
func (b *teeBody) end(err error) {
	b.done = true
	now := b.r.o.Now()
	a := b.a
	a.Total = Duration(now.Sub(b.start))
	switch {
	case err == nil && b.req.Context().Err() == nil:
		a.End = EndClosed
	case err == nil:
		a.End = b.r.endOf(b.req, context.Canceled, false)
	default:
		a.End = b.r.endOf(b.req, err, false)
		if err != io.EOF {
			a.Err = b.r.red(err.Error())
		}
	}
	if a.End == EndStall || a.End == EndTimeout || a.End == EndInterrupted {
		a.Idle = Duration(now.Sub(b.last))
	}
	if b.file != nil {
		size, ferr := b.file.commit()
		if ferr != nil {
			b.r.mu.Lock()
			b.r.fail(fmt.Errorf("record: node %q attempt %d: %w", a.Node, a.Seq, ferr))
			b.r.mu.Unlock()
			return
		}
		a.BodyZstd = size
	}
	b.r.finish(b.nl, a)
}

func (b *teeBody) Close() error {
	err := b.body.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.done {
		if b.eof {
			b.end(io.EOF)
		} else {
			b.end(nil)
		}
	}
	return err
}
