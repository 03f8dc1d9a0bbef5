package record_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
// replay on a SimClock waits the same ten minutes of simulated time and
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
	sim := record.NewSimClock(f.Start())
	tr, err := record.NewTransport(f, record.TransportOptions{Strict: t})
	if err != nil {
		t.Fatal(err)
	}
	ro := opts("http://replay.invalid", sim)
	ro.WrapTransport = func(http.RoundTripper) http.RoundTripper { return tr }
	ctx, cancel = context.WithCancel(context.Background())
	wg.Go(func() { tr.Drive(ctx, sim) })
	got := fetchOne(t, ro, "AS3333")
	cancel()
	wg.Wait()
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
