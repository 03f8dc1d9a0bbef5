package clock_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/scrape/clock"
)

// TestSimMovesWhenEveryStretchWaits: stretches that sleep wake at exactly
// their instants, in order, with no one moving the clock by hand.
func TestSimMovesWhenEveryStretchWaits(t *testing.T) {
	t.Parallel()
	s := clock.NewSim(t0)
	sleeps := [][]time.Duration{
		{time.Second, 10 * time.Minute},
		{3 * time.Second},
		{2 * time.Second, time.Second, time.Hour},
	}
	woke := make([][]time.Duration, len(sleeps))
	var wg sync.WaitGroup
	for i, ds := range sleeps {
		// Open every stretch before any sleeps: a goroutine not yet
		// started does not hold time.
		ctx, done := clock.Act(context.Background(), s)
		wg.Go(func() {
			defer done()
			for _, d := range ds {
				from := s.Now()
				if err := clock.Sleep(ctx, s, d); err != nil {
					t.Error(err)
				}
				if got := s.Now().Sub(from); got != d {
					t.Errorf("stretch %d: a sleep of %v took %v of simulated time", i, d, got)
				}
				woke[i] = append(woke[i], s.Now().Sub(t0))
			}
		})
	}
	wg.Wait()
	want := [][]time.Duration{
		{time.Second, time.Second + 10*time.Minute},
		{3 * time.Second},
		{2 * time.Second, 3 * time.Second, 3*time.Second + time.Hour},
	}
	if fmt.Sprint(woke) != fmt.Sprint(want) {
		t.Errorf("woke at %v, want %v", woke, want)
	}
	if adv, _ := s.Advanced(); adv != 3*time.Second+time.Hour {
		t.Errorf("Advanced = %v", adv)
	}
}

// TestSimHoldsTimeWhileAStretchActs: a stretch that is slow in real time
// between two waits (a loaded machine) holds the clock still, however
// long it takes: another stretch's hour-long sleep does not end under it.
func TestSimHoldsTimeWhileAStretchActs(t *testing.T) {
	t.Parallel()
	s := clock.NewSim(t0)
	ctx, done := clock.Act(context.Background(), s)
	var wg sync.WaitGroup
	var hourWoke time.Duration
	wg.Go(func() {
		clock.Sleep(context.Background(), s, time.Hour)
		hourWoke = s.Now().Sub(t0)
	})
	if err := s.WaitTimers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	// This stretch is busy, in real time, with the hour's timer set: a
	// clock that guessed from a moment of quiet would move now.
	time.Sleep(20 * time.Millisecond)
	if got := s.Now(); got != t0 {
		t.Fatalf("the clock moved %v while a stretch acted", got.Sub(t0))
	}
	if err := clock.Sleep(ctx, s, time.Second); err != nil {
		t.Fatal(err)
	}
	if got := s.Now().Sub(t0); got != time.Second {
		t.Errorf("a one-second sleep ended at +%v", got)
	}
	done()
	wg.Wait()
	if hourWoke != time.Hour {
		t.Errorf("the hour's sleep ended at +%v", hourWoke)
	}
}

// TestSimWaitsForCallbacks: a stretch waiting for a context that an
// AfterFunc cancels (a stall timer) goes on at the callback's instant,
// before the clock passes on to the next timer.
func TestSimWaitsForCallbacks(t *testing.T) {
	t.Parallel()
	for range 50 { // the callback's goroutine and the waiter race: try many orders
		s := clock.NewSim(t0)
		var wg sync.WaitGroup
		var later time.Duration
		ctx, done := clock.Act(context.Background(), s)
		stall, cancel := context.WithCancel(ctx)
		s.AfterFunc(time.Second, cancel)
		ctx2, done2 := clock.Act(context.Background(), s)
		wg.Go(func() { // a second stretch, with a timer just after the callback's
			defer done2()
			clock.Sleep(ctx2, s, time.Second+time.Nanosecond)
			later = s.Now().Sub(t0)
		})
		clock.Wait(stall)
		if got := s.Now().Sub(t0); got != time.Second {
			t.Fatalf("the wait ended at +%v, want the callback's +1s", got)
		}
		done()
		wg.Wait()
		if later != time.Second+time.Nanosecond {
			t.Fatalf("the second sleep ended at +%v", later)
		}
	}
}

// TestSimStandsStillWithoutTimers: stretches that wait on what no timer
// ends leave the clock where it is; their context ends them.
func TestSimStandsStillWithoutTimers(t *testing.T) {
	t.Parallel()
	s := clock.NewSim(t0)
	ctx, cancel := context.WithCancel(context.Background())
	actx, done := clock.Act(ctx, s)
	defer done()
	ended := make(chan struct{})
	go func() {
		clock.Wait(actx)
		close(ended)
	}()
	cancel()
	<-ended
	if got := s.Now(); got != t0 {
		t.Errorf("the clock moved %v", got.Sub(t0))
	}
}

// TestSemaphore: a stretch waiting for a slot lets time move while the
// slot's holder sleeps (else neither would go on); a cancelled waiter
// takes no slot.
func TestSemaphore(t *testing.T) {
	t.Parallel()
	s := clock.NewSim(t0)
	sem := clock.NewSemaphore(1)
	ctx, done := clock.Act(context.Background(), s)
	defer done()
	held := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		hctx, hdone := clock.Act(context.Background(), s)
		defer hdone()
		if err := sem.Acquire(hctx); err != nil {
			t.Error(err)
		}
		close(held)
		clock.Sleep(hctx, s, time.Hour)
		sem.Release()
	})
	<-held
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := sem.Acquire(cctx); err == nil {
		t.Error("Acquire with a cancelled context and no free slot succeeded")
	}
	got := make(chan error, 1)
	go func() { got <- sem.Acquire(ctx) }()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second): // a deadline, not a wait: the bug is a hang
		t.Fatal("a stretch waiting for a slot held time still: the holder's sleep never ended")
	}
	if d := s.Now().Sub(t0); d != time.Hour {
		t.Errorf("got the slot at +%v, want when the holder's hour ended", d)
	}
	sem.Release()
}
