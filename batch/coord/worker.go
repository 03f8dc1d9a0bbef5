package coord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/budget"
	"github.com/sluicehq/sluice/store"
)

// ErrCoordLost is the cause of a run stopped because Redis did not answer
// for WorkerOptions.CoordTimeout. Nothing committed is lost; running the
// same command again continues the run.
var ErrCoordLost = errors.New("coord: redis unreachable")

// WorkerOptions configure RunJob. The zero value derives the run's name
// from the job, names the budget after the API's host, and takes the
// Options and budget defaults.
type WorkerOptions struct {
	Run    string // run name; "" means "job-" and a hash of the job's identity
	Budget string // budget name; "" means the host of the job's URL
	// GlobalConcurrency, when positive, caps the requests in flight of
	// every process of the budget (a lease semaphore named like it).
	GlobalConcurrency int
	Queue             Options // lease timeout, deliveries, consumer name
	CoordTimeout      time.Duration
	Logger            *slog.Logger

	hook func(step string) error // tests: store.SharedOptions.Hook
}

// Result is what RunJob did.
type Result struct {
	Run       string        // the run's name
	Summary   batch.Summary // of this process: its rounds merged (batch.Summary.Merge)
	Batches   int           // batches this process committed
	Finalized bool          // this process finalized Out (wrote its manifest)
}

// RunName is the run name derived from a job's identity: every process
// started with the same job arguments gets the same one.
func RunName(p *batch.Plan) string {
	return "job-" + fingerprint(p)[:16]
}

func fingerprint(p *batch.Plan) string {
	data, _ := json.Marshal(p.Params())
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// BudgetName is the default budget name of a URL template: its host.
func BudgetName(url string) string {
	_, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	return host
}

// worker is the state of one RunJob call.
type worker struct {
	q      *Queue
	p      *batch.Plan
	o      WorkerOptions
	log    *slog.Logger
	cancel context.CancelCauseFunc
	stats  batch.StatsSource // nil when the Fetcher counts nothing
	st     *store.Shared     // j.Out, written by every process of the run

	mu        sync.Mutex
	held      map[int]*Lease // leased, not yet acked
	committed map[int]bool   // committed by this process
	poison    map[string]int // node → its quarantined batch
	lastStats scrape.Stats   // client counters at the last ack
	finished  bool           // the queue said every batch is done
	batches   int            // batches this process acked
}

// RunJob runs this process's share of j on the run shared through rdb:
// it joins (or starts) the run named after j, leases batches one by one,
// runs each as j describes and publishes it into j.Out, the one folder
// every process of the run writes (store.Shared: on shared storage when
// the processes are on several machines), and acks each once it is
// published. The process whose ack marks the last batch done finalizes
// j.Out (its manifest and merged dead letters, today's run-folder
// format); the others wait for that, and take it over if the finalizer
// dies (its lock expires after the lease timeout). Requests take their
// turn from the shared budget. A run whose Redis does not answer for
// CoordTimeout stops with an error wrapping ErrCoordLost.
func RunJob(ctx context.Context, rdb redis.UniversalClient, j batch.Job, o WorkerOptions) (Result, error) {
	p, err := j.Plan()
	if err != nil {
		return Result{}, err
	}
	if o.Run == "" {
		o.Run = RunName(p)
	}
	if o.CoordTimeout <= 0 {
		o.CoordTimeout = budget.DefaultCoordTimeout
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	res := Result{Run: o.Run}
	q, err := New(rdb, o.Run, o.Queue)
	if err != nil {
		return res, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w := &worker{q: q, p: p, o: o, log: log.With("run", o.Run, "worker", q.Consumer()), cancel: cancel,
		held: map[int]*Lease{}, committed: map[int]bool{}, poison: map[string]int{}}

	if err := w.retry(ctx, "check server", func(ctx context.Context) error {
		warn, err := CheckServer(ctx, rdb)
		for _, m := range warn {
			w.log.Warn(m)
		}
		if err != nil && !isNetErr(err) {
			w.log.Warn("cannot read the redis server's settings", "err", err)
			return nil
		}
		return err
	}); err != nil {
		return res, err
	}
	budgetName := o.Budget
	if budgetName == "" {
		budgetName = BudgetName(j.Scrape.URL)
	}
	if err := w.retry(ctx, "enqueue", func(ctx context.Context) error {
		if err := q.Enqueue(ctx, p.NumBatches(), fingerprint(p)); err != nil {
			return err
		}
		if j.Fetcher == nil {
			return rdb.HSet(ctx, q.k.meta, "budget", budgetName).Err()
		}
		return nil
	}); err != nil {
		return res, err
	}

	st, err := store.OpenShared(j.Out, p.Params(), store.SharedOptions{Owner: q.Consumer(), Logger: log, Hook: o.hook})
	if err != nil {
		return res, err
	}
	defer st.Close()
	w.st = st
	sub := j
	sub.Store = st
	sub.Schedule = w.schedule(ctx)
	sub.Options.Committed = func(b, _, _ int) error { return w.ack(ctx, b) }
	if sub.Fetcher == nil {
		bud, err := budget.New(rdb, budgetName, budget.Options{Rate: j.Scrape.Rate, Burst: j.Scrape.Burst,
			CoordTimeout: o.CoordTimeout, Logger: log, Clock: j.Scrape.Clock,
			OnUnreachable: func(err error) { cancel(fmt.Errorf("%w: %w", ErrCoordLost, err)) }})
		if err != nil {
			return res, err
		}
		so := j.Scrape
		so.Budget = bud
		if o.GlobalConcurrency > 0 {
			if so.Slots, err = budget.NewSlots(rdb, budgetName, o.GlobalConcurrency, bud); err != nil {
				return res, err
			}
		}
		cl, err := scrape.New(so)
		if err != nil {
			return res, fmt.Errorf("%w: %w", batch.ErrInvalidJob, err)
		}
		defer cl.Close()
		if so.CaptureDir != "" {
			if err := os.MkdirAll(so.CaptureDir, 0o755); err != nil {
				return res, fmt.Errorf("captures: %w", err)
			}
		}
		sub.Fetcher = cl // Source stays "": the identity is Scrape.URL's, as without --coord
		if sub.Options.Stats == nil {
			sub.Options.Stats = cl
		}
	}
	w.stats = sub.Options.Stats
	sub.Fetcher = quarantine{f: sub.Fetcher, w: w}

	var wg sync.WaitGroup
	hbCtx, hbStop := context.WithCancel(ctx)
	wg.Go(func() { w.heartbeat(hbCtx) })
	defer func() {
		hbStop()
		wg.Wait()
		// Gone, not silent: status shows the workers still at it.
		rdb.HDel(context.WithoutCancel(ctx), q.k.workers, q.Consumer())
	}()

	pause := min(max(q.o.LeaseTimeout/4, 50*time.Millisecond), 5*time.Second)
	if observe := j.Options.Observe; observe != nil {
		// Live figures of the process: the rounds done, then this one.
		// res.Summary changes only between rounds, when no monitor runs.
		sub.Options.Observe = func(s batch.Summary) { observe(res.Summary.Merge(s)) }
	}
	for {
		sum, err := sub.Run(ctx)
		res.Summary = res.Summary.Merge(sum)
		if cause := context.Cause(ctx); cause != nil {
			// Redis gone (ErrCoordLost), a queue error, or the caller's
			// cancellation (context.Canceled: an interruption).
			return w.result(res), cause
		}
		if err != nil {
			return w.result(res), err
		}
		if w.isFinished() {
			break
		}
		// Nothing to lease now: the other batches are held by live
		// workers. One of them may die (its batches come free after the
		// lease timeout): look again after a pause, or stop as soon as
		// the others have finished.
		fin, err := w.waitForWork(ctx, pause)
		if err != nil {
			return w.result(res), err
		}
		if fin {
			break
		}
	}
	fin, err := w.finalize(ctx)
	res.Finalized = fin
	return w.result(res), err
}

// finishedPoll is how often a worker with nothing to do asks whether the
// run is finished: one BITCOUNT, so that it exits (or finalizes) at most
// this long after the last ack.
const finishedPoll = 100 * time.Millisecond

// waitForWork waits up to pause and reports whether the run finished
// meanwhile.
func (w *worker) waitForWork(ctx context.Context, pause time.Duration) (bool, error) {
	for waited := time.Duration(0); ; waited += finishedPoll {
		var fin bool
		if err := w.retry(ctx, "done", func(ctx context.Context) (err error) {
			fin, err = w.q.finished(ctx)
			return err
		}); err != nil || fin || waited >= pause {
			w.mu.Lock()
			w.finished = w.finished || fin
			w.mu.Unlock()
			return fin, err
		}
		if err := sleepCtx(ctx, finishedPoll); err != nil {
			return false, err
		}
	}
}

func (w *worker) result(r Result) Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	r.Batches = w.batches
	return r
}

func (w *worker) isFinished() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.finished
}

// schedule is the job's Schedule: the batches this worker leases, until
// none is free now. It never waits for one: the pipeline must get to
// commit (and ack) the batches it has open.
func (w *worker) schedule(ctx context.Context) func(*batch.Plan) iter.Seq[int] {
	return func(*batch.Plan) iter.Seq[int] {
		return func(yield func(int) bool) {
			for {
				var l *Lease
				err := w.retry(ctx, "lease", func(ctx context.Context) (err error) {
					l, err = w.q.Lease(ctx, 0)
					return err
				})
				switch {
				case errors.Is(err, ErrDone):
					w.mu.Lock()
					w.finished = true
					w.mu.Unlock()
					return
				case err != nil:
					w.cancel(err) // the round stops; RunJob returns err
					return
				case l == nil:
					return // nothing free now: end the round
				}
				w.mu.Lock()
				again := w.committed[l.Batch]
				w.held[l.Batch] = l
				w.mu.Unlock()
				// Published by a worker that died before its ack.
				again = again || w.st.Completed(l.Batch)
				w.mu.Lock()
				if l.Poison {
					for _, n := range w.p.Batch(l.Batch).Nodes {
						w.poison[n] = l.Batch
					}
				}
				w.mu.Unlock()
				if again { // published before; only the ack was lost
					if err := w.ack(ctx, l.Batch); err != nil {
						return
					}
					continue
				}
				if l.Poison {
					w.log.Warn("batch quarantined", "batch", l.Batch, "deliveries", l.Deliveries)
				} else if l.TakenOver {
					w.log.Info("batch taken over from a silent worker", "batch", l.Batch, "deliveries", l.Deliveries)
				}
				if !yield(l.Batch) {
					return
				}
			}
		}
	}
}

// ack acknowledges a published batch with its counts: those of the files
// published, which may be another worker's (the first publish wins).
func (w *worker) ack(ctx context.Context, b int) error {
	pub, ok, err := w.st.Published(b)
	if err == nil && !ok {
		err = errors.New("not published")
	}
	if err != nil {
		return fmt.Errorf("coord: ack batch %d: %w", b, err)
	}
	w.mu.Lock()
	l := w.held[b]
	w.committed[b] = true
	c := Counts{NodesOK: int64(pub.Nodes), NodesDead: int64(pub.Dead)}
	if w.stats != nil {
		s := w.stats.Stats()
		c.Requests, c.Status429 = s.Requests-w.lastStats.Requests, s.Status429-w.lastStats.Status429
		w.lastStats = s
	}
	w.mu.Unlock()
	if l == nil {
		return fmt.Errorf("coord: batch %d committed without a lease", b)
	}
	var a Acked
	err = w.retry(ctx, "ack", func(ctx context.Context) (err error) {
		a, err = w.q.Ack(ctx, l, c)
		return err
	})
	if err != nil {
		return err
	}
	w.mu.Lock()
	delete(w.held, b)
	if a.First {
		w.batches++
	}
	if a.Elected {
		w.finished = true
	}
	w.mu.Unlock()
	return nil
}

// heartbeat renews the held leases every third of the lease timeout.
func (w *worker) heartbeat(ctx context.Context) {
	t := time.NewTicker(max(w.q.o.LeaseTimeout/3, time.Millisecond))
	defer t.Stop()
	for {
		w.mu.Lock()
		ls := make([]*Lease, 0, len(w.held))
		for _, l := range w.held {
			ls = append(ls, l)
		}
		w.mu.Unlock()
		lost, err := w.q.Heartbeat(ctx, ls...)
		switch {
		case errors.Is(err, ErrLeaseLost):
			for _, l := range lost {
				w.log.Warn("lease lost to another worker; finishing the batch anyway", "batch", l.Batch)
			}
		case err != nil && ctx.Err() == nil:
			w.log.Warn("heartbeat", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// finalize makes Out an ordinary run folder once every batch is
// published. The process elected by its ack does it; the others wait
// until it is done, and one of them takes it over if the finalizer dies
// (its lock, renewed by its heartbeat, expires): so does a process
// started again later. It reports whether this process did it.
// Finalizing is idempotent (store.Shared.Finalize), so a finalizer that
// lost its lock to a slow heartbeat and another one at work on the same
// folder write the same bytes.
func (w *worker) finalize(ctx context.Context) (bool, error) {
	for logged := false; ; {
		var st int
		if err := w.retry(ctx, "final lock", func(ctx context.Context) (err error) {
			st, err = w.q.ClaimFinal(ctx)
			return err
		}); err != nil {
			return false, err
		}
		switch st {
		case FinalDone:
			return false, nil
		case FinalOther:
			if !logged {
				w.log.Info("run finished; waiting for the process that finalizes it")
				logged = true
			}
			if err := sleepCtx(ctx, finishedPoll); err != nil {
				return false, err
			}
			continue
		}
		w.log.Info("finalizing the run", "out", w.st.Dir(), "batches", w.p.NumBatches())
		if err := w.st.Finalize(w.p.NumBatches(), func(i int) []string { return w.p.Batch(i).Nodes }); err != nil {
			// Drop the lock: another process may try, and gets the same
			// error if a batch is damaged.
			unlock.Run(context.WithoutCancel(ctx), w.q.rdb, []string{w.q.k.final}, w.q.Consumer())
			return false, fmt.Errorf("coord: %w", err)
		}
		if err := w.retry(ctx, "finalized", w.q.Finalized); err != nil {
			return true, err
		}
		w.log.Info("run finalized", "out", w.st.Dir())
		return true, nil
	}
}

// retry runs f until it succeeds, fails with an error that is not an
// outage, or Redis has been unreachable for CoordTimeout; then it cancels
// the run with ErrCoordLost.
func (w *worker) retry(ctx context.Context, op string, f func(context.Context) error) error {
	wait, start := 50*time.Millisecond, time.Now()
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f(cctx)
		cancel()
		switch {
		case err == nil || errors.Is(err, ErrDone) || !isNetErr(err):
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		case time.Since(start) >= w.o.CoordTimeout:
			err = fmt.Errorf("%w for %v (%s): %w", ErrCoordLost, w.o.CoordTimeout, op, err)
			w.cancel(err)
			return err
		}
		w.log.Warn("redis unreachable, retrying", "op", op, "err", err)
		if err := sleepCtx(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// isNetErr tells an outage (no answer, a dropped connection, a server
// loading its AOF) from an answer that is an error, or a refusal of ours.
func isNetErr(err error) bool {
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		return strings.HasPrefix(msg, "LOADING") || strings.HasPrefix(msg, "BUSY") || strings.HasPrefix(msg, "TRYAGAIN")
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redis.ErrClosed) || errors.Is(err, redis.ErrPoolTimeout)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if err := sleep(ctx, d); err != nil {
		return err
	}
	return nil
}

// quarantine fails the nodes of quarantined batches at once, with the
// reason, instead of fetching them: a batch that keeps killing its
// workers is dead-lettered, not tried a fourth time.
type quarantine struct {
	f scrape.Fetcher
	w *worker
}

func (q quarantine) Fetch(ctx context.Context, node string, consume func(io.Reader) error) (scrape.Result, error) {
	q.w.mu.Lock()
	b, bad := q.w.poison[node]
	var n int64
	if l := q.w.held[b]; bad && l != nil {
		n = l.Deliveries
	}
	q.w.mu.Unlock()
	if !bad {
		return q.f.Fetch(ctx, node, consume)
	}
	err := fmt.Errorf("quarantined: batch %d delivered %d times (more than %d) without being committed", b, n, q.w.q.o.MaxDeliveries)
	return scrape.Result{Node: node}, &scrape.FetchError{Node: node, Err: err}
}
