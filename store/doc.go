// Package store keeps the output of a sluice run on disk: one compressed
// file of aggregates per batch, a manifest that says which batches are
// done, and a dead-letter file for the nodes that failed for good. It
// also reads a run folder back and exports it as CSV or NDJSON.
//
// # Layout of a run folder
//
//	manifest.json            run parameters, committed batches (file, nodes, sha256, time), totals
//	batch-000042.ndjson.zst  one JSON line per node (a Record), zstd-compressed
//	dead-letter.ndjson       one JSON line per node that failed for good (a DeadLetter)
//	.lock                    flock(2)ed by the process writing the folder, holding its PID
//
// # Commits
//
// Every file is written to a temporary file in the folder, fsynced, renamed
// into place, and the folder is fsynced. The manifest is the commit point:
// a batch exists when the manifest lists it with the sha256 of its file,
// and the dead-letter file is the one whose sha256 the manifest records.
// A file that replaces one the manifest names (the dead letters, a batch
// that is redone) is staged as NAME.next before the manifest is written
// and renamed into place after it. A process killed at any step leaves
// either the old or the new state: Open removes what an unfinished commit
// wrote and installs the staged files of a finished one, and ReadRecords
// and ReadDeadLetters read the committed state without waiting for that.
// So a node is always in exactly one place: a committed batch file or the
// dead-letter file.
//
// Retry batches (Run.CommitRetry, for --retry-dead) are numbered after the
// highest batch. If a planned batch later needs that number, or a redone
// batch takes back nodes a retry batch holds, the retry batch is moved to
// a new number in the same kind of commit.
//
// # Resume
//
// A run started again on the same folder with the same Params skips the
// batches for which Run.Completed reports true and commits the others;
// Open refuses a folder that holds a run with other Params
// (ErrParamsMismatch) or that another live process is writing (ErrLocked).
//
// # Shared folders
//
// A folder that many processes write at once (batch/coord's workers, on
// one machine or several over shared storage) is opened with OpenShared
// instead: each batch is published once under batches/NNNNNN/, the first
// publish winning, and Shared.Finalize turns the folder into the layout
// above when every batch is published (see shared.go).
//
// Most callers want Open, then Run.Completed and Run.CommitBatch per
// batch, then Run.Close; and ReadRecords or Export to read a folder back.
package store
