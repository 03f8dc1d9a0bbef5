package store

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// CommitRetry stores the outcome of retrying dead-lettered nodes
// (--retry-dead): recs move from the dead-letter file to a new batch file
// numbered after the highest batch, marked as a retry; dead replace the
// dead letters of their nodes, keeping each node's batch. Every node must
// be dead-lettered; dead-lettered nodes that are in neither list stay as
// they are, so a retry can be committed in parts. One manifest update
// commits it all.
func (r *Run) CommitRetry(recs []Record, dead []DeadLetter) error {
	return r.commit(kindRetry, 0, recs, dead)
}

// commitRetry is CommitRetry under the run's lock.
func (r *Run) commitRetry(recs []Record, dead []DeadLetter) error {
	for _, rec := range recs {
		if _, ok := r.dead[rec.Node]; !ok {
			return fmt.Errorf("node %s: not dead-lettered", rec.Node)
		}
	}
	for _, d := range dead {
		if _, ok := r.dead[d.Node]; !ok {
			return fmt.Errorf("node %s: not dead-lettered", d.Node)
		}
	}
	if len(recs) == 0 && len(dead) == 0 {
		return nil
	}
	now := r.now()
	t := &txn{man: r.man.clone(), dead: maps.Clone(r.dead)}
	n := r.freeNumber(t)
	if len(recs) > 0 {
		e, err := r.stageRetryFile(t, n, recs, now)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			e.From = append(e.From, r.dead[rec.Node].Batch)
		}
		slices.Sort(e.From)
		e.From = slices.Compact(e.From)
		t.man.put(e)
	}
	for _, rec := range recs {
		delete(t.dead, rec.Node)
	}
	for _, d := range dead {
		t.putDead(d, t.dead[d.Node].Batch, now) // a retried node keeps its batch
	}
	if err := r.apply(t); err != nil {
		return err
	}
	if r.retryNodes != nil {
		for _, rec := range recs {
			r.retryNodes[rec.Node] = n
		}
	}
	return nil
}

// retryIndex returns which retry batch holds each node, reading the retry
// batch files the first time. A damaged retry batch is left out with an
// error in the log (readers report it too): its nodes are unknown, and
// unrelated batches must still commit. r.mu is held.
func (r *Run) retryIndex() map[string]int {
	if r.retryNodes != nil {
		return r.retryNodes
	}
	idx := map[string]int{}
	for _, e := range r.man.Batches {
		if !e.Retry {
			continue
		}
		recs, err := r.readCommitted(e.Batch)
		if err != nil {
			r.log.Error("store: retry batch unreadable; its nodes need a fresh run", "batch", e.Batch, "err", err)
			continue
		}
		for _, rec := range recs {
			idx[rec.Node] = e.Batch
		}
	}
	r.retryNodes = idx
	return idx
}

// freeNumber is the first batch number that neither t's manifest nor a
// dead letter uses: where a retry batch or a part may go.
func (r *Run) freeNumber(t *txn) int {
	n := t.man.next()
	for _, d := range r.dead {
		n = max(n, d.Batch+1)
	}
	return n
}

// stageRetryFile encodes recs as batch file n of t and returns its
// retry-batch entry; the caller sets From (and Part) and puts it.
func (r *Run) stageRetryFile(t *txn, n int, recs []Record, now time.Time) (batchEntry, error) {
	data, err := encodeBatch(r.enc, recs)
	if err != nil {
		return batchEntry{}, err
	}
	t.files = []namedData{{batchName(n), data}}
	return newBatchEntry(n, recs, data, true, now), nil
}
