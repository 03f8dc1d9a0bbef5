//go:build !windows

package store

// pidInLockFile: flock(2) does not stop reads and writes, so the holder
// writes its PID into the lock file for messages.
const pidInLockFile = true
