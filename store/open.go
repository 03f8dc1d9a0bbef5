package store

import (
	"bytes"
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
// takes the folder's lock (a lock left by a process that is no longer
// alive is taken over with a warning; a live one is an error wrapping
// ErrLocked), removes temporary files left by a killed run, finishes or
// discards a commit that was cut short, and loads the manifest, or
// creates one holding p. A folder whose manifest holds other Params is
// refused with an error wrapping ErrParamsMismatch that names the field.
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
	if err := acquireLock(dir, r.pid, r.log); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	enc, err := newEncoder()
	if err == nil {
		r.enc = enc
		err = r.recover(p)
	}
	if err != nil {
		if r.enc != nil {
			r.enc.Close()
		}
		releaseLock(dir, r.pid)
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
	var batchFiles []string
	hasDead, hasNext, changed := false, false, false
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
		case name == deadNextName:
			hasNext = true
		default:
			if _, ok := parseBatchName(name); ok {
				batchFiles = append(batchFiles, name)
			}
		}
	}

	m, err := readManifest(r.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Open writes the manifest before any batch, so batch or dead-letter
		// files without one are not this package's: leave them alone.
		if len(batchFiles) > 0 || hasDead || hasNext {
			return fmt.Errorf("holds batch or dead-letter files but no %s: not a run folder of this version, or a damaged one", manifestName)
		}
		m = newManifest(p, r.now())
		data, err := m.encode()
		if err != nil {
			return err
		}
		if err := writeFile(r.dir, manifestName, data, nil); err != nil {
			return err
		}
		r.man, r.dead = m, map[string]DeadLetter{}
		return syncDir(r.dir)
	case err != nil:
		return err
	}
	if d := m.Params.diff(p); d != "" {
		return fmt.Errorf("%w: %s", ErrParamsMismatch, d)
	}
	r.man = m

	if r.dead, err = r.recoverDead(hasNext); err != nil {
		return err
	}
	for _, name := range batchFiles {
		n, _ := parseBatchName(name)
		if m.find(n) >= 0 {
			continue
		}
		r.log.Info("store: removing uncommitted batch file", "file", filepath.Join(r.dir, name))
		if err := os.Remove(filepath.Join(r.dir, name)); err != nil {
			return fmt.Errorf("remove uncommitted batch file: %w", err)
		}
		changed = true
	}
	if changed {
		return syncDir(r.dir)
	}
	return nil
}

// recoverDead makes dead-letter.ndjson the file the manifest committed:
// a staged dead-letter.ndjson.next that the manifest names is renamed
// into place (the commit got past its commit point), one it does not
// name is removed (the commit did not). Then it loads the dead letters.
func (r *Run) recoverDead(hasNext bool) (map[string]DeadLetter, error) {
	path := filepath.Join(r.dir, deadName)
	next := filepath.Join(r.dir, deadNextName)
	want := r.man.DeadLetters.SHA256
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if sha256Hex(data) != want && hasNext {
		staged, err := os.ReadFile(next)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", next, err)
		}
		if sha256Hex(staged) == want {
			r.log.Info("store: finishing an interrupted commit", "file", path)
			if err := os.Rename(next, path); err != nil {
				return nil, fmt.Errorf("finish interrupted commit: %w", err)
			}
			data, hasNext = staged, false
		}
	}
	if hasNext {
		r.log.Info("store: removing uncommitted dead letters", "file", next)
		if err := os.Remove(next); err != nil {
			return nil, fmt.Errorf("remove uncommitted dead letters: %w", err)
		}
	}
	if got := sha256Hex(data); got != want {
		return nil, fmt.Errorf("%s: sha256 %s does not match %s (%s): changed outside sluice?", path, got, manifestName, want)
	}
	return decodeDead(bytes.NewReader(data), path)
}
