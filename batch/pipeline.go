package batch

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"

	"github.com/alitto/pond/v2"

	"github.com/sluicehq/sluice/store"
)

// openBatch is a batch whose nodes have been submitted to the pool.
type openBatch struct {
	b   Batch
	g   pond.TaskGroup
	out []outcome // one slot per node of b
}

// submit hands b's nodes to the pool, one task per node, and returns
// without waiting for them. out has one slot per node. between, when not
// nil, runs before each node is submitted (the pipeline commits finished
// batches there, while this one is still being fed).
func (r *runner) submit(ctx context.Context, b Batch, out []outcome, between func()) openBatch {
	clear(out)
	// The group's context is the run's: tasks still queued when it is
	// cancelled are dropped by pond without running.
	g := r.pool.NewGroupContext(ctx)
	for i, node := range b.Nodes {
		if between != nil {
			between()
		}
		if ctx.Err() != nil {
			break
		}
		// Submit blocks while the pool's queue is full: at most
		// Concurrency + QueueSize nodes are ever in the pool.
		g.Submit(func() { out[i] = r.fetchNode(ctx, b.Index, node) })
	}
	return openBatch{b: b, g: g, out: out}
}

// collect waits for every node of ob and gathers the outcomes. complete
// is false when the run was interrupted before every node had a
// trustworthy outcome; recs and dead are then partial and must not be
// committed.
func (r *runner) collect(ctx context.Context, ob openBatch) (recs []store.Record, dead []store.DeadLetter, complete bool, err error) {
	// Wait returns once every submitted task has finished or been
	// dropped. Its error is ctx's, or a task's panic (recovered by pond),
	// which also cancels the group's other tasks.
	waitErr := ob.g.Wait()

	complete = true
	missing := -1
	for i := range ob.out {
		switch ob.out[i].kind {
		case succeeded:
			recs = append(recs, ob.out[i].rec)
		case failed:
			dead = append(dead, ob.out[i].dead)
		default:
			complete = false
			if missing < 0 && ob.out[i].kind == notRun {
				missing = i
			}
		}
	}
	if !complete && !r.stopping(ctx) {
		// Not an interruption: a node has no outcome because a task
		// panicked. Stop rather than lose or guess its result.
		return nil, nil, false, fmt.Errorf("batch: batch %d: node %s has no outcome: %w", ob.b.Index, ob.b.Nodes[max(missing, 0)], waitErr)
	}
	return recs, dead, complete, nil
}

// runBatch runs one batch to its end: submit, then collect.
func (r *runner) runBatch(ctx context.Context, b Batch, out []outcome) ([]store.Record, []store.DeadLetter, bool, error) {
	return r.collect(ctx, r.submit(ctx, b, out, nil))
}

// pipeline runs batches through the pool, at most Options.Window open at
// once, and passes each complete batch to commit as soon as all its nodes
// are done, whichever open batch that is. Batches are independent files
// and resuming checks each one, so the order of commits does not matter;
// what matters is that a batch held open by one slow node (a stall retried
// with back-off can take minutes) does not idle the pool: the other open
// batches go on, commit and make room. Memory holds at most Window batches
// of outcomes whatever the plan's length, and a kill loses little finished
// work.
//
// After an interruption the open batches are still collected and the
// complete ones committed; the finished nodes of the others go to part
// (when not nil), so that a rerun fetches only what is missing. After an
// error (a commit, a panic) the others
// are cancelled and only waited for.
func (r *runner) pipeline(ctx context.Context, sum *Summary, batches iter.Seq[Batch], total int,
	commit, part func(Batch, []store.Record, []store.DeadLetter) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		open     []openBatch
		free     [][]outcome // slot arrays of collected batches, for reuse
		firstErr error
		stopped  = -1 // index of the first batch not committed, or -1
	)
	noteStop := func(i int) {
		if stopped < 0 || i < stopped {
			stopped = i
		}
	}
	// finish collects open[i] (waiting for its nodes) and commits it if it
	// is complete.
	finish := func(i int) {
		ob := open[i]
		open = slices.Delete(open, i, i+1)
		recs, dead, complete, err := r.collect(ctx, ob)
		free = append(free, ob.out[:cap(ob.out)])
		switch {
		case firstErr != nil:
			return
		case err == nil && complete:
			err = commit(ob.b, recs, dead)
			if err == nil {
				sum.Committed++
				r.committed.Add(int64(len(recs) + len(dead)))
				return
			}
		case err == nil:
			noteStop(ob.b.Index)
			if part == nil || len(recs)+len(dead) == 0 {
				return
			}
			if err = part(ob.b, recs, dead); err == nil {
				r.committed.Add(int64(len(recs) + len(dead)))
				return
			}
		}
		firstErr = err
		cancel(err)
	}
	// wake is signalled by an open batch's watcher once its nodes are all
	// done. It only says "look again": which batches are done is read from
	// their groups, so a commit never waits for a watcher goroutine to be
	// scheduled. (With one worker and a full queue, the feeder's next
	// Submit can wait on a node that itself waits for this commit; a
	// watcher that had not yet sent would leave both waiting for good.)
	wake := make(chan struct{}, 1)
	var watchers sync.WaitGroup
	defer watchers.Wait()
	watch := func(ob openBatch) {
		watchers.Go(func() {
			<-ob.g.Done()
			select {
			case wake <- struct{}{}:
			default: // a wake-up is pending already; it finds this batch too
			}
		})
	}
	// doneIndex is the position in open of a batch whose nodes are all
	// done, or -1.
	doneIndex := func() int {
		return slices.IndexFunc(open, func(ob openBatch) bool {
			select {
			case <-ob.g.Done():
				return true
			default:
				return false
			}
		})
	}
	// commitDone commits the open batches that have finished, without
	// waiting for any.
	commitDone := func() {
		for firstErr == nil {
			i := doneIndex()
			if i < 0 {
				return
			}
			finish(i)
		}
	}
	// finishAny waits until one open batch has finished, whichever it is,
	// and finishes it.
	finishAny := func() {
		for {
			if i := doneIndex(); i >= 0 {
				finish(i)
				return
			}
			<-wake
		}
	}
	for b := range batches {
		if ctx.Err() != nil {
			noteStop(b.Index)
			break
		}
		for len(open) >= r.o.Window {
			finishAny()
		}
		if firstErr != nil {
			break
		}
		// Slots are sized by the batch's nodes, never by the plan's batch
		// size: --batch-size 100000000 over 3 nodes needs 3 slots.
		var out []outcome
		if n := len(free); n > 0 && cap(free[n-1]) >= len(b.Nodes) {
			out, free = free[n-1], free[:n-1]
		} else {
			out = make([]outcome, len(b.Nodes))
		}
		// Watch only once every node is submitted: a group whose first
		// nodes finish before the last is submitted is not done.
		ob := r.submit(ctx, b, out[:len(b.Nodes)], commitDone)
		open = append(open, ob)
		watch(ob)
	}
	for len(open) > 0 {
		finishAny()
	}
	switch {
	case firstErr != nil:
		return firstErr
	case stopped >= 0:
		return r.interrupted(ctx, sum, stopped, total)
	}
	return nil
}
