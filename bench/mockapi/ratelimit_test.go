package mockapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// Steps through one window and its edges with a fake clock.
func TestRateLimitWindows(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) // a multiple of 10 s
	clock := &fakeClock{t: t0}
	inst := start(t, Config{Limit: 3, Window: 10 * time.Second, Now: clock.Now,
		Sizes: SizeDist{Kind: SizeFixed, Min: 1 << 10, Max: 1 << 10}})
	c := client()
	steps := []struct {
		at         time.Duration
		app        string
		status     int
		remaining  int
		reset      time.Duration // from t0
		retryAfter string
	}{
		{0, "a", 200, 2, 10 * time.Second, ""},
		{time.Second, "a", 200, 1, 10 * time.Second, ""},
		{9*time.Second + 999*time.Millisecond, "a", 200, 0, 10 * time.Second, ""},
		{10*time.Second - time.Nanosecond, "a", 429, 0, 10 * time.Second, "1"},
		{10*time.Second - time.Nanosecond, "b", 200, 2, 10 * time.Second, ""}, // another client
		{10 * time.Second, "a", 200, 2, 20 * time.Second, ""},                 // the window turned
		{11 * time.Second, "a", 200, 1, 20 * time.Second, ""},
		{12 * time.Second, "a", 200, 0, 20 * time.Second, ""},
		{12*time.Second + 500*time.Millisecond, "a", 429, 0, 20 * time.Second, "8"}, // ceil(7.5 s)
		{13 * time.Second, "a", 429, 0, 20 * time.Second, "7"},
		{35 * time.Second, "a", 200, 2, 40 * time.Second, ""}, // windows skipped
		{35 * time.Second, "", 200, 2, 40 * time.Second, ""},  // no sourceapp: keyed by address
	}
	for i, s := range steps {
		clock.Set(t0.Add(s.at))
		extra := []string{}
		if s.app != "" {
			extra = []string{"sourceapp", s.app}
		}
		r := get(t, c, dataURL(inst, "AS1", extra...))
		if r.err != nil {
			t.Fatalf("step %d: %v", i, r.err)
		}
		h := r.header
		if r.status != s.status || h.Get("X-RateLimit-Limit") != "3" ||
			h.Get("X-RateLimit-Remaining") != strconv.Itoa(s.remaining) ||
			h.Get("X-RateLimit-Reset") != strconv.FormatInt(t0.Add(s.reset).Unix(), 10) ||
			h.Get("Retry-After") != s.retryAfter {
			t.Errorf("step %d (t0+%v, app %q): status %d Limit %s Remaining %s Reset %s Retry-After %q; want %d 3 %d %d %q",
				i, s.at, s.app, r.status, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset"),
				h.Get("Retry-After"), s.status, s.remaining, t0.Add(s.reset).Unix(), s.retryAfter)
		}
		if s.status == 429 {
			var b errorBody
			if err := json.Unmarshal(r.body, &b); err != nil || b.StatusCode != 429 || b.Status != "error" {
				t.Errorf("step %d: 429 body %s (%v)", i, r.body, err)
			}
		}
	}

	// /stats, over HTTP and from Go.
	r := get(t, c, inst.URL+"/stats")
	var st Stats
	if err := json.Unmarshal(r.body, &st); err != nil {
		t.Fatalf("/stats: %v: %s", err, r.body)
	}
	a := st.Clients["a"]
	if a.Requests != 10 || a.Status429 != 3 || a.OK != 7 || a.Bytes <= 0 || a.MaxInWindow != 3 || a.MaxOpen != 1 {
		t.Errorf("stats of a: %+v", a)
	}
	if b := st.Clients["b"]; b.Requests != 1 || b.OK != 1 {
		t.Errorf("stats of b: %+v", b)
	}
	if ip := st.Clients["127.0.0.1"]; ip.Requests != 1 {
		t.Errorf("stats of 127.0.0.1: %+v (all: %+v)", ip, st.Clients)
	}
	if st.Total.Requests != 12 || st.Total.Status429 != 3 {
		t.Errorf("total: %+v", st.Total)
	}
	if goSide := inst.Server.Stats(); goSide.Total != st.Total {
		t.Errorf("Stats() %+v, /stats %+v", goSide.Total, st.Total)
	}
}

// With no limit there are no rate headers and no 429s.
func TestNoLimit(t *testing.T) {
	inst := start(t, Config{Sizes: SizeDist{Kind: SizeFixed, Min: 1 << 10, Max: 1 << 10}})
	c := client()
	for range 20 {
		r := get(t, c, dataURL(inst, "AS1"))
		if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("status %d, X-RateLimit-Limit %q", r.status, r.header.Get("X-RateLimit-Limit"))
		}
	}
}

// A client over its concurrency limit gets 429; others do not.
func TestConcurrencyLimit(t *testing.T) {
	inst := start(t, Config{MaxConcurrent: 1, Faults: Faults{Stall: time.Minute},
		Overrides: map[string]Override{"AS9": {Fault: FaultStall, Size: 1 << 20}},
		Sizes:     SizeDist{Kind: SizeFixed, Min: 1 << 10, Max: 1 << 10}})
	c := client()
	resp, err := c.Get(dataURL(inst, "AS9", "sourceapp", "x")) // headers arrive, then the stall
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, c, dataURL(inst, "AS1", "sourceapp", "x"))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" {
		t.Fatalf("second open request: status %d Retry-After %q, want 429 1", r.status, r.header.Get("Retry-After"))
	}
	var b errorBody
	if err := json.Unmarshal(r.body, &b); err != nil || b.StatusCode != 429 {
		t.Fatalf("429 body %s: %v", r.body, err)
	}
	if r := get(t, c, dataURL(inst, "AS1", "sourceapp", "y")); r.status != 200 {
		t.Fatalf("another client: status %d", r.status)
	}
	resp.Body.Close() // drops the stalled connection; the server notices and frees the slot
	// Wait returns once every handler has returned, the stalled one
	// included (bounded by its one-minute stall): the slot is free then.
	inst.Server.Wait()
	if r := get(t, c, dataURL(inst, "AS1", "sourceapp", "x")); r.status != 200 {
		t.Fatalf("slot not freed after the client left and its handler returned: status %d", r.status)
	}
	if st := inst.Server.Stats().Clients["x"]; st.MaxOpen != 1 || st.Status429 < 1 {
		t.Errorf("stats of x: %+v", st)
	}
}
