//go:build race

package batch

// raceEnabled shrinks the largest tests under the race detector, which
// slows the runner some 40 times; without it they run at full size.
const raceEnabled = true
