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
//	.lock                    the PID of the process writing the folder
//
// # Commits
//
// Every file is written to a temporary file in the folder, fsynced, renamed
// into place, and the folder is fsynced. The manifest is the commit point:
// a batch exists when the manifest lists it with the sha256 of its file.
// The dead-letter file is committed through the manifest too: the new
// content is staged as dead-letter.ndjson.next before the manifest names
// its sha256, and renamed into place after. Open finishes (or discards) a
// commit that a killed process left half done, so a node is always in
// exactly one place: a committed batch file or the dead-letter file.
//
// # Resume
//
// A run started again on the same folder with the same Params skips the
// batches for which Run.Completed reports true and commits the others;
// Open refuses a folder that holds a run with other Params
// (ErrParamsMismatch) or that another live process is writing (ErrLocked).
//
// Most callers want Open, then Run.Completed and Run.CommitBatch per
// batch, then Run.Close; and ReadRecords or Export to read a folder back.
package store
