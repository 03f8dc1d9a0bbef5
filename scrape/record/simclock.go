package record

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/scrape/clock"
)

// settle is how long an idle state must last, in real time (over two
// ticks of settle/2), before a SimClock moves: long enough for goroutines
// that a timer just woke to reach their next request or sleep, short
// enough that a thousand waits pass in a few seconds. A worker busy for
// longer outside any exchange (a loaded machine) may see time move under
// it: only durations change, unless the move reaches its node's
// MaxNodeTime.
const settle = 2 * time.Millisecond

// SimClock is the clock of a replay: a clock.Fake that Drive moves to the
// next timer whenever no recorded body is being read (every open exchange
// of the Transport waits for the client to give up, or there is none). So
// the back-offs, the Retry-After waits and the stalls of the recorded run
// pass at once, in their order. Give it to scrape.Options.Clock (and the
// run's other users of time). It is safe for concurrent use.
type SimClock struct {
	*clock.Fake
	start    time.Time
	advanced atomic.Int64 // nanoseconds moved by Drive
	steps    atomic.Int64
}

// NewSimClock returns a SimClock reading start; Folder.Start, the
// recorded run's first request, lines up absolute times of headers
// (X-RateLimit-Reset, an HTTP-date Retry-After) with the replay.
func NewSimClock(start time.Time) *SimClock {
	return &SimClock{Fake: clock.NewFake(start), start: start}
}

// Advanced returns how much simulated time Drive has passed, and in how
// many steps.
func (c *SimClock) Advanced() (time.Duration, int64) {
	return time.Duration(c.advanced.Load()), c.steps.Load()
}

// Drive moves c while t is idle, until ctx ends. Run it in a goroutine
// for the length of the replay.
func (t *Transport) Drive(ctx context.Context, c *SimClock) {
	tick := time.NewTicker(settle / 2)
	defer tick.Stop()
	lastGen, seen := uint64(0), 0 // ticks the current quiet state has lasted
	for {
		quiet, gen, changed := t.act.state()
		if quiet && seen >= 2 && gen == lastGen {
			if next, ok := c.Next(); ok {
				now := c.Now()
				c.Set(next)
				if d := next.Sub(now); d > 0 {
					c.advanced.Add(int64(d))
				}
				c.steps.Add(1)
				seen = 0 // let the woken goroutines run first
			}
		} else if quiet && gen == lastGen {
			seen++
		} else {
			lastGen, seen = gen, 0
			if quiet {
				seen = 1
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
			seen = 0
		case <-tick.C:
		}
	}
}

// Start returns the first recorded request's time (the zero time for an
// empty folder).
func (f *Folder) Start() time.Time {
	var first time.Time
	for _, as := range f.Attempts {
		for _, a := range as {
			if first.IsZero() || a.Start.Before(first) {
				first = a.Start
			}
		}
	}
	return first
}
