package batch

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/scrape/clock"
)

// eventLog records fetch starts and ends in order.
type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) index(e string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Index(l.events, e)
}

// With Window 1, no node of a batch starts before every node of the
// previous batch has ended.
func TestRunWindowOne(t *testing.T) {
	nodes := testNodes(40)
	p, _ := NewPlan(nodes, PlanOptions{Size: 8})
	var log eventLog
	f := newFakeFetcher(func(node string, n int) attempt {
		defer log.add("end " + node)
		return attempt{body: okBody(node)}
	})
	f.before = func(_ context.Context, node string) { log.add("start " + node) }
	o := quietOptions(clock.NewFake(t0))
	o.Concurrency, o.Window = 3, 1
	st := newMemStore()
	if _, err := Run(context.Background(), p, f, st, o); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < p.NumBatches(); i++ {
		lastEnd := 0
		for _, n := range p.Batch(i - 1).Nodes {
			lastEnd = max(lastEnd, log.index("end "+n))
		}
		for _, n := range p.Batch(i).Nodes {
			if log.index("start "+n) < lastEnd {
				t.Fatalf("node %s of batch %d started before batch %d ended", n, i, i-1)
			}
		}
	}
	if !slices.Equal(st.order, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("commit order %v", st.order)
	}
}

// With Window 2, a slow node of batch 0 does not hold up batch 1: its
// nodes run (and finish) meanwhile, and every batch is committed once.
func TestRunWindowOverlaps(t *testing.T) {
	nodes := testNodes(12)
	p, _ := NewPlan(nodes, PlanOptions{Size: 4})
	batch1Done := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	left := map[string]bool{}
	for _, n := range p.Batch(1).Nodes {
		left[n] = true
	}
	f := newFakeFetcher(func(node string, n int) attempt {
		mu.Lock()
		delete(left, node) // the body is handed over: batch 1's node is as good as done
		if len(left) == 0 {
			once.Do(func() { close(batch1Done) })
		}
		mu.Unlock()
		return attempt{body: okBody(node)}
	})
	f.before = func(_ context.Context, node string) {
		if node == nodes[0] {
			select {
			case <-batch1Done:
			case <-time.After(20 * time.Second):
				t.Error("batch 1 did not run while batch 0 was open")
			}
		}
	}
	o := quietOptions(clock.NewFake(t0))
	o.Concurrency, o.QueueSize = 2, 2
	st := newMemStore()
	if _, err := Run(context.Background(), p, f, st, o); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sorted(st.order), []int{0, 1, 2}) {
		t.Fatalf("committed %v, want each of 0, 1, 2 once", st.order)
	}
}

// Interrupted while batch 0 waits on a node and batch 1 is complete:
// batch 1 is committed (and batch 2 too if it finished meanwhile), batch 0
// is not, and the error names batch 0.
func TestRunWindowInterrupted(t *testing.T) {
	nodes := testNodes(12)
	p, _ := NewPlan(nodes, PlanOptions{Size: 4})
	f, entered, _ := blockingFetcher(map[string]bool{nodes[0]: true}, true)
	var batch1 sync.WaitGroup
	batch1.Add(4)
	inner := f.script
	f.script = func(node string, n int) attempt {
		if slices.Contains(p.Batch(1).Nodes, node) {
			defer batch1.Done()
		}
		return inner(node, n)
	}
	o := quietOptions(clock.NewFake(t0))
	o.Concurrency, o.QueueSize = 2, 8
	st := newMemStore()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wait := runAsync(ctx, p, f, st, o)
	<-entered
	batch1.Wait() // every node of batch 1 has its body
	cancel()
	sum, err := wait()
	checkInterrupted(t, err, sum)
	if !strings.Contains(err.Error(), "stopped at batch 0 of 3") {
		t.Errorf("err = %v, want it to name batch 0", err)
	}
	if !slices.Contains(st.order, 1) || slices.Contains(st.order, 0) || sum.Committed != len(st.order) {
		t.Fatalf("committed %v (summary %d), want 1 and not 0", st.order, sum.Committed)
	}
}

// A finished batch is committed while the next one is still being fed to
// the pool, not only when a third batch wants to open: here node 5 (in
// batch 1) waits for batch 0's commit, which would otherwise come only
// after node 7 had been submitted, that is (one worker, a queue of one)
// after node 5 had finished.
func TestRunWindowCommitsEarly(t *testing.T) {
	nodes := testNodes(12)
	p, _ := NewPlan(nodes, PlanOptions{Size: 4})
	st := newMemStore()
	st.commits = make(chan int, 10)
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody(node)} })
	f.before = func(_ context.Context, node string) {
		if node != nodes[5] {
			return
		}
		select {
		case b := <-st.commits:
			if b != 0 {
				t.Errorf("first commit is batch %d", b)
			}
		case <-time.After(20 * time.Second):
			t.Error("batch 0 not committed while batch 1 was being submitted")
		}
	}
	o := quietOptions(clock.NewFake(t0))
	o.Concurrency, o.QueueSize, o.Window = 1, 1, 2
	if _, err := Run(context.Background(), p, f, st, o); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sorted(st.order), []int{0, 1, 2}) {
		t.Fatalf("committed %v", st.order)
	}
}

// A batch held open by one slow node (a stall retried with back-off can
// take minutes) does not idle the pool: the later batches run, commit and
// make room while it waits. Committing in plan order could not pass this:
// batch 0's node waits until batches 1 to 4 are committed.
func TestRunSlowBatchDoesNotBlockLaterCommits(t *testing.T) {
	nodes := testNodes(20)
	p, _ := NewPlan(nodes, PlanOptions{Size: 4})
	st := newMemStore()
	st.commits = make(chan int, 10)
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody(node)} })
	f.before = func(_ context.Context, node string) {
		if node != nodes[0] {
			return
		}
		for range 4 {
			select {
			case b := <-st.commits:
				if b == 0 {
					t.Error("batch 0 committed before its slow node finished")
				}
			case <-time.After(20 * time.Second):
				t.Error("later batches not committed while batch 0 waited on one node")
				return
			}
		}
	}
	o := quietOptions(clock.NewFake(t0))
	o.Concurrency, o.QueueSize, o.Window = 2, 2, 2
	if _, err := Run(context.Background(), p, f, st, o); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.order, []int{1, 2, 3, 4, 0}) {
		t.Fatalf("committed %v, want batch 0 last", st.order)
	}
}
