//go:build !unix

package testenv

// NoRaceExitSleep does nothing here: without exec the binary keeps the
// race runtime's exit sleep.
func NoRaceExitSleep() {}
