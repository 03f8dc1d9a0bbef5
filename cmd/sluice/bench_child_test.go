package main

import (
	"context"
	"os"
)

// The bench commands start this executable as `sluice bench child`. Under
// go test the executable is the test binary, which would read those
// arguments as test flags; instead it sees benchChildEnv, which the bench
// commands set for every child, and acts as the child before the testing
// package starts. The child code is the real one, in a real process.
func init() {
	if os.Getenv(benchChildEnv) == "1" {
		os.Exit(run(context.Background(), []string{"sluice", "bench", "child"},
			&stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}))
	}
}
