package scrape

import (
	"context"
	"testing"
	"time"

	"github.com/sluicehq/sluice/scrape/clock"
)

// fakeT0 is where fake clocks of these tests start.
var fakeT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeHorizon is how far runTime lets fake time jump at once. Stall and
// request timeouts of fake-time tests are set well past it, so that only
// the waits under test (back-off, Retry-After, the gate, the limiter)
// move the clock.
const fakeHorizon = 20 * time.Minute

// runTime starts a fake clock that moves as fast as the code sleeps on it:
// whenever a timer is due within fakeHorizon, time jumps to it. It stops
// when the test ends.
func runTime(t testing.TB) *clock.Fake {
	t.Helper()
	f := clock.NewFake(fakeT0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			at, err := f.WaitNext(ctx, f.Now().Add(fakeHorizon))
			if err != nil {
				return
			}
			f.Set(at)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

// onFakeTime sets a client's options for a fake-time test: the clock, and
// stall timeouts and the speed check's period past the horizon so that only deliberate waits fire.
func onFakeTime(f *clock.Fake) func(*Options) {
	return func(o *Options) {
		o.Clock = f
		o.StallTimeout = 2 * fakeHorizon
		o.SpeedTime = 2 * fakeHorizon
	}
}
