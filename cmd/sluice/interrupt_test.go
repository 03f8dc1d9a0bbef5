package main

import (
	"bytes"
	"maps"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"
	"testing"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/store"
)

// TestSignalKeepsFinishedNodes (issue 10 item 4, with the real binary):
// SIGTERM once a batch is committed gives exit 3; the rerun asks the mock
// (its /stats) for exactly the nodes that the interrupted run had not
// committed, each once, and the export equals an uninterrupted run's.
func TestSignalKeepsFinishedNodes(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	inst := startMock(t, mockapi.Config{Seed: 31, Latency: mustLatency(t, "fixed:5ms"), Sizes: mustSizes(t, "fixed:4KiB")})
	nodes := demoNodes(121)[1:]
	nodesFile := writeNodes(t, nodes)
	args := func(out string) []string {
		return []string{"ripestat", "--nodes", nodesFile, "--out", out, "--date", e2eDay,
			"--base-url", inst.URL, "--rate", "0", "--concurrency", "4", "--batch-size", "10",
			"--drain-timeout", "30s", "--progress", "none"}
	}
	ref := filepath.Join(t.TempDir(), "ref") // the binary's too: the signal is the only difference
	if code, s := runBin(t, args(ref)...); code != exitOK {
		t.Fatalf("uninterrupted run: exit %d: %s", code, tail(s))
	}
	before := inst.Stats(t).Resources

	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(bin, args(out)...)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &stderr, regexp.MustCompile(`msg="batch committed"`)) // some nodes are finished
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("after SIGTERM: exit %d, want %d: %s", code, exitInterrupted, tail(stderr.String()))
	}
	finished := map[string]bool{}
	if err := store.ReadRecords(out, func(r store.Record) error { finished[r.Node] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(finished) == 0 || len(finished) == len(nodes) {
		t.Fatalf("the interrupted run committed %d of %d nodes", len(finished), len(nodes))
	}
	mid := inst.Stats(t).Resources

	if code, s := runCLI(t, args(out)...); code != exitOK {
		t.Fatalf("rerun: exit %d: %s", code, tail(s))
	}
	after := inst.Stats(t).Resources
	var missing, twice []string
	for _, n := range nodes {
		asked := after[n] - mid[n]
		switch {
		case finished[n] && asked > 0:
			t.Errorf("the rerun asked again for %s, which the interrupted run had committed", n)
		case !finished[n] && asked == 0:
			missing = append(missing, n)
		case asked > 1:
			twice = append(twice, n)
		}
	}
	if len(missing) > 0 || len(twice) > 0 {
		t.Fatalf("the rerun did not ask for %v and asked more than once for %v", missing, twice)
	}
	if extra := slices.Collect(maps.Keys(after)); len(extra) != len(nodes) {
		t.Fatalf("the mock was asked for %d resources, the list has %d", len(extra), len(nodes))
	}
	for _, n := range nodes {
		if before[n] != 1 {
			t.Fatalf("the uninterrupted run asked %d times for %s", before[n], n)
		}
	}
	var want, got bytes.Buffer
	if err := store.Export(&want, ref, store.ExportOptions{Bucketed: true}); err != nil {
		t.Fatal(err)
	}
	if err := store.Export(&got, out, store.ExportOptions{Bucketed: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("export after the interrupt and rerun differs from the uninterrupted run's (%d bytes vs %d)", got.Len(), want.Len())
	}
	t.Logf("interrupted with %d of %d nodes committed; parts: %v", len(finished), len(nodes),
		regexp.MustCompile(`finished nodes of an open batch committed`).MatchString(stderr.String()))
}
