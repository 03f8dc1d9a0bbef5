package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sluicehq/sluice/bench/testenv"
	"github.com/sluicehq/sluice/scrape"
)

// TestExtractGolden runs `sluice extract` over the inputs in
// testdata/extract and compares stdout with NAME.golden files; every case
// also checks the exit status and stderr.
func TestExtractGolden(t *testing.T) {
	t.Parallel()
	const dir = "testdata/extract"
	tests := []struct {
		name   string
		args   []string // the input file is the last argument, relative to dir
		stdin  string   // input file fed on stdin when args ends in "-"
		code   int
		stderr string // substring of stderr; "" means stderr must be empty
	}{
		{"ripestat-stream", []string{"ripestat.json"}, "", exitOK, ""},
		{"ripestat-full", []string{"--mode", "full", "ripestat.json"}, "", exitOK, ""},
		{"ripestat-strict", []string{"--strict", "ripestat.json"}, "", exitOK, ""},
		// Regex mode matches text: the "timestamp" key inside attrs counts too.
		{"ripestat-regex", []string{"--mode", "regex", "--buffer-size", "7", "ripestat.json"}, "", exitOK, ""},
		{"ripestat-regex-pattern", []string{"--mode", "regex", "--pattern", `"timestamp": ("2022[^"]*")`, "ripestat.json"}, "", exitOK, ""},
		{"ripestat-stdin", []string{"--mode", "full", "-"}, "ripestat.json", exitOK, ""},
		{"unix-ms", []string{"--unit", "ms", "--path", "[*].ts", "unix_ms.json"}, "", exitOK, ""},
		{"empty-updates", []string{"empty_updates.json"}, "", exitOK, ""},
		{"empty-updates-full", []string{"--mode", "full", "empty_updates.json"}, "", exitOK, ""},
		{"empty-updates-regex", []string{"--mode", "regex", "empty_updates.json"}, "", exitOK, ""},
		{"missing-updates", []string{"missing_updates.json"}, "", exitFailed, "missing_updates.json: path data.updates not found"},
		{"missing-updates-full", []string{"--mode", "full", "missing_updates.json"}, "", exitFailed, "missing_updates.json: path data.updates not found"},
		{"missing-updates-regex", []string{"--mode", "regex", "missing_updates.json"}, "", exitFailed, "missing_updates.json: path data.updates not found"},
		{"missing-updates-strict", []string{"--strict", "missing_updates.json"}, "", exitFailed, "missing_updates.json: path data.updates not found"},
		{"missing-updates-allowed", []string{"--allow-missing", "missing_updates.json"}, "", exitOK, ""},
		{"missing-updates-allowed-regex", []string{"--mode", "regex", "--allow-missing", "missing_updates.json"}, "", exitOK, ""},
		{"missing-status-array", []string{"--path", "status", "unix_ms.json"}, "", exitFailed, "top-level value is not an object (selector status)"},
		{"bom", []string{"bom.json"}, "", exitOK, ""},
		{"bom-full", []string{"--mode", "full", "bom.json"}, "", exitOK, ""},
		{"bom-strict", []string{"--strict", "--buffer-size", "1", "bom.json"}, "", exitOK, ""},
		{"truncated", []string{"truncated.json"}, "", exitFailed, "truncated.json: extract: unexpected end of input in object at offset 90"},
		{"truncated-full", []string{"--mode", "full", "truncated.json"}, "", exitFailed, "truncated.json: extract: unexpected end of input in object at offset 90"},
		{"truncated-stdin", []string{"-"}, "truncated.json", exitFailed, "<stdin>: extract: unexpected end of input in object at offset 90"},
		{"trailing-garbage", []string{"trailing_garbage.json"}, "", exitFailed, "invalid character 'x' after top-level value at offset 39"},
		{"missing-file", []string{"no_such_file.json"}, "", exitFailed, "no_such_file.json: no such file"},
		{"bad-mode", []string{"--mode", "fast", "ripestat.json"}, "", exitUsage, `unknown mode "fast"`},
		{"bad-unit", []string{"--unit", "us", "ripestat.json"}, "", exitUsage, `unknown timestamp unit "us"`},
		{"bad-flag", []string{"--no-such-flag", "ripestat.json"}, "", exitUsage, "flag provided but not defined"},
		{"bad-selector", []string{"--path", "data..updates", "ripestat.json"}, "", exitUsage, `selector "data..updates"`},
		{"pattern-without-group", []string{"--mode", "regex", "--pattern", `"ts":\d+`, "ripestat.json"}, "", exitUsage, "exactly one capture group"},
		{"pattern-needs-regex", []string{"--pattern", `"ts":(\d+)`, "ripestat.json"}, "", exitUsage, "--pattern needs --mode regex"},
		{"bad-buffer-size", []string{"--buffer-size", "0", "ripestat.json"}, "", exitUsage, "must be positive"},
		{"no-file", nil, "", exitUsage, "want one FILE or -"},
		{"two-files", []string{"ripestat.json", "unix_ms.json"}, "", exitUsage, "want one FILE or -"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"sluice", "extract"}, tc.args...)
			if n := len(args); n > 2 && args[n-1] != "-" && !strings.HasPrefix(args[n-1], "-") {
				args[n-1] = filepath.Join(dir, args[n-1])
			}
			in := []byte{}
			if tc.stdin != "" {
				var err error
				if in, err = os.ReadFile(filepath.Join(dir, tc.stdin)); err != nil {
					t.Fatal(err)
				}
			}
			var out, errOut bytes.Buffer
			code := runTest(context.Background(), args, &stdio{in: iotest.HalfReader(bytes.NewReader(in)), out: &out, err: &errOut})
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, errOut.String())
			}
			if tc.stderr == "" && errOut.Len() != 0 {
				t.Errorf("stderr: %q, want nothing", errOut.String())
			}
			if tc.stderr != "" && !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("stderr: %q, want it to contain %q", errOut.String(), tc.stderr)
			}
			if tc.code == exitFailed && strings.Count(errOut.String(), "\n") != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", strings.Count(errOut.String(), "\n"), errOut.String())
			}
			if tc.code != exitOK {
				if tc.code == exitFailed && out.Len() != 0 {
					t.Errorf("stdout: %q, want nothing on failure", out.String())
				}
				return
			}
			golden := filepath.Join(dir, tc.name+".golden")
			if testenv.Update() {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("stdout:\n%s\nwant (%s):\n%s", out.Bytes(), golden, want)
			}
		})
	}
}

// TestExtractModesAgree runs every mode over the same file: the summaries
// differ only in "mode".
func TestExtractModesAgree(t *testing.T) {
	t.Parallel()
	var first string
	for _, mode := range []string{"stream", "full", "regex"} {
		var out, errOut bytes.Buffer
		code := runTest(context.Background(), []string{"sluice", "extract", "--mode", mode, "--path", "[*].ts", "testdata/extract/unix_ms.json"},
			&stdio{in: strings.NewReader(""), out: &out, err: &errOut})
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", mode, code, errOut.String())
		}
		got := strings.Replace(out.String(), `"mode":"`+mode+`"`, `"mode":"?"`, 1)
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("%s: %s, stream gave %s", mode, got, first)
		}
	}
}

// TestExtractCanceled: a cancelled context stops the read and maps to
// exit status 3.
func TestExtractCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	code := runTest(ctx, []string{"sluice", "extract", "-"}, &stdio{in: strings.NewReader(`{"data":{}}`), out: &out, err: &errOut})
	if code != exitInterrupted || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q; want %d and nothing", code, out.String(), exitInterrupted)
	}
}

func TestCtxReader(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	r := &scrape.ContextReader{Ctx: ctx, R: strings.NewReader("abc")}
	if n, err := r.Read(make([]byte, 2)); n != 2 || err != nil {
		t.Fatalf("Read = %d, %v", n, err)
	}
	cancel()
	if _, err := r.Read(make([]byte, 2)); !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v", err)
	}
}
