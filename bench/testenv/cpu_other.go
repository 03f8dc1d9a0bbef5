//go:build !unix

package testenv

import "time"

// ProcessCPU is unknown here: benchmarks then report 0 CPU.
func ProcessCPU() time.Duration { return 0 }
