package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/scrape"
)

// Go's flag package names flags with one dash; the user typed two.
func TestFlagErrorsShowDoubleDash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad value", []string{"scrape", "--rate", "abc"}, `sluice: invalid value "abc" for flag --rate: parse error`},
		{"unknown", []string{"scrape", "--bogus"}, "sluice: flag provided but not defined: --bogus"},
		{"no argument", []string{"scrape", "--out"}, "sluice: flag needs an argument: --out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := runTest(context.Background(), append([]string{"sluice"}, tt.args...), &stdio{in: strings.NewReader(""), out: &out, err: &errb})
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if got := strings.TrimSpace(errb.String()); got != tt.want {
				t.Errorf("stderr %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOptionFlagsNamedAsFlags: a bad value of each flag behind a
// scrape.Options field is a usage error that names the flag and its
// value, never the Go field; and the library's OptionError, should one
// pass checkJobFlags, is said in flags too.
func TestOptionFlagsNamedAsFlags(t *testing.T) {
	t.Parallel()
	nodes := writeNodes(t, []string{"AS1"})
	for _, tt := range []struct{ flag, value, want string }{
		{"rate", "-1", "--rate -1: must not be negative"},
		{"burst", "-1", "--burst -1: want 0 to"},
		{"concurrency", "-4", "--concurrency -4: want 1 to"},
		{"max-attempts", "0", "--max-attempts 0: want 1 to"},
		{"max-node-time", "-1s", "--max-node-time -1s: must not be negative"},
		{"request-timeout", "-1s", "--request-timeout -1s: must not be negative"},
		{"stall-timeout", "-1s", "--stall-timeout -1s: must not be negative"},
		{"min-backoff", "-1s", "--min-backoff -1s: must not be negative"},
		{"max-backoff", "-1s", "--max-backoff -1s: must not be negative"},
		{"bytes-per-second", "-1", "--bytes-per-second"},
	} {
		code, stderr := runCLI(t, "scrape", "--nodes", nodes, "--out", filepath.Join(t.TempDir(), "out"),
			"--url", "http://127.0.0.1:1/{node}", "--progress", "none", "--"+tt.flag, tt.value)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("--%s %s: exit %d, stderr %q; want %d and %q", tt.flag, tt.value, code, stderr, exitUsage, tt.want)
		}
		for field := range optionFlags {
			if strings.Contains(stderr, field) {
				t.Errorf("--%s %s: stderr names the Go field %s: %q", tt.flag, tt.value, field, stderr)
			}
		}
	}
	for _, tt := range []struct {
		err  *scrape.OptionError
		want string
	}{
		{&scrape.OptionError{Field: "Burst", Value: -1, Want: "must be ≥ 0"}, "--burst -1: must be ≥ 0"},
		{&scrape.OptionError{Field: "MaxBackoff", Value: time.Millisecond, Want: "must be ≥ MinBackoff 1s"}, "--max-backoff 1ms: must be ≥ --min-backoff 1s"},
	} {
		err := optionError(fmt.Errorf("batch: new client: %w", tt.err))
		if err.Error() != tt.want || exitStatus(err) != exitUsage {
			t.Errorf("%v: %q (exit %d), want %q (exit %d)", tt.err, err, exitStatus(err), tt.want, exitUsage)
		}
	}
}
