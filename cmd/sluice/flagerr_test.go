package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
