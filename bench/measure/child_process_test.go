package measure

import (
	"context"
	"fmt"
	"os"
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

// testLauncher starts this test binary as the child.
func testLauncher() ExecLauncher {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return ExecLauncher{Path: exe, Env: append(os.Environ(), childEnv+"=1")}
}
