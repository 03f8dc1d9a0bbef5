package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exportRun is store's golden run folder; exportGolden its expected exports.
var (
	exportRun    = filepath.Join("..", "..", "store", "testdata", "run")
	exportGolden = filepath.Join("..", "..", "store", "testdata", "export")
)

func runExport(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runTest(context.Background(), append([]string{"sluice", "export"}, args...), &stdio{in: strings.NewReader(""), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func TestExportCommand(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		golden string
	}{
		{"default csv", []string{exportRun}, nil, "nodes.csv"},
		{"flags before DIR", []string{"--format", "ndjson", exportRun}, nil, "nodes.ndjson"},
		{"flags after DIR", []string{exportRun, "--format", "ndjson", "--bucketed"}, nil, "buckets.ndjson"},
		{"flags on both sides", []string{"--bucketed", exportRun, "--format=csv"}, nil, "buckets.csv"},
		{"DIR after --", []string{"--format", "csv", "--", exportRun}, nil, "nodes.csv"},
		{"environment", []string{exportRun}, map[string]string{"SLUICE_EXPORT_FORMAT": "ndjson", "SLUICE_EXPORT_BUCKETED": "true"}, "buckets.ndjson"},
		{"flag beats environment", []string{"--format", "csv", exportRun}, map[string]string{"SLUICE_EXPORT_FORMAT": "ndjson"}, "nodes.csv"},
		{"dense", []string{exportRun, "--dense"}, nil, "dense.csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, stdout, stderr := runExport(t, tc.args...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			want, err := os.ReadFile(filepath.Join(exportGolden, tc.golden))
			if err != nil {
				t.Fatal(err)
			}
			if stdout != string(want) {
				t.Errorf("stdout differs from %s:\n got\n%s\n want\n%s", tc.golden, stdout, want)
			}
		})
	}
}

func TestExportCommandErrors(t *testing.T) {
	t.Parallel()
	damaged := t.TempDir()
	for _, name := range []string{"manifest.json", "dead-letter.ndjson", "batch-000000.ndjson.zst", "batch-000001.ndjson.zst", "batch-000002.ndjson.zst"} {
		data, err := os.ReadFile(filepath.Join(exportRun, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "batch-000001.ndjson.zst" {
			data[len(data)-1] ^= 1
		}
		if err := os.WriteFile(filepath.Join(damaged, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name string
		args []string
		code int
		want string // in the one line on stderr
	}{
		{"bad format", []string{"--format", "xlsx", exportRun}, exitUsage, `--format "xlsx": want csv, ndjson or parquet`},
		{"bad format after DIR", []string{exportRun, "--format", "tsv"}, exitUsage, `--format "tsv"`},
		{"unknown flag after DIR", []string{exportRun, "--colour"}, exitUsage, "flag provided but not defined: --colour"},
		{"unknown flag", []string{"--colour", exportRun}, exitUsage, "flag provided but not defined: --colour"},
		{"no DIR", nil, exitUsage, "want at least one run folder DIR"},
		{"one DIR twice", []string{exportRun, exportRun}, exitUsage, "is given twice"},
		{"missing folder", []string{missing}, exitUsage, missing + ": no such run folder"},
		{"damaged batch file", []string{damaged}, exitRetry, filepath.Join(damaged, "batch-000001.ndjson.zst") + ": sha256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runExport(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.want)
			}
			if tc.code != exitUsage && strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", stderr)
			}
			if tc.code != exitOK && stdout != "" {
				t.Errorf("output despite the error: %q", stdout)
			}
		})
	}
}

// Issue 10 item 3: `sluice export` of a run stopped after its first batch
// fails with exit 4 and says so, unless --partial, which warns and exports.
func TestExportUnfinishedRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	unfinished(t, dir)
	code, stdout, stderr := runExport(t, dir)
	if code != exitRetry || stdout != "" || !strings.Contains(stderr, "9 of 10 planned batches are not committed") ||
		!strings.Contains(stderr, "--partial") {
		t.Fatalf("export: exit %d, stdout %q, stderr %q; want exit %d naming the missing batches and --partial", code, stdout, stderr, exitRetry)
	}
	code, stdout, stderr = runExport(t, dir, "--partial")
	if code != exitOK || !strings.Contains(stdout, "AS1,") || !strings.Contains(stderr, `level=WARN msg="exporting a partial run (--partial)"`) {
		t.Fatalf("export --partial: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
