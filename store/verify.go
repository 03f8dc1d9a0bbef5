package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// repair checks every file the manifest lists against its sha256, loads
// the dead letters, and takes out of the committed state what a damaged
// or missing file held, so that the run redoes it: a planned batch is
// dropped (it is no longer Completed); a retry batch is dropped with the
// planned batches its nodes came from (From), whose nodes are fetched
// again; a lost dead-letter file drops the batches it had dead letters
// of (deadEntry.Batches). One commit does it, before any new work, so a
// run killed right after still knows what to redo. r.mu is not needed:
// Open has not returned r yet.
//
// Folders written before From and Batches were recorded cannot be
// repaired that way: a lost retry batch is left for readers to report,
// and a lost dead-letter file is an error, as before.
func (r *Run) repair() error {
	path := filepath.Join(r.dir, deadName)
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read dead letters: %w", err)
	}
	redo := map[int]bool{}
	deadLost := sha256Hex(data) != r.man.DeadLetters.SHA256
	switch {
	case deadLost && len(r.man.DeadLetters.Batches) == 0 && r.man.DeadLetters.Nodes > 0:
		return fmt.Errorf("%s: sha256 %s does not match %s (%s), and the manifest does not say which batches to redo: changed outside sluice?",
			path, sha256Hex(data), manifestName, r.man.DeadLetters.SHA256)
	case deadLost:
		r.log.Error("store: dead-letter file missing or damaged; redoing the batches it had dead letters of",
			"file", path, "batches", r.man.DeadLetters.Batches)
		for _, b := range r.man.DeadLetters.Batches {
			redo[b] = true
		}
		r.dead = map[string]DeadLetter{}
	default:
		if r.dead, err = decodeDead(bytes.NewReader(data), path); err != nil {
			return err
		}
	}

	for _, e := range r.man.Batches {
		file := filepath.Join(r.dir, e.File)
		sum, err := fileSHA256(file)
		switch {
		case err == nil && sum == e.SHA256:
			continue
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("verify %s: %w", file, err)
		case e.Retry && len(e.From) == 0:
			r.log.Error("store: retry batch file missing or damaged, and the manifest does not say where its nodes came from; export will report it",
				"file", file)
			continue
		case e.Retry:
			r.log.Error("store: retry batch file missing or damaged; redoing the batches its nodes came from",
				"file", file, "batches", e.From)
			for _, b := range e.From {
				redo[b] = true
			}
		default:
			r.log.Warn("store: batch file missing or damaged; redoing the batch", "file", file, "batch", e.Batch)
		}
		redo[e.Batch] = true
	}
	if len(redo) == 0 && !deadLost {
		return nil
	}
	t := &txn{man: r.man.clone()}
	if deadLost {
		t.dead = map[string]DeadLetter{}
	}
	for _, b := range slices.Sorted(maps.Keys(redo)) {
		if i := t.man.find(b); i >= 0 {
			t.obsolete = append(t.obsolete, t.man.Batches[i].File)
			t.man.remove(b)
		}
	}
	return r.apply(t)
}
