package record_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/scrape/record"
)

// Record two exchanges of a flaky API, then serve them back to the code
// under test, in order, as a regression test would.
func Example() {
	dir, _ := os.MkdirTemp("", "recording")
	defer os.RemoveAll(dir)

	// The flaky API: a 503 first, then the answer.
	calls := 0
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls++; calls == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer api.Close()

	// Record: wrap the client's transport.
	rec, err := record.Create(dir, record.Options{Template: api.URL + "/v1/{node}"})
	if err != nil {
		log.Fatal(err)
	}
	live := &http.Client{Transport: rec.Wrap(http.DefaultTransport)}
	for range 2 {
		resp, err := live.Get(api.URL + "/v1/AS3333")
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err := rec.Close(); err != nil {
		log.Fatal(err)
	}

	// Replay: the same answers, by node, for any host.
	f, err := record.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	tr, err := record.NewTransport(f, record.TransportOptions{})
	if err != nil {
		log.Fatal(err)
	}
	replay := &http.Client{Transport: tr}
	for range 3 {
		resp, err := replay.Get("https://api.example/v1/AS3333")
		if err != nil {
			fmt.Println("error:", strings.Contains(err.Error(), "no recorded exchange"))
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, strings.TrimSpace(string(b)))
	}
	// Output:
	// 503 busy
	// 200 {"status":"ok"}
	// error: true
}

// A night's run turned into a regression test: the client's exchanges
// are recorded once (here a 429 that asks for ten minutes, then the
// answer), then replayed through the same client on simulated time: the
// same requests get the same answers, and the ten minutes pass in no
// real time. (The "night" runs on a clock.Sim too, so that this example
// does not wait either; sluice ripestat --record DIR records a real one.)
func Example_regressionTest() {
	dir, _ := os.MkdirTemp("", "night")
	defer os.RemoveAll(dir)
	calls := 0
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls++; calls == 1 {
			w.Header().Set("Retry-After", "600")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, `{"status":"ok","data":{"updates":[{"timestamp":"2026-11-21T03:00:00"}]}}`)
	}))
	defer api.Close()
	fetch := func(o scrape.Options) {
		c, err := scrape.New(o)
		if err != nil {
			log.Fatal(err)
		}
		defer c.Close()
		var body []byte
		res, err := c.Fetch(context.Background(), "AS3333", func(r io.Reader) (err error) {
			body, err = io.ReadAll(r)
			return err
		})
		fmt.Printf("%d requests (%d throttled), err %v: %s\n", res.Attempts, res.Throttled, err, body)
	}

	// The night: the client's transport wrapped by a Recorder.
	night := clock.NewSim(time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC))
	rec, err := record.Create(dir, record.Options{Template: api.URL + "/v1/{node}", Now: night.Now})
	if err != nil {
		log.Fatal(err)
	}
	fetch(scrape.Options{URL: api.URL + "/v1/{node}", Clock: night, WrapTransport: rec.Wrap})
	if err := rec.Close(); err != nil {
		log.Fatal(err)
	}

	// The regression test: the recording instead of the network (in a
	// test, TransportOptions{Strict: t} also fails it on any request the
	// recording lacks), on a clock that starts at the recorded night.
	f, err := record.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	tr, err := record.NewTransport(f, record.TransportOptions{})
	if err != nil {
		log.Fatal(err)
	}
	sim := clock.NewSim(f.Start())
	fetch(scrape.Options{URL: "https://api.example/v1/{node}", Clock: sim,
		WrapTransport: func(http.RoundTripper) http.RoundTripper { return tr }})
	waited, _ := sim.Advanced()
	fmt.Println("simulated wait:", waited)
	// Output:
	// 2 requests (1 throttled), err <nil>: {"status":"ok","data":{"updates":[{"timestamp":"2026-11-21T03:00:00"}]}}
	// 2 requests (1 throttled), err <nil>: {"status":"ok","data":{"updates":[{"timestamp":"2026-11-21T03:00:00"}]}}
	// simulated wait: 10m0s
}

// A regression test over a recording kept in testdata: the code under
// test talks to the server as to the real API, and NewTestServer fails
// the test on any request the recording does not hold.
func ExampleNewTestServer() {
	test := func(t *testing.T) {
		srv := record.NewTestServer(t, "testdata/night-run", record.ServerOptions{})
		resp, err := http.Get(srv.URL + "/v1/AS3333")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		// … assert what the code under test made of it
	}
	_ = test
}
