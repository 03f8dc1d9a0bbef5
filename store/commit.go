package store

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// A commit (txn) changes the folder from one committed state to the next:
//
//  1. the new files, each through a temp file, fsync and rename; a file
//     that replaces one the manifest names (the dead letters, a batch
//     that is redone) is staged as NAME.next instead; then the folder is
//     fsynced;
//  2. manifest.json, naming the new files with their sha256, through a
//     temp file, fsync and rename, then a folder fsync. The rename is the
//     commit point;
//  3. the staged files renamed into place, files that the manifest no
//     longer names removed, a folder fsync.
//
// A process killed before the commit point leaves files that the
// manifest does not name (Open removes them, and batches they belong to
// are redone); one killed after it leaves step 3 to Open.
type txn struct {
	files    []namedData           // batch files to write, before the commit
	man      manifest              // the manifest to commit
	dead     map[string]DeadLetter // the dead letters to commit; nil: unchanged
	obsolete []string              // files the new manifest drops, removed after the commit
}

type namedData struct {
	name string
	data []byte
}

// apply runs t. r.mu is held. On success r reflects the new state; on
// failure r is marked broken.
func (r *Run) apply(t *txn) error {
	if err := r.applySteps(t); err != nil {
		r.broken = err
		return err
	}
	r.man = t.man
	if t.dead != nil {
		r.dead = t.dead
	}
	return nil
}

func (r *Run) applySteps(t *txn) error {
	dir, hook := r.dir, r.hook
	var staged []string // final names of the files written as NAME.next
	for _, f := range t.files {
		name := f.name
		if n, ok := parseBatchName(f.name); ok && r.man.find(n) >= 0 {
			name += nextSuffix
			staged = append(staged, f.name)
		}
		if err := writeFile(dir, name, f.data, hook); err != nil {
			return err
		}
	}
	ndead := len(r.dead)
	if t.dead != nil {
		data, err := encodeDead(t.dead)
		if err != nil {
			return err
		}
		ndead = len(t.dead)
		t.man.DeadLetters = deadEntry{File: deadName, Nodes: ndead, SHA256: sha256Hex(data)}
		if t.man.DeadLetters.SHA256 != r.man.DeadLetters.SHA256 {
			if err := writeFile(dir, deadNextName, data, hook); err != nil {
				return err
			}
			staged = append(staged, deadName)
		}
	}
	if len(t.files) > 0 || len(staged) > 0 {
		if err := syncDir(dir); err != nil {
			return err
		}
		if err := hook.at("sync dir: new files durable"); err != nil {
			return err
		}
	}

	t.man.sum(ndead, r.now())
	data, err := t.man.encode()
	if err != nil {
		return err
	}
	if err := writeFile(dir, manifestName, data, hook); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := hook.at("sync dir: manifest durable"); err != nil {
		return err
	}

	for _, name := range staged {
		if err := os.Rename(filepath.Join(dir, name+nextSuffix), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("install %s: %w", name, err)
		}
		if err := hook.at("install " + name); err != nil {
			return err
		}
	}
	for _, name := range t.obsolete {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove %s: %w", name, err)
		}
		if err := hook.at("remove " + name); err != nil {
			return err
		}
	}
	if len(staged) > 0 || len(t.obsolete) > 0 {
		return syncDir(dir)
	}
	return nil
}

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
	if err := r.commitBatch(batch, recs, dead); err != nil {
		return fmt.Errorf("store: commit batch %d in %s: %w", batch, r.dir, err)
	}
	return nil
}

func (r *Run) commitBatch(batch int, recs []Record, dead []DeadLetter) error {
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
		t.man.put(newBatchEntry(next, keep, data, true, now))
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
		d.Batch = batch
		if d.Time.IsZero() {
			d.Time = now
		}
		d.Time = d.Time.UTC()
		t.dead[d.Node] = d
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

// CommitRetry stores the outcome of retrying dead-lettered nodes
// (--retry-dead): recs move from the dead-letter file to a new batch file
// numbered after the highest batch, marked as a retry; dead replace the
// dead letters of their nodes, keeping each node's batch. Every node must
// be dead-lettered; dead-lettered nodes that are in neither list stay as
// they are, so a retry can be committed in parts. One manifest update
// commits it all.
func (r *Run) CommitRetry(recs []Record, dead []DeadLetter) error {
	if err := r.commitRetry(recs, dead); err != nil {
		return fmt.Errorf("store: commit retry in %s: %w", r.dir, err)
	}
	return nil
}

func (r *Run) commitRetry(recs []Record, dead []DeadLetter) error {
	if err := checkNodes(recs, dead); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.usable(); err != nil {
		return err
	}
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
	n := t.man.next()
	for _, d := range r.dead {
		n = max(n, d.Batch+1)
	}
	if len(recs) > 0 {
		data, err := encodeBatch(r.enc, recs)
		if err != nil {
			return err
		}
		t.files = []namedData{{batchName(n), data}}
		t.man.put(newBatchEntry(n, recs, data, true, now))
	}
	for _, rec := range recs {
		delete(t.dead, rec.Node)
	}
	for _, d := range dead {
		d.Batch = t.dead[d.Node].Batch
		if d.Time.IsZero() {
			d.Time = now
		}
		d.Time = d.Time.UTC()
		t.dead[d.Node] = d
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
