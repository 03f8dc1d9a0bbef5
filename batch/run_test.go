package batch

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alitto/pond/v2"

	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/store"
)

// checkRecord compares a record with the ground truth of the body it came
// from.
func checkRecord(t *testing.T, rec store.Record, body synth.Options) {
	t.Helper()
	truth := body.Truth()
	if rec.Count != truth.Count || rec.Invalid != 0 {
		t.Fatalf("node %s: count %d invalid %d, truth %d", rec.Node, rec.Count, rec.Invalid, truth.Count)
	}
	if truth.Count == 0 {
		if rec.First != nil || rec.Last != nil || rec.Buckets != nil {
			t.Fatalf("node %s: empty node with first/last/buckets %v %v %v", rec.Node, rec.First, rec.Last, rec.Buckets)
		}
		return
	}
	if *rec.First != truth.First || *rec.Last != truth.Last {
		t.Fatalf("node %s: first/last %d/%d, truth %d/%d", rec.Node, *rec.First, *rec.Last, truth.First, truth.Last)
	}
	var want store.Buckets
	for _, h := range slices.Sorted(maps.Keys(truth.PerHour)) {
		if n := truth.PerHour[h]; n > 0 {
			want = append(want, store.Bucket{Start: time.Unix(h, 0).UTC().Format(time.RFC3339), Count: n})
		}
	}
	if !rec.Buckets.Equal(want) {
		t.Fatalf("node %s: buckets %v, truth %v", rec.Node, rec.Buckets, want)
	}
	if rec.Mode != "stream" || rec.Bytes != body.Size() {
		t.Fatalf("node %s: mode %q bytes %d, want stream and %d", rec.Node, rec.Mode, rec.Bytes, body.Size())
	}
}

func TestRunAggregates(t *testing.T) {
	nodes := testNodes(150)
	p, _ := NewPlan(nodes, PlanOptions{Size: 64})
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody(node)} })
	st := newMemStore()
	c := clock.NewFake(t0)
	o := quietOptions(c)
	o.StatusPath = "status"
	sum, err := Run(context.Background(), p, f, st, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 2}; !slices.Equal(sorted(st.order), want) {
		t.Fatalf("committed %v, want each of %v once", st.order, want)
	}
	if st.plan != [2]int{150, 3} {
		t.Fatalf("plan recorded as %v nodes and batches, want 150 and 3", st.plan)
	}
	seen := 0
	for b := range p.Batches() {
		recs := st.batches[b.Index]
		if len(recs) != len(b.Nodes) || len(st.dead[b.Index]) != 0 {
			t.Fatalf("batch %d: %d records, %d dead, want %d records", b.Index, len(recs), len(st.dead[b.Index]), len(b.Nodes))
		}
		for i, rec := range recs {
			if rec.Node != b.Nodes[i] {
				t.Fatalf("batch %d record %d is %s, want %s (plan order)", b.Index, i, rec.Node, b.Nodes[i])
			}
			checkRecord(t, rec, okBody(rec.Node))
			if rec.Attempts != 1 || rec.DurationMS != 100 {
				t.Fatalf("node %s: attempts %d duration %d ms", rec.Node, rec.Attempts, rec.DurationMS)
			}
			seen++
		}
	}
	if seen != 150 {
		t.Fatalf("%d records", seen)
	}
	if sum.Processed != 150 || sum.OK != 150 || sum.Dead != 0 || sum.Committed != 3 || sum.Interrupted ||
		sum.Mean != 100*time.Millisecond || sum.Max != 100*time.Millisecond || sum.PeakRSS != 40<<20 {
		t.Fatalf("summary %+v", sum)
	}
}

// A retried attempt starts from a fresh tally: the first body (bad
// envelope or truncated) leaves no trace in the record.
func TestRunRetryResetsTally(t *testing.T) {
	nodes := []string{"AS1", "AS2", "AS3", "AS4"}
	big := func(node string) synth.Options { return synth.Options{Resource: node, Updates: 500} }
	good := func(node string) synth.Options { return synth.Options{Resource: node, Seed: 2, Updates: 30} }
	f := newFakeFetcher(func(node string, n int) attempt {
		switch {
		case node == "AS1" && n == 1: // maintenance body full of updates
			b := big(node)
			b.Status = "maintenance"
			return attempt{body: b}
		case node == "AS2" && n == 1: // cut mid-body: a syntax error after many values
			return attempt{body: big(node), truncate: big(node).Size() / 2}
		case node == "AS3" && n <= 2: // 503 twice, then fine
			return attempt{transport: errors.New("HTTP 503"), status: 503}
		}
		return attempt{body: good(node)}
	})
	st := newMemStore()
	o := quietOptions(clock.NewFake(t0))
	o.StatusPath = "status"
	p, _ := NewPlan(nodes, PlanOptions{})
	sum, err := Run(context.Background(), p, f, st, o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ consumed, attempts int }{"AS1": {2, 2}, "AS2": {2, 2}, "AS3": {1, 3}, "AS4": {1, 1}}
	for _, rec := range st.batches[0] {
		checkRecord(t, rec, good(rec.Node))
		w := want[rec.Node]
		if got := f.consumeCalls(rec.Node); got != w.consumed || rec.Attempts != w.attempts {
			t.Errorf("node %s: consume called %d times, %d attempts; want %d, %d", rec.Node, got, rec.Attempts, w.consumed, w.attempts)
		}
	}
	if sum.Retries != 4 || sum.OK != 4 {
		t.Errorf("retries %d ok %d, want 4 and 4", sum.Retries, sum.OK)
	}
}

// Nodes that fail every attempt end up in the dead letters of their batch,
// never as records; each node is in exactly one place.
func TestRunDeadLetters(t *testing.T) {
	nodes := testNodes(40)
	bad := map[string]string{nodes[3]: "maintenance", nodes[17]: "error", nodes[18]: "transport"}
	f := newFakeFetcher(func(node string, n int) attempt {
		b := okBody(node)
		switch bad[node] {
		case "transport":
			return attempt{transport: errors.New("connection reset"), status: 502}
		case "":
			return attempt{body: b}
		}
		b.Status = bad[node]
		return attempt{body: b}
	})
	st := newMemStore()
	c := clock.NewFake(t0)
	o := quietOptions(c)
	o.StatusPath = "status"
	p, _ := NewPlan(nodes, PlanOptions{Size: 16})
	sum, err := Run(context.Background(), p, f, st, o)
	if err != nil {
		t.Fatal(err)
	}
	where := map[string]string{}
	for b := range p.Batches() {
		for _, r := range st.batches[b.Index] {
			where[r.Node] += "rec "
		}
		for _, d := range st.dead[b.Index] {
			where[d.Node] += "dead "
			if d.Batch != b.Index || !d.Time.Equal(t0) {
				t.Errorf("dead letter %s: batch %d time %v", d.Node, d.Batch, d.Time)
			}
			switch bad[d.Node] {
			case "maintenance", "error":
				if d.Attempts != 3 || d.Status != 200 || !strings.Contains(d.Error, `status is "`+bad[d.Node]+`", want "ok"`) {
					t.Errorf("dead letter %+v", d)
				}
			case "transport":
				if d.Attempts != 3 || d.Status != 502 || !strings.Contains(d.Error, "connection reset") {
					t.Errorf("dead letter %+v", d)
				}
			}
		}
	}
	for _, n := range nodes {
		want := "rec "
		if bad[n] == "maintenance" || bad[n] == "error" || bad[n] == "transport" {
			want = "dead "
		}
		if where[n] != want {
			t.Errorf("node %s is in %q, want %q", n, where[n], want)
		}
	}
	if sum.Dead != 3 || sum.OK != 37 || sum.Retries != 6 {
		t.Errorf("summary dead %d ok %d retries %d", sum.Dead, sum.OK, sum.Retries)
	}
}

func TestCheckEnvelope(t *testing.T) {
	r := &runner{o: Options{StatusPath: "status", StatusOK: "ok"}}
	for _, c := range []struct {
		raw  string
		has  bool
		want string
	}{
		{`"ok"`, true, ""},
		{`"\u006fk"`, true, ""},
		{`"maintenance"`, true, `status is "maintenance", want "ok"`},
		{`200`, true, `status is "200", want "ok"`},
		{``, false, `no "status" in the body`},
	} {
		err := r.checkEnvelope(&nodeState{status: []byte(c.raw), hasStatus: c.has})
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.raw, err)
			}
			continue
		}
		if !errors.Is(err, ErrEnvelope) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.raw, err, c.want)
		}
	}
}

func TestRunSkipsCompleted(t *testing.T) {
	nodes := testNodes(50)
	p, _ := NewPlan(nodes, PlanOptions{Size: 20})
	st := newMemStore()
	st.completed[1] = true
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody(node)} })
	sum, err := Run(context.Background(), p, f, st, quietOptions(clock.NewFake(t0)))
	if err != nil {
		t.Fatal(err)
	}
	fetched := map[string]bool{}
	for _, n := range f.fetchedNodes() {
		fetched[n] = true
	}
	for _, n := range p.Batch(1).Nodes {
		if fetched[n] {
			t.Fatalf("node %s of completed batch 1 fetched again", n)
		}
	}
	if len(fetched) != 30 || !slices.Equal(sorted(st.order), []int{0, 2}) || sum.SkippedBatches != 1 || sum.SkippedNodes != 20 {
		t.Fatalf("fetched %d, committed %v, summary %+v", len(fetched), st.order, sum)
	}
}

func TestRunCommitError(t *testing.T) {
	p, _ := NewPlan(testNodes(30), PlanOptions{Size: 10})
	st := newMemStore()
	st.failAt = 1
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody(node)} })
	_, err := Run(context.Background(), p, f, st, quietOptions(clock.NewFake(t0)))
	if err == nil || !strings.Contains(err.Error(), "batch 1 (") || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	// Batches commit as they finish: batch 0 may or may not have come
	// before the failure, batch 1 never stands committed.
	if slices.Contains(st.order, 1) {
		t.Fatalf("committed %v: batch 1 stands committed after its commit failed", st.order)
	}
}

func TestRunBadOptions(t *testing.T) {
	p, _ := NewPlan(testNodes(3), PlanOptions{})
	f := newFakeFetcher(nil)
	for name, o := range map[string]Options{
		"bad path":        {Extract: extract.Options{Paths: []string{"data..x"}}},
		"negative queue":  {QueueSize: -1},
		"negative drain":  {DrainTimeout: -time.Second},
		"patterns":        {StatusPath: "status", Extract: extract.Options{Mode: extract.Regex, Patterns: []string{`"t":(\d+)`}}},
		"adapt min > max": {Adapt: &AdaptOptions{Min: 5, Max: 2}},
	} {
		if _, err := Run(context.Background(), p, f, newMemStore(), o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if len(f.fetchedNodes()) != 0 {
		t.Fatal("fetched with bad options")
	}
}

func TestRetryDead(t *testing.T) {
	nodes := testNodes(150)
	f := newFakeFetcher(func(node string, n int) attempt {
		if node == nodes[140] {
			return attempt{transport: errors.New("still down"), status: 503}
		}
		return attempt{body: okBody(node)}
	})
	st := newMemStore()
	sum, err := RetryDead(context.Background(), nodes, f, st, quietOptions(clock.NewFake(t0)))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.retries) != 2 || len(st.batches) != 0 {
		t.Fatalf("%d retry commits, %d batch commits; want 2 and 0", len(st.retries), len(st.batches))
	}
	got := 0
	for i, recs := range st.retries {
		got += len(recs) + len(st.retryDead[i])
		for _, rec := range recs {
			checkRecord(t, rec, okBody(rec.Node))
		}
	}
	// Chunks commit as they finish, so the dead node's chunk (the second,
	// of 22 nodes) may come first.
	var stillDead []store.DeadLetter
	for _, d := range st.retryDead {
		stillDead = append(stillDead, d...)
	}
	if got != 150 || len(stillDead) != 1 || stillDead[0].Node != nodes[140] || sum.Dead != 1 {
		t.Fatalf("retry outcome: %d nodes, dead %v", got, st.retryDead)
	}
}

var _ scrape.Fetcher = (*fakeFetcher)(nil)
var _ Store = (*store.Run)(nil)

// A Fetcher that panics is a bug: the run stops with an error naming the
// batch, pond's ErrPanic, and commits nothing of that batch.
func TestRunFetcherPanics(t *testing.T) {
	nodes := testNodes(20)
	p, _ := NewPlan(nodes, PlanOptions{Size: 10})
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody(node)} })
	f.before = func(_ context.Context, node string) {
		if node == nodes[13] {
			panic("fetcher bug")
		}
	}
	st := newMemStore()
	_, err := Run(context.Background(), p, f, st, quietOptions(clock.NewFake(t0)))
	if err == nil || !errors.Is(err, pond.ErrPanic) || !strings.Contains(err.Error(), "batch 1: node") || errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v", err)
	}
	if slices.Contains(st.order, 1) {
		t.Fatalf("committed %v: the batch of the panic stands committed", st.order)
	}
}

// sorted returns a sorted copy: batches commit as they finish, not in
// plan order.
func sorted(xs []int) []int {
	ys := slices.Clone(xs)
	slices.Sort(ys)
	return ys
}
