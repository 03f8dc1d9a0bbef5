package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The lock is a file holding the writer's PID, created with O_EXCL. A
// lock whose PID is no longer alive was left by a killed run and is taken
// over. Two processes that take over the same stale lock at the same
// instant can both succeed; cron jobs one day apart do not do that.

// acquireLock creates dir/.lock with pid in it.
func acquireLock(dir string, pid int, log *slog.Logger) error {
	path := filepath.Join(dir, lockName)
	for range 3 { // a takeover races at most with a run that exits meanwhile
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = fmt.Fprintf(f, "%d\n", pid)
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(path)
				return fmt.Errorf("lock: %w", err)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("lock: %w", err)
		}
		holder, err := readLock(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released meanwhile
		}
		if err != nil {
			return err
		}
		if alive(holder) {
			return fmt.Errorf("%w: %s is held by running process %d", ErrLocked, path, holder)
		}
		log.Warn("store: taking over stale lock", "file", path, "pid", holder)
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("lock: remove stale lock of process %d: %w", holder, err)
		}
	}
	return fmt.Errorf("%w: %s: changed hands while taking it", ErrLocked, path)
}

// readLock returns the PID in a lock file.
func readLock(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("lock: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%w: %s holds no PID (%q); remove it if no run writes this folder",
			ErrLocked, path, truncate(string(data), 20))
	}
	return pid, nil
}

// alive reports whether process pid exists. EPERM means it exists but
// belongs to another user.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// releaseLock removes the lock if it still holds pid.
func releaseLock(dir string, pid int) error {
	path := filepath.Join(dir, lockName)
	holder, err := readLock(path)
	if err != nil {
		return err
	}
	if holder != pid {
		return fmt.Errorf("lock %s: held by process %d, not by this one (%d)", path, holder, pid)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
