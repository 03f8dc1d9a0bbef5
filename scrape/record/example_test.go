package record_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

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
