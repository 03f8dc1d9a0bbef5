package extract

import "github.com/sluicehq/sluice/bench/testenv"

// sweep returns full when the heavy sweeps (every chunk size, many seeds)
// run in full: in a plain `go test` and in the SLUICE_LARGE run, not under
// -race or -short, where a sample of them (light) keeps the suite fast.
// Fuzzing covers the rest.
func sweep(full, light int) int {
	if testenv.Large() || !testenv.Quick() {
		return full
	}
	return light
}
