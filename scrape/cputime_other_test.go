//go:build !unix

package scrape_test

import "time"

// cpuTime is unknown here; the benchmarks then report 0 CPU per request.
func cpuTime() time.Duration { return 0 }
