package record

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strconv"
	"syscall"

	"github.com/sluicehq/sluice/scrape/clock"
)

// TB is the part of testing.TB that Strict mode uses.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// TransportOptions configures a Transport. The zero value matches by node
// when the folder's index has a template, else by request, and answers an
// unrecorded request with an error only.
type TransportOptions struct {
	// Matcher keys requests; nil: ByNode(Index.Template), or ByRequest
	// if the index has no template.
	Matcher Matcher
	// Strict, when set, also fails the test for every request that has no
	// recorded attempt left.
	Strict TB
}

// Transport is an http.RoundTripper that answers each request with the
// next unused recorded attempt of its key (see Matcher): the recorded
// status and header, the recorded body streamed from disk, and the
// recorded ending (a cut, a reset, a stall that lasts until the request's
// context ends). It does not wait for the recorded times: it answers as
// fast as the client reads. Create it with NewTransport; it is safe for
// concurrent use.
type Transport struct {
	f *Folder
	q *queue
}

// NewTransport returns a Transport over f.
func NewTransport(f *Folder, o TransportOptions) (*Transport, error) {
	q, err := newQueue(f, o.Matcher, o.Strict)
	if err != nil {
		return nil, err
	}
	return &Transport{f: f, q: q}, nil
}

// Unrecorded returns the requests that found no recorded attempt.
func (t *Transport) Unrecorded() []string { return t.q.unrecordedList() }

// Unused returns the recorded attempts no request used.
func (t *Transport) Unused() []*Attempt { return t.q.unusedList() }

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	if tr := httptrace.ContextClientTrace(req.Context()); tr != nil && tr.WroteRequest != nil {
		tr.WroteRequest(httptrace.WroteRequestInfo{}) // clients arm their header timers here
	}
	a, err := t.q.next(req)
	if err != nil {
		return nil, err
	}
	if a.Status == 0 {
		return nil, t.failure(req, a)
	}
	body, err := t.f.Body(a)
	if err != nil {
		return nil, err
	}
	resp := &http.Response{
		Status:        strconv.Itoa(a.Status) + " " + http.StatusText(a.Status),
		StatusCode:    a.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        a.Header.Clone(),
		ContentLength: -1,
		Request:       req,
		Body:          &replayBody{r: body, a: a, req: req},
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	if cl := resp.Header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			resp.ContentLength = n
		}
	}
	return resp, nil
}

// failure is the error of an attempt that got no response.
func (t *Transport) failure(req *http.Request, a *Attempt) error {
	switch a.End {
	case EndReset:
		return resetError()
	case EndStall, EndTimeout:
		// No answer until the client's own timer gives up (on a
		// replay's clock.Sim, time moves on to that timer).
		clock.Wait(req.Context())
		return req.Context().Err()
	}
	return errors.New("record: recorded error: " + a.Err)
}

// resetError looks like a reset connection to errors.Is.
func resetError() error {
	return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
}

// timeoutError is a net.Error that timed out.
type timeoutError struct{ msg string }

func (e timeoutError) Error() string   { return e.msg }
func (e timeoutError) Timeout() bool   { return true }
func (e timeoutError) Temporary() bool { return true }

// replayBody streams a recorded body and ends it the way it ended.
type replayBody struct {
	r      io.ReadCloser
	a      *Attempt
	req    *http.Request
	done   bool
	closed bool
}

func (b *replayBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, b.endErr()
	}
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.done = true
		if n > 0 {
			return n, nil
		}
		return 0, b.endErr()
	}
	return n, err
}

// endErr is what the client saw after the recorded bytes.
func (b *replayBody) endErr() error {
	switch b.a.End {
	case EndCut:
		return io.ErrUnexpectedEOF
	case EndReset:
		return resetError()
	case EndStall, EndTimeout:
		clock.Wait(b.req.Context())
		return b.req.Context().Err()
	case EndError:
		return errors.New("record: recorded error: " + b.a.Err)
	}
	return io.EOF // complete; closed: the client stopped reading here
}

func (b *replayBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	return b.r.Close()
}
