package scrape_test

// Integration tests against the real mock API (bench/mockapi) on loopback,
// with the real extractor as consume.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/clock"
)

// The query window of every test request.
var (
	winStart = time.Date(2022, 9, 12, 0, 0, 0, 0, time.UTC)
	winEnd   = winStart.Add(24 * time.Hour)
)

const dataURL = "/data/bgp-updates/data.json?resource={node}&starttime={start}&endtime={end}&sourceapp={app}"

func startMock(t testing.TB, cfg mockapi.Config) *mockapi.Instance {
	t.Helper()
	inst, err := mockapi.Start(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst
}

func mockClient(t testing.TB, inst *mockapi.Instance, tweak func(*scrape.Options)) *scrape.Client {
	t.Helper()
	o := scrape.Options{
		URL:          inst.URL + dataURL,
		Vars:         map[string]string{"start": winStart.Format("2006-01-02T15:04:05"), "end": winEnd.Format("2006-01-02T15:04:05"), "app": "scrape-test"},
		Concurrency:  8,
		MaxAttempts:  12,
		StallTimeout: 300 * time.Millisecond,
		MinBackoff:   time.Millisecond,
		MaxBackoff:   20 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&o)
	}
	c, err := scrape.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// counter is the consume of a batch worker in miniature: it extracts the
// timestamps and the envelope status in one pass, and rejects a body whose
// status is not "ok". Not safe for concurrent use: one per worker.
type counter struct {
	ex     *extract.Extractor
	tally  extract.Tally
	status []byte
}

func newCounter(t testing.TB) *counter {
	ex, err := extract.New(extract.Options{Paths: []string{"data.updates[*].timestamp", "status"}})
	if err != nil {
		t.Fatal(err)
	}
	return &counter{ex: ex}
}

func (c *counter) consume(r io.Reader) error {
	c.tally.Reset()
	c.status = c.status[:0]
	_, err := c.ex.Run(r, func(sel int, raw []byte) error {
		if sel == 0 {
			c.tally.Add(raw)
		} else {
			c.status = append(c.status[:0], raw...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if string(c.status) != `"ok"` {
		return fmt.Errorf("envelope status %s", c.status)
	}
	return nil
}

// outcome is one node's end: its aggregate, or its error.
type outcome struct {
	node               string
	count, first, last int64
	res                scrape.Result
	err                error
}

// fetchAll fetches nodes with workers goroutines, one counter each.
func fetchAll(t testing.TB, f scrape.Fetcher, nodes []string, workers int) []outcome {
	out := make([]outcome, len(nodes))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		c := newCounter(t)
		wg.Go(func() {
			for i := range next {
				res, err := f.Fetch(context.Background(), nodes[i], c.consume)
				out[i] = outcome{node: nodes[i], res: res, err: err}
				if err == nil {
					out[i].count, out[i].first, out[i].last = c.tally.Count, c.tally.First, c.tally.Last
				}
			}
		})
	}
	for i := range nodes {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// checkOutcomes asserts that every node got its true aggregate or a final
// error after maxAttempts, and returns how many succeeded.
func checkOutcomes(t *testing.T, inst *mockapi.Instance, outs []outcome, maxAttempts int) int {
	t.Helper()
	okN := 0
	for _, o := range outs {
		if o.err != nil {
			var fe *scrape.FetchError
			if !errors.As(o.err, &fe) || fe.Node != o.node || fe.Attempts != maxAttempts {
				t.Errorf("node %s: %v, want a FetchError after %d attempts", o.node, o.err, maxAttempts)
			}
			continue
		}
		okN++
		truth, err := inst.Server.Truth(o.node, winStart, winEnd)
		if err != nil {
			t.Fatal(err)
		}
		if o.count != truth.Count || (truth.Count > 0 && (o.first != truth.First || o.last != truth.Last)) {
			t.Errorf("node %s: count %d first %d last %d, truth %d %d %d (after %d attempts)",
				o.node, o.count, o.first, o.last, truth.Count, truth.First, truth.Last, o.res.Attempts)
		}
	}
	return okN
}

// nodes returns n resources: ASNs, or /24 prefixes for prefix "193.0.".
func nodes(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		if prefix == "AS" {
			out[i] = prefix + strconv.Itoa(64500+i)
		} else {
			out[i] = prefix + strconv.Itoa(i) + ".0/24"
		}
	}
	return out
}

var smallBodies = mockapi.SizeDist{Kind: mockapi.SizeUniform, Min: 2 << 10, Max: 40 << 10}

// TestMockEachFault strikes 40 % of the requests with one fault each. The
// 503 case, whose answers all carry a Retry-After of one or two seconds
// that holds the whole client, runs on fake time: client and mock share
// one clock.Sim, which moves only when every fetch waits on it, so the
// seconds the server asks for pass at once and the outcome does not depend
// on the machine's load; the test checks on the server's side that no
// request came inside a wait it asked for. TestMockMixedFaults keeps 503
// on the real clock, end to end, with the mock's real one-second unit.
func TestMockEachFault(t *testing.T) {
	for _, fault := range mockapi.AllFaults() {
		t.Run(string(fault), func(t *testing.T) {
			t.Parallel()
			cfg := mockapi.Config{
				Seed:   7,
				Sizes:  smallBodies,
				Faults: mockapi.Faults{Rates: map[mockapi.Fault]float64{fault: 0.4}, Stall: 10 * time.Second},
			}
			var inst *mockapi.Instance
			var c *scrape.Client
			var arrivals *arrivalLog
			if fault == mockapi.Fault503 {
				sim := clock.NewSim(fakeT0)
				cfg.Now = sim.Now
				inst, arrivals = startLoggedMock(t, cfg, sim)
				c = mockClient(t, inst, func(o *scrape.Options) {
					o.Clock = sim
					o.StallTimeout = time.Hour // no stalls: only the waits under test move the clock
				})
			} else {
				inst = startMock(t, cfg)
				c = mockClient(t, inst, nil)
			}
			outs := fetchAll(t, c, nodes("AS", 12), 6)
			okN := checkOutcomes(t, inst, outs, 12)
			if arrivals != nil {
				arrivals.checkGate(t)
			}
			st := inst.Server.Stats()
			if st.Faults[fault] == 0 {
				t.Errorf("the mock injected no %s fault: the test proves nothing", fault)
			}
			if okN < len(outs)-1 {
				t.Errorf("only %d of %d nodes succeeded with 12 attempts at a 40%% fault rate", okN, len(outs))
			}
			cs := c.Stats()
			if cs.Requests != st.Total.Requests || cs.Retries < st.Faults[fault]-int64(len(outs)-okN)*12 {
				t.Errorf("client stats %+v vs server %+v", cs, st.Total)
			}
			var answered int64
			for _, n := range cs.ByStatus {
				answered += n
			}
			if answered > cs.Requests || cs.ByStatus[429] != cs.Status429 || cs.ByStatus[200] < int64(okN) {
				t.Errorf("responses by status %v do not add up: %d requests, %d 429s, %d nodes ok", cs.ByStatus, cs.Requests, cs.Status429, okN)
			}
			if fault == mockapi.FaultStall && cs.Stalls == 0 {
				t.Errorf("stall faults but no stall counted: %+v", cs)
			}
		})
	}
}

// TestMockMixedFaults strikes 4 % of the requests with each fault, on the
// real clock.
func TestMockMixedFaults(t *testing.T) {
	rates := map[mockapi.Fault]float64{}
	for _, f := range mockapi.AllFaults() {
		rates[f] = 0.04
	}
	var logs bytes.Buffer
	var mu sync.Mutex
	inst := startMock(t, mockapi.Config{Seed: 11, Sizes: smallBodies, Faults: mockapi.Faults{Rates: rates, Stall: 10 * time.Second}})
	c := mockClient(t, inst, func(o *scrape.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	outs := fetchAll(t, c, append(nodes("AS", 30), nodes("193.0.", 10)...), 8)
	if okN := checkOutcomes(t, inst, outs, 12); okN != len(outs) {
		t.Errorf("%d of %d nodes succeeded", okN, len(outs))
	}
	st := inst.Server.Stats()
	if st.Total.Faults < 5 {
		t.Errorf("only %d faults injected", st.Total.Faults)
	}
	// This test is the real-clock end-to-end one for the 503's Retry-After
	// (TestMockEachFault runs 503 on fake time): it must see one.
	if st.Faults[mockapi.Fault503] == 0 {
		t.Errorf("no 503 injected (faults %v): the real-clock Retry-After goes untested", st.Faults)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestMockPermanentFailures(t *testing.T) {
	inst := startMock(t, mockapi.Config{Seed: 3, Sizes: smallBodies, Overrides: map[string]mockapi.Override{
		"AS100": {Fault: mockapi.FaultHTML},
		"AS101": {Fault: mockapi.FaultMaintenance},
		"AS102": {Fault: mockapi.FaultTruncate},
		"AS103": {Fault: mockapi.Fault502},
	}})
	c := mockClient(t, inst, func(o *scrape.Options) { o.MaxAttempts = 3 })
	tests := []struct {
		node     string
		attempts int
		status   int
		want     string
	}{
		{"AS100", 3, 200, "consume: extract:"},
		{"AS101", 3, 200, `consume: envelope status "maintenance"`},
		{"AS102", 3, 200, "consume: extract:"},
		{"AS103", 3, 502, "HTTP 502 Bad Gateway"},
		{"not-a-resource", 1, 400, "HTTP 400 Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.node, func(t *testing.T) {
			_, err := c.Fetch(context.Background(), tt.node, newCounter(t).consume)
			var fe *scrape.FetchError
			if !errors.As(err, &fe) || fe.Attempts != tt.attempts || fe.LastStatus != tt.status || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a FetchError after %d attempts, status %d, containing %q", err, tt.attempts, tt.status, tt.want)
			}
		})
	}
}

// TestMockSettlesUnderRateLimit starts a client at three times the
// server's limit and checks, window by window on the server's side, that
// from the second window on it gets at least 90 % of the limit with at
// most 5 % of its requests refused, and that the server never admits more
// than the limit in a window. Client and mock run on one clock.Sim, which
// moves only when every fetch waits on it: the windows are the mock's own
// (Config.Now), not the machine's, so the outcome does not depend on the
// load. The real-clock end-to-end test of the same behaviour is
// TestCoordSharesTheServersQuota (cmd/sluice): real binaries against this
// mock's windows on real time, at most 5 % of the requests refused.
func TestMockSettlesUnderRateLimit(t *testing.T) {
	const limit, window, windows = 25, time.Second, 4
	sim := clock.NewSim(fakeT0) // fakeT0 is on a whole second: windows start there
	inst, arrivals := startLoggedMock(t, mockapi.Config{Seed: 5, Limit: limit, Window: window, Now: sim.Now,
		Sizes: mockapi.SizeDist{Kind: mockapi.SizeFixed, Min: 1 << 10, Max: 1 << 10}}, sim)
	c := mockClient(t, inst, func(o *scrape.Options) {
		o.Clock = sim
		o.Rate = 3 * limit / window.Seconds()
		o.Vars["app"] = "ratetest"
		o.StallTimeout = time.Hour // no stalls: only the limits move the clock
		o.SpeedTime = time.Hour
	})
	end := fakeT0.Add(windows * window)
	var wg sync.WaitGroup
	for w := range 6 {
		cnt := newCounter(t)
		wg.Go(func() {
			for i := 0; i < 10_000 && sim.Now().Before(end); i++ {
				node := "AS" + strconv.Itoa(w*10_000+i)
				if _, err := c.Fetch(context.Background(), node, cnt.consume); err != nil {
					t.Errorf("node %s: %v", node, err)
					return
				}
			}
		})
	}
	wg.Wait()
	type tally struct{ requests, ok, refused int }
	per := make([]tally, windows)
	for _, a := range arrivals.snapshot() {
		k := int(a.at.Sub(fakeT0) / window)
		if k >= windows {
			continue // a fetch that began before the end and ended after it
		}
		per[k].requests++
		switch a.status {
		case http.StatusOK:
			per[k].ok++
		case http.StatusTooManyRequests:
			per[k].refused++
		}
	}
	for k, w := range per {
		t.Logf("window %d: %d requests, %d ok, %d refused", k, w.requests, w.ok, w.refused)
		if w.ok > limit {
			t.Errorf("window %d: %d answered 200, limit %d", k, w.ok, limit)
		}
		if k == 0 {
			continue // the client learns the limit here
		}
		if w.ok < limit*9/10 {
			t.Errorf("window %d: %d answered 200, < 90%% of the limit %d", k, w.ok, limit)
		}
		if float64(w.refused) > 0.05*float64(w.requests) {
			t.Errorf("window %d: %d of %d requests refused (> 5%%)", k, w.refused, w.requests)
		}
	}
	if st := inst.Server.Stats().Clients["ratetest"]; st.MaxInWindow > limit {
		t.Errorf("server admitted %d in one window, limit %d", st.MaxInWindow, limit)
	}
	t.Logf("client %+v; fake time %v", c.Stats(), sim.Now().Sub(fakeT0))
}

func TestMockCaptureReplayEqualsLive(t *testing.T) {
	dir := t.TempDir()
	inst := startMock(t, mockapi.Config{Seed: 9, Sizes: smallBodies, Faults: mockapi.Faults{Rates: map[mockapi.Fault]float64{
		mockapi.FaultTruncate: 0.2, mockapi.FaultError: 0.1, mockapi.FaultReset: 0.1}}})
	c := mockClient(t, inst, func(o *scrape.Options) { o.CaptureDir = dir })
	ns := append(nodes("AS", 10), "193.0.0.0/21", "2001:db8::/32")
	live := fetchAll(t, c, ns, 4)
	if okN := checkOutcomes(t, inst, live, 12); okN != len(ns) {
		t.Fatalf("%d of %d live fetches succeeded", okN, len(ns))
	}
	replay := fetchAll(t, scrape.NewReplayer(dir), ns, 4)
	for i := range ns {
		l, r := live[i], replay[i]
		if r.err != nil || r.count != l.count || r.first != l.first || r.last != l.last || r.res.BodyBytes != l.res.BodyBytes {
			t.Errorf("node %s: replay %+v, live %+v", ns[i], r, l)
		}
	}
}

func TestMockSecretsAbsentFromLogs(t *testing.T) {
	const headerSecret, querySecret = "hdr-0f1e2d3c4b5a", "qry-99887766aabb"
	var logs bytes.Buffer
	var mu sync.Mutex
	inst := startMock(t, mockapi.Config{Seed: 13, Sizes: smallBodies, Faults: mockapi.Faults{Rates: map[mockapi.Fault]float64{
		mockapi.Fault500: 0.3, mockapi.FaultReset: 0.3, mockapi.FaultHTML: 0.3}}})
	c := mockClient(t, inst, func(o *scrape.Options) {
		o.URL += "&api_key={key}"
		o.Vars["key"] = querySecret
		o.Header = http.Header{"Authorization": {"Bearer " + headerSecret}}
		o.MaxAttempts = 3
		o.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	outs := fetchAll(t, c, nodes("AS", 12), 4)
	inst.Close() // and connection errors, whose messages carry the URL
	outs = append(outs, fetchAll(t, c, nodes("AS", 2), 1)...)
	text := logs.String()
	failures := 0
	for _, o := range outs {
		if o.err != nil {
			failures++
			text += o.err.Error() + "\n"
		}
	}
	if failures < 2 || !strings.Contains(text, "retry") {
		t.Fatalf("not enough failures to test: %d\n%s", failures, text)
	}
	for _, s := range []string{headerSecret, querySecret} {
		if strings.Contains(text, s) {
			t.Errorf("secret %q appears in logs or errors:\n%s", s, text)
		}
	}
}

// TestMockConcurrencyCap: with Concurrency equal to the server's
// MaxConcurrent, twice as many workers never get a 429 for too many open
// requests, and the server never sees more than the cap.
func TestMockConcurrencyCap(t *testing.T) {
	inst := startMock(t, mockapi.Config{Seed: 2, MaxConcurrent: 3, Sizes: smallBodies,
		Latency: mockapi.Latency{Kind: mockapi.LatencyFixed, A: 2 * time.Millisecond}})
	c := mockClient(t, inst, func(o *scrape.Options) {
		o.Concurrency = 3
		// An attempt abandoned on a loaded machine would leave its
		// request open on the server for a moment: not what this tests.
		o.StallTimeout = 10 * time.Second
	})
	outs := fetchAll(t, c, nodes("AS", 40), 6)
	if okN := checkOutcomes(t, inst, outs, 12); okN != len(outs) {
		t.Errorf("%d of %d nodes succeeded", okN, len(outs))
	}
	st := inst.Server.Stats().Clients["scrape-test"]
	if st.Status429 != 0 || st.MaxOpen > 3 || st.Requests != int64(len(outs)) {
		t.Errorf("server saw %+v", st)
	}
}
