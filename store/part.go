package store

import (
	"fmt"
	"maps"
	"slices"
)

// CommitPart stores the finished nodes of planned batch while the rest of
// it is not done (an interrupted run): recs in a new part file, dead in
// the dead-letter file under batch, both committed by one manifest
// update. A part is a retry batch (Retry, From = [batch]) with Part set:
// it is numbered after every planned batch, verified on Open like any
// batch file (a damaged or missing part drops its nodes, which are then
// fetched again), and batch stays not Completed. Part tells a resumed run
// which nodes are done; the run then commits the whole batch with
// CommitBatch, which takes the nodes back from the parts, so no node is
// ever in two places.
//
// Nodes must be unique among recs and dead, and not already in a part of
// batch or dead-lettered.
func (r *Run) CommitPart(batch int, recs []Record, dead []DeadLetter) error {
	return r.commit(kindPart, batch, recs, dead)
}

// commitPart is CommitPart under the run's lock.
func (r *Run) commitPart(batch int, recs []Record, dead []DeadLetter) error {
	if i := r.man.find(batch); i >= 0 && !r.man.Batches[i].Retry {
		return fmt.Errorf("batch is already committed")
	}
	if len(recs) == 0 && len(dead) == 0 {
		return nil
	}
	idx := r.retryIndex()
	for _, rec := range recs {
		if _, ok := idx[rec.Node]; ok {
			return fmt.Errorf("node %s: already in a retry batch or part", rec.Node)
		}
		if _, ok := r.dead[rec.Node]; ok {
			return fmt.Errorf("node %s: already dead-lettered", rec.Node)
		}
	}
	now := r.now()
	t := &txn{man: r.man.clone(), dead: maps.Clone(r.dead)}
	// After every planned batch, so that no planned batch needs the number.
	n := max(r.freeNumber(t), batch+1)
	if t.man.Plan != nil {
		n = max(n, t.man.Plan.Batches)
	}
	if len(recs) > 0 {
		e, err := r.stageRetryFile(t, n, recs, now)
		if err != nil {
			return err
		}
		e.Part, e.From = true, []int{batch}
		t.man.put(e)
	}
	for _, d := range dead {
		t.putDead(d, batch, now)
	}
	if err := r.apply(t); err != nil {
		return err
	}
	for _, rec := range recs {
		idx[rec.Node] = n
	}
	return nil
}

// Part returns what is already done of planned batch while it is not
// Completed: the records of the parts and retry batches that came from it
// (From) and its dead letters. A caller keeps those of its own nodes,
// fetches the rest, and commits the whole batch. A Completed batch, or one
// with nothing done, gives nothing. Part files are checked against their
// sha256.
func (r *Run) Part(batch int) ([]Record, []DeadLetter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.usable(); err != nil {
		return nil, nil, err
	}
	if i := r.man.find(batch); i >= 0 && !r.man.Batches[i].Retry {
		return nil, nil, nil
	}
	var recs []Record
	for _, e := range r.man.Batches {
		if !e.Retry || !slices.Contains(e.From, batch) {
			continue
		}
		got, err := r.readCommitted(e.Batch)
		if err != nil {
			return nil, nil, fmt.Errorf("store: part of batch %d in %s: %w", batch, r.dir, err)
		}
		recs = append(recs, got...)
	}
	var dead []DeadLetter
	for _, node := range slices.Sorted(maps.Keys(r.dead)) {
		if d := r.dead[node]; d.Batch == batch {
			dead = append(dead, d)
		}
	}
	return recs, dead, nil
}
