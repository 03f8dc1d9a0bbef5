package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/store"
)

// A run against the mock with its concurrency limit (so 429s), faults and
// one node that always fails, with --log-format json: every line on
// stderr is a JSON record, stdout stays empty, and the summary record,
// --summary-json, the manifest's run and --metrics-file all carry the
// figures the mock counted itself.
func TestRunReportsTrueFigures(t *testing.T) {
	t.Parallel()
	inst := startMock(t, mockapi.Config{
		Seed:          21,
		MaxConcurrent: 3,
		Latency:       mockapi.Latency{Kind: mockapi.LatencyFixed, A: 5 * time.Millisecond}, // so requests overlap
		Sizes:         mustSizes(t, "fixed:6KiB"),
		Faults:        mustFaults(t, "500=0.05,reset=0.03,truncate=0.03"),
		Overrides:     map[string]mockapi.Override{"AS1": {Fault: mockapi.Fault502}},
	})
	nodes := dedupe(append(demoNodes(120), "AS1"))
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	sumPath := filepath.Join(dir, "summary.json")
	promPath := filepath.Join(dir, "sluice.prom")
	var stdout bytes.Buffer
	var stderr syncBuffer // the progress and the client log write at once
	code := runTest(context.Background(), []string{"sluice", "ripestat", "--nodes", writeNodes(t, nodes), "--out", out,
		"--date", e2eDay, "--base-url", inst.URL, "--rate", "0", "--concurrency", "6", "--batch-size", "25",
		"--max-attempts", "4", "--min-backoff", "10ms", "--max-backoff", "50ms",
		"--log-format", "json", "--progress", "log", "--summary-json", sumPath, "--metrics-file", promPath},
		&stdio{in: strings.NewReader(""), out: &stdout, err: &stderr})
	if code != exitFailed {
		t.Fatalf("exit %d, want %d (AS1 is dead); stderr:\n%s", code, exitFailed, tail(stderr.String()))
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout not empty: %q", stdout.String())
	}
	mock := inst.Stats(t).Total
	if mock.Status429 == 0 {
		t.Fatal("the mock refused nothing: the test does not cover 429s")
	}

	// Every stderr line is one JSON object; one of them is the summary.
	var summary map[string]any
	msgs := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("stderr line is not JSON (%v): %q", err, sc.Text())
		}
		msg, _ := rec["msg"].(string)
		msgs[msg]++
		if msg == "run summary" {
			summary = rec
		}
	}
	for _, m := range []string{"progress", "batch committed", "run summary"} {
		if msgs[m] == 0 {
			t.Errorf("no %q record among %v", m, msgs)
		}
	}
	if msgs["run summary"] != 1 {
		t.Fatalf("%d summary records", msgs["run summary"])
	}
	wantRec := map[string]any{"requests": float64(mock.Requests), "status_429": float64(mock.Status429),
		"nodes": float64(len(nodes)), "dead": 1.0, "out": out, "ok": float64(len(nodes) - 1), "exit_status": float64(exitFailed),
		"wire_bytes": float64(mock.Bytes)}
	for k, want := range wantRec {
		if got := summary[k]; got != want {
			t.Errorf("summary record %s = %v, want %v", k, got, want)
		}
	}

	// --summary-json and the manifest's last run.
	data, err := os.ReadFile(sumPath)
	if err != nil {
		t.Fatal(err)
	}
	var rs store.RunSummary
	if err := json.Unmarshal(data, &rs); err != nil {
		t.Fatal(err)
	}
	checkRunSummary(t, "--summary-json", rs, mock, len(nodes))
	man := readManifestRuns(t, out)
	if len(man) != 1 {
		t.Fatalf("manifest keeps %d runs, want 1", len(man))
	}
	checkRunSummary(t, "manifest", man[0], mock, len(nodes))

	// --metrics-file, read by Prometheus' own parser.
	prom, err := os.ReadFile(promPath)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(prom))
	if err != nil {
		t.Fatalf("metrics file: %v\n%s", err, prom)
	}
	var requests, r429 float64
	for _, m := range fams["sluice_requests_total"].GetMetric() {
		requests += m.GetCounter().GetValue()
		for _, l := range m.GetLabel() {
			if l.GetName() == "code" && l.GetValue() == "429" {
				r429 = m.GetCounter().GetValue()
			}
		}
	}
	gauge := func(name string) float64 { return fams[name].GetMetric()[0].GetGauge().GetValue() }
	switch {
	case requests != float64(mock.Requests):
		t.Errorf("metrics: %v requests, the mock saw %d", requests, mock.Requests)
	case r429 != float64(mock.Status429) || fams["sluice_rate_limited_total"].GetMetric()[0].GetCounter().GetValue() != float64(mock.Status429):
		t.Errorf("metrics: %v 429s, the mock sent %d", r429, mock.Status429)
	case fams["sluice_wire_bytes_total"].GetMetric()[0].GetCounter().GetValue() != float64(mock.Bytes):
		t.Errorf("metrics: %v wire bytes, the mock sent %d", fams["sluice_wire_bytes_total"].GetMetric()[0].GetCounter().GetValue(), mock.Bytes)
	case gauge("sluice_run_exit_status") != exitFailed || gauge("sluice_run_running") != 0:
		t.Errorf("metrics: exit status %v, running %v", gauge("sluice_run_exit_status"), gauge("sluice_run_running"))
	case fams["sluice_last_success_timestamp_seconds"] != nil:
		t.Error("metrics: a last success for a run that failed, with no earlier one")
	}
	for _, m := range fams["sluice_run_nodes"].GetMetric() {
		want := map[string]float64{"ok": float64(len(nodes) - 1), "dead": 1}[labelOf(m, "state")]
		if got := m.GetGauge().GetValue(); got != want {
			t.Errorf("metrics: nodes %s = %v, want %v", labelOf(m, "state"), got, want)
		}
	}
}

func checkRunSummary(t *testing.T, where string, rs store.RunSummary, mock mockapi.ClientStats, nodes int) {
	t.Helper()
	switch {
	case rs.Requests.Total != mock.Requests:
		t.Errorf("%s: %d requests, the mock saw %d", where, rs.Requests.Total, mock.Requests)
	case rs.Status429 != mock.Status429 || rs.ByStatus["429"] != mock.Status429:
		t.Errorf("%s: %d 429s (%d by status), the mock sent %d", where, rs.Status429, rs.ByStatus["429"], mock.Status429)
	case rs.Nodes.OK != int64(nodes-1) || rs.Nodes.Dead != 1 || rs.Nodes.Planned != nodes:
		t.Errorf("%s: nodes %+v", where, rs.Nodes)
	case rs.ExitStatus != exitFailed:
		t.Errorf("%s: exit status %d", where, rs.ExitStatus)
	case rs.Requests.Status2xx < int64(nodes-1) || rs.Retries == 0:
		t.Errorf("%s: requests %+v, retries %d", where, rs.Requests, rs.Retries)
	// Wire bytes are the body bytes the client read off its connections,
	// error answers included; the mock counts what it wrote. Every fault
	// here delivers what was written (an error body, a body cut short and
	// ended, one cut by a reset after its bytes were sent on loopback).
	case rs.WireBytes != mock.Bytes || rs.BodyBytes < rs.ExtractedBytes || rs.ExtractedBytes < int64(nodes-1)*5<<10:
		t.Errorf("%s: wire %d (the mock sent %d), body %d, extracted %d bytes for %d bodies of ~6 KiB", where, rs.WireBytes, mock.Bytes, rs.BodyBytes, rs.ExtractedBytes, nodes-1)
	case rs.End.Sub(rs.Start) <= 0 || rs.DurationSeconds <= 0 || rs.Latency.P95 < rs.Latency.P50 || rs.Latency.Max < rs.Latency.P95:
		t.Errorf("%s: times %v..%v (%vs), latency %+v", where, rs.Start, rs.End, rs.DurationSeconds, rs.Latency)
	case time.Since(rs.End) > time.Hour || rs.Start.Location() != time.UTC:
		t.Errorf("%s: end %v", where, rs.End)
	}
}

func labelOf(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// readManifestRuns reads the runs the manifest of out keeps.
func readManifestRuns(t *testing.T, out string) []store.RunSummary {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Runs []store.RunSummary `json:"runs"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m.Runs
}

// --quiet leaves the summary (and warnings) only: no progress, no batch
// commits.
func TestQuiet(t *testing.T) {
	t.Parallel()
	inst := startMock(t, mockapi.Config{Seed: 4, Sizes: mustSizes(t, "fixed:2KiB")})
	out := filepath.Join(t.TempDir(), "out")
	code, stderr := runCLI(t, "ripestat", "--nodes", writeNodes(t, demoNodes(30)[1:]), "--out", out, "--date", e2eDay,
		"--base-url", inst.URL, "--rate", "0", "--batch-size", "10", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `msg="run summary" nodes=29 ok=29 dead=0`) {
		t.Errorf("--quiet wrote %q, want the summary record only", lines)
	}
	if code, stderr := runCLI(t, "ripestat", "--nodes", "x", "--out", out, "--quiet", "--verbose"); code != exitUsage || !strings.Contains(stderr, "--quiet and --verbose") {
		t.Errorf("--quiet --verbose: exit %d, %q", code, stderr)
	}
}
