package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/bench/testenv"
	"github.com/sluicehq/sluice/store"
)

// The end-to-end tests run the real ripestat command (in process, or as
// the real binary) against the real mock API on loopback.

const e2eDay = "2026-11-21"

// writeNodes writes a node list file and returns its path.
func writeNodes(t *testing.T, nodes []string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nodes.txt")
	if err := os.WriteFile(path, []byte(strings.Join(nodes, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// truthOf returns the ground-truth function of inst for the e2e day.
func truthOf(t *testing.T, inst *mockServer) func(string) (synth.Truth, error) {
	start, end, err := ripestatWindow(e2eDay, "", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return func(node string) (synth.Truth, error) { return inst.Truth(node, start, end) }
}

// inProcess serialises the part of runCLI that urfave/cli runs before a
// command's action: it writes package-level values (the help flag's
// defaults, the help command's names) while it parses, so two apps must
// not parse at once in one process. The actions, where a job spends its
// time, run in parallel.
var inProcess sync.Mutex

// runCLI runs sluice in process and returns its exit status and stderr.
func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var errb syncBuffer // several loggers write at once
	code := runTest(context.Background(), append([]string{"sluice"}, args...), &stdio{in: strings.NewReader(""), out: io.Discard, err: &errb})
	return code, errb.String()
}

// runTest is run for tests that may run in parallel: it holds inProcess
// until the command's action starts.
func runTest(ctx context.Context, args []string, stdio *stdio) int {
	inProcess.Lock()
	parsed := sync.OnceFunc(inProcess.Unlock)
	defer parsed()
	return runWith(ctx, args, stdio, func(app *cli.App) { afterParse(app.Commands, parsed) })
}

// afterParse makes each command's action call parsed first.
func afterParse(cmds []*cli.Command, parsed func()) {
	for _, c := range cmds {
		afterParse(c.Subcommands, parsed)
		if act := c.Action; act != nil {
			c.Action = func(c *cli.Context) error {
				parsed()
				return act(c)
			}
		}
	}
}

func mustFaults(t *testing.T, spec string) mockapi.Faults {
	t.Helper()
	f, err := mockapi.ParseFaults(spec)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustSizes(t *testing.T, spec string) mockapi.SizeDist {
	t.Helper()
	d, err := mockapi.ParseSizeDist(spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRipestatEveryFault: 3,000 nodes with every kind of fault switched on
// and a rate limit. Each node ends in exactly one place, and every stored
// count equals the mock's ground truth.
func TestRipestatEveryFault(t *testing.T) {
	t.Parallel()
	n := 3000
	if testenv.Quick() {
		n = 500
	}
	inst := startMock(t, mockapi.Config{
		Seed:   7,
		Limit:  1000,
		Window: time.Second,
		// Each 503 carries a Retry-After (50 ms units here) that pauses
		// the whole client, as it should.
		Faults: mustFaults(t, "500=0.02,502=0.02,503=0.01,html=0.02,reset=0.02,truncate=0.02,stall=0.01,length=0.02,maintenance=0.02,error=0.02,stall-for=2s"),
		Sizes:  mustSizes(t, "lognormal:4KiB:1:256KiB"),
		Overrides: map[string]mockapi.Override{
			"AS1": {Fault: mockapi.Fault502},   // always fails: a dead letter
			"AS2": {Fault: mockapi.FaultStall}, // always stalls: a dead letter
		},
	})
	nodes := demoNodes(n)
	nodes = append(nodes, "AS1", "AS2")
	out := filepath.Join(t.TempDir(), "out")
	code, stderr := runCLI(t, "ripestat", "--nodes", writeNodes(t, nodes), "--out", out,
		"--date", e2eDay, "--base-url", inst.URL, "--sourceapp", "e2e",
		"--rate", "0", "--concurrency", "32", "--batch-size", "100",
		"--stall-timeout", "300ms", "--max-attempts", "5", "--min-backoff", "10ms", "--max-backoff", "50ms", "--progress", "none")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d (dead letters); stderr:\n%s", code, exitFailed, tail(stderr))
	}
	v, err := mockapi.CheckRun(out, dedupe(nodes), truthOf(t, inst))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Mismatches) > 0 {
		t.Fatalf("%d mismatches, first: %s", len(v.Mismatches), v.Mismatches[0])
	}
	dead, err := store.ReadDeadLetters(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dead {
		names = append(names, d.Node)
		// attempts counts the requests sent: 5 failures, plus any 503
		// with Retry-After, which sends the node back without spending
		// one of --max-attempts.
		if d.Attempts < 5 || d.Error == "" {
			t.Errorf("dead letter %+v: want at least 5 attempts and an error", d)
		}
	}
	if !slices.Contains(names, "AS1") || !slices.Contains(names, "AS2") {
		t.Errorf("dead letters %v: want AS1 and AS2 among them", names)
	}
	st := inst.Stats(t)
	for _, f := range mockapi.AllFaults() {
		if st.Faults[f] == 0 {
			t.Errorf("fault %s never struck: the test does not cover it", f)
		}
	}
	t.Logf("%d ok, %d dead, faults %v", v.OK, v.Dead, st.Faults)
}

// TestRetryDeadMovesRecoveredNodes: nodes that failed for good are run
// again with --retry-dead and move from the dead-letter file to a batch.
func TestRetryDeadMovesRecoveredNodes(t *testing.T) {
	t.Parallel()
	inst := startMock(t, mockapi.Config{
		Seed:  3,
		Sizes: mustSizes(t, "fixed:8KiB"),
		// Half the requests of these two fail: with one attempt a run
		// loses some, with --retry-dead and enough attempts none.
		Overrides: map[string]mockapi.Override{
			"AS10": {Fault: mockapi.Fault502, FaultRate: 0.5},
			"AS11": {Fault: mockapi.FaultReset, FaultRate: 0.5},
		},
	})
	nodes := []string{"AS10", "AS11", "AS12", "AS13"}
	nodesFile := writeNodes(t, nodes)
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"ripestat", "--nodes", nodesFile, "--out", out, "--date", e2eDay,
		"--base-url", inst.URL, "--rate", "0", "--progress", "none", "--min-backoff", "50ms", "--max-backoff", "200ms", "--max-attempts", "1"}
	for i := 0; i < 20; i++ { // until at least one node is dead (fault draws are per request)
		code, stderr := runCLI(t, args...)
		if code == exitFailed {
			break
		}
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, tail(stderr))
		}
		os.RemoveAll(out)
	}
	before, _ := store.ReadDeadLetters(out)
	if len(before) == 0 {
		t.Fatal("no dead letter after 20 runs: the overrides did not strike")
	}
	retry := append(slices.Clone(args[:len(args)-2]), "--max-attempts", "12", "--retry-dead")
	if code, stderr := runCLI(t, retry...); code != exitOK {
		t.Fatalf("--retry-dead: exit %d: %s", code, tail(stderr))
	}
	v, err := mockapi.CheckRun(out, nodes, truthOf(t, inst))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Mismatches) > 0 || v.Dead != 0 || v.OK != len(nodes) {
		t.Fatalf("after --retry-dead: ok %d dead %d mismatches %v", v.OK, v.Dead, v.Mismatches)
	}
}

// TestShardsCoverListOnce: two shards run into two folders cover the list
// exactly once.
func TestShardsCoverListOnce(t *testing.T) {
	t.Parallel()
	inst := startMock(t, mockapi.Config{Seed: 5, Sizes: mustSizes(t, "fixed:4KiB")})
	nodes := demoNodes(150)[1:] // without the doomed one: nothing fails here
	nodesFile := writeNodes(t, nodes)
	seen := map[string]int{}
	for k := 1; k <= 2; k++ {
		out := filepath.Join(t.TempDir(), "shard")
		code, stderr := runCLI(t, "ripestat", "--nodes", nodesFile, "--out", out, "--date", e2eDay,
			"--base-url", inst.URL, "--rate", "0", "--progress", "none", "--shard", fmt.Sprintf("%d/2", k))
		if code != exitOK {
			t.Fatalf("shard %d/2: exit %d: %s", k, code, tail(stderr))
		}
		n := 0
		if err := store.ReadRecords(out, func(r store.Record) error { seen[r.Node]++; n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n == 0 || n == len(nodes) {
			t.Errorf("shard %d/2 holds %d of %d nodes: not a split", k, n, len(nodes))
		}
	}
	for _, n := range nodes {
		if seen[n] != 1 {
			t.Errorf("node %s is in %d shards", n, seen[n])
		}
	}
	if len(seen) != len(nodes) {
		t.Errorf("shards hold %d nodes, the list %d", len(seen), len(nodes))
	}
}

// TestDemo runs `sluice demo` at a small size; its own check must pass.
// It runs as the real binary: the demo starts a second app in its
// process, which would parse beside the other tests' apps.
func TestDemo(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	cmd := exec.Command(binary(t), "demo", "--nodes", "300", "--out", t.TempDir(), "--progress", "none")
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil || !strings.Contains(stderr.String(), "check passed") {
		t.Fatalf("demo: %v, stderr:\n%s", err, tail(stderr.String()))
	}
}

// packageDirs are the folders that outlive a single test (the binary, the
// coordinated tests' reference run); TestMain removes them.
var packageDirs struct {
	sync.Mutex
	dirs []string
}

// packageTempDir makes a folder that TestMain removes after the last test.
func packageTempDir(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", err
	}
	packageDirs.Lock()
	defer packageDirs.Unlock()
	packageDirs.dirs = append(packageDirs.dirs, dir)
	return dir, nil
}

func TestMain(m *testing.M) {
	testenv.NoRaceExitSleep() // for the bench commands' children too
	code := m.Run()
	for _, dir := range packageDirs.dirs {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// buildBinary builds the sluice binary once per test run. It asks `go
// run` for it, which keeps the linked executable in the build cache (`go
// build -o` links it anew every time, seconds of CPU): -exec cp copies
// it out instead of running it.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := packageTempDir("sluice-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "sluice")
	out, err := exec.Command("go", "run", "-exec", "cp", ".", bin).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go run -exec cp . %s: %v\n%s", bin, err, out)
	}
	return bin, nil
})

func binary(t *testing.T) string {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// comparable strips what legitimately differs between two runs of the
// same job (attempts and timings) from a run folder's records.
func comparable(t *testing.T, dir string) (map[string]store.Record, []string) {
	t.Helper()
	recs := map[string]store.Record{}
	err := store.ReadRecords(dir, func(r store.Record) error {
		r.Attempts, r.DurationMS = 0, 0
		recs[r.Node] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dead, err := store.ReadDeadLetters(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dead {
		names = append(names, d.Node)
	}
	return recs, names
}

// TestKillAndResume: the real binary is SIGKILLed at random moments and
// started again until it finishes; the result equals an uninterrupted run,
// with no temporary file left behind. Each kill comes a random moment
// after one or two batches of that start are committed, so every start
// makes progress whatever the machine's load, and the kills land in
// fetches, extraction and commits alike.
func TestKillAndResume(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	inst := startMock(t, mockapi.Config{
		Seed:      11,
		Latency:   mustLatency(t, "uniform:1ms:20ms"),
		Faults:    mustFaults(t, "500=0.02,reset=0.02,truncate=0.02"),
		Sizes:     mustSizes(t, "lognormal:8KiB:1:128KiB"),
		Overrides: map[string]mockapi.Override{"AS7": {Fault: mockapi.Fault502}},
	})
	nodes := demoNodes(300)
	nodes = append(nodes, "AS7")
	nodesFile := writeNodes(t, nodes)
	args := func(out string) []string {
		return []string{"ripestat", "--nodes", nodesFile, "--out", out, "--date", e2eDay,
			"--base-url", inst.URL, "--rate", "0", "--concurrency", "16", "--batch-size", "15",
			"--max-attempts", "10", "--min-backoff", "10ms", "--max-backoff", "100ms", "--progress", "none"}
	}

	// The reference is the binary's too: the kills are the only difference.
	ref := filepath.Join(t.TempDir(), "ref")
	if code, stderr := runBin(t, args(ref)...); code != exitFailed {
		t.Fatalf("reference run: exit %d: %s", code, tail(stderr))
	}
	wantRecs, wantDead := comparable(t, ref)

	out := filepath.Join(t.TempDir(), "killed")
	rng := rand.New(rand.NewPCG(1, 2))
	committed := regexp.MustCompile(`msg="batch committed"`)
	kills := 0
	for attempt := 0; ; attempt++ {
		if attempt == 40 {
			t.Fatalf("not finished after %d starts", attempt)
		}
		cmd := exec.Command(bin, args(out)...)
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		if kills < 6 {
			if err = killAfterCommits(t, cmd, &stderr, committed, 1+rng.IntN(2), time.Duration(rng.IntN(30))*time.Millisecond, done); err == errKilled {
				kills++
				continue
			}
		} else {
			err = <-done
		}
		code := cmd.ProcessState.ExitCode()
		if code == exitFailed || code == exitOK {
			break
		}
		t.Fatalf("start %d: exit %d (%v): %s", attempt, code, err, tail(stderr.String()))
	}
	gotRecs, gotDead := comparable(t, out)
	if len(gotRecs) != len(wantRecs) || !slices.Equal(gotDead, wantDead) {
		t.Fatalf("after %d kills: %d records and dead %v; uninterrupted: %d records and dead %v",
			kills, len(gotRecs), gotDead, len(wantRecs), wantDead)
	}
	for node, want := range wantRecs {
		got := gotRecs[node]
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if !bytes.Equal(gj, wj) {
			t.Fatalf("node %s after %d kills:\n got %s\nwant %s", node, kills, gj, wj)
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !(strings.HasPrefix(name, "batch-") && strings.HasSuffix(name, ".ndjson.zst")) &&
			name != "manifest.json" && name != "dead-letter.ndjson" && name != ".lock" { // the flock(2) file stays
			t.Errorf("left behind in the run folder: %s", name)
		}
	}
	t.Logf("%d kills, %d records, dead %v", kills, len(gotRecs), gotDead)
}

// errKilled is what killAfterCommits returns when it killed the process.
var errKilled = errors.New("killed")

// killAfterCommits waits until the process's stderr shows n commits (a
// line matching committed each), then SIGKILLs it after delay; it returns
// errKilled then, or the process's own end (from done) if that came first.
func killAfterCommits(t *testing.T, cmd *exec.Cmd, stderr *lockedBuffer, committed *regexp.Regexp, n int, delay time.Duration, done <-chan error) error {
	t.Helper()
	stderr.mu.Lock()
	wake := stderr.wake()
	stderr.mu.Unlock()
	deadline := time.NewTimer(time.Minute) // turns a hang into a failure
	defer deadline.Stop()
	for len(committed.FindAllStringIndex(stderr.String(), -1)) < n {
		select {
		case err := <-done:
			return err
		case <-wake:
		case <-deadline.C:
			t.Fatalf("no %d commits in a minute: %s", n, tail(stderr.String()))
		}
	}
	select {
	case err := <-done:
		return err
	case <-time.After(delay): // a random moment of the next batches' work
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	return errKilled
}

func mustLatency(t *testing.T, spec string) mockapi.Latency {
	t.Helper()
	l, err := mockapi.ParseLatency(spec)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLargeMemoryBounded: a run whose nodes include several 1 GiB bodies
// keeps the child's peak RSS below 64 MiB + concurrency × buffer, read
// from the kernel's accounting of the child process.
func TestLargeMemoryBounded(t *testing.T) {
	testenv.SkipUnlessLarge(t, "stream several GiB")
	bin := binary(t)
	big := map[string]mockapi.Override{}
	nodes := demoNodes(60)[1:]
	for _, n := range nodes[:3] {
		big[n] = mockapi.Override{Size: 1 << 30}
	}
	inst := startMock(t, mockapi.Config{Seed: 13, Sizes: mustSizes(t, "fixed:32KiB"), Overrides: big})
	const concurrency, buffer = 4, 64 << 10
	cmd := exec.Command(bin, "ripestat", "--nodes", writeNodes(t, nodes), "--out", filepath.Join(t.TempDir(), "out"),
		"--date", e2eDay, "--base-url", inst.URL, "--rate", "0", "--progress", "none",
		"--concurrency", strconv.Itoa(concurrency), "--buffer-size", strconv.Itoa(buffer))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, tail(stderr.String()))
	}
	maxRSS := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	limit := int64(64<<20 + concurrency*buffer)
	t.Logf("peak RSS %.1f MiB for 3 × 1 GiB bodies (limit %.1f MiB)", float64(maxRSS)/(1<<20), float64(limit)/(1<<20))
	if maxRSS > limit {
		t.Fatalf("peak RSS %d bytes > %d", maxRSS, limit)
	}
}

func dedupe(nodes []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range nodes {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// tail keeps the end of a long stderr for a failure message.
func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}
