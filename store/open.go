package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// OpenOptions tunes Open. The zero value logs nothing and uses the wall
// clock.
type OpenOptions struct {
	Logger *slog.Logger     // warnings (stale lock taken over) and recovery notes; nil: discarded
	Now    func() time.Time // clock for completion and dead-letter times; nil: time.Now
}

// Open opens the run folder dir for writing, creating it if needed. It
// takes the folder's lock (held by another live process or Run: an error
// wrapping ErrLocked; the kernel releases the lock of a killed process), removes temporary files left by a killed run, finishes or
// discards a commit that was cut short, and loads the manifest, or
// creates one holding p. A folder whose manifest holds other Params is
// refused with an error wrapping ErrParamsMismatch that names the field,
// unless that run committed nothing: then p replaces them, with a warning.
func Open(dir string, p Params, o OpenOptions) (*Run, error) {
	r := &Run{dir: dir, now: o.Now, log: o.Logger, pid: os.Getpid()}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	lock, err := acquireLock(dir, r.pid, r.log)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	r.lock = lock
	enc, err := newEncoder()
	if err == nil {
		r.enc = enc
		err = r.recover(p)
	}
	if err != nil {
		if r.enc != nil {
			r.enc.Close()
		}
		lock.release()
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	return r, nil
}

// recover brings the folder to its last committed state and loads it.
// The lock is held.
func (r *Run) recover(p Params) error {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return err
	}
	var batchFiles, staged []string
	hasDead, changed := false, false
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, tempPrefix):
			r.log.Info("store: removing temporary file of an interrupted run", "file", filepath.Join(r.dir, name))
			if err := os.Remove(filepath.Join(r.dir, name)); err != nil {
				return fmt.Errorf("remove temporary file: %w", err)
			}
			changed = true
		case name == deadName:
			hasDead = true
		case strings.HasSuffix(name, nextSuffix):
			if base := strings.TrimSuffix(name, nextSuffix); base == deadName || isBatchName(base) {
				staged = append(staged, base)
			}
		case isBatchName(name):
			batchFiles = append(batchFiles, name)
		}
	}

	m, err := readManifest(r.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Open writes the manifest before any batch, so batch or dead-letter
		// files without one are not this package's: leave them alone.
		if len(batchFiles) > 0 || hasDead || len(staged) > 0 {
			return fmt.Errorf("holds batch or dead-letter files but no %s: not a run folder of this version, or a damaged one", manifestName)
		}
		if m, err = r.writeNewManifest(p); err != nil {
			return err
		}
		r.man, r.dead = m, map[string]DeadLetter{}
		return syncDir(r.dir)
	case err != nil:
		return err
	}
	if d := m.Params.diff(p); d != "" {
		if len(m.Batches) > 0 || m.DeadLetters.SHA256 != sha256Hex(nil) {
			return fmt.Errorf("%w: %s", ErrParamsMismatch, d)
		}
		// A run that committed nothing (stopped at once, or started with a
		// typo) holds no output that other Params could contradict.
		r.log.Warn("store: folder holds an empty run with other params; starting over", "diff", d)
		if m, err = r.writeNewManifest(p); err != nil {
			return err
		}
		changed = true
	}
	r.man = m

	for _, name := range staged {
		if err := r.installStaged(name); err != nil {
			return err
		}
		changed = true
	}
	for _, name := range batchFiles {
		if n, _ := parseBatchName(name); m.find(n) >= 0 {
			continue
		}
		r.log.Info("store: removing uncommitted batch file", "file", filepath.Join(r.dir, name))
		if err := os.Remove(filepath.Join(r.dir, name)); err != nil {
			return fmt.Errorf("remove uncommitted batch file: %w", err)
		}
		changed = true
	}
	if changed {
		if err := syncDir(r.dir); err != nil {
			return err
		}
	}
	return r.repair()
}

// writeNewManifest writes a manifest holding p and nothing committed, and
// returns it. The caller fsyncs the folder.
func (r *Run) writeNewManifest(p Params) (manifest, error) {
	m := newManifest(p, r.now())
	data, err := m.encode()
	if err != nil {
		return manifest{}, err
	}
	if err := writeFile(r.dir, manifestName, data, nil); err != nil {
		return manifest{}, err
	}
	return m, nil
}

func isBatchName(name string) bool {
	_, ok := parseBatchName(name)
	return ok
}

// installStaged finishes or discards the staged name.next: the commit
// that staged it got past its commit point if the manifest gives the
// staged file's sha256 (and not the current file's); then it is renamed
// into place. Otherwise the commit did not, and it is removed.
func (r *Run) installStaged(name string) error {
	path := filepath.Join(r.dir, name)
	next := path + nextSuffix
	want := r.man.committedSHA256(name)
	nextSum, err := fileSHA256(next)
	if err != nil {
		return fmt.Errorf("read staged file: %w", err)
	}
	cur, err := fileSHA256(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("check staged commit: %w", err)
	}
	if errors.Is(err, fs.ErrNotExist) && name == deadName {
		cur = sha256Hex(nil) // no dead-letter file: no dead letters
	}
	if want != "" && nextSum == want && cur != want {
		r.log.Info("store: finishing an interrupted commit", "file", path)
		if err := os.Rename(next, path); err != nil {
			return fmt.Errorf("finish interrupted commit: %w", err)
		}
		return nil
	}
	r.log.Info("store: removing a file staged by an interrupted commit", "file", next)
	if err := os.Remove(next); err != nil {
		return fmt.Errorf("remove staged file: %w", err)
	}
	return nil
}
