//go:build !unix

package extract

import "time"

// cpuTime is not measured on this system; the cpu-MB/s metric is then 0.
func cpuTime() time.Duration { return 0 }
