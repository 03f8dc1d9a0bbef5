//go:build unix

package testenv

import (
	"os"
	"strings"
	"syscall"
)

// NoRaceExitSleep makes a -race test binary, and every process it
// starts, skip the second that the race runtime sleeps at exit while
// other goroutines live (GORACE atexit_sleep_ms, for races still being
// reported): go test waits that second once per package, and a child
// that is itself a test binary once per start. Races are detected and
// fail their tests as before. The runtime reads GORACE only when the
// process starts, so the binary executes itself anew with it set. Call
// it first in TestMain; it does nothing without -race, or when GORACE
// already sets atexit_sleep_ms.
func NoRaceExitSleep() {
	gorace := os.Getenv("GORACE")
	if !raceEnabled || strings.Contains(gorace, "atexit_sleep_ms") {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return // keep the sleep
	}
	env := []string{"GORACE=" + strings.TrimSpace(gorace+" atexit_sleep_ms=0")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GORACE=") {
			env = append(env, kv)
		}
	}
	syscall.Exec(exe, os.Args, env) // returns only if it failed: keep the sleep
}
