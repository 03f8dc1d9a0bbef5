package clock

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Sim is a Fake that moves itself: as soon as every goroutine acting on
// it waits for time, it jumps to its next timer and fires it. A replay
// runs on one, so that the recorded back-offs, Retry-After waits and
// stalls pass at once and in their order: a recorded ten-minute wait
// takes no real time.
//
// Which goroutines act is told, not guessed from a moment of real-time
// quiet (a loaded machine makes such a guess wrong). Code marks the
// stretch in which it acts with Act (scrape.Client.Fetch does, once per
// fetch), and inside it waits only through Sleep, Wait and a Semaphore,
// which tell the Sim that it waits and what would end the wait. Time
// moves only when every open stretch waits, none of those waits can end
// without time (its timer has not fired, its context has not ended, it
// was not handed its slot) and no AfterFunc callback is running. The
// condition is exact and checked at each change (a wait begins, a
// stretch or a callback ends), so however slow the machine, time never
// moves under a goroutine that acts, and a replay's outcome does not
// depend on the load.
//
// A stretch that blocks on anything else (a channel, a lock, a network
// call) holds time still until it goes on: never wrong, but it must not
// wait there for something that needs time to pass (another stretch's
// sleep), or the run stands still. A stretch belongs to one goroutine:
// the context Act returns is not for waits in other goroutines. Sleep
// and Wait outside a stretch are a stretch of their own.
//
// Create it with NewSim; it is safe for concurrent use. Advance and Set
// still move it by hand; Advanced counts only its own moves.
type Sim struct {
	*Fake
	funcs atomic.Int64 // AfterFunc callbacks running

	mu       sync.Mutex
	spans    int                   // open stretches
	waiting  int                   // of those, the ones with a wait in waits
	waits    map[*simWait]struct{} // the waits of stretches
	advanced time.Duration         // moved by the Sim itself
	steps    int64                 // how many moves that took
}

// simWait is one goroutine's wait; ready reports whether it can end
// without time moving. It must not take Sim.mu.
type simWait struct {
	sp    *span
	ready func() bool
}

// span is one stretch opened by Act; its fields are guarded by s.mu.
type span struct {
	s     *Sim
	waits int
}

type spanKey struct{}

// NewSim returns a Sim reading start.
func NewSim(start time.Time) *Sim {
	s := &Sim{Fake: NewFake(start), waits: make(map[*simWait]struct{})}
	s.spawn = s.runFunc
	return s
}

// Advanced reports how far the Sim moved itself, and in how many steps.
func (s *Sim) Advanced() (time.Duration, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.advanced, s.steps
}

// Act marks the calling goroutine as acting on c until done is called;
// its waits through the returned context (Sleep, Wait, Semaphore) tell a
// Sim that it waits (see Sim). For any other clock, or when ctx acts on
// c already, it returns ctx and a done that does nothing, so it costs
// nothing outside a replay and stretches do not nest.
func Act(ctx context.Context, c Clock) (_ context.Context, done func()) {
	s, ok := c.(*Sim)
	if !ok {
		return ctx, func() {}
	}
	if sp, _ := ctx.Value(spanKey{}).(*span); sp != nil && sp.s == s {
		return ctx, func() {}
	}
	sp := &span{s: s}
	s.mu.Lock()
	s.spans++
	s.mu.Unlock()
	var once sync.Once
	return context.WithValue(ctx, spanKey{}, sp), func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.spans--
			s.settleLocked()
		})
	}
}

// Wait blocks until ctx ends. A goroutine acting on a Sim through ctx
// (Act) waits there without holding time: the context must be one that
// time ends (a timer of the clock cancels it: a stall, a timeout) or the
// caller's own.
func Wait(ctx context.Context) {
	unpark := park(ctx, func() bool { return ctx.Err() != nil })
	defer unpark()
	<-ctx.Done()
}

// sleep is Sleep on s, for a ctx that acts on s.
func (s *Sim) sleep(ctx context.Context, d time.Duration) error {
	t := s.NewTimer(d).(*fakeTimer)
	defer t.Stop()
	unpark := park(ctx, func() bool { return ctx.Err() != nil || !t.active() })
	defer unpark()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// park tells the Sim that ctx acts on, if any, that the calling goroutine
// now waits until ready reports true; the returned func says that the
// wait is over (call it once the goroutine goes on).
func park(ctx context.Context, ready func() bool) (unpark func()) {
	sp, _ := ctx.Value(spanKey{}).(*span)
	if sp == nil {
		return func() {}
	}
	s := sp.s
	w := &simWait{sp: sp, ready: ready}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits[w] = struct{}{}
	if sp.waits++; sp.waits == 1 {
		s.waiting++
	}
	s.settleLocked()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.waits, w)
		if sp.waits--; sp.waits == 0 {
			s.waiting--
		}
	}
}

// runFunc runs a due AfterFunc callback, counted as acting until it
// returns (it usually cancels a context that a stretch waits on).
func (s *Sim) runFunc(fn func()) {
	s.funcs.Add(1)
	go func() {
		defer func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.funcs.Add(-1)
			s.settleLocked()
		}()
		fn()
	}()
}

// settleLocked moves the clock to its next timer, and again, for as long
// as every stretch waits, none of the waits can end and no callback runs.
// Firing a timer makes its waiter ready (or starts a callback), which
// ends the loop; a timer nobody waits for is passed over. The caller
// holds s.mu.
func (s *Sim) settleLocked() {
	for s.spans > 0 && s.waiting == s.spans && s.funcs.Load() == 0 && !s.readyLocked() {
		next, ok := s.Next()
		if !ok {
			return // every stretch waits on something no timer ends: its caller's to end
		}
		now := s.Now()
		s.Set(next)
		if d := next.Sub(now); d > 0 {
			s.advanced += d
		}
		s.steps++
	}
}

// readyLocked reports whether a wait can end; the caller holds s.mu.
func (s *Sim) readyLocked() bool {
	for w := range s.waits {
		if w.ready() {
			return true
		}
	}
	return false
}
