package batch

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/testenv"
	"github.com/sluicehq/sluice/scrape/clock"
)

// blockingFetcher returns a fake Fetcher whose nodes in block wait, after
// announcing themselves on entered, until release is closed or (when
// abandon is set) their fetch context is cancelled.
func blockingFetcher(block map[string]bool, abandon bool) (f *fakeFetcher, entered chan string, release chan struct{}) {
	entered = make(chan string, 100)
	release = make(chan struct{})
	f = newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody(node)} })
	f.before = func(ctx context.Context, node string) {
		if !block[node] {
			return
		}
		entered <- node
		if abandon {
			<-ctx.Done()
			return
		}
		<-release
	}
	return f, entered, release
}

func checkInterrupted(t *testing.T, err error, sum Summary) {
	t.Helper()
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) || !sum.Interrupted {
		t.Fatalf("err = %v, interrupted %v; want ErrInterrupted wrapping context.Canceled", err, sum.Interrupted)
	}
}

// Cancelled mid-batch with a generous drain: the in-flight nodes finish,
// the queued ones never start, and the unfinished batch is not committed.
func TestRunCancelMidBatch(t *testing.T) {
	nodes := testNodes(30)
	p, _ := NewPlan(nodes, PlanOptions{Size: 10})
	block := map[string]bool{}
	for _, n := range nodes[12:20] {
		block[n] = true
	}
	f, entered, release := blockingFetcher(block, false)
	st := newMemStore()
	o := quietOptions(clock.NewFake(t0))
	o.Concurrency, o.QueueSize, o.DrainTimeout = 2, 2, time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	type result struct {
		sum Summary
		err error
	}
	done := make(chan result)
	go func() {
		sum, err := Run(ctx, p, f, st, o)
		done <- result{sum, err}
	}()
	// Both workers are now inside batch 1 (nodes 12 and 13).
	got := []string{<-entered, <-entered}
	cancel()
	close(release)
	res := <-done
	checkInterrupted(t, res.err, res.sum)

	want := []string{nodes[12], nodes[13]}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("in flight at cancel: %v, want %v", got, want)
	}
	if !slices.Equal(st.order, []int{0}) {
		t.Fatalf("committed %v, want only batch 0", st.order)
	}
	fetched := f.fetchedNodes()
	if len(fetched) != 14 || slices.ContainsFunc(fetched, func(n string) bool { return slices.Contains(nodes[14:], n) }) {
		t.Fatalf("fetched %d nodes %v: queued or later nodes ran after the cancel", len(fetched), fetched)
	}
	// 10 committed; nodes 10-13 finished but were dropped with batch 1.
	if res.sum.Processed != 14 || res.sum.Dropped != 4 || res.sum.Committed != 1 {
		t.Fatalf("summary %+v", res.sum)
	}
}

// With no drain time the in-flight fetches are cancelled; their failures
// are the interruption's, not the nodes': no dead letter is written.
func TestRunCancelAbandons(t *testing.T) {
	nodes := testNodes(30)
	p, _ := NewPlan(nodes, PlanOptions{Size: 10})
	f, entered, _ := blockingFetcher(map[string]bool{nodes[15]: true, nodes[16]: true}, true)
	st := newMemStore()
	o := quietOptions(clock.NewFake(t0))
	o.Concurrency = 2
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wait := runAsync(ctx, p, f, st, o)
	<-entered
	<-entered
	cancel()
	sum, err := wait()
	checkInterrupted(t, err, sum)
	if !slices.Equal(st.order, []int{0}) || len(st.dead[1]) != 0 {
		t.Fatalf("committed %v, dead %v", st.order, st.dead)
	}
	if sum.Dead != 0 || sum.Abandoned != 2 {
		t.Fatalf("%d dead letters from an interruption, %d abandoned (want 0 and 2)", sum.Dead, sum.Abandoned)
	}
}

// When every node of the current batch is already in flight, draining
// completes the batch: it is committed, and the run stops before the next.
func TestRunCancelDrainCompletesBatch(t *testing.T) {
	nodes := testNodes(6)
	p, _ := NewPlan(nodes, PlanOptions{Size: 2})
	f, entered, release := blockingFetcher(map[string]bool{nodes[2]: true, nodes[3]: true}, false)
	st := newMemStore()
	o := quietOptions(clock.NewFake(t0))
	o.Concurrency, o.DrainTimeout = 2, time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wait := runAsync(ctx, p, f, st, o)
	<-entered
	<-entered
	cancel()
	close(release)
	sum, err := wait()
	checkInterrupted(t, err, sum)
	if !slices.Equal(sorted(st.order), []int{0, 1}) || sum.Dropped != 0 || len(f.fetchedNodes()) != 4 {
		t.Fatalf("committed %v, dropped %d, fetched %v", st.order, sum.Dropped, f.fetchedNodes())
	}
}

// A run cancelled before it starts fetches nothing.
func TestRunCancelledBeforeStart(t *testing.T) {
	p, _ := NewPlan(testNodes(10), PlanOptions{Size: 5})
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody(node)} })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st := newMemStore()
	sum, err := Run(ctx, p, f, st, quietOptions(clock.NewFake(t0)))
	checkInterrupted(t, err, sum)
	if len(f.fetchedNodes()) != 0 || len(st.order) != 0 {
		t.Fatal("work done after cancel")
	}
}

// 80,000 nodes (2,000 under -race or -short, still 500 times the pool;
// 80,000 again with SLUICE_LARGE=1): the goroutines stay at the pool's
// size, whatever the length of the list. Goroutines are counted two ways: those inside a
// fetch (from a full stack dump, sampled), which must never exceed the
// concurrency, and all of them, which may briefly include pond workers
// on their way out but must stay nowhere near the number of nodes.
func TestRunBoundedGoroutines(t *testing.T) {
	n := 80000
	if testenv.Quick() && !testenv.Large() {
		n = 2000
	}
	sampleEvery := int64(n / 8) // full stack dumps, in eight places of the run
	nodes := testNodes(n)
	p, _ := NewPlan(nodes, PlanOptions{})
	base := runtime.NumGoroutine()
	var calls, mostFetching, mostAll atomic.Int64
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody("")} })
	buf := make([]byte, 1<<20)
	var mu sync.Mutex
	f.before = func(context.Context, string) {
		raise(&mostAll, int64(runtime.NumGoroutine()-base))
		if calls.Add(1)%sampleEvery != 0 {
			return
		}
		mu.Lock()
		n := runtime.Stack(buf, true)
		raise(&mostFetching, int64(strings.Count(string(buf[:n]), "batch.(*fakeFetcher).Fetch(")))
		mu.Unlock()
	}
	o := quietOptions(clock.NewFake(t0))
	o.Concurrency = 4
	st := newMemStore()
	sum, err := Run(context.Background(), p, f, st, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK != int64(n) || len(st.order) != p.NumBatches() {
		t.Fatalf("ok %d, %d batches committed", sum.OK, len(st.order))
	}
	if m := mostFetching.Load(); m < 1 || m > 4 {
		t.Fatalf("%d goroutines fetching at once, want 1..4", m)
	}
	if m := mostAll.Load(); m > 100 {
		t.Fatalf("%d goroutines above the %d before the run", m, base)
	}
}

// raise sets a to v if v is larger.
func raise(a *atomic.Int64, v int64) {
	for m := a.Load(); v > m && !a.CompareAndSwap(m, v); m = a.Load() {
	}
}

// Within one batch larger than the queue (3,000 nodes, 600 under -race
// or -short: 120 times the queue), the pool never holds more than
// QueueSize waiting nodes: the submitting loop blocks instead.
func TestRunBatchBoundedQueue(t *testing.T) {
	n := 3000
	if testenv.Quick() && !testenv.Large() {
		n = 600
	}
	nodes := testNodes(n)
	var mostWaiting, mostRunning atomic.Int64
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody("")} })
	r, err := newRunner(f, Options{Concurrency: 3, QueueSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	f.before = func(context.Context, string) {
		raise(&mostWaiting, int64(r.pool.WaitingTasks()))
		raise(&mostRunning, r.pool.RunningWorkers())
	}
	var sum Summary
	var complete bool
	err = r.run(context.Background(), &sum, func(ctx context.Context) error {
		out := make([]outcome, len(nodes))
		var err error
		_, _, complete, err = r.runBatch(ctx, Batch{Nodes: nodes}, out)
		return err
	})
	if err != nil || !complete || sum.OK != int64(n) {
		t.Fatalf("err %v complete %v ok %d", err, complete, sum.OK)
	}
	if mostWaiting.Load() > 5 || mostRunning.Load() > 3 {
		t.Fatalf("pool held %d waiting and %d running nodes; bounds 5 and 3", mostWaiting.Load(), mostRunning.Load())
	}
}

// A run stopped by a deadline says so, and still counts as interrupted.
func TestRunDeadlineCause(t *testing.T) {
	p, _ := NewPlan(testNodes(10), PlanOptions{Size: 5})
	f := newFakeFetcher(func(node string, n int) attempt { return attempt{body: okBody(node)} })
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	sum, err := Run(ctx, p, f, newMemStore(), quietOptions(clock.NewFake(t0)))
	checkInterrupted(t, err, sum)
	if !strings.Contains(err.Error(), "deadline exceeded") || !strings.Contains(err.Error(), "stopped at batch 0 of 2") {
		t.Fatalf("err = %v", err)
	}
}

// lagCtx is a context whose cancellation reaches the contexts derived
// from it only when release is called. It holds open the instant, real
// but brief, between a context's Done closing and its children being
// cancelled (context's cancel closes Done first), which a loaded machine
// can stretch.
type lagCtx struct {
	done chan struct{}

	mu        sync.Mutex
	cancelled bool
	children  []func()
}

func newLagCtx() *lagCtx { return &lagCtx{done: make(chan struct{})} }

func (c *lagCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *lagCtx) Done() <-chan struct{}       { return c.done }
func (c *lagCtx) Value(any) any               { return nil }

func (c *lagCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancelled {
		return context.Canceled
	}
	return nil
}

// AfterFunc is how context.WithCancel hooks a child onto a parent that
// is not its own type: the children hear of the cancellation on release.
func (c *lagCtx) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.children = append(c.children, f)
	return func() bool { return false }
}

func (c *lagCtx) cancel() {
	c.mu.Lock()
	c.cancelled = true
	c.mu.Unlock()
	close(c.done)
}

func (c *lagCtx) release() {
	c.mu.Lock()
	fs := c.children
	c.children = nil
	c.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// An interruption with no drain (DrainTimeout 0) whose fetch is cut
// before the contexts derived from the run's have heard of it: the cut
// fetch is the interruption, so the node is left for the next run, not
// dead-lettered, and the run (its last batch unfinished) says
// ErrInterrupted. It used to dead-letter the node, commit the batch and
// return nil: sluice exited 4 ("no node got an HTTP answer") after
// SIGTERM instead of 3.
func TestRunInterruptBeforeDerivedContextsHear(t *testing.T) {
	nodes := testNodes(3)
	p, _ := NewPlan(nodes, PlanOptions{Size: 10})
	f, entered, _ := blockingFetcher(map[string]bool{nodes[0]: true, nodes[1]: true, nodes[2]: true}, true)
	st := newMemStore()
	o := quietOptions(clock.NewFake(t0))
	o.Concurrency, o.DrainTimeout = 3, 0
	ctx := newLagCtx()
	defer ctx.release()
	wait := runAsync(ctx, p, f, st, o)
	for range nodes {
		<-entered
	}
	ctx.cancel()
	sum, err := wait()
	checkInterrupted(t, err, sum)
	if sum.Committed != 0 || sum.Dead != 0 || len(st.order) != 0 {
		t.Fatalf("committed %d batches (store %v), %d dead; want none: the nodes were interrupted, not failed", sum.Committed, st.order, sum.Dead)
	}
}
