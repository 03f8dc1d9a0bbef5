package store

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Run is an open run folder: the one writer of its files while it holds
// the lock. Get one from Open and Close it when done. A Run is safe for
// concurrent use; commits are serialised.
//
// After a commit fails (disk full, I/O error) the Run refuses further
// commits: the folder is left in a state that the next Open recovers.
type Run struct {
	dir  string
	now  func() time.Time
	log  *slog.Logger
	pid  int           // written in the lock file
	lock *folderLock   // held from Open to Close
	enc  *zstd.Encoder // EncodeAll is safe for concurrent use
	hook stepFunc      // tests: called between the steps of a commit

	mu         sync.Mutex
	man        manifest              // as committed on disk
	dead       map[string]DeadLetter // as committed on disk, by node
	retryNodes map[string]int        // node → retry batch holding it; nil until needed
	broken     error                 // first failed commit
	closed     bool
}

// usable reports why the Run cannot commit, if it cannot. r.mu is held.
func (r *Run) usable() error {
	switch {
	case r.closed:
		return errors.New("run is closed")
	case r.broken != nil:
		return fmt.Errorf("an earlier commit failed, reopen the folder to recover: %w", r.broken)
	}
	return nil
}

// Completed reports whether batch is done: the manifest lists it and its
// file's sha256 matches. A batch whose file is missing or damaged is
// reported not done (with a warning) so that it is redone. Retry batches
// (CommitRetry) never count: their numbers are not those of a plan.
func (r *Run) Completed(batch int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	i := r.man.find(batch)
	if i < 0 || r.man.Batches[i].Retry {
		return false
	}
	e := r.man.Batches[i]
	path := filepath.Join(r.dir, e.File)
	sum, err := fileSHA256(path)
	switch {
	case err != nil:
		r.log.Warn("store: committed batch file unreadable, redoing the batch", "batch", batch, "err", err)
		return false
	case sum != e.SHA256:
		r.log.Warn("store: batch file does not match the manifest, redoing the batch", "batch", batch, "file", path)
		return false
	}
	return true
}

// DeadLetters returns the committed dead letters, sorted by batch and node.
func (r *Run) DeadLetters() ([]DeadLetter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("store: dead letters of %s: run is closed", r.dir)
	}
	return sortedDead(r.dead), nil
}

// Close releases the lock. Further calls do nothing.
func (r *Run) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.enc.Close()
	if err := r.lock.release(); err != nil {
		return fmt.Errorf("store: close %s: %w", r.dir, err)
	}
	return nil
}
