//go:build !linux

package measure

import "time"

// processCPU and threadCPU are not measured on this system: the CPU
// figures of a child are then 0 and reports leave them out.
func processCPU() time.Duration { return 0 }

func threadCPU() time.Duration { return 0 }
