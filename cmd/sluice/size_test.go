package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Every size flag reads units (any case, T included) and help shows them.
func TestSizeFlags(t *testing.T) {
	t.Parallel()
	body := `{"data":{"updates":[{"timestamp":1}]}}`
	for _, args := range [][]string{
		{"extract", "--max-body-size", "16GiB", "--buffer-size", "64kib", "--max-value-size", "1MB", "-"},
		{"extract", "--mode", "full", "--max-body-size", "1T", "-"},
	} {
		var out, errb bytes.Buffer
		code := runTest(context.Background(), append([]string{"sluice"}, args...), &stdio{in: strings.NewReader(body), out: &out, err: &errb})
		if code != exitOK || !strings.Contains(out.String(), `"count":1`) {
			t.Errorf("%q: exit %d, out %q, stderr %q", args, code, out.String(), errb.String())
		}
	}
	var out, errb bytes.Buffer
	runTest(context.Background(), []string{"sluice", "scrape", "--help"}, &stdio{in: strings.NewReader(""), out: &out, err: &errb})
	for _, want := range []string{"(default: 16GiB)", "(default: 64KiB)", "(default: 1MiB)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("scrape --help lacks %q:\n%s", want, out.String())
		}
	}
	code := runTest(context.Background(), []string{"sluice", "extract", "--buffer-size", "64XB", "-"}, &stdio{in: strings.NewReader(body), out: &out, err: &errb})
	if code != exitUsage || !strings.Contains(errb.String(), "--buffer-size") {
		t.Errorf("bad size: exit %d, stderr %q", code, errb.String())
	}
}
