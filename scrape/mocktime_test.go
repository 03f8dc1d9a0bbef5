package scrape_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/scrape/clock"
)

// fakeT0 is where the fake clocks of the mock tests start.
var fakeT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// arrival is one request as the mock saw it: when on the fake clock, and
// what it answered.
type arrival struct {
	at         time.Time
	status     int
	retryAfter time.Duration // 0: none
}

// arrivalLog records every data request the mock answers, on the clock
// the mock reads.
type arrivalLog struct {
	clk clock.Clock
	mu  sync.Mutex
	log []arrival
}

// statusWriter keeps the status a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (l *arrivalLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := l.clk.Now() // the instant the mock reads too: on a Sim, time stands still while a fetch waits for its answer
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		a := arrival{at: at, status: sw.status}
		if ra := w.Header().Get("Retry-After"); ra != "" {
			sec, err := strconv.ParseFloat(ra, 64)
			if err == nil {
				a.retryAfter = time.Duration(sec * float64(time.Second))
			}
		}
		l.mu.Lock()
		l.log = append(l.log, a)
		l.mu.Unlock()
	})
}

// snapshot returns the arrivals so far.
func (l *arrivalLog) snapshot() []arrival {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]arrival(nil), l.log...)
}

// checkGate asserts that the client kept every wait the mock asked for: a
// request that came after an answer with Retry-After came no earlier than
// that answer's instant plus its Retry-After (requests sent at the same
// instant as that answer were on their way already), and that there was
// at least one such wait, so the test shows something.
func (l *arrivalLog) checkGate(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	waits := 0
	for _, a := range l.log {
		if a.retryAfter == 0 {
			continue
		}
		waits++
		until := a.at.Add(a.retryAfter)
		for _, b := range l.log {
			if b.at.After(a.at) && b.at.Before(until) {
				t.Errorf("a request at +%v, inside the %v Retry-After of the %d at +%v",
					b.at.Sub(fakeT0), a.retryAfter, a.status, a.at.Sub(fakeT0))
			}
		}
	}
	if waits == 0 {
		t.Error("the mock asked for no wait: the test proves nothing")
	}
	if end := l.clk.Now().Sub(fakeT0); end < time.Second {
		t.Errorf("the fake clock moved %v, less than one Retry-After", end)
	}
}

// startLoggedMock serves a mock on loopback whose data requests are
// recorded on clk. Its Instance has the URL and the Server, for the
// helpers; the test server is closed at cleanup.
func startLoggedMock(t testing.TB, cfg mockapi.Config, clk clock.Clock) (*mockapi.Instance, *arrivalLog) {
	t.Helper()
	srv, err := mockapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l := &arrivalLog{clk: clk}
	hs := httptest.NewServer(l.wrap(srv))
	t.Cleanup(func() { srv.Close(); hs.Close(); srv.Wait() })
	return &mockapi.Instance{URL: hs.URL, Addr: hs.Listener.Addr(), Server: srv}, l
}
