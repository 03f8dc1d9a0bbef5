//go:build !unix

package measure

import "os"

// usageOf knows nothing about a child's resources on this system; peak
// RSS then comes from the child alone, where it can tell.
func usageOf(ps *os.ProcessState) Usage {
	return Usage{UserNanos: ps.UserTime().Nanoseconds(), SysNanos: ps.SystemTime().Nanoseconds()}
}
