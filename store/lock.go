package store

import (
	"bytes"
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
// over. Where /proc exists the file also holds the process's start time,
// so that a PID reused by another process (a restarted container gives
// its job the same small PID every time) is seen as stale too. Two
// processes that take over the same stale lock at the same instant can
// both succeed; cron jobs one day apart do not do that.

// acquireLock creates dir/.lock with pid in it.
func acquireLock(dir string, pid int, log *slog.Logger) error {
	content := strconv.Itoa(pid)
	if start := procStart(pid); start != "" {
		content += " " + start
	}
	path := filepath.Join(dir, lockName)
	for range 3 { // a takeover races at most with a run that exits meanwhile
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = fmt.Fprintf(f, "%s\n", content)
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
		holder, start, err := readLock(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released meanwhile
		}
		if err != nil {
			return err
		}
		if alive(holder, start) {
			return fmt.Errorf("%w: %s is held by running process %d", ErrLocked, path, holder)
		}
		log.Warn("store: taking over stale lock", "file", path, "pid", holder)
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("lock: remove stale lock of process %d: %w", holder, err)
		}
	}
	return fmt.Errorf("%w: %s: changed hands while taking it", ErrLocked, path)
}

// readLock returns the PID in a lock file, and the process start time if
// the file has one.
func readLock(path string) (pid int, start string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, "", fmt.Errorf("lock: %w", err)
	}
	fields := strings.Fields(string(data))
	if len(fields) > 0 {
		pid, err = strconv.Atoi(fields[0])
	}
	if len(fields) == 0 || len(fields) > 2 || err != nil || pid <= 0 {
		return 0, "", fmt.Errorf("%w: %s holds no PID (%q); remove it if no run writes this folder",
			ErrLocked, path, truncate(string(data), 20))
	}
	if len(fields) == 2 {
		start = fields[1]
	}
	return pid, start, nil
}

// alive reports whether process pid exists (EPERM: it exists but belongs
// to another user) and, if start is known, is still the process that
// started then.
func alive(pid int, start string) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	now := procStart(pid)
	return start == "" || now == "" || now == start
}

// procStart returns the start time of process pid (clock ticks since
// boot, field 22 of /proc/PID/stat), or "" where that is unknown.
func procStart(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(string(data[i+1:])) // from field 3 on
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// releaseLock removes the lock if it still holds pid.
func releaseLock(dir string, pid int) error {
	path := filepath.Join(dir, lockName)
	holder, _, err := readLock(path)
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
