package store

import "errors"

// Sentinel errors, for errors.Is. The errors that wrap them say which
// field, process or format.
var (
	// ErrParamsMismatch: the folder holds a run made with other Params.
	ErrParamsMismatch = errors.New("params mismatch")
	// ErrLocked: another live process holds the folder's lock.
	ErrLocked = errors.New("run folder locked")
	// ErrUnknownFormat: ExportOptions.Format is neither "csv" nor "ndjson".
	ErrUnknownFormat = errors.New("unknown export format")
	// ErrIncomplete: the folder's run has not committed every batch of
	// its plan (it was interrupted, or is still running), or records no
	// plan. Export refuses it unless ExportOptions.Partial.
	ErrIncomplete = errors.New("run not finished")
)
