package store

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// CommitBatch stores the outcome of batch: recs in a new batch file, dead
// in the dead-letter file, both committed by one manifest update. Each
// node of the commit ends up in exactly one place: its earlier dead
// letters, the earlier dead letters of batch, and its records in retry
// batches are replaced. So a batch can be committed again (redone after a
// crash or a damaged file) with the same result as the first time.
//
// The dead letters get Batch set to batch, and Time set to the clock's
// now if zero. Nodes must be unique among recs and dead; a node must not
// be in another batch planned by the caller (the plan guarantees it).
func (r *Run) CommitBatch(batch int, recs []Record, dead []DeadLetter) error {
	return r.commit(kindBatch, batch, recs, dead)
}

// commitKind is which of the three commits runs, for its error.
type commitKind int

const (
	kindBatch commitKind = iota // CommitBatch
	kindRetry                   // CommitRetry
	kindPart                    // CommitPart
)

// op names the operation of kind on batch in an error.
func (k commitKind) op(batch int) string {
	switch k {
	case kindRetry:
		return "commit retry"
	case kindPart:
		return fmt.Sprintf("commit part of batch %d", batch)
	}
	return fmt.Sprintf("commit batch %d", batch)
}

// commit is the one way into the three commits: it checks the batch
// number (a retry has none: 0) and the nodes, takes the run's lock,
// checks that the run is still usable, runs the kind's own steps under
// the lock, and wraps their error with the operation and the folder.
func (r *Run) commit(kind commitKind, batch int, recs []Record, dead []DeadLetter) error {
	err := func() error {
		if batch < 0 {
			return fmt.Errorf("negative batch number")
		}
		if err := checkNodes(recs, dead); err != nil {
			return err
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := r.usable(); err != nil {
			return err
		}
		switch kind {
		case kindRetry:
			return r.commitRetry(recs, dead)
		case kindPart:
			return r.commitPart(batch, recs, dead)
		}
		return r.commitBatch(batch, recs, dead)
	}()
	if err != nil {
		return fmt.Errorf("store: %s in %s: %w", kind.op(batch), r.dir, err)
	}
	return nil
}

// commitBatch is CommitBatch under the run's lock.
func (r *Run) commitBatch(batch int, recs []Record, dead []DeadLetter) error {
	// A retry batch took this number (--retry-dead ran before the plan was
	// done): move it out of the way in a commit of its own, because the new
	// file replaces the old one under the same name.
	if i := r.man.find(batch); i >= 0 && r.man.Batches[i].Retry {
		if err := r.renumber(batch); err != nil {
			return err
		}
	}
	idx := r.retryIndex()
	now := r.now()
	t := &txn{man: r.man.clone(), dead: maps.Clone(r.dead)}
	nodes := make(map[string]bool, len(recs)+len(dead))
	for i := range recs {
		nodes[recs[i].Node] = true
	}
	for i := range dead {
		nodes[dead[i].Node] = true
	}

	// Nodes of this batch held by retry batches: the batch is being redone
	// after --retry-dead. This commit's outcome wins; the retry batches are
	// rewritten without those nodes under new numbers.
	holders := map[int]bool{}
	for node := range nodes {
		if m, ok := idx[node]; ok {
			holders[m] = true
		}
	}
	next := max(t.man.next(), batch+1)
	moved := map[string]int{} // node → its new retry batch
	for _, m := range slices.Sorted(maps.Keys(holders)) {
		old, err := r.readCommitted(m)
		if err != nil {
			return err
		}
		keep := slices.DeleteFunc(old, func(rec Record) bool { return nodes[rec.Node] })
		t.man.remove(m)
		t.obsolete = append(t.obsolete, batchName(m))
		if len(keep) == 0 {
			continue
		}
		data, err := encodeBatch(r.enc, keep)
		if err != nil {
			return err
		}
		t.files = append(t.files, namedData{batchName(next), data})
		e := newBatchEntry(next, keep, data, true, now)
		if i := r.man.find(m); i >= 0 {
			e.From = slices.DeleteFunc(slices.Clone(r.man.Batches[i].From), func(b int) bool { return b == batch })
		}
		t.man.put(e)
		for _, rec := range keep {
			moved[rec.Node] = next
		}
		next++
	}

	for node, d := range t.dead {
		if d.Batch == batch || nodes[node] {
			delete(t.dead, node)
		}
	}
	for _, d := range dead {
		t.putDead(d, batch, now)
	}

	data, err := encodeBatch(r.enc, recs)
	if err != nil {
		return err
	}
	t.files = append(t.files, namedData{batchName(batch), data})
	t.man.put(newBatchEntry(batch, recs, data, false, now))
	if err := r.apply(t); err != nil {
		return err
	}
	if r.retryNodes != nil {
		for node := range nodes {
			delete(r.retryNodes, node)
		}
		maps.Copy(r.retryNodes, moved)
	}
	return nil
}

// renumber moves retry batch n to the next free number. r.mu is held.
// A damaged file is moved as it is, under its committed sha256, so that
// readers still report it and the planned batch is not held up by it.
func (r *Run) renumber(n int) error {
	e := r.man.Batches[r.man.find(n)]
	path := filepath.Join(r.dir, e.File)
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("move retry batch %d: %w", n, err)
	}
	if sha256Hex(data) != e.SHA256 {
		r.log.Error("store: retry batch file is damaged; moving it as it is, its nodes need a fresh run",
			"batch", n, "file", path)
	}
	t := &txn{man: r.man.clone(), obsolete: []string{e.File}}
	m := t.man.next()
	e.Batch, e.File = m, batchName(m)
	t.man.remove(n)
	t.man.put(e)
	t.files = []namedData{{e.File, data}}
	if err := r.apply(t); err != nil {
		return err
	}
	r.log.Info("store: moved retry batch to make room for a planned batch", "from", n, "to", m)
	for node, b := range r.retryNodes {
		if b == n {
			r.retryNodes[node] = m
		}
	}
	return nil
}

// readCommitted reads committed batch n, checking its sha256. r.mu is held.
func (r *Run) readCommitted(n int) ([]Record, error) {
	e := r.man.Batches[r.man.find(n)]
	path := filepath.Join(r.dir, e.File)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read batch %d: %w", n, err)
	}
	if sum := sha256Hex(data); sum != e.SHA256 {
		return nil, fmt.Errorf("%s: sha256 %s does not match %s (%s)", path, sum, manifestName, e.SHA256)
	}
	return decodeBatchBytes(data, path)
}
