package budget

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluicehq/sluice/bench/redistest"
	"github.com/sluicehq/sluice/scrape/clock"
)

func newBudget(t *testing.T, rdb *redis.Client, o Options) *Budget {
	t.Helper()
	b, err := New(rdb, "api.example", o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reserveAll takes n reservations from procs clients ("processes", each
// its own connection pool) with workers goroutines each, and returns
// them sorted by slot.
func reserveAll(t *testing.T, srv *redistest.Server, o Options, procs, workers, n int) []Reservation {
	t.Helper()
	var (
		mu    sync.Mutex
		slots []Reservation
		left  atomic.Int64
		wg    sync.WaitGroup
	)
	left.Store(int64(n))
	for range procs {
		b := newBudget(t, srv.Client(), o)
		for range workers {
			wg.Go(func() {
				for left.Add(-1) >= 0 {
					r, err := b.Take(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					if r.Wait < 0 || r.Rate != o.Rate {
						t.Errorf("reservation %+v: negative wait or rate not %v", r, o.Rate)
					}
					mu.Lock()
					slots = append(slots, r)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	slices.SortStableFunc(slots, func(a, b Reservation) int { return a.Slot.Compare(b.Slot) })
	return slots
}

// TestReserveAdmitsExactlyTheBudget: 4 clients × 8 goroutines reserving
// at once get slots that never exceed the budget and waste none of it: a
// reservation that has to wait goes exactly one interval after the one
// before it (within a microsecond of rounding), so the budget is only
// left unused when nobody asked. The reservations are in the future: the
// test does not wait for them, and how fast the machine issues them does
// not matter.
func TestReserveAdmitsExactlyTheBudget(t *testing.T) {
	srv := redistest.Start(t)
	for _, tc := range []struct {
		name  string
		rate  float64
		burst int
	}{{"even", 100, 1}, {"burst", 50, 5}} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Client().FlushAll(context.Background())
			const n = 160
			rs := reserveAll(t, srv, Options{Rate: tc.rate, Burst: tc.burst}, 4, 8, n)
			if len(rs) != n {
				t.Fatalf("%d reservations; want %d", len(rs), n)
			}
			T := time.Duration(float64(time.Second) / tc.rate)
			waited := 0
			for i := 1; i < n; i++ {
				// GCRA's promise: at most burst requests at once plus one
				// per interval, so burst+1 slots in a row span at least
				// one interval.
				if i >= tc.burst {
					if d := rs[i].Slot.Sub(rs[i-tc.burst].Slot); d < T-time.Microsecond {
						t.Fatalf("slots %d and %d are %v apart; the budget allows %d at once and one per %v", i-tc.burst, i, d, tc.burst, T)
					}
				}
				if rs[i].Wait > 0 {
					waited++
					if d := rs[i].Slot.Sub(rs[i-1].Slot); d > T+time.Microsecond {
						t.Fatalf("reservation %d waited %v but comes %v after the one before; the budget allows %v", i, rs[i].Wait, d, T)
					}
				}
			}
			if waited < n/2 {
				t.Fatalf("only %d of %d reservations waited: the test did not saturate the budget", waited, n)
			}
			if r := srv.Client().HGet(context.Background(), "sl:budget:{api.example}", "requests").Val(); r != "160" {
				t.Fatalf("requests counter %s; want 160", r)
			}
		})
	}
}

// TestThrottledSlowsEveryProcess: a 429 with Retry-After seen by one
// process closes the gate for the other and cuts the shared rate; a 429
// for a request sent before that cut (in flight during it) cuts nothing.
func TestThrottledSlowsEveryProcess(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	a, b := newBudget(t, srv.Client(), Options{Rate: 20}), newBudget(t, srv.Client(), Options{Rate: 20})
	first, err := a.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := a.Throttled(ctx, 2*time.Second, 10*time.Millisecond, true)
	if err != nil || r != 17 {
		t.Fatalf("rate after a 429 = %v, %v; want 17 (85 %% of 20)", r, err)
	}
	got, err := b.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Slot.Sub(first.Slot); d < 2*time.Second || got.Wait < time.Second || got.Rate != 17 {
		t.Fatalf("other process's reservation %+v, %v after the first: want behind the 2 s gate at rate 17", got, d)
	}
	if r, _ := b.Throttled(ctx, 0, time.Second, true); r != 17 {
		t.Fatalf("a 429 for a request sent before the cut moved the rate to %v; want 17", r)
	}
	// The gate opened and a second passed: the rate is back up 5 % of
	// the cut. Moving the recorded cut instant back is the test's clock.
	key := "sl:budget:{api.example}"
	// The script reads Redis's clock a moment after the test does: the
	// rate may be up by 5 %·17/s of that moment too, and no more.
	t0 := time.Now()
	now := time.UnixMicro(srv.Client().Time(ctx).Val().UnixMicro())
	srv.Client().HSet(ctx, key, "cutat", now.Add(-time.Second).UnixMicro(), "gate", 0, "tat", 0)
	got, _ = a.Take(ctx)
	if hi := 17.85 + 0.85*time.Since(t0).Seconds() + 0.002; got.Rate < 17.849 || got.Rate > hi {
		t.Fatalf("rate a second after the cut %v; want 17.85 to %.3f", got.Rate, hi)
	}
	srv.Client().HSet(ctx, key, "cutat", now.Add(-time.Minute).UnixMicro())
	if got, _ := a.Take(ctx); got.Rate != 20 {
		t.Fatalf("rate a minute after the cut %v; want the ceiling 20", got.Rate)
	}
}

// TestNoCeilingCutsFromTheSendRate: without a configured rate the first
// 429 sets one from what was sent in the last second.
func TestNoCeilingCutsFromTheSendRate(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	b := newBudget(t, srv.Client(), Options{})
	for range 40 {
		r, err := b.Take(ctx)
		if err != nil || r.Wait != 0 || r.Rate != 0 {
			t.Fatalf("unlimited reservation %+v, %v; want no wait, no rate", r, err)
		}
	}
	r, err := b.Throttled(ctx, 0, 0, true)
	// The cut rate is 85 % of what the meter counted in this second or
	// the last: some of the 40, however slowly they went.
	if err != nil || r < 0.85 || r > 0.85*40 {
		t.Fatalf("rate after the first 429 %v, %v; want 85 %% of the send rate", r, err)
	}
}

// TestReserveWaitsOutRedisThenGivesUp: with the server killed, Reserve
// retries, gives up after CoordTimeout (on the injected clock) with
// ErrUnreachable and calls OnUnreachable once; after a restart from the
// AOF the budget's state is still there.
func TestReserveWaitsOutRedisThenGivesUp(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	var calls atomic.Int32
	b := newBudget(t, srv.Client(), Options{Rate: 10, CoordTimeout: 30 * time.Second, Clock: &steppingClock{t: time.Unix(1e9, 0)},
		OnUnreachable: func(error) { calls.Add(1) }})
	before, err := b.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	for range 2 {
		if _, err := b.Take(ctx); !errors.Is(err, ErrUnreachable) {
			t.Fatalf("Reserve with redis dead: %v; want ErrUnreachable", err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("OnUnreachable called %d times; want once", n)
	}
	srv.Restart()
	after, err := b.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Slot.After(before.Slot) {
		t.Fatalf("slot after the restart %v not after %v: the budget's state was lost", after.Slot, before.Slot)
	}
}

// steppingClock is a clock whose every look at the time moves it 10 s on,
// so that CoordTimeout runs out after a few retries; its timers are real
// (the retries' short waits).
type steppingClock struct {
	clock.Real
	mu sync.Mutex
	t  time.Time
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(10 * time.Second)
	return c.t
}
