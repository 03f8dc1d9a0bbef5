package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// version describes the binary from its build information: the module
// version (a tag for `go install …@v1.2.3`, "(devel)" for a local build),
// the VCS revision and time when built from a checkout, and the Go
// version. `sluice --version` prints it, so a cron log can say which build
// ran.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	return versionOf(info)
}

// versionOf formats info; split from version so tests can feed it.
func versionOf(info *debug.BuildInfo) string {
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	parts := []string{v}
	if rev != "" {
		r := "revision " + rev[:min(len(rev), 12)]
		if at != "" {
			r += " (" + at + ")"
		}
		if modified {
			r += " with local changes"
		}
		parts = append(parts, r)
	}
	parts = append(parts, fmt.Sprintf("built with %s", info.GoVersion))
	return strings.Join(parts, ", ")
}
