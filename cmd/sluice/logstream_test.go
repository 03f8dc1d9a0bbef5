package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/store"
)

// One log stream: every command, on its success and its failure paths,
// urfave/cli's own parse errors included, writes with --log-format json
// nothing on stderr but JSON records, and on stdout only what it was
// asked to print; in text format no line on stderr is JSON.
func TestLogStream(t *testing.T) {
	t.Parallel()
	inst := startMock(t, mockapi.Config{Seed: 5, Sizes: mustSizes(t, "fixed:2KiB"),
		Overrides: map[string]mockapi.Override{"AS999999": {Fault: mockapi.Fault502}}})
	healthy := demoNodes(13)[1:] // AS64512, the demo's dead node, is left out
	const dead = "AS999999"
	start, end, err := ripestatWindow(e2eDay, "", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			at := func(name string) string { return filepath.Join(dir, name) }
			nodes, ok := writeNodes(t, append(healthy, dead)), writeNodes(t, healthy)
			if err := os.WriteFile(at("body.json"), []byte(`{"data":{"updates":[{"timestamp":"2026-11-21T10:00:00"}]}}`), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(at("bad.json"), []byte(`{"data":{"updates":[{"timestamp":`), 0o644); err != nil {
				t.Fatal(err)
			}
			unfinished(t, at("partial"))
			job := func(out string, extra ...string) []string {
				return append([]string{"--out", out, "--date", e2eDay, "--base-url", inst.URL, "--rate", "0",
					"--batch-size", "5", "--max-attempts", "2", "--max-backoff", "10ms"}, extra...)
			}
			tmpl := inst.URL + mockapi.DataPath + "?resource={node}&starttime=" + start.Format(ripestatLayout) + "&endtime=" + end.Format(ripestatLayout)
			tests := []struct {
				name   string
				args   []string
				code   int
				stdout bool // it prints something on stdout
				serve  bool // it serves until interrupted: stopped after its first record
				json   bool // in the JSON pass only (slow; its text lines are slog's like the rest)
			}{
				{name: "no such command", args: []string{"bogus"}, code: exitUsage},
				{name: "unknown flag", args: []string{"ripestat", "--bogus"}, code: exitUsage},
				{name: "bad flag value", args: []string{"scrape", "--rate", "abc"}, code: exitUsage},
				{name: "missing required flags", args: []string{"ripestat"}, code: exitUsage},
				{name: "no help topic", args: []string{"help", "bogus"}, code: exitUsage},
				{name: "version", args: []string{"--version"}, stdout: true},
				{name: "help", args: []string{"export", "--help"}, stdout: true},
				{name: "extract", args: []string{"extract", at("body.json")}, stdout: true},
				{name: "extract malformed", args: []string{"extract", at("bad.json")}, code: exitFailed},
				{name: "ripestat with a dead node", args: append([]string{"ripestat", "--nodes", nodes, "--record", at("rec")}, job(at("out"))...), code: exitFailed},
				{name: "ripestat shard 1/2", args: append([]string{"ripestat", "--nodes", ok}, job(at("s1"), "--shard", "1/2")...)},
				{name: "ripestat shard 2/2", args: append([]string{"ripestat", "--nodes", ok}, job(at("s2"), "--shard", "2/2", "--quiet")...)},
				{name: "ripestat retry-dead", args: append([]string{"ripestat", "--nodes", nodes, "--retry-dead"}, job(at("out"))...), code: exitFailed},
				{name: "ripestat bar in JSON", args: append([]string{"ripestat", "--nodes", nodes, "--progress", "bar"}, job(at("x"))...), code: exitUsage, json: true},
				{name: "ripestat bad out", args: append([]string{"ripestat", "--nodes", nodes}, job(at("body.json"))...), code: exitUsage},
				{name: "scrape", args: []string{"scrape", "--nodes", ok, "--out", at("scraped"), "--url", tmpl, "--rate", "0", "--max-attempts", "2", "--summary-json", "-"}, stdout: true},
				{name: "scrape bad header", args: []string{"scrape", "--nodes", ok, "--out", at("x"), "--url", tmpl, "--header", "nocolon"}, code: exitUsage},
				{name: "replay", args: []string{"replay", "--nodes", nodes, "--out", at("replayed"), "--captures", at("rec"), "--batch-size", "5", "--status-path", "status"}, code: exitFailed},
				{name: "replay no recording", args: []string{"replay", "--nodes", nodes, "--out", at("x"), "--captures", at("none")}, code: exitUsage},
				{name: "export", args: []string{"export", at("out"), "--format", "ndjson"}, stdout: true},
				{name: "export partial", args: []string{"export", at("partial"), "--partial"}, stdout: true},
				{name: "export unfinished", args: []string{"export", at("partial")}, code: exitRetry},
				{name: "merge", args: []string{"merge", "--nodes", ok, "--into", at("merged"), at("s1"), at("s2")}},
				{name: "merge nothing", args: []string{"merge", "--nodes", ok, "--into", at("x")}, code: exitUsage},
				{name: "status no redis", args: []string{"status", "--coord", "redis://127.0.0.1:1"}, code: exitCoordLost},
				{name: "status bad url", args: []string{"status", "--coord", "http://x"}, code: exitUsage},
				{name: "bench report", args: []string{"bench", "report", at("none")}, code: exitUsage},
				{name: "bench no such subcommand", args: []string{"bench", "bogus"}, code: exitUsage},
				{name: "serve-mock", args: []string{"serve-mock", "--addr", "127.0.0.1:0"}, serve: true, code: exitOK},
				{name: "serve-mock bad faults", args: []string{"serve-mock", "--faults", "bogus=1"}, code: exitUsage},
				{name: "serve-captures", args: []string{"serve-captures", "--captures", at("rec"), "--addr", "127.0.0.1:0"}, serve: true},
				{name: "serve-captures bad pace", args: []string{"serve-captures", "--captures", at("rec"), "--pace", "slow"}, code: exitUsage},
				{name: "demo", args: []string{"demo", "--nodes", "12", "--out", at("demo"), "--concurrency", "4"}, json: true},
				{name: "demo bad nodes", args: []string{"demo", "--nodes", "0"}, code: exitUsage},
			}
			for _, tc := range tests {
				if tc.json && format != "json" {
					continue
				}
				args := append([]string{"sluice"}, tc.args...)
				if format == "json" {
					args = append(args[:1], append([]string{"--log-format", "json"}, args[1:]...)...)
				}
				code, stdout, stderr := runStream(t, args, tc.serve)
				if code != tc.code {
					t.Errorf("%s: exit %d, want %d; stderr:\n%s", tc.name, code, tc.code, tail(stderr))
				}
				if (stdout != "") != tc.stdout {
					t.Errorf("%s: stdout %q", tc.name, tail(stdout))
				}
				if stderr == "" && tc.code != exitOK {
					t.Errorf("%s: exit %d without a word on stderr", tc.name, code)
				}
				checkStream(t, tc.name, format, stderr, tc.code)
			}
		})
	}
}

// checkStream checks that every line of stderr is a JSON record (json),
// or that none is (text); a failed command's last JSON record is an error
// with its exit status.
func checkStream(t *testing.T, name, format, stderr string, code int) {
	t.Helper()
	var last map[string]any
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var rec map[string]any
		isJSON := json.Unmarshal(line, &rec) == nil
		switch {
		case format == "json" && (!isJSON || rec["msg"] == nil || rec["level"] == nil || rec["time"] == nil):
			t.Errorf("%s: stderr line is not a JSON record: %q", name, line)
		case format == "text" && (isJSON || bytes.HasPrefix(bytes.TrimSpace(line), []byte("{"))):
			t.Errorf("%s: JSON in the text stream: %q", name, line)
		}
		last = rec
	}
	if format == "json" && code != exitOK && code != exitUnfinished && last != nil &&
		(last["level"] != "ERROR" || last["exit_status"] != float64(code)) {
		t.Errorf("%s: last record %v, want an ERROR with exit_status %d", name, last, code)
	}
}

// runStream runs the CLI in process; with serve, it interrupts the
// command once it has written its first line on stderr.
func runStream(t *testing.T, args []string, serve bool) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	errw := &firstWrite{wrote: make(chan struct{})}
	done := make(chan int, 1)
	go func() { done <- runTest(ctx, args, &stdio{in: strings.NewReader(""), out: &out, err: errw}) }()
	if serve {
		select {
		case <-errw.wrote:
			cancel()
		case <-time.After(time.Minute):
			t.Fatalf("%v: nothing on stderr after a minute", args)
		}
	}
	code := <-done
	return code, out.String(), errw.String()
}

// firstWrite is a buffer that closes wrote at its first write.
type firstWrite struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
	once  sync.Once
}

func (w *firstWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.once.Do(func() { close(w.wrote) })
	return w.buf.Write(p)
}

func (w *firstWrite) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// unfinished makes a run folder whose plan has 10 batches and one commit.
func unfinished(t *testing.T, dir string) {
	t.Helper()
	r, err := store.Open(dir, store.Params{URL: "http://127.0.0.1/x"}, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetPlan(100, 10); err != nil {
		t.Fatal(err)
	}
	if err := r.CommitBatch(0, []store.Record{{Node: "AS1", Mode: "stream"}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLogFormatOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		env  string
		json bool
		err  bool
	}{
		{args: nil},
		{args: []string{"scrape", "--log-format", "json"}, json: true},
		{args: []string{"--log-format=json", "scrape"}, json: true},
		{args: []string{"scrape", "-log-format", "json"}, json: true},
		{args: []string{"scrape"}, env: "json", json: true},
		{args: []string{"scrape", "--log-format", "text"}, env: "json"},
		{args: []string{"export", "DIR", "--", "--log-format", "json"}},
		{args: []string{"scrape", "--log-format"}}, // urfave says the value is missing
		{args: []string{"scrape", "--log-format", "yaml"}, err: true},
		{args: []string{"scrape"}, env: "xml", err: true},
	}
	var stdout, stderr bytes.Buffer
	if code := runTest(context.Background(), []string{"sluice", "merge", "--log-format", "yaml"}, &stdio{out: &stdout, err: &stderr}); code != exitUsage ||
		stderr.String() != "sluice: --log-format \"yaml\": want text or json\n" || stdout.Len() > 0 {
		t.Errorf("--log-format yaml: exit %d, stderr %q, stdout %q", code, &stderr, &stdout)
	}
	for _, tt := range tests {
		json, err := logFormatOf(tt.args, func(string) string { return tt.env })
		if json != tt.json || (err != nil) != tt.err {
			t.Errorf("%v (env %q): json %v, err %v", tt.args, tt.env, json, err)
		}
	}
}

// countRecords parses stderr as JSON records, one a line, and counts
// those with the message msg.
func countRecords(t *testing.T, stderr, msg string) int {
	t.Helper()
	n := 0
	for line := range strings.Lines(stderr) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stderr line is not JSON (%v): %q", err, line)
			continue
		}
		if rec["msg"] == msg {
			n++
		}
	}
	return n
}
