package scrape

import (
	"sync"
	"time"
)

// maxServerDelay caps how far a server header can push the gate: a
// Retry-After of a week is more likely a bug than an instruction, and
// MaxNodeTime fails the waiting nodes anyway.
const maxServerDelay = 15 * time.Minute

// gate is the client-wide "not before" instant that server headers set:
// while it is in the future no request is sent. The zero value is open.
// It is safe for concurrent use; every method takes the current instant
// explicitly so that tests drive it without sleeping.
type gate struct {
	mu    sync.Mutex
	until time.Time // no request before this instant; zero: open
}

// delayAt reports how long a request about to be sent at t must wait.
func (g *gate) delayAt(t time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if d := g.until.Sub(t); d > 0 {
		return d
	}
	return 0
}

// closeUntilAt keeps every request back until `until` (observed at t). It
// never moves the gate backwards, so a late answer that carries an older
// reset cannot reopen a gate that a newer one closed. It reports whether
// the gate moved.
func (g *gate) closeUntilAt(t, until time.Time) bool {
	if limit := t.Add(maxServerDelay); until.After(limit) {
		until = limit
	}
	if !until.After(t) {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !until.After(g.until) {
		return false
	}
	g.until = until
	return true
}

// untilAt reports the instant the gate opens, or the zero time when it is
// open at t.
func (g *gate) untilAt(t time.Time) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.until.After(t) {
		return g.until
	}
	return time.Time{}
}
