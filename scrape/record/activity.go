package record

import (
	"context"
	"sync"
)

// activity counts a Transport's open exchanges and those of them that
// wait for the client to give up (a recorded stall), so that a SimClock
// knows when moving time on cannot cut a body being read. The zero value
// is ready; it is safe for concurrent use.
type activity struct {
	mu      sync.Mutex
	open    int           // exchanges from RoundTrip to the body's Close
	blocked int           // of those, waiting on their request's context
	gen     uint64        // bumped on every change
	changed chan struct{} // closed and replaced on every change
}

func (a *activity) add(open, blocked int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.open += open
	a.blocked += blocked
	a.gen++
	if a.changed != nil {
		close(a.changed)
		a.changed = nil
	}
}

// block waits until ctx ends, counted as blocked.
func (a *activity) block(ctx context.Context) {
	a.add(0, 1)
	<-ctx.Done()
	a.add(0, -1)
}

// state reports whether every open exchange is blocked, the generation,
// and a channel closed at the next change.
func (a *activity) state() (quiet bool, gen uint64, changed <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.changed == nil {
		a.changed = make(chan struct{})
	}
	return a.open == a.blocked, a.gen, a.changed
}
