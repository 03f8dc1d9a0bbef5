// Package clock is the one source of time for scrape and batch: the
// current instant, timers and sleeps. Production code uses [Real]; tests
// use a [Fake], which stands still until the test moves it and fires the
// timers that fall due, in order, so that back-off, Retry-After, stall
// timeouts and drains are tested step by step without waiting.
//
// It follows golang.org/x/time/rate's …At(t) style one level up: policy
// types take instants as arguments, and the code that sleeps asks a Clock.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and makes timers. Implementations are safe for
// concurrent use.
type Clock interface {
	// Now is the current instant.
	Now() time.Time
	// NewTimer returns a timer that sends the instant on its channel once
	// d has passed, like time.NewTimer.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine once d has passed, like
	// time.AfterFunc; the Timer's channel is nil.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is the part of *time.Timer that scrape and batch use.
type Timer interface {
	// C is the channel the instant is sent on (nil for AfterFunc).
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it did.
	Stop() bool
	// Reset makes the timer fire d from now; it reports whether the
	// timer was active.
	Reset(d time.Duration) bool
}

// Real is the system clock.
type Real struct{}

func (Real) Now() time.Time { return time.Now() }

func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

func (Real) AfterFunc(d time.Duration, f func()) Timer { return realTimer{time.AfterFunc(d, f)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// Or returns c, or Real when c is nil: the default of every Options.Clock.
func Or(c Clock) Clock {
	if c == nil {
		return Real{}
	}
	return c
}

// Sleep waits for d on c, or until ctx ends; it returns ctx's error in
// that case, and nil after a full wait. A d <= 0 returns ctx.Err() at once.
// On a Sim the sleep lets time move (see Act).
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if s, ok := c.(*Sim); ok {
		ctx, done := Act(ctx, s) // a sleep outside a stretch is a stretch of its own
		defer done()
		return s.sleep(ctx, d)
	}
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
