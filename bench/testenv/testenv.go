// Package testenv holds what the tests of every sluice package ask of
// their environment: whether the GiB-scale checks run (SLUICE_LARGE),
// whether the heavy sweeps shrink (-short, or the race detector), and
// whether golden files are rewritten (-update). One place, so that the
// gate means the same thing everywhere.
package testenv

import (
	"flag"
	"os"
	"testing"
)

// LargeVar is the environment variable that turns on the GiB-scale
// checks; CI sets it to 1 for a separate run without -race.
const LargeVar = "SLUICE_LARGE"

// Large reports whether SLUICE_LARGE=1.
func Large() bool { return os.Getenv(LargeVar) == "1" }

// SkipUnlessLarge skips t unless SLUICE_LARGE=1; what says what the test
// would do ("stream a 2 GiB body").
func SkipUnlessLarge(t testing.TB, what string) {
	t.Helper()
	if !Large() {
		t.Skipf("set %s=1 to %s", LargeVar, what)
	}
}

// Race reports whether the test binary was built with -race, which slows
// it some 10-40 times.
func Race() bool { return raceEnabled }

// Quick reports whether heavy sweeps should shrink: under -short or
// -race. Their full size runs in the SLUICE_LARGE run and in fuzzing.
func Quick() bool { return testing.Short() || raceEnabled }

// update is the one -update flag of the test binaries that import this
// package.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Update reports whether -update was given: golden tests then rewrite
// their files instead of comparing.
func Update() bool { return *update }
