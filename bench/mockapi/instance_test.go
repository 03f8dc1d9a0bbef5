package mockapi

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// A graceful Shutdown does not wait out a stall: the stall ends with its
// reset, the shutdown completes well before its deadline.
func TestShutdownEndsStalls(t *testing.T) {
	inst, err := Start(Config{Faults: Faults{Stall: 10 * time.Minute},
		Overrides: map[string]Override{"AS1": {Fault: FaultStall, Size: 1 << 20}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client().Get(dataURL(inst, "AS1"))
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, resp.Body); read <- err }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-read; err == nil {
		t.Error("the stalled body read to its end without error")
	}
	resp.Body.Close()
	if _, err := http.Get(inst.URL + "/stats"); err == nil {
		t.Error("still serving after Shutdown")
	}
}

// Close ends latencies: a request waiting for its first byte does not
// hold Close up.
func TestCloseEndsLatency(t *testing.T) {
	s, err := New(Config{Latency: Latency{Kind: LatencyFixed, A: 10 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	arrived := make(chan struct{})
	var once sync.Once
	inst, err := serve(s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		s.ServeHTTP(w, r)
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		resp, err := client().Get(dataURL(inst, "AS1"))
		if err == nil {
			resp.Body.Close()
			t.Logf("status %d header %v", resp.StatusCode, resp.Header)
		}
		got <- err
	}()
	<-arrived // the request is in the handler, waiting out its latency
	if err := inst.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err == nil {
		t.Error("a request answered despite a 10-minute latency")
	}
}
