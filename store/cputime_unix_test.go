//go:build unix

package store

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) this process has used, so
// that benchmarks on a shared machine report what they cost, not only
// how long they waited.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
