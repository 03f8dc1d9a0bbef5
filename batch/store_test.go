package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/store"
)

// readRun returns the records of a run folder by node, and its dead
// letters' nodes, with the fields that do not depend on timing.
func readRun(t *testing.T, dir string, p store.Params) (map[string]store.Record, map[string]bool) {
	t.Helper()
	recs := map[string]store.Record{}
	err := store.ReadRecords(dir, func(r store.Record) error {
		if _, dup := recs[r.Node]; dup {
			t.Errorf("node %s in two batch files", r.Node)
		}
		r.DurationMS, r.Attempts = 0, 0
		recs[r.Node] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	run, err := store.Open(dir, p, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	dl, err := run.DeadLetters()
	if err != nil {
		t.Fatal(err)
	}
	dead := map[string]bool{}
	for _, d := range dl {
		dead[d.Node] = true
	}
	return recs, dead
}

func sameRecord(a, b store.Record) bool {
	eq := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Node == b.Node && a.Count == b.Count && a.Invalid == b.Invalid && eq(a.First, b.First) && eq(a.Last, b.Last) &&
		a.Buckets.Equal(b.Buckets) && a.Bytes == b.Bytes && a.Mode == b.Mode
}

// Against the real store: a run interrupted mid-batch and started again
// on the same folder ends with exactly the output of an uninterrupted run,
// each node in one place.
func TestRunResumeWithStore(t *testing.T) {
	nodes := testNodes(100)
	params := store.Params{URL: "http://127.0.0.1/{node}", Paths: []string{"data.updates[*].timestamp"}, Mode: "stream", BatchSize: 16}
	p, _ := NewPlan(nodes, PlanOptions{Size: 16})
	params.NodesSHA256 = p.Fingerprint()
	deadNode := nodes[42]
	script := func(node string, n int) attempt {
		if node == deadNode {
			return attempt{transport: errors.New("HTTP 503"), status: 503}
		}
		return attempt{body: okBody(node)}
	}
	o := quietOptions(clock.NewFake(t0))
	o.StatusPath = "status"
	o.Concurrency = 3

	// The reference: one uninterrupted run.
	ref := t.TempDir()
	st, err := store.Open(ref, params, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), p, newFakeFetcher(script), st, o); err != nil {
		t.Fatal(err)
	}
	st.Close()
	want, wantDead := readRun(t, ref, params)
	if len(want) != 99 || !wantDead[deadNode] || len(wantDead) != 1 {
		t.Fatalf("reference run: %d records, dead %v", len(want), wantDead)
	}

	// Interrupted inside batch 3, then resumed.
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	f := newFakeFetcher(script)
	f.before = func(_ context.Context, node string) {
		if node == nodes[3*16+5] {
			cancel()
		}
	}
	st, err = store.Open(dir, params, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(ctx, p, f, st, o)
	st.Close()
	checkInterrupted(t, err, sum)
	// Batches 0-1 are surely done when batch 3 starts (two batches open
	// at most); how many more finish depends on the scheduler (a worker
	// may be held up between taking node 53 and calling the hook).
	if sum.Committed < 2 || sum.Committed == p.NumBatches() {
		t.Fatalf("committed %d of %d batches before the interruption", sum.Committed, p.NumBatches())
	}
	first := sum

	st, err = store.Open(dir, params, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f2 := newFakeFetcher(script)
	o2 := o
	var progress bytes.Buffer
	o2.Progress, o2.ProgressFormat = &progress, ProgressJSON
	sum, err = Run(context.Background(), p, f2, st, o2)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The progress counts the nodes committed in parts as done: its last
	// report is at 100 %.
	parts := int(first.Processed) - 16*first.Committed // nodes of open batches committed as parts
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	var last struct{ Done, Total int64 }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || parts <= 0 ||
		last.Done != last.Total || last.Total != int64(100-16*sum.SkippedBatches) {
		t.Fatalf("after resuming %d nodes from parts, the last progress report is %q (%v); want done = total = %d",
			parts, lines[len(lines)-1], err, 100-16*sum.SkippedBatches)
	}
	// The finished nodes of the batches left open were committed as parts
	// (nothing dropped): the resume fetches only the others, each once.
	fetched2 := f2.fetchedNodes()
	slices.Sort(fetched2)
	if first.Dropped != 0 || sum.SkippedBatches != first.Committed || len(fetched2) != 100-int(first.Processed) ||
		len(slices.Compact(slices.Clone(fetched2))) != len(fetched2) {
		t.Fatalf("resume skipped %d batches and fetched %d nodes after %d batches and %d nodes committed (%d dropped)",
			sum.SkippedBatches, len(fetched2), first.Committed, first.Processed, first.Dropped)
	}
	got, gotDead := readRun(t, dir, params)
	if !maps.EqualFunc(got, want, sameRecord) || !maps.Equal(gotDead, wantDead) {
		t.Fatalf("resumed output differs from the uninterrupted run: %d records, dead %v", len(got), gotDead)
	}

	// --retry-dead with the node healthy again moves it to a batch file.
	st, err = store.Open(dir, params, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	healthy := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody(node)} })
	if _, err := RetryDead(context.Background(), []string{deadNode}, healthy, st, o); err != nil {
		t.Fatal(err)
	}
	st.Close()
	got, gotDead = readRun(t, dir, params)
	if len(got) != 100 || len(gotDead) != 0 {
		t.Fatalf("after retry: %d records, %d dead", len(got), len(gotDead))
	}
	checkRecord(t, got[deadNode], okBody(deadNode))
}

// An interrupted --retry-dead keeps the nodes it finished: they leave the
// dead letters for a retry batch of their own (verified on Open like any
// retry batch), and the next --retry-dead fetches only the others, once.
func TestRetryDeadInterruptKeepsFinished(t *testing.T) {
	nodes := testNodes(60)
	params := store.Params{URL: "http://127.0.0.1/{node}", Paths: []string{"data.updates[*].timestamp"}, Mode: "stream", BatchSize: 20}
	p, _ := NewPlan(nodes, PlanOptions{Size: 20})
	params.NodesSHA256 = p.Fingerprint()
	down := map[string]bool{}
	for _, n := range nodes[10:50] {
		down[n] = true
	}
	o := quietOptions(clock.NewFake(t0))
	o.Concurrency = 3
	dir := t.TempDir()
	st, err := store.Open(dir, params, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), p, newFakeFetcher(func(node string, n int) attempt {
		if down[node] {
			return attempt{transport: errors.New("HTTP 503"), status: 503}
		}
		return attempt{body: okBody(node)}
	}), st, o); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, dead := readRun(t, dir, params); len(dead) != 40 {
		t.Fatalf("first run: %d dead letters, want 40", len(dead))
	}

	// The 40 dead nodes are one chunk: interrupt it at its 25th node.
	healthy := func(node string, n int) attempt { return attempt{body: okBody(node)} }
	retry := slices.Sorted(maps.Keys(down))
	ctx, cancel := context.WithCancel(context.Background())
	f := newFakeFetcher(healthy)
	f.before = func(_ context.Context, node string) {
		if node == retry[24] {
			cancel()
		}
	}
	st, err = store.Open(dir, params, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := RetryDead(ctx, retry, f, st, o)
	st.Close()
	checkInterrupted(t, err, sum)
	got, dead := readRun(t, dir, params)
	kept := len(got) - 20
	if kept <= 0 || kept+len(dead) != 40 || int64(kept) != sum.Processed {
		t.Fatalf("interrupted retry: %d nodes kept of %d processed, %d still dead; want every processed node kept", kept, sum.Processed, len(dead))
	}

	// The next --retry-dead fetches exactly the nodes still dead.
	st, err = store.Open(dir, params, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f2 := newFakeFetcher(healthy)
	if _, err := RetryDead(context.Background(), slices.Sorted(maps.Keys(dead)), f2, st, o); err != nil {
		t.Fatal(err)
	}
	st.Close()
	fetched := f2.fetchedNodes()
	slices.Sort(fetched)
	if !slices.Equal(fetched, slices.Sorted(maps.Keys(dead))) {
		t.Fatalf("second retry fetched %d nodes, want the %d still dead", len(fetched), len(dead))
	}
	got, dead = readRun(t, dir, params)
	if len(got) != 60 || len(dead) != 0 {
		t.Fatalf("after both retries: %d records, %d dead; want 60 and 0", len(got), len(dead))
	}
	for _, n := range nodes {
		checkRecord(t, got[n], okBody(n))
	}
}
