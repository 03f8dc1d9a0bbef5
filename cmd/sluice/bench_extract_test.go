package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/bench/measure"
	"github.com/sluicehq/sluice/bench/report"
	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/bench/units"
)

// runSluice runs the CLI in process and returns its exit code and output.
func runSluice(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runTest(context.Background(), append([]string{"sluice"}, args...), &stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

// runSluiceBin runs the real binary and returns its exit code and
// output. The bench commands' children are then the binary too, not the
// test binary under -race, which would spend most of the package's CPU
// on its race detector.
func runSluiceBin(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// Not parallel: it measures its children's speed and memory.
func TestBenchExtractReport(t *testing.T) {
	dir := t.TempDir()
	args := []string{"bench", "extract", "--sizes", "64KiB,256KiB", "--reps", "2", "--sweep", "4KiB,64KiB",
		"--sweep-size", "64KiB", "--min-bytes", "0", "--seed", "3", "--report", dir, "--log-format", "json"}
	code, stdout, stderr := runSluiceBin(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"json Decoder.Token", "stream buffer sweep at 64 KiB", "every kind found exactly"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if n := countRecords(t, stderr, "measured"); n != 2*(2*6+2) {
		t.Errorf("%d progress lines, want %d:\n%s", n, 2*(2*6+2), stderr)
	}
	rep := loadReport(t, dir)
	e := rep.Extract
	if e == nil || e.Result == nil {
		t.Fatal("bench.json has no extract section")
	}
	cmd := e.Run.Command
	if len(cmd) < 3 || strings.Join(cmd[:3], " ") != "sluice bench extract" {
		t.Errorf("command %q", cmd)
	}
	for i := 2; i+1 < len(args); i += 2 {
		if !slices.Contains(cmd, args[i]+"="+args[i+1]) {
			t.Errorf("command %q lacks %s=%s", cmd, args[i], args[i+1])
		}
	}
	m := e.Run.Machine
	if m.Cores < 1 || m.GoVersion == "" || m.GOOS == "" || m.GOARCH == "" || e.Run.Date.IsZero() {
		t.Errorf("machine %+v, date %v", m, e.Run.Date)
	}
	checkExtractResult(t, e.Result, []int64{64 << 10, 256 << 10}, 2, 3)
	for _, name := range []string{report.ThroughputSVG, report.MemorySVG, report.SweepSVG} {
		checkSVG(t, filepath.Join(dir, name))
	}
	md, err := os.ReadFile(filepath.Join(dir, report.MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"](" + report.ThroughputSVG + ")", "](" + report.MemorySVG + ")", "| 256 KiB | stream |", "sluice bench extract"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("bench.md lacks %q", want)
		}
	}
}

func loadReport(t *testing.T, dir string) *report.Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if rep.Schema != report.SchemaVersion {
		t.Errorf("schema %d", rep.Schema)
	}
	return &rep
}

// checkExtractResult checks bench.json's figures against each other and
// against the generator: every (kind, size) present, the values equal to
// the ground truth, the medians and ratios those of the reps.
func checkExtractResult(t *testing.T, res *measure.ExtractResult, sizes []int64, reps int, seed uint64) {
	t.Helper()
	if !res.Agreement.OK || len(res.Agreement.Problems) > 0 {
		t.Errorf("agreement %+v", res.Agreement)
	}
	token := map[int64]float64{}
	seen := map[string]bool{}
	for _, row := range res.Rows {
		if row.Error != "" {
			t.Errorf("%s %d: %s", row.Kind, row.Size, row.Error)
			continue
		}
		if len(row.Reps) != reps {
			t.Fatalf("%s %d: %d reps, want %d", row.Kind, row.Size, len(row.Reps), reps)
		}
		speeds := make([]float64, reps)
		for i, r := range row.Reps {
			want := float64(r.BodyBytes*int64(r.Passes)) / float64(r.ExtractNanos) * 1e3
			if math.Abs(r.MBps-want) > 1e-9*want || r.PeakRSSBytes <= 0 || r.BodyBytes != row.BodyBytes {
				t.Errorf("%s %d rep %d: MB/s %v (want %v), RSS %d, body %d", row.Kind, row.Size, i, r.MBps, want, r.PeakRSSBytes, r.BodyBytes)
			}
			speeds[i] = r.MBps
		}
		if med := measure.Median(speeds); row.MedianMBps != med {
			t.Errorf("%s %d: median %v, reps say %v", row.Kind, row.Size, row.MedianMBps, med)
		}
		truth := synth.Options{Seed: seed, Updates: synth.UpdatesForSize(row.Size)}.Truth()
		if row.Truth.Count != truth.Count || *row.Truth.First != truth.First || *row.Truth.Last != truth.Last {
			t.Errorf("%s %d: truth %v, generator says %+v", row.Kind, row.Size, row.Truth, truth)
		}
		if row.Kind != measure.KindRead {
			for _, r := range row.Reps {
				if !r.Values.Equal(row.Truth) {
					t.Errorf("%s %d: found %v, truth %v", row.Kind, row.Size, r.Values, row.Truth)
				}
			}
		}
		if row.Kind == measure.PeerToken && !row.Sweep {
			token[row.Size] = row.MedianMBps
		}
		if !row.Sweep {
			seen[string(row.Kind)+"@"+units.FormatSize(row.Size)] = true
		}
	}
	for _, size := range sizes {
		for _, k := range measure.Kinds() {
			if !seen[string(k)+"@"+units.FormatSize(size)] {
				t.Errorf("no row for %s at %s", k, units.FormatSize(size))
			}
		}
	}
	for _, row := range res.Rows {
		want := row.MedianMBps / token[row.Size]
		if row.RatioToToken == nil || math.Abs(*row.RatioToToken-want) > 1e-9*want {
			t.Errorf("%s %d: ratio %v, figures say %v", row.Kind, row.Size, row.RatioToToken, want)
		}
	}
}

// checkSVG checks that a chart is a well-formed SVG document with text.
func checkSVG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var root string
	texts := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("%s: %v", path, err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			if se.Name.Local == "text" {
				texts++
			}
		}
	}
	if root != "svg" || texts < 5 {
		t.Errorf("%s: root <%s>, %d text elements", path, root, texts)
	}
}

func TestBenchExtractUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad size", []string{"--sizes", "12XB"}, "--sizes"},
		{"zero size", []string{"--sizes", "0"}, "--sizes"},
		{"unknown mode", []string{"--modes", "fast"}, "unknown kind"},
		{"peer as mode", []string{"--modes", "json-token"}, "not one of the modes"},
		{"mode as peer", []string{"--peers", "stream"}, "not one of the peers"},
		{"nothing", []string{"--modes", "none", "--peers", "none"}, "nothing to measure"},
		{"reps", []string{"--reps", "0"}, "--reps"},
		{"buffer", []string{"--buffer-size", "0"}, "--buffer-size"},
		{"sweep", []string{"--sweep", "4KiB,2GiB"}, "--sweep"},
		{"memory cap", []string{"--memory-cap", "lots"}, "--memory-cap"},
		{"flag", []string{"--no-such-flag"}, "no-such-flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runSluice(t, append([]string{"bench", "extract"}, tc.args...)...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestBenchChildBadRequest(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	code := runTest(context.Background(), []string{"sluice", "bench", "child"}, &stdio{in: strings.NewReader(`{"extract":{"kind":"fast"}}`), out: &out, err: &errOut})
	if code != exitFailed || out.Len() != 0 || !strings.Contains(errOut.String(), `unknown kind "fast"`) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}
