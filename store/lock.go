package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// The lock is an advisory lock (flock(2); LockFileEx on Windows) on the
// file .lock, taken without waiting. The kernel releases it when its
// holder exits however it exits, kill -9 included, so there is no stale
// lock to detect and no takeover that two processes could race for. The
// file is never removed (removing a locked file would let a second
// process lock a new file of the same name); it stays in the folder,
// empty when no run holds it.
//
// The holder writes its PID into the file, only for messages: a refused
// Open names the process to wait for, and a PID found by the next holder
// says that the last run ended without Close (it was killed).

// folderLock is a held lock.
type folderLock struct {
	fl   *flock.Flock
	path string
}

// acquireLock takes dir/.lock for pid, or fails with an error wrapping
// ErrLocked if another process (or another Run in this one) holds it.
func acquireLock(dir string, pid int, log *slog.Logger) (*folderLock, error) {
	path := filepath.Join(dir, lockName)
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o644))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		if holder := readLockPID(path); holder > 0 {
			return nil, fmt.Errorf("%w: %s is held by running process %d", ErrLocked, path, holder)
		}
		return nil, fmt.Errorf("%w: %s is held by another running process", ErrLocked, path)
	}
	if prev := readLockPID(path); prev > 0 {
		log.Warn("store: the previous run of this folder ended without releasing it (killed?); taking over",
			"file", path, "pid", prev)
	}
	if err := writeLockPID(path, strconv.Itoa(pid)+"\n"); err != nil {
		fl.Unlock()
		return nil, fmt.Errorf("lock %s: write PID: %w", path, err)
	}
	return &folderLock{fl: fl, path: path}, nil
}

// release empties the PID and gives the lock up.
func (l *folderLock) release() error {
	werr := writeLockPID(l.path, "")
	if err := l.fl.Unlock(); err != nil {
		return fmt.Errorf("unlock %s: %w", l.path, err)
	}
	if werr != nil {
		return fmt.Errorf("unlock %s: clear PID: %w", l.path, werr)
	}
	return nil
}

// readLockPID returns the PID written in the lock file, or 0 if it holds
// none (a released lock, a holder that has not written it yet, or a file
// that cannot be read, as a locked one on Windows).
func readLockPID(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// writeLockPID replaces the content of the lock file. The lock covers
// the file, not its bytes, except on Windows, where it covers the first
// byte against every other handle: there the PID is not written.
func writeLockPID(path, content string) error {
	if !pidInLockFile {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
