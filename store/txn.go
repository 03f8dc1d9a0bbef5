package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
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

// putDead sets d, a dead letter of batch, among the dead letters to
// commit. A zero Time becomes now; times are stored in UTC.
func (t *txn) putDead(d DeadLetter, batch int, now time.Time) {
	d.Batch = batch
	if d.Time.IsZero() {
		d.Time = now
	}
	d.Time = d.Time.UTC()
	t.dead[d.Node] = d
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
	files := slices.Clip(t.files)
	ndead := len(r.dead)
	if t.dead != nil {
		data, err := encodeDead(t.dead)
		if err != nil {
			return err
		}
		ndead = len(t.dead)
		t.man.DeadLetters = deadEntry{File: deadName, Nodes: ndead, SHA256: sha256Hex(data), Batches: deadBatches(t.dead)}
		if t.man.DeadLetters.SHA256 != r.man.DeadLetters.SHA256 {
			files = append(files, namedData{deadName, data})
		}
	}
	var staged []string // final names of the files written as NAME.next
	for _, f := range files {
		name := f.name
		if r.man.committedSHA256(f.name) != "" { // replaces a committed file
			name += nextSuffix
			staged = append(staged, f.name)
		}
		if err := writeFile(dir, name, f.data, hook); err != nil {
			return err
		}
	}
	if len(files) > 0 {
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

// deadBatches returns the sorted batches that dead has letters of.
func deadBatches(dead map[string]DeadLetter) []int {
	var bs []int
	for _, d := range dead {
		bs = append(bs, d.Batch)
	}
	slices.Sort(bs)
	return slices.Compact(bs)
}
