package scrape

import "time"

// Back-off defaults, used where Options leaves MinBackoff/MaxBackoff zero.
const (
	DefaultMinBackoff = 250 * time.Millisecond
	DefaultMaxBackoff = 30 * time.Second
)

// backoff is exponential back-off with full jitter: before attempt n+1 it
// waits a uniformly random time in [0, min(max, base·2ⁿ⁻¹)). Full jitter
// spreads workers that failed together, so that they do not come back
// together. The zero value never waits.
type backoff struct {
	base, max time.Duration
}

// delay is the wait after failed attempt n (1-based) for a uniform draw u
// in [0, 1).
func (b backoff) delay(n int, u float64) time.Duration {
	if n < 1 || b.base <= 0 {
		return 0
	}
	ceil := b.base
	for i := 1; i < n && ceil < b.max; i++ {
		ceil *= 2
	}
	ceil = min(ceil, b.max)
	return time.Duration(u * float64(ceil))
}
