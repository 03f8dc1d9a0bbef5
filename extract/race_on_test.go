//go:build race

package extract

// raceEnabled: the race detector slows the sweeps ten-fold; see sweep.
const raceEnabled = true
