package main

import (
	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/bench/units"
)

// sizeFlag is a flag holding a byte size: every size flag of every command
// reads "16GiB", "64KiB", "10MB" or "4096" (units.ParseSize, any case)
// and its help shows the default that way.
func sizeFlag(name string, def int64, usage string, envs ...string) *cli.GenericFlag {
	z := units.Size(def)
	return &cli.GenericFlag{Name: name, Value: &z, Usage: usage, EnvVars: envs}
}

// sizeOf reads a size flag made by sizeFlag.
func sizeOf(c *cli.Context, name string) int64 {
	if z, ok := c.Generic(name).(*units.Size); ok {
		return int64(*z)
	}
	return 0
}
