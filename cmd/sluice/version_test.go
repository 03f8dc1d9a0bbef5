package main

import (
	"bytes"
	"context"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionOf(t *testing.T) {
	t.Parallel()
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "310dc31a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"}, {Key: "vcs.time", Value: "2026-12-01T19:00:00Z"}}
	tests := []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{"tagged", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}},
			"v1.2.3, built with go1.26.8"},
		{"checkout", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: rev},
			"(devel), revision 310dc31a0b1c (2026-12-01T19:00:00Z), built with go1.26.8"},
		{"dirty", debug.BuildInfo{GoVersion: "go1.26.8", Settings: append(rev[:1:1], debug.BuildSetting{Key: "vcs.modified", Value: "true"})},
			"(devel), revision 310dc31a0b1c with local changes, built with go1.26.8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionOf(&tt.info); got != tt.want {
				t.Errorf("versionOf = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := runTest(context.Background(), []string{"sluice", "--version"}, &stdio{in: strings.NewReader(""), out: &out, err: &errb})
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "sluice version ") || !strings.Contains(out.String(), runtime.Version()) {
		t.Errorf("--version printed %q, want the name and %s", out.String(), runtime.Version())
	}
	if errb.Len() != 0 {
		t.Errorf("--version wrote to stderr: %q", errb.String())
	}
}

// After `go run ./cmd/sluice demo` the hints must not name a binary the
// user does not have.
func TestSelfCommand(t *testing.T) {
	t.Parallel()
	tests := []struct{ exe, want string }{
		{"/tmp/go-build2731/b001/exe/sluice", "go run ./cmd/sluice"},
		{"/home/u/go/bin/sluice", "sluice"},
		{"/usr/local/bin/sluice", "sluice"},
	}
	for _, tt := range tests {
		if got := selfCommandOf(tt.exe, "/tmp"); got != tt.want {
			t.Errorf("selfCommandOf(%q) = %q, want %q", tt.exe, got, tt.want)
		}
	}
}
