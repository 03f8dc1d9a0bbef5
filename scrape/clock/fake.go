package clock

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"
)

// Fake is a Clock that moves only when told: Advance and Set move it and
// fire, in instant order, every timer that falls due (AfterFunc callbacks
// run in their own goroutine, as with the real clock). WaitTimers lets a
// test wait for the code under test to reach its sleep, an observable
// event, instead of sleeping itself. Create it with NewFake; it is safe
// for concurrent use.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer  // active timers
	seq    uint64        // creation order, to fire timers of one instant in order
	moved  chan struct{} // closed and replaced whenever the set of timers changes
	spawn  func(func())  // runs a due AfterFunc callback; nil: go fn() (a Sim counts them)
}

// NewFake returns a Fake reading t.
func NewFake(t time.Time) *Fake {
	return &Fake{now: t, moved: make(chan struct{})}
}

// Now is the fake instant.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires when the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// AfterFunc calls fn in a goroutine when the fake time reaches now+d.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	t := &fakeTimer{f: f, fn: fn}
	t.Reset(d)
	return t
}

// Advance moves the clock forward by d, firing the timers that fall due.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the clock to t (never backwards), firing the timers due by
// then in order of their instants; each fires with the clock at its own
// instant.
func (f *Fake) Set(t time.Time) {
	for {
		f.mu.Lock()
		var next *fakeTimer
		for _, ft := range f.timers {
			if !ft.at.After(t) && (next == nil || ft.at.Before(next.at) || ft.at.Equal(next.at) && ft.seq < next.seq) {
				next = ft
			}
		}
		if next == nil {
			if t.After(f.now) {
				f.now = t
			}
			f.mu.Unlock()
			return
		}
		if next.at.After(f.now) {
			f.now = next.at
		}
		f.removeLocked(next)
		now := f.now
		f.mu.Unlock()
		if next.fn != nil && f.spawn != nil {
			f.spawn(next.fn)
		} else if next.fn != nil {
			go next.fn()
		} else {
			select {
			case next.c <- now:
			default:
			}
		}
	}
}

// Timers reports the active timers.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// Next reports the instant of the earliest active timer (false: none).
func (f *Fake) Next() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.timers) == 0 {
		return time.Time{}, false
	}
	ts := append([]*fakeTimer(nil), f.timers...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].at.Before(ts[j].at) })
	return ts[0].at, true
}

// WaitTimers blocks until at least n timers are active or ctx ends (its
// error is returned then).
func (f *Fake) WaitTimers(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		have, moved := len(f.timers), f.moved
		f.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitNext blocks until an active timer is due no later than before, and
// returns its instant (the earliest), or ctx's error. A test that lets
// time run as fast as the code under test sleeps loops on
// Set(WaitNext(ctx, Now()+horizon)): timers beyond the horizon (stall
// timeouts set long on purpose) never fire that way.
func (f *Fake) WaitNext(ctx context.Context, before time.Time) (time.Time, error) {
	for {
		f.mu.Lock()
		var at time.Time
		for _, ft := range f.timers {
			if !ft.at.After(before) && (at.IsZero() || ft.at.Before(at)) {
				at = ft.at
			}
		}
		moved := f.moved
		f.mu.Unlock()
		if !at.IsZero() {
			return at, nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// changedLocked wakes WaitTimers and WaitNext; f.mu is held.
func (f *Fake) changedLocked() {
	close(f.moved)
	f.moved = make(chan struct{})
}

func (f *Fake) removeLocked(t *fakeTimer) bool {
	for i, ft := range f.timers {
		if ft == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			f.changedLocked()
			return true
		}
	}
	return false
}

// fakeTimer is one timer of a Fake; its instant and state are guarded by
// the Fake's mutex.
type fakeTimer struct {
	f   *Fake
	c   chan time.Time // nil for AfterFunc
	fn  func()         // nil for NewTimer
	at  time.Time
	seq uint64
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

// active reports whether t is set and has not fired.
func (t *fakeTimer) active() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	return slices.Contains(t.f.timers, t)
}

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	return t.f.removeLocked(t)
}

// Reset re-arms the timer; a d <= 0 fires it at once.
func (t *fakeTimer) Reset(d time.Duration) bool {
	f := t.f
	f.mu.Lock()
	was := f.removeLocked(t)
	if t.c != nil {
		select { // like Go 1.23 timers: no stale value after Reset
		case <-t.c:
		default:
		}
	}
	t.at = f.now.Add(d)
	f.seq++
	t.seq = f.seq
	f.timers = append(f.timers, t)
	f.changedLocked()
	now := f.now
	f.mu.Unlock()
	if d <= 0 {
		f.Set(now)
	}
	return was
}
