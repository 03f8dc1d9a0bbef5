package clock_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/scrape/clock"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TestFakeFiresInOrder: timers fire in instant order, each with the clock
// at its own instant, and only when the clock reaches them.
func TestFakeFiresInOrder(t *testing.T) {
	f := clock.NewFake(t0)
	late, early := f.NewTimer(2*time.Second), f.NewTimer(time.Second)
	fired := make(chan time.Duration, 1)
	f.AfterFunc(1500*time.Millisecond, func() { fired <- f.Now().Sub(t0) })
	stopped := f.NewTimer(time.Second)
	if !stopped.Stop() {
		t.Fatal("Stop of an active timer reported false")
	}
	f.Advance(999 * time.Millisecond)
	select {
	case <-early.C():
		t.Fatal("timer fired early")
	default:
	}
	f.Advance(3 * time.Second)
	if at := <-early.C(); at != t0.Add(time.Second) {
		t.Errorf("early fired at %v", at.Sub(t0))
	}
	if at := <-late.C(); at != t0.Add(2*time.Second) {
		t.Errorf("late fired at %v", at.Sub(t0))
	}
	if d := <-fired; d < 1500*time.Millisecond {
		t.Errorf("AfterFunc ran at +%v", d)
	}
	select {
	case <-stopped.C():
		t.Error("a stopped timer fired")
	default:
	}
	if got := f.Now(); got != t0.Add(3999*time.Millisecond) {
		t.Errorf("Now = +%v", got.Sub(t0))
	}
	if n := f.Timers(); n != 0 {
		t.Errorf("%d timers left", n)
	}
}

// TestFakeSleep: Sleep returns once the clock passes its end, and ctx's
// error when ctx ends first.
func TestFakeSleep(t *testing.T) {
	f := clock.NewFake(t0)
	done := make(chan error, 1)
	go func() { done <- clock.Sleep(context.Background(), f, time.Minute) }()
	if err := f.WaitTimers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if at, _ := f.Next(); at != t0.Add(time.Minute) {
		t.Errorf("Next = +%v", at.Sub(t0))
	}
	f.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Errorf("Sleep = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := clock.Sleep(ctx, f, time.Hour); err != context.Canceled {
		t.Errorf("Sleep on a cancelled ctx = %v", err)
	}
	if n := f.Timers(); n != 0 {
		t.Errorf("Sleep left %d timers", n)
	}
}

// A test moves a Fake to wake code that sleeps on it.
func ExampleFake() {
	f := clock.NewFake(t0)
	done := make(chan struct{})
	go func() {
		clock.Sleep(context.Background(), f, 30*time.Second) // e.g. a Retry-After
		close(done)
	}()
	f.WaitTimers(context.Background(), 1) // the sleep has started
	f.Advance(30 * time.Second)
	<-done
	fmt.Println(f.Now().Sub(t0))
	// Output: 30s
}

// TestFakeWaitNext: WaitNext sees a timer within the horizon, and not one
// beyond it.
func TestFakeWaitNext(t *testing.T) {
	f := clock.NewFake(t0)
	f.NewTimer(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.WaitNext(ctx, t0.Add(time.Minute)); err != context.Canceled {
		t.Fatalf("WaitNext returned %v with only a timer past the horizon", err)
	}
	f.NewTimer(time.Second)
	at, err := f.WaitNext(context.Background(), t0.Add(time.Minute))
	if err != nil || at != t0.Add(time.Second) {
		t.Errorf("WaitNext = +%v, %v", at.Sub(t0), err)
	}
}
