package record_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/scrape/record"
)

// TestReplayRetryAfterTakesNoTime: a live run (on a fake clock, stepped
// as fast as the client sleeps) waits ten minutes for a Retry-After; its
// replay on a clock.Sim waits the same ten minutes of simulated time and
// ends the same way. Nothing waits on the real clock: if anything did, the
// simulated time could not have moved.
func TestReplayRetryAfterTakesNoTime(t *testing.T) {
	var hits atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "600")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"status":"error","message":"slow down"}`)
			return
		}
		io.WriteString(w, `{"status":"ok","data":{"updates":[{"timestamp":"2022-09-12T01:00:00"}]}}`)
	}))
	defer api.Close()
	t0 := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	opts := func(base string, c clock.Clock) scrape.Options {
		return scrape.Options{URL: base + "/data?resource={node}", Clock: c, MaxAttempts: 3,
			StallTimeout: time.Hour, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
	}

	// The live run, its fake clock stepped whenever the client sleeps.
	dir := t.TempDir()
	fake := clock.NewFake(t0)
	rec, err := record.Create(dir, record.Options{Template: api.URL + "/data?resource={node}", Now: fake.Now})
	if err != nil {
		t.Fatal(err)
	}
	o := opts(api.URL, fake)
	o.WrapTransport = rec.Wrap
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			at, err := fake.WaitNext(ctx, fake.Now().Add(11*time.Minute))
			if err != nil {
				return
			}
			fake.Set(at)
		}
	})
	live := fetchOne(t, o, "AS3333")
	cancel()
	wg.Wait()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if waited := fake.Now().Sub(t0); waited < 10*time.Minute {
		t.Fatalf("the live run waited %v of fake time, want the 10 minutes of Retry-After", waited)
	}

	// The replay.
	f, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	sim := clock.NewSim(f.Start())
	tr, err := record.NewTransport(f, record.TransportOptions{Strict: t})
	if err != nil {
		t.Fatal(err)
	}
	ro := opts("http://replay.invalid", sim)
	ro.WrapTransport = func(http.RoundTripper) http.RoundTripper { return tr }
	got := fetchOne(t, ro, "AS3333")
	if got != live {
		t.Errorf("replay %s, live %s", got, live)
	}
	if adv, _ := sim.Advanced(); adv < 10*time.Minute {
		t.Errorf("the replay's clock moved %v, want the recorded 10 minutes", adv)
	}
}

// fetchOne fetches node with a fresh client and describes how it ended.
func fetchOne(t *testing.T, o scrape.Options, node string) string {
	t.Helper()
	c, err := scrape.New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var body string
	res, err := c.Fetch(context.Background(), node, func(r io.Reader) error {
		b, err := io.ReadAll(r)
		body = string(b)
		return err
	})
	return fmt.Sprintf("attempts=%d status=%d err=%v body=%q", res.Attempts, res.Status, err, body)
}

// TestReplayDoesNotDependOnRealTime replays a run of throttled, failing,
// stalled and plain nodes through workers made slow in real time (before
// every request and in every body's consumer: a loaded machine), with a
// request timeout armed while they dawdle. The simulated clock moves only
// when every fetch waits on it, so the replay ends exactly as the run
// did. A clock that moved after a moment of real quiet would fire request
// timeouts under the slow workers: extra attempts, unrecorded requests.
func TestReplayDoesNotDependOnRealTime(t *testing.T) {
	t.Parallel()
	scripts := map[string][]string{
		"AS1": {"429", "ok"},
		"AS2": {"500", "500", "ok"},
		"AS3": {"stall", "ok"},
		"AS4": {"500", "500", "500", "500"}, // a dead letter
		"AS5": {"stall", "429", "500", "ok"},
		"AS6": {"429", "429", "ok"},
	}
	var nodes []string
	for n := range 14 {
		nodes = append(nodes, fmt.Sprintf("AS%d", n+1))
	}
	t0 := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	opts := func(c clock.Clock) scrape.Options {
		return scrape.Options{URL: "http://api.invalid/data?resource={node}", Clock: c, Concurrency: 4,
			MaxAttempts: 4, StallTimeout: 30 * time.Second, RequestTimeout: time.Minute,
			MinBackoff: time.Second, MaxBackoff: 10 * time.Second}
	}

	// The live run, against the scripted server, recorded.
	dir := t.TempDir()
	liveClock := clock.NewSim(t0)
	rec, err := record.Create(dir, record.Options{Template: opts(nil).URL, Now: liveClock.Now})
	if err != nil {
		t.Fatal(err)
	}
	o := opts(liveClock)
	server := &scripted{steps: scripts}
	o.WrapTransport = func(http.RoundTripper) http.RoundTripper { return rec.Wrap(server) }
	live, liveStats := fetchAll(t, o, nodes, 0)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(live["AS4"], "err=scrape") || !strings.Contains(live["AS3"], "attempts=2") {
		t.Fatalf("the scripted run did not go as scripted: %v", live)
	}

	// The replay, with workers slow in real time.
	f, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := record.NewTransport(f, record.TransportOptions{Strict: t})
	if err != nil {
		t.Fatal(err)
	}
	sim := clock.NewSim(f.Start())
	ro := opts(sim)
	ro.WrapTransport = func(http.RoundTripper) http.RoundTripper { return slowTransport{tr} }
	got, gotStats := fetchAll(t, ro, nodes, 2*time.Millisecond)
	for _, n := range nodes {
		if got[n] != live[n] {
			t.Errorf("node %s: replay %s, live %s", n, got[n], live[n])
		}
	}
	if gotStats.Requests != liveStats.Requests || gotStats.Retries != liveStats.Retries ||
		gotStats.Status429 != liveStats.Status429 || gotStats.Stalls != liveStats.Stalls || gotStats.Failures != liveStats.Failures {
		t.Errorf("replay stats %+v, live %+v", gotStats, liveStats)
	}
	if u := tr.Unused(); len(u) > 0 {
		t.Errorf("%d recorded attempts unused", len(u))
	}
	if adv, _ := sim.Advanced(); adv < 20*time.Minute {
		t.Errorf("the replay's clock moved %v, want the recorded Retry-After waits (2 × 10 minutes at least)", adv)
	}
}

// scripted answers each node's requests, in process, from its script:
// "429" (Retry-After: 600), "500", "stall" (the start of a body, then no
// byte until the client gives up), then "ok" for good.
type scripted struct {
	mu    sync.Mutex
	steps map[string][]string
}

const okBody = `{"status":"ok","data":{"updates":[{"timestamp":"2022-09-12T01:00:00"}]}}`

func (s *scripted) RoundTrip(req *http.Request) (*http.Response, error) {
	node := req.URL.Query().Get("resource")
	s.mu.Lock()
	step := "ok"
	if steps := s.steps[node]; len(steps) > 0 {
		step, s.steps[node] = steps[0], steps[1:]
	}
	s.mu.Unlock()
	resp := &http.Response{StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, ContentLength: -1, Request: req}
	var body io.Reader = strings.NewReader(okBody)
	switch step {
	case "429":
		resp.StatusCode = http.StatusTooManyRequests
		resp.Header.Set("Retry-After", "600")
		body = strings.NewReader("slow down")
	case "500":
		resp.StatusCode = http.StatusInternalServerError
		body = strings.NewReader("oops")
	case "stall":
		body = io.MultiReader(strings.NewReader(okBody[:20]), stalled{req.Context()})
	}
	resp.Status = fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	resp.Body = io.NopCloser(body)
	return resp, nil
}

// stalled sends nothing until the request's context ends.
type stalled struct{ ctx context.Context }

func (s stalled) Read([]byte) (int, error) {
	clock.Wait(s.ctx)
	return 0, s.ctx.Err()
}

// slowTransport is a worker on a loaded machine: it takes real time
// before each request reaches the transport.
type slowTransport struct{ next http.RoundTripper }

func (s slowTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	time.Sleep(3 * time.Millisecond)
	return s.next.RoundTrip(req)
}

// fetchAll fetches nodes with 4 workers, each consume taking slow of
// real time first, and describes how each ended.
func fetchAll(t *testing.T, o scrape.Options, nodes []string, slow time.Duration) (map[string]string, scrape.Stats) {
	t.Helper()
	c, err := scrape.New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := make(map[string]string, len(nodes))
	var mu sync.Mutex
	next := make(chan string)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for node := range next {
				var body string
				res, err := c.Fetch(context.Background(), node, func(r io.Reader) error {
					time.Sleep(slow)
					b, err := io.ReadAll(r)
					body = string(b)
					return err
				})
				mu.Lock()
				out[node] = fmt.Sprintf("attempts=%d throttled=%d status=%d err=%v body=%q", res.Attempts, res.Throttled, res.Status, err, body)
				mu.Unlock()
			}
		})
	}
	for _, n := range nodes {
		next <- n
	}
	close(next)
	wg.Wait()
	return out, c.Stats()
}
