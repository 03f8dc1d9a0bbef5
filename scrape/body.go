package scrape

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/sluicehq/sluice/scrape/clock"
)

// wireReader is the response body as it comes off the network: it counts
// bytes, re-arms the stall timer on every byte that arrives and spends the
// shared bytes-per-second budget. Not safe for concurrent use.
type wireReader struct {
	r      io.Reader     // the response body
	n      int64         // bytes read so far
	moved  atomic.Int64  // n, for the speed check's timer goroutine
	stall  clock.Timer   // fires when no byte arrives for stallD
	stallD time.Duration //
	bw     *rate.Limiter // nil: no budget
	clock  clock.Clock   // the budget's waits
	ctx    context.Context
}

func (w *wireReader) Read(p []byte) (int, error) {
	if w.bw != nil && len(p) > w.bw.Burst() {
		p = p[:w.bw.Burst()]
	}
	n, err := w.r.Read(p)
	if n > 0 {
		w.n += int64(n)
		w.moved.Store(w.n)
		if w.bw != nil {
			// The budget wait is ours, not the server's: keep it out of
			// the stall clock.
			w.stall.Stop()
			now := w.clock.Now()
			r := w.bw.ReserveN(now, n) // n <= Burst: always OK
			if werr := clock.Sleep(w.ctx, w.clock, r.DelayFrom(now)); werr != nil && err == nil {
				err = werr
			}
		}
		w.stall.Reset(w.stallD)
	}
	return n, err
}

// bodyReader is the decoded body handed to consume: it counts and caps
// the decoded bytes, tees them to the capture, and keeps the first error
// (io.EOF included) so that the client can tell a read failure from a
// consume failure. Not safe for concurrent use.
type bodyReader struct {
	r       io.Reader // decoder, or the wireReader for identity bodies
	n       int64     // decoded bytes so far
	max     int64     // cap on n; < 0: none
	capture io.Writer // nil: no capture
	err     error     // first error of r, the cap or the capture; sticky
	capErr  error     // the capture's write error, also in err
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if b.max >= 0 {
		// Read one byte past the cap to tell "exactly max" from "more".
		if room := b.max - b.n + 1; int64(len(p)) > room {
			p = p[:room]
		}
	}
	n, err := b.r.Read(p)
	if b.max >= 0 && b.n+int64(n) > b.max {
		n = int(b.max - b.n)
		err = fmt.Errorf("%w (%d bytes)", ErrBodyTooLarge, b.max)
	}
	b.n += int64(n)
	if n > 0 && b.capture != nil {
		if _, werr := b.capture.Write(p[:n]); werr != nil {
			b.capErr = fmt.Errorf("capture: %w", werr)
			err = b.capErr
		}
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// readErr is the first error other than io.EOF.
func (b *bodyReader) readErr() error {
	if b.err == io.EOF {
		return nil
	}
	return b.err
}

// parseEncodings splits a Content-Encoding header into the decodings to
// apply, first to last (the reverse of the order the header lists them).
// "identity" is dropped; "x-gzip" is gzip.
func parseEncodings(h string) ([]string, error) {
	if strings.TrimSpace(h) == "" {
		return nil, nil
	}
	var encs []string
	for _, e := range strings.Split(h, ",") {
		switch e = strings.ToLower(strings.TrimSpace(e)); e {
		case "identity", "":
		case "gzip", "x-gzip":
			encs = append(encs, "gzip")
		case "zstd":
			encs = append(encs, "zstd")
		default:
			return nil, fmt.Errorf("unsupported Content-Encoding %q", e)
		}
	}
	for i, j := 0, len(encs)-1; i < j; i, j = i+1, j-1 {
		encs[i], encs[j] = encs[j], encs[i]
	}
	if len(encs) > 2 {
		return nil, fmt.Errorf("Content-Encoding %q: more than two layers", h)
	}
	return encs, nil
}

// speedCheck abandons an attempt whose body moves fewer than need bytes
// in each period (Options.SpeedLimit × SpeedTime): a timer of the client's
// clock looks at the bytes moved once per period and cancels the attempt
// with ErrTooSlow, or re-arms. Bytes count as they arrive, so a large
// body that keeps coming is never cut however long it takes.
type speedCheck struct {
	mu     sync.Mutex
	t      clock.Timer
	period time.Duration
	need   int64 // bytes a period must move
	last   int64 // bytes moved at the last check
	moved  *atomic.Int64
	cancel func()
}

// startSpeedCheck arms a speedCheck on clk; stop it with stop.
func startSpeedCheck(clk clock.Clock, period time.Duration, need int64, moved *atomic.Int64, cancel func()) *speedCheck {
	s := &speedCheck{period: period, need: need, moved: moved, cancel: cancel}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t = clk.AfterFunc(period, s.check)
	return s
}

func (s *speedCheck) check() {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.moved.Load()
	if n-s.last < s.need {
		s.cancel()
		return
	}
	s.last = n
	s.t.Reset(s.period)
}

func (s *speedCheck) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.Stop()
}
