package scrape

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
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
