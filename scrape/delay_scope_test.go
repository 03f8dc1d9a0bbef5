package scrape

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/scrape/clock"
)

// TestNodeRetryAfter: a 500 with Retry-After delays that node's retry by
// what the server asked, measured on fake time, without closing the
// client-wide gate for the other nodes.
func TestNodeRetryAfter(t *testing.T) {
	clk := runTime(t)
	var mu sync.Mutex
	var seen []time.Time // request times of node "a"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("resource") != "a" {
			w.Write([]byte(`{}`))
			return
		}
		mu.Lock()
		seen = append(seen, clk.Now())
		first := len(seen) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "backend hiccup", http.StatusInternalServerError)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := newTestClient(t, srv, onFakeTime(clk))
	var body bytes.Buffer
	if _, err := c.Fetch(context.Background(), "a", readAll(&body)); err != nil {
		t.Fatal(err)
	}
	if gap := seen[1].Sub(seen[0]); gap < time.Second || gap > time.Second+10*time.Millisecond {
		t.Errorf("retry %v after the 500, want the 1 s Retry-After", gap)
	}
	if d := c.limits.gate.delayAt(seen[0]); d > 0 {
		t.Errorf("a 500's Retry-After closed the client-wide gate (%v)", d)
	}
}

// TestWaitLogged: a far-future reset pauses the client for the capped 15
// minutes, and the INFO log says that (not the header's 31 years), with
// the header and the node. On fake time: nothing waits.
func TestWaitLogged(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", "999999999")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	}))
	defer srv.Close()
	var logs bytes.Buffer
	clk := clock.NewFake(fakeT0)
	c := newTestClient(t, srv, func(o *Options) {
		onFakeTime(clk)(o)
		o.MaxNodeTime = time.Minute // fails at once: the gate opens past it
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	if _, err := c.Fetch(context.Background(), "AS9", readAll(&bytes.Buffer{})); err == nil {
		t.Fatal("no error")
	}
	line := logs.String()
	for _, want := range []string{"level=INFO", "wait=15m0s", "header=X-RateLimit-Reset", "node=AS9"} {
		if !strings.Contains(line, want) {
			t.Errorf("log lacks %q:\n%s", want, line)
		}
	}
}
