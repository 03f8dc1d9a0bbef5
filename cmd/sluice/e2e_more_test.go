package main

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/mockapi"
)

// TestReplayEqualsLiveRun: bodies captured by a live run, replayed with the
// same node list and flags, give the same batch files' aggregates.
func TestReplayEqualsLiveRun(t *testing.T) {
	t.Parallel()
	inst := startMock(t, mockapi.Config{
		Seed:   17,
		Faults: mustFaults(t, "500=0.05,truncate=0.05,maintenance=0.05"),
		Sizes:  mustSizes(t, "lognormal:8KiB:1:128KiB"),
	})
	nodes := demoNodes(120)[1:]
	nodesFile := writeNodes(t, nodes)
	live := filepath.Join(t.TempDir(), "live")
	common := []string{"--nodes", nodesFile, "--batch-size", "50", "--progress", "none"}
	code, stderr := runCLI(t, append([]string{"ripestat", "--out", live, "--date", e2eDay, "--base-url", inst.URL,
		"--rate", "0", "--max-attempts", "10", "--max-backoff", "100ms", "--capture"}, common...)...)
	if code != exitOK {
		t.Fatalf("live run: exit %d: %s", code, tail(stderr))
	}
	replayed := filepath.Join(t.TempDir(), "replayed")
	code, stderr = runCLI(t, append([]string{"replay", "--captures", filepath.Join(live, "captures"),
		"--out", replayed, "--status-path", "status"}, common...)...)
	if code != exitOK {
		t.Fatalf("replay: exit %d: %s", code, tail(stderr))
	}
	liveRecs, liveDead := comparable(t, live)
	gotRecs, gotDead := comparable(t, replayed)
	if len(liveRecs) != len(nodes) || len(liveDead) != 0 {
		t.Fatalf("live run: %d records, dead %v", len(liveRecs), liveDead)
	}
	if !reflect.DeepEqual(gotRecs, liveRecs) || len(gotDead) != 0 {
		t.Fatalf("replay differs from the live run (%d vs %d records, dead %v)", len(gotRecs), len(liveRecs), gotDead)
	}
}

// TestScrapeTemplate: the generic command with a URL template and --var
// reaches the same answers as the preset.
func TestScrapeTemplate(t *testing.T) {
	t.Parallel()
	inst := startMock(t, mockapi.Config{Seed: 19, Sizes: mustSizes(t, "fixed:16KiB")})
	nodes := []string{"AS3333", "193.0.0.0/21", "2001:db8::/32"}
	out := filepath.Join(t.TempDir(), "out")
	start, end, err := ripestatWindow(e2eDay, "", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	code, stderr := runCLI(t, "scrape", "--nodes", writeNodes(t, nodes), "--out", out,
		"--url", inst.URL+"/data/bgp-updates/data.json?resource={node}&starttime={start}&endtime={end}&sourceapp={app}",
		"--var", "start="+start.Format(ripestatLayout), "--var", "end="+end.Format(ripestatLayout), "--var", "app=tmpl-test",
		"--path", "data.updates[*].timestamp", "--status-path", "status", "--progress", "none")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, tail(stderr))
	}
	v, err := mockapi.CheckRun(out, nodes, truthOf(t, inst))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Mismatches) > 0 || v.OK != len(nodes) {
		t.Fatalf("ok %d, mismatches %v", v.OK, v.Mismatches)
	}
	if inst.Stats(t).Clients["tmpl-test"].Requests == 0 {
		t.Error("the {app} variable did not reach the server as sourceapp")
	}
}

// TestSignalInterruptsThenResumes: SIGTERM stops the real binary with exit
// status 3 and nothing half-written; the same command then finishes the job.
func TestSignalInterruptsThenResumes(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	inst := startMock(t, mockapi.Config{Seed: 23, Latency: mustLatency(t, "fixed:20ms"), Sizes: mustSizes(t, "fixed:8KiB")})
	nodes := demoNodes(200)[1:]
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"ripestat", "--nodes", writeNodes(t, nodes), "--out", out, "--date", e2eDay,
		"--base-url", inst.URL, "--rate", "0", "--concurrency", "4", "--batch-size", "20",
		"--drain-timeout", "2s", "--progress", "none"}
	cmd := exec.Command(bin, args...)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once a batch is committed, whatever the machine's load.
	waitFor(t, &stderr, regexp.MustCompile(`msg="batch committed"`))
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("after SIGTERM: exit %d, want %d: %s", code, exitInterrupted, tail(stderr.String()))
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say the run is incomplete:\n%s", tail(stderr.String()))
	}
	if code, s := runCLI(t, args...); code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, tail(s))
	}
	v, err := mockapi.CheckRun(out, nodes, truthOf(t, inst))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Mismatches) > 0 {
		t.Fatalf("after resume: %v", v.Mismatches[0])
	}
}
