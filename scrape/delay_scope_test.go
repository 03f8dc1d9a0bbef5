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

// TestNodeRetryAfter: a 500 with Retry-After delays that node's retry by at
// least what the server asked (a lower bound, so a slow machine cannot make
// it flaky), without closing the client-wide gate for the other nodes.
func TestNodeRetryAfter(t *testing.T) {
	var mu sync.Mutex
	var seen []time.Time // request times of node "a"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("resource") != "a" {
			w.Write([]byte(`{}`))
			return
		}
		mu.Lock()
		seen = append(seen, time.Now())
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
	c := newTestClient(t, srv, nil)
	var body bytes.Buffer
	if _, err := c.Fetch(context.Background(), "a", readAll(&body)); err != nil {
		t.Fatal(err)
	}
	if gap := seen[1].Sub(seen[0]); gap < 900*time.Millisecond {
		t.Errorf("retry %v after the 500, want ≥ the 1 s Retry-After", gap)
	}
	if d := c.limits.gate.delayAt(time.Now().Add(-time.Second)); d > 0 {
		t.Errorf("a 500's Retry-After closed the client-wide gate (%v)", d)
	}
}
