package scrape

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/scrape/clock"
)

// TestSpeedLimitCutsADrip: a body that sends a few bytes and then next to
// nothing never trips the stall timer in life (each byte re-arms it), but
// the default minimum speed (35 B/s over 30 s) abandons it. On fake time:
// the test moves the clock by one SpeedTime once the body is being read.
func TestSpeedLimitCutsADrip(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data":`))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	clk := clock.NewFake(fakeT0)
	c := newTestClient(t, srv, func(o *Options) {
		o.Clock, o.StallTimeout, o.MaxAttempts = clk, time.Hour, 1
	})
	done := make(chan error, 1)
	go func() {
		_, err := c.Fetch(context.Background(), "AS1", checkJSON)
		done <- err
	}()
	if err := clk.WaitTimers(context.Background(), 2); err != nil { // stall and speed timers: the body is open
		t.Fatal(err)
	}
	clk.Advance(DefaultSpeedTime)
	err := <-done
	if !errors.Is(err, ErrTooSlow) || !strings.Contains(err.Error(), "under 35 bytes/s for 30s") {
		t.Fatalf("err = %v, want ErrTooSlow", err)
	}
	if st := c.Stats(); st.Stalls != 1 {
		t.Errorf("stats %+v, want the cut counted with the stalls", st)
	}
}

// TestSpeedLimitKeepsASteadyBody: a body that keeps coming at 20 times the
// minimum speed is never cut, even though it lasts several periods (real
// clock, 100 ms periods).
func TestSpeedLimitKeepsASteadyBody(t *testing.T) {
	const chunks = 12
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data":[0`))
		for range chunks {
			time.Sleep(50 * time.Millisecond) // the server's pace, not a test waiting for a state
			w.Write([]byte("," + strings.Repeat("1,", 500) + "1"))
			w.(http.Flusher).Flush()
		}
		w.Write([]byte(`]}`))
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(o *Options) {
		o.SpeedLimit, o.SpeedTime, o.MaxAttempts = 1000, 100*time.Millisecond, 1 // 100 B per 100 ms; the body moves ~2000
	})
	var body bytes.Buffer
	if _, err := c.Fetch(context.Background(), "AS1", readAll(&body)); err != nil {
		t.Fatalf("a steady body was cut: %v", err)
	}
	if want := 10 + chunks*1002 + 2; body.Len() != want {
		t.Errorf("body %d bytes, want %d", body.Len(), want)
	}
}
