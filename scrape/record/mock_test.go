package record_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/scrape/record"
)

// The query window of every test request.
var (
	winStart = time.Date(2022, 9, 12, 0, 0, 0, 0, time.UTC)
	winEnd   = winStart.Add(24 * time.Hour)
)

const dataPath = "/data/bgp-updates/data.json?resource={node}&starttime={start}&endtime={end}&sourceapp={app}&key={key}"

// faultyMock serves every fault at once, and two resources that always fail.
func faultyMock(t testing.TB) *mockapi.Instance {
	t.Helper()
	rates := map[mockapi.Fault]float64{}
	for _, f := range mockapi.AllFaults() {
		rates[f] = 0.04
	}
	inst, err := mockapi.Start(mockapi.Config{
		Seed:   21,
		Sizes:  mockapi.SizeDist{Kind: mockapi.SizeUniform, Min: 2 << 10, Max: 40 << 10},
		Faults: mockapi.Faults{Rates: rates, Stall: 10 * time.Second},
		Overrides: map[string]mockapi.Override{
			"AS64999": {Fault: mockapi.FaultHTML},
			"AS64998": {Fault: mockapi.Fault502},
		},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst
}

// clientOptions are the options of the live run and of its replays.
func clientOptions(base string) scrape.Options {
	return scrape.Options{
		URL: base + dataPath,
		Vars: map[string]string{"start": winStart.Format("2006-01-02T15:04:05"),
			"end": winEnd.Format("2006-01-02T15:04:05"), "app": "record-test", "key": "s3cret-api-key"},
		Header:       http.Header{"X-Api-Token": {"header-secret-value"}},
		Concurrency:  8,
		MaxAttempts:  6,
		StallTimeout: 200 * time.Millisecond,
		MinBackoff:   time.Millisecond,
		MaxBackoff:   5 * time.Millisecond,
	}
}

func testNodes(n int) []string {
	out := make([]string, 0, n+2)
	for i := range n {
		out = append(out, "AS"+strconv.Itoa(64500+i))
	}
	return append(out, "AS64999", "AS64998")
}

// outcome is one node's end as a run would store it.
type outcome struct {
	count, first, last int64
	attempts, status   int
	failed             bool
}

func (o outcome) String() string {
	return fmt.Sprintf("count=%d first=%d last=%d attempts=%d status=%d failed=%v",
		o.count, o.first, o.last, o.attempts, o.status, o.failed)
}

// run fetches nodes with 6 workers and returns each one's outcome.
func run(t testing.TB, f scrape.Fetcher, nodes []string) map[string]outcome {
	t.Helper()
	out := make(map[string]outcome, len(nodes))
	var mu sync.Mutex
	next := make(chan string)
	var wg sync.WaitGroup
	for range 6 {
		ex, err := extract.New(extract.Options{Paths: []string{"data.updates[*].timestamp", "status"}})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for node := range next {
				var tally extract.Tally
				var status string
				consume := func(r io.Reader) error {
					tally.Reset()
					status = ""
					if _, err := ex.Run(r, func(sel int, raw []byte) error {
						if sel == 0 {
							tally.Add(raw)
						} else {
							status = string(raw)
						}
						return nil
					}); err != nil {
						return err
					}
					if status != `"ok"` {
						return fmt.Errorf("envelope status %s", status)
					}
					return nil
				}
				res, err := f.Fetch(context.Background(), node, consume)
				o := outcome{attempts: res.Attempts, status: res.Status}
				var fe *scrape.FetchError
				switch {
				case errors.As(err, &fe):
					o.failed = true
				case err != nil:
					t.Errorf("node %s: %v", node, err)
				default:
					o.count, o.first, o.last = tally.Count, tally.First, tally.Last
				}
				mu.Lock()
				out[node] = o
				mu.Unlock()
			}
		})
	}
	for _, n := range nodes {
		next <- n
	}
	close(next)
	wg.Wait()
	return out
}

// recordRun runs nodes against the faulty mock through a Recorder.
func recordRun(t testing.TB, dir string, nodes []string) (map[string]outcome, scrape.Stats) {
	t.Helper()
	inst := faultyMock(t)
	o := clientOptions(inst.URL)
	rec, err := record.Create(dir, record.Options{
		Template: o.URL, Vars: o.Vars, Secrets: []string{"s3cret-api-key", "header-secret-value"},
		Params: map[string]string{"test": t.Name()},
	})
	if err != nil {
		t.Fatal(err)
	}
	o.WrapTransport = rec.Wrap
	c, err := scrape.New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	live := run(t, c, nodes)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	st := inst.Server.Stats()
	if st.Total.Faults < 5 {
		t.Fatalf("the mock injected only %d faults: the test proves nothing", st.Total.Faults)
	}
	return live, c.Stats()
}

// replayClient is a scrape client whose transport is the recording, on
// simulated time.
func replayClient(t testing.TB, f *record.Folder, base string) (*scrape.Client, *record.Transport) {
	t.Helper()
	tr, err := record.NewTransport(f, record.TransportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := clientOptions(base)
	o.Clock = clock.NewSim(f.Start())
	o.WrapTransport = func(http.RoundTripper) http.RoundTripper { return tr }
	c, err := scrape.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, tr
}

func sameOutcomes(t *testing.T, what string, live, got map[string]outcome) bool {
	t.Helper()
	same := true
	for node, want := range live {
		if got[node] != want {
			t.Errorf("%s: node %s: %v, live run %v", what, node, got[node], want)
			same = false
		}
	}
	return same
}
