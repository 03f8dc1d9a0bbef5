package batch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alitto/pond/v2"

	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/store"
)

// runner is the state of one Run or RetryDead call. Its counters are
// updated by the pool's workers and read by the monitor goroutine.
type runner struct {
	o     Options
	f     scrape.Fetcher
	nTime int    // selectors 0..nTime-1 are timestamps; nTime is the status
	mode  string // extraction mode, recorded per node

	extractors sync.Pool // *extract.Extractor, one per busy worker, reused
	pool       pond.Pool
	fetchCtx   context.Context // outlives the run's context by DrainTimeout

	start     time.Time
	total     int64 // nodes this run has to do
	inFlight  atomic.Int64
	ok, dead  atomic.Int64
	resumed   atomic.Int64 // nodes of total that an interrupted run committed as parts: done before this run fetches
	abandoned atomic.Int64
	retries   atomic.Int64
	bytes     atomic.Int64
	latSum    atomic.Int64 // nanoseconds, for the adapter
	lat       latencyHist
	peakRSS   atomic.Int64
	committed atomic.Int64 // nodes in batches committed by this run
	prog      *progress    // nil without progress output
}

// Run fetches every node of p in batches and commits each complete batch
// to st. Batches that st reports Completed are skipped, so running the
// same plan again on the same store resumes it.
//
// Batches start in plan order and commit as each finishes. Nodes run in a
// pond pool of Options.Concurrency workers with a queue of
// Options.QueueSize; with Options.Window > 1 later batches run while a
// batch waits on its slowest node, so that one slow node does not idle the
// pool. A node's final failure becomes a dead letter of its batch, never
// an empty record.
//
// When ctx is cancelled Run stops submitting nodes, lets in-flight ones
// run for Options.DrainTimeout, commits the open batches whose nodes all
// finished and, when st is a PartStore, the finished nodes of the others
// as parts (a rerun fetches only the missing nodes), and returns an error wrapping ErrInterrupted (and so
// context.Canceled). Any other error (a failing store, a panicking
// Fetcher) is returned wrapped with the batch it concerns. The Summary is
// filled in either case.
func Run(ctx context.Context, p *Plan, f scrape.Fetcher, st Store, o Options) (Summary, error) {
	return runPlan(ctx, p, nil, f, st, o)
}

// runPlan is Run over the batches that schedule yields (nil: every batch
// in plan order). Completed batches are skipped either way.
func runPlan(ctx context.Context, p *Plan, schedule iter.Seq[int], f scrape.Fetcher, st Store, o Options) (Summary, error) {
	sum := Summary{Nodes: p.Len(), Batches: p.NumBatches()}
	r, err := newRunner(f, o)
	if err != nil {
		return sum, err
	}
	if schedule == nil {
		schedule = func(yield func(int) bool) {
			for i := range p.NumBatches() {
				if !yield(i) {
					return
				}
			}
		}
	}
	if err := st.SetPlan(p.Len(), p.NumBatches()); err != nil {
		return sum, fmt.Errorf("batch: record the plan: %w", err)
	}
	skip := make([]bool, p.NumBatches())
	for i := range skip {
		if st.Completed(i) {
			skip[i] = true
			sum.SkippedBatches++
			sum.SkippedNodes += len(p.Batch(i).Nodes)
		}
	}
	if sum.SkippedBatches > 0 {
		r.log("batches done by an earlier run skipped", "batches", sum.SkippedBatches, "nodes", sum.SkippedNodes)
	}
	r.total = int64(p.Len() - sum.SkippedNodes)

	ps, _ := st.(PartStore)
	// done holds, for each batch yielded, the outcomes an interrupted run
	// committed as parts; its commit puts them back with the new ones.
	type doneOf struct {
		recs []store.Record
		dead []store.DeadLetter
	}
	done := map[int]doneOf{}
	commit := func(b Batch, recs []store.Record, dead []store.DeadLetter) error {
		d := done[b.Index]
		delete(done, b.Index)
		recs, dead = append(recs, d.recs...), append(dead, d.dead...)
		if err := st.CommitBatch(b.Index, recs, dead); err != nil {
			return fmt.Errorf("batch: batch %d (%s): commit: %w", b.Index, b.ID, err)
		}
		r.log("batch committed", "batch", b.Index, "id", b.ID, "nodes", len(recs), "dead", len(dead))
		if r.o.Committed != nil {
			if err := r.o.Committed(b.Index, len(recs), len(dead)); err != nil {
				return fmt.Errorf("batch: batch %d (%s): after commit: %w", b.Index, b.ID, err)
			}
		}
		return nil
	}
	var part func(Batch, []store.Record, []store.DeadLetter) error
	if ps != nil {
		part = func(b Batch, recs []store.Record, dead []store.DeadLetter) error {
			if err := ps.CommitPart(b.Index, recs, dead); err != nil {
				return fmt.Errorf("batch: batch %d (%s): commit finished nodes: %w", b.Index, b.ID, err)
			}
			r.log("finished nodes of an open batch committed", "batch", b.Index, "id", b.ID, "nodes", len(recs), "dead", len(dead))
			return nil
		}
	}

	var badIndex error
	todo := func(yield func(Batch) bool) {
		for i := range schedule {
			if i < 0 || i >= p.NumBatches() {
				badIndex = fmt.Errorf("batch: schedule asks for batch %d of a plan of %d", i, p.NumBatches())
				return
			}
			if skip[i] {
				continue
			}
			b := p.Batch(i)
			if ps != nil {
				var err error
				if b, err = r.rest(ps, b, func(recs []store.Record, dead []store.DeadLetter) { done[i] = doneOf{recs, dead} }); err != nil {
					badIndex = err
					return
				}
				if len(b.Nodes) == 0 {
					// Every node was done in parts: commit the batch whole.
					if badIndex = commit(b, nil, nil); badIndex != nil {
						return
					}
					sum.Committed++
					continue
				}
			}
			if !yield(b) {
				return
			}
		}
	}
	err = r.run(ctx, &sum, func(ctx context.Context) error {
		return r.pipeline(ctx, &sum, todo, p.NumBatches(), commit, part)
	})
	if err == nil {
		err = badIndex
	}
	return sum, err
}

// RetryDead fetches dead-lettered nodes again (--retry-dead), in chunks
// of DefaultBatchSize, and commits each finished chunk with
// st.CommitRetry: successes leave the dead-letter file for a new batch
// file, failures replace their dead letters (the store keeps each node's
// original batch). Interruption behaves as in Run: chunks committed before
// it stay committed, and the finished nodes of open chunks are committed
// as a retry batch of their own, so a rerun retries only the rest.
func RetryDead(ctx context.Context, nodes []string, f scrape.Fetcher, st Store, o Options) (Summary, error) {
	sum := Summary{Nodes: len(nodes)}
	p, err := NewPlan(nodes, PlanOptions{})
	if err != nil {
		return sum, err
	}
	sum.Batches = p.NumBatches()
	r, err := newRunner(f, o)
	if err != nil {
		return sum, err
	}
	r.total = int64(p.Len())
	// A retry batch may hold any subset of the dead letters, so the
	// finished nodes of a chunk left open by an interruption are committed
	// the same way as a whole chunk (and verified on Open like it); the
	// others keep their dead letters for the next --retry-dead.
	commit := func(what string) func(Batch, []store.Record, []store.DeadLetter) error {
		return func(b Batch, recs []store.Record, dead []store.DeadLetter) error {
			if err := st.CommitRetry(recs, dead); err != nil {
				first := b.Index * p.Size()
				return fmt.Errorf("batch: retry of dead letters %d-%d: commit: %w", first, first+len(b.Nodes)-1, err)
			}
			r.log(what, "chunk", b.Index, "ok", len(recs), "dead", len(dead))
			return nil
		}
	}
	err = r.run(ctx, &sum, func(ctx context.Context) error {
		return r.pipeline(ctx, &sum, p.Batches(), p.NumBatches(),
			commit("dead letters retried"), commit("interrupted: finished dead letters of the chunk kept"))
	})
	return sum, err
}

func newRunner(f scrape.Fetcher, o Options) (*runner, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	// One extractor now checks the options; the pool makes more alike.
	ex, err := extract.New(o.Extract)
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	r := &runner{o: o, f: f, mode: string(ex.Mode()), nTime: len(o.Extract.Paths)}
	if o.StatusPath != "" {
		r.nTime--
	}
	r.extractors.Put(ex)
	return r, nil
}

// extractor borrows an Extractor; return it with r.extractors.Put.
func (r *runner) extractor() (*extract.Extractor, error) {
	if ex, ok := r.extractors.Get().(*extract.Extractor); ok {
		return ex, nil
	}
	return extract.New(r.o.Extract)
}

// run owns the pool, the drain timer and the monitor around body, and
// fills the summary when body returns.
func (r *runner) run(ctx context.Context, sum *Summary, body func(context.Context) error) error {
	r.start = r.o.Clock.Now()
	r.pool = pond.NewPool(r.o.Concurrency, pond.WithQueueSize(r.o.QueueSize), pond.WithNonBlocking(false))
	defer r.pool.StopAndWait()

	// In-flight fetches run on fetchCtx, which is cancelled DrainTimeout
	// after ctx (or when run returns).
	fetchCtx, cancelFetch := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelFetch()
	r.fetchCtx = fetchCtx
	var wg sync.WaitGroup
	done := make(chan struct{})
	var once sync.Once
	stop := func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
	defer stop()
	wg.Go(func() { r.drain(ctx, done, cancelFetch) })

	var mon *monitor
	if r.o.Progress != nil || r.o.Adapt != nil || r.o.Observe != nil {
		var err error
		if mon, err = r.newMonitor(); err != nil {
			return err
		}
		r.prog = mon.prog
		wg.Go(func() { mon.loop(done) })
	}

	err := body(ctx)

	// Stop the monitor before the final figures so it writes no more.
	stop()
	r.fill(sum)
	if mon != nil {
		mon.final(r.o.Clock.Now())
	}
	return err
}

// stopping reports whether the run is being interrupted: ctx (the run's
// context or one derived from it) is cancelled, or the drain has
// cancelled the fetches already. The second is not implied by the first
// at every instant: cancelling a context closes its Done before it
// cancels its children, so drain (which watches the run's own context)
// can cancel a fetch while a node's derived context still says nothing.
// A fetch cut by the drain is the interruption, never the node's fault
// (with --drain-timeout 0 it used to become a dead letter, and a run
// whose last batch it was ended as if no interruption had happened).
func (r *runner) stopping(ctx context.Context) bool {
	return ctx.Err() != nil || r.fetchCtx != nil && r.fetchCtx.Err() != nil
}

// drain cancels the fetches DrainTimeout after ctx is cancelled.
func (r *runner) drain(ctx context.Context, done <-chan struct{}, cancelFetch func()) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	if r.o.DrainTimeout <= 0 {
		cancelFetch()
		return
	}
	t := r.o.Clock.NewTimer(r.o.DrainTimeout)
	defer t.Stop()
	select {
	case <-t.C():
		cancelFetch()
	case <-done:
	}
}

// interrupted marks the summary and builds the error Run returns.
func (r *runner) interrupted(ctx context.Context, sum *Summary, batch, batches int) error {
	sum.Interrupted = true
	err := fmt.Errorf("batch: stopped at batch %d of %d (%d committed by this run; finished nodes of unfinished batches are kept only by a store that commits parts): %w",
		batch, batches, sum.Committed, ErrInterrupted)
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		// A deadline or a custom cause says more than "canceled".
		err = fmt.Errorf("%w (%v)", err, cause)
	}
	return err
}

// fill copies the counters into the summary.
func (r *runner) fill(sum *Summary) { r.fillAt(r.o.Clock.Now(), sum, r.fetcherStats()) }

// fillAt copies the counters at now, with the Fetcher's st, into sum.
func (r *runner) fillAt(now time.Time, sum *Summary, st statsView) {
	sum.OK, sum.Dead = r.ok.Load(), r.dead.Load()
	sum.Processed = sum.OK + sum.Dead
	sum.InFlight = r.inFlight.Load()
	sum.Retries = max(r.retries.Load(), st.retries)
	sum.Bytes = r.bytes.Load()
	sum.Start, sum.End = r.start, now
	sum.Elapsed = now.Sub(r.start)
	sum.Status429 = st.status429
	sum.Requests, sum.ByStatus = st.full.Requests, st.full.ByStatus
	sum.WireBytes, sum.BodyBytes = st.full.WireBytes, st.full.BodyBytes
	sum.Waited, sum.Stalls = st.full.Waited, st.full.Stalls
	ls := r.lat.stats()
	sum.Mean, sum.P50, sum.P95, sum.Max = ls.Mean, ls.P50, ls.P95, ls.Max
	sum.lat = r.lat.snapshot()
	if m, err := r.o.Memory(); err == nil {
		r.notePeak(m.Peak)
	}
	sum.PeakRSS = r.peakRSS.Load()
	// Finished nodes not in a committed batch belong to the batch an
	// interruption left unfinished.
	sum.Dropped = sum.Processed - r.committed.Load()
	sum.Abandoned = r.abandoned.Load()
}

func (r *runner) notePeak(p int64) {
	for {
		old := r.peakRSS.Load()
		if p <= old || r.peakRSS.CompareAndSwap(old, p) {
			return
		}
	}
}

func (r *runner) log(msg string, args ...any) {
	switch {
	case r.o.Logger == nil:
	case r.prog != nil:
		r.prog.above(func() { r.o.Logger.Info(msg, args...) })
	default:
		r.o.Logger.Info(msg, args...)
	}
}

// rest returns b without the nodes that ps holds as done (parts of an
// interrupted run), and hands keep those nodes' outcomes. Outcomes of
// other batches' nodes (a retry batch can hold several) are left out.
func (r *runner) rest(ps PartStore, b Batch, keep func([]store.Record, []store.DeadLetter)) (Batch, error) {
	recs, dead, err := ps.Part(b.Index)
	if err != nil {
		return b, fmt.Errorf("batch: batch %d (%s): read its finished nodes: %w", b.Index, b.ID, err)
	}
	if len(recs) == 0 && len(dead) == 0 {
		return b, nil
	}
	mine := make(map[string]bool, len(b.Nodes))
	for _, n := range b.Nodes {
		mine[n] = true
	}
	recs = slices.DeleteFunc(recs, func(rec store.Record) bool { return !mine[rec.Node] })
	dead = slices.DeleteFunc(dead, func(d store.DeadLetter) bool { return !mine[d.Node] })
	for _, rec := range recs {
		delete(mine, rec.Node)
	}
	for _, d := range dead {
		delete(mine, d.Node)
	}
	if len(mine) == len(b.Nodes) {
		return b, nil
	}
	keep(recs, dead)
	r.resumed.Add(int64(len(b.Nodes) - len(mine))) // done for the progress, which counts them in total
	r.log("batch resumed from its finished nodes", "batch", b.Index, "id", b.ID, "done", len(b.Nodes)-len(mine), "todo", len(mine))
	rest := make([]string, 0, len(mine))
	for _, n := range b.Nodes {
		if mine[n] {
			rest = append(rest, n)
		}
	}
	b.Nodes = rest
	return b, nil
}
