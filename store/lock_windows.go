package store

// pidInLockFile is false on Windows: LockFileEx locks the lock file's
// first byte against every other handle, the holder's own included.
const pidInLockFile = false
