// Package batch turns a list of node IDs into a finished run: it reads and
// checks the list, splits it into shards and batches, fetches every node of
// a batch in a bounded github.com/alitto/pond/v2 pool, aggregates the
// selected timestamps of each response while it streams, commits each batch
// to a store, reports progress and returns a run summary.
//
// # Jobs
//
// [Job] is the front door: one value describes a whole run (nodes, the
// HTTP request template or a Fetcher, selectors, query window, buckets,
// output folder, limits) and [Job.Run] runs it to the end. The run's
// identity ([Plan.Params], kept in the folder's manifest) and so its
// fingerprint are derived from that value alone: running the same Job
// again resumes it, and a folder holding another job is refused. The
// sluice command is flag parsing plus a Job. [Run] and [RetryDead] are
// the parts underneath, for callers that bring their own Store.
//
// # Node lists
//
// [ReadNodes] reads one ID per line (or one CSV column), drops comments,
// blank lines and duplicates, and reports invalid IDs with their line
// number. [Shard] splits a list by a hash of each ID so that n machines can
// share one list without overlap or gaps.
//
// # Plans and batches
//
// [NewPlan] cuts the list into batches of a fixed size. A batch is named by
// its index and the plan's [Plan.Fingerprint], the sha256 of the run's
// identity ([Plan.Params]: the list's sha256, batch size, shard and the
// other parameters), so the same list and parameters always give the same
// batches. The store keeps the identity and refuses a folder made with
// another: that is what makes a killed run resumable. Batches are views
// into the list; a plan holds nothing per node beyond the list itself.
//
// # Running
//
// [Run] starts the batches in plan order and commits each as soon as all
// its nodes are done. At most Options.Concurrency nodes are fetched at once
// and at most Options.QueueSize wait in the pool's queue; the submitting
// loop blocks when the queue is full, so memory does not grow with the
// list. With Options.Window (default 4) several batches are open at once,
// so a batch held open by one slow node (a stall retried with back-off)
// does not idle the pool: the others finish, commit and make room. Commits
// may come out of plan order; each batch is its own file and resuming
// checks each one. At most Window batches of results are held. Each
// worker borrows an extract.Extractor from a pool, counts the selected
// values into an extract.Tally inside the Fetcher's consume function, and
// leaves one store.Record (or one store.DeadLetter) per node. A batch is
// committed only when every one of its nodes has an outcome. When a run
// is interrupted, the finished nodes of the open batches are committed as
// parts (PartStore) and the next run fetches only the rest; a kill -9
// loses at most the finished, uncommitted nodes of the Window open
// batches.
//
// # Progress and summary
//
// Once a second (Options.Interval) the runner writes a progress bar when
// the writer is a terminal, or one log/slog record otherwise. [Summary]
// holds the final figures; its String method prints them the way the
// seeds did.
package batch
