//go:build unix

package measure

import (
	"os"
	"runtime"
	"syscall"
)

// usageOf reads a finished child's rusage.
func usageOf(ps *os.ProcessState) Usage {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return Usage{}
	}
	rss := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" { // Linux and the BSDs count KiB, macOS bytes
		rss <<= 10
	}
	return Usage{MaxRSSBytes: rss, UserNanos: ru.Utime.Nano(), SysNanos: ru.Stime.Nano()}
}
