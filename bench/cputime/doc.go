// Package cputime reads the CPU time a process, or the calling thread,
// has used: benchmarks on a shared machine report it beside wall time,
// because what a run costs is steadier than how long it waited for a
// core. It is its own package so that both the benchmarks' test helpers
// (bench/testenv) and the measuring child of sluice bench
// (bench/measure), which the production binary links, read it one way.
package cputime
