package measure

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// childEnv makes this test binary act as a measurement child: init runs
// before the testing package parses flags, serves one request and exits.
const childEnv = "SLUICE_MEASURE_TEST_CHILD"

func init() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	if err := Serve(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// testLauncher starts this test binary as the child. Under -race, a
// process sleeps a second at exit (so that late races get reported);
// children are short, so they skip that sleep.
func testLauncher() ExecLauncher {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return ExecLauncher{Path: exe, Env: append(os.Environ(), childEnv+"=1", noRaceExitSleep())}
}

// noRaceExitSleep is GORACE as inherited plus atexit_sleep_ms=0.
func noRaceExitSleep() string {
	return strings.TrimSpace("GORACE=" + os.Getenv("GORACE") + " atexit_sleep_ms=0")
}
