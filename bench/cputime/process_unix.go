//go:build unix

package cputime

import (
	"time"

	"golang.org/x/sys/unix"
)

// Process is the CPU time (user and system) this process has used so far.
func Process() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
