package budget_test

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/bench/redistest"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/budget"
)

// client is one "process": its own Redis connection, Budget and
// scrape.Client.
func client(t *testing.T, srv *redistest.Server, mock *mockapi.Instance, rate float64, attempts int, trips *countHook) (*scrape.Client, *budget.Budget) {
	t.Helper()
	rdb := srv.Client()
	rdb.AddHook(trips)
	b, err := budget.New(rdb, "mock", budget.Options{Rate: rate})
	if err != nil {
		t.Fatal(err)
	}
	c, err := scrape.New(scrape.Options{URL: mock.URL + mockapi.DataPath + "?resource={node}", Rate: rate,
		Concurrency: 4, MaxAttempts: attempts, Budget: b})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, b
}

func fetchAll(t *testing.T, cs []*scrape.Client, nodes int) (ok int) {
	t.Helper()
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for i := range nodes {
		c := cs[i%len(cs)]
		wg.Go(func() {
			_, err := c.Fetch(context.Background(), fmt.Sprintf("AS%d", i+1), func(r io.Reader) error {
				_, err := io.Copy(io.Discard, r)
				return err
			})
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return ok
}

// countHook counts a client's round trips to Redis (a pipeline is one).
type countHook struct{ n atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(1); return next(ctx, cmds) }
}

// TestClientsTakeOneReservationPerRequest: two clients sharing a budget
// fetch every node, and the budget counted exactly the requests the mock
// received: one reservation per request, no polling, and no more than
// two round trips to Redis per request (the target; one, plus
// the script's first load).
func TestClientsTakeOneReservationPerRequest(t *testing.T) {
	srv := redistest.Start(t)
	mock, err := mockapi.Start(mockapi.Config{Seed: 1, Sizes: mockapi.SizeDist{Kind: mockapi.SizeFixed, Min: 2000, Max: 2000}}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer mock.Close()
	var trips countHook
	a, _ := client(t, srv, mock, 200, 3, &trips)
	b, _ := client(t, srv, mock, 200, 3, &trips)
	if ok := fetchAll(t, []*scrape.Client{a, b}, 40); ok != 40 {
		t.Fatalf("%d of 40 nodes fetched", ok)
	}
	sent := a.Stats().Requests + b.Stats().Requests
	if n := trips.n.Load(); n > 2*sent {
		t.Fatalf("%d round trips to redis for %d requests; want at most 2 per request", n, sent)
	}
	got := mock.Server.Stats().Total.Requests
	reserved, _ := strconv.ParseInt(srv.Client().HGet(context.Background(), "sl:budget:{mock}", "requests").Val(), 10, 64)
	if sent != got || reserved != got {
		t.Fatalf("clients sent %d, mock got %d, budget reserved %d; want all equal", sent, got, reserved)
	}
}

// TestOne429SlowsEveryClient: 429s that one client gets (the mock allows
// one request open at a time; the client sends four) cut the shared rate,
// which the other client, which sent nothing, then obeys.
func TestOne429SlowsEveryClient(t *testing.T) {
	srv := redistest.Start(t)
	mock, err := mockapi.Start(mockapi.Config{Seed: 1, MaxConcurrent: 1, RetryAfter: 50 * time.Millisecond, Latency: mockapi.Latency{Kind: mockapi.LatencyFixed, A: 20 * time.Millisecond},
		Sizes: mockapi.SizeDist{Kind: mockapi.SizeFixed, Min: 2000, Max: 2000}}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer mock.Close()
	var trips countHook
	a, _ := client(t, srv, mock, 200, 1, &trips)
	_, other := client(t, srv, mock, 200, 1, &trips)
	fetchAll(t, []*scrape.Client{a}, 8)
	if n := mock.Server.Stats().Total.Status429; n == 0 {
		t.Fatal("the mock refused nothing; the test needs 429s")
	}
	h := srv.Client().HGetAll(context.Background(), "sl:budget:{mock}").Val()
	if h["status429"] == "" || h["status429"] == "0" || h["cut"] == "" {
		t.Fatalf("budget after 429s: %v; want status429 counted and the rate cut", h)
	}
	r, err := other.Take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Rate >= 200 || r.Rate <= 0 {
		t.Fatalf("the other client's rate %v; want cut below 200 by the first client's 429s", r.Rate)
	}
}

// TestSlotsCapRequestsInFlight: two clients of 4 workers each against a
// mock that answers 429 to a third open request: with 2 shared slots
// none is refused; without them, the same run is.
func TestSlotsCapRequestsInFlight(t *testing.T) {
	srv := redistest.Start(t)
	for _, shared := range []bool{true, false} {
		mock, err := mockapi.Start(mockapi.Config{Seed: 1, MaxConcurrent: 2, RetryAfter: 50 * time.Millisecond, Latency: mockapi.Latency{Kind: mockapi.LatencyFixed, A: 20 * time.Millisecond},
			Sizes: mockapi.SizeDist{Kind: mockapi.SizeFixed, Min: 2000, Max: 2000}}, "")
		if err != nil {
			t.Fatal(err)
		}
		defer mock.Close()
		var cs []*scrape.Client
		for range 2 {
			b, err := budget.New(srv.Client(), "slots", budget.Options{})
			if err != nil {
				t.Fatal(err)
			}
			o := scrape.Options{URL: mock.URL + mockapi.DataPath + "?resource={node}", Concurrency: 4, MaxAttempts: 1, Budget: b}
			if shared {
				if o.Slots, err = budget.NewSlots(srv.Client(), "mock", 2, b); err != nil {
					t.Fatal(err)
				}
			}
			c, err := scrape.New(o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			cs = append(cs, c)
		}
		ok := fetchAll(t, cs, 16)
		st := mock.Server.Stats().Total
		switch {
		case shared && (ok != 16 || st.Status429 != 0 || st.MaxOpen > 2):
			t.Fatalf("with 2 shared slots: %d of 16 ok, %d 429s, %d open at most; want all, none, 2", ok, st.Status429, st.MaxOpen)
		case !shared && st.Status429 == 0:
			t.Fatal("without shared slots the mock refused nothing: the test cannot tell")
		}
	}
}
