package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/store"
)

// Defaults used where Options leaves a field zero.
const (
	DefaultConcurrency = 8 // RIPEstat's documented limit of concurrent requests per IP
	DefaultBucket      = time.Hour
	DefaultStatusOK    = "ok"
	DefaultInterval    = time.Second
	DefaultWindow      = 4 // later batches run and commit while one waits on a slow node
)

// ErrInterrupted is returned (wrapped, with the batch it stopped at) when
// the run's context is cancelled before the last batch is committed. It
// wraps context.Canceled, so errors.Is(err, context.Canceled) holds too.
var ErrInterrupted = fmt.Errorf("run interrupted: %w", context.Canceled)

// ErrEnvelope marks a body whose envelope status (Options.StatusPath) is
// missing or not Options.StatusOK. Such an attempt fails and is retried; a
// node whose last attempt fails this way is dead-lettered, never recorded
// with zero values.
var ErrEnvelope = errors.New("bad envelope status")

// Store is what the runner needs of a run folder; *store.Run implements it.
type Store interface {
	// Completed reports whether batch is already done (and intact).
	Completed(batch int) bool
	// CommitBatch stores a whole batch atomically.
	CommitBatch(batch int, recs []store.Record, dead []store.DeadLetter) error
	// CommitRetry stores the outcome of retried dead-lettered nodes.
	CommitRetry(recs []store.Record, dead []store.DeadLetter) error
	// SetPlan records the plan (nodes, batches) before the first batch,
	// so that readers can tell a finished run from an interrupted one.
	SetPlan(nodes, batches int) error
}

// PartStore is a Store that keeps the finished nodes of a batch that an
// interruption left open (store.Run is one). Run commits them with
// CommitPart after the drain, and a later Run asks Part what is done of
// each batch it has to do, fetches only the other nodes, and commits the
// whole batch (Part's outcomes with the new ones) with CommitBatch. With
// a plain Store those nodes are dropped and fetched again.
type PartStore interface {
	Store
	// CommitPart stores finished nodes of a batch that is not complete.
	CommitPart(batch int, recs []store.Record, dead []store.DeadLetter) error
	// Part returns what is already done of a batch that is not Completed.
	Part(batch int) ([]store.Record, []store.DeadLetter, error)
}

// StatsSource is what the runner reads of a Fetcher that counts its
// requests, as *scrape.Client does.
type StatsSource interface {
	Stats() scrape.Stats
}

// Options configure Run and RetryDead. The zero value fetches with 8
// workers, extracts extract.DefaultPath in stream mode, counts per hour,
// does not check an envelope and writes no progress.
type Options struct {
	// Extract configures the extractor; its Paths are the timestamp
	// selectors (all counted into one Tally). Mode, buffer and size caps
	// apply as documented in extract.Options.
	Extract extract.Options
	// Unit is the unit of numeric timestamps.
	Unit extract.Unit
	// Bucket is the width of the per-bucket counts; zero means
	// DefaultBucket (1h), negative means no per-bucket counts.
	Bucket time.Duration
	// StatusPath, when set, is a selector (e.g. "status") read in the same
	// pass as the timestamps. A body whose value there is missing or is
	// not StatusOK fails the attempt with ErrEnvelope. In Regex mode with
	// explicit Extract.Patterns, the last pattern must capture the status.
	StatusPath string
	// WindowStart and WindowEnd, when End is after Start, are the query
	// window: per-node buckets are then a dense array of one counter per
	// bucket of the window, fixed before the body is read, and values
	// outside it are counted in Record.Outside. A window of more than
	// extract.MaxBuckets buckets is refused by Run. Zero: no window.
	WindowStart, WindowEnd time.Time
	// MaxBuckets caps the distinct buckets of a node without a window; a
	// body with more fails the attempt (extract.ErrTooManyBuckets) and the
	// node is dead-lettered. Zero means extract.MaxBuckets, the most
	// allowed.
	MaxBuckets int
	// AllowMissing counts a body in which a timestamp selector's container
	// (data.updates for data.updates[*].timestamp) is missing as zero
	// values. By default such an attempt fails with an
	// *extract.MissingPathError, is retried, and the node is dead-lettered
	// ("path data.updates not found"): a silent zero is worse. A container
	// that is there but empty is zero values either way.
	AllowMissing bool
	// StatusOK is the accepted status; "" means DefaultStatusOK ("ok").
	StatusOK string

	// Concurrency is the number of nodes fetched at once (the pool's
	// workers); zero means DefaultConcurrency.
	Concurrency int
	// QueueSize bounds the nodes waiting for a worker; the loop that
	// submits them blocks while it is full. Zero means Concurrency.
	QueueSize int
	// Window is the number of batches open at once; zero means
	// DefaultWindow. 1 runs batches strictly one after the other: the
	// pool then idles while the last nodes of each batch finish. More let
	// later batches fill the idle workers and commit while an earlier one
	// waits on a slow node, so commits may come out of plan order. Memory
	// holds Window batches of results, and a kill loses at most the
	// finished nodes of Window batches (fetched again on resume).
	Window int
	// Adapt, when not nil, resizes the pool as AdaptOptions describes.
	Adapt *AdaptOptions
	// DrainTimeout is how long in-flight nodes may run on after the
	// context is cancelled before their fetches are cancelled too. Zero
	// cancels them at once. Either way no unfinished batch is
	// committed.
	DrainTimeout time.Duration

	// Progress receives progress reports every Interval; nil means none.
	Progress io.Writer
	// ProgressFormat selects bar, text or JSON; zero is ProgressAuto.
	ProgressFormat ProgressFormat
	// Interval is the time between progress reports and adaptive
	// decisions; zero means DefaultInterval (1s).
	Interval time.Duration
	// Stats, when set, gives the Fetcher's own counters (429s, stalls,
	// retries of nodes still in flight) to progress, the adaptive pool
	// and Summary.Status429. A *scrape.Client is one; Job sets it to the
	// client it makes.
	Stats StatsSource

	// Observe, when set, is called every Interval from the monitor
	// goroutine with the run's figures so far (End is the instant they
	// were read), for a metrics file or a dashboard. It must not block.
	Observe func(Summary)
	// Committed, when set, is called after each batch of Run is durably
	// committed, with its index and its numbers of records and dead
	// letters: a coordinator acknowledges the batch to its queue then,
	// never before. An error from it stops the run like a failing
	// commit (the batch stays committed).
	Committed func(batch, ok, dead int) error
	// Logger, when set, receives one record per committed batch, one for
	// the batches skipped as already done, and one per pool resize.
	Logger *slog.Logger

	// Clock is the one source of time (latencies, dead-letter times, the
	// drain timer, the monitor's ticks every Interval); nil means the
	// system clock. Pass the same clock to the scrape.Client so that a
	// test's fake time moves both.
	Clock clock.Clock
	// Memory reads the process's memory for progress and the summary;
	// nil means ReadMemory.
	Memory func() (Memory, error)
}

// withDefaults fills the zero fields and checks the others.
func (o Options) withDefaults() (Options, error) {
	if o.Bucket == 0 {
		o.Bucket = DefaultBucket
	}
	if o.Bucket < 0 {
		o.Bucket = 0
	}
	if o.StatusOK == "" {
		o.StatusOK = DefaultStatusOK
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.QueueSize == 0 {
		o.QueueSize = o.Concurrency
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	switch {
	case o.Concurrency < 0 || o.QueueSize < 0 || o.Window < 0:
		return o, fmt.Errorf("batch: concurrency %d, queue size %d and window %d must be positive", o.Concurrency, o.QueueSize, o.Window)
	case o.MaxBuckets < 0 || o.MaxBuckets > extract.MaxBuckets:
		return o, fmt.Errorf("batch: max buckets %d: want 1 to %d", o.MaxBuckets, extract.MaxBuckets)
	case o.Bucket > 0 && extract.CheckWindow(o.WindowStart, o.WindowEnd, o.Bucket) != nil:
		return o, fmt.Errorf("batch: %w", extract.CheckWindow(o.WindowStart, o.WindowEnd, o.Bucket))
	case o.DrainTimeout < 0 || o.Interval < 0:
		return o, fmt.Errorf("batch: negative drain timeout %v or interval %v", o.DrainTimeout, o.Interval)
	}
	if len(o.Extract.Paths) == 0 {
		o.Extract.Paths = []string{extract.DefaultPath}
	}
	if o.StatusPath != "" {
		o.Extract.Paths = append(o.Extract.Paths[:len(o.Extract.Paths):len(o.Extract.Paths)], o.StatusPath)
		if n := len(o.Extract.Patterns); n != 0 && n != len(o.Extract.Paths) {
			return o, fmt.Errorf("batch: %d regex patterns for %d timestamp paths and a status path: the last pattern must capture the status", n, len(o.Extract.Paths)-1)
		}
	}
	o.Clock = clock.Or(o.Clock)
	if o.Memory == nil {
		o.Memory = ReadMemory
	}
	return o, nil
}
