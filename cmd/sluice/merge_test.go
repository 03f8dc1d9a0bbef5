package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/bench/mockapi"
)

// TestMergeShards: two --shard runs merged equal the run without --shard
// (records and dead letters), and that run, started on the merged folder,
// finds every batch done and sends nothing. Overlapping or missing shards
// are refused.
func TestMergeShards(t *testing.T) {
	t.Parallel()
	inst := startMock(t, mockapi.Config{Seed: 8, Sizes: mustSizes(t, "fixed:4KiB"),
		Overrides: map[string]mockapi.Override{"AS7": {Fault: mockapi.Fault502}}})
	nodes := writeNodes(t, append(demoNodes(90), "AS7"))
	args := func(out string, extra ...string) []string {
		return append([]string{"ripestat", "--nodes", nodes, "--out", out, "--date", e2eDay, "--base-url", inst.URL,
			"--rate", "0", "--progress", "none", "--batch-size", "10", "--max-attempts", "2", "--max-backoff", "10ms"}, extra...)
	}
	dir := t.TempDir()
	ref, s1, s2, into := filepath.Join(dir, "ref"), filepath.Join(dir, "s1"), filepath.Join(dir, "s2"), filepath.Join(dir, "into")
	for _, r := range []struct {
		out   string
		extra []string
	}{{ref, nil}, {s1, []string{"--shard", "1/2"}}, {s2, []string{"--shard", "2/2"}}} {
		// AS7 always fails: its folder exits 1, the other shard 0.
		if code, stderr := runCLI(t, args(r.out, r.extra...)...); code != exitFailed && code != exitOK {
			t.Fatalf("%s: exit %d: %s", r.out, code, tail(stderr))
		}
	}
	for _, tc := range []struct {
		name string
		srcs []string
		want string
	}{{"overlap", []string{s1, s1}, "both shard"}, {"missing", []string{s2}, "shards 1/2 missing"}} {
		code, stderr := runCLI(t, append([]string{"merge", "--nodes", nodes, "--into", filepath.Join(dir, tc.name)}, tc.srcs...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, %q; want %d, %q", tc.name, code, tail(stderr), exitUsage, tc.want)
		}
	}
	if code, stderr := runCLI(t, "merge", "--nodes", nodes, "--into", into, s1, s2); code != exitOK {
		t.Fatalf("merge: exit %d: %s", code, tail(stderr))
	}
	want, wantDead := comparable(t, ref)
	got, gotDead := comparable(t, into)
	if len(got) != len(want) || !slices.Equal(gotDead, wantDead) || len(gotDead) != 1 {
		t.Fatalf("merged: %d records, dead %v; whole run: %d, %v", len(got), gotDead, len(want), wantDead)
	}
	for n, w := range want {
		gj, _ := json.Marshal(got[n])
		wj, _ := json.Marshal(w)
		if !bytes.Equal(gj, wj) {
			t.Fatalf("node %s:\n got %s\nwant %s", n, gj, wj)
		}
	}
	if code, stderr := runCLI(t, "export", into); code != exitOK {
		t.Fatalf("export of the merged folder: exit %d: %s", code, tail(stderr))
	}
	before := inst.Stats(t).Total.Requests
	if code, stderr := runCLI(t, args(into)...); code != exitFailed || inst.Stats(t).Total.Requests != before {
		t.Fatalf("the whole job on the merged folder: exit %d, %d requests; want every batch skipped: %s",
			code, inst.Stats(t).Total.Requests-before, tail(stderr))
	}
}
