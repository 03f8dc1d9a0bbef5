package extract

import (
	"os"
	"testing"
)

// fullSweep reports whether the heavy sweeps (every chunk size, many
// seeds) run in full: in a plain `go test` and in the SLUICE_LARGE run,
// not under -race or -short, where a sample of them keeps the suite
// fast. Fuzzing covers the rest.
func fullSweep() bool {
	if os.Getenv("SLUICE_LARGE") == "1" {
		return true
	}
	return !raceEnabled && !testing.Short()
}

// sweep returns full under a full sweep, else light.
func sweep(full, light int) int {
	if fullSweep() {
		return full
	}
	return light
}
